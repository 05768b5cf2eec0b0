//! The connection pool over the three backends, and the `db_run!` macro that runs the same
//! diesel code on whichever one is configured.
//!
//! A [`Pool`] is an enum of three deadpool pools, one per connection type. Every new
//! connection runs its backend's setup first (SQLite pragmas, the session time zone) and
//! is checked when taken from the pool only where the driver cannot tell by itself that it
//! was closed (MySQL). SQLite has two: readers, and the one connection every write of the
//! process goes through ([`SqlitePools`]). Diesel errors become core [`Error`]s here: a unique-constraint
//! violation is an [`Error::Conflict`] naming the column, `NotFound` an
//! [`Error::NotFound`], anything else an [`Error::Storage`] that keeps the driver's error
//! as its source.

use std::time::Duration;

use diesel::SqliteConnection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::{Object, Pool as DeadPool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, AsyncPgConnection, SimpleAsyncConnection,
};

use crate::config::{DatabaseConfig, redact_url};
use crate::error::{Error, Result};

/// SQLite through diesel's synchronous connection, run on the blocking pool.
pub(crate) type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// Which database engine a URL names.
///
/// ```
/// use owums_core::storage::Backend;
/// assert_eq!(Backend::from_url("sqlite:///var/lib/owums/owums.db")?, Backend::Sqlite);
/// assert_eq!(Backend::from_url("mariadb://radius@db/radius")?, Backend::Mysql);
/// assert!(Backend::from_url("owums.db").is_err()); // a scheme is required
/// # Ok::<(), owums_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Embedded SQLite (`sqlite://path`: `sqlite://owums.db` is relative to the working
    /// directory, `sqlite:///var/lib/owums/owums.db` absolute).
    Sqlite,
    /// PostgreSQL (`postgres://` or `postgresql://`).
    Postgres,
    /// MySQL or MariaDB (`mysql://` or `mariadb://`).
    Mysql,
}

impl Backend {
    /// Reads the engine from the URL scheme; an explicit scheme is required.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for any other scheme, naming the URL with its password masked.
    pub fn from_url(url: &str) -> Result<Backend> {
        let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("sqlite") => Ok(Backend::Sqlite),
            Some("postgres" | "postgresql") => Ok(Backend::Postgres),
            Some("mysql" | "mariadb") => Ok(Backend::Mysql),
            _ => Err(Error::Config(format!(
                "database.url `{}` must start with sqlite://, postgres:// or mysql://",
                redact_url(url)
            ))),
        }
    }

    /// Lowercase name (`sqlite`, `postgres`, `mysql`), as logged at startup.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        }
    }
}

/// A pool of one backend's connections; `db_run!` matches on it.
#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePools),
    Postgres(DeadPool<AsyncPgConnection>),
    Mysql(DeadPool<AsyncMysqlConnection>),
}

/// The path part of a `sqlite://` URL.
pub(crate) fn sqlite_path(url: &str) -> &str {
    url.split_once("://").map_or(url, |(_, p)| p)
}

/// The URL the driver gets (`mariadb://` is spelt `mysql://` for it).
pub(crate) fn driver_url(backend: Backend, url: &str) -> String {
    match backend {
        Backend::Sqlite => sqlite_path(url).to_owned(),
        Backend::Mysql => url.replacen("mariadb://", "mysql://", 1),
        Backend::Postgres => url.to_owned(),
    }
}

/// Opens a connection of `backend` and sets the session up the way owums needs it
/// (`setup` is one of the `*_SETUP` batches); used by the pools and by migrations.
pub(crate) async fn establish<C>(url: &str, setup: &str) -> diesel::ConnectionResult<C>
where
    C: AsyncConnection + SimpleAsyncConnection,
{
    let mut conn = C::establish(url).await?;
    conn.batch_execute(setup)
        .await
        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}

