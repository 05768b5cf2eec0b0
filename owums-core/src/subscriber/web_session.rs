//! Server-side sessions in the database, shared by every `owums serve` process.
//!
//! A client holds a [`WebSessionToken`] (256 random bits, as a cookie or a bearer token); the
//! database keeps only its SHA-256, so a copy of the database does not let anyone take over a
//! session. A session belongs to a user, or is anonymous: the pages start one only when there
//! is something to keep between requests (a captcha answer, a password recovery under way),
//! never for a mere visit, and an anonymous session lives at most
//! [`ANONYMOUS_IDLE_MINUTES`] unused. Expiry slides: each use moves it forward, written at most
//! once a minute. [`WebSessions`] shows the calls of a visit, from first page to log out.

use std::fmt;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::storage::Store;
use crate::storage::subscriber::sessions::{SessionField, SessionRow};
use crate::subscriber::token;

/// How often at most a session's last use is written, in seconds: a burst of requests
/// (a page and its assets) costs one write, and reads stay reads.
pub const TOUCH_INTERVAL_SECONDS: i64 = 60;

/// How long an anonymous session lives unused, in minutes (less if the kind's own idle
/// timeout is shorter): long enough to finish a sign-up or a recovery, short enough that
/// clients without a login cannot pile sessions up.
pub const ANONYMOUS_IDLE_MINUTES: i64 = 30;

/// Longest token accepted from a client (real ones are 64 characters).
const MAX_TOKEN_LEN: usize = 128;

/// The secret a client presents. Its `Debug` does not show it.
///
/// 32 random bytes as 64 lowercase hex characters. Only [`WebSessions`] makes one; send it
/// to the client once (a `HttpOnly` cookie or a bearer token) and never log it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebSessionToken(String);

impl WebSessionToken {
    fn generate() -> Self {
        WebSessionToken(token::random_secret())
    }

    /// The token as sent to the client (cookie value or bearer token).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebSessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebSessionToken(..)")
    }
}

/// The stored id of a session: SHA-256 of its token, in hex.
fn session_id(token: &str) -> String {
    token::digest(token)
}

/// Who holds a session: they differ in how the token travels and how long an unused
/// session lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebSessionKind {
    /// A browser, through a cookie.
    Web,
    /// An API client, through a bearer token.
    Api,
    /// An operator of the console, through its own cookie; the session belongs to an
    /// operator (`operator_id`), never to a subscriber.
    Operator,
}

impl WebSessionKind {
    /// Lowercase name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            WebSessionKind::Web => "web",
            WebSessionKind::Api => "api",
            WebSessionKind::Operator => "operator",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "web" => Ok(WebSessionKind::Web),
            "api" => Ok(WebSessionKind::Api),
            "operator" => Ok(WebSessionKind::Operator),
            other => Err(Error::Internal(format!("stored session of kind `{other}`"))),
        }
    }
}

/// A live session, as read from the database (a snapshot: changes made through
/// [`WebSessions`] are not reflected in it).
#[derive(Clone, PartialEq)]
pub struct WebSession {
    /// Browser or API client.
    pub kind: WebSessionKind,
    /// The user logged in, if any.
    pub user_id: Option<UserId>,
    /// The operator logged in, if any (sessions of kind [`WebSessionKind::Operator`]).
    pub operator_id: Option<uuid::Uuid>,
    /// The CSRF token forms of this session must carry.
    pub csrf_token: String,
    /// The language chosen in this session, if any.
    pub locale: Option<String>,
    /// Free-form data (e.g. the answer to a captcha): a JSON object, `{}` when new.
    pub data: serde_json::Value,
    /// When the session began; kept when the token is rotated.
    pub created_at: DateTime<Utc>,
    /// Last use written (at most once a minute).
    pub last_seen_at: DateTime<Utc>,
    /// Expires unless used again before.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for WebSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("kind", &self.kind)
            .field("user_id", &self.user_id)
            .field("operator_id", &self.operator_id)
            .field("locale", &self.locale)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl TryFrom<SessionRow> for WebSession {
    type Error = Error;
    fn try_from(r: SessionRow) -> Result<Self> {
        Ok(WebSession {
            kind: WebSessionKind::parse(&r.kind)?,
            user_id: r
                .user_id
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|_| Error::Internal("stored session with an invalid user id".into()))?,
            operator_id: r
                .operator_id
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|_| {
                    Error::Internal("stored session with an invalid operator id".into())
                })?,
            csrf_token: r.csrf_token,
            locale: r.locale,
            data: serde_json::from_str(&r.data)
                .map_err(|e| Error::Internal(format!("stored session data: {e}")))?,
            created_at: r.created_at.and_utc(),
            last_seen_at: r.last_seen_at.and_utc(),
            expires_at: r.expires_at.and_utc(),
        })
    }
}

