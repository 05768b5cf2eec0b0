//! The fields a subscriber may change on their own account, written in one transaction.
//!
//! Validation is the caller's
//! ([`Subscribers::update_profile`](crate::Subscribers::update_profile)); this module makes
//! the write safe against a race: a password change applies only if the stored hash is
//! still the one the current password was checked against, and then replaces the RADIUS
//! password row and ends the user's other sessions in the same transaction.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::schema::{owums_sessions, owums_users};
use crate::storage::subscriber::users::radius_password;

/// Columns of `owums_users` to change (`None`: unchanged), as diesel's changeset.
#[derive(Debug, Clone, Default, diesel::AsChangeset)]
#[diesel(table_name = owums_users)]
pub(crate) struct ProfileChanges {
    pub(crate) email: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) city: Option<String>,
    pub(crate) zip: Option<String>,
    pub(crate) country: Option<String>,
    pub(crate) birth_date: Option<NaiveDate>,
    pub(crate) password_hash: Option<String>,
    pub(crate) updated_at: Option<NaiveDateTime>,
}

/// A new password: the hash it replaces (checked again in the transaction), the new web
/// hash (in [`ProfileChanges`]) and the RADIUS check row.
#[derive(Clone)]
pub(crate) struct PasswordRows {
    pub(crate) old_hash: String,
    pub(crate) attribute: &'static str,
    pub(crate) radius_value: String,
    /// The session kept when the others end (its stored id).
    pub(crate) keep_session: Option<String>,
}

impl Store {
    /// The web password hash (argon2id PHC string) of `id`; `None` when there is no such
    /// user.
    pub(crate) async fn password_hash(&self, id: UserId) -> Result<Option<String>> {
        let key = id.to_string();
        Ok(db_run!(self, read c => owums_users::table
            .filter(owums_users::id.eq(&key))
            .select(owums_users::password_hash)
            .first::<String>(c)
            .await
            .optional()?))
    }

    /// Writes `changes` to user `id`; with `password`, also replaces the RADIUS password and
    /// ends the user's other sessions. One transaction. `false` when the user does not exist.
    pub(crate) async fn update_profile(
        &self,
        id: UserId,
        changes: ProfileChanges,
        password: Option<PasswordRows>,
    ) -> Result<bool> {
        let key = id.to_string();
        let changed = db_run!(self, c => {
            c.transaction::<_, Error, _>(async |c| {
                let target = owums_users::table.filter(owums_users::id.eq(&key));
                let n = match &password {
                    // The password must still be the one that was checked.
                    Some(p) => diesel::update(target.filter(owums_users::password_hash.eq(&p.old_hash)))
                        .set(&changes)
                        .execute(c)
                        .await?,
                    None => diesel::update(target).set(&changes).execute(c).await?,
                };
                if n == 0 {
                    let exists: Option<String> = owums_users::table
                        .filter(owums_users::id.eq(&key))
                        .select(owums_users::id)
                        .first(c)
                        .await
                        .optional()?;
                    return match exists {
                        None => Ok(false),
                        Some(_) => Err(Error::refused(
                            "current password",
                            crate::error::Problem::Changed,
                            "was changed meanwhile; try again",
                        )),
                    };
                }
                if let Some(p) = &password {
                    radius_password!(replace c, &key, p.attribute, &p.radius_value);
                    let keep = p.keep_session.clone().unwrap_or_default();
                    diesel::delete(
                        owums_sessions::table
                            .filter(owums_sessions::user_id.eq(&key))
                            .filter(owums_sessions::id.ne(keep)),
                    )
                    .execute(c)
                    .await?;
                }
                Ok(true)
            })
            .await
        })?;
        Ok(changed)
    }
}
