//! A plugin library built for the plugin API before this one (its declaration claims
//! `PLUGIN_API_VERSION - 1`, through the macro `export_plugin!` expands to). owums must
//! refuse it with a one-line error before calling anything in it
//! (tests/it/dynamic_plugins.rs).

/// Registers nothing: the host must never get this far.
pub fn register(_registrar: &mut dyn owums_core::PluginRegistrar) {}

owums_core::__export_plugin!(register, owums_core::PLUGIN_API_VERSION - 1);
