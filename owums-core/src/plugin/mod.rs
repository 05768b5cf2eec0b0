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
//!
//! ## Lifecycle
//!
//! 1. **Register.** The host calls every compiled-in plugin crate's `register` with its
//!    [`PluginRegistry`] (the reference server keeps that list in
//!    `owums-server/src/plugins.rs`, one feature-gated line per crate). Registering builds
//!    nothing: it only makes the plugin's id known.
//! 2. **Enable.** `plugins.toml` holds one `[plugins.<id>]` table per plugin the operator
//!    turns on ([`crate::config::PluginTable`]). [`PluginRegistry::check_config`] refuses an
//!    id no plugin registered, listing the ones that exist.
//! 3. **Build.** [`PluginRegistry::build_verifiers`] calls each enabled factory with the
//!    plugin's own settings (the table without `enabled` and `required`) and a
//!    [`PluginContext`]. A required plugin that fails to build stops startup; an optional
//!    one is skipped with a warning.
//! 4. **Run.** The host starts the verifier's [`BackgroundTask`]s (a SIP listener) with a
//!    [`Shutdown`] signal, and calls [`Verifier::start`] when a subscriber registers or
//!    opens the verification page. Routes ([`PluginRoute`]) are framework-neutral
//!    `http` handlers a host adapts to its web framework.
//! 5. **Report.** When an event proves something (a call from the right number), the
//!    verifier hands an [`Outcome`] to [`PluginContext::outcomes`]; the core decides what it
//!    means for the subscriber now (verify, re-enable, complete a password recovery) and
//!    applies it in one transaction. A plugin never changes a subscriber's state itself.
//!
//! ## A plugin crate
//!
//! ```
//! use std::sync::Arc;
//! use owums_core::{
//!     Challenge, Error, Expiry, Outcome, PluginContext, PluginRegistrar, Result, User,
//!     Verifier, VerifierEvent, VerifierFactory,
//! };
//!
//! /// `[plugins.id_card]`: an operator checks an identity document.
//! #[derive(serde::Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct IdCardConfig {
//!     /// Where subscribers bring their document.
//!     office: String,
//! }
//!
//! struct IdCard { office: String }
//!
//! #[async_trait::async_trait]
//! impl Verifier for IdCard {
//!     fn id(&self) -> &'static str { "id_card" }
//!     fn expiry(&self) -> Expiry { Expiry::Never }
//!     async fn start(&self, _user: &dyn User) -> Result<Challenge> {
//!         Ok(Challenge::Message { text: format!("Bring your ID card to {}.", self.office) })
//!     }
//!     async fn handle_event(&self, _event: VerifierEvent) -> Result<Outcome> {
//!         Ok(Outcome::Ignored)
//!     }
//! }
//!
//! struct IdCardFactory;
//!
//! impl VerifierFactory for IdCardFactory {
//!     fn id(&self) -> &'static str { "id_card" }
//!     fn build(&self, config: serde_json::Value, _ctx: PluginContext) -> Result<Arc<dyn Verifier>> {
//!         let config: IdCardConfig = serde_json::from_value(config)
//!             .map_err(|e| Error::Config(format!("plugins.id_card: {e}")))?;
//!         Ok(Arc::new(IdCard { office: config.office }))
//!     }
//! }
//!
//! /// The crate's one entry point.
//! pub fn register(registrar: &mut dyn PluginRegistrar) {
//!     registrar.register_verifier(Box::new(IdCardFactory));
//! }
//!
//! let mut registry = owums_core::PluginRegistry::new();
//! register(&mut registry);
//! assert_eq!(registry.known_ids(), ["id_card"]);
//! ```
//!
//! The matching `plugins.toml` (add `library = "/path/to/libthe_plugin.so"` to load the
//! plugin from a shared library built with [`export_plugin!`](crate::export_plugin)):
//!
//! ```toml
//! [plugins.id_card]
//! enabled = true
//! office = "the front desk, via Roma 1"
//! ```

mod export;
mod ffi;
mod guard;
#[cfg(feature = "dynamic-plugins")]
mod library;
pub(crate) mod registry;
pub(crate) mod verifier;

pub use ffi::{CORE_VERSION, DECLARATION_SYMBOL, PluginDeclaration, PluginEntry, RUSTC_VERSION};
pub use guard::GuardedRegistrar;
#[cfg(feature = "dynamic-plugins")]
pub use library::load_library;

pub use registry::{
    AccountingSinkFactory, PLUGIN_API_VERSION, PluginContext, PluginRegistrar, PluginRegistry,
    PluginStateStore, UserDirectory, VerifierFactory,
};
pub use verifier::{
    BackgroundTask, BoxFuture, Challenge, Expiry, Outcome, OutcomeHandler, PluginHandler,
    PluginRoute, RegistrationField, Shutdown, Verifier, VerifierEvent,
};
