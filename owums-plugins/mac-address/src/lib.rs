//! # owums-plugin-mac-address
//!
//! MAC authentication (OWUMS' experimental `mac_address` method, done): subscribers register
//! their devices' MAC addresses on their account page (operators on the console or with
//! `owums user device add USER MAC`), and an access controller that authenticates devices
//! by MAC (CoovaChilli `macauth`: User-Name = the MAC, password = `macpasswd` or the MAC)
//! gets an Access-Accept for a registered device of a valid subscriber, with the owner's
//! replies and groups, in SQL and in REST mode.
//!
//! The devices are kept by the core (`owums_devices`), which also answers FreeRADIUS; this
//! plugin turns the feature on and gives its rules ([`Verifier::device_policy`]): how many
//! devices a subscriber may register and the password controllers send.
//!
//! **What it verifies: nothing.** A MAC address is not a secret (any device nearby hears
//! it, and it can be set at will), so registering one proves nothing about a person. The
//! method is offered neither at sign-up nor to operators; subscribers are verified by
//! another method, then add devices. A subscriber whose method is `mac_address` (e.g.
//! imported from OWUMS) is told so on the verification page. See
//! `docs/verifiers/mac-address.md`.
//!
//! Turn it on in `plugins.toml`:
//!
//! ```toml
//! [plugins.mac_address]
//! enabled = true
//! max_devices = 5
//! # macpasswd = "the controller's macpasswd"
//! ```

mod config;

use std::sync::Arc;

use owums_core::{
    Challenge, DevicePolicy, Expiry, PluginContext, PluginRegistrar, Result, User, UserStatus,
    Verifier, VerifierFactory,
};

pub use config::{MAX_PASSWORD_BYTES, MacAddressConfig};

/// The plugin id: the key in `plugins.toml` and the users' verification method.
pub const ID: &str = "mac_address";

/// The message id of the verification page's note (devices verify no one).
pub const NOTE: &str = "mac_address-not-a-method";

/// Registers the MAC-address method (the crate's one entry point, static or dynamic).
pub fn register(registrar: &mut dyn PluginRegistrar) {
    registrar.register_verifier(Box::new(MacAddressFactory));
}

/// Builds a [`MacAddressVerifier`] from `[plugins.mac_address]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct MacAddressFactory;

impl VerifierFactory for MacAddressFactory {
    fn id(&self) -> &'static str {
        ID
    }

    fn check(&self, settings: serde_json::Value) -> Result<()> {
        MacAddressConfig::from_json(settings)?.validate()
    }

    /// The method's label and the verification page's note, from
    /// `locales/<lang>/mac_address.ftl`.
    fn messages(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("en", include_str!("../locales/en/mac_address.ftl")),
            ("it", include_str!("../locales/it/mac_address.ftl")),
            ("es", include_str!("../locales/es/mac_address.ftl")),
        ]
    }

    fn build(&self, settings: serde_json::Value, _ctx: PluginContext) -> Result<Arc<dyn Verifier>> {
        let config = MacAddressConfig::from_json(settings)?;
        config.validate()?;
        Ok(Arc::new(MacAddressVerifier { config }))
    }
}

/// Devices let in by MAC authentication; verifies no one.
#[derive(Debug)]
pub struct MacAddressVerifier {
    config: MacAddressConfig,
}

#[owums_core::async_trait]
impl Verifier for MacAddressVerifier {
    fn id(&self) -> &'static str {
        ID
    }

    /// Never offered on the sign-up page: a MAC address proves nothing about a person.
    fn self_service(&self) -> bool {
        false
    }

    /// Nor to operators.
    fn operator_verified(&self) -> bool {
        false
    }

    /// Nobody signs up with it, so nobody waits on it.
    fn expiry(&self) -> Expiry {
        Expiry::Never
    }

    fn device_policy(&self) -> Option<DevicePolicy> {
        Some(self.config.policy())
    }

    async fn challenge(&self, user: &dyn User, _locale: &str) -> Result<Challenge> {
        if user.status() == UserStatus::Verified {
            return Ok(Challenge::Done);
        }
        Ok(Challenge::Message {
            text: NOTE.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests;
