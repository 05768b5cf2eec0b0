//! [`export_plugin!`](crate::export_plugin): what makes a plugin crate loadable as a
//! shared library.

/// Exports a plugin crate's `register` function from a shared library.
///
/// Write it once, after the crate's `register` function, in a crate built with
/// `crate-type = ["cdylib"]`. The very same function serves a statically linked build,
/// where the server calls it directly:
///
/// ```
/// # use std::sync::Arc;
/// # use owums_core::{PluginContext, Result, Verifier, VerifierFactory};
/// # struct EmailLinkFactory;
/// # impl VerifierFactory for EmailLinkFactory {
/// #     fn id(&self) -> &'static str { "email_link" }
/// #     fn build(&self, _: serde_json::Value, _: PluginContext) -> Result<Arc<dyn Verifier>> {
/// #         unimplemented!()
/// #     }
/// # }
/// pub fn register(registrar: &mut dyn owums_core::PluginRegistrar) {
///     registrar.register_verifier(Box::new(EmailLinkFactory));
/// }
///
/// owums_core::export_plugin!(register);
///
/// // What the server reads first:
/// assert_eq!(format!("{OWUMS_PLUGIN:?}"), format!(
///     "PluginDeclaration {{ api_version: {}, .. }}",
///     owums_core::PLUGIN_API_VERSION
/// ));
/// ```
///
/// and the operator loads the library in `plugins.toml`:
///
/// ```toml
/// [plugins.email_link]
/// enabled = true
/// library = "/usr/lib/owums/libowums_plugin_email_link.so"
/// ```
///
/// The macro writes the static `OWUMS_PLUGIN` ([`PluginDeclaration`]): the plugin API
/// version, the compiler and the owums-core version the library was built with (the
/// server refuses a library whose values differ from its own, with a one-line error naming
/// both, before calling anything in it), plus the entry points. Registration runs behind a
/// panic guard, and every factory registered is wrapped in
/// [`GuardedRegistrar`](crate::plugin::GuardedRegistrar)'s guards, so that no panic
/// crosses from the library into the server: a panic while registering refuses the
/// library, a panic in a method answers an error and the server keeps serving.
///
/// A crate that is also linked statically into a server with other plugins should put the
/// macro in a small cdylib crate of its own (`owums_core::export_plugin!(my_plugin::register);`)
/// or behind a cargo feature, because two libraries exporting `OWUMS_PLUGIN` cannot be
/// linked into one binary.
///
/// [`PluginDeclaration`]: crate::plugin::PluginDeclaration
#[macro_export]
macro_rules! export_plugin {
    ($register:path) => {
        $crate::__export_plugin!($register, $crate::PLUGIN_API_VERSION);
    };
}

/// [`export_plugin!`] with the plugin API version to claim; only the test that checks a
/// library built for another version is refused uses it directly.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_plugin {
    ($register:path, $api_version:expr) => {
        /// The plugin crate's entry point, as the declaration calls it.
        #[doc(hidden)]
        #[derive(Debug)]
        pub struct __OwumsPluginEntry;

        impl $crate::plugin::PluginEntry for __OwumsPluginEntry {
            fn register(registrar: &mut dyn $crate::PluginRegistrar) {
                $register(registrar)
            }
        }

        /// What owums reads from this library (written by `owums_core::export_plugin!`).
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub static OWUMS_PLUGIN: $crate::plugin::PluginDeclaration =
            $crate::plugin::PluginDeclaration::new::<__OwumsPluginEntry>($api_version);
    };
}
