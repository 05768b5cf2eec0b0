//! The panic guards, exercised in-process: a plugin that panics at every entry point.

use std::sync::Arc;

use super::*;
use crate::plugin::registry::PluginRegistry;
use crate::plugin::verifier::Shutdown;

struct Boom;

#[async_trait::async_trait]
impl Verifier for Boom {
    fn id(&self) -> &'static str {
        "boom"
    }
    fn self_service(&self) -> bool {
        panic!("self_service exploded")
    }
    fn expiry(&self) -> Expiry {
        panic!("expiry exploded")
    }
    async fn start(&self, _user: &dyn User, _locale: &str) -> Result<()> {
        tokio::task::yield_now().await;
        panic!("start exploded")
    }
    async fn challenge(&self, _user: &dyn User, _locale: &str) -> Result<Challenge> {
        Ok(Challenge::Done)
    }
    fn routes(&self) -> Vec<PluginRoute> {
        vec![PluginRoute {
            method: http::Method::GET,
            path: "/x".to_owned(),
            handler: Arc::new(BoomHandler),
        }]
    }
    fn background_tasks(&self) -> Vec<BackgroundTask> {
        vec![BackgroundTask {
            name: "boom task".to_owned(),
            run: Box::new(|_shutdown| Box::pin(async { panic!("task exploded") })),
        }]
    }
    fn operator_form(&self, _locale: &str) -> Vec<FormField> {
        panic!("form exploded")
    }
    async fn operator_evidence(&self, _input: OperatorInput) -> Result<OperatorEvidence> {
        panic!("evidence exploded")
    }
}

struct BoomHandler;

#[async_trait::async_trait]
impl PluginHandler for BoomHandler {
    async fn call(&self, _request: PluginRequest) -> Result<PluginResponse> {
        panic!("handler exploded")
    }
}

struct BoomFactory {
    panic_in_build: bool,
}

impl VerifierFactory for BoomFactory {
    fn id(&self) -> &'static str {
        "boom"
    }
    fn build(&self, _config: serde_json::Value, _ctx: PluginContext) -> Result<Arc<dyn Verifier>> {
        assert!(!self.panic_in_build, "build exploded");
        Ok(Arc::new(Boom))
    }
    fn check(&self, settings: serde_json::Value) -> Result<()> {
        assert!(settings.get("explode").is_none(), "check exploded");
        Ok(())
    }
}

fn guarded(panic_in_build: bool) -> PluginRegistry {
    let mut registry = PluginRegistry::new();
    GuardedRegistrar::new(&mut registry)
        .register_verifier(Box::new(BoomFactory { panic_in_build }));
    registry
}

fn enabled() -> crate::config::PluginsConfig {
    toml::from_str::<crate::Config>("[plugins.boom]\nenabled = true\n")
        .unwrap()
        .plugins
}

/// A context whose services find nothing and accept everything (the guards never call it).
struct Nothing;

#[async_trait::async_trait]
impl crate::UserDirectory for Nothing {
    async fn find_by_id(&self, _id: crate::UserId) -> Result<Option<crate::UserRecord>> {
        Ok(None)
    }
    async fn find_by_username(&self, _u: &crate::Username) -> Result<Option<crate::UserRecord>> {
        Ok(None)
    }
    async fn find_by_mobile(&self, _m: &crate::PhoneNumber) -> Result<Option<crate::UserRecord>> {
        Ok(None)
    }
}

#[async_trait::async_trait]
impl crate::PluginStateStore for Nothing {
    async fn get(&self, _p: &str, _u: crate::UserId) -> Result<Option<serde_json::Value>> {
        Ok(None)
    }
    async fn put_keyed(
        &self,
        _p: &str,
        _u: crate::UserId,
        _k: Option<&str>,
        _d: serde_json::Value,
    ) -> Result<()> {
        Ok(())
    }
    async fn delete(&self, _p: &str, _u: crate::UserId) -> Result<()> {
        Ok(())
    }
    async fn swap(
        &self,
        _p: &str,
        _u: crate::UserId,
        _e: &serde_json::Value,
        _n: &serde_json::Value,
    ) -> Result<bool> {
        Ok(false)
    }
    async fn lookup(
        &self,
        _p: &str,
        _k: &str,
    ) -> Result<Option<(crate::UserId, serde_json::Value)>> {
        Ok(None)
    }
}

