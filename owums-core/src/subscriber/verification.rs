//! What a subscriber's verification page shows and until when: the verification is started
//! once (recorded in the core's plugin state), and every later look asks the method's pure
//! challenge, safe on every poll.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::plugin::PluginStateStore;
use crate::plugin::verifier::{Challenge, Expiry};
use crate::subscriber::registration::{Registrations, STARTED_STATE};
use crate::subscriber::user::{UserRecord, UserStatus};

/// What the verification page (or an API client polling it) must show now, and until when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationView {
    /// Where the subscriber stands.
    pub status: UserStatus,
    /// What to show: [`Challenge::Done`] once verified; the method's challenge while
    /// unverified (or disabled: proving it again re-enables); `None` when there is nothing
    /// to show (the method is not enabled or not self-service, the account is switched off,
    /// the deadline passed, or the verification could not be started yet).
    pub challenge: Option<Challenge>,
    /// When an unfinished registration is deleted or switched off; `None`: never.
    pub deadline: Option<DateTime<Utc>>,
    /// Whether the verification was started (and its challenge recorded).
    pub started: bool,
}

impl VerificationView {
    /// Whole seconds left before the deadline at `now` (negative once it passed); `None`
    /// without a deadline.
    pub fn seconds_left(&self, now: DateTime<Utc>) -> Option<i64> {
        self.deadline.map(|d| (d - now).num_seconds())
    }

    /// Whether the deadline has passed at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.seconds_left(now).is_some_and(|s| s <= 0)
    }
}

/// What is recorded once a verification started (older records also hold the challenge
/// of the time; it is no longer read).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Started {
    started_at: DateTime<Utc>,
}

impl Registrations {
    /// Starts verifying `user` with their method unless it was started already (then it
    /// only answers the view): [`Verifier::start`](crate::plugin::Verifier::start), the
    /// method's side effect (a mail, a payment order), runs at most once per registration,
    /// in `locale` (the language of the person registering). The start is claimed in the
    /// core's plugin state before the verifier runs, so of two racing first calls only one
    /// starts; when the verifier fails, the claim is withdrawn and a later call tries again.
    pub async fn start(&self, user: &UserRecord, locale: &str) -> Result<VerificationView> {
        let view = self.view(user, locale).await?;
        let waiting = matches!(view.status, UserStatus::Unverified | UserStatus::Disabled);
        if view.started || !waiting || view.is_expired(Utc::now()) {
            return Ok(view);
        }
        let Some(verifier) = self
            .verifier(&user.verification_method)
            .filter(|v| v.self_service())
        else {
            return Ok(view);
        };
        let record = Started {
            started_at: Utc::now(),
        };
        let json = serde_json::to_value(&record)
            .map_err(|e| Error::Internal(format!("verification record: {e}")))?;
        let store = self.subscribers.store();
        if !store
            .claim_plugin_state(STARTED_STATE, user.id, &json)
            .await?
        {
            // another request started it meanwhile
            return self.view(user, locale).await;
        }
        if let Err(e) = verifier.start(user, locale).await {
            store.delete(STARTED_STATE, user.id).await?;
            return Err(e);
        }
        tracing::info!(user = %user.username, method = verifier.id(), "verification started");
        self.view(user, locale).await
    }

    /// What to show `user` now, in `locale`, and until when: asks the method's
    /// [`Verifier::challenge`](crate::plugin::Verifier::challenge), which is pure, so this is
    /// safe on every poll. A challenge the verifier cannot answer is logged and shown as
    /// nothing to show.
    pub async fn view(&self, user: &UserRecord, locale: &str) -> Result<VerificationView> {
        let status = user.status();
        let deadline = self.deadline(user);
        let recorded: Option<Started> = self
            .subscribers
            .store()
            .get(STARTED_STATE, user.id)
            .await?
            .and_then(|v| serde_json::from_value(v).ok());
        let started = recorded.is_some();
        let now = Utc::now();
        let offered = self
            .verifier(&user.verification_method)
            .filter(|v| v.self_service());
        let challenge = match (status, offered) {
            (UserStatus::Verified, _) => Some(Challenge::Done),
            (UserStatus::Unverified | UserStatus::Disabled, Some(verifier))
                if started && deadline.is_none_or(|d| (d - now).num_seconds() > 0) =>
            {
                match verifier.challenge(user, locale).await {
                    Ok(c) => Some(refreshed(c, deadline, now)),
                    Err(e) => {
                        tracing::warn!(user = %user.username, method = verifier.id(), error = %e.chain(), "no challenge to show");
                        None
                    }
                }
            }
            _ => None,
        };
        Ok(VerificationView {
            status,
            challenge,
            deadline,
            started,
        })
    }

    /// When `user`'s unfinished registration is deleted or switched off: their registration
    /// time plus the [`Verifier::expiry`](crate::plugin::Verifier::expiry) of their method; `None` when they are not
    /// unverified or the method keeps them forever. The one place this is computed.
    pub fn deadline(&self, user: &UserRecord) -> Option<DateTime<Utc>> {
        if user.status() != UserStatus::Unverified {
            return None;
        }
        match self.verifier(&user.verification_method)?.expiry() {
            Expiry::Delete(d) | Expiry::Deactivate(d) => {
                let d = chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
                Some(
                    user.created_at
                        .checked_add_signed(d)
                        .unwrap_or(DateTime::<Utc>::MAX_UTC),
                )
            }
            Expiry::Never => None,
        }
    }
}

/// The recorded challenge with its countdown brought to `now`.
fn refreshed(
    mut challenge: Challenge,
    deadline: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Challenge {
    if let (
        Challenge::CallNumber {
            expires_in_seconds, ..
        },
        Some(d),
    ) = (&mut challenge, deadline)
    {
        *expires_in_seconds = u64::try_from((d - now).num_seconds()).unwrap_or(0);
    }
    challenge
}
