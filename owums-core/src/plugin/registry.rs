//! The plugin API: factories, the registrar every plugin crate calls, and the narrow
//! context plugins get (they never see the database).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::accounting::AccountingSink;
use crate::config::PluginsConfig;
use crate::error::{Error, Result};
use crate::ids::{PhoneNumber, UserId, Username};
use crate::plugin::verifier::{OutcomeHandler, Verifier};
use crate::subscriber::user::UserRecord;

/// Version of this API; bumped on any breaking change to it. Dynamic plugins must match.
pub const PLUGIN_API_VERSION: u32 = 1;

/// Subscriber lookups a plugin may do.
#[async_trait::async_trait]
pub trait UserDirectory: Send + Sync + 'static {
    /// By id.
    async fn find_by_id(&self, id: UserId) -> Result<Option<UserRecord>>;
    /// By username (case-insensitive).
    async fn find_by_username(&self, username: &Username) -> Result<Option<UserRecord>>;
    /// By mobile number (E.164).
    async fn find_by_mobile(&self, mobile: &PhoneNumber) -> Result<Option<UserRecord>>;
}

/// Per-user JSON state a plugin keeps (a core-owned table: plugins need no migrations).
#[async_trait::async_trait]
pub trait PluginStateStore: Send + Sync + 'static {
    /// The state of `plugin` for `user`.
    async fn get(&self, plugin: &str, user: UserId) -> Result<Option<serde_json::Value>>;
    /// Replaces the state of `plugin` for `user`.
    async fn put(&self, plugin: &str, user: UserId, data: serde_json::Value) -> Result<()>;
    /// Removes it.
    async fn delete(&self, plugin: &str, user: UserId) -> Result<()>;
}

/// What a plugin gets from the host when it is built.
#[derive(Clone)]
pub struct PluginContext {
    /// Subscriber lookups.
    pub users: Arc<dyn UserDirectory>,
    /// Per-user plugin state.
    pub state: Arc<dyn PluginStateStore>,
    /// Where outcomes of background events (a SIP call) go.
    pub outcomes: Arc<dyn OutcomeHandler>,
}

impl fmt::Debug for PluginContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PluginContext")
    }
}

/// Builds a [`Verifier`] from its `[plugins.<id>]` table.
pub trait VerifierFactory: Send + Sync + 'static {
    /// The plugin id (snake_case; the key in `plugins.toml`).
    fn id(&self) -> &'static str;
    /// Builds the verifier; `config` is the plugin's table without `enabled`/`required`.
    fn build(&self, config: serde_json::Value, ctx: PluginContext) -> Result<Arc<dyn Verifier>>;
}

/// Builds an [`AccountingSink`] from its configuration table.
pub trait AccountingSinkFactory: Send + Sync + 'static {
    /// The sink id.
    fn id(&self) -> &'static str;
    /// Builds the sink.
    fn build(&self, config: serde_json::Value) -> Result<Arc<dyn AccountingSink>>;
}

/// What a plugin crate's `register` function is given.
pub trait PluginRegistrar {
    /// Offer a verification method.
    fn register_verifier(&mut self, factory: Box<dyn VerifierFactory>);
    /// Offer an accounting sink.
    fn register_accounting_sink(&mut self, factory: Box<dyn AccountingSinkFactory>);
}

/// Every plugin compiled in (or loaded); configuration decides which are on.
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
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ids of every registered plugin (verifiers and sinks), sorted.
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
