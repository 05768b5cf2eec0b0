//! Panic guards: adapters that implement each plugin trait by delegating to the plugin's
//! own implementation inside `catch_unwind`, so that a panic becomes an
//! [`Error::Plugin`] (or, for a method that cannot fail, a logged fallback) instead of
//! unwinding into the host.
//!
//! For a shared library this is a must, not a nicety: the library has its own copy of
//! `std`, and a panic unwinding out of it into the host's frames aborts the whole process
//! ("Rust cannot catch foreign exceptions"). The guards are applied by
//! [`GuardedRegistrar`], which [`export_plugin!`](crate::export_plugin) puts between the
//! plugin's `register` and the host, so a plugin author cannot forget one. The guard code
//! is compiled into the plugin (it is generic code of the plugin's owums-core copy), so
//! it catches the plugin's panics with the plugin's own `std`.
//!
//! Each trait method is one delegation of the same shape: a synchronous method goes
//! through [`catch`], an asynchronous one through [`catch_async`]. Adding a method to a
//! plugin trait means adding its one-line delegation here.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use futures_util::FutureExt;

use crate::accounting::{AccountingEvent, AccountingSink};
use crate::error::{Error, Result};
use crate::plugin::context::{MailTemplate, PluginContext};
use crate::plugin::operator_form::{OperatorEvidence, OperatorInput};
use crate::plugin::registry::{AccountingSinkFactory, PluginRegistrar, VerifierFactory};
use crate::plugin::route::{PluginHandler, PluginRequest, PluginResponse, PluginRoute};
use crate::plugin::verifier::{
    BackgroundTask, Challenge, Expiry, FormField, RegistrationField, Verifier,
};
use crate::subscriber::user::User;

/// A [`PluginRegistrar`] that wraps every factory offered to it (and everything those
/// factories build) in a panic guard before passing it on to `inner`.
///
/// [`export_plugin!`](crate::export_plugin) uses it for every shared library. A host may
/// use it for statically linked plugins too, to answer a panicking plugin with an error
/// rather than a dropped connection:
///
/// ```
/// use owums_core::plugin::GuardedRegistrar;
/// use owums_core::PluginRegistry;
///
/// fn register(_registrar: &mut dyn owums_core::PluginRegistrar) {}
///
/// let mut registry = PluginRegistry::new();
/// register(&mut GuardedRegistrar::new(&mut registry));
/// ```
pub struct GuardedRegistrar<'a> {
    inner: &'a mut dyn PluginRegistrar,
}

impl std::fmt::Debug for GuardedRegistrar<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GuardedRegistrar")
    }
}

impl<'a> GuardedRegistrar<'a> {
    /// A registrar passing guarded factories on to `inner`.
    pub fn new(inner: &'a mut dyn PluginRegistrar) -> Self {
        GuardedRegistrar { inner }
    }
}

impl PluginRegistrar for GuardedRegistrar<'_> {
    fn register_verifier(&mut self, factory: Box<dyn VerifierFactory>) {
        let id = factory.id();
        self.inner
            .register_verifier(Box::new(GuardedVerifierFactory { id, inner: factory }));
    }
    fn register_accounting_sink(&mut self, factory: Box<dyn AccountingSinkFactory>) {
        let id = factory.id();
        self.inner
            .register_accounting_sink(Box::new(GuardedSinkFactory { id, inner: factory }));
    }
}

/// The text of a panic's payload (`panic!("...")` gives a `&str` or a `String`).
pub(crate) fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-text payload".to_owned()
    }
}

/// The error a panic in `method` of plugin `id` becomes. The panic itself was reported
/// by the panic hook (a shared library's hook logs one line through the host's log).
fn panicked(id: &str, method: &str, payload: &(dyn Any + Send)) -> Error {
    Error::Plugin {
        id: id.to_owned(),
        message: format!("panicked in {method}: {}", panic_text(payload)),
    }
}

/// Runs synchronous `f` (method `method` of plugin `id`), turning a panic into an error.
/// A method that cannot fail falls back to a harmless answer on `Err` (offer nothing,
/// delete nobody), after the panic hook reported the panic.
pub(crate) fn catch<T>(id: &str, method: &str, f: impl FnOnce() -> T) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| panicked(id, method, p.as_ref()))
}

/// Makes the future of asynchronous method `method` with `make` and runs it, turning a
/// panic (while making it or while polling it) into an error.
pub(crate) async fn catch_async<T, F>(id: &str, method: &str, make: impl FnOnce() -> F) -> Result<T>
where
    F: Future<Output = Result<T>>,
{
    let future = catch(id, method, make)?;
    AssertUnwindSafe(future)
        .catch_unwind()
        .await
        .unwrap_or_else(|p| Err(panicked(id, method, p.as_ref())))
}

struct GuardedVerifierFactory {
    id: &'static str,
    inner: Box<dyn VerifierFactory>,
}