/// The pragmas of every SQLite connection: wait `busy_timeout_ms` for the write lock
/// (FreeRADIUS writes the same file), WAL so readers never block the writer, `NORMAL`
/// synchronisation (safe in WAL mode: a power cut loses at most the last transactions,
/// never the file), foreign keys enforced (SQLite leaves them off by default).
pub(crate) fn sqlite_setup(busy_timeout_ms: u32) -> String {
    format!(
        "PRAGMA busy_timeout = {busy_timeout_ms}; PRAGMA journal_mode = WAL; \
         PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
    )
}
/// The setup of every PostgreSQL session but accounting's: times in UTC.
pub(crate) const POSTGRES_SETUP: &str = "SET TIME ZONE 'UTC'";
/// The sessions that write accounting (`Store::accounting_pool`) also plan every prepared
/// statement for its values and the table as it is when it runs. PostgreSQL otherwise
/// switches a statement to one generic plan after five runs and keeps it until the table is
/// analyzed again: a plan made while `radacct` was empty (just migrated, or analyzed empty,
/// with autovacuum off or not run yet) scans the whole table for each accounting packet,
/// however big it has grown, for as long as the connection lives. These statements are
/// simple, and planning them anew costs nothing measurable; the parse stays cached. The
/// reads of authorize are not simple: planned on every run they cost twice the database
/// CPU, so the other sessions keep PostgreSQL's default and rely on autovacuum (on by
/// default) to re-plan them as the tables grow.
pub(crate) const POSTGRES_ACCOUNTING_SETUP: &str =
    "SET TIME ZONE 'UTC'; SET plan_cache_mode = force_custom_plan";
/// The setup of every MySQL/MariaDB session: times in UTC (`TIMESTAMP` columns are
/// converted to and from the session's zone).
pub(crate) const MYSQL_SETUP: &str = "SET time_zone = '+00:00'";

/// Builds a deadpool of connection type `$conn` whose connections run `$setup` first and are
/// checked with `$recycling` when taken from the pool.
macro_rules! build_pool {
    ($conn:ty, $url:expr, $setup:expr, $config:expr, $recycling:expr) => {{
        let wait = Duration::from_secs($config.connect_timeout_seconds.max(1));
        build_pool!(
            $conn,
            $url,
            $setup,
            $config,
            $recycling,
            $config.pool_size as usize,
            wait
        )
    }};
    ($conn:ty, $url:expr, $setup:expr, $config:expr, $recycling:expr, $size:expr, $wait:expr) => {{
        let setup: String = $setup;
        let mut manager_config = ManagerConfig::<$conn>::default();
        manager_config.recycling_method = $recycling;
        manager_config.custom_setup = Box::new(move |url| {
            let url = url.to_owned();
            let setup = setup.clone();
            Box::pin(async move { establish::<$conn>(&url, &setup).await })
        });
        let manager = AsyncDieselConnectionManager::<$conn>::new_with_config($url, manager_config);
        let timeout = Some(Duration::from_secs($config.connect_timeout_seconds.max(1)));
        DeadPool::builder(manager)
            .max_size($size)
            .runtime(deadpool::Runtime::Tokio1)
            .create_timeout(timeout)
            .wait_timeout(Some($wait))
            .build()
            .map_err(|e| Error::storage(format!("cannot build the connection pool: {e}")))?
    }};
}

/// SQLite's connections: readers, and one writer.
///
/// SQLite lets one connection write at a time. Connections of the same process that want
/// to write at once would find the file locked and wait in SQLite's busy handler, which
/// polls by sleeping (1 ms, then 2, 5, 10 … 100 ms) instead of being woken when the lock is
/// free, so a write could sleep milliseconds for a lock released microseconds later, and
/// the order writes got the lock in was left to chance. So every write of this process goes
/// through one connection of its own, and writes queue for it in the order they came, each
/// woken the moment the one before is done; the busy handler is left for the other
/// processes on the file (FreeRADIUS in SQL mode, a second `owums`). Reads run on the reader pool beside it (WAL: a reader never waits for
/// the writer).
#[derive(Clone)]
pub(crate) struct SqlitePools {
    /// `database.pool_size` connections for reads.
    pub(crate) read: DeadPool<SqliteConn>,
    /// The writer: one connection, waited for at most `database.sqlite_busy_timeout_ms`.
    pub(crate) write: DeadPool<SqliteConn>,
    /// How long a write waits for its turn, for the error that says it waited too long.
    busy_timeout_ms: u32,
}

impl SqlitePools {
    /// A reader connection.
    pub(crate) async fn read(&self) -> Result<Object<SqliteConn>> {
        self.read.get().await.map_err(pool_error)
    }

    /// The writer connection, once the writes queued before have ended.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] ("the database is busy") when the turn did not come within the busy
    /// timeout, as SQLite itself answers a write that waited that long for the lock.
    pub(crate) async fn write(&self) -> Result<Object<SqliteConn>> {
        self.write.get().await.map_err(|e| match e {
            PoolError::Timeout(deadpool::managed::TimeoutType::Wait) => Error::storage(format!(
                "the database is busy: a write waited {} ms for its turn",
                self.busy_timeout_ms
            )),
            other => pool_error(other),
        })
    }
}

