//! Storage on SQLite, PostgreSQL and MySQL/MariaDB: one schema, migrations per backend,
//! and a [`Store`] facade whose methods run on whichever backend is configured.
//!
//! ## Backends
//!
//! The URL scheme picks the [`Backend`]. SQLite (bundled, no server) goes through diesel's
//! synchronous connection on tokio's blocking pool; its connections run in WAL mode with a
//! busy timeout and foreign keys on, because FreeRADIUS writes the same file from another
//! process. PostgreSQL and MySQL go through diesel-async's native drivers (no C client
//! library to build or install). Sessions on every backend use UTC; times are stored in UTC
//! and octet counters as 64-bit integers.
//!
//! ## Layout
//!
//! One file per table or aggregate, grouped like the domain modules, each adding methods
//! to [`Store`] with `impl Store` blocks:
//!
//! - `subscriber/`: users with their RADIUS password (`users`), profile changes
//!   (`profile`), web sessions (`sessions`), password-reset links (`password_resets`),
//!   plugin state and the plugin-facing traits (`plugin_state`).
//! - `radius/`: groups and per-user attributes (`groups`), the reads of REST authorize
//!   (`authorize`), the views FreeRADIUS reads (`radius_view`), `nas`, `radpostauth`.
//! - `accounting/`: `radacct`, the SQL accounting sink, accounting in groups per
//!   transaction (`acct_groups`), maintenance, a subscriber's usage.
//! - At the root: the pool and `db_run!` (`conn`), migrations, the diesel `schema`, the
//!   dialect-neutral SQL templates for `radacct`/`radpostauth` (`sql`), runtime settings,
//!   the mail outbox, job leases and the rate-limit counters (`rate_limits`).
//! - `operator`: the console's operators, their recovery codes, the audit log and the
//!   first-run link.
//!
//! Queries are written once in the diesel DSL and compiled per backend by the `db_run!`
//! macro. FreeRADIUS' own tables whose column types differ per dialect (`radacct`,
//! `radpostauth`) are reached with SQL templates rendered once per backend. What FreeRADIUS
//! reads for authorization (`radcheck`, `radreply`, `radusergroup`) are views over owums'
//! own tables, so a subscriber who stops being valid disappears from them at once.
//!
//! ```no_run
//! use owums_core::{config::DatabaseConfig, Store};
//! # async fn demo() -> owums_core::Result<()> {
//! let config = DatabaseConfig { url: "postgres://owums:secret@localhost/owums".into(), ..Default::default() };
//! let store = Store::connect(&config).await?;          // fails if the server does not answer
//! let applied = store.migrate().await?;                // versions applied now, if any
//! assert!(store.pending_migrations().await?.is_empty());
//! # let _ = applied; Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel_async::pooled_connection::deadpool::Pool as DeadPool;
use diesel_async::{AsyncMysqlConnection, AsyncPgConnection};

use crate::config::{DatabaseConfig, redact_url};
use crate::error::{Error, Result};

pub(crate) mod accounting;
pub(crate) mod conn;
mod leases;
mod migrations;
pub(crate) mod operator;
pub(crate) mod operator_tokens;
mod outbox;
pub(crate) mod radius;
mod rate_limits;
pub(crate) mod schema;
mod settings;
mod sql;
pub(crate) mod subscriber;

pub use accounting::maintenance::{STALE_INVALID, STALE_RECALCULATED, StaleCleanup};
pub use accounting::radacct::{RadAcctRecord, SqlAccountingSink};
pub(crate) use accounting::usage::UsageRow;
pub use conn::Backend;
pub(crate) use outbox::{AttemptResult, NewMailRow};
pub use outbox::{MailState, NewMail, OutboxRecord};
pub use radius::authorize::{ProfileAttribute, ProfileSource, UsageSums};
pub use radius::groups::{GroupRecord, NewGroup};
pub use radius::items::{AttributeItem, AttributeOwner};
pub use radius::nas::{NasRecord, NewNas};
pub use radius::postauth::PostAuthRecord;
pub use radius::radius_view::RadiusView;
pub use rate_limits::RateWindow;
pub(crate) use subscriber::password_resets::{PasswordWrite, TokenProblem};
pub(crate) use subscriber::profile::{PasswordRows, ProfileChanges};
pub use subscriber::users::NewUserRow;
pub(crate) use subscriber::users::{StateChange, now_utc, to_second};

use conn::{Pool, SqliteConn};

