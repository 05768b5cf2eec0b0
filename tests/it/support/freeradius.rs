//! A private FreeRADIUS (`freeradius -f -X`) wired to an SQL database through
//! rlm_sql ([`FreeRadius::start`]) or to owums' REST API through rlm_rest with the
//! repository's `freeradius/rest/` configuration ([`FreeRadius::start_rest`]), plus
//! `radclient` helpers to talk to it.
//!
//! Every [`FreeRadius`] gets a copy of `/etc/freeradius/3.0` in a temporary
//! directory with: loopback listeners on free UDP ports (no fixed-port
//! listener anywhere), `sql` in authorize/accounting/post-auth of the default
//! site, `read_clients = yes` (clients from the `nas` table, read at startup),
//! no user/group switch, `reject_delay = 0` and logs kept in the temporary
//! directory. Instances are independent, so tests may run in parallel.
//!
//! Requires the Debian packages `freeradius`, `freeradius-utils` and the
//! driver package of the backend used (`freeradius-postgresql`,
//! `freeradius-mysql`); the schema must already exist in the database.
#![allow(dead_code)]

use std::collections::hash_map::RandomState;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

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

/// What `radclient` received.
#[derive(Debug, Clone, Default)]
pub(crate) struct RadiusReply {
    /// Reply code ("Access-Accept", "Access-Reject", "Accounting-Response",
    /// ...), `None` when no (valid) reply arrived.
    pub(crate) code: Option<String>,
    /// Reply attributes in order, values without surrounding quotes.
    pub(crate) attributes: Vec<(String, String)>,
    /// radclient's stdout and stderr, for assertion messages.
    pub(crate) raw: String,
}

impl RadiusReply {
    /// The value of the first reply attribute called `name`.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// All values of the reply attributes called `name`.
    pub(crate) fn attrs(&self, name: &str) -> Vec<&str> {
        self.attributes
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// True for an Access-Accept.
    pub(crate) fn is_accept(&self) -> bool {
        self.code.as_deref() == Some("Access-Accept")
    }

    /// True for an Access-Reject.
    pub(crate) fn is_reject(&self) -> bool {
        self.code.as_deref() == Some("Access-Reject")
    }
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
            .args(["-f", "-X", "-d"])
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

/// Runs `radclient -x` (one try, 3 s timeout) and parses what it printed.
fn radclient(server: &str, kind: &str, secret: &str, input: &str) -> RadiusReply {
    let run = || -> Result<RadiusReply, String> {
        let mut child = Command::new("radclient")
            .args(["-x", "-r", "1", "-t", "3", server, kind, secret])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(ctx("spawning radclient"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input.as_bytes())
                .map_err(ctx("writing to radclient"))?;
        }
        let out = child.wait_with_output().map_err(ctx("running radclient"))?;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        Ok(parse_reply(&text(&out.stdout), &text(&out.stderr)))
    };
    run().unwrap_or_else(|raw| RadiusReply {
        raw,
        ..Default::default()
    })
}

/// Parses `radclient -x` output: the "Received <Code> Id ..." line and the
/// tab-indented attribute lines after it.
fn parse_reply(stdout: &str, stderr: &str) -> RadiusReply {
    let mut reply = RadiusReply {
        raw: format!("{stdout}{stderr}"),
        ..Default::default()
    };
    let mut in_reply = false;
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("Received ") {
            reply.code = rest.split_whitespace().next().map(str::to_owned);
            reply.attributes.clear();
            in_reply = true;
        } else if !line.starts_with(char::is_whitespace) {
            in_reply = false;
        } else if in_reply && let Some((name, value)) = line.trim().split_once(" = ") {
            reply.attributes.push((name.to_owned(), unquote(value)));
        }
    }
    reply
}

/// Escapes a value for a double-quoted radclient / FreeRADIUS string.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

/// Removes surrounding double quotes and undoes [`escape`].
fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
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
fn ctx<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> String + '_ {
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
        write(&raddb.join("mods-enabled/sql"), &sql_module(backend))?;
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

/// The `sql` module instance for `backend`.
fn sql_module(backend: &SqlBackend) -> String {
    let connection = match backend {
        SqlBackend::Sqlite { path } => format!(
            "\tsqlite {{\n\t\tfilename = \"{}\"\n\t\tbusy_timeout = 5000\n\t}}\n",
            escape(&path.display().to_string())
        ),
        SqlBackend::Postgres {
            host,
            port,
            user,
            password,
            database,
        }
        | SqlBackend::Mysql {
            host,
            port,
            user,
            password,
            database,
        } => format!(
            "\tserver = \"{}\"\n\tport = {port}\n\tlogin = \"{}\"\n\tpassword = \"{}\"\n\tradius_db = \"{}\"\n",
            escape(host),
            escape(user),
            escape(password),
            escape(database)
        ),
    };
    let (dialect, driver) = match backend {
        SqlBackend::Sqlite { .. } => ("sqlite", "rlm_sql_sqlite"),
        SqlBackend::Postgres { .. } => ("postgresql", "rlm_sql_postgresql"),
        // no `mysql { tls { ... } }` section: TLS is not required
        SqlBackend::Mysql { .. } => ("mysql", "rlm_sql_mysql"),
    };
    format!(
        "sql {{\n\tdialect = \"{dialect}\"\n\tdriver = \"{driver}\"\n{connection}\
         \tacct_table1 = \"radacct\"\n\tacct_table2 = \"radacct\"\n\tpostauth_table = \"radpostauth\"\n\
         \tauthcheck_table = \"radcheck\"\n\tgroupcheck_table = \"radgroupcheck\"\n\
         \tauthreply_table = \"radreply\"\n\tgroupreply_table = \"radgroupreply\"\n\
         \tusergroup_table = \"radusergroup\"\n\tdelete_stale_sessions = yes\n\
         \tpool {{\n\t\tstart = 1\n\t\tmin = 1\n\t\tmax = 4\n\t\tspare = 1\n\t\tuses = 0\n\
         \t\tretry_delay = 1\n\t\tlifetime = 0\n\t\tidle_timeout = 60\n\t}}\n\
         \tread_clients = yes\n\tclient_table = \"nas\"\n\tgroup_attribute = \"SQL-Group\"\n\
         \t$INCLUDE ${{modconfdir}}/${{.:name}}/main/${{dialect}}/queries.conf\n}}\n"
    )
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
