//! One registration service behind two doors: the sign-up page and the JSON API refuse the
//! same invalid registrations with the same field errors in the user's language and store
//! nothing; and polling the verification status never starts a verification again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use owums_core::{
    Challenge, Expiry, PluginContext, PluginRegistrar, PluginRegistry, RegistrationField, Settings,
    User, Verifier, VerifierFactory,
};
use poem::EndpointExt;
use poem::http::{StatusCode, header};
use poem::test::TestClient;
use serde_json::{Value, json};

use crate::pages::{Browser, config};
use crate::support::{TestDb, db_test, mobile, new_user, subscribers};

/// A valid registration with the `phone` method, by the form's names (checkboxes `1`).
fn valid() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("verification_method", "phone"),
        ("given_name", "Bruno"),
        ("surname", "Verdi"),
        ("email", "bruno@example.org"),
        ("mobile", "+39 347 7654321"),
        ("username", "bruno"),
        ("password", "Fiume-Lanterna-47"),
        ("password_confirmation", "Fiume-Lanterna-47"),
        ("eula_acceptance", "1"),
        ("privacy_acceptance", "1"),
    ])
}

/// The same registration as the API's JSON body.
fn as_json(form: &BTreeMap<&'static str, &'static str>) -> Value {
    let mut body = serde_json::Map::new();
    for (k, v) in form {
        match *k {
            "password_confirmation" => {}
            "eula_acceptance" => {
                body.insert("eula_accepted".into(), json!(!v.is_empty()));
            }
            "privacy_acceptance" => {
                body.insert("privacy_accepted".into(), json!(!v.is_empty()));
            }
            key => {
                body.insert(key.into(), json!(v));
            }
        }
    }
    body.entry("eula_accepted").or_insert(json!(false));
    body.entry("privacy_accepted").or_insert(json!(false));
    Value::Object(body)
}