/// The database: a pool of connections to one backend. Cheap to clone.
///
/// Every clone shares the pool, so make one at startup and hand clones to the services
/// ([`Subscribers`](crate::Subscribers), [`Settings`](crate::Settings),
/// [`WebSessions`](crate::subscriber::WebSessions), the [`radius::Authorizer`](crate::radius::Authorizer)).
/// Its methods are grouped by table in the submodules of [`storage`](crate::storage); each one takes
/// a connection from the pool for the time of its statement or transaction. On
/// PostgreSQL a second pool carries accounting writes, whose sessions plan each statement
/// for its values (see `docs/architecture.md`).
///
/// `Debug` shows the backend and the URL with its password masked.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    /// PostgreSQL: the connections accounting is written on (see `conn::POSTGRES_ACCOUNTING_SETUP`).
    pub(crate) accounting_pool: Option<DeadPool<AsyncPgConnection>>,
    backend: Backend,
    url: String,
    /// Bumped after every write of this process to users, their RADIUS items or groups
    /// (by `conn::db_run!`).
    user_writes: Arc<AtomicU64>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("url", &redact_url(&self.url))
            .finish()
    }
}

impl Store {
    /// Connects to the database of `config` and checks that it answers.
    ///
    /// No table is created: a missing SQLite file is created empty by the first
    /// connection, its tables only by [`Store::migrate`]. Use [`Store::connect_migrated`] when the
    /// tables must already exist.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a URL with an unknown scheme; [`Error::Storage`] when the pool
    /// cannot be built (the SQLite file's folder does not exist) or the database does not
    /// answer, with the URL's password masked in the message.
    pub async fn connect(config: &DatabaseConfig) -> Result<Store> {
        let backend = Backend::from_url(&config.url)?;
        let pool = Pool::new(backend, config)?;
        // connections are opened when first used: nothing for a store that writes no accounting
        let accounting_pool = match backend {
            Backend::Postgres => Some(conn::postgres_pool(
                &conn::driver_url(backend, &config.url),
                conn::POSTGRES_ACCOUNTING_SETUP,
                config,
            )?),
            _ => None,
        };
        let store = Store {
            pool,
            accounting_pool,
            backend,
            url: config.url.clone(),
            user_writes: Arc::default(),
        };
        store.ping().await.map_err(|e| {
            Error::storage(format!(
                "cannot connect to the database at {}: {}",
                redact_url(&config.url),
                strip(&e)
            ))
        })?;
        Ok(store)
    }

    /// The backend in use, chosen by the URL's scheme.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How many writes to users, their RADIUS check and reply items, their group memberships
    /// or groups this store (and its clones) made. A cache of such data read when the count
    /// was `n` is current for this process while the count is still `n`.
    pub fn user_writes(&self) -> u64 {
        self.user_writes.load(Ordering::Acquire)
    }

    /// Counts one write to users or groups when dropped, after the write is done: what
    /// `db_run!` holds around its body.
    pub(crate) fn user_write(&self) -> UserWrite<'_> {
        UserWrite(&self.user_writes)
    }

    /// The first column (text, named `v`) of every row `sql` returns, run on a connection of
    /// the accounting pool (PostgreSQL; for tests looking at those sessions).
    #[cfg(feature = "test-support")]
    pub(crate) async fn accounting_strings(&self, sql: &str) -> Result<Vec<String>> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            v: String,
        }
        let pool = self
            .accounting_pool
            .as_ref()
            .ok_or_else(|| Error::Internal("no accounting pool: PostgreSQL only".to_owned()))?;
        let conn = pool.get().await.map_err(conn::pool_error)?;
        let rows: Vec<Row> = sql::pg_load(&conn, sql, &[]).await?;
        Ok(rows.into_iter().map(|r| r.v).collect())
    }

    /// Runs a trivial query: `Ok` when the database answers (`GET /healthz` calls it).
    pub async fn ping(&self) -> Result<()> {
        use diesel_async::SimpleAsyncConnection;
        conn::db_run!(self, read c => c.batch_execute("SELECT 1").await.map_err(Error::from))
    }

    /// Versions of the migrations this binary has that the database has not applied.
    /// Every version is pending on a database never migrated.
    pub async fn pending_migrations(&self) -> Result<Vec<String>> {
        #[derive(diesel::QueryableByName)]
        struct Applied {
            #[diesel(sql_type = diesel::sql_types::Text)]
            version: String,
        }
        // A database never migrated has no bookkeeping table: everything is pending.
        let applied: Vec<Applied> = self
            .load_sql("SELECT version FROM __diesel_schema_migrations", &[])
            .await
            .unwrap_or_default();
        Ok(migrations::versions(self.backend)
            .into_iter()
            .filter(|v| !applied.iter().any(|a| &a.version == v))
            .collect())
    }

    /// Connects to a database that must already exist and be migrated (what every command
    /// but `migrate` and `serve` needs): nothing is created, and the error says what to do.
    pub async fn connect_migrated(config: &DatabaseConfig) -> Result<Store> {
        if Backend::from_url(&config.url)? == Backend::Sqlite {
            let path = conn::sqlite_path(&config.url);
            if !std::path::Path::new(path).exists() {
                return Err(Error::Config(format!(
                    "the database file {path} does not exist: run `owums migrate` to create it"
                )));
            }
        }
        let store = Store::connect(config).await?;
        let pending = store.pending_migrations().await?;
        if !pending.is_empty() {
            return Err(Error::Config(format!(
                "the database at {} is not up to date ({} migrations pending): run `owums migrate`",
                redact_url(&config.url),
                pending.len()
            )));
        }
        Ok(store)
    }

    /// Applies pending migrations; returns the versions applied (empty when the database
    /// was up to date).
    ///
    /// Runs on a connection of its own, outside the pool. Migrations are embedded in the
    /// binary, one folder per backend with the same names (`owums-core/migrations/`), and
    /// each runs in a transaction where the backend allows DDL in one.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the connection fails or a migration fails; the migrations
    /// applied before it stay applied.
    pub async fn migrate(&self) -> Result<Vec<String>> {
        let url = conn::driver_url(self.backend, &self.url);
        match self.backend {
            Backend::Sqlite => {
                migrations::run::<SqliteConn>(&url, &conn::sqlite_setup(5000), migrations::SQLITE)
                    .await
            }
            Backend::Postgres => {
                migrations::run::<AsyncPgConnection>(
                    &url,
                    conn::POSTGRES_SETUP,
                    migrations::POSTGRES,
                )
                .await
            }
            Backend::Mysql => {
                migrations::run::<AsyncMysqlConnection>(&url, conn::MYSQL_SETUP, migrations::MYSQL)
                    .await
            }
        }
    }
}

