//! Running the `owums` binary.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Path of the `owums` binary that cargo built next to this test executable
/// (`target/<profile>/owums`; the test runs from `target/<profile>/deps/`).
///
/// Cargo sets `CARGO_BIN_EXE_owums` only for the tests of the package that owns the binary
/// (owums-server), not for owums-tests, so the binary is found beside the test executable.
/// `scripts/test` builds it first; by hand: `cargo build -p owums-server --bin owums`.
pub(crate) fn owums_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test executable's path");
        let profile_dir = exe
            .parent()
            .filter(|d| d.ends_with("deps"))
            .and_then(Path::parent)
            .unwrap_or_else(|| {
                panic!(
                    "{} is not in a cargo target/<profile>/deps directory",
                    exe.display()
                )
            });
        let bin = profile_dir.join(format!("owums{}", std::env::consts::EXE_SUFFIX));
        assert!(
            bin.is_file(),
            "the owums binary is not at {}: build it before running these tests \
             (`cargo build -p owums-server --bin owums`, with the same --release/--target \
             as the tests; `bash scripts/test` does it)",
            bin.display()
        );
        bin
    })
}

/// The result of one `owums` run.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// `owums ARGS` in `dir` against `database_url`, with `stdin` fed in.
pub(crate) fn owums(dir: &Path, database_url: &str, args: &[&str], stdin: &str) -> Run {
    owums_env(dir, database_url, args, stdin, &[])
}

/// [`owums`] with extra environment variables.
pub(crate) fn owums_env(
    dir: &Path,
    database_url: &str,
    args: &[&str],
    stdin: &str,
    envs: &[(&str, &str)],
) -> Run {
    use std::io::Write;
    let mut child = Command::new(owums_bin())
        .envs(envs.iter().copied())
        .args(args)
        .current_dir(dir)
        .env("OWUMS_DATABASE__URL", database_url)
        .env_remove("RUST_LOG")
        .env_remove(owums_core::test_support::POSTGRES_URL_VAR)
        .env_remove(owums_core::test_support::MYSQL_URL_VAR)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("owums starts");
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("owums ends").into()
}

/// Runs `owums ARGS` and insists it succeeds.
pub(crate) fn owums_ok(dir: &Path, database_url: &str, args: &[&str]) -> String {
    let r = owums(dir, database_url, args, "");
    assert_eq!(r.code, 0, "owums {args:?} failed: {}", r.stderr);
    r.stdout
}

/// `owums serve --listen 127.0.0.1:0` in `dir`: the server takes a free port and logs it.
/// Add environment variables, then [`Serving::spawn`] it.
pub(crate) fn serve_command(dir: &Path) -> Command {
    let mut cmd = Command::new(owums_bin());
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .env_remove("OWUMS_DATABASE__URL")
        .env_remove("RUST_LOG")
        .env_remove(owums_core::test_support::POSTGRES_URL_VAR)
        .env_remove(owums_core::test_support::MYSQL_URL_VAR);
    cmd
}

/// A running `owums serve` whose log (standard error) the test reads; killed when dropped.
pub(crate) struct Serving {
    child: Child,
    lines: Receiver<String>,
    log: String,
}

/// How long a server may take to log what a test waits for.
const LOG_WAIT: Duration = Duration::from_secs(60);

/// The value of `key=` in a log line (`listen=127.0.0.1:8080`).
pub(crate) fn log_field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let at = line.find(&format!("{key}="))? + key.len() + 1;
    line[at..].split_whitespace().next()
}

impl Serving {
    /// Spawns `cmd` with its standard error read line by line.
    pub(crate) fn spawn(cmd: &mut Command) -> Serving {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("owums starts");
        let stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Serving {
            child,
            lines,
            log: String::new(),
        }
    }

    /// The first line of its log that contains `needle`, waiting for it if not logged yet;
    /// `None` when the server ended (or said nothing like it for a minute) first.
    pub(crate) fn wait_line(&mut self, needle: &str) -> Option<String> {
        if let Some(line) = self.log().lines().find(|l| l.contains(needle)) {
            return Some(line.to_owned());
        }
        let deadline = Instant::now() + LOG_WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push_str(&line);
                    self.log.push('\n');
                    if line.contains(needle) {
                        return Some(line);
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// The HTTP address the server logs once it listens (panics with the log if it never does).
    pub(crate) fn http_addr(&mut self) -> SocketAddr {
        let line = self.wait_line("owums serving");
        line.as_deref()
            .and_then(|l| log_field(l, "listen"))
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("owums serve never said where it listens:\n{}", self.log()))
    }

    /// Everything it logged so far.
    pub(crate) fn log(&mut self) -> &str {
        while let Ok(line) = self.lines.try_recv() {
            self.log.push_str(&line);
            self.log.push('\n');
        }
        &self.log
    }

    /// Whether it is still running.
    pub(crate) fn running(&mut self) -> bool {
        self.child.try_wait().expect("owums status").is_none()
    }

    /// Its process id.
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) for it to exit on its own; its status and its whole log.
    pub(crate) fn wait_exit(mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + LOG_WAIT;
        // the log ends when the process does
        loop {
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => {
                    self.log.push_str(&line);
                    self.log.push('\n');
                }
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("owums serve kept running:\n{}", self.log)
                }
            }
        }
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("owums status") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "owums serve closed its log but kept running"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        (status, std::mem::take(&mut self.log))
    }

    /// SIGTERM, then waits (bounded) for the exit; its status.
    pub(crate) fn terminate(self) -> ExitStatus {
        let kill = Command::new("kill")
            .args(["-TERM", &self.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(kill.success());
        self.wait_exit().0
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if self.running() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A plain HTTP/1.1 GET of `path` on `addr` (`host:port`): the status code and the whole
/// answer, or `None` when nothing answered within 5 s.
pub(crate) fn http_get(addr: &str, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let code = buf.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, buf))
}
