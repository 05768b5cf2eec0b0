//! What a call proves: that the caller owns the calling number (the host decides what that
//! means for the subscriber with it).

use owums_core::{Outcome, PhoneNumber, PluginContext, Result};

use crate::caller;
use crate::config::Settings;
use crate::message::SipRequest;

/// A short tag that tells calls apart in the log without writing their Call-ID (it
/// identifies a call and its caller's device to anyone reading the log): the same Call-ID
/// gets the same tag within this process, from a key chosen at random when it starts.
pub(crate) fn call_tag(call_id: &str) -> String {
    use std::hash::BuildHasher;
    static KEY: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
    let hash = KEY
        .get_or_init(std::hash::RandomState::new)
        .hash_one(call_id);
    format!("{:08x}", hash >> 32)
}

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
            tracing::info!(call = %call_tag(&request.call_id), "call for a number that is not ours; busy, nothing changes");
            return None;
        }
        let from = caller::caller(request, cc);
        if from.is_none() {
            tracing::info!(call = %call_tag(&request.call_id), "call without a usable caller ID; busy, nothing changes");
        }
        from
    }

    /// Applies what a call from `from` means, logging a failure.
    pub(crate) async fn on_call(&self, from: &PhoneNumber) {
        if let Err(e) = self.apply_call(from).await {
            tracing::warn!(error = %e, "a verification call could not be applied");
        }
    }

    /// Reports what a call from `from` proves — that its caller owns the number — to the
    /// host, which decides what that means for the subscriber (verify, re-enable, complete a
    /// password recovery, or nothing); returns the outcome reported.
    pub(crate) async fn apply_call(&self, from: &PhoneNumber) -> Result<Outcome> {
        let outcome = Outcome::PhoneProven {
            number: from.clone(),
        };
        self.ctx.report(outcome.clone()).await?;
        Ok(outcome)
    }
}
