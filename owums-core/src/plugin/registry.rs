//! The plugin API: factories, the registrar every plugin crate calls, and the narrow
//! context plugins get (they never see the database).
//!
//! A plugin crate implements a factory ([`VerifierFactory`] or [`AccountingSinkFactory`])
//! and offers it through the [`PluginRegistrar`] its `register` function is given. The host
//! collects the factories in a [`PluginRegistry`], checks `plugins.toml` against it, and
//! builds the enabled plugins, each with its own [`PluginContext`] made from the host's
//! [`PluginHost`]: the only door from a plugin to the host's data.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::accounting::AccountingSink;
use crate::config::PluginsConfig;
use crate::error::{Error, Result};
use crate::plugin::context::{MailTemplate, PluginContext, PluginHost};
use crate::plugin::verifier::Verifier;

mod sinks;
pub use sinks::{ConfiguredSink, sink_setting_error};

/// Version of this API; bumped on any breaking change to it. Shared-library plugins must
/// match it.
///
/// Statically linked plugins are checked by the compiler and need not look at it. A plugin
/// loaded as a shared library declares the version it was built against
/// ([`export_plugin!`](crate::export_plugin) writes it), and the host refuses one that
/// differs with an error naming both versions instead of calling into it with types that
/// no longer match (`owums_core::plugin::load_library`, with the `dynamic-plugins` feature).
///
/// Version 2: shared-library plugins (the declaration and its checks). Version 3: `start`
/// and `challenge` split, `handle_event` removed, routes answer a `PluginResponse`, each
/// plugin gets its own scoped `PluginContext`, factories check their settings and bring
/// their page strings and mail templates, operator-verified methods. Version 4: accounting
/// sinks configured in `[accounting] sinks` and checked there, `AccountingSink` batches.
/// Version 5: operator forms and evidence (`Verifier::operator_form`,
/// `Verifier::operator_evidence`, `OperatorInput`, `OperatorEvidence`, attachments), form
/// fields with choices and files. Version 6: `Verifier::device_policy` (devices let in by MAC
/// authentication) and `DevicePolicy`.
pub const PLUGIN_API_VERSION: u32 = 6;

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
    /// Checks the plugin's settings without building anything (no port bound, no
    /// connection made): what `owums check-config` and `owums serve` ask every enabled
    /// plugin before starting. The default accepts anything; a plugin with settings
    /// deserializes and checks them here, and calls the same check from
    /// [`build`](VerifierFactory::build).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] with a message naming the key (`listen: … is not an IP:port`);
    /// the host prefixes it with `plugins.<id>`.
    fn check(&self, settings: serde_json::Value) -> Result<()> {
        let _ = settings;
        Ok(())
    }
    /// The plugin's page strings: `(locale, Fluent text)` pairs, one per language (`en`,
    /// `it`, `es`), usually `include_str!` of the crate's `locales/<lang>/<id>.ftl`. Every
    /// message id must start with `<id>-` (e.g. `sip-method`, the label of the method on
    /// the sign-up page); the host adds them to its own messages at startup and refuses a
    /// plugin whose ids do not start so, or collide with the host's.
    fn messages(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
    /// The mails the plugin sends, per language ([`PluginMail::send`](crate::plugin::PluginMail::send)).
    fn mail_templates(&self) -> &'static [MailTemplate] {
        &[]
    }
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
    /// Checks the sink's settings without building it, as [`VerifierFactory::check`].
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the key.
    fn check(&self, settings: serde_json::Value) -> Result<()> {
        let _ = settings;
        Ok(())
    }
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
    /// A registry holding only the built-in accounting sink kinds (`json_lines` and, with
    /// the `server` feature, `webhook`:
    /// [`register_builtin_sinks`](crate::accounting::register_builtin_sinks)); plugin
    /// crates' `register` functions add theirs. `PluginRegistry::default()` is empty.
    pub fn new() -> Self {
        let mut registry = Self::default();
        crate::accounting::register_builtin_sinks(&mut registry);
        registry
    }

    /// Whether `id` is a sink kind of the core's own, not a plugin.
    fn builtin_sink(&self, id: &str) -> bool {
        crate::accounting::BUILTIN_SINK_KINDS.contains(&id) && !self.verifiers.contains_key(id)
    }

    /// Ids of every registered plugin (verifiers and sinks, not the built-in sink kinds),
    /// sorted and without duplicates: what the error of [`PluginRegistry::check_config`]
    /// lists.
    pub fn known_ids(&self) -> Vec<&'static str> {
        let mut ids: Vec<_> = self
            .verifiers
            .keys()
            .chain(self.sinks.keys().filter(|id| !self.builtin_sink(id)))
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Ids of the registered verification methods, sorted.
    pub fn verifier_ids(&self) -> Vec<&'static str> {
        self.verifiers.keys().copied().collect()
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
        if let Some(bad) = known.iter().find(|id| !valid_id(id)) {
            return Err(Error::Config(format!(
                "plugin id `{bad}` is not allowed: ids are 1 to 64 of a-z, 0-9 and _, start \
                 with a letter, and are not `password_recovery` (the core's own state)"
            )));
        }
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

    /// Asks every enabled verifier to check its settings ([`VerifierFactory::check`])
    /// without building anything (accounting sinks are checked from `[accounting] sinks`,
    /// by [`PluginRegistry::check_sinks`]). A required plugin's bad
    /// setting is the error; an optional plugin's is returned among the warnings (the
    /// server then starts without it). Each message names the key as
    /// `plugins.<id>.<key>`-ish text: `plugins.<id>: <the plugin's message>`.
    ///
    /// # Errors
    ///
    /// What [`PluginRegistry::check_config`] reports, or [`Error::Plugin`] for the first
    /// required plugin whose settings are bad.
    pub fn check_settings(&self, config: &PluginsConfig) -> Result<Vec<String>> {
        self.check_config(config)?;
        let mut warnings = Vec::new();
        let checks = self
            .verifiers
            .iter()
            .map(|(id, f)| (*id, f.check(settings_of(config, id))));
        for (id, result) in checks {
            let Some(table) = config.get(id).filter(|t| t.enabled) else {
                continue;
            };
            let Err(e) = result else { continue };
            let message = setting_message(id, &e);
            if table.required {
                return Err(Error::Plugin {
                    id: id.to_owned(),
                    message,
                });
            }
            warnings.push(message);
        }
        Ok(warnings)
    }

    /// The page strings of the enabled verifiers, by plugin id ([`VerifierFactory::messages`]).
    pub fn messages(
        &self,
        config: &PluginsConfig,
    ) -> Vec<(&'static str, &'static [(&'static str, &'static str)])> {
        self.verifiers
            .iter()
            .filter(|(id, _)| config.get(id).is_some_and(|t| t.enabled))
            .map(|(id, f)| (*id, f.messages()))
            .filter(|(_, m)| !m.is_empty())
            .collect()
    }

    /// Builds the enabled verifiers. A plugin that fails to build is an error when it is
    /// `required` (the default), otherwise it is logged and skipped.
    ///
    /// Verifiers come back in the order of their ids. Each gets its own [`PluginContext`]
    /// from `host`, scoped to its id, with the mail templates it contributed. Settings are
    /// checked ([`VerifierFactory::check`]) before the factory is called.
    /// Registered plugins without a table, or with `enabled = false`, are not built.
    ///
    /// # Errors
    ///
    /// What [`PluginRegistry::check_config`] reports, or [`Error::Plugin`] with the id and
    /// the factory's message for a required plugin that failed to build.
    pub fn build_verifiers(
        &self,
        config: &PluginsConfig,
        host: &PluginHost,
    ) -> Result<Vec<Arc<dyn Verifier>>> {
        self.check_config(config)?;
        let mut out = Vec::new();
        for (id, factory) in &self.verifiers {
            let Some(table) = config.get(id).filter(|t| t.enabled) else {
                continue;
            };
            let ctx = host.context(id, factory.mail_templates());
            let built = factory
                .check(table.settings_json())
                .and_then(|()| factory.build(table.settings_json(), ctx));
            match built {
                Ok(v) => out.push(v),
                Err(e) if table.required => {
                    return Err(Error::Plugin {
                        id: (*id).to_owned(),
                        message: setting_message(id, &e),
                    });
                }
                Err(e) => tracing::warn!(plugin = id, error = %e, "optional plugin skipped"),
            }
        }
        Ok(out)
    }
}

