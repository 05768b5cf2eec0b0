//! SQL mode of the private FreeRADIUS ([`super::freeradius::FreeRadius::start`]): the `sql`
//! module for a backend and what docs/freeradius.md tells operators to add from the
//! repository's `freeradius/sql/` — the usage counters (`owums_sqlcounter` with its queries
//! per dialect, `owums_limits` after `sql` in authorize), `owums_mac` (MAC spellings) before
//! `sql` in authorize and `owums_forget_password` before `sql` in post-auth.

use std::fs;
use std::path::{Path, PathBuf};

use super::freeradius::SqlBackend;
use super::radclient::escape;

/// The repository's SQL-mode configuration.
fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../freeradius/sql")
}

/// FreeRADIUS' name of the backend's SQL dialect.
fn dialect(backend: &SqlBackend) -> &'static str {
    match backend {
        SqlBackend::Sqlite { .. } => "sqlite",
        SqlBackend::Postgres { .. } => "postgresql",
        SqlBackend::Mysql { .. } => "mysql",
    }
}

/// Installs `freeradius/sql/` into `raddb` as docs/freeradius.md says: the counters module
/// enabled, their queries for every dialect, the policies.
pub(crate) fn install(raddb: &Path) -> Result<(), String> {
    let from = shipped();
    let copy = |src: PathBuf, dst: PathBuf| {
        fs::copy(&src, &dst)
            .map(|_| ())
            .map_err(|e| format!("copying {} to {}: {e}", src.display(), dst.display()))
    };
    copy(
        from.join("mods-available/owums_sqlcounter"),
        raddb.join("mods-enabled/owums_sqlcounter"),
    )?;
    copy(from.join("policy.d/owums"), raddb.join("policy.d/owums"))?;
    for d in ["sqlite", "postgresql", "mysql"] {
        let src = from.join("mods-config/sql/counter").join(d);
        let dst = raddb.join("mods-config/sql/counter").join(d);
        fs::create_dir_all(&dst).map_err(|e| format!("creating {}: {e}", dst.display()))?;
        let files = fs::read_dir(&src).map_err(|e| format!("reading {}: {e}", src.display()))?;
        for f in files.flatten() {
            copy(f.path(), dst.join(f.file_name()))?;
        }
    }
    Ok(())
}

/// The default site with `owums_mac` right before and `owums_limits` right after `sql` in
/// authorize, and
/// `owums_forget_password` right before each `sql` of post-auth (Post-Auth-Type REJECT
/// included). Fails when a section has no `sql` to anchor on.
pub(crate) fn wire_site(text: &str) -> Result<String, String> {
    let (mut out, mut depth, mut section) = (String::new(), 0i64, String::new());
    let (mut limits, mut forget) = (0, 0);
    for line in text.lines() {
        let code = line.split('#').next().unwrap_or_default();
        let trimmed = code.trim();
        // sections of `server default { ... }` are at depth 1
        if depth == 1 && trimmed.ends_with('{') {
            section = trimmed.trim_end_matches('{').trim().to_owned();
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        match (trimmed, section.as_str()) {
            ("sql", "authorize") => {
                out.push_str(&format!(
                    "{indent}owums_mac\n{line}\n{indent}owums_limits\n"
                ));
                limits += 1;
            }
            ("sql", "post-auth") => {
                out.push_str(&format!("{indent}owums_forget_password\n{line}\n"));
                forget += 1;
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
        depth += code.matches('{').count() as i64 - code.matches('}').count() as i64;
    }
    if limits != 1 || forget != 2 {
        return Err(format!(
            "sites-enabled/default: expected `sql` once in authorize and twice in post-auth, \
             found {limits} and {forget}"
        ));
    }
    Ok(out)
}

/// The `sql` module instance for `backend`.
pub(crate) fn sql_module(backend: &SqlBackend) -> String {
    let connection = match backend {
        // as docs/freeradius.md says: a commit in WAL mode without a wait for the disk, as
        // owums' own connections do
        SqlBackend::Sqlite { path } => format!(
            "\topen_query = \"PRAGMA synchronous = NORMAL\"\n\
             \tsqlite {{\n\t\tfilename = \"{}\"\n\t\tbusy_timeout = 5000\n\t}}\n",
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
    // no `mysql { tls { ... } }` section: TLS is not required
    let dialect = dialect(backend);
    // `max`: as many connections as FreeRADIUS has threads (`max_servers`, 32): a request
    // that finds every connection taken fails (threaded runs; `-X` uses one)
    format!(
        "sql {{\n\tdialect = \"{dialect}\"\n\tdriver = \"rlm_sql_{dialect}\"\n{connection}\
         \tacct_table1 = \"radacct\"\n\tacct_table2 = \"radacct\"\n\tpostauth_table = \"radpostauth\"\n\
         \tauthcheck_table = \"radcheck\"\n\tgroupcheck_table = \"radgroupcheck\"\n\
         \tauthreply_table = \"radreply\"\n\tgroupreply_table = \"radgroupreply\"\n\
         \tusergroup_table = \"radusergroup\"\n\tdelete_stale_sessions = yes\n\
         \tpool {{\n\t\tstart = 1\n\t\tmin = 1\n\t\tmax = 32\n\t\tspare = 1\n\t\tuses = 0\n\
         \t\tretry_delay = 1\n\t\tlifetime = 0\n\t\tidle_timeout = 60\n\t}}\n\
         \tread_clients = yes\n\tclient_table = \"nas\"\n\tgroup_attribute = \"SQL-Group\"\n\
         \t$INCLUDE ${{modconfdir}}/${{.:name}}/main/${{dialect}}/queries.conf\n}}\n"
    )
}
