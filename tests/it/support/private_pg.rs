//! A private PostgreSQL server for one test (`initdb` + `pg_ctl` in a temporary directory,
//! trust authentication on 127.0.0.1 and a free port), which the test may stop and start.
//! Not the machine's shared server: restarting that would break every other test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A PostgreSQL server of this test's own; stopped (immediately) when dropped.
pub(crate) struct PrivatePg {
    bin: PathBuf,
    data: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// Run the server programs as `postgres` (they refuse to run as root).
    as_postgres: bool,
}

/// The directory holding `pg_ctl` and `initdb`: on `PATH`, else the newest
/// `/usr/lib/postgresql/<version>/bin` (Debian keeps them off `PATH`).
fn bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|d| d.join("pg_ctl").is_file() && d.join("initdb").is_file())
    });
    if let Some(dir) = on_path {
        // Debian's /usr/local/bin or /usr/bin links point into the versioned directory
        return Some(
            std::fs::canonicalize(dir.join("pg_ctl"))
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .unwrap_or(dir),
        );
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("pg_ctl").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl PrivatePg {
    /// A new running server, or `None` (with a message) when PostgreSQL's server programs
    /// are not installed; under `CI` their absence fails the test instead.
    pub(crate) fn start() -> Option<PrivatePg> {
        let Some(bin) = bin_dir() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "pg_ctl/initdb not found (install the `postgresql` package; bash scripts/install-peers)"
            );
            eprintln!("skipped: pg_ctl/initdb not found (install the `postgresql` package)");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let as_postgres = is_root();
        if as_postgres {
            let chown = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status()
                .expect("chown runs");
            assert!(chown.success(), "chown of the data directory");
        }
        let pg = PrivatePg {
            bin,
            data: dir.path().join("data"),
            dir,
            port: free_port(),
            as_postgres,
        };
        let data = pg.data.to_str().expect("UTF-8 path").to_owned();
        pg.run(
            "initdb",
            &[
                "-D", &data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "-N",
            ],
        );
        pg.start_again();
        Some(pg)
    }

    /// `program ARGS` as the server's owner; panics with its output when it fails.
    fn run(&self, program: &str, args: &[&str]) -> Output {
        let path = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = cmd.args(args).output().expect("a PostgreSQL program runs");
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}\nserver log:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
        out
    }

    /// Starts the (stopped) server and waits until it accepts connections.
    pub(crate) fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        let (data, log) = (
            self.data.to_str().expect("UTF-8"),
            log.to_str().expect("UTF-8"),
        );
        self.run(
            "pg_ctl",
            &[
                "-D", data, "-l", log, "-o", &options, "-w", "-t", "60", "start",
            ],
        );
    }

    /// Stops the server the way an operator restarting it does (`-m fast`: sessions are
    /// cut, the server shuts down cleanly).
    pub(crate) fn stop(&self) {
        let data = self.data.to_str().expect("UTF-8");
        self.run(
            "pg_ctl",
            &["-D", data, "-m", "fast", "-w", "-t", "60", "stop"],
        );
    }

    /// The URL of its `postgres` database.
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let data = self.data.to_string_lossy().into_owned();
        let path = self.bin.join("pg_ctl");
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let _ = cmd
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
    }
}
