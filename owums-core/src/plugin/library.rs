//! Loading plugins from shared libraries (`[plugins.<id>] library = "/path/lib….so"`).

use std::path::Path;

use crate::error::{Error, Result};
use crate::plugin::ffi::{self, CORE_VERSION, RUSTC_VERSION, Refusal};
use crate::plugin::registry::{AccountingSinkFactory, PluginRegistrar, VerifierFactory};

/// Loads the plugin library at `path` for plugin `id` and registers its factories with
/// `registrar`; answers the ids it registered (among them `id`).
///
/// The library must have been built with [`export_plugin!`](crate::export_plugin) against
/// this very owums-core ([`PLUGIN_API_VERSION`](crate::PLUGIN_API_VERSION),
/// [`CORE_VERSION`](crate::plugin::CORE_VERSION)) by this very compiler
/// ([`RUSTC_VERSION`](crate::plugin::RUSTC_VERSION)); those are checked before anything in
/// it is called. Then the library's `tracing` events are sent to the caller's current
/// dispatcher, and its `register` function runs (behind its panic guard). The library is
/// never unloaded, even when refused.
///
/// ```no_run
/// let mut registry = owums_core::PluginRegistry::new();
/// let ids = owums_core::plugin::load_library(
///     "email_link",
///     "/usr/lib/owums/libowums_plugin_email_link.so".as_ref(),
///     &mut registry,
/// )?;
/// assert!(ids.contains(&"email_link"));
/// # Ok::<(), owums_core::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Plugin`] with `id` and one line naming the library and what is wrong: it
/// does not exist or cannot be loaded, it is not an owums plugin, it was built for
/// another plugin API, owums-core or compiler (naming both sides), its `register`
/// panicked, or it registered no plugin `id`.
pub fn load_library(
    id: &str,
    path: &Path,
    registrar: &mut dyn PluginRegistrar,
) -> Result<Vec<&'static str>> {
    let shown = path.display();
    let refused = |message: String| Error::Plugin {
        id: id.to_owned(),
        message,
    };
    if !path.exists() {
        return Err(refused(format!("library {shown} does not exist")));
    }
    let library = ffi::open(path).map_err(|refusal| {
        refused(match refusal {
            Refusal::Load(e) => format!("library {shown} cannot be loaded: {e}"),
            Refusal::NoDeclaration => format!(
                "library {shown} is not an owums plugin: it exports no `{}` \
                 (plugin crates end with `owums_core::export_plugin!(register);`)",
                ffi::DECLARATION_SYMBOL
            ),
            Refusal::Api(theirs) => format!(
                "library {shown} was built for plugin API {theirs}, this owums speaks {}",
                crate::PLUGIN_API_VERSION
            ),
            Refusal::Core(theirs) => format!(
                "library {shown} was built against owums-core {theirs}, this owums is \
                 owums-core {CORE_VERSION}"
            ),
            Refusal::Compiler(theirs) => format!(
                "library {shown} was built by {theirs}, this owums by {RUSTC_VERSION}; \
                 rebuild it with the same compiler"
            ),
        })
    })?;
    tracing::dispatcher::get_default(|dispatch| library.forward_tracing(dispatch));
    let mut recording = Recording {
        inner: registrar,
        ids: Vec::new(),
    };
    library
        .register(&mut recording)
        .map_err(|panic| refused(format!("library {shown} panicked in register: {panic}")))?;
    let ids = recording.ids;
    if !ids.contains(&id) {
        let offered = if ids.is_empty() {
            "none".to_owned()
        } else {
            ids.join(", ")
        };
        return Err(refused(format!(
            "library {shown} has no plugin `{id}` (it registers: {offered})"
        )));
    }
    Ok(ids)
}

/// Passes registrations on, noting their ids.
struct Recording<'a> {
    inner: &'a mut dyn PluginRegistrar,
    ids: Vec<&'static str>,
}

impl PluginRegistrar for Recording<'_> {
    fn register_verifier(&mut self, factory: Box<dyn VerifierFactory>) {
        self.ids.push(factory.id());
        self.inner.register_verifier(factory);
    }
    fn register_accounting_sink(&mut self, factory: Box<dyn AccountingSinkFactory>) {
        self.ids.push(factory.id());
        self.inner.register_accounting_sink(factory);
    }
}
