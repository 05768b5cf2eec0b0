//! The plugins compiled into this binary: an explicit, feature-gated list (plugin crates
//! add a line here when they arrive). `plugins.toml` decides which of them are on.

use owums_core::PluginRegistry;
use owums_core::config::PluginsConfig;

/// A registry holding every plugin compiled in.
pub fn registry() -> PluginRegistry {
    #[allow(unused_mut)]
    let mut registry = PluginRegistry::new();
    register_builtin(&mut registry);
    registry
}

/// Registers the statically linked plugins.
pub fn register_builtin(#[allow(unused_variables)] registry: &mut PluginRegistry) {
    #[cfg(feature = "plugin-sip")]
    owums_plugin_sip::register(registry);
}

/// Asks every enabled plugin compiled in to check its own settings, as `owums serve` does
/// before building it, without starting anything: `owums check-config` names a bad
/// `[plugins.<id>]` value. A required plugin's error is returned; an optional one's is
/// logged as a warning (serve skips it). Also checks that the plugins' page strings fit
/// the host's.
pub fn check_settings(config: &PluginsConfig) -> anyhow::Result<()> {
    check_with(&registry(), config)
}

/// [`check_settings`] against `registry`.
pub fn check_with(registry: &PluginRegistry, config: &PluginsConfig) -> anyhow::Result<()> {
    for warning in registry.check_settings(config)? {
        tracing::warn!(%warning, "optional plugin has a bad setting; owums serve skips it");
    }
    crate::i18n::I18n::with_plugins(&registry.messages(config))?;
    Ok(())
}
