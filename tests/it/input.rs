//! Subscriber input: the sign-up page and the JSON API refuse the same bad values (too long
//! for their column, control characters, empty required fields, guessable passwords) with
//! field errors and store nothing; the API refuses values of the wrong JSON type naming the
//! field; the command line never prints a stored control character raw.

use owums_core::Settings;
use poem::http::{StatusCode, header};
use poem::test::TestClient;
use serde_json::{Value, json};

use crate::pages::Browser;
use crate::pages::signup::{fields, with};
use crate::support::cli::{owums, owums_ok};
use crate::support::{TestDb, db_test};

/// A password zxcvbn finds strong.
const STRONG: &str = "Tulip-Harbor-93";

/// One bad value: the field, the value, the form's field at fault.
struct Bad {
    field: &'static str,
    value: String,
}

/// Values every entry point must refuse, each with the field it belongs to.
fn bad_values() -> Vec<Bad> {
    let bad = |field, value: &str| Bad {
        field,
        value: value.to_owned(),
    };
    vec![
        bad("given_name", &"x".repeat(101)),
        bad("given_name", "   "),
        bad("surname", "Bianchi\u{1b}[2J\u{1b}[H"),
        bad("city", "Roma\u{0}"),
        bad("address", "Via Roma 1\r\nX-Injected: 1"),
        bad("zip", &"1".repeat(21)),
        bad("country", &"é".repeat(101)),
        bad("country", "Italia\u{202E}"),
        bad("username", "anna\u{7}"),
        bad("email", "anna\u{0}@example.org"),
        bad("mobile", &"3".repeat(40)),
        bad("password", "password1"),
    ]
}

/// The pages tests' configuration, with room for many sign-up attempts from one address.
fn config() -> owums_core::Config {
    let mut cfg = crate::pages::config(&["phone"]);
    cfg.web.rate_limits.signup_per_ip = 1000;
    cfg
}

async fn no_captcha(db: &TestDb) {
    Settings::new(db.store.clone())
        .set("captcha_enabled", "false")
        .await
        .unwrap();
}

/// A complete registration for the API.
fn registration(name: &str) -> Value {
    json!({
        "username": name, "password": STRONG, "verification_method": "phone",
        "mobile": "+39 333 1234567", "email": format!("{name}@example.org"),
        "given_name": "Anna", "surname": "Bianchi", "birth_date": "1990-05-17",
        "address": "Via Roma 1", "city": "Roma", "zip": "00100", "country": "Italia",
        "eula_accepted": true, "privacy_accepted": true
    })
}

