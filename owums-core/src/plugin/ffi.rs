//! The C-shaped edge of shared-library plugins: the declaration a library exports, the
//! plugin side's entry shims, and the host side's loader. Every `unsafe` of the plugin
//! platform is in this module; everything around it is safe code.
//!
//! A library is trusted only as far as the declaration's header, whose layout never
//! changes: the plugin API version, the compiler and the owums-core version, compared
//! before anything else of the library is touched. Past that check, both sides were built
//! from the same owums-core by the same `rustc`, so Rust types (trait objects, `String`)
//! may cross, under the rules in `docs/plugin-authoring.md` ("Shared libraries").
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::plugin::guard::{GuardedRegistrar, panic_text};
use crate::plugin::registry::PluginRegistrar;

/// The compiler owums-core was built with: `rustc -vV`'s release and commit hash, e.g.
/// `rustc 1.95.0 (59807616e1fa2540724bfbac14d7976d7e4a3860)`. A shared-library plugin must
/// have been built by exactly this compiler.
pub const RUSTC_VERSION: &str = env!("OWUMS_RUSTC_VERSION");

/// The owums-core version (`CARGO_PKG_VERSION`); a shared-library plugin must have been
/// built against exactly this version.
pub const CORE_VERSION: &str = env!("CARGO_PKG_VERSION");

const RUSTC_VERSION_C: &CStr = c_str(concat!(env!("OWUMS_RUSTC_VERSION"), "\0"));
const CORE_VERSION_C: &CStr = c_str(concat!(env!("CARGO_PKG_VERSION"), "\0"));

const fn c_str(s: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(s.as_bytes()) {
        Ok(c) => c,
        Err(_) => panic!("a version string holds a NUL byte"),
    }
}

/// The name of the static every plugin library exports ([`export_plugin!`](crate::export_plugin)
/// writes it).
pub const DECLARATION_SYMBOL: &str = "OWUMS_PLUGIN";

/// The part of a [`PluginDeclaration`] whose layout never changes, whatever the API
/// version: the host reads it first, and nothing else unless all three values match.
#[repr(C)]
#[derive(Debug)]
struct DeclarationHeader {
    /// [`PLUGIN_API_VERSION`](crate::PLUGIN_API_VERSION) of the owums-core the library
    /// was built against.
    api_version: u32,
    /// [`RUSTC_VERSION`] of the plugin's build, NUL-terminated.
    rustc_version: *const c_char,
    /// [`CORE_VERSION`] of the plugin's build, NUL-terminated.
    core_version: *const c_char,
}

/// What a shared-library plugin exports, as the static `OWUMS_PLUGIN`.
///
/// Written by [`export_plugin!`](crate::export_plugin), never by hand: it carries the
/// plugin API version, the compiler and the owums-core version the library was built
/// with (checked by the host before it calls anything), and two entry points the host
/// calls after the check: one that forwards the library's `tracing` events to the
/// host's subscriber, and the crate's `register` function behind a panic guard.
#[repr(C)]
pub struct PluginDeclaration {
    header: DeclarationHeader,
    init: unsafe extern "C" fn(dispatch: *const c_void),
    register: unsafe extern "C" fn(registrar: *mut c_void, panic_message: *mut c_void) -> bool,
}

// SAFETY: the declaration is immutable, and its pointers point at `'static` constant
// strings; sharing it between threads shares only read-only data and function pointers.
unsafe impl Sync for PluginDeclaration {}

impl std::fmt::Debug for PluginDeclaration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginDeclaration")
            .field("api_version", &self.header.api_version)
            .finish_non_exhaustive()
    }
}

/// The plugin crate's `register` function, as [`export_plugin!`](crate::export_plugin)
/// hands it to [`PluginDeclaration::new`]. Not for plugin authors.
#[doc(hidden)]
pub trait PluginEntry {
    /// Calls the crate's `register` function.
    fn register(registrar: &mut dyn PluginRegistrar);
}

impl PluginDeclaration {
    /// The declaration of a library whose entry point is `E`, claiming plugin API
    /// `api_version` (always [`PLUGIN_API_VERSION`](crate::PLUGIN_API_VERSION), except in
    /// the test that checks a library built for another version is refused).
    #[doc(hidden)]
    pub const fn new<E: PluginEntry>(api_version: u32) -> Self {
        PluginDeclaration {
            header: DeclarationHeader {
                api_version,
                rustc_version: RUSTC_VERSION_C.as_ptr(),
                core_version: CORE_VERSION_C.as_ptr(),
            },
            init: init_shim,
            register: register_shim::<E>,
        }
    }
}

