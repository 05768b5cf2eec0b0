//! `owums_sessions`: server-side sessions, keyed by the SHA-256 of their token.
//!
//! The rules (token generation, sliding expiry, rotation at login) are in
//! [`WebSessions`](crate::subscriber::WebSessions); these are its statements. Every read
//! and update filters on `expires_at > now`, so an expired session is dead at once even
//! before the hourly purge deletes its row.

use chrono::NaiveDateTime;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper};
use diesel_async::RunQueryDsl;

use crate::error::Result;
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::schema::owums_sessions;

/// One stored session: `id` is the SHA-256 of the token in hex, times are UTC to the
/// second, `data` is a JSON object as text.
#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = owums_sessions)]
pub(crate) struct SessionRow {
    pub(crate) id: String,
    pub(crate) user_id: Option<String>,
    pub(crate) csrf_token: String,
    pub(crate) locale: Option<String>,
    pub(crate) kind: String,
    pub(crate) data: String,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) last_seen_at: NaiveDateTime,
    pub(crate) expires_at: NaiveDateTime,
    pub(crate) operator_id: Option<String>,
}

/// A change to one column of a session: who it belongs to, its language, or its data.
#[derive(Debug, Clone)]
pub(crate) enum SessionField {
    User(Option<String>),
    Locale(Option<String>),
    Data(String),
}

impl Store {
    /// Stores a new session.
    pub(crate) async fn insert_session(&self, row: &SessionRow) -> Result<()> {
        db_run!(self, untracked c => diesel::insert_into(owums_sessions::table).values(row).execute(c).await?);
        Ok(())
    }

    /// The session `id` if it has not expired at `now`.
    pub(crate) async fn find_session(
        &self,
        id: &str,
        now: NaiveDateTime,
    ) -> Result<Option<SessionRow>> {
        Ok(db_run!(self, read c => owums_sessions::table
            .filter(owums_sessions::id.eq(id))
            .filter(owums_sessions::expires_at.gt(now))
            .select(SessionRow::as_select())
            .first(c)
            .await
            .optional()?))
    }

    /// Replaces session `old` by `new` (same user unless `user` says otherwise, same data and
    /// locale): the row gets `new`'s id, CSRF token and times. `None` when `old` is unknown or
    /// expired.
    ///
    /// One `UPDATE` moves the row, atomically on every backend (two rotations of the same
    /// session: the second finds nothing), then the row is read back by its new id, which no
    /// one else knows yet; no transaction, so on SQLite two short statements instead of six.
    pub(crate) async fn rotate_session(
        &self,
        old: &str,
        new: SessionRow,
        user: Option<Option<String>>,
    ) -> Result<Option<SessionRow>> {
        let now = new.last_seen_at;
        let moved = db_run!(self, untracked c => {
            let target = owums_sessions::table
                .filter(owums_sessions::id.eq(old))
                .filter(owums_sessions::expires_at.gt(now));
            let fields = (
                owums_sessions::id.eq(&new.id),
                owums_sessions::csrf_token.eq(&new.csrf_token),
                owums_sessions::last_seen_at.eq(new.last_seen_at),
                owums_sessions::expires_at.eq(new.expires_at),
            );
            match &user {
                Some(u) => diesel::update(target).set((fields, owums_sessions::user_id.eq(u))).execute(c).await?,
                None => diesel::update(target).set(fields).execute(c).await?,
            }
        });
        if moved == 0 {
            return Ok(None);
        }
        Ok(db_run!(self, read c => owums_sessions::table
            .filter(owums_sessions::id.eq(&new.id))
            .select(SessionRow::as_select())
            .first(c)
            .await
            .optional()?))
    }

    /// Sets one column of a live session; `false` when it is unknown or expired.
    pub(crate) async fn update_session(
        &self,
        id: &str,
        now: NaiveDateTime,
        field: SessionField,
    ) -> Result<bool> {
        let n = db_run!(self, untracked c => {
            let target = owums_sessions::table
                .filter(owums_sessions::id.eq(id))
                .filter(owums_sessions::expires_at.gt(now));
            match &field {
                SessionField::User(u) => diesel::update(target).set(owums_sessions::user_id.eq(u)).execute(c).await?,
                SessionField::Locale(l) => diesel::update(target).set(owums_sessions::locale.eq(l)).execute(c).await?,
                SessionField::Data(d) => diesel::update(target).set(owums_sessions::data.eq(d)).execute(c).await?,
            }
        });
        Ok(n > 0)
    }

    /// Moves the expiry of a live session last seen at or before `seen_before`; `true` when written.
    pub(crate) async fn touch_session(
        &self,
        id: &str,
        now: NaiveDateTime,
        seen_before: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> Result<bool> {
        let n = db_run!(self, untracked c => diesel::update(
                owums_sessions::table
                    .filter(owums_sessions::id.eq(id))
                    .filter(owums_sessions::expires_at.gt(now))
                    .filter(owums_sessions::last_seen_at.le(seen_before)),
            )
            .set((owums_sessions::last_seen_at.eq(now), owums_sessions::expires_at.eq(expires_at)))
            .execute(c)
            .await?);
        Ok(n > 0)
    }

    /// Deletes the session `id` (log out); `false` when there was none.
    pub(crate) async fn delete_session(&self, id: &str) -> Result<bool> {
        let n = db_run!(self, untracked c => diesel::delete(owums_sessions::table.filter(owums_sessions::id.eq(id))).execute(c).await?);
        Ok(n > 0)
    }

    /// Deletes every session of `user` except `keep` (a session id, i.e. a token hash).
    pub(crate) async fn delete_user_sessions(
        &self,
        user: &str,
        keep: Option<&str>,
    ) -> Result<usize> {
        let keep = keep.unwrap_or("");
        Ok(db_run!(self, untracked c => diesel::delete(
                owums_sessions::table
                    .filter(owums_sessions::user_id.eq(user))
                    .filter(owums_sessions::id.ne(keep)),
            )
            .execute(c)
            .await?))
    }

    /// Deletes every session of operator `operator` except `keep` (a session id).
    pub(crate) async fn delete_operator_sessions(
        &self,
        operator: &str,
        keep: Option<&str>,
    ) -> Result<usize> {
        let keep = keep.unwrap_or("");
        Ok(db_run!(self, untracked c => diesel::delete(
                owums_sessions::table
                    .filter(owums_sessions::operator_id.eq(operator))
                    .filter(owums_sessions::id.ne(keep)),
            )
            .execute(c)
            .await?))
    }

    /// Deletes sessions that expired at or before `now`.
    pub(crate) async fn purge_sessions(&self, now: NaiveDateTime) -> Result<usize> {
        Ok(
            db_run!(self, untracked c => diesel::delete(owums_sessions::table.filter(owums_sessions::expires_at.le(now))).execute(c).await?),
        )
    }
}
