//! Storage on SQLite, PostgreSQL and MySQL/MariaDB: one schema, migrations per backend,
//! and a [`Store`] facade whose methods run on whichever backend is configured.

use std::fmt;

use diesel_async::{AsyncMysqlConnection, AsyncPgConnection};

use crate::config::{DatabaseConfig, redact_url};
use crate::error::{Error, Result};

pub(crate) mod conn;
mod groups;
mod migrations;
mod nas;
mod plugin_state;
mod postauth;
mod radacct;
mod radius_view;
pub(crate) mod schema;
mod settings;
mod sql;
mod users;

pub use conn::Backend;
pub use groups::{GroupRecord, NewGroup};
pub use nas::{NasRecord, NewNas};
pub use postauth::PostAuthRecord;
pub use radacct::{RadAcctRecord, SqlAccountingSink};
pub use radius_view::RadiusView;
pub use users::NewUserRow;
pub(crate) use users::{StateChange, now_utc};

use conn::{Pool, SqliteConn};

/// The database: a pool of connections to one backend. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    backend: Backend,
    url: String,
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
    pub async fn connect(config: &DatabaseConfig) -> Result<Store> {
        let backend = Backend::from_url(&config.url)?;
        let pool = Pool::new(backend, config)?;
        let store = Store {
            pool,
            backend,
            url: config.url.clone(),
        };
        store.ping().await.map_err(|e| {
            Error::Storage(format!(
                "cannot connect to the database at {}: {}",
                redact_url(&config.url),
                strip(&e)
            ))
        })?;
        Ok(store)
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs a trivial query: `Ok` when the database answers.
    pub async fn ping(&self) -> Result<()> {
        use diesel_async::SimpleAsyncConnection;
        conn::db_run!(self, c => c.batch_execute("SELECT 1").await.map_err(Error::from))
    }

    /// Applies pending migrations; returns the versions applied.
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

fn strip(e: &Error) -> String {
    let s = e.to_string();
    let s = s.strip_prefix("database error: ").unwrap_or(&s);
    s.strip_prefix("no database connection: ")
        .unwrap_or(s)
        .replace('\n', " ")
}