/// Plugin side: makes the host's `tracing` dispatcher this library's global default, so
/// that the plugin's events (and panic reports) reach the host's log (the library has its own copy of
/// `tracing`, with its own global dispatcher and level filter, otherwise unset: every event
/// would be dropped).
unsafe extern "C" fn init_shim(dispatch: *const c_void) {
    let _ = catch_unwind(|| {
        // SAFETY: the host passes a pointer to a `tracing::Dispatch` it keeps alive for the
        // call; the header check proved both sides were built from the same owums-core by
        // the same compiler, hence with the same `tracing` layout.
        let dispatch = unsafe { &*dispatch.cast::<tracing::Dispatch>() };
        if tracing::dispatcher::set_global_default(dispatch.clone()).is_ok() {
            // The host's tracing registered its dispatcher with the host's copy of the
            // callsite registry only; this copy learns its level filter from it here.
            tracing::callsite::rebuild_interest_cache();
        }
        // The library's `std` has its own panic hook, which would print a multi-line
        // report to standard error; the host's log gets one line instead (the guards turn
        // the panic itself into an error).
        std::panic::set_hook(Box::new(|info| {
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let panic = info
                .payload_as_str()
                .unwrap_or("a panic with a non-text payload");
            tracing::error!(%panic, %location, "plugin library panicked");
        }));
    });
}

/// Plugin side: calls the crate's `register` with a registrar that wraps every factory in
/// its panic guard; a panic is caught here (unwinding out of an `extern "C"` function would
/// abort the process) and its message written to `panic_message`.
unsafe extern "C" fn register_shim<E: PluginEntry>(
    registrar: *mut c_void,
    panic_message: *mut c_void,
) -> bool {
    // SAFETY: the host passes pointers to a live `&mut dyn PluginRegistrar` and a live
    // `String`, both exclusively borrowed for the call (see `Opened::register`), and both
    // sides share their layout (checked header).
    let (registrar, message) = unsafe {
        (
            &mut *registrar.cast::<&mut dyn PluginRegistrar>(),
            &mut *panic_message.cast::<String>(),
        )
    };
    let mut guarded = GuardedRegistrar::new(&mut **registrar);
    match catch_unwind(AssertUnwindSafe(|| E::register(&mut guarded))) {
        Ok(()) => true,
        Err(payload) => {
            *message = panic_text(payload.as_ref());
            false
        }
    }
}

/// Why the host refused a library before calling anything in it.
#[cfg(feature = "dynamic-plugins")]
#[derive(Debug)]
pub(crate) enum Refusal {
    /// `dlopen` failed.
    Load(libloading::Error),
    /// The library has no `OWUMS_PLUGIN` symbol.
    NoDeclaration,
    /// Built for another plugin API.
    Api(u32),
    /// Built against another owums-core.
    Core(String),
    /// Built by another compiler.
    Compiler(String),
}

