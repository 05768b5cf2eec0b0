//! The plugin API: factories, the registrar every plugin crate calls, and the narrow
//! context plugins get (they never see the database).
//!
//! A plugin crate implements a factory ([`VerifierFactory`] or [`AccountingSinkFactory`])
//! and offers it through the [`PluginRegistrar`] its `register` function is given. The host
//! collects the factories in a [`PluginRegistry`], checks `plugins.toml` against it, and
//! builds the enabled plugins with a [`PluginContext`]: the only door from a plugin to the
//! host's data. The context's traits ([`UserDirectory`], [`PluginStateStore`],
//! [`OutcomeHandler`]) are implemented by the core's [`Store`](crate::Store) and
//! [`Subscribers`](crate::Subscribers), and can be implemented by tests or by an
//! integrator's own storage.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::accounting::AccountingSink;
use crate::config::PluginsConfig;
use crate::error::{Error, Result};
use crate::ids::{PhoneNumber, UserId, Username};
use crate::plugin::verifier::{OutcomeHandler, Verifier};
use crate::subscriber::user::UserRecord;

/// Version of this API; bumped on any breaking change to it. Shared-library plugins must
/// match it.
///
/// Statically linked plugins are checked by the compiler and need not look at it. A plugin
/// loaded as a shared library declares the version it was built against
/// ([`export_plugin!`](crate::export_plugin) writes it), and the host refuses one that
/// differs with an error naming both versions instead of calling into it with types that
/// no longer match (`owums_core::plugin::load_library`, with the `dynamic-plugins` feature).
///
/// Version 2: shared-library plugins (the declaration and its checks).
pub const PLUGIN_API_VERSION: u32 = 2;

/// Subscriber lookups a plugin may do.
///
/// Read-only on purpose: a plugin learns who a subscriber is (to match a caller ID to an
/// account, to show a name on a payment page) but changes their state only by reporting an
/// [`Outcome`](crate::Outcome). [`Store`](crate::Store) implements it; every method answers
/// `Ok(None)` when no subscriber matches and an error only when the lookup itself failed.
#[async_trait::async_trait]
pub trait UserDirectory: Send + Sync + 'static {
    /// The subscriber with id `id`, in any state.
    async fn find_by_id(&self, id: UserId) -> Result<Option<UserRecord>>;
    /// The subscriber with this username; usernames are lowercase, so the lookup is
    /// case-insensitive.
    async fn find_by_username(&self, username: &Username) -> Result<Option<UserRecord>>;
    /// The subscriber with this mobile number (E.164; numbers are unique among
    /// subscribers), e.g. to match the caller ID of a verification call.
    async fn find_by_mobile(&self, mobile: &PhoneNumber) -> Result<Option<UserRecord>>;
}

/// Per-user JSON state a plugin keeps (a core-owned table: plugins need no migrations).
///
/// One JSON value per `(plugin, user)` pair, in `owums_plugin_state` on every backend: a
/// payment plugin keeps its transaction id there, the phone plugin the number a call must
/// come from. `plugin` is the plugin's own id by convention (the core itself keeps password
/// recoveries under `password_recovery`). The rows go when the user is deleted. The shape of
/// the JSON is the plugin's business; keep it small, it is read on the plugin's requests.
///
/// [`Store`](crate::Store) implements it, and also offers a compare-and-swap
/// ([`Store::swap_plugin_state`](crate::Store::swap_plugin_state)) for single-use records.
#[async_trait::async_trait]
pub trait PluginStateStore: Send + Sync + 'static {
    /// The state of `plugin` for `user`; `None` when nothing was put (or it was deleted).
    async fn get(&self, plugin: &str, user: UserId) -> Result<Option<serde_json::Value>>;
    /// Replaces the state of `plugin` for `user` with `data` (creating it if there was
    /// none). The last writer wins. The user must exist: state refers to a subscriber and
    /// goes with them.
    async fn put(&self, plugin: &str, user: UserId, data: serde_json::Value) -> Result<()>;
    /// Removes the state of `plugin` for `user`; removing state that does not exist is not
    /// an error.
    async fn delete(&self, plugin: &str, user: UserId) -> Result<()>;
}

/// What a plugin gets from the host when it is built.
///
/// Cheap to clone (three `Arc`s); a factory usually keeps it in the verifier it builds so
/// that routes and background tasks can look subscribers up and report outcomes. The
/// reference server builds it from its [`Store`](crate::Store) (users and state) and its
/// [`Subscribers`](crate::Subscribers) (outcomes); a test can give in-memory fakes.
#[derive(Clone)]
pub struct PluginContext {
    /// Subscriber lookups (read-only).
    pub users: Arc<dyn UserDirectory>,
    /// The plugin's per-user JSON state.
    pub state: Arc<dyn PluginStateStore>,
    /// Where outcomes of events go (a SIP call, a payment callback): the core applies
    /// them to the subscriber in one transaction.
    pub outcomes: Arc<dyn OutcomeHandler>,
}

impl fmt::Debug for PluginContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PluginContext")
    }
}

