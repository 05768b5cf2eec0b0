//! The subscriber pages through poem's test client on a real database: a small "browser"
//! that keeps the session cookie, and a test verification method.

mod account;
mod anonymous;
mod challenges;
mod login;
mod phone_reset;
mod reset;
pub(crate) mod signup;
mod signup_fields;
mod site;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use owums_core::config::{PluginTable, PluginsConfig};
use owums_core::{
    Challenge, Config, Expiry, PluginContext, PluginRegistrar, PluginRegistry, RegistrationField,
    User, Verifier, VerifierFactory,
};
use poem::endpoint::BoxEndpoint;
use poem::http::{StatusCode, header};
use poem::test::TestClient;
use poem::{EndpointExt, Response};

use crate::support::TestDb;

/// The number the test method asks users to call.
pub(crate) const CALL_NUMBER: &str = "+390212345678";

/// A self-service method like the SIP one: needs a mobile number, asks for a call, and
/// deletes registrations not verified within 300 s.
struct PhoneVerifier;

#[owums_core::async_trait]
impl Verifier for PhoneVerifier {
    fn id(&self) -> &'static str {
        "phone"
    }
    fn self_service(&self) -> bool {
        true
    }
    fn required_fields(&self) -> Vec<RegistrationField> {
        vec![RegistrationField::Mobile]
    }
    fn country_code(&self) -> Option<&str> {
        Some("39")
    }
    fn expiry(&self) -> Expiry {
        Expiry::Delete(Duration::from_secs(300))
    }
    async fn challenge(&self, user: &dyn User, _locale: &str) -> owums_core::Result<Challenge> {
        Ok(Challenge::CallNumber {
            numbers: vec![CALL_NUMBER.to_owned()],
            from: user.mobile().map(|m| m.as_str().to_owned()),
            expires_in_seconds: 300,
            note: None,
        })
    }
}

/// A self-service method like a card payment: needs the birth date and the address.
struct CardVerifier;

#[owums_core::async_trait]
impl Verifier for CardVerifier {
    fn id(&self) -> &'static str {
        "card"
    }
    fn self_service(&self) -> bool {
        true
    }
    fn required_fields(&self) -> Vec<RegistrationField> {
        vec![RegistrationField::BirthDate, RegistrationField::Address]
    }
    fn expiry(&self) -> Expiry {
        Expiry::Never
    }
    async fn challenge(&self, _user: &dyn User, _locale: &str) -> owums_core::Result<Challenge> {
        Ok(Challenge::Redirect {
            url: "https://pay.example.org/".to_owned(),
        })
    }
}

/// An operator-only method (not offered on the sign-up page).
struct DeskVerifier;

#[owums_core::async_trait]
impl Verifier for DeskVerifier {
    fn id(&self) -> &'static str {
        "desk"
    }
    fn expiry(&self) -> Expiry {
        Expiry::Never
    }
    async fn challenge(&self, _user: &dyn User, _locale: &str) -> owums_core::Result<Challenge> {
        Ok(Challenge::Message {
            text: "Bring your ID card to the front desk.".to_owned(),
        })
    }
}

struct Factory(&'static str);

impl VerifierFactory for Factory {
    fn id(&self) -> &'static str {
        self.0
    }
    fn build(
        &self,
        _config: serde_json::Value,
        _ctx: PluginContext,
    ) -> owums_core::Result<Arc<dyn Verifier>> {
        Ok(match self.0 {
            "phone" => Arc::new(PhoneVerifier),
            "card" => Arc::new(CardVerifier),
            _ => Arc::new(DeskVerifier),
        })
    }
}

/// A configuration with the given test methods enabled and the captcha left to the test.
pub(crate) fn config(methods: &[&str]) -> Config {
    let mut config = Config::default();
    let mut plugins = BTreeMap::new();
    for id in methods {
        plugins.insert(
            (*id).to_owned(),
            PluginTable {
                enabled: true,
                required: true,
                library: None,
                settings: serde_json::Map::new(),
            },
        );
    }
    config.plugins = PluginsConfig(plugins);
    config
}

/// The test methods `phone`, `card` and `desk`, and the real `sip` plugin, registered
/// (enable them with [`config`]; `sip` needs its settings, see [`sip_config`]).
pub(crate) fn registry() -> PluginRegistry {
    let mut registry = PluginRegistry::new();
    registry.register_verifier(Box::new(Factory("phone")));
    registry.register_verifier(Box::new(Factory("card")));
    registry.register_verifier(Box::new(Factory("desk")));
    registry.register_verifier(Box::new(challenges::ShownFactory));
    owums_plugin_sip::register(&mut registry);
    registry
}

/// A configuration with the SIP plugin enabled (its listener is not started by the test
/// app): subscribers call `numbers`, national numbers are of `country_code`.
pub(crate) fn sip_config(numbers: &[&str], country_code: &str) -> Config {
    let mut config = Config::default();
    let settings = serde_json::json!({
        "listen": "127.0.0.1:5060",
        "allowed_peers": ["127.0.0.1"],
        "numbers": numbers,
        "default_country_code": country_code,
    });
    let mut plugins = BTreeMap::new();
    plugins.insert(
        "sip".to_owned(),
        PluginTable {
            enabled: true,
            required: true,
            library: None,
            settings: settings.as_object().cloned().unwrap_or_default(),
        },
    );
    config.plugins = PluginsConfig(plugins);
    config
}

/// The app over `db` with `config`.
pub(crate) async fn app(db: &TestDb, config: &Config) -> BoxEndpoint<'static, Response> {
    let state = owums_server::AppState::with_store(config, db.store.clone(), &registry()).unwrap();
    owums_server::app(state).map_to_response().boxed()
}

