//! # owums-plugin-sip
//!
//! Verification by phone call, OWUMS' "SIP busy machine": a new subscriber calls one of
//! the configured numbers from their mobile; a media gateway or SIP proxy routes the call
//! here; owums lets it ring and then answers *busy*, so the call costs nothing, while the
//! caller ID proves that the subscriber owns the number. The same call completes a
//! password recovery by phone ([`owums_core::subscriber::PhoneRecovery`]).
//!
//! Turn it on in `plugins.toml` (see `docs/verifiers/sip.md`):
//!
//! ```toml
//! [plugins.sip]
//! enabled = true
//! listen = "0.0.0.0:5060"
//! allowed_peers = ["192.0.2.10", "198.51.100.0/24"]
//! numbers = ["+39 06 1234567"]
//! ring_seconds = 8
//! registration_expire_seconds = 300
//! default_country_code = "39"
//! ```

mod caller;
mod config;
mod listener;
mod message;
mod response;
mod transaction;
mod verify;

use std::sync::Arc;

use owums_core::{
    BackgroundTask, Challenge, Expiry, PluginContext, PluginRegistrar, RegistrationField, Result,
    User, UserStatus, Verifier, VerifierFactory,
};

pub use caller::{callees, caller, phone_in};
pub use config::SipConfig;
pub use message::{MAX_MESSAGE_BYTES, Method, ParseError, SipRequest, parse, uri_user};

/// The plugin id: the key in `plugins.toml` and the users' verification method.
pub const ID: &str = "sip";

/// The message id of the line under the numbers to call ("the call is free…").
pub const NOTE: &str = "sip-call-free";

/// Registers the SIP verifier (the crate's one entry point, static or dynamic).
pub fn register(registrar: &mut dyn PluginRegistrar) {
    registrar.register_verifier(Box::new(SipVerifierFactory));
}

/// Builds a [`SipVerifier`] from `[plugins.sip]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SipVerifierFactory;

impl VerifierFactory for SipVerifierFactory {
    fn id(&self) -> &'static str {
        ID
    }

    fn check(&self, settings: serde_json::Value) -> Result<()> {
        SipConfig::from_json(settings)?.validate()
    }

    /// The method's label (`sip-method`) and the page's note under the numbers
    /// (`sip-call-free`), from `locales/<lang>/sip.ftl`.
    fn messages(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("en", include_str!("../locales/en/sip.ftl")),
            ("it", include_str!("../locales/it/sip.ftl")),
            ("es", include_str!("../locales/es/sip.ftl")),
        ]
    }

    fn build(&self, config: serde_json::Value, ctx: PluginContext) -> Result<Arc<dyn Verifier>> {
        let settings = SipConfig::from_json(config)?.check()?;
        Ok(Arc::new(SipVerifier {
            matcher: Arc::new(verify::Matcher { settings, ctx }),
        }))
    }
}

/// Verification by a call to one of the configured numbers.
#[derive(Debug)]
pub struct SipVerifier {
    matcher: Arc<verify::Matcher>,
}

#[owums_core::async_trait]
impl Verifier for SipVerifier {
    fn id(&self) -> &'static str {
        ID
    }

    fn self_service(&self) -> bool {
        true
    }

    fn required_fields(&self) -> Vec<RegistrationField> {
        vec![RegistrationField::Mobile]
    }

    fn country_code(&self) -> Option<&str> {
        self.matcher.settings.country_code.as_deref()
    }

    fn expiry(&self) -> Expiry {
        Expiry::Delete(self.matcher.settings.registration_expire)
    }

    /// The numbers to call, from the subscriber's mobile, and the seconds left; nothing to
    /// start (the subscriber calls, the listener hears it).
    async fn challenge(&self, user: &dyn User, _locale: &str) -> Result<Challenge> {
        if user.status() == UserStatus::Verified {
            return Ok(Challenge::Done);
        }
        let window = self.matcher.settings.registration_expire.as_secs();
        let now = self.matcher.ctx.now();
        let elapsed = user
            .created_at()
            .map_or(0, |t| u64::try_from((now - t).num_seconds()).unwrap_or(0));
        Ok(Challenge::CallNumber {
            numbers: self
                .matcher
                .settings
                .numbers
                .iter()
                .map(|(shown, _)| shown.clone())
                .collect(),
            from: user.mobile().map(|m| m.as_str().to_owned()),
            expires_in_seconds: window.saturating_sub(elapsed),
            note: Some(NOTE.to_owned()),
        })
    }

    fn background_tasks(&self) -> Vec<BackgroundTask> {
        let matcher = self.matcher.clone();
        vec![BackgroundTask {
            name: "sip-listener".to_owned(),
            run: Box::new(move |shutdown| {
                Box::pin(
                    async move { listener::Listener::bind(matcher).await?.run(shutdown).await },
                )
            }),
        }]
    }
}
#[cfg(test)]
mod tests;
