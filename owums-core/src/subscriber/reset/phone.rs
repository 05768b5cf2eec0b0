//! Password recovery by phone; the steps are documented on [`PhoneRecovery`].
//!
//! It reuses the phone verification method: the same numbers to call, the same caller-ID
//! match. The verifier only has to report [`Outcome::PasswordRecovered`] instead of
//! [`Outcome::Verified`] when [`is_pending`] says the caller asked to recover their
//! password; the rest (tickets, tokens, expiry, setting the password once) is here, kept in
//! the plugin-state table under the key `password_recovery`.
//!
//! [`Outcome::PasswordRecovered`]: crate::Outcome::PasswordRecovered
//! [`Outcome::Verified`]: crate::Outcome::Verified

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{Email, PhoneNumber, UserId, Username};
use crate::plugin::PluginStateStore;
use crate::plugin::verifier::{Challenge, Expiry, Verifier};
use crate::storage::Store;
use crate::subscriber::service::Subscribers;
use crate::subscriber::token;

pub use super::ticket::{RecoveryTicket, ResetToken};
use crate::subscriber::user::{User, UserRecord, UserStatus};

/// Plugin-state key under which a password recovery is recorded (in the place of a plugin
/// id, so it never collides with a plugin's own state).
pub(crate) const RECOVERY_STATE: &str = "password_recovery";

/// How long the "choose a new password" step stays open after the call (10 minutes).
pub const RESET_TOKEN_LIFETIME: Duration = Duration::from_secs(600);

/// The recovery window when the verifier keeps unfinished users forever ([`Expiry::Never`]);
/// otherwise the window is the verifier's own expiry.
const DEFAULT_WINDOW: Duration = Duration::from_secs(300);

/// What is stored per user: a pending request, a proven one (the call came), or a spent
/// one. Only hashes of the ticket and token are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum Record {
    Pending {
        method: String,
        ticket_hash: String,
        token_hash: String,
        expires_at: i64,
    },
    Proven {
        method: String,
        ticket_hash: String,
        token_hash: String,
        proven_at: i64,
    },
    /// The new password was set: the ticket and the token are spent.
    Used { ticket_hash: String },
}

impl Record {
    fn ticket_hash(&self) -> &str {
        match self {
            Record::Pending { ticket_hash, .. }
            | Record::Proven { ticket_hash, .. }
            | Record::Used { ticket_hash } => ticket_hash,
        }
    }
}

/// What [`PhoneRecovery::request`] answers (the same shape whether or not the number is a
/// subscriber's).
#[derive(Debug, Clone)]
pub struct RecoveryRequest {
    /// Poll [`PhoneRecovery::status`] with it.
    pub ticket: RecoveryTicket,
    /// What to show: the numbers to call, from which number, and the seconds left.
    pub challenge: Challenge,
}

/// Where a recovery stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoveryStatus {
    /// Waiting for the call.
    Pending {
        /// Seconds left to call.
        expires_in_seconds: u64,
    },
    /// The call came: choose a new password with `token`.
    Proven {
        /// For [`PhoneRecovery::reset_password`].
        token: ResetToken,
        /// Seconds the token stays valid.
        expires_in_seconds: u64,
    },
    /// The window passed (or the token was used): start again.
    Expired,
}

/// A stand-in user with the given number, so the verifier's challenge is the same whether
/// or not the number belongs to a subscriber.
struct Caller {
    id: UserId,
    username: Username,
    mobile: PhoneNumber,
}

impl User for Caller {
    fn id(&self) -> UserId {
        self.id
    }
    fn username(&self) -> &Username {
        &self.username
    }
    fn email(&self) -> Option<&Email> {
        None
    }
    fn mobile(&self) -> Option<&PhoneNumber> {
        Some(&self.mobile)
    }
    fn verification_method(&self) -> &str {
        ""
    }
    fn status(&self) -> UserStatus {
        UserStatus::Unverified
    }
}

