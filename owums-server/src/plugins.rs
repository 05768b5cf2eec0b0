//! The plugins compiled into this binary: an explicit, feature-gated list (plugin crates
//! add a line here when they arrive). `plugins.toml` decides which of them are on.

use owums_core::PluginRegistry;

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
