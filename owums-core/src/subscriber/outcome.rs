//! What a proof means: verifiers report outcomes ("this caller owns this number"), and the
//! core decides what they change for the subscriber — verify, re-enable, complete a
//! password recovery, or nothing.

use crate::error::Result;
use crate::plugin::verifier::{Outcome, OutcomeHandler};
use crate::subscriber::reset::phone::mark_proven;
use crate::subscriber::service::Subscribers;

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
            Outcome::Failed { user, reason } => {
                tracing::info!(user = ?user, verifier = verifier_id, %reason, "verification failed");
            }
            Outcome::Ignored => {}
        }
        Ok(())
    }
}
