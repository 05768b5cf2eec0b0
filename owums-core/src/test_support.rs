//! Test helpers shared by the test suite and plugins: a fresh, migrated database per test
//! on every backend (SQLite in a temp file; PostgreSQL and MySQL as a new database dropped
//! afterwards, on the servers named by `OWUMS_TEST_POSTGRES_URL` / `OWUMS_TEST_MYSQL_URL`).
//!
//! When a server's URL is not set the test is skipped with a message, unless `CI` is set:
//! then it fails, so CI never passes by skipping a backend.
//!
//! Behind the `test-support` feature; add it to a crate's dev-dependencies:
//!
//! ```toml
//! [dev-dependencies]
//! owums-core = { workspace = true, features = ["test-support"] }
//! ```
//!
//! A test usually runs once per backend:
//!
//! ```no_run
//! use owums_core::storage::Backend;
//! use owums_core::test_support::TestDb;
//!
//! # async fn demo() -> owums_core::Result<()> {
//! for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
//!     let Some(db) = TestDb::new(backend).await else { continue }; // not configured here
//!     db.exec("INSERT INTO nas (nasname, shortname, secret) VALUES ('10.0.0.1', 'ap1', 'x')").await?;
//!     assert_eq!(db.store.list_nas().await?.len(), 1);
//! } // each database is dropped here
//! # Ok(()) }
//! ```
//!
//! The server databases are named `owums_test_<random>`, so tests run in parallel on one
//! server; the admin URL's user needs the right to create and drop databases.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, AsyncPgConnection, SimpleAsyncConnection,
};

use crate::config::DatabaseConfig;
use crate::storage::{Backend, Store};

/// Environment variable with the URL of a PostgreSQL server allowed to create databases.
pub const POSTGRES_URL_VAR: &str = "OWUMS_TEST_POSTGRES_URL";
/// Environment variable with the URL of a MySQL/MariaDB server allowed to create databases.
pub const MYSQL_URL_VAR: &str = "OWUMS_TEST_MYSQL_URL";

/// A migrated database that exists for one test.
///
/// Dropping it deletes the database (the SQLite temp folder, or `DROP DATABASE` on the
/// server, from a thread of its own since `Drop` cannot await). A test that panics still
/// drops it.
#[derive(Debug)]
pub struct TestDb {
    /// The store on it (pool of 4 connections).
    pub store: Store,
    /// Its URL (what FreeRADIUS or the `owums` command should use).
    pub url: String,
    /// Connection details for external programs.
    pub params: DbParams,
    backend: Backend,
    admin_url: Option<String>,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

/// Where a test database lives, for programs other than owums (FreeRADIUS, clients).
#[derive(Debug, Clone)]
pub enum DbParams {
    /// SQLite file.
    Sqlite {
        /// Path of the file.
        path: std::path::PathBuf,
    },
    /// A server database.
    Server {
        /// Host name or address of the database server, from the admin URL.
        host: String,
        /// TCP port (the URL's, or 5432 for PostgreSQL and 3306 for MySQL).
        port: u16,
        /// User name to log in with, from the admin URL.
        user: String,
        /// That user's password (empty when the URL has none).
        password: String,
        /// The test database's name (`owums_test_<random>`).
        database: String,
    },
}

/// The admin URL of `backend` from the environment; `None` means skip (outside CI).
///
/// SQLite needs no server: it always answers `Some("")`.
///
/// # Panics
///
/// When the variable is unset and `CI` is set.
pub fn server_url(backend: Backend) -> Option<String> {
    let var = match backend {
        Backend::Sqlite => return Some(String::new()),
        Backend::Postgres => POSTGRES_URL_VAR,
        Backend::Mysql => MYSQL_URL_VAR,
    };
    match std::env::var(var) {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{var} is not set, and CI requires every backend")
        }
        _ => {
            eprintln!("skipped: {var} not set");
            None
        }
    }
}

/// Splits `scheme://user:password@host:port/db` into its parts.
fn parts(url: &str) -> (String, String, String, u16, String) {
    let (scheme, rest) = url.split_once("://").expect("URL with a scheme");
    let (creds, hostpart) = rest.rsplit_once('@').unwrap_or(("", rest));
    let (user, password) = creds.split_once(':').unwrap_or((creds, ""));
    let (hostport, db) = hostpart.split_once('/').unwrap_or((hostpart, ""));
    let db = db.split('?').next().unwrap_or_default();
    let default_port = if scheme.starts_with("postgres") {
        5432
    } else {
        3306
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h.to_owned(), p.parse().unwrap_or(default_port)),
        None => (hostport.to_owned(), default_port),
    };
    (
        user.to_owned(),
        password.to_owned(),
        host,
        port,
        db.to_owned(),
    )
}