/// A browser: keeps its cookies and the language it asks for.
pub(crate) struct Browser {
    client: TestClient<BoxEndpoint<'static, Response>>,
    /// The session cookie (`owums_session`).
    pub(crate) cookie: Option<String>,
    /// The other cookies (`owums_csrf`, `owums_locale`), by name.
    pub(crate) jar: BTreeMap<String, String>,
    pub(crate) accept_language: String,
    /// Sent as `X-Forwarded-For` (a client behind a proxy the configuration trusts).
    pub(crate) forwarded_for: Option<String>,
}

/// A page as received.
pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) set_cookie: Vec<String>,
    pub(crate) headers: poem::http::HeaderMap,
    /// The body as text (empty when it is not UTF-8: see `bytes`).
    pub(crate) body: String,
    /// The body as received (a PDF).
    pub(crate) bytes: Vec<u8>,
}

impl Page {
    /// The hidden CSRF token of the page's first form.
    pub(crate) fn csrf(&self) -> String {
        let marker = r#"name="csrf_token" value=""#;
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_owned()
    }

    /// The `<html lang>` of the page.
    pub(crate) fn lang(&self) -> &str {
        let start = self.body.find("<html lang=\"").expect("an html element") + 12;
        let end = self.body[start..].find('"').unwrap() + start;
        &self.body[start..end]
    }

    /// Asserts the body contains `text`.
    pub(crate) fn has(&self, text: &str) -> &Self {
        assert!(
            self.body.contains(text),
            "expected {text:?} in the page ({}):\n{}",
            self.status,
            self.body
        );
        self
    }

    /// Asserts the body does not contain `text`.
    pub(crate) fn lacks(&self, text: &str) -> &Self {
        assert!(
            !self.body.contains(text),
            "unexpected {text:?} in:\n{}",
            self.body
        );
        self
    }
}

impl Browser {
    pub(crate) async fn new(db: &TestDb, config: &Config) -> Browser {
        Browser {
            client: TestClient::new(app(db, config).await),
            cookie: None,
            jar: BTreeMap::new(),
            accept_language: "en".to_owned(),
            forwarded_for: None,
        }
    }

    /// A browser of `app` (built by the test, e.g. with its own clock).
    pub(crate) fn over(app: BoxEndpoint<'static, Response>) -> Browser {
        Browser {
            client: TestClient::new(app),
            cookie: None,
            jar: BTreeMap::new(),
            accept_language: "en".to_owned(),
            forwarded_for: None,
        }
    }

    async fn receive(&mut self, resp: poem::test::TestResponse) -> Page {
        let resp = resp.0;
        let status = resp.status();
        let headers = resp.headers().clone();
        let set_cookie: Vec<String> = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for c in &set_cookie {
            let value = c.split(';').next().unwrap();
            let (name, v) = value.split_once('=').unwrap();
            let v = (!v.is_empty() && !c.contains("Max-Age=0")).then(|| v.to_owned());
            if name == "owums_session" {
                self.cookie = v;
            } else if let Some(v) = v {
                self.jar.insert(name.to_owned(), v);
            } else {
                self.jar.remove(name);
            }
        }
        let location = headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = resp.into_body().into_vec().await.unwrap_or_default();
        let body = String::from_utf8(bytes.clone()).unwrap_or_default();
        Page {
            status,
            location,
            set_cookie,
            headers,
            body,
            bytes,
        }
    }

    /// The `Cookie` header the browser sends, if any.
    fn cookie_header(&self) -> Option<String> {
        let session = self.cookie.iter().map(|c| format!("owums_session={c}"));
        let others = self.jar.iter().map(|(k, v)| format!("{k}={v}"));
        let all: Vec<String> = session.chain(others).collect();
        (!all.is_empty()).then(|| all.join("; "))
    }

    /// Forgets every cookie.
    pub(crate) fn clear_cookies(&mut self) {
        self.cookie = None;
        self.jar.clear();
    }

    /// `GET path`.
    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let mut req = self
            .client
            .get(path)
            .header(header::ACCEPT_LANGUAGE, self.accept_language.clone());
        if let Some(c) = self.cookie_header() {
            req = req.header(header::COOKIE, c);
        }
        if let Some(f) = &self.forwarded_for {
            req = req.header("x-forwarded-for", f.clone());
        }
        let resp = req.send().await;
        self.receive(resp).await
    }

    /// `POST path` with a raw body.
    pub(crate) async fn post_raw(&mut self, path: &str, body: Vec<u8>) -> Page {
        self.post_raw_with(path, body, &[]).await
    }

    /// `POST path` with a raw body and extra `headers` (e.g. `Origin`).
    pub(crate) async fn post_raw_with(
        &mut self,
        path: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Page {
        self.post_typed(path, "application/x-www-form-urlencoded", body, headers)
            .await
    }

    /// `POST path` with a body of `content_type` and extra `headers`.
    pub(crate) async fn post_typed(
        &mut self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Page {
        let mut req = self
            .client
            .post(path)
            .header(header::ACCEPT_LANGUAGE, self.accept_language.clone())
            .content_type(content_type)
            .body(body);
        if let Some(c) = self.cookie_header() {
            req = req.header(header::COOKIE, c);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(f) = &self.forwarded_for {
            req = req.header("x-forwarded-for", f.clone());
        }
        let resp = req.send().await;
        self.receive(resp).await
    }

    /// `POST path` with `fields`, URL-encoded.
    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded_like(fields);
        self.post_raw(path, body.into_bytes()).await
    }
}

/// `k=v&…` with everything but unreserved characters percent-encoded.
pub(crate) fn serde_urlencoded_like(fields: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}