/// A library whose declaration passed the checks; it is never unloaded.
#[cfg(feature = "dynamic-plugins")]
#[derive(Debug)]
pub(crate) struct Opened(&'static PluginDeclaration);

/// Host side: loads the library at `path` for the rest of the process and checks its
/// declaration's header against this build.
#[cfg(feature = "dynamic-plugins")]
pub(crate) fn open(path: &std::path::Path) -> Result<Opened, Refusal> {
    // SAFETY: loading runs the library's initialisers. A Rust cdylib's are its `std`'s
    // (recording the process arguments); a library that is not an owums plugin at all is
    // the operator's choice of file, trusted as `owums` itself is.
    let library = unsafe { libloading::Library::new(path) }.map_err(Refusal::Load)?;
    // Never unloaded: the library's code backs every trait object it hands over.
    let library: &'static libloading::Library = Box::leak(Box::new(library));
    let symbol = format!("{DECLARATION_SYMBOL}\0");
    // SAFETY: the symbol is a `static` (its address is what `get` returns), typed as a
    // raw pointer that is only read through the fixed header layout below.
    let declaration = unsafe { library.get::<*const PluginDeclaration>(symbol.as_bytes()) }
        .map_err(|_| Refusal::NoDeclaration)?;
    let declaration: *const PluginDeclaration = *declaration;
    if declaration.is_null() {
        return Err(Refusal::NoDeclaration);
    }
    // SAFETY: every owums plugin library, of any version, starts its declaration with
    // this `repr(C)` header; the library stays loaded, so the static lives for the
    // process.
    check(unsafe { &*declaration.cast::<DeclarationHeader>() })?;
    // SAFETY: same API, owums-core and compiler: the whole declaration has this layout.
    Ok(Opened(unsafe { &*declaration }))
}

/// Compares a declaration's header with this build: the plugin API first (which makes
/// the rest of the header readable as this build lays it out), then owums-core, then the
/// compiler.
#[cfg(feature = "dynamic-plugins")]
fn check(header: &DeclarationHeader) -> Result<(), Refusal> {
    if header.api_version != crate::PLUGIN_API_VERSION {
        return Err(Refusal::Api(header.api_version));
    }
    let text = |p: *const c_char| {
        if p.is_null() {
            return String::new();
        }
        // SAFETY: a header is only ever made by `PluginDeclaration::new`, whose strings
        // are NUL-terminated constants; one read from a library has the same API version,
        // hence was made by the same `new`.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    };
    let core = text(header.core_version);
    if core != CORE_VERSION {
        return Err(Refusal::Core(core));
    }
    let rustc = text(header.rustc_version);
    if rustc != RUSTC_VERSION {
        return Err(Refusal::Compiler(rustc));
    }
    Ok(())
}

#[cfg(feature = "dynamic-plugins")]
impl Opened {
    /// Sends the library's `tracing` events to `dispatch` (the host's current one).
    pub(crate) fn forward_tracing(&self, dispatch: &tracing::Dispatch) {
        let dispatch: *const tracing::Dispatch = dispatch;
        // SAFETY: the checked library's `init` reads a `tracing::Dispatch` of the same
        // layout through the pointer, during the call only, and catches its own panics.
        unsafe { (self.0.init)(dispatch.cast()) }
    }

    /// Calls the library's `register` with `registrar`; `Err` holds the text of a panic.
    pub(crate) fn register(&self, registrar: &mut dyn PluginRegistrar) -> Result<(), String> {
        let mut registrar: &mut dyn PluginRegistrar = registrar;
        let mut message = String::new();
        let registrar_ptr: *mut &mut dyn PluginRegistrar = &mut registrar;
        let message_ptr: *mut String = &mut message;
        // SAFETY: both pointers are to live locals, exclusively borrowed for the call;
        // the checked library reads them with the same layout and catches its panics.
        let ok = unsafe { (self.0.register)(registrar_ptr.cast(), message_ptr.cast()) };
        if ok { Ok(()) } else { Err(message) }
    }
}

#[cfg(all(test, feature = "dynamic-plugins"))]
mod tests {
    use super::*;
    use crate::PluginRegistry;

    struct Fine;
    impl PluginEntry for Fine {
        fn register(_registrar: &mut dyn PluginRegistrar) {}
    }

    struct Panics;
    impl PluginEntry for Panics {
        fn register(_registrar: &mut dyn PluginRegistrar) {
            panic!("no registering today")
        }
    }

    static FINE: PluginDeclaration = PluginDeclaration::new::<Fine>(crate::PLUGIN_API_VERSION);
    static PANICS: PluginDeclaration = PluginDeclaration::new::<Panics>(crate::PLUGIN_API_VERSION);

    fn header(core: &'static CStr, rustc: &'static CStr) -> DeclarationHeader {
        DeclarationHeader {
            api_version: crate::PLUGIN_API_VERSION,
            rustc_version: rustc.as_ptr(),
            core_version: core.as_ptr(),
        }
    }

    #[test]
    fn a_declaration_of_this_build_passes_the_check() {
        assert!(check(&FINE.header).is_ok());
    }

    #[test]
    fn another_api_core_or_compiler_is_refused_naming_theirs() {
        let old = DeclarationHeader {
            api_version: 1,
            ..header(CORE_VERSION_C, RUSTC_VERSION_C)
        };
        assert!(matches!(check(&old), Err(Refusal::Api(1))));
        let core = header(c"0.0.1", RUSTC_VERSION_C);
        assert!(matches!(check(&core), Err(Refusal::Core(v)) if v == "0.0.1"));
        let rustc = header(CORE_VERSION_C, c"rustc 1.80.0 (0123456789)");
        assert!(
            matches!(check(&rustc), Err(Refusal::Compiler(v)) if v == "rustc 1.80.0 (0123456789)")
        );
    }

    #[test]
    fn a_panic_in_register_comes_back_as_its_message() {
        let mut registry = PluginRegistry::new();
        assert_eq!(
            Opened(&PANICS).register(&mut registry),
            Err("no registering today".to_owned())
        );
        assert_eq!(Opened(&FINE).register(&mut registry), Ok(()));
    }
}
