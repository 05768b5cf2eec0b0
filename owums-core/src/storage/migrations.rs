//! Migrations embedded in the binary, one folder per backend with identical names.
//!
//! `owums-core/migrations/{sqlite,postgres,mysql}/<version>_<name>/{up,down}.sql`. The
//! folders must list the same migrations (a test checks it): each backend gets the same
//! schema in its own dialect, including FreeRADIUS' stock tables with their per-dialect
//! column types and the views FreeRADIUS authorizes from.

use diesel::migration::MigrationSource;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncConnectionCore, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::{Error, Result};

pub(crate) const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub(crate) const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub(crate) const MYSQL: EmbeddedMigrations = embed_migrations!("migrations/mysql");

/// Runs `migrations` on a dedicated connection (diesel's harness is synchronous, so it runs
/// on the blocking pool and drives the async connection from there).
pub(crate) async fn run<C>(
    url: &str,
    setup: &str,
    migrations: EmbeddedMigrations,
) -> Result<Vec<String>>
where
    C: AsyncConnection + SimpleAsyncConnection + 'static,
    AsyncConnectionWrapper<C>:
        diesel::Connection + MigrationHarness<<C as AsyncConnectionCore>::Backend>,
    EmbeddedMigrations: MigrationSource<<C as AsyncConnectionCore>::Backend>,
{
    let conn: C = super::conn::establish(url, setup)
        .await
        .map_err(|e| Error::storage(format!("cannot connect to run migrations: {e}")))?;
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let _guard = handle.enter();
        let mut wrapper: AsyncConnectionWrapper<C> = AsyncConnectionWrapper::from(conn);
        wrapper
            .run_pending_migrations(migrations)
            .map(|versions| versions.into_iter().map(|v| v.to_string()).collect())
            .map_err(|e| Error::storage(format!("migration failed: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(format!("migration task: {e}")))?
}

/// Versions of the embedded migrations of a backend.
pub(crate) fn versions(backend: super::Backend) -> Vec<String> {
    fn list<DB: diesel::backend::Backend>(m: &EmbeddedMigrations) -> Vec<String>
    where
        EmbeddedMigrations: MigrationSource<DB>,
    {
        MigrationSource::<DB>::migrations(m)
            .map(|ms| ms.iter().map(|m| m.name().version().to_string()).collect())
            .unwrap_or_default()
    }
    match backend {
        super::Backend::Sqlite => list::<diesel::sqlite::Sqlite>(&SQLITE),
        super::Backend::Postgres => list::<diesel::pg::Pg>(&POSTGRES),
        super::Backend::Mysql => list::<diesel::mysql::Mysql>(&MYSQL),
    }
}

#[cfg(test)]
mod tests {
    /// The three backends' migration folders have the same names.
    #[test]
    fn migration_folders_match() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let list = |b: &str| {
            let mut v: Vec<String> = std::fs::read_dir(root.join(b))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        assert_eq!(list("sqlite"), list("postgres"));
        assert_eq!(list("sqlite"), list("mysql"));
    }
}