/// Builds a [`Verifier`] from its `[plugins.<id>]` table.
///
/// Registered by the plugin crate's `register` function and called once at startup, only
/// when the plugin is enabled. See the [module example](crate::plugin#a-plugin-crate).
pub trait VerifierFactory: Send + Sync + 'static {
    /// The plugin id (snake_case; the key in `plugins.toml`). It must equal the built
    /// verifier's [`Verifier::id`], which is stored as the subscribers' verification method.
    fn id(&self) -> &'static str;
    /// Builds the verifier; `config` is the plugin's table without `enabled`/`required`,
    /// as a JSON object (deserialize it into the plugin's own config type, refusing unknown
    /// keys so that typos are caught at startup).
    ///
    /// # Errors
    ///
    /// A bad setting or a resource that cannot be had; return [`Error::Config`] or
    /// [`Error::Plugin`] with a message naming the key. The registry wraps it in
    /// [`Error::Plugin`] with the plugin's id.
    fn build(&self, config: serde_json::Value, ctx: PluginContext) -> Result<Arc<dyn Verifier>>;
}

/// Builds an [`AccountingSink`] from its configuration table.
///
/// For plugins that send accounting events somewhere of their own (a billing system, a
/// message bus). The events reach such a sink after `radacct` was written, through the
/// host's accounting pipeline ([`AccountingPipeline`](crate::accounting::AccountingPipeline)).
pub trait AccountingSinkFactory: Send + Sync + 'static {
    /// The sink id, unique among all plugins (the key of its configuration table).
    fn id(&self) -> &'static str;
    /// Builds the sink from its settings, as a JSON object.
    ///
    /// # Errors
    ///
    /// A bad setting, or a destination that cannot be reached at all.
    fn build(&self, config: serde_json::Value) -> Result<Arc<dyn AccountingSink>>;
}

/// What a plugin crate's `register` function is given.
///
/// A trait rather than the [`PluginRegistry`] itself, so that one `register` function
/// serves a statically linked plugin and a shared library alike, and a host may collect
/// factories its own way. Registering the same id twice keeps the last factory.
pub trait PluginRegistrar {
    /// Offers a verification method; nothing is built until it is enabled.
    fn register_verifier(&mut self, factory: Box<dyn VerifierFactory>);
    /// Offers an accounting sink; nothing is built until it is enabled.
    fn register_accounting_sink(&mut self, factory: Box<dyn AccountingSinkFactory>);
}

/// Every plugin compiled in (or loaded); configuration decides which are on.
///
/// ```
/// use owums_core::{Config, ErrorKind, PluginRegistry};
///
/// let registry = PluginRegistry::new(); // nothing registered
/// let config: Config = toml::from_str("[plugins.sms]\nenabled = true\n").unwrap();
/// let err = registry.check_config(&config.plugins).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Config);
/// assert_eq!(
///     err.to_string(),
///     "configuration: unknown plugin `sms` in [plugins]; known plugins: none"
/// );
/// ```
#[derive(Default)]
pub struct PluginRegistry {
    verifiers: BTreeMap<&'static str, Box<dyn VerifierFactory>>,
    sinks: BTreeMap<&'static str, Box<dyn AccountingSinkFactory>>,
}

impl fmt::Debug for PluginRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginRegistry")
            .field("verifiers", &self.verifiers.keys().collect::<Vec<_>>())
            .field("accounting_sinks", &self.sinks.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl PluginRegistrar for PluginRegistry {
    fn register_verifier(&mut self, factory: Box<dyn VerifierFactory>) {
        self.verifiers.insert(factory.id(), factory);
    }
    fn register_accounting_sink(&mut self, factory: Box<dyn AccountingSinkFactory>) {
        self.sinks.insert(factory.id(), factory);
    }
}

impl PluginRegistry {
    /// An empty registry; plugin crates' `register` functions fill it.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ids of every registered plugin (verifiers and sinks), sorted and without duplicates:
    /// what the error of [`PluginRegistry::check_config`] lists.
    pub fn known_ids(&self) -> Vec<&'static str> {
        let mut ids: Vec<_> = self
            .verifiers
            .keys()
            .chain(self.sinks.keys())
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Checks that every id in `config` is known; the error lists the known ones.
    ///
    /// Run at startup and by `owums check-config`, so that a misspelt `[plugins.sipp]`
    /// stops the server instead of silently leaving a method off.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the first unknown id and the known ones.
    pub fn check_config(&self, config: &PluginsConfig) -> Result<()> {
        let known = self.known_ids();
        for id in config.keys() {
            if !known.contains(&id.as_str()) {
                let list = if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                };
                return Err(Error::Config(format!(
                    "unknown plugin `{id}` in [plugins]; known plugins: {list}"
                )));
            }
        }
        Ok(())
    }

    /// Builds the enabled verifiers. A plugin that fails to build is an error when it is
    /// `required` (the default), otherwise it is logged and skipped.
    ///
    /// Verifiers come back in the order of their ids. Every one gets a clone of `ctx`.
    /// Registered plugins without a table, or with `enabled = false`, are not built.
    ///
    /// # Errors
    ///
    /// What [`PluginRegistry::check_config`] reports, or [`Error::Plugin`] with the id and
    /// the factory's message for a required plugin that failed to build.
    pub fn build_verifiers(
        &self,
        config: &PluginsConfig,
        ctx: &PluginContext,
    ) -> Result<Vec<Arc<dyn Verifier>>> {
        self.check_config(config)?;
        let mut out = Vec::new();
        for (id, factory) in &self.verifiers {
            let Some(table) = config.get(id).filter(|t| t.enabled) else {
                continue;
            };
            match factory.build(table.settings_json(), ctx.clone()) {
                Ok(v) => out.push(v),
                Err(e) if table.required => {
                    return Err(Error::Plugin {
                        id: (*id).to_owned(),
                        message: e.to_string(),
                    });
                }
                Err(e) => tracing::warn!(plugin = id, error = %e, "optional plugin skipped"),
            }
        }
        Ok(out)
    }
}
