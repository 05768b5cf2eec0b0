//! The batch import's reads and writes of `owums_users`: which of many usernames, e-mail
//! addresses and mobile numbers are taken already, and the insert of many subscribers (with
//! their RADIUS passwords and memberships) in one transaction of multi-row inserts.

use std::collections::HashSet;

use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::{Error, Result};
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::schema::{owums_radius_checks, owums_user_groups, owums_users};
use crate::storage::subscriber::users::NewUserRow;
use crate::storage::subscriber::vouchers::insert_rows;

/// Rows per multi-row `INSERT`: 24 user columns × 400 stay under every backend's limit
/// of bound parameters (32 766 on SQLite, 65 535 on PostgreSQL and MariaDB).
const CHUNK: usize = 400;

/// Values per `IN (…)` list of a lookup.
const LOOKUP_CHUNK: usize = 500;

/// A subscriber of an import, ready to insert: the row, the RADIUS password check row
/// (`None`: the web password only) and the memberships `(group, priority)`.
pub(crate) struct ImportRow {
    pub(crate) user: NewUserRow,
    pub(crate) radius: Option<(&'static str, String)>,
    pub(crate) groups: Vec<(String, i32)>,
}

/// Which column of `owums_users` a lookup reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Unique {
    Username,
    Email,
    Mobile,
}

/// The transaction of [`Store::insert_imported`] on connection `$c`.
macro_rules! write_import {
    ($mode:ident $c:expr, $rows:expr) => {
        $c.transaction::<_, Error, _>(async |c| {
            for chunk in $rows.chunks(CHUNK) {
                let users: Vec<&NewUserRow> = chunk.iter().map(|r| &r.user).collect();
                insert_rows!($mode c, owums_users::table, users);
                let checks: Vec<_> = chunk
                    .iter()
                    .filter_map(|r| {
                        r.radius.as_ref().map(|(attribute, value)| {
                            (
                                owums_radius_checks::user_id.eq(&r.user.id),
                                owums_radius_checks::attribute.eq(*attribute),
                                owums_radius_checks::op.eq(":="),
                                owums_radius_checks::value.eq(value),
                            )
                        })
                    })
                    .collect();
                if !checks.is_empty() {
                    insert_rows!($mode c, owums_radius_checks::table, checks);
                }
                let memberships: Vec<_> = chunk
                    .iter()
                    .flat_map(|r| {
                        r.groups.iter().map(|(g, p)| {
                            (
                                owums_user_groups::user_id.eq(&r.user.id),
                                owums_user_groups::group_name.eq(g),
                                owums_user_groups::priority.eq(*p),
                            )
                        })
                    })
                    .collect();
                insert_rows!($mode c, owums_user_groups::table, memberships);
            }
            Ok(())
        })
        .await
    };
}

impl Store {
    /// The values of `values` that some user has already in the `column` column.
    pub(crate) async fn taken(&self, column: Unique, values: &[String]) -> Result<HashSet<String>> {
        let mut found = HashSet::new();
        for chunk in values.chunks(LOOKUP_CHUNK) {
            let rows: Vec<Option<String>> = db_run!(self, read c => match column {
                Unique::Username => owums_users::table
                    .filter(owums_users::username.eq_any(chunk))
                    .select(owums_users::username)
                    .load::<String>(c)
                    .await?
                    .into_iter()
                    .map(Some)
                    .collect(),
                Unique::Email => owums_users::table
                    .filter(owums_users::email.eq_any(chunk))
                    .select(owums_users::email)
                    .load(c)
                    .await?,
                Unique::Mobile => owums_users::table
                    .filter(owums_users::mobile.eq_any(chunk))
                    .select(owums_users::mobile)
                    .load(c)
                    .await?,
            });
            found.extend(rows.into_iter().flatten());
        }
        Ok(found)
    }

    /// Inserts every row of `rows` in one transaction, [`CHUNK`] users per statement
    /// (a statement a row on SQLite, where a row costs no round trip): all of them or (on
    /// any error, such as a username taken meanwhile) none.
    pub(crate) async fn insert_imported(&self, rows: &[ImportRow]) -> Result<()> {
        use crate::storage::conn::{Pool, pool_error};
        let _counted = self.user_write();
        match &self.pool {
            Pool::Sqlite(p) => {
                let c = &mut *p.write().await?;
                write_import!(single c, rows)
            }
            Pool::Postgres(p) => {
                let c = &mut *p.get().await.map_err(pool_error)?;
                write_import!(multi c, rows)
            }
            Pool::Mysql(p) => {
                let c = &mut *p.get().await.map_err(pool_error)?;
                write_import!(multi c, rows)
            }
        }
    }
}