/// Sessions stored in the database.
///
/// Cheap to clone. Every `owums serve` process behind a load balancer sees the same
/// sessions. Methods that take a `token` accept whatever the client sent: an empty, absurdly
/// long or unknown token is simply no session.
///
/// ```no_run
/// use owums_core::subscriber::{WebSessionKind, WebSessions};
/// # async fn demo(store: owums_core::Store, user: owums_core::UserId) -> owums_core::Result<()> {
/// let sessions = WebSessions::new(store);
/// let (token, _) = sessions.create(WebSessionKind::Web, None).await?;      // first visit
/// let (token, session) = sessions.log_in(Some(token.as_str()), WebSessionKind::Web, user).await?;
/// assert_eq!(session.user_id, Some(user));
/// sessions.delete(token.as_str()).await?;                              // log out
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct WebSessions {
    store: Store,
    web_idle: Duration,
    api_idle: Duration,
    operator_idle: Duration,
}

fn now() -> NaiveDateTime {
    crate::storage::now_utc()
}

impl WebSessions {
    /// Sessions in `store`: browser sessions expire after 24 hours without use, API tokens
    /// after 30 days, operator sessions after 8 hours.
    pub fn new(store: Store) -> Self {
        WebSessions {
            store,
            web_idle: Duration::hours(24),
            api_idle: Duration::days(30),
            operator_idle: Duration::hours(8),
        }
    }

    /// Sets how long a session of `kind` lives without being used (at least a minute).
    pub fn with_idle_timeout(mut self, kind: WebSessionKind, idle: Duration) -> Self {
        let idle = idle.max(Duration::seconds(TOUCH_INTERVAL_SECONDS));
        match kind {
            WebSessionKind::Web => self.web_idle = idle,
            WebSessionKind::Api => self.api_idle = idle,
            WebSessionKind::Operator => self.operator_idle = idle,
        }
        self
    }

    /// How long a session of `kind` lives without being used.
    pub fn idle_timeout(&self, kind: WebSessionKind) -> Duration {
        match kind {
            WebSessionKind::Web => self.web_idle,
            WebSessionKind::Api => self.api_idle,
            WebSessionKind::Operator => self.operator_idle,
        }
    }

    /// How long a session of `kind`, anonymous or not, lives without being used.
    fn idle_for(&self, kind: WebSessionKind, user: Option<UserId>) -> Duration {
        let idle = self.idle_timeout(kind);
        match user {
            // operator sessions are only ever made at login
            _ if kind == WebSessionKind::Operator => idle,
            Some(_) => idle,
            None => idle.min(Duration::minutes(ANONYMOUS_IDLE_MINUTES)),
        }
    }

