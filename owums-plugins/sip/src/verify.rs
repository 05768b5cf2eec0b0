//! What a call means: which subscriber it proves, and what happens to them.

use owums_core::{Outcome, PhoneNumber, PluginContext, Result, UserStatus};

use crate::caller;
use crate::config::Settings;
use crate::message::SipRequest;

/// Matches calls to subscribers and reports outcomes to the host.
pub(crate) struct Matcher {
    pub(crate) settings: Settings,
    pub(crate) ctx: PluginContext,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Matcher {
    /// The caller whose call to check, when `request` is a call to one of our numbers with
    /// a usable caller ID (otherwise it says why not in the log).
    pub(crate) fn caller_to_check(&self, request: &SipRequest) -> Option<PhoneNumber> {
        let cc = self.settings.country_code.as_deref();
        let callees = caller::callees(request, cc);
        if !callees.iter().any(|c| self.settings.is_our_number(c)) {
            tracing::info!(call_id = %request.call_id, "call for a number that is not ours; busy, nothing changes");
            return None;
        }
        let from = caller::caller(request, cc);
        if from.is_none() {
            tracing::info!(call_id = %request.call_id, "call without a usable caller ID; busy, nothing changes");
        }
        from
    }

    /// Applies what a call from `from` means, logging a failure.
    pub(crate) async fn on_call(&self, from: &PhoneNumber) {
        if let Err(e) = self.apply_call(from).await {
            tracing::warn!(error = %e, "a verification call could not be applied");
        }
    }

    /// Decides and applies what a call from `from` means; returns the outcomes applied.
    pub(crate) async fn apply_call(&self, from: &PhoneNumber) -> Result<Vec<Outcome>> {
        let outcomes = self.outcomes(from).await?;
        for outcome in &outcomes {
            self.ctx.outcomes.apply(crate::ID, outcome.clone()).await?;
        }
        Ok(outcomes)
    }

    async fn outcomes(&self, from: &PhoneNumber) -> Result<Vec<Outcome>> {
        let Some(user) = self.ctx.users.find_by_mobile(from).await? else {
            tracing::info!("call from a number no subscriber has; busy, nothing changes");
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        match user.status() {
            UserStatus::Inactive => {
                return Ok(vec![Outcome::Failed {
                    user: Some(user.id),
                    reason: "the account was switched off by an operator".to_owned(),
                }]);
            }
            UserStatus::Unverified | UserStatus::Disabled
                if user.verification_method == crate::ID =>
            {
                out.push(Outcome::Verified { user: user.id });
            }
            _ => {}
        }
        if owums_core::subscriber::is_pending(&*self.ctx.state, user.id).await? {
            out.push(Outcome::PasswordRecovered { user: user.id });
        }
        if out.is_empty() {
            tracing::info!(user = %user.id, "call from a subscriber with nothing pending");
        }
        Ok(out)
    }
}
