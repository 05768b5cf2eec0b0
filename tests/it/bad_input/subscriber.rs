//! The subscriber JSON API (`/api/v1/account…`) against what a careless app or an attacker
//! could post: control characters, text longer than its column, wrong JSON types (numbers,
//! booleans, arrays, objects and `null` where text is expected), bodies that are not JSON or
//! not UTF-8, unknown fields, weak passwords, taken names, out-of-range pages and a wrong
//! content type. Every answer is a 4xx with the error envelope and nothing is stored.

use poem::http::{Method, StatusCode};
use poem::test::TestClient;
use poem::{EndpointExt, Response};
use serde_json::{Value, json};

use super::{Case, Harness, count_rows, json_refusal, run_corpus, text_type};
use crate::support::{Backend, TestDb, db_test};

const STRONG: &str = "Tulip-Harbor-93";

type App = poem::endpoint::BoxEndpoint<'static, Response>;

/// The API on `db` with the pages tests' `phone` method and limits high enough that the
/// corpus reaches validation instead of a 429.
fn client(db: &TestDb) -> TestClient<App> {
    let mut config = crate::pages::config(&["phone"]);
    let limits = &mut config.web.rate_limits;
    limits.signup_per_ip = 100_000;
    limits.login_per_ip = 100_000;
    limits.login_per_account = 100_000;
    limits.reset_per_ip = 100_000;
    limits.reset_per_account = 100_000;
    let registry = crate::pages::registry();
    let state = owums_server::AppState::with_store(&config, db.store.clone(), &registry).unwrap();
    TestClient::new(owums_server::app(state).map_to_response().boxed())
}

/// A registration the API accepts.
fn registration(name: &str, mobile: &str) -> Value {
    json!({
        "username": name, "password": STRONG, "verification_method": "phone",
        "mobile": mobile, "email": format!("{name}@example.org"),
        "given_name": "Anna", "surname": "Bianchi", "birth_date": "1990-05-17",
        "address": "Via Roma 1", "city": "Roma", "zip": "00100", "country": "Italia",
        "eula_accepted": true, "privacy_accepted": true
    })
}

/// Text no field may hold, whatever its width.
fn bad_text() -> Vec<(&'static str, Value)> {
    vec![
        ("NUL", json!("a\u{0}b")),
        ("a line break", json!("a\r\nX-Injected: 1")),
        ("ESC", json!("\u{1b}[2J\u{1b}[Hx")),
        ("BEL", json!("anna\u{7}")),
        ("DEL", json!("a\u{7f}")),
        ("a C1 control", json!("a\u{85}b")),
        ("60 000 characters", json!("x".repeat(60_000))),
    ]
}

/// JSON values of the wrong type for a text field.
fn wrong_types() -> Vec<(&'static str, Value)> {
    vec![
        ("a number", json!(12345)),
        ("2**63", json!(9_223_372_036_854_775_808_u64)),
        ("a fraction", json!(1.5)),
        ("a boolean", json!(false)),
        ("an array", json!(["a"])),
        ("an object", json!({"a": "b"})),
    ]
}

fn post(label: String, path: &str, body: &Value) -> Case {
    Case::post_json(label, path, body.to_string())
}

/// `base` with `field` set to each bad value (and, for text fields, each wrong type).
fn variants(path: &str, base: &Value, field: &str, values: &[(&str, Value)]) -> Vec<Case> {
    values
        .iter()
        .map(|(what, v)| {
            let mut body = base.clone();
            body[field] = v.clone();
            post(format!("{path} {field}: {what}"), path, &body)
        })
        .collect()
}

/// Bodies that are not a JSON object of the right shape, posted to `path`.
fn garbage(path: &str) -> Vec<Case> {
    let raw = |what: &str, body: &[u8]| Case::post_json(format!("{path}: {what}"), path, body);
    let mut cases = vec![
        raw("an empty body", b""),
        raw("not JSON", b"username=anna&password=x"),
        raw("truncated JSON", b"{\"username\": \"an"),
        raw("invalid UTF-8", b"{\"username\": \"\xff\xfe\"}"),
        raw("a JSON array", b"[]"),
        raw("a JSON string", b"\"anna\""),
        raw("null", b"null"),
        raw(
            "deep nesting",
            &[b"[".repeat(10_000), b"]".repeat(10_000)].concat(),
        ),
    ];
    let mut text = Case::post_json(format!("{path}: text/plain"), path, "{}");
    text.content_type = "text/plain";
    cases.push(text);
    let mut form = Case::post_json(format!("{path}: a form"), path, "a=b");
    form.content_type = "application/x-www-form-urlencoded";
    cases.push(form);
    cases
}

