//! The plugins compiled into this binary: one per enabled `plugin-<name>` cargo feature
//! (build.rs generates the list: feature `plugin-<name>` links the optional dependency
//! `owums-plugin-<name>` and calls its `register`), plus the shared libraries
//! `plugins.toml` names ([`load`]). `plugins.toml` decides which of them are on.

use owums_core::PluginRegistry;
use owums_core::config::PluginsConfig;

/// The registry for `plugins`: every plugin compiled in, plus the shared library of each
/// enabled `[plugins.<id>]` table with a `library` key (loaded now, for the rest of the
/// process; see `owums_core::plugin::load_library`).
///
/// A library that is refused (missing, not an owums plugin, built for another plugin API,
/// owums-core or compiler, panicking in `register`) is an error for a required plugin. For
/// an optional one (`required = false`) it is a warning, and its table is taken out of
/// `plugins`, as is the table of a disabled library plugin: the rest of startup then sees
/// neither, instead of an unknown plugin id.
///
/// # Errors
///
/// The one-line [`owums_core::Error::Plugin`] of a required plugin's library.
pub fn load(plugins: &mut PluginsConfig) -> owums_core::Result<PluginRegistry> {
    #[cfg_attr(not(feature = "dynamic-plugins"), allow(unused_mut))]
    let mut registry = registry();
    let mut off = Vec::new();
    for (id, table) in &plugins.0 {
        let Some(path) = &table.library else {
            continue;
        };
        if !table.enabled {
            off.push(id.clone());
            continue;
        }
        #[cfg(feature = "dynamic-plugins")]
        let loaded = owums_core::plugin::load_library(id, path, &mut registry);
        #[cfg(not(feature = "dynamic-plugins"))]
        let loaded: owums_core::Result<Vec<&str>> = Err(owums_core::Error::Plugin {
            id: id.clone(),
            message: format!(
                "library {} cannot be loaded: this owums was built without the \
                 `dynamic-plugins` feature",
                path.display()
            ),
        });
        match loaded {
            Ok(ids) => tracing::info!(
                plugin = %id,
                library = %path.display(),
                registered = %ids.join(","),
                "plugin library loaded"
            ),
            Err(e) if table.required => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "optional plugin is off: its library was refused");
                off.push(id.clone());
            }
        }
    }
    for id in off {
        plugins.0.remove(&id);
    }
    Ok(registry)
}

/// A registry holding every plugin compiled in.
pub fn registry() -> PluginRegistry {
    #[allow(unused_mut)]
    let mut registry = PluginRegistry::new();
    register_builtin(&mut registry);
    registry
}

// `register_builtin(registry)`: one `owums_plugin_<name>::register(registry)` per enabled
// `plugin-<name>` feature, written by build.rs.
include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));

/// Asks every enabled plugin of `registry` to check its own settings, as `owums serve` does
/// before building it, without starting anything: `owums check-config` names a bad
/// `[plugins.<id>]` value. A required plugin's error is returned; an optional one's is
/// logged as a warning (serve skips it). Also checks that the plugins' page strings fit
/// the host's.
///
/// # Errors
///
/// An unknown plugin id, a required plugin's bad setting, or page strings that collide.
pub fn check_with(registry: &PluginRegistry, config: &PluginsConfig) -> anyhow::Result<()> {
    for warning in registry.check_settings(config)? {
        tracing::warn!(%warning, "optional plugin has a bad setting; owums serve skips it");
    }
    crate::i18n::I18n::with_plugins(&registry.messages(config))?;
    Ok(())
}
