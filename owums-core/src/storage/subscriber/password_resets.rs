//! `owums_password_resets`: single-use password-reset links, stored as the SHA-256 of the
//! token only.
//!
//! The flow is in `subscriber/reset/email.rs`. Here: creating a link together with its mail
//! (so a link exists exactly when its mail was queued), and consuming it together with the
//! new password (so a link works once, and only while its account is active).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::outbox::NewMailRow;
use crate::storage::schema::{owums_mail_outbox, owums_password_resets, owums_users};
use crate::storage::subscriber::users::{radius_password, to_second};

/// Why a reset token cannot be used; the public face of it is
/// [`ResetLinkError`](crate::ResetLinkError).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    Unknown,
    Expired,
    Used,
}

/// A stored reset link: whose, until when, and whether it was used.
#[derive(Debug, Clone, diesel::Queryable)]
pub(crate) struct ResetRow {
    pub(crate) user_id: String,
    pub(crate) expires_at: NaiveDateTime,
    pub(crate) used_at: Option<NaiveDateTime>,
}

impl ResetRow {
    /// Why it cannot be used at `now`, if it cannot.
    pub(crate) fn problem(&self, now: NaiveDateTime) -> Option<TokenProblem> {
        if self.used_at.is_some() {
            Some(TokenProblem::Used)
        } else if self.expires_at <= now {
            Some(TokenProblem::Expired)
        } else {
            None
        }
    }
}

/// The new password, ready to store: the argon2id hash for the web login and the RADIUS
/// check row (`attribute := radius_password`) in the configured format.
#[derive(Debug)]
pub(crate) struct PasswordWrite<'a> {
    pub(crate) hash: &'a str,
    pub(crate) attribute: &'a str,
    pub(crate) radius_password: &'a str,
}

impl Store {
    /// Stores a reset link for `user` valid until `expires_at` and queues its mail, in one
    /// transaction; the user's earlier unused links stop working.
    pub(crate) async fn create_password_reset(
        &self,
        token_hash: &str,
        user: UserId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        mail: NewMailRow,
    ) -> Result<()> {
        let key = user.to_string();
        let (now, expires_at) = (to_second(now), to_second(expires_at));
        db_run!(self, untracked c => {
            c.transaction::<_, Error, _>(async |c| {
                diesel::delete(
                    owums_password_resets::table
                        .filter(owums_password_resets::user_id.eq(&key))
                        .filter(owums_password_resets::used_at.is_null()),
                )
                .execute(c)
                .await?;
                diesel::insert_into(owums_password_resets::table)
                    .values((
                        owums_password_resets::token_hash.eq(token_hash),
                        owums_password_resets::user_id.eq(&key),
                        owums_password_resets::created_at.eq(now),
                        owums_password_resets::expires_at.eq(expires_at),
                    ))
                    .execute(c)
                    .await?;
                diesel::insert_into(owums_mail_outbox::table)
                    .values(&mail)
                    .execute(c)
                    .await?;
                Ok(())
            })
            .await
        })
    }

    /// The reset link with this token hash, used or not; `None` when unknown.
    pub(crate) async fn password_reset(&self, token_hash: &str) -> Result<Option<ResetRow>> {
        Ok(db_run!(self, read c => owums_password_resets::table
            .filter(owums_password_resets::token_hash.eq(token_hash))
            .select((
                owums_password_resets::user_id,
                owums_password_resets::expires_at,
                owums_password_resets::used_at,
            ))
            .first::<ResetRow>(c)
            .await
            .optional()?))
    }

    /// In one transaction: marks the link used (only if unused and unexpired at `now`), checks
    /// that its user is active, writes the new password and drops the user's other unused
    /// links. On any problem nothing changes and the reason comes back as `Err(problem)`.
    pub(crate) async fn consume_password_reset(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        password: PasswordWrite<'_>,
    ) -> Result<std::result::Result<UserId, TokenProblem>> {
        let now = to_second(now);
        let outcome: std::result::Result<String, TokenProblem> = db_run!(self, c => {
            c.transaction::<_, Error, _>(async |c| {
                let claimed = diesel::update(
                    owums_password_resets::table
                        .filter(owums_password_resets::token_hash.eq(token_hash))
                        .filter(owums_password_resets::used_at.is_null())
                        .filter(owums_password_resets::expires_at.gt(now)),
                )
                .set(owums_password_resets::used_at.eq(now))
                .execute(c)
                .await?;
                let row: Option<ResetRow> = owums_password_resets::table
                    .filter(owums_password_resets::token_hash.eq(token_hash))
                    .select((
                        owums_password_resets::user_id,
                        owums_password_resets::expires_at,
                        owums_password_resets::used_at,
                    ))
                    .first(c)
                    .await
                    .optional()?;
                let Some(row) = row else { return Ok(Err(TokenProblem::Unknown)) };
                if claimed != 1 {
                    return Ok(Err(row.problem(now).unwrap_or(TokenProblem::Used)));
                }
                let active: Option<bool> = owums_users::table
                    .filter(owums_users::id.eq(&row.user_id))
                    .select(owums_users::active)
                    .first(c)
                    .await
                    .optional()?;
                if active != Some(true) {
                    // Undo the claim: an inactive account's link is simply not valid.
                    return Err(Error::ResetLink(crate::error::ResetLinkError::Unknown));
                }
                diesel::update(owums_users::table.filter(owums_users::id.eq(&row.user_id)))
                    .set((
                        owums_users::password_hash.eq(password.hash),
                        owums_users::updated_at.eq(now),
                    ))
                    .execute(c)
                    .await?;
                radius_password!(replace c, &row.user_id, password.attribute, password.radius_password);
                diesel::delete(
                    owums_password_resets::table
                        .filter(owums_password_resets::user_id.eq(&row.user_id))
                        .filter(owums_password_resets::used_at.is_null()),
                )
                .execute(c)
                .await?;
                Ok(Ok(row.user_id))
            })
            .await
        })
        .or_else(|e| match e {
            Error::ResetLink(_) => Ok(Err(TokenProblem::Unknown)),
            other => Err(other),
        })?;
        match outcome {
            Ok(id) => Ok(Ok(id.parse()?)),
            Err(problem) => Ok(Err(problem)),
        }
    }

    /// Deletes links that expired or were used before `cutoff`; returns how many.
    pub(crate) async fn purge_password_resets(&self, cutoff: DateTime<Utc>) -> Result<usize> {
        let cutoff = to_second(cutoff);
        Ok(db_run!(self, untracked c => {
            let expired = diesel::delete(
                owums_password_resets::table.filter(owums_password_resets::expires_at.le(cutoff)),
            )
            .execute(c)
            .await?;
            let used = diesel::delete(
                owums_password_resets::table.filter(owums_password_resets::used_at.le(cutoff)),
            )
            .execute(c)
            .await?;
            expired + used
        }))
    }
}