impl VerifierFactory for GuardedVerifierFactory {
    fn id(&self) -> &'static str {
        self.id
    }
    fn build(&self, config: serde_json::Value, ctx: PluginContext) -> Result<Arc<dyn Verifier>> {
        let inner = catch(self.id, "build", || self.inner.build(config, ctx))??;
        let id = catch(self.id, "id", || inner.id())?;
        Ok(Arc::new(GuardedVerifier { id, inner }))
    }
    fn check(&self, settings: serde_json::Value) -> Result<()> {
        catch(self.id, "check", || self.inner.check(settings))?
    }
    fn messages(&self) -> &'static [(&'static str, &'static str)] {
        catch(self.id, "messages", || self.inner.messages()).unwrap_or(&[])
    }
    fn mail_templates(&self) -> &'static [MailTemplate] {
        catch(self.id, "mail_templates", || self.inner.mail_templates()).unwrap_or(&[])
    }
}

struct GuardedVerifier {
    id: &'static str,
    inner: Arc<dyn Verifier>,
}

#[async_trait::async_trait]
impl Verifier for GuardedVerifier {
    fn id(&self) -> &'static str {
        self.id
    }
    fn self_service(&self) -> bool {
        catch(self.id, "self_service", || self.inner.self_service()).unwrap_or(false)
    }
    fn operator_verified(&self) -> bool {
        catch(self.id, "operator_verified", || {
            self.inner.operator_verified()
        })
        .unwrap_or(false)
    }
    fn required_fields(&self) -> Vec<RegistrationField> {
        catch(self.id, "required_fields", || self.inner.required_fields()).unwrap_or_default()
    }
    fn country_code(&self) -> Option<&str> {
        catch(self.id, "country_code", || self.inner.country_code()).unwrap_or(None)
    }
    fn expiry(&self) -> Expiry {
        catch(self.id, "expiry", || self.inner.expiry()).unwrap_or(Expiry::Never)
    }
    fn device_policy(&self) -> Option<crate::plugin::DevicePolicy> {
        catch(self.id, "device_policy", || self.inner.device_policy()).unwrap_or(None)
    }
    async fn start(&self, user: &dyn User, locale: &str) -> Result<()> {
        catch_async(self.id, "start", || self.inner.start(user, locale)).await
    }
    async fn challenge(&self, user: &dyn User, locale: &str) -> Result<Challenge> {
        catch_async(self.id, "challenge", || self.inner.challenge(user, locale)).await
    }
    fn routes(&self) -> Vec<PluginRoute> {
        let routes = catch(self.id, "routes", || self.inner.routes()).unwrap_or_default();
        routes
            .into_iter()
            .map(|route| PluginRoute {
                handler: Arc::new(GuardedHandler {
                    id: self.id,
                    inner: route.handler,
                }),
                ..route
            })
            .collect()
    }
    fn background_tasks(&self) -> Vec<BackgroundTask> {
        let tasks = catch(self.id, "background_tasks", || {
            self.inner.background_tasks()
        });
        let id = self.id;
        tasks
            .unwrap_or_default()
            .into_iter()
            .map(|task| BackgroundTask {
                name: task.name,
                run: {
                    let run = task.run;
                    Box::new(move |shutdown| {
                        Box::pin(catch_async(id, "background task", move || run(shutdown)))
                    })
                },
            })
            .collect()
    }
    fn operator_form(&self, locale: &str) -> Vec<FormField> {
        catch(self.id, "operator_form", || {
            self.inner.operator_form(locale)
        })
        .unwrap_or_default()
    }
    async fn operator_evidence(&self, input: OperatorInput) -> Result<OperatorEvidence> {
        catch_async(self.id, "operator_evidence", || {
            self.inner.operator_evidence(input)
        })
        .await
    }
}

struct GuardedHandler {
    id: &'static str,
    inner: Arc<dyn PluginHandler>,
}

#[async_trait::async_trait]
impl PluginHandler for GuardedHandler {
    async fn call(&self, request: PluginRequest) -> Result<PluginResponse> {
        // a panic becomes an error: the host answers its generic 500 page
        catch_async(self.id, "a route handler", || self.inner.call(request)).await
    }
}

struct GuardedSinkFactory {
    id: &'static str,
    inner: Box<dyn AccountingSinkFactory>,
}

impl AccountingSinkFactory for GuardedSinkFactory {
    fn id(&self) -> &'static str {
        self.id
    }
    fn build(&self, config: serde_json::Value) -> Result<Arc<dyn AccountingSink>> {
        let inner = catch(self.id, "build", || self.inner.build(config))??;
        Ok(Arc::new(GuardedSink { id: self.id, inner }))
    }
    fn check(&self, settings: serde_json::Value) -> Result<()> {
        catch(self.id, "check", || self.inner.check(settings))?
    }
}

struct GuardedSink {
    id: &'static str,
    inner: Arc<dyn AccountingSink>,
}

#[async_trait::async_trait]
impl AccountingSink for GuardedSink {
    async fn record(&self, event: &AccountingEvent) -> Result<()> {
        catch_async(self.id, "record", || self.inner.record(event)).await
    }
    async fn flush(&self) -> Result<()> {
        catch_async(self.id, "flush", || self.inner.flush()).await
    }
    fn batching(&self) -> crate::accounting::Batching {
        catch(self.id, "batching", || self.inner.batching())
            .unwrap_or(crate::accounting::Batching::ONE)
    }
    async fn record_batch(&self, events: &[AccountingEvent]) -> Result<()> {
        catch_async(self.id, "record_batch", || self.inner.record_batch(events)).await
    }
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
