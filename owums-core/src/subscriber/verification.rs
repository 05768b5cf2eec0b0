//! What a subscriber's verification page shows and until when: the verification is started
//! once (its challenge recorded in the core's plugin state), and every later look is a pure
//! read, safe on every poll.

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
    /// What to show: [`Challenge::Done`] once verified; the recorded challenge while
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

/// What is recorded once a verification started.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Started {
    challenge: Challenge,
    started_at: DateTime<Utc>,
}

impl Registrations {
    /// Starts verifying `user` with their method unless it was started already (then it
    /// only answers the view): [`Verifier::start`](crate::plugin::Verifier::start) runs at
    /// most once per registration, and its challenge is recorded for
    /// [`Registrations::view`]. Two racing first calls may both start; every later call only
    /// reads.
    pub async fn start(&self, user: &UserRecord) -> Result<VerificationView> {
        let view = self.view(user).await?;
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
        let challenge = verifier.start(user).await?;
        let record = Started {
            challenge,
            started_at: Utc::now(),
        };
        let json = serde_json::to_value(&record)
            .map_err(|e| Error::Internal(format!("verification record: {e}")))?;
        self.subscribers
            .store()
            .put(STARTED_STATE, user.id, json)
            .await?;
        tracing::info!(user = %user.username, method = verifier.id(), "verification started");
        self.view(user).await
    }

    /// What to show `user` now, and until when; reads only, so it is safe on every poll.
    pub async fn view(&self, user: &UserRecord) -> Result<VerificationView> {
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
            .is_some_and(|v| v.self_service());
        let challenge = match status {
            UserStatus::Verified => Some(Challenge::Done),
            UserStatus::Unverified | UserStatus::Disabled
                if offered && deadline.is_none_or(|d| (d - now).num_seconds() > 0) =>
            {
                recorded.map(|r| refreshed(r.challenge, deadline, now))
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