#[async_trait::async_trait]
impl crate::plugin::MailQueue for Nothing {
    async fn enqueue(&self, _to: &crate::Email, _s: String, _b: String) -> Result<()> {
        Ok(())
    }
}

#[async_trait::async_trait]
impl crate::plugin::SettingsSource for Nothing {
    async fn text(&self, _name: &str) -> Result<String> {
        Ok(String::new())
    }
}

#[async_trait::async_trait]
impl crate::OutcomeHandler for Nothing {
    async fn apply(&self, _verifier_id: &str, _outcome: crate::Outcome) -> Result<()> {
        Ok(())
    }
}

fn ctx() -> crate::PluginHost {
    crate::PluginHost {
        users: Arc::new(Nothing),
        state: Arc::new(Nothing),
        outcomes: Arc::new(Nothing),
        mail: Arc::new(Nothing),
        settings: Arc::new(Nothing),
        public_url: String::new(),
        clock: Arc::new(chrono::Utc::now),
    }
}

struct Alice(crate::Username);

impl User for Alice {
    fn id(&self) -> crate::UserId {
        crate::UserId::random()
    }
    fn username(&self) -> &crate::Username {
        &self.0
    }
    fn email(&self) -> Option<&crate::Email> {
        None
    }
    fn mobile(&self) -> Option<&crate::PhoneNumber> {
        None
    }
    fn verification_method(&self) -> &str {
        "boom"
    }
    fn status(&self) -> crate::UserStatus {
        crate::UserStatus::Unverified
    }
}

#[test]
fn panic_in_build_is_a_plugin_error_naming_the_panic() {
    let err = guarded(true)
        .build_verifiers(&enabled(), &ctx())
        .err()
        .unwrap();
    let text = err.to_string();
    assert!(
        text.contains("boom") && text.contains("panicked in build: build exploded"),
        "{text}"
    );
}

#[tokio::test]
async fn panics_in_methods_become_errors_or_safe_defaults() {
    let verifiers = guarded(false).build_verifiers(&enabled(), &ctx()).unwrap();
    let v = &verifiers[0];
    assert_eq!(v.id(), "boom");
    assert!(!v.self_service(), "a panicking self_service offers nothing");
    assert_eq!(
        v.expiry(),
        Expiry::Never,
        "a panicking expiry deletes nobody"
    );
    let user = Alice(crate::Username::try_new("alice").unwrap());
    let err = v.start(&user, "en").await.unwrap_err();
    assert!(
        matches!(err, Error::Plugin { ref message, .. } if message == "panicked in start: start exploded"),
        "{err}"
    );
    // the verifier still answers afterwards
    assert_eq!(v.challenge(&user, "en").await.unwrap(), Challenge::Done);
    let route = v.routes().remove(0);
    let request = PluginRequest::new(
        http::Request::new(bytes::Bytes::new()),
        "/x",
        "en",
        std::net::IpAddr::from([127, 0, 0, 1]),
    );
    let err = route.handler.call(request).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("panicked in a route handler: handler exploded"),
        "{err}"
    );
    let task = v.background_tasks().remove(0);
    let (_stop, shutdown) = Shutdown::channel();
    let err = (task.run)(shutdown).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("panicked in background task: task exploded"),
        "{err}"
    );
    assert!(
        v.operator_form("en").is_empty(),
        "a panicking form asks nothing"
    );
    let err = v
        .operator_evidence(OperatorInput::new("en"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("panicked in operator_evidence: evidence exploded"),
        "{err}"
    );
}

#[test]
fn panic_in_check_is_a_plugin_error() {
    let mut config = enabled();
    config
        .0
        .get_mut("boom")
        .unwrap()
        .settings
        .insert("explode".to_owned(), serde_json::json!(true));
    let err = guarded(false).check_settings(&config).unwrap_err();
    assert!(
        err.to_string()
            .contains("panicked in check: check exploded"),
        "{err}"
    );
}