/// The field errors a sign-up page shows: field → message (HTML entities decoded).
fn page_errors(body: &str) -> BTreeMap<String, String> {
    let marker = r#"<p class="error" id="error-"#;
    body.split(marker)
        .skip(1)
        .map(|rest| {
            let (field, rest) = rest.split_once(r#"">"#).unwrap();
            let message = rest.split_once("</p>").unwrap().0;
            let message = message
                .replace("&#x27;", "'")
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&#x2f;", "/")
                .replace("&amp;", "&");
            (field.to_owned(), message)
        })
        .collect()
}

/// The field errors of an API answer: field → message (API names mapped to the form's).
fn api_errors(body: &Value) -> BTreeMap<String, String> {
    body["error"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no field list in {body}"))
        .iter()
        .map(|f| {
            let field = match f["field"].as_str().unwrap() {
                "eula_accepted" => "eula_acceptance",
                "privacy_accepted" => "privacy_acceptance",
                other => other,
            };
            (field.to_owned(), f["message"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// A case: language, what changes in [`valid`] (`None` removes the field), the status, and
/// the fields refused with a phrase of one message in that language.
type Case = (
    &'static str,
    Vec<(&'static str, Option<&'static str>)>,
    StatusCode,
    Vec<&'static str>,
    (&'static str, &'static str),
);

db_test!(page_and_api_refuse_the_same_registrations_alike, |db| {
    Settings::new(db.store.clone())
        .set("captcha_enabled", "false")
        .await
        .unwrap();
    let mut cfg = config(&["phone", "card", "desk"]);
    cfg.web.rate_limits.signup_per_ip = 0;
    // Only what the chosen method needs is required beyond names, e-mail and account.
    cfg.web.signup.birth_date = false;
    cfg.web.signup.address = false;
    cfg.web.signup.city = false;
    cfg.web.signup.zip = false;
    cfg.web.signup.country = false;
    let mut first = new_user("anna");
    first.mobile = Some(mobile("+393341234567"));
    subscribers(&db).register(first).await.unwrap();
    let before = db.store.count_users().await.unwrap();

    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let cases: Vec<Case> = vec![
        (
            "en",
            vec![("mobile", None)],
            unprocessable,
            vec!["mobile"],
            (
                "mobile",
                "This verification method needs your mobile number",
            ),
        ),
        (
            "it",
            vec![("verification_method", Some("card")), ("mobile", None)],
            unprocessable,
            vec!["address", "birth_date", "city", "country", "zip"],
            ("birth_date", "Questo campo è obbligatorio."),
        ),
        (
            "es",
            vec![("verification_method", Some("fax"))],
            unprocessable,
            vec!["verification_method"],
            ("verification_method", "Elige uno de los métodos"),
        ),
        (
            "it",
            vec![("verification_method", Some("desk"))],
            unprocessable,
            vec!["verification_method"],
            ("verification_method", "Scegli uno dei metodi di verifica."),
        ),
        (
            "es",
            vec![
                ("password", Some("abcdefgh")),
                ("password_confirmation", Some("abcdefgh")),
            ],
            unprocessable,
            vec!["password"],
            (
                "password",
                "demasiado fácil de adivinar: las secuencias como abc",
            ),
        ),
        (
            "it",
            vec![
                ("username", Some("ANNA")),
                ("email", Some(" Anna@Example.ORG")),
                ("mobile", Some("334 123 4567")),
            ],
            StatusCode::CONFLICT,
            vec!["email", "mobile", "username"],
            ("mobile", "Questo numero di cellulare è già registrato."),
        ),
        (
            "en",
            vec![
                ("given_name", None),
                ("email", Some("bruno@")),
                ("username", Some("br")),
                ("eula_acceptance", None),
            ],
            unprocessable,
            vec!["email", "eula_acceptance", "given_name", "username"],
            ("username", "4 to 64 characters"),
        ),
    ];

    let mut browser = Browser::new(&db, &cfg).await;
    let csrf = browser.get("/account/signup").await.csrf();
    let state =
        owums_server::AppState::with_store(&cfg, db.store.clone(), &crate::pages::registry())
            .unwrap();
    let api = TestClient::new(owums_server::app(state).map_to_response().boxed());

    for (lang, changes, status, fields, (field, phrase)) in cases {
        let mut form = valid();
        for (k, v) in &changes {
            match v {
                Some(v) => form.insert(k, v),
                None => form.remove(k),
            };
        }
        browser.accept_language = lang.to_owned();
        let mut posted: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
        posted.extend(form.iter().map(|(k, v)| (*k, *v)));
        let page = browser.post("/account/signup", &posted).await;
        assert_eq!(page.status, status, "page, {changes:?}:\n{}", page.body);
        assert_eq!(page.lang(), lang);
        let on_page = page_errors(&page.body);

        let resp = api
            .post("/api/v1/account")
            .header(header::ACCEPT_LANGUAGE, lang)
            .content_type("application/json")
            .body(as_json(&form).to_string())
            .send()
            .await
            .0;
        assert_eq!(resp.status(), status, "API, {changes:?}");
        let body: Value =
            serde_json::from_str(&resp.into_body().into_string().await.unwrap()).unwrap();
        let in_api = api_errors(&body);
        let first = in_api.keys().next().cloned();
        assert!(
            first.is_some() && body["error"]["field"].is_string(),
            "{body}"
        );

        assert_eq!(on_page, in_api, "{lang} {changes:?}: page and API disagree");
        assert_eq!(
            in_api.keys().map(String::as_str).collect::<Vec<_>>(),
            fields,
            "{changes:?}"
        );
        assert!(
            in_api[field].contains(phrase),
            "{lang}: {phrase:?} not in {:?}",
            in_api[field]
        );
        assert_eq!(
            db.store.count_users().await.unwrap(),
            before,
            "nothing stored"
        );
    }
});

/// A self-service method that counts how often it was started.
struct Counting(Arc<AtomicUsize>);

#[owums_core::async_trait]
impl Verifier for Counting {
    fn id(&self) -> &'static str {
        "counting"
    }
    fn self_service(&self) -> bool {
        true
    }
    fn required_fields(&self) -> Vec<RegistrationField> {
        vec![RegistrationField::Mobile]
    }
    fn expiry(&self) -> Expiry {
        Expiry::Delete(Duration::from_secs(300))
    }
    async fn start(&self, _user: &dyn User, _locale: &str) -> owums_core::Result<()> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    async fn challenge(&self, user: &dyn User, _locale: &str) -> owums_core::Result<Challenge> {
        Ok(Challenge::CallNumber {
            numbers: vec!["+390212345678".to_owned()],
            from: user.mobile().map(|m| m.as_str().to_owned()),
            expires_in_seconds: 300,
            note: None,
        })
    }
}

struct CountingFactory(Arc<AtomicUsize>);

impl VerifierFactory for CountingFactory {
    fn id(&self) -> &'static str {
        "counting"
    }
    fn build(&self, _config: Value, _ctx: PluginContext) -> owums_core::Result<Arc<dyn Verifier>> {
        Ok(Arc::new(Counting(self.0.clone())))
    }
}

async fn poll(db: &TestDb) {
    let starts = Arc::new(AtomicUsize::new(0));
    let mut registry = PluginRegistry::new();
    registry.register_verifier(Box::new(CountingFactory(starts.clone())));
    let cfg = config(&["counting"]);
    let state = owums_server::AppState::with_store(&cfg, db.store.clone(), &registry).unwrap();
    let api = TestClient::new(owums_server::app(state).map_to_response().boxed());
    let body = json!({
        "username": "carla", "password": "Tulip-Harbor-93", "verification_method": "counting",
        "mobile": "+39 334 1234567", "email": "carla@example.org",
        "given_name": "Carla", "surname": "Neri", "birth_date": "1990-05-17",
        "address": "Via Roma 1", "city": "Roma", "zip": "00100", "country": "Italia",
        "eula_accepted": true, "privacy_accepted": true
    });
    let resp = api
        .post("/api/v1/account")
        .content_type("application/json")
        .body(body.to_string())
        .send()
        .await
        .0;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value =
        serde_json::from_str(&resp.into_body().into_string().await.unwrap()).unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    assert_eq!(starts.load(Ordering::SeqCst), 1, "started at registration");
    for _ in 0..12 {
        let resp = api
            .get("/api/v1/account/verification")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .await
            .0;
        assert_eq!(resp.status(), StatusCode::OK);
        let status: Value =
            serde_json::from_str(&resp.into_body().into_string().await.unwrap()).unwrap();
        assert_eq!(status["challenge"]["kind"], "call_number", "{status}");
        assert_eq!(status["challenge"]["from"], "+393341234567");
        let left = status["challenge"]["expires_in_seconds"].as_u64().unwrap();
        assert!((290..=300).contains(&left), "{left}");
    }
    assert_eq!(
        starts.load(Ordering::SeqCst),
        1,
        "polling never starts again"
    );
}

db_test!(
    polling_the_verification_status_starts_verification_once,
    |db| {
        poll(&db).await;
    }
);
