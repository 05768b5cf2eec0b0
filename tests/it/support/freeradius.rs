//! A private FreeRADIUS (`freeradius -f -X`) wired to an SQL database through
//! rlm_sql ([`FreeRadius::start`]) or to owums' REST API through rlm_rest with the
//! repository's `freeradius/rest/` configuration ([`FreeRadius::start_rest`]), plus
//! `radclient` helpers to talk to it.
//!
//! Every [`FreeRadius`] gets a copy of `/etc/freeradius/3.0` in a temporary
//! directory with: loopback listeners on free UDP ports (no fixed-port
//! listener anywhere), `sql` in authorize/accounting/post-auth of the default
//! site with the repository's `freeradius/sql/` additions (usage counters,
//! passwords kept out of radpostauth; see [`super::freeradius_sql`]),
//! `read_clients = yes` (clients from the `nas` table, read at startup),
//! no user/group switch, `reject_delay = 0`, `TZ=UTC` and logs kept in the
//! temporary directory. Instances are independent, so tests may run in parallel.
//!
//! Requires the Debian packages `freeradius`, `freeradius-utils` and the
//! driver package of the backend used (`freeradius-postgresql`,
//! `freeradius-mysql`); the schema must already exist in the database.
#![allow(dead_code)]

use std::collections::hash_map::RandomState;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use super::freeradius_sql;
use super::radclient::radclient;
pub(crate) use super::radclient::{RadiusReply, escape};

/// The system configuration the private copies are made from.
const SYSTEM_RADDB: &str = "/etc/freeradius/3.0";
/// How long [`FreeRadius::start`] waits for "Ready to process requests".
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Attempts at finding free ports when binding races with another process.
const START_ATTEMPTS: usize = 3;

/// The SQL database rlm_sql connects to. The schema must already exist.
#[derive(Debug, Clone)]
pub(crate) enum SqlBackend {
    /// SQLite database file (`rlm_sql_sqlite`, busy_timeout 5000 ms).
    Sqlite { path: PathBuf },
    /// PostgreSQL (`rlm_sql_postgresql`); `password` may be empty.
    Postgres {
        host: String,
        port: u16,
        user: String,
        password: String,
        database: String,
    },
    /// MySQL / MariaDB (`rlm_sql_mysql`), without TLS; `password` may be empty.
    Mysql {
        host: String,
        port: u16,
        user: String,
        password: String,
        database: String,
    },
}

/// owums' REST API that rlm_rest calls (REST mode, with the repository's
/// `freeradius/rest/` configuration).
#[derive(Debug, Clone)]
pub(crate) struct RestBackend {
    /// Base URL of `owums serve` (`http://127.0.0.1:PORT`).
    pub(crate) url: String,
    /// `[freeradius] token`.
    pub(crate) token: String,
}

/// How FreeRADIUS gets its answers.
#[derive(Debug, Clone)]
enum Mode {
    Sql(SqlBackend),
    Rest(RestBackend),
}

/// Options of [`FreeRadius::start`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FreeRadiusOptions {
    /// Add a client 127.0.0.1 with the harness secret ([`FreeRadius::secret`])
    /// to clients.conf. When false, clients come only from the SQL `nas`
    /// table (read once, at startup). With `true`, a `nas` row for 127.0.0.1
    /// is ignored ("Failed to add duplicate client"): clients.conf wins.
    pub(crate) local_client: bool,
    /// Run as in production: a pool of threads and the normal log (what a benchmark needs).
    /// Off, FreeRADIUS runs with `-X`: one thread, handling one packet at a time, and the
    /// debug log that the tests' failure messages quote.
    pub(crate) threaded: bool,
}

/// A running private FreeRADIUS; killed (and its files removed) on drop.
#[derive(Debug)]
pub(crate) struct FreeRadius {
    dir: tempfile::TempDir,
    child: Child,
    auth_port: u16,
    acct_port: u16,
    secret: String,
}

impl FreeRadius {
    /// Starts a private FreeRADIUS on `backend` and waits until it is ready.
    /// On failure the error carries the tail of FreeRADIUS' output.
    pub(crate) fn start(
        backend: &SqlBackend,
        opts: FreeRadiusOptions,
    ) -> Result<FreeRadius, String> {
        Self::start_mode(&Mode::Sql(backend.clone()), opts)
    }

