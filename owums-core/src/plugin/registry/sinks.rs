//! `[accounting] sinks` through the registry: each entry's `kind` names an
//! [`AccountingSinkFactory`], which checks the entry's settings and builds the sink.

use std::fmt;
use std::sync::Arc;

use super::{AccountingSinkFactory, PluginRegistry};
use crate::accounting::AccountingSink;
use crate::config::AccountingConfig;
use crate::error::{Error, Result};

impl PluginRegistry {
    /// The kinds `[accounting] sinks` may name: the ids of every registered
    /// [`AccountingSinkFactory`] (the built-in `json_lines` and `webhook` among them, as
    /// [`PluginRegistry::new`] registers them), sorted.
    pub fn sink_kinds(&self) -> Vec<&'static str> {
        self.sinks.keys().copied().collect()
    }

    /// Checks every entry of `[accounting] sinks` without building anything: its kind must
    /// be registered, and its factory must accept its settings
    /// ([`AccountingSinkFactory::check`]). Run by `owums check-config` and before the
    /// server starts.
    ///
    /// ```
    /// use owums_core::{Config, PluginRegistry};
    ///
    /// let registry = PluginRegistry::new(); // the built-in kinds
    /// let config: Config = toml::from_str(
    ///     "[accounting]\nsinks = [{ kind = \"kafka\" }]\n",
    /// ).unwrap();
    /// let err = registry.check_sinks(&config.accounting).unwrap_err();
    /// assert!(err.to_string().contains("accounting.sinks[0].kind: unknown sink kind `kafka`"));
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for the first bad entry, naming it as `accounting.sinks[<n>]`:
    /// an unknown kind lists the known ones; a bad setting carries the factory's message
    /// (`accounting.sinks[1].url: …`).
    pub fn check_sinks(&self, config: &AccountingConfig) -> Result<()> {
        for (i, sink) in config.sinks.iter().enumerate() {
            let factory = self.sink_factory(i, &sink.kind)?;
            factory
                .check(sink.settings_json())
                .map_err(|e| sink_error(i, &e))?;
        }
        Ok(())
    }

    /// Builds every entry of `[accounting] sinks`, in order, each named
    /// `<kind>#<n>` for the logs; settings are checked first. The pipeline wraps each in
    /// its queue ([`AccountingPipeline::with_sinks`](crate::accounting::AccountingPipeline::with_sinks)).
    ///
    /// # Errors
    ///
    /// What [`PluginRegistry::check_sinks`] reports, or a factory's build error, named as
    /// there.
    pub fn build_sinks(&self, config: &AccountingConfig) -> Result<Vec<ConfiguredSink>> {
        self.check_sinks(config)?;
        let mut out = Vec::new();
        for (i, sink) in config.sinks.iter().enumerate() {
            let factory = self.sink_factory(i, &sink.kind)?;
            let built = factory
                .build(sink.settings_json())
                .map_err(|e| sink_error(i, &e))?;
            out.push(ConfiguredSink {
                name: format!("{}#{i}", sink.kind),
                sink: built,
            });
        }
        Ok(out)
    }

    fn sink_factory(&self, i: usize, kind: &str) -> Result<&dyn AccountingSinkFactory> {
        self.sinks.get(kind).map(|f| &**f).ok_or_else(|| {
            let known = self.sink_kinds();
            let list = if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            };
            Error::Config(format!(
                "accounting.sinks[{i}].kind: unknown sink kind `{kind}`; known kinds: {list}"
            ))
        })
    }
}

/// A sink factory's error as the operator reads it, naming the entry:
/// `accounting.sinks[<n>].<key>: <why>` when the factory's message starts with its key
/// (`url: …`, as [`sink_setting_error`] makes), else `accounting.sinks[<n>]: <message>`.
fn sink_error(i: usize, e: &Error) -> Error {
    let text = match e {
        Error::Config(m) => m.clone(),
        other => other.to_string(),
    };
    let keyed = text.split_once(": ").is_some_and(|(key, _)| {
        !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
    });
    if keyed {
        Error::Config(format!("accounting.sinks[{i}].{text}"))
    } else {
        Error::Config(format!("accounting.sinks[{i}]: {text}"))
    }
}

/// The error of a bad accounting sink setting, for [`AccountingSinkFactory::check`]:
/// `<key>: <why>`; the host names the entry in front of it
/// (`accounting.sinks[1].url: <why>`).
///
/// ```
/// let e = owums_core::plugin::sink_setting_error("url", "`ftp://x` is not an http(s) URL");
/// assert_eq!(e.to_string(), "configuration: url: `ftp://x` is not an http(s) URL");
/// ```
pub fn sink_setting_error(key: &str, why: impl fmt::Display) -> Error {
    Error::Config(format!("{key}: {why}"))
}

/// A secondary accounting sink built from one `[accounting] sinks` entry, with the name
/// the logs give it (`<kind>#<n>`, its position in the list).
#[derive(Clone)]
pub struct ConfiguredSink {
    /// `<kind>#<n>`.
    pub name: String,
    /// The sink the factory built.
    pub sink: Arc<dyn AccountingSink>,
}

impl fmt::Debug for ConfiguredSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfiguredSink")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