/// The settings of plugin `id` (its table without `enabled`/`required`; an empty object
/// when it has none).
fn settings_of(config: &PluginsConfig, id: &str) -> serde_json::Value {
    config.get(id).map_or_else(
        || serde_json::Value::Object(serde_json::Map::new()),
        crate::config::PluginTable::settings_json,
    )
}

/// A plugin's error as the operator reads it: naming `plugins.<id>` (the plugin's own
/// [`setting_error`] already does; anything else gets it as a prefix), without the
/// `configuration: ` of [`Error::Config`].
fn setting_message(id: &str, e: &Error) -> String {
    let text = match e {
        Error::Config(m) => m.clone(),
        other => other.to_string(),
    };
    if text.starts_with(&format!("plugins.{id}")) {
        text
    } else {
        format!("plugins.{id}: {text}")
    }
}

/// The error of a bad plugin setting, naming it as the operator writes it:
/// `plugins.<plugin>.<key>: <why>`.
///
/// ```
/// let e = owums_core::plugin::setting_error("sip", "listen", "`5060` is not an IP:port address");
/// assert_eq!(e.to_string(), "configuration: plugins.sip.listen: `5060` is not an IP:port address");
/// ```
pub fn setting_error(plugin: &str, key: &str, why: impl fmt::Display) -> Error {
    Error::Config(format!("plugins.{plugin}.{key}: {why}"))
}

