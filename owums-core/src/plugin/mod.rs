//! The plugin API: what a verification method (or an accounting sink) written as a plugin
//! implements, and what the host gives it.
//!
//! - A plugin crate has one `register(&mut dyn PluginRegistrar)` function that offers its
//!   factories ([`VerifierFactory`], [`AccountingSinkFactory`]) to the
//!   [`PluginRegistry`]; `plugins.toml` then decides which registered plugins are on.
//! - A [`Verifier`] is one verification method: it names the registration fields it needs,
//!   starts a verification and says what the page must show ([`Challenge`]), and reports
//!   what external events meant ([`Outcome`]) to the host's [`OutcomeHandler`].
//! - Plugins never see the database: they get a [`PluginContext`] with a
//!   [`UserDirectory`] for lookups and a [`PluginStateStore`] for their own JSON state.

pub(crate) mod registry;
pub(crate) mod verifier;

pub use registry::{
    AccountingSinkFactory, PLUGIN_API_VERSION, PluginContext, PluginRegistrar, PluginRegistry,
    PluginStateStore, UserDirectory, VerifierFactory,
};
pub use verifier::{
    BackgroundTask, BoxFuture, Challenge, Expiry, Outcome, OutcomeHandler, PluginHandler,
    PluginRoute, RegistrationField, Shutdown, Verifier, VerifierEvent,
};
