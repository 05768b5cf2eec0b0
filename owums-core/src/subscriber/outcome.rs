//! What a proof means: verifiers report outcomes ("this caller owns this number"), and the
//! core decides what they change for the subscriber — verify, re-enable, complete a
//! password recovery, or nothing.

use crate::error::Result;
use crate::ids::PhoneNumber;
use crate::plugin::verifier::{Outcome, OutcomeHandler};
use crate::subscriber::reset::phone::mark_proven;
use crate::subscriber::service::Subscribers;
use crate::subscriber::user::UserStatus;

/// The host's side of verification outcomes: a verified user is verified (or re-enabled),
/// a recovered password is recorded for the recovery flow to pick up.
#[async_trait::async_trait]
impl OutcomeHandler for Subscribers {
    async fn apply(&self, verifier_id: &str, outcome: Outcome) -> Result<()> {
        match outcome {
            Outcome::Verified { user } => {
                self.verify(user).await?;
                tracing::info!(%user, verifier = verifier_id, "verified");
            }
            Outcome::PasswordRecovered { user } => {
                if mark_proven(self.store(), user, verifier_id).await? {
                    tracing::info!(%user, verifier = verifier_id, "password recovery proven");
                } else {
                    tracing::info!(%user, verifier = verifier_id, "no pending password recovery; call ignored");
                }
            }
            Outcome::PhoneProven { number } => self.phone_proven(verifier_id, &number).await?,
            Outcome::Failed { user, reason } => {
                tracing::info!(user = ?user, verifier = verifier_id, %reason, "verification failed");
            }
            Outcome::Ignored => {}
        }
        Ok(())
    }
}

impl Subscribers {
    /// What "the owner of `number` proved it through `verifier_id`" means now: nothing for
    /// an unknown number or a switched-off account; verification (or re-enabling) when the
    /// account waits for this very method; and, independently, the completion of a pending
    /// password recovery by phone.
    async fn phone_proven(&self, verifier_id: &str, number: &PhoneNumber) -> Result<()> {
        let Some(user) = self.store().find_user_by_mobile(number).await? else {
            tracing::info!(
                verifier = verifier_id,
                "proof for a number no subscriber has; nothing changes"
            );
            return Ok(());
        };
        let mut changed = false;
        match user.status() {
            UserStatus::Inactive => {
                tracing::info!(user = %user.id, verifier = verifier_id, reason = "the account was switched off by an operator", "verification failed");
                return Ok(());
            }
            UserStatus::Unverified | UserStatus::Disabled
                if user.verification_method == verifier_id =>
            {
                self.verify(user.id).await?;
                tracing::info!(user = %user.id, verifier = verifier_id, "verified");
                changed = true;
            }
            _ => {}
        }
        if mark_proven(self.store(), user.id, verifier_id).await? {
            tracing::info!(user = %user.id, verifier = verifier_id, "password recovery proven");
            changed = true;
        }
        if !changed {
            tracing::info!(user = %user.id, verifier = verifier_id, "proof from a subscriber with nothing pending");
        }
        Ok(())
    }
}