    /// Starts a private FreeRADIUS in REST mode (rlm_rest against `rest`), with the
    /// module and site shipped in `freeradius/rest/`.
    pub(crate) fn start_rest(
        rest: &RestBackend,
        opts: FreeRadiusOptions,
    ) -> Result<FreeRadius, String> {
        Self::start_mode(&Mode::Rest(rest.clone()), opts)
    }

    fn start_mode(mode: &Mode, opts: FreeRadiusOptions) -> Result<FreeRadius, String> {
        let mut last = String::new();
        for _ in 0..START_ATTEMPTS {
            match Self::try_start(mode, opts) {
                Ok(fr) => return Ok(fr),
                // another process took one of our ports between probe and bind
                Err(e) if e.contains("Failed binding") => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    fn try_start(mode: &Mode, opts: FreeRadiusOptions) -> Result<FreeRadius, String> {
        let dir = tempfile::Builder::new()
            .prefix("owums-freeradius-")
            .tempdir()
            .map_err(ctx("creating temporary directory"))?;
        let (auth_port, acct_port) = free_udp_ports()?;
        let secret = random_secret();
        let raddb = dir.path().join("raddb");
        prepare_config(&raddb, mode, opts, auth_port, acct_port, &secret)?;
        let log_path = dir.path().join("radiusd.log");
        let log = fs::File::create(&log_path).map_err(ctx("creating log file"))?;
        let log2 = log.try_clone().map_err(ctx("cloning log file"))?;
        let token = match mode {
            Mode::Rest(r) => r.token.clone(),
            Mode::Sql(_) => String::new(),
        };
        let child = Command::new("freeradius")
            .env("OWUMS_FREERADIUS_TOKEN", token)
            // counter windows start at midnight UTC, as owums counts
            .env("TZ", "UTC")
            .args(if opts.threaded {
                ["-f", "-l", "stdout", "-d"].as_slice()
            } else {
                ["-f", "-X", "-d"].as_slice()
            })
            .arg(&raddb)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(ctx("spawning freeradius"))?;
        let mut fr = FreeRadius {
            dir,
            child,
            auth_port,
            acct_port,
            secret,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if fr.log().contains("Ready to process requests") {
                return Ok(fr);
            }
            let failure = match fr.child.try_wait() {
                Ok(Some(status)) => format!("freeradius exited ({status})"),
                _ if Instant::now() > deadline => {
                    format!("freeradius not ready in {START_TIMEOUT:?}")
                }
                _ => String::new(),
            };
            if !failure.is_empty() {
                return Err(format!("{failure}:\n{}", fr.log_tail(40)));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// UDP port of the authentication listener (127.0.0.1).
    pub(crate) fn auth_port(&self) -> u16 {
        self.auth_port
    }

    /// UDP port of the accounting listener (127.0.0.1).
    pub(crate) fn acct_port(&self) -> u16 {
        self.acct_port
    }

    /// Secret of the 127.0.0.1 client of clients.conf (`local_client`).
    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }

    /// Directory of the private configuration (`raddb`) and log.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// PAP Access-Request (User-Name, User-Password, NAS-IP-Address
    /// 127.0.0.1) with the harness secret.
    pub(crate) fn authenticate(&self, username: &str, password: &str) -> RadiusReply {
        self.authenticate_with_secret(username, password, &self.secret)
    }

    /// Same as [`FreeRadius::authenticate`] with an explicit secret, e.g.
    /// the one of a NAS client loaded from the `nas` table.
    pub(crate) fn authenticate_with_secret(
        &self,
        username: &str,
        password: &str,
        secret: &str,
    ) -> RadiusReply {
        let attrs = [
            ("User-Name", username.to_owned()),
            ("User-Password", password.to_owned()),
        ];
        self.send("auth", &attrs, secret)
    }

    /// Accounting-Request with the given attributes (names as in the
    /// dictionary, values unquoted: `("Acct-Status-Type", "Start".into())`),
    /// sent with the harness secret.
    pub(crate) fn accounting(&self, attrs: &[(&str, String)]) -> RadiusReply {
        self.send("acct", attrs, &self.secret)
    }

    /// Sends one request with `radclient`: `kind` is "auth" (to
    /// [`FreeRadius::auth_port`]) or "acct" (to [`FreeRadius::acct_port`]).
    /// NAS-IP-Address = 127.0.0.1 is added unless given. One try, 3 s
    /// timeout.
    pub(crate) fn send(&self, kind: &str, attrs: &[(&str, String)], secret: &str) -> RadiusReply {
        let port = if kind == "acct" {
            self.acct_port
        } else {
            self.auth_port
        };
        let mut input = String::new();
        for (name, value) in attrs {
            input.push_str(&format!("{name} = \"{}\"\n", escape(value)));
        }
        if !attrs
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("NAS-IP-Address"))
        {
            input.push_str("NAS-IP-Address = 127.0.0.1\n");
        }
        radclient(&format!("127.0.0.1:{port}"), kind, secret, &input)
    }

    /// Everything FreeRADIUS printed so far (debug output, `-X`).
    pub(crate) fn log(&self) -> String {
        fs::read(self.dir.path().join("radiusd.log"))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The last `n` lines of [`FreeRadius::log`].
    pub(crate) fn log_tail(&self, n: usize) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

impl Drop for FreeRadius {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two distinct UDP ports free on 127.0.0.1 a moment ago. FreeRADIUS cannot be given port 0
/// (`port = 0` in a `listen` section means the port of `/etc/services`) nor an open socket,
/// so its ports are chosen before it starts; [`FreeRadius::start`] starts it again on other
/// ports when another process took one in between (`Failed binding`).
fn free_udp_ports() -> Result<(u16, u16), String> {
    let bind = || UdpSocket::bind("127.0.0.1:0").map_err(ctx("probing a free UDP port"));
    let (a, b) = (bind()?, bind()?);
    let port = |s: &UdpSocket| s.local_addr().map(|a| a.port()).map_err(ctx("local_addr"));
    Ok((port(&a)?, port(&b)?))
}

/// `map_err` helper: "what: error".
pub(crate) fn ctx<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// A hex secret, unpredictable enough for a test.
fn random_secret() -> String {
    let mut h = RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.write_u128(nanos);
    format!("harness-{:016x}", h.finish())
}

/// Builds the private configuration in `raddb` (see the module docs).
fn prepare_config(
    raddb: &Path,
    mode: &Mode,
    opts: FreeRadiusOptions,
    auth_port: u16,
    acct_port: u16,
    secret: &str,
) -> Result<(), String> {
    copy_tree(Path::new(SYSTEM_RADDB), raddb)?;
    let dir = raddb.display().to_string();
    for sub in ["log/radacct", "run"] {
        fs::create_dir_all(raddb.join(sub)).map_err(ctx(sub))?;
    }
    // stay root (no user/group), keep every path inside the copy
    edit(&raddb.join("radiusd.conf"), |text| {
        Ok(map_lines(text, |line| match line.trim_start() {
            t if t.starts_with("user = ") || t.starts_with("group = ") => None,
            t if t.starts_with("raddbdir = ") => Some(format!("raddbdir = {dir}")),
            t if t.starts_with("logdir = ") => Some(format!("logdir = {dir}/log")),
            t if t.starts_with("run_dir = ") => Some(format!("run_dir = {dir}/run")),
            t if t.starts_with("reject_delay = ") => Some("\treject_delay = 0".to_owned()),
            _ => Some(line.to_owned()),
        }))
    })?;
    let listen = format!(
        "listen {{\n\ttype = auth\n\tipaddr = 127.0.0.1\n\tport = {auth_port}\n}}\n\
         listen {{\n\ttype = acct\n\tipaddr = 127.0.0.1\n\tport = {acct_port}\n}}\n"
    );
    if let Mode::Rest(rest) = mode {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../freeradius/rest");
        let site = fs::read_to_string(shipped.join("sites-available/owums"))
            .map_err(ctx("reading freeradius/rest/sites-available/owums"))?;
        write(&raddb.join("sites-enabled/default"), &site)?;
        let module = fs::read_to_string(shipped.join("mods-available/rest"))
            .map_err(ctx("reading freeradius/rest/mods-available/rest"))?;
        let module = map_lines(&module, |line| match line.trim_start() {
            t if t.starts_with("connect_uri = ") => {
                Some(format!("\tconnect_uri = \"{}\"", escape(&rest.url)))
            }
            _ => Some(line.to_owned()),
        });
        write(&raddb.join("mods-enabled/rest"), &module)?;
    }
    edit(&raddb.join("sites-enabled/default"), |text| {
        if !text.lines().any(|l| l.trim() == "acct_unique") {
            return Err("sites-enabled/default: preacct does not run acct_unique".to_owned());
        }
        // `-sql` (optional: skipped if not loaded) becomes a mandatory `sql`
        Ok(map_lines(
            &replace_listen(text, &listen),
            |line| match line.trim() {
                "-sql" => Some(line.replacen("-sql", "sql", 1)),
                _ => Some(line.to_owned()),
            },
        ))
    })?;
    // no other site may bind anything (inner-tunnel's 127.0.0.1:18120, ...)
    let sites = fs::read_dir(raddb.join("sites-enabled")).map_err(ctx("sites-enabled"))?;
    for entry in sites.flatten() {
        if entry.file_name() != "default" {
            edit(&entry.path(), |text| Ok(replace_listen(text, "")))?;
        }
    }
    if let Mode::Sql(backend) = mode {
        write(
            &raddb.join("mods-enabled/sql"),
            &freeradius_sql::sql_module(backend),
        )?;
        freeradius_sql::install(raddb)?;
        edit(
            &raddb.join("sites-enabled/default"),
            freeradius_sql::wire_site,
        )?;
    }
    let clients = if opts.local_client {
        format!(
            "client harness {{\n\tipaddr = 127.0.0.1\n\tsecret = \"{secret}\"\n\tnas_type = other\n}}\n"
        )
    } else {
        String::new()
    };
    write(&raddb.join("clients.conf"), &clients)
}

/// Removes the top-level `listen { ... }` sections of a site file; the first
/// one is replaced by `replacement`.
fn replace_listen(text: &str, replacement: &str) -> String {
    let (mut out, mut depth, mut skip_to, mut replaced) = (String::new(), 0i64, None, false);
    for line in text.lines() {
        let code = line.split('#').next().unwrap_or_default();
        let starts_listen = code
            .trim_start()
            .strip_prefix("listen")
            .is_some_and(|r| r.trim_start().starts_with('{'));
        if skip_to.is_none() && starts_listen {
            skip_to = Some(depth);
            if !replaced {
                out.push_str(replacement);
                replaced = true;
            }
        }
        depth += code.matches('{').count() as i64 - code.matches('}').count() as i64;
        if let Some(start) = skip_to {
            if depth == start {
                skip_to = None;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Copies `src` into `dst` recursively, following symlinks (dangling ones are
/// skipped), so that the copy does not point back into `src`.
fn copy_tree(src: &Path, dst: &Path) -> Result<(), String> {
    fs::create_dir_all(dst).map_err(|e| format!("creating {}: {e}", dst.display()))?;
    let entries = fs::read_dir(src).map_err(|e| format!("reading {}: {e}", src.display()))?;
    for entry in entries.flatten() {
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        let Ok(meta) = fs::metadata(&from) else {
            continue;
        };
        if meta.is_dir() {
            copy_tree(&from, &to)?;
        } else {
            fs::copy(&from, &to).map_err(|e| format!("copying {}: {e}", from.display()))?;
        }
    }
    Ok(())
}

/// Applies `f` to every line (`None` drops the line).
fn map_lines(text: &str, f: impl Fn(&str) -> Option<String>) -> String {
    text.lines().filter_map(f).map(|l| l + "\n").collect()
}

/// Rewrites a file through `f`.
fn edit(path: &Path, f: impl FnOnce(&str) -> Result<String, String>) -> Result<(), String> {
    let text = fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    write(path, &f(&text)?)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}