/// Reads a plugin's settings (its `[plugins.<id>]` table as JSON) into its own type; a
/// wrong type or an unknown key (with `#[serde(deny_unknown_fields)]`) is an error naming
/// `plugins.<plugin>` and the key.
///
/// # Errors
///
/// [`Error::Config`] with serde's message.
pub fn parse_settings<T: serde::de::DeserializeOwned>(
    plugin: &str,
    settings: serde_json::Value,
) -> Result<T> {
    serde_json::from_value(settings).map_err(|e| Error::Config(format!("plugins.{plugin}: {e}")))
}

/// Whether `id` may be a plugin's id: snake_case, 1 to 64 characters, starting with a
/// letter, and not a name the core keeps its own state under.
fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && id.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && id != "password_recovery"
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::{PluginTable, PluginsConfig};

    /// A factory whose `check` wants `size` to be a number.
    struct Sized;

    impl VerifierFactory for Sized {
        fn id(&self) -> &'static str {
            "sized"
        }
        fn check(&self, settings: serde_json::Value) -> Result<()> {
            if settings.get("size").is_some_and(serde_json::Value::is_u64) {
                Ok(())
            } else {
                Err(setting_error("sized", "size", "must be a whole number"))
            }
        }
        fn build(&self, _: serde_json::Value, _: PluginContext) -> Result<Arc<dyn Verifier>> {
            Err(Error::Internal("not built in these tests".to_owned()))
        }
    }

    fn config(required: bool, size: serde_json::Value) -> PluginsConfig {
        let mut settings = serde_json::Map::new();
        settings.insert("size".to_owned(), size);
        PluginsConfig(BTreeMap::from([(
            "sized".to_owned(),
            PluginTable {
                enabled: true,
                required,
                library: None,
                settings,
            },
        )]))
    }

    #[test]
    fn check_settings_asks_the_plugin_and_names_the_key() {
        let mut registry = PluginRegistry::new();
        registry.register_verifier(Box::new(Sized));
        assert_eq!(
            registry.check_settings(&config(true, 3.into())).unwrap(),
            Vec::<String>::new()
        );
        let e = registry
            .check_settings(&config(true, "big".into()))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "plugin `sized`: plugins.sized.size: must be a whole number"
        );
        let warnings = registry
            .check_settings(&config(false, "big".into()))
            .unwrap();
        assert_eq!(warnings, ["plugins.sized.size: must be a whole number"]);
        // a plugin that is off is not asked
        let mut off = config(true, "big".into());
        off.0.get_mut("sized").unwrap().enabled = false;
        assert!(registry.check_settings(&off).unwrap().is_empty());
    }

    #[test]
    fn ids_that_collide_with_the_cores_state_are_refused() {
        assert!(valid_id("id_card") && valid_id("sip") && valid_id("a1"));
        for bad in [
            "",
            "Sip",
            "1x",
            "core:verification",
            "password_recovery",
            "a-b",
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
    }
}