impl Pool {
    pub(crate) fn new(backend: Backend, config: &DatabaseConfig) -> Result<Pool> {
        let url = driver_url(backend, &config.url);
        Ok(match backend {
            Backend::Sqlite => {
                let parent = std::path::Path::new(&url)
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty());
                if parent.is_some_and(|dir| !dir.is_dir()) {
                    return Err(Error::storage(format!(
                        "the directory of {} does not exist",
                        config.url
                    )));
                }
                let setup = sqlite_setup(config.sqlite_busy_timeout_ms);
                let busy = Duration::from_millis(config.sqlite_busy_timeout_ms.max(1).into());
                // a file cannot go away like a server: no test query
                Pool::Sqlite(SqlitePools {
                    read: build_pool!(
                        SqliteConn,
                        url.clone(),
                        setup.clone(),
                        config,
                        RecyclingMethod::Fast
                    ),
                    write: build_pool!(
                        SqliteConn,
                        url,
                        setup,
                        config,
                        RecyclingMethod::Fast,
                        1,
                        busy
                    ),
                    busy_timeout_ms: config.sqlite_busy_timeout_ms,
                })
            }
            Backend::Postgres => Pool::Postgres(postgres_pool(&url, POSTGRES_SETUP, config)?),
            Backend::Mysql => Pool::Mysql(build_pool!(
                AsyncMysqlConnection,
                url,
                MYSQL_SETUP.to_owned(),
                config,
                // the MySQL driver does not notice a closed connection by itself
                RecyclingMethod::Verified
            )),
        })
    }
}

/// A pool of PostgreSQL connections whose sessions run `setup` first.
pub(crate) fn postgres_pool(
    url: &str,
    setup: &str,
    config: &DatabaseConfig,
) -> Result<DeadPool<AsyncPgConnection>> {
    Ok(build_pool!(
        AsyncPgConnection,
        url,
        setup.to_owned(),
        config,
        // a closed connection is seen without a query (`is_broken`), so no `SELECT 1`
        // round trip before every statement
        RecyclingMethod::Fast
    ))
}

/// Maps a pool error to a one-line storage error (the driver's innermost message: "connection
/// refused", "password authentication failed"), as the pages and the log show it.
pub(crate) fn pool_error<E: std::error::Error>(e: E) -> Error {
    // deadpool wraps the driver's error; the innermost message is the useful one.
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg = s.to_string();
        source = s.source();
    }
    Error::storage(format!("no database connection: {msg}"))
}

impl From<DieselError> for Error {
    fn from(e: DieselError) -> Self {
        match &e {
            DieselError::NotFound => Error::not_found("record", ""),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                let msg = info.message();
                let text = info.constraint_name().map_or_else(
                    || {
                        let tail = msg
                            .rsplit_once("for key")
                            .or_else(|| msg.rsplit_once("failed:"));
                        tail.map_or(msg, |(_, t)| t).to_owned()
                    },
                    str::to_owned,
                );
                let entity = ["username", "email", "mobile", "name", "acctuniqueid"]
                    .into_iter()
                    .find(|w| text.contains(w))
                    .map_or("record", |w| match w {
                        "email" => "e-mail",
                        "name" => "name",
                        "acctuniqueid" => "session",
                        other => other,
                    });
                Error::Conflict { entity }
            }
            _ => Error::storage_from(e.to_string(), e),
        }
    }
}

/// How many more times [`again_if_rolled_back`] runs a transaction the database rolled back.
pub(crate) const ROLLED_BACK_RETRIES: u32 = 3;