    fn row(
        &self,
        kind: WebSessionKind,
        user: Option<UserId>,
        token: &WebSessionToken,
    ) -> SessionRow {
        let now = now();
        SessionRow {
            id: session_id(token.as_str()),
            user_id: user.map(|u| u.to_string()),
            operator_id: None,
            csrf_token: token::random_secret(),
            locale: None,
            kind: kind.as_str().to_owned(),
            data: "{}".to_owned(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + self.idle_for(kind, user),
        }
    }

    /// Starts a session, anonymous or for `user`, with a fresh CSRF token; returns the token
    /// to hand to the client and the session. An anonymous one lives at most
    /// [`ANONYMOUS_IDLE_MINUTES`] unused.
    pub async fn create(
        &self,
        kind: WebSessionKind,
        user: Option<UserId>,
    ) -> Result<(WebSessionToken, WebSession)> {
        let token = WebSessionToken::generate();
        let row = self.row(kind, user, &token);
        self.store.insert_session(&row).await?;
        Ok((token, WebSession::try_from(row)?))
    }

    /// The live session of `token`; `None` when unknown or expired. Does not extend it:
    /// call [`WebSessions::touch`] for that.
    pub async fn get(&self, token: &str) -> Result<Option<WebSession>> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Ok(None);
        }
        self.store
            .find_session(&session_id(token), now())
            .await?
            .map(WebSession::try_from)
            .transpose()
    }

    /// Replaces `token` by a new one with the same user, data and language and a new CSRF
    /// token; the old token stops working. `None` when `token` is unknown or expired.
    pub async fn rotate(&self, token: &str) -> Result<Option<(WebSessionToken, WebSession)>> {
        self.replace(token, None).await
    }

    async fn replace(
        &self,
        token: &str,
        user: Option<Option<UserId>>,
    ) -> Result<Option<(WebSessionToken, WebSession)>> {
        let Some(old) = self.get(token).await? else {
            return Ok(None);
        };
        self.rotate_held(token, &old, user).await
    }

    /// Rotates the session of `token`, `old` as read moments ago (not read again): the
    /// `UPDATE` finds nothing when it has ended since.
    async fn rotate_held(
        &self,
        token: &str,
        old: &WebSession,
        user: Option<Option<UserId>>,
    ) -> Result<Option<(WebSessionToken, WebSession)>> {
        let new = WebSessionToken::generate();
        let mut row = self.row(old.kind, None, &new);
        row.expires_at = row.last_seen_at + self.idle_for(old.kind, user.unwrap_or(old.user_id));
        let user = user.map(|u| u.map(|u| u.to_string()));
        let stored = self
            .store
            .rotate_session(&session_id(token), row, user)
            .await?;
        stored
            .map(|r| Ok((new, WebSession::try_from(r)?)))
            .transpose()
    }

    /// Logs `user` in: the session of `token` (if live and of the same kind) is rotated and
    /// given to `user`, keeping its language and data; otherwise a new session is created.
    pub async fn log_in(
        &self,
        token: Option<&str>,
        kind: WebSessionKind,
        user: UserId,
    ) -> Result<(WebSessionToken, WebSession)> {
        let held = match token {
            Some(token) => self.get(token).await?.map(|old| (token, old)),
            None => None,
        };
        self.log_in_held(held.as_ref().map(|(t, old)| (*t, old)), kind, user)
            .await
    }

    /// [`WebSessions::log_in`] for a caller that read the live session of the token moments
    /// ago (a page does, to know who is asking): `held` is that token and session, which
    /// are not read again. A session that ended since is not revived: `user` gets a new
    /// one, as with no session at all.
    pub async fn log_in_held(
        &self,
        held: Option<(&str, &WebSession)>,
        kind: WebSessionKind,
        user: UserId,
    ) -> Result<(WebSessionToken, WebSession)> {
        if let Some((token, old)) = held
            && old.kind == kind
            && let Some(done) = self.rotate_held(token, old, Some(Some(user))).await?
        {
            return Ok(done);
        }
        self.create(kind, Some(user)).await
    }

    /// Logs operator `operator` in with a new session of kind [`WebSessionKind::Operator`]
    /// (a token the client held before is not kept: call [`WebSessions::delete`] on it) and
    /// `data` (e.g. the address logged in from). The session is created whole, so a token
    /// planted before the login is worth nothing after it.
    pub async fn log_in_operator(
        &self,
        operator: uuid::Uuid,
        data: &serde_json::Value,
    ) -> Result<(WebSessionToken, WebSession)> {
        let token = WebSessionToken::generate();
        let mut row = self.row(WebSessionKind::Operator, None, &token);
        row.operator_id = Some(operator.to_string());
        row.data = data.to_string();
        row.expires_at = row.last_seen_at + self.operator_idle;
        self.store.insert_session(&row).await?;
        Ok((token, WebSession::try_from(row)?))
    }

    /// Ends every session of operator `operator` except the one of `keep` (after a password
    /// change, when disabled). Returns how many ended.
    pub async fn delete_for_operator(
        &self,
        operator: uuid::Uuid,
        keep: Option<&str>,
    ) -> Result<usize> {
        let keep = keep.map(session_id);
        self.store
            .delete_operator_sessions(&operator.to_string(), keep.as_deref())
            .await
    }

    /// Gives the session to `user` (or makes it anonymous); `false` when unknown or expired.
    pub async fn attach_user(&self, token: &str, user: Option<UserId>) -> Result<bool> {
        let field = SessionField::User(user.map(|u| u.to_string()));
        self.store
            .update_session(&session_id(token), now(), field)
            .await
    }

    /// Records the language chosen in the session (`None` forgets it); `false` when the
    /// session is unknown or expired.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty code or one longer than 8 characters.
    pub async fn set_locale(&self, token: &str, locale: Option<&str>) -> Result<bool> {
        if locale.is_some_and(|l| l.is_empty() || l.len() > 8) {
            return Err(Error::invalid(
                "locale",
                "must be a language code such as `en`",
            ));
        }
        let field = SessionField::Locale(locale.map(str::to_owned));
        self.store
            .update_session(&session_id(token), now(), field)
            .await
    }

    /// Replaces the session's free-form data; `false` when the session is unknown or
    /// expired.
    pub async fn set_data(&self, token: &str, data: &serde_json::Value) -> Result<bool> {
        let field = SessionField::Data(data.to_string());
        self.store
            .update_session(&session_id(token), now(), field)
            .await
    }

    /// Records a use of `session` (as returned by [`WebSessions::get`] for `token`): its expiry
    /// moves forward. Written only when the last write is a minute old or more; returns whether
    /// it was written.
    pub async fn touch(&self, token: &str, session: &WebSession) -> Result<bool> {
        let now = now();
        if now - session.last_seen_at.naive_utc() < Duration::seconds(TOUCH_INTERVAL_SECONDS) {
            return Ok(false);
        }
        let seen_before = now - Duration::seconds(TOUCH_INTERVAL_SECONDS);
        let expires = now + self.idle_for(session.kind, session.user_id);
        self.store
            .touch_session(&session_id(token), now, seen_before, expires)
            .await
    }

    /// Ends the session of `token` (log out); `false` when it did not exist.
    pub async fn delete(&self, token: &str) -> Result<bool> {
        self.store.delete_session(&session_id(token)).await
    }

    /// Ends every session of `user` except the one of `keep` (e.g. after a password change).
    /// Returns how many ended.
    pub async fn delete_for_user(&self, user: UserId, keep: Option<&str>) -> Result<usize> {
        let keep = keep.map(session_id);
        self.store
            .delete_user_sessions(&user.to_string(), keep.as_deref())
            .await
    }

    /// Deletes sessions expired at `at`; returns how many (the hourly housekeeping job).
    pub async fn purge_expired(&self, at: DateTime<Utc>) -> Result<usize> {
        self.store
            .purge_sessions(crate::storage::to_second(at))
            .await
    }
}

/// The stored id of the session of `token` (for storage functions that must skip it).
pub(crate) fn stored_id(token: &str) -> String {
    session_id(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sha256_of_the_token() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            session_id("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let t = WebSessionToken::generate();
        assert_eq!(t.as_str().len(), 64);
        assert_ne!(t, WebSessionToken::generate());
        assert_eq!(format!("{t:?}"), "WebSessionToken(..)");
    }
}