/// Password recovery by phone (OWUMS' "mobile phone password reset"): the subscriber gives
/// their mobile number, calls one of the verification numbers from it, and once the call
/// proved they own the number, chooses a new password once.
///
/// The steps, as the web pages (or an integrator's) drive them:
///
/// 1. [`PhoneRecovery::request`] with the mobile number and the phone verifier: returns a
///    [`RecoveryRequest`] — an opaque [`RecoveryTicket`] to poll with and the
///    [`Challenge`] to show (numbers to call, countdown). The answer looks the same whether
///    or not an account has that number, so the form tells nobody who is a subscriber.
/// 2. The subscriber calls. The verifier reports [`Outcome::PasswordRecovered`] and the core
///    marks the recovery proven (see [`is_pending`] for verifiers).
/// 3. [`PhoneRecovery::status`] with the ticket, polled by the waiting page:
///    [`RecoveryStatus::Pending`] until the call, then [`RecoveryStatus::Proven`] with a
///    [`ResetToken`] valid for [`RESET_TOKEN_LIFETIME`] after the call, or
///    [`RecoveryStatus::Expired`] when the window passed.
/// 4. [`PhoneRecovery::reset_password`] with the token and the new password: works once;
///    the token is consumed, a second use is refused with [`Error::Unauthorized`].
///
/// Tickets and tokens are random secrets; only their SHA-256 hashes are stored, in the
/// plugin-state table under the key `password_recovery`.
///
/// ```no_run
/// use owums_core::subscriber::{PhoneRecovery, RecoveryStatus};
/// use owums_core::{PhoneNumber, Subscribers, Verifier};
/// # async fn demo(subscribers: Subscribers, phone: &dyn Verifier) -> owums_core::Result<()> {
/// let recovery = PhoneRecovery::new(subscribers);
/// let mobile = PhoneNumber::parse("+39 334 1234567")?;
/// let request = recovery.request(&mobile, phone).await?;     // show request.challenge
/// // … the subscriber calls; the phone verifier reports the outcome …
/// if let RecoveryStatus::Proven { token, .. } = recovery.status(&request.ticket).await? {
///     recovery.reset_password(&token, "n3w-password").await?;
/// }
/// # Ok(()) }
/// ```
///
/// [`Outcome::PasswordRecovered`]: crate::plugin::verifier::Outcome::PasswordRecovered
#[derive(Debug, Clone)]
pub struct PhoneRecovery {
    subscribers: Subscribers,
}

impl PhoneRecovery {
    /// Recovery over `subscribers` (which sets the new password in both forms: the web
    /// hash and the RADIUS row).
    pub fn new(subscribers: Subscribers) -> Self {
        PhoneRecovery { subscribers }
    }

    fn store(&self) -> &Store {
        self.subscribers.store()
    }

    /// Step 1: the subscriber with `mobile` wants to recover their password by calling
    /// through `verifier` (the phone method). Records a pending recovery that expires after
    /// the verifier's window; a new request replaces an older one.
    ///
    /// The answer has the same shape for any number: a subscriber who is not active, or no
    /// subscriber at all, gets a ticket that simply never becomes proven.
    ///
    /// # Errors
    ///
    /// What the verifier's `challenge` returns, or a storage error.
    pub async fn request(
        &self,
        mobile: &PhoneNumber,
        verifier: &dyn Verifier,
    ) -> Result<RecoveryRequest> {
        self.request_at(mobile, verifier, Utc::now()).await
    }

    /// [`request`](Self::request) as if it were `now`.
    pub async fn request_at(
        &self,
        mobile: &PhoneNumber,
        verifier: &dyn Verifier,
        now: DateTime<Utc>,
    ) -> Result<RecoveryRequest> {
        let (request, pending) = self.prepare(mobile, verifier, now).await?;
        if let Some(pending) = pending {
            pending.record(self.store()).await?;
        }
        Ok(request)
    }

    /// [`request`](Self::request) that answers before the pending recovery is written: the
    /// write happens in a task of its own, so a request for a subscriber's number costs the
    /// requester the same as one for a number nobody has (the same lookup, no write), and
    /// the time of the answer does not tell who is a subscriber.
    ///
    /// Meant for the pages and the API. The ticket reads as pending while the write is under
    /// way (as it would for an unknown number), and nobody calls within the milliseconds it
    /// takes; a failed write is logged, and the recovery then simply never becomes proven.
    ///
    /// # Errors
    ///
    /// What the verifier's `start` returns, or a storage error of the lookup.
    pub async fn request_later(
        &self,
        mobile: &PhoneNumber,
        verifier: &dyn Verifier,
    ) -> Result<RecoveryRequest> {
        let (request, pending) = self.prepare(mobile, verifier, Utc::now()).await?;
        let store = self.store().clone();
        tokio::spawn(async move {
            if let Some(pending) = pending
                && let Err(e) = pending.record(&store).await
            {
                tracing::warn!(error = %e, "password recovery by phone not recorded");
            }
        });
        Ok(request)
    }