/// Whether the database ended `e`'s transaction to break a deadlock or a serialization
/// conflict with another one (MariaDB's "Deadlock found … try restarting transaction",
/// PostgreSQL's `40P01` and `40001`): nothing of it was kept, and run again as it was it
/// can succeed (two devices' accounting Starts once met so on MariaDB; see
/// `MYSQL_CLOSE_OLDER` in `storage/accounting/write.rs` for the fix of that one).
pub(crate) fn rolled_back(e: &Error) -> bool {
    let cause = std::error::Error::source(e).and_then(|s| s.downcast_ref::<DieselError>());
    match cause {
        Some(DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => true,
        Some(DieselError::DatabaseError(_, info)) => {
            let m = info.message();
            m.starts_with("Deadlock found") || m.starts_with("deadlock detected")
        }
        _ => false,
    }
}

/// Evaluates `$run` (a whole transaction, or a statement on its own) again, up to
/// [`ROLLED_BACK_RETRIES`] times after a short pause, while it fails because the database
/// [`rolled_back`] it; the last result otherwise. Only for work that may run twice: every
/// statement of it in the one transaction the database undid.
macro_rules! again_if_rolled_back {
    ($run:expr) => {{
        let mut retries = 0u32;
        loop {
            match $run {
                Err(e)
                    if retries < $crate::storage::conn::ROLLED_BACK_RETRIES
                        && $crate::storage::conn::rolled_back(&e) =>
                {
                    retries += 1;
                    tracing::debug!(retries, "the database broke a deadlock: running again");
                    tokio::time::sleep(std::time::Duration::from_millis(u64::from(retries))).await;
                }
                done => break done,
            }
        }
    }};
}
pub(crate) use again_if_rolled_back;

/// Runs `$body` with `$conn` bound to a pooled connection of whichever backend `$store` uses.
/// The body is compiled once per backend, so it must be plain diesel DSL.
///
/// Three forms, by what the body does:
///
/// - `db_run!(store, c => …)`: writes to users, their RADIUS items, their group memberships
///   or groups. The cache of authorize reads learns of it here: the store's
///   [`user_writes`](super::Store::user_writes) count goes up once the body is done, however
///   it ended (after its transaction committed or rolled back). A new write method is
///   counted without doing anything.
/// - `db_run!(store, untracked c => …)`: writes to what authorize never reads (web
///   sessions, mail, plugin state, leases, settings, the FreeRADIUS tables).
/// - `db_run!(store, read c => …)`: reads only.
///
/// On SQLite both kinds of write run on the one writer connection (see [`SqlitePools`]) and
/// reads on the readers; the other backends have one pool for all. A read run as a write
/// costs only waiting its turn; a write run as a read waits for SQLite's lock like another
/// process would: never a wrong answer either way.
macro_rules! db_run {
    (@on $store:expr, $side:ident, $conn:ident => $body:expr) => {{
        use $crate::storage::conn::{Pool, pool_error};
        match &$store.pool {
            Pool::Sqlite(p) => {
                let mut obj = p.$side().await?;
                let $conn = &mut *obj;
                $body
            }
            Pool::Postgres(p) => {
                let mut obj = p.get().await.map_err(pool_error)?;
                let $conn = &mut *obj;
                $body
            }
            Pool::Mysql(p) => {
                let mut obj = p.get().await.map_err(pool_error)?;
                let $conn = &mut *obj;
                $body
            }
        }
    }};
    ($store:expr, read $conn:ident => $body:expr) => {
        $crate::storage::conn::db_run!(@on $store, read, $conn => $body)
    };
    ($store:expr, untracked $conn:ident => $body:expr) => {
        $crate::storage::conn::db_run!(@on $store, write, $conn => $body)
    };
    ($store:expr, $conn:ident => $body:expr) => {{
        let _counted = $store.user_write();
        $crate::storage::conn::db_run!(@on $store, write, $conn => $body)
    }};
}
pub(crate) use db_run;

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error as DieselError};

    use super::rolled_back;
    use crate::error::Error;

    fn database(kind: DatabaseErrorKind, message: &str) -> Error {
        Error::from(DieselError::DatabaseError(
            kind,
            Box::new(message.to_owned()),
        ))
    }

    #[test]
    fn only_a_transaction_the_database_undid_runs_again() {
        let unknown = DatabaseErrorKind::Unknown;
        // MariaDB's and PostgreSQL's ways out of a deadlock, and a serialization conflict
        for again in [
            database(
                unknown,
                "Deadlock found when trying to get lock; try restarting transaction",
            ),
            database(unknown, "deadlock detected"),
            database(
                DatabaseErrorKind::SerializationFailure,
                "could not serialize",
            ),
        ] {
            assert!(rolled_back(&again), "{again}");
        }
        for not in [
            database(
                unknown,
                "Lock wait timeout exceeded; try restarting transaction",
            ),
            database(
                DatabaseErrorKind::UniqueViolation,
                "Deadlock found in a name",
            ),
            database(unknown, "syntax error near Deadlock found"),
            Error::from(DieselError::NotFound),
            Error::storage("Deadlock found when trying to get lock"),
        ] {
            assert!(!rolled_back(&not), "{not}");
        }
    }
}
