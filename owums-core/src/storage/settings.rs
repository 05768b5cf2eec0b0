//! `owums_settings`: runtime configuration keys stored as text.
//!
//! Raw rows only: names and types are checked by [`Settings`](crate::Settings), which is
//! what everything else should use.

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::Store;
use super::conn::db_run;
use super::schema::owums_settings;
use super::subscriber::users::now_utc;
use crate::error::{Error, Result};

impl Store {
    /// The stored value of setting `name`, if any (no default applied).
    pub async fn setting(&self, name: &str) -> Result<Option<String>> {
        Ok(db_run!(self, read c => owums_settings::table
            .filter(owums_settings::name.eq(name))
            .select(owums_settings::value)
            .first::<String>(c)
            .await
            .optional()?))
    }

    /// Every stored setting as `(name, value)`, by name; settings at their default are not
    /// listed.
    pub async fn all_settings(&self) -> Result<Vec<(String, String)>> {
        Ok(db_run!(self, read c => owums_settings::table
            .order(owums_settings::name.asc())
            .select((owums_settings::name, owums_settings::value))
            .load(c)
            .await?))
    }

    /// Stores `value` for setting `name` (no validation: see [`crate::Settings::set`]).
    pub(crate) async fn put_setting(&self, name: &str, value: &str) -> Result<()> {
        let now = now_utc();
        db_run!(self, untracked c => {
            c.transaction::<_, Error, _>(async |c| {
                let n = diesel::update(owums_settings::table.filter(owums_settings::name.eq(name)))
                    .set((owums_settings::value.eq(value), owums_settings::updated_at.eq(now)))
                    .execute(c)
                    .await?;
                if n == 0 {
                    diesel::insert_into(owums_settings::table)
                        .values((
                            owums_settings::name.eq(name),
                            owums_settings::value.eq(value),
                            owums_settings::updated_at.eq(now),
                        ))
                        .execute(c)
                        .await?;
                }
                Ok(())
            })
            .await
        })
    }

    /// Removes a stored setting (its default applies again).
    pub(crate) async fn delete_setting(&self, name: &str) -> Result<bool> {
        let n = db_run!(self, untracked c => diesel::delete(owums_settings::table.filter(owums_settings::name.eq(name))).execute(c).await?);
        Ok(n > 0)
    }
}