    /// The answer to a request, and the pending recovery to record when the number belongs
    /// to an active subscriber.
    async fn prepare(
        &self,
        mobile: &PhoneNumber,
        verifier: &dyn Verifier,
        now: DateTime<Utc>,
    ) -> Result<(RecoveryRequest, Option<Pending>)> {
        let window = match verifier.expiry() {
            Expiry::Delete(d) | Expiry::Deactivate(d) => d,
            Expiry::Never => DEFAULT_WINDOW,
        };
        let window_secs = i64::try_from(window.as_secs()).unwrap_or(i64::MAX / 4);
        let expires_at = now.timestamp().saturating_add(window_secs);
        let user = self.store().find_user_by_mobile(mobile).await?;
        let id = user.as_ref().map_or_else(UserId::random, |u| u.id);
        let ticket = RecoveryTicket {
            user: id,
            expires_at,
            secret: token::random_secret(),
        };
        let stand_in = Caller {
            id,
            username: Username::try_new("recovery")?,
            mobile: mobile.clone(),
        };
        // The page translates what the challenge names; the stand-in's language only
        // matters to a verifier that words texts itself.
        let locale = user.as_ref().map_or("en", |u| u.locale.as_str());
        let mut challenge = verifier.challenge(&stand_in, locale).await?;
        if let Challenge::CallNumber {
            expires_in_seconds, ..
        } = &mut challenge
        {
            *expires_in_seconds = window.as_secs();
        }
        let pending = match user {
            Some(u) if u.active => Some(Pending {
                user: u.id,
                method: verifier.id().to_owned(),
                record: Record::Pending {
                    method: verifier.id().to_owned(),
                    ticket_hash: token::digest_parts(&[&ticket.secret]),
                    token_hash: token::digest_parts(&[&ticket.token().secret]),
                    expires_at,
                },
            }),
            _ => {
                tracing::info!(
                    method = verifier.id(),
                    "password recovery by phone requested for no active subscriber"
                );
                None
            }
        };
        Ok((RecoveryRequest { ticket, challenge }, pending))
    }

    /// Step 3: where the recovery of `ticket` stands. Cheap (one read): meant to be polled
    /// every few seconds by the waiting page.
    pub async fn status(&self, ticket: &RecoveryTicket) -> Result<RecoveryStatus> {
        self.status_at(ticket, Utc::now()).await
    }

    /// [`status`](Self::status) as if it were `now`.
    pub async fn status_at(
        &self,
        ticket: &RecoveryTicket,
        now: DateTime<Utc>,
    ) -> Result<RecoveryStatus> {
        let now = now.timestamp();
        let left = |until: i64| u64::try_from(until.saturating_sub(now)).unwrap_or(0);
        let record = load(self.store(), ticket.user)
            .await?
            .filter(|r| token::same(r.ticket_hash(), &token::digest_parts(&[&ticket.secret])));
        Ok(match record {
            // Unknown number or a replaced request: pending until the ticket's own expiry,
            // exactly like a real one that nobody calls for.
            None | Some(Record::Pending { .. }) if now < ticket.expires_at => {
                RecoveryStatus::Pending {
                    expires_in_seconds: left(ticket.expires_at),
                }
            }
            Some(Record::Proven { proven_at, .. }) if now < proven_at + lifetime() => {
                RecoveryStatus::Proven {
                    token: ticket.token(),
                    expires_in_seconds: left(proven_at + lifetime()),
                }
            }
            _ => RecoveryStatus::Expired,
        })
    }