fn with_database(url: &str, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("URL with a scheme");
    let base = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{base}/{db}")
}

async fn admin_exec(backend: Backend, admin_url: &str, sql: &str) -> Result<(), String> {
    match backend {
        Backend::Postgres => {
            let mut c = AsyncPgConnection::establish(admin_url)
                .await
                .map_err(|e| e.to_string())?;
            c.batch_execute(sql).await.map_err(|e| e.to_string())
        }
        Backend::Mysql => {
            let mut c = AsyncMysqlConnection::establish(admin_url)
                .await
                .map_err(|e| e.to_string())?;
            c.batch_execute(sql).await.map_err(|e| e.to_string())
        }
        Backend::Sqlite => Ok(()),
    }
}

impl TestDb {
    /// A fresh migrated database on `backend`, or `None` when the backend is not configured
    /// (outside CI).
    ///
    /// # Panics
    ///
    /// When the server cannot create the database or a migration fails: a test cannot go
    /// on without it.
    pub async fn new(backend: Backend) -> Option<TestDb> {
        let db = Self::empty(backend).await?;
        db.store.migrate().await.expect("migrations run");
        Some(db)
    }

    /// A fresh database without migrations, to test the migrations themselves or
    /// [`Store::connect_migrated`]'s refusal.
    pub async fn empty(backend: Backend) -> Option<TestDb> {
        let admin_url = server_url(backend)?;
        let name = format!("owums_test_{}", uuid::Uuid::new_v4().simple());
        let (url, params, dir, admin) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("owums.db");
                let url = format!("sqlite://{}", path.display());
                (url, DbParams::Sqlite { path }, Some(dir), None)
            }
            _ => {
                admin_exec(backend, &admin_url, &format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap_or_else(|e| {
                        panic!("cannot create a {} test database: {e}", backend.as_str())
                    });
                let url = with_database(&admin_url, &name);
                let (user, password, host, port, _) = parts(&url);
                let params = DbParams::Server {
                    host,
                    port,
                    user,
                    password,
                    database: name.clone(),
                };
                (url, params, None, Some(admin_url))
            }
        };
        let config = DatabaseConfig {
            url: url.clone(),
            pool_size: 4,
            ..DatabaseConfig::default()
        };
        let store = Store::connect(&config)
            .await
            .expect("test database reachable");
        Some(TestDb {
            store,
            url,
            params,
            backend,
            admin_url: admin,
            name,
            _dir: dir,
        })
    }

    /// The backend this database is on.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(admin) = self.admin_url.clone() else {
            return;
        };
        let backend = self.backend;
        let sql = match backend {
            Backend::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            _ => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        // Drop runs inside the test's runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            if let Err(e) = rt.block_on(admin_exec(backend, &admin, &sql)) {
                eprintln!("could not drop test database: {e}");
            }
        })
        .join();
    }
}

impl TestDb {
    /// Runs raw SQL (e.g. what FreeRADIUS' stock queries would send); several statements
    /// may be separated by `;`. Nothing is returned: use [`TestDb::strings`] to read.
    pub async fn exec(&self, sql: &str) -> crate::Result<()> {
        crate::storage::conn::db_run!(self.store, untracked c => c.batch_execute(sql).await.map_err(crate::Error::from))
    }
}

impl TestDb {
    /// The first column (text, named `v`) of every row `sql` returns: write
    /// `SELECT username AS v FROM …`, casting non-text columns.
    pub async fn strings(&self, sql: &str) -> crate::Result<Vec<String>> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            v: String,
        }
        let rows: Vec<Row> = self.store.load_sql(sql, &[]).await?;
        Ok(rows.into_iter().map(|r| r.v).collect())
    }
}

/// The first column (text, named `v`) of every row `sql` returns on a connection of `store`'s
/// accounting pool (PostgreSQL): with a pool size of 1, the session accounting was written on.
pub async fn accounting_strings(store: &Store, sql: &str) -> crate::Result<Vec<String>> {
    store.accounting_strings(sql).await
}
