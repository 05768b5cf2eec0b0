//! The plugin contract, connected: a plugin's routes mounted under `/plugins/<id>/` and fed
//! the person's language; a link the plugin mailed at registration verifying the subscriber
//! through its route (the outcome applied before the answer); unknown paths, failing
//! handlers and oversized bodies answered by the host; the plugin's own page strings; and
//! its state found by key and swapped once under concurrent callers.

mod email_link;
pub(crate) mod id_card;
mod link;
mod operator;
mod state;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use owums_core::{Config, PluginRegistrar, PluginRegistry, UserStatus, VerifierFactory};
use poem::endpoint::BoxEndpoint;
use poem::http::{StatusCode, header};
use poem::test::TestClient;
use poem::{EndpointExt, Response};
use serde_json::{Value, json};

use crate::pages::config;
use crate::support::{TestDb, db_test};

/// The public address the test server says it has.
const PUBLIC: &str = "https://wifi.example.org";

/// A clock the test moves: seconds added to the real time.
#[derive(Clone, Default)]
struct Offset(Arc<AtomicI64>);

impl Offset {
    fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

/// The app over `db` with the `link` plugin enabled, its clock moved by `offset`.
fn app_with(db: &TestDb, offset: &Offset) -> Client {
    app_for(db, offset, link::ID, |registry| {
        registry.register_verifier(Box::new(link::LinkFactory));
    })
}

/// The app over `db` with plugin `id` (registered by `register`) enabled, its clock moved
/// by `offset`.
fn app_for(
    db: &TestDb,
    offset: &Offset,
    id: &str,
    register: fn(&mut dyn PluginRegistrar),
) -> Client {
    let mut registry = PluginRegistry::new();
    register(&mut registry);
    let mut cfg: Config = config(&[id]);
    cfg.web.public_url = format!("{PUBLIC}/");
    let shift = offset.0.clone();
    let clock = Arc::new(move || {
        chrono::Utc::now() + chrono::Duration::seconds(shift.load(Ordering::SeqCst))
    });
    let state =
        owums_server::AppState::with_store_and_clock(&cfg, db.store.clone(), &registry, clock)
            .unwrap();
    Client(TestClient::new(
        owums_server::app(state).map_to_response().boxed(),
    ))
}

struct Client(TestClient<BoxEndpoint<'static, Response>>);

/// Status and body of an answer.
async fn read(resp: poem::test::TestResponse) -> (StatusCode, String, poem::http::HeaderMap) {
    let resp = resp.0;
    let status = resp.status();
    let headers = resp.headers().clone();
    (
        status,
        resp.into_body().into_string().await.unwrap_or_default(),
        headers,
    )
}

impl Client {
    async fn get(&self, path: &str, lang: &str) -> (StatusCode, String, poem::http::HeaderMap) {
        read(
            self.0
                .get(path)
                .header(header::ACCEPT_LANGUAGE, lang)
                .send()
                .await,
        )
        .await
    }

    /// Registers `name` with the link method through the API; its bearer token.
    async fn register(&self, name: &str, locale: &str) -> String {
        self.register_with(name, locale, link::ID).await
    }

    /// Registers `name` with `method` through the API; its bearer token.
    async fn register_with(&self, name: &str, locale: &str, method: &str) -> String {
        let body = json!({
            "username": name, "password": "Tulip-Harbor-93", "verification_method": method,
            "email": format!("{name}@example.org"), "given_name": "Carla", "surname": "Neri",
            "birth_date": "1990-05-17", "address": "Via Roma 1", "city": "Roma",
            "zip": "00100", "country": "Italia", "eula_accepted": true, "privacy_accepted": true
        });
        let (status, body, _) = read(
            self.0
                .post("/api/v1/account")
                .header(header::ACCEPT_LANGUAGE, locale)
                .content_type("application/json")
                .body(body.to_string())
                .send()
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let created: Value = serde_json::from_str(&body).unwrap();
        created["token"].as_str().unwrap().to_owned()
    }

    /// The API's view of the verification of the holder of `token`.
    async fn verification(&self, token: &str) -> Value {
        let (status, body, _) = read(
            self.0
                .get("/api/v1/account/verification")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .send()
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_str(&body).unwrap()
    }
}

/// The path of the link mailed to `to` (the only mail to them).
async fn mailed_link(db: &TestDb, to: &str) -> (String, String) {
    let mails: Vec<_> = db
        .store
        .outbox(50)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.recipient == to)
        .collect();
    assert_eq!(mails.len(), 1, "one mail to {to}");
    let body = &mails[0].body;
    let start = body.find(PUBLIC).expect("a link to the public address") + PUBLIC.len();
    let end = body[start..].find(' ').map_or(body.len(), |e| e + start);
    (body[start..end].to_owned(), mails[0].subject.clone())
}

db_test!(plugin_callback_verifies_the_subscriber_once, |db| {
    let offset = Offset::default();
    let app = app_with(&db, &offset);
    let token = app.register("carla", "it").await;
    let before = app.verification(&token).await;
    assert_eq!(before["status"], "unverified", "{before}");
    assert_eq!(before["challenge"]["text"], "link-check-mail", "{before}");

    // start ran once, in the person's language, with the public address
    let (path, subject) = mailed_link(&db, "carla@example.org").await;
    assert_eq!(subject, "Il tuo link");
    assert!(path.starts_with("/plugins/link/open?token="), "{path}");
    let (status, body, headers) = app.get(&path, "it").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(headers[header::LOCATION], "/account");
    // applied before the answer: verified as soon as the redirect is received
    let after = app.verification(&token).await;
    assert_eq!(after["status"], "verified", "{after}");
    assert_eq!(after["is_verified"], true);
    let user = db
        .store
        .find_user_by_username(&owums_core::Username::try_new("carla").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.status(), UserStatus::Verified);

    // single use: the second opening is refused
    let (status, body, _) = app.get(&path, "it").await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert!(body.contains("used already"), "{body}");
    // a token nobody was given is the host's translated 404
    let (status, body, _) = app.get("/plugins/link/open?token=nope", "es").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
});

db_test!(plugin_expired_link_changes_nothing, |db| {
    let offset = Offset::default();
    let app = app_with(&db, &offset);
    let token = app.register("dario", "en").await;
    let (path, subject) = mailed_link(&db, "dario@example.org").await;
    assert_eq!(subject, "Your link");
    offset.advance(31 * 60);
    let (status, body, _) = app.get(&path, "en").await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert!(body.contains("expired"), "{body}");
    assert_eq!(app.verification(&token).await["status"], "unverified");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_route_is_mounted_and_answers_in_the_persons_language() {
    let Some(db) = TestDb::new(crate::support::Backend::Sqlite).await else {
        return;
    };
    let app = app_with(&db, &Offset::default());
    let (status, body, headers) = app.get("/plugins/link/hello", "es-ES,en;q=0.5").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "hello es - /hello");
    assert_eq!(headers[header::CONTENT_TYPE], "text/plain; charset=utf-8");
    // the host's headers are on plugin answers too
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("form-action 'self'"), "{csp}");
    // the locale cookie wins over Accept-Language, as on the pages
    let (_, body, _) = read(
        app.0
            .get("/plugins/link/hello")
            .header(header::ACCEPT_LANGUAGE, "es")
            .header(header::COOKIE, "owums_locale=it")
            .send()
            .await,
    )
    .await;
    assert_eq!(body, "hello it - /hello");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_unknown_paths_failures_and_big_bodies_get_the_hosts_answers() {
    let Some(db) = TestDb::new(crate::support::Backend::Sqlite).await else {
        return;
    };
    let app = app_with(&db, &Offset::default());
    // unknown path under the plugin, unknown plugin: the translated 404 page
    for path in [
        "/plugins/link/nope",
        "/plugins/nobody/hello",
        "/plugins/link",
    ] {
        let (status, body, _) = app.get(path, "es").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains("Página no encontrada"), "{path}: {body}");
    }
    // a known path with another method
    let (status, _, _) = read(app.0.post("/plugins/link/hello").send().await).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    // a handler's error: a generic, translated 500 that keeps the cause to the log
    let (status, body, _) = app.get("/plugins/link/boom", "it").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("errore interno"), "{body}");
    assert!(!body.contains("hunter2"), "{body}");
    // bodies: up to [web] max_form_bytes reach the plugin, larger ones do not
    let post = |n: usize| {
        app.0
            .post("/plugins/link/echo")
            .header(header::ACCEPT_LANGUAGE, "en")
            .body(vec![b'x'; n])
            .send()
    };
    let (status, body, _) = read(post(16 * 1024).await).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "16384 bytes"));
    let (status, body, _) = read(post(16 * 1024 + 1).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("too large"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_strings_are_shown_in_italian_and_spanish() {
    let Some(db) = TestDb::new(crate::support::Backend::Sqlite).await else {
        return;
    };
    let app = app_with(&db, &Offset::default());
    for (lang, label) in [
        ("it", "Un link per e-mail"),
        ("es", "Un enlace por correo"),
        ("en", "A link by e-mail"),
    ] {
        let (status, body, _) = app.get("/account/signup", lang).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(label), "{lang}: {body}");
    }
}

/// A plugin whose page string would replace one of the host's.
struct Squatter;

impl VerifierFactory for Squatter {
    fn id(&self) -> &'static str {
        "nav"
    }
    fn build(
        &self,
        _settings: Value,
        _ctx: owums_core::PluginContext,
    ) -> owums_core::Result<Arc<dyn owums_core::Verifier>> {
        Ok(Arc::new(Nav))
    }
    fn messages(&self) -> &'static [(&'static str, &'static str)] {
        &[("en", "nav-login = Log in here instead\n")]
    }
}

struct Nav;

#[owums_core::async_trait]
impl owums_core::Verifier for Nav {
    fn id(&self) -> &'static str {
        "nav"
    }
    fn expiry(&self) -> owums_core::Expiry {
        owums_core::Expiry::Never
    }
    async fn challenge(
        &self,
        _user: &dyn owums_core::User,
        _locale: &str,
    ) -> owums_core::Result<owums_core::Challenge> {
        Ok(owums_core::Challenge::Done)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_string_colliding_with_the_hosts_is_refused_at_startup() {
    let Some(db) = TestDb::new(crate::support::Backend::Sqlite).await else {
        return;
    };
    let mut registry = PluginRegistry::new();
    registry.register_verifier(Box::new(Squatter));
    let cfg = config(&["nav"]);
    let err = owums_server::AppState::with_store(&cfg, db.store.clone(), &registry).unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("`nav-login` is already defined"), "{text}");
}
