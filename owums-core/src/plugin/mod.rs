//! The plugin API: what a verification method (or an accounting sink) written as a plugin
//! implements, and what the host gives it.
//!
//! - A plugin crate has one `register(&mut dyn PluginRegistrar)` function that offers its
//!   factories ([`VerifierFactory`], [`AccountingSinkFactory`]) to the
//!   [`PluginRegistry`]; `plugins.toml` then decides which registered plugins are on.
//! - A [`Verifier`] is one verification method: it names the registration fields it needs,
//!   does its side effect once per registration ([`Verifier::start`]), says what the page
//!   shows now ([`Verifier::challenge`]), and reports what events proved ([`Outcome`]) to
//!   the core, which decides what they mean.
//! - Plugins never see the database: each gets a [`PluginContext`] scoped to its id, with
//!   subscriber lookups ([`UserDirectory`]), its own state ([`PluginState`]: by user or by a
//!   key it chooses, with compare-and-swap), mail with its own templates
//!   ([`PluginMail`]), runtime settings, the public base URL and a clock.
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
//! 3. **Validate.** [`PluginRegistry::check_settings`] asks each enabled factory to check its
//!    own settings ([`VerifierFactory::check`]) — `owums check-config` and `owums serve`
//!    both do, with no per-plugin code in the host. A required plugin's bad value stops
//!    startup with a message naming the key (`plugins.sip.listen: …`, see
//!    [`setting_error`]); an optional plugin's is a warning and the plugin stays off.
//! 4. **Build.** [`PluginRegistry::build_verifiers`] calls each enabled factory with the
//!    plugin's own settings (the table without `enabled` and `required`) and its
//!    [`PluginContext`] (made from the host's [`PluginHost`]). A required plugin that fails
//!    to build stops startup; an optional one is skipped with a warning. The host also adds
//!    the plugin's page strings ([`VerifierFactory::messages`]) to its own; an id that does
//!    not start with `<id>-` or that the host already has stops startup.
//! 5. **Run.** The host mounts the verifier's [`routes`](Verifier::routes) under
//!    `/plugins/<id>/` and starts its [`BackgroundTask`]s (a SIP listener) with a
//!    [`Shutdown`] signal. When a subscriber registers, the core calls
//!    [`Verifier::start`] once (recorded, so a retry after success never repeats it); every
//!    look at the verification page asks [`Verifier::challenge`], which is pure.
//! 6. **Report.** What an event proves becomes an [`Outcome`]: a route answers it in its
//!    [`PluginResponse`] (the host applies it before sending the response), a background
//!    task calls [`PluginContext::report`]. The core decides what it means for the
//!    subscriber now (verify, re-enable, complete a password recovery) and applies it in one
//!    transaction. A plugin never changes a subscriber's state itself. Methods operators
//!    complete ([`Verifier::operator_verified`]) go through
//!    [`OperatorVerifications`](crate::subscriber::OperatorVerifications) instead, which
//!    records who verified whom with what evidence.
//! 7. **Shutdown.** The host sends the [`Shutdown`] signal; background tasks return within
//!    the grace period.
//!
//! ## A plugin crate
//!
//! ```
//! use std::sync::Arc;
//! use owums_core::{
//!     Challenge, Expiry, PluginContext, PluginRegistrar, Result, User, Verifier,
//!     VerifierFactory,
//! };
//! use owums_core::plugin::{parse_settings, setting_error};
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
//!     fn operator_verified(&self) -> bool { true }
//!     async fn challenge(&self, _user: &dyn User, _locale: &str) -> Result<Challenge> {
//!         Ok(Challenge::WaitForOperator { note: Some(format!("Bring your ID card to {}.", self.office)) })
//!     }
//! }
//!
//! struct IdCardFactory;
//!
//! impl VerifierFactory for IdCardFactory {
//!     fn id(&self) -> &'static str { "id_card" }
//!     fn check(&self, settings: serde_json::Value) -> Result<()> {
//!         let config: IdCardConfig = parse_settings("id_card", settings)?;
//!         if config.office.trim().is_empty() {
//!             return Err(setting_error("id_card", "office", "say where subscribers go"));
//!         }
//!         Ok(())
//!     }
//!     fn build(&self, settings: serde_json::Value, _ctx: PluginContext) -> Result<Arc<dyn Verifier>> {
//!         let config: IdCardConfig = parse_settings("id_card", settings)?;
//!         Ok(Arc::new(IdCard { office: config.office }))
//!     }
//!     fn messages(&self) -> &'static [(&'static str, &'static str)] {
//!         &[("en", "id_card-method = Identity document\n"),
//!           ("it", "id_card-method = Documento d'identità\n"),
//!           ("es", "id_card-method = Documento de identidad\n")]
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

pub(crate) mod context;
mod device;
mod export;
mod ffi;
mod guard;
#[cfg(feature = "dynamic-plugins")]
mod library;
pub(crate) mod operator_form;
pub(crate) mod registry;
pub(crate) mod route;
pub(crate) mod verifier;

pub use context::{
    Clock, MailQueue, MailTemplate, PluginContext, PluginHost, PluginMail, PluginState,
    PluginStateStore, SettingsSource, UserDirectory,
};
pub use device::DevicePolicy;
pub use ffi::{CORE_VERSION, DECLARATION_SYMBOL, PluginDeclaration, PluginEntry, RUSTC_VERSION};
pub use guard::GuardedRegistrar;
#[cfg(feature = "dynamic-plugins")]
pub use library::load_library;

pub use operator_form::{
    Attachment, FormChoice, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, MAX_EVIDENCE_BYTES,
    OperatorEvidence, OperatorInput, UploadedFile,
};
pub use registry::{
    AccountingSinkFactory, ConfiguredSink, PLUGIN_API_VERSION, PluginRegistrar, PluginRegistry,
    VerifierFactory, parse_settings, setting_error, sink_setting_error,
};
pub use route::{PluginHandler, PluginRequest, PluginResponse, PluginRoute};
pub use verifier::{
    BackgroundTask, BoxFuture, Challenge, Expiry, FormField, FormFieldKind, Outcome,
    OutcomeHandler, RegistrationField, Shutdown, Verifier,
};