/// Counts one write to what authorize reads when dropped ([`Store::user_write`]).
pub(crate) struct UserWrite<'a>(&'a AtomicU64);

impl Drop for UserWrite<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

fn strip(e: &Error) -> String {
    let s = e.to_string();
    let s = s.strip_prefix("database error: ").unwrap_or(&s);
    s.strip_prefix("no database connection: ")
        .unwrap_or(s)
        .replace('\n', " ")
}

/// A migrated SQLite store in a temporary file, for unit tests.
#[cfg(test)]
pub(crate) mod scratch {
    use super::Store;
    use crate::config::DatabaseConfig;

    /// The database file (and its WAL files), removed when dropped.
    pub(crate) struct ScratchFile(std::path::PathBuf);

    impl Drop for ScratchFile {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
            }
        }
    }

    /// A new migrated store named after `name`, writes waiting at most `busy_timeout_ms`.
    pub(crate) async fn sqlite_store(name: &str, busy_timeout_ms: u32) -> (Store, ScratchFile) {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_nanos();
        let path = std::env::temp_dir().join(format!("owums-{name}-{nanos}.db"));
        let config = DatabaseConfig {
            url: format!("sqlite://{}", path.display()),
            sqlite_busy_timeout_ms: busy_timeout_ms,
            ..DatabaseConfig::default()
        };
        let store = Store::connect(&config).await.expect("a scratch store");
        store.migrate().await.expect("migrated");
        (store, ScratchFile(path))
    }
}

#[cfg(test)]
mod tests {
    use diesel::ExpressionMethods;
    use diesel_async::RunQueryDsl;

    use super::*;
    use crate::storage::conn::db_run;
    use crate::storage::schema::owums_users;

    impl Store {
        /// A write no method of the crate makes, with nothing in it about the cache.
        async fn note_everyone(&self) -> Result<usize> {
            Ok(db_run!(self, c => diesel::update(owums_users::table)
                .set(owums_users::notes.eq("seen"))
                .execute(c)
                .await?))
        }

        /// A read.
        async fn count_notes(&self) -> Result<i64> {
            use diesel::QueryDsl;
            Ok(db_run!(self, read c => owums_users::table
                .filter(owums_users::notes.is_not_null())
                .count()
                .get_result(c)
                .await?))
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_that_waits_past_the_busy_timeout_says_the_database_is_busy() {
        let (store, _file) = scratch::sqlite_store("busy", 50).await;
        let conn::Pool::Sqlite(pools) = &store.pool else {
            unreachable!("a SQLite store")
        };
        let held = pools.write().await.unwrap();
        let e = store.note_everyone().await.unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Storage);
        assert!(e.to_string().contains("busy"), "{e}");
        // reads go on beside the writer
        assert_eq!(store.count_notes().await.unwrap(), 0);
        drop(held);
        store.note_everyone().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_write_is_counted_by_the_store_itself() {
        let (store, _file) = scratch::sqlite_store("writes", 5000).await;
        let before = store.user_writes();
        assert_eq!(store.count_notes().await.unwrap(), 0);
        assert_eq!(store.user_writes(), before, "a read is not a write");
        store.note_everyone().await.unwrap();
        assert_eq!(store.user_writes(), before + 1, "counted once it is done");
        let clone = store.clone();
        clone.note_everyone().await.unwrap();
        assert_eq!(store.user_writes(), before + 2, "clones share the count");
    }
}