/// `POST /api/v1/account` with `body` (in Italian): status and JSON answer.
async fn api_register(
    client: &TestClient<poem::endpoint::BoxEndpoint<'static, poem::Response>>,
    body: &Value,
) -> (StatusCode, Value) {
    let resp = client
        .post("/api/v1/account")
        .header(header::ACCEPT_LANGUAGE, "it")
        .content_type("application/json")
        .body(body.to_string())
        .send()
        .await
        .0;
    let status = resp.status();
    let text = resp.into_body().into_string().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The fields an API error names (`field` and every one of `fields`).
fn named_fields(body: &Value) -> Vec<String> {
    let e = &body["error"];
    let mut out: Vec<String> = e["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    out.extend(e["field"].as_str().map(str::to_owned));
    out
}

db_test!(
    input_bad_values_refused_by_page_and_api_nothing_stored,
    |db| {
        no_captcha(&db).await;
        let cfg = config();
        let mut b = Browser::new(&db, &cfg).await;
        b.accept_language = "it".to_owned();
        let csrf = b.get("/account/signup").await.csrf();
        let client = TestClient::new(crate::pages::app(&db, &cfg).await);
        for bad in bad_values() {
            // the page
            let mut form = with(fields(&csrf, "anna"), bad.field, &bad.value);
            if bad.field == "password" {
                form = with(form, "password_confirmation", &bad.value);
            }
            let p = b.post("/account/signup", &form).await;
            assert_eq!(
                p.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "page {}={:?}",
                bad.field,
                bad.value
            );
            p.has(&format!(r#"id="error-{}""#, bad.field))
                .has("Correggi i campi indicati");
            // the API
            let mut body = registration("anna");
            body[bad.field] = json!(bad.value);
            let (status, answer) = api_register(&client, &body).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "api {}={:?}: {answer}",
                bad.field,
                bad.value
            );
            assert_eq!(answer["error"]["kind"], "invalid", "{answer}");
            assert!(
                named_fields(&answer).iter().any(|f| f == bad.field),
                "{}: {answer}",
                bad.field
            );
        }
        // 60 000 characters fit in the API's body limit: refused, not a database error.
        let mut long = registration("anna");
        long["given_name"] = json!("n".repeat(60_000));
        let (status, answer) = api_register(&client, &long).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["field"], "given_name");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("al massimo 100 caratteri"),
            "{answer}"
        );
        assert_eq!(db.store.count_users().await.unwrap(), 0, "nothing stored");
        // and the same registration with good values is accepted by both
        let (status, answer) = api_register(&client, &registration("anna")).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let p = b.post("/account/signup", &fields(&csrf, "bruno")).await;
        assert_eq!(
            p.status,
            StatusCode::CONFLICT,
            "same e-mail and mobile as anna"
        );
    }
);

db_test!(input_json_types_are_strict_and_name_the_field, |db| {
    let cfg = config();
    let client = TestClient::new(crate::pages::app(&db, &cfg).await);
    let cases = [
        (
            "city",
            json!(12345),
            "Il campo city deve essere una stringa JSON.",
        ),
        (
            "username",
            json!(9_223_372_036_854_775_808_u64),
            "stringa JSON",
        ),
        ("given_name", json!(true), "stringa JSON"),
        ("password", json!(12_345_678), "stringa JSON"),
        ("birth_date", json!(19_900_517), "stringa JSON"),
        ("eula_accepted", json!("true"), "deve essere true o false"),
        ("privacy_accepted", json!(1), "deve essere true o false"),
        (
            "username",
            Value::Null,
            "Il campo username non può essere null",
        ),
    ];
    for (field, value, message) in cases {
        let mut body = registration("anna");
        body[field] = value.clone();
        let (status, answer) = api_register(&client, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}={value}: {answer}");
        assert_eq!(answer["error"]["kind"], "bad_request", "{answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains(message),
            "{answer}"
        );
    }
    assert_eq!(db.store.count_users().await.unwrap(), 0, "nothing stored");
    // the OpenAPI document states the limits
    let doc: Value = serde_json::from_str(&owums_server::api::openapi_document()).unwrap();
    let props = &doc["components"]["schemas"]["RegisterRequest"]["properties"];
    assert_eq!(props["given_name"]["maxLength"], 100, "{props}");
    assert_eq!(props["zip"]["maxLength"], 20);
    assert_eq!(props["address"]["maxLength"], 200);
    assert_eq!(props["email"]["maxLength"], 254);
    assert_eq!(props["username"]["maxLength"], 64);
    assert_eq!(props["username"]["minLength"], 4);
    assert_eq!(props["password"]["minLength"], 8);
    assert_eq!(props["password"]["format"], "password");
});

db_test!(input_profile_edits_follow_the_same_rules, |db| {
    no_captcha(&db).await;
    let cfg = config();
    let client = TestClient::new(crate::pages::app(&db, &cfg).await);
    let (status, answer) = api_register(&client, &registration("carla")).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let token = answer["token"].as_str().unwrap().to_owned();
    let before = db
        .store
        .find_user_by_username(&"carla".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let patch = async |body: Value| {
        let resp = client
            .patch("/api/v1/account")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::ACCEPT_LANGUAGE, "es")
            .content_type("application/json")
            .body(body.to_string())
            .send()
            .await
            .0;
        let status = resp.status();
        let text = resp.into_body().into_string().await.unwrap();
        (status, serde_json::from_str::<Value>(&text).unwrap())
    };
    let (status, answer) = patch(json!({"city": "Roma\u{1b}[2J", "zip": "1".repeat(21)})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(named_fields(&answer).len(), 3, "city and zip: {answer}");
    let (status, answer) = patch(json!({"city": 12345})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"]["field"], "city");
    let (status, answer) =
        patch(json!({"current_password": STRONG, "new_password": "qwerty123"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Questa password è troppo facile da indovinare"),
        "in the language the account chose: {answer}"
    );
    assert_eq!(answer["error"]["field"], "new_password");
    let after = db
        .store
        .find_user_by_username(&"carla".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, before, "nothing changed");
});

db_test!(input_cli_refuses_bad_text_and_escapes_stored_text, |db| {
    let dir = tempfile::tempdir().unwrap();
    let url = db.url.clone();
    let d = dir.path().to_owned();
    let (url2, d2) = (url.clone(), d.clone());
    tokio::task::spawn_blocking(move || {
        let refused = owums(
            &d2,
            &url2,
            &[
                "user",
                "create",
                "--username",
                "mallory",
                "--password",
                STRONG,
                "--given-name",
                "Mal\u{1b}]0;pwned\u{7}",
            ],
            "",
        );
        assert_ne!(refused.code, 0, "{}", refused.stdout);
        assert!(
            refused.stderr.contains("control characters"),
            "{}",
            refused.stderr
        );
        let long = "x".repeat(101);
        let refused = owums(
            &d2,
            &url2,
            &[
                "user",
                "create",
                "--username",
                "mallory",
                "--password",
                STRONG,
                "--surname",
                &long,
            ],
            "",
        );
        assert!(
            refused.stderr.contains("at most 100 characters"),
            "{}",
            refused.stderr
        );
        owums_ok(
            &d2,
            &url2,
            &[
                "user",
                "create",
                "--username",
                "mallory",
                "--password",
                STRONG,
            ],
        );
    })
    .await
    .unwrap();
    // A name stored before these rules existed, with an escape sequence in it.
    db.exec("UPDATE owums_users SET given_name = 'Mal\u{1b}[2J', surname = 'Bad\r\nline' WHERE username = 'mallory'")
        .await
        .unwrap();
    tokio::task::spawn_blocking(move || {
        let show = owums_ok(&d, &url, &["user", "show", "mallory"]);
        assert!(!show.contains('\u{1b}') && !show.contains('\r'), "{show:?}");
        assert!(
            show.contains("name:         Mal\\u{1b}[2J Bad\\r\\nline"),
            "{show}"
        );
    })
    .await
    .unwrap();
});

db_test!(input_guessable_passwords_refused_with_the_reason, |db| {
    no_captcha(&db).await;
    let cfg = config();
    let client = TestClient::new(crate::pages::app(&db, &cfg).await);
    let mut b = Browser::new(&db, &cfg).await;
    b.accept_language = "it".to_owned();
    let csrf = b.get("/account/signup").await.csrf();
    let cases = [
        ("password1", "è una delle password più comuni"),
        ("qwerty123", "è una delle password più comuni"),
        ("anna.bianchi", "contiene il tuo nome utente"),
    ];
    for (password, reason) in cases {
        let form = with(
            with(fields(&csrf, "anna.bianchi"), "password", password),
            "password_confirmation",
            password,
        );
        let p = b.post("/account/signup", &form).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{password}");
        p.has(r#"id="error-password""#)
            .has("Questa password è troppo facile da indovinare")
            .has(reason);
        let mut body = registration("anna.bianchi");
        body["password"] = json!(password);
        let (status, answer) = api_register(&client, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["field"], "password", "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("Questa password è troppo facile da indovinare")
                && message.contains(reason),
            "{password}: {message}"
        );
    }
    assert_eq!(db.store.count_users().await.unwrap(), 0, "nothing stored");
    let (status, answer) = api_register(&client, &registration("anna.bianchi")).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a strong password is accepted: {answer}"
    );
    // The operator's command line applies the same rules, unless told otherwise.
    let (url, dir) = (db.url.clone(), tempfile::tempdir().unwrap());
    let d = dir.path().to_owned();
    tokio::task::spawn_blocking(move || {
        let weak = owums(
            &d,
            &url,
            &[
                "user",
                "create",
                "--username",
                "deskuser",
                "--password",
                "qwerty123",
            ],
            "",
        );
        assert_ne!(weak.code, 0);
        assert!(weak.stderr.contains("too easy to guess"), "{}", weak.stderr);
        owums_ok(
            &d,
            &url,
            &[
                "user",
                "create",
                "--username",
                "deskuser",
                "--password",
                "qwerty123",
                "--weak-password-ok",
            ],
        );
        let same = owums(
            &d,
            &url,
            &["user", "passwd", "deskuser", "--password", "deskuser"],
            "",
        );
        assert!(
            same.stderr.contains("contains the username"),
            "{}",
            same.stderr
        );
        owums_ok(
            &d,
            &url,
            &["user", "passwd", "deskuser", "--password", STRONG],
        );
    })
    .await
    .unwrap();
});