/// Sign-up: every text field bad in every way, wrong types, missing and null required
/// fields, unknown fields, weak passwords, taken names, refusals of the terms.
fn register_cases() -> Vec<Case> {
    let path = "/api/v1/account";
    let base = registration("nina", "+39 335 7654321");
    let mut cases = garbage(path);
    let texts = [
        ("username", 64),
        ("email", 254),
        ("mobile", 16),
        ("given_name", 100),
        ("surname", 100),
        ("address", 200),
        ("city", 100),
        ("zip", 20),
        ("country", 100),
    ];
    for (field, width) in texts {
        cases.extend(variants(path, &base, field, &bad_text()));
        cases.extend(variants(path, &base, field, &wrong_types()));
        let over = json!("é".repeat(width + 1));
        cases.extend(variants(path, &base, field, &[("one too many", over)]));
    }
    for field in ["username", "password", "verification_method"] {
        let mut missing = base.clone();
        missing.as_object_mut().unwrap().remove(field);
        cases.push(post(format!("{path} {field}: missing"), path, &missing));
        cases.extend(variants(
            path,
            &base,
            field,
            &[
                ("null", Value::Null),
                ("empty", json!("")),
                ("blank", json!("   ")),
            ],
        ));
    }
    cases.extend(variants(path, &base, "password", &wrong_types()));
    cases.extend(variants(
        path,
        &base,
        "password",
        &[
            ("password1", json!("password1")),
            ("qwerty123", json!("qwerty123")),
            ("the username", json!("nina")),
            ("NUL", json!("Tulip-Harbor\u{0}93")),
        ],
    ));
    cases.extend(variants(
        path,
        &base,
        "verification_method",
        &[("unknown", json!("carrier-pigeon")), ("a number", json!(1))],
    ));
    cases.extend(variants(
        path,
        &base,
        "birth_date",
        &[
            ("not a date", json!("yesterday")),
            ("31 February", json!("1990-02-31")),
            ("a number", json!(19900517)),
            ("year 99999", json!("99999-01-01")),
        ],
    ));
    for flag in ["eula_accepted", "privacy_accepted"] {
        cases.extend(variants(
            path,
            &base,
            flag,
            &[
                ("false", json!(false)),
                ("a string", json!("true")),
                ("a number", json!(1)),
            ],
        ));
    }
    cases.extend(variants(
        path,
        &base,
        "is_admin",
        &[("unknown field", json!(true))],
    ));
    // the account the corpus starts with, in other cases
    cases.extend(variants(
        path,
        &base,
        "username",
        &[
            ("taken", json!("vera")),
            ("taken, other case", json!("VERA")),
        ],
    ));
    cases.extend(variants(
        path,
        &base,
        "email",
        &[("taken, other case", json!("Vera@Example.org"))],
    ));
    cases.extend(variants(
        path,
        &base,
        "mobile",
        &[("taken, other spelling", json!("+393341234567"))],
    ));
    cases
}

/// Login, password reset and its confirmation.
fn auth_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let login = "/api/v1/account/token";
    let base = json!({"username": "vera", "password": STRONG});
    cases.extend(garbage(login));
    for field in ["username", "password"] {
        cases.extend(variants(login, &base, field, &bad_text()));
        cases.extend(variants(login, &base, field, &wrong_types()));
        cases.extend(variants(login, &base, field, &[("null", Value::Null)]));
    }
    cases.extend(variants(
        login,
        &base,
        "password",
        &[("wrong", json!("Wrong-Harbor-11"))],
    ));
    cases.extend(variants(
        login,
        &base,
        "otp",
        &[("unknown field", json!("1"))],
    ));

    let reset = "/api/v1/account/password/reset";
    let base = json!({"username_or_email": "vera"});
    cases.extend(garbage(reset));
    cases.extend(variants(reset, &base, "username_or_email", &bad_text()));
    cases.extend(variants(reset, &base, "username_or_email", &wrong_types()));
    cases.extend(variants(
        reset,
        &base,
        "username_or_email",
        &[("null", Value::Null)],
    ));

    let confirm = "/api/v1/account/password/reset/confirm";
    let base = json!({"token": "x".repeat(43), "new_password": "Quiet-Meadow-58"});
    cases.extend(garbage(confirm));
    cases.extend(variants(confirm, &base, "token", &bad_text()));
    cases.extend(variants(confirm, &base, "token", &wrong_types()));
    cases.extend(variants(
        confirm,
        &base,
        "token",
        &[("unknown", json!("no-such-token"))],
    ));
    cases.extend(variants(confirm, &base, "new_password", &wrong_types()));
    cases.extend(variants(
        confirm,
        &base,
        "new_password",
        &[("weak", json!("qwerty123"))],
    ));
    cases
}