    /// Step 4: sets `new_password` for the owner of `token`, once. An unknown, expired or
    /// used token is [`Error::Unauthorized`]; a password that breaks the rules is
    /// [`Error::Invalid`] and leaves the token usable.
    pub async fn reset_password(
        &self,
        token: &ResetToken,
        new_password: &str,
    ) -> Result<UserRecord> {
        self.reset_password_at(token, new_password, Utc::now())
            .await
    }

    /// [`reset_password`](Self::reset_password) as if it were `now`.
    pub async fn reset_password_at(
        &self,
        token: &ResetToken,
        new_password: &str,
        now: DateTime<Utc>,
    ) -> Result<UserRecord> {
        let record = load(self.store(), token.user)
            .await?
            .ok_or(Error::Unauthorized)?;
        let owner = self.store().find_user(token.user).await?;
        let personal = owner
            .as_ref()
            .map(crate::subscriber::PersonalData::of_user)
            .unwrap_or_default();
        crate::subscriber::password::validate_password(new_password, &personal)?;
        let Record::Proven {
            token_hash,
            proven_at,
            ..
        } = &record
        else {
            return Err(Error::Unauthorized);
        };
        if !token::same(token_hash, &token::digest_parts(&[&token.secret]))
            || now.timestamp() >= proven_at + lifetime()
        {
            return Err(Error::Unauthorized);
        }
        let used = Record::Used {
            ticket_hash: record.ticket_hash().to_owned(),
        };
        if !self
            .store()
            .swap_plugin_state(
                RECOVERY_STATE,
                token.user,
                &to_json(&record)?,
                &to_json(&used)?,
            )
            .await?
        {
            return Err(Error::Unauthorized);
        }
        self.subscribers
            .set_password(token.user, new_password)
            .await?;
        tracing::info!(user = %token.user, "password reset after a phone call");
        self.store()
            .find_user(token.user)
            .await?
            .ok_or_else(|| Error::not_found("user", token.user.to_string()))
    }
}

/// A pending recovery of an active subscriber, to be written.
struct Pending {
    user: UserId,
    method: String,
    record: Record,
}

impl Pending {
    async fn record(self, store: &Store) -> Result<()> {
        store
            .put(RECOVERY_STATE, self.user, to_json(&self.record)?)
            .await?;
        tracing::info!(user = %self.user, method = %self.method, "password recovery by phone requested");
        Ok(())
    }
}

fn lifetime() -> i64 {
    i64::try_from(RESET_TOKEN_LIFETIME.as_secs()).unwrap_or(600)
}

fn to_json(record: &Record) -> Result<serde_json::Value> {
    serde_json::to_value(record).map_err(|e| Error::Internal(format!("recovery record: {e}")))
}

async fn load(state: &dyn PluginStateStore, user: UserId) -> Result<Option<Record>> {
    Ok(state
        .get(RECOVERY_STATE, user)
        .await?
        .and_then(|v| serde_json::from_value(v).ok()))
}

/// For verifiers: whether `user` asked to recover their password and has not proven it yet
/// (a call from their number should then report [`Outcome::PasswordRecovered`]).
///
/// Reads only through a [`PluginStateStore`], so a plugin calls it with its
/// [`PluginContext::state`](crate::PluginContext::state).
///
/// [`Outcome::PasswordRecovered`]: crate::plugin::verifier::Outcome::PasswordRecovered
pub async fn is_pending(state: &dyn PluginStateStore, user: UserId) -> Result<bool> {
    let now = Utc::now().timestamp();
    Ok(matches!(
        load(state, user).await?,
        Some(Record::Pending { expires_at, .. }) if now < expires_at
    ))
}

/// Marks the pending recovery of `user` proven by `verifier`; false (and nothing changes)
/// when there is none, it expired, or it was asked for another method. Called by the
/// outcome handler for [`Outcome::PasswordRecovered`](crate::Outcome::PasswordRecovered).
pub(crate) async fn mark_proven(store: &Store, user: UserId, verifier: &str) -> Result<bool> {
    let now = Utc::now().timestamp();
    match load(store, user).await? {
        Some(Record::Pending {
            method,
            ticket_hash,
            token_hash,
            expires_at,
        }) if now < expires_at && method == verifier => {
            let proven = Record::Proven {
                method,
                ticket_hash,
                token_hash,
                proven_at: now,
            };
            store.put(RECOVERY_STATE, user, to_json(&proven)?).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