/// What a logged-in subscriber (bearer `token`) could send: profile changes and pages of
/// the session list.
fn account_cases(token: &str) -> Vec<Case> {
    let bearer = |case: Case| case.header("authorization", format!("Bearer {token}"));
    let path = "/api/v1/account";
    let base = json!({"city": "Milano"});
    let mut cases = garbage(path);
    for (field, width) in [
        ("email", 254),
        ("address", 200),
        ("city", 100),
        ("zip", 20),
        ("country", 100),
    ] {
        cases.extend(variants(path, &base, field, &bad_text()));
        cases.extend(variants(path, &base, field, &wrong_types()));
        let over = json!("é".repeat(width + 1));
        cases.extend(variants(path, &base, field, &[("one too many", over)]));
    }
    for field in ["username", "given_name", "verification_method", "verified"] {
        cases.extend(variants(path, &base, field, &[("read-only", json!("x"))]));
    }
    cases.extend(variants(
        path,
        &base,
        "new_password",
        &[("without the current one", json!("Quiet-Meadow-58"))],
    ));
    let mut weak = base.clone();
    weak["current_password"] = json!(STRONG);
    cases.extend(variants(
        path,
        &weak,
        "new_password",
        &[("weak", json!("vera1234"))],
    ));
    let mut renew = base.clone();
    renew["new_password"] = json!("Quiet-Meadow-58");
    cases.extend(variants(
        path,
        &renew,
        "current_password",
        &[
            ("wrong, with a new one", json!("Wrong-Harbor-11")),
            ("a number, with a new one", json!(1234)),
        ],
    ));
    cases.extend(variants(
        path,
        &base,
        "email",
        &[("taken", json!("nora@example.org"))],
    ));
    let mut cases: Vec<Case> = cases
        .into_iter()
        .map(|mut c| {
            c.method = Method::PATCH;
            bearer(c)
        })
        .collect();
    for query in [
        "page=0",
        "page=-1",
        "page=abc",
        "page=99999999999999999999",
        "per_page=0",
        "per_page=-5",
        "per_page=101",
        "per_page=1e3",
        "sort=password",
        "order=sideways",
    ] {
        let path = format!("/api/v1/account/sessions?{query}");
        let mut case = Case::post_json(format!("GET {path}"), &path, "");
        case.method = Method::GET;
        cases.push(bearer(case));
    }
    // without a valid token, nothing of the account is reachable
    for (what, auth) in [
        ("no token", None),
        (
            "a forged token",
            Some("Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        ),
        ("a token with NUL", Some("Bearer a%00b")),
        ("Basic", Some("Basic dmVyYTpUdWxpcA==")),
    ] {
        let mut case = Case::post_json(format!("PATCH {path}: {what}"), path, base.to_string());
        case.method = Method::PATCH;
        if let Some(a) = auth {
            case = case.header("authorization", a);
        }
        cases.push(case);
    }
    cases
}

/// What the corpus must leave as it was: row counts of every table a subscriber request
/// can write, and the stored account itself.
fn watched(backend: Backend) -> Vec<String> {
    let t = text_type(backend);
    let mut q: Vec<String> = [
        "owums_users",
        "owums_sessions",
        "owums_password_resets",
        "owums_mail_outbox",
        "owums_plugin_state",
        "owums_user_groups",
    ]
    .iter()
    .map(|table| count_rows(backend, table))
    .collect();
    q.push(format!(
        "SELECT CONCAT(username, '|', COALESCE(email, '-'), '|', COALESCE(mobile, '-'), '|', \
         given_name, '|', surname, '|', address, '|', city, '|', zip, '|', country, '|', \
         COALESCE(CAST(birth_date AS {t}), '-'), '|', locale, '|', password_hash, '|', \
         CAST(updated_at AS {t})) AS v FROM owums_users ORDER BY 1"
    ));
    q
}

/// Registers `name` through the API; its bearer token.
async fn register(h: &Harness<App>, name: &str, mobile: &str) -> String {
    let case = post(
        format!("register {name}"),
        "/api/v1/account",
        &registration(name, mobile),
    );
    let (status, body) = h.send(&case).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v["token"].as_str().unwrap().to_owned()
}

db_test!(subscriber_bad_input_is_refused_and_changes_nothing, |db| {
    let h = Harness::new(client(&db), db);
    let token = register(&h, "vera", "+39 334 1234567").await;
    register(&h, "nora", "+39 336 1112223").await;

    let watched = watched(h.db.backend());
    let mut total = crate::bad_input::Tally::default();
    for (corpus, cases) in [
        ("api sign-up", register_cases()),
        ("api login and reset", auth_cases()),
        ("api account", account_cases(&token)),
    ] {
        let tally = run_corpus(&h, corpus, &cases, &watched, json_refusal).await;
        assert_eq!(tally.count("5xx"), 0);
        total.merge(&tally);
    }
    eprintln!(
        "bad input corpus [subscriber api, all endpoints] on {:?}: {}",
        h.db.backend(),
        total.line()
    );

    // the bases themselves are good: the refusals came from the bad values
    let (status, body) = h
        .send(&post(
            "a good sign-up".into(),
            "/api/v1/account",
            &registration("nina", "+39 335 7654321"),
        ))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut change = Case::post_json("a good change", "/api/v1/account", r#"{"city": "Milano"}"#)
        .header("authorization", format!("Bearer {token}"));
    change.method = Method::PATCH;
    let (status, body) = h.send(&change).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Milano"), "{body}");
    let login = json!({"username": "vera", "password": STRONG});
    let (status, body) = h
        .send(&post(
            "a good login".into(),
            "/api/v1/account/token",
            &login,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
});
