//! Sign-up: the form, every kind of bad input (nothing stored), captcha, duplicates, and a
//! sign-up that ends on the verification page.

use owums_core::Settings;
use owums_core::subscriber::WebSessions;
use poem::http::StatusCode;

use super::{Browser, CALL_NUMBER, config};
use crate::support::{TestDb, db_test};

/// A form, the field it gets wrong, and the message expected.
type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);

/// A complete, valid sign-up form for `name`.
pub(crate) fn fields<'a>(csrf: &'a str, name: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf_token", csrf),
        ("verification_method", "phone"),
        ("given_name", "Anna"),
        ("surname", "Bianchi"),
        ("birth_date", "1990-05-17"),
        ("address", "Via Roma 1"),
        ("city", "Roma"),
        ("zip", "00100"),
        ("country", "Italia"),
        ("email", "anna@example.org"),
        ("mobile", "+39 333 1234567"),
        ("username", name),
        ("password", "Fiume-Lanterna-47"),
        ("password_confirmation", "Fiume-Lanterna-47"),
        ("eula_acceptance", "1"),
        ("privacy_acceptance", "1"),
    ]
}

pub(crate) fn with<'a>(
    mut f: Vec<(&'a str, &'a str)>,
    key: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    f.retain(|(k, _)| *k != key);
    f.push((key, value));
    f
}

pub(crate) fn without<'a>(mut f: Vec<(&'a str, &'a str)>, key: &str) -> Vec<(&'a str, &'a str)> {
    f.retain(|(k, _)| *k != key);
    f
}

pub(crate) async fn no_captcha(db: &TestDb) {
    Settings::new(db.store.clone())
        .set("captcha_enabled", "false")
        .await
        .unwrap();
}

/// Signs `name` up (captcha off) and returns the logged-in browser.
pub(crate) async fn signed_up(db: &TestDb, name: &str) -> Browser {
    no_captcha(db).await;
    let mut b = Browser::new(db, &config(&["phone"])).await;
    let csrf = b.get("/account/signup").await.csrf();
    let p = b.post("/account/signup", &fields(&csrf, name)).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    b
}

db_test!(signup_creates_an_unverified_user_and_shows_the_call, |db| {
    let mut b = Browser::new(&db, &config(&["phone"])).await;
    let form = b.get("/account/signup").await;
    assert_eq!(form.status, StatusCode::OK);
    form.has(r#"name="mobile""#)
        .has(r#"name="birth_date""#)
        .has(r#"id="captcha-image""#)
        .has(r#"href="/documents/eula""#);
    assert!(b.cookie.is_none(), "no session for the form");
    // The captcha's answer stays on the server, in a session started for it.
    let img = b.get("/account/captcha.png").await;
    assert_eq!(img.headers["content-type"], "image/png");
    let anonymous = b.cookie.clone().unwrap();
    let data = WebSessions::new(db.store.clone())
        .get(&anonymous)
        .await
        .unwrap()
        .unwrap()
        .data;
    let answer = data["captcha"].as_str().unwrap().to_lowercase();
    assert_eq!(answer.len(), 5);
    let csrf = form.csrf();
    let page = b
        .post(
            "/account/signup",
            &with(fields(&csrf, "Anna.B"), "captcha", &answer),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/account/verification"));
    assert_ne!(
        b.cookie.as_deref(),
        Some(anonymous.as_str()),
        "new session id"
    );
    let user = crate::support::subscribers(&db)
        .find("anna.b")
        .await
        .unwrap();
    assert!(!user.verified && user.active && user.eula_accepted && user.privacy_accepted);
    assert_eq!(user.mobile.unwrap().as_str(), "+393331234567");
    assert_eq!(user.verification_method, "phone");
    assert_eq!(user.birth_date.unwrap().to_string(), "1990-05-17");
    let v = b.get("/account/verification").await;
    assert_eq!(v.status, StatusCode::OK);
    v.has(&format!(r#"href="tel:{CALL_NUMBER}""#))
        .has("+39 333 123 4567")
        .has(r#"src="/assets/status.js""#)
        .has(r#"<noscript><meta http-equiv="refresh""#);
    let s = b.get("/account/status.json").await;
    let json: serde_json::Value = serde_json::from_str(&s.body).unwrap();
    assert_eq!(json["is_verified"], false);
    assert_eq!(json["is_expired"], false);
    let left = json["remaining_time"].as_str().unwrap();
    assert!(left.starts_with("04:") || left == "05:00", "{left}");
    // The account page sends unverified users to the verification page.
    assert_eq!(
        b.get("/account").await.location.as_deref(),
        Some("/account/verification")
    );
    // Verified: status says so and the page moves on.
    crate::support::subscribers(&db)
        .verify(user.id)
        .await
        .unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&b.get("/account/status.json").await.body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"is_verified": true, "is_expired": false, "remaining_time": 0})
    );
    assert_eq!(
        b.get("/account/verification").await.location.as_deref(),
        Some("/account")
    );
});

db_test!(signup_bad_input_is_refused_in_the_users_language, |db| {
    let mut cfg = config(&["phone"]);
    cfg.web.rate_limits.signup_per_ip = 0;
    let mut b = Browser::new(&db, &cfg).await;
    b.accept_language = "it-IT,it;q=0.9".to_owned();
    let csrf = b.get("/account/signup").await.csrf();
    let ok = fields(&csrf, "mario");
    // No captcha fetched, so any answer is wrong.
    let p = b
        .post("/account/signup", &with(ok.clone(), "captcha", "ABCDE"))
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p.lang(), "it");
    p.has("I caratteri scritti non corrispondono all&#x27;immagine")
        .has(r#"aria-describedby="error-captcha""#)
        .has(r#"value="mario""#)
        .lacks("Fiume-Lanterna-47");
    no_captcha(&db).await;
    let cases: Vec<Case<'_>> = vec![
        (
            without(ok.clone(), "given_name"),
            "given_name",
            "Questo campo è obbligatorio.",
        ),
        (
            with(ok.clone(), "email", "anna@"),
            "email",
            "non è un indirizzo e-mail valido",
        ),
        (
            with(ok.clone(), "mobile", "333 12"),
            "mobile",
            "non è un numero di cellulare valido",
        ),
        (
            without(ok.clone(), "mobile"),
            "mobile",
            "richiede il tuo numero di cellulare",
        ),
        (
            with(ok.clone(), "birth_date", "1990-13-45"),
            "birth_date",
            "non è una data di nascita valida",
        ),
        (
            with(ok.clone(), "username", "ab"),
            "username",
            "da 4 a 64 caratteri",
        ),
        (
            with(ok.clone(), "username", "anna bianchi"),
            "username",
            "può contenere solo lettere",
        ),
        (
            with(
                with(ok.clone(), "password", "short1"),
                "password_confirmation",
                "short1",
            ),
            "password",
            "almeno 8 caratteri",
        ),
        (
            with(
                with(ok.clone(), "password", "qwerty123"),
                "password_confirmation",
                "qwerty123",
            ),
            "password",
            "troppo facile da indovinare: è una delle password più comuni",
        ),
        (
            with(ok.clone(), "password_confirmation", "segreto124"),
            "password_confirmation",
            "Le due password non coincidono.",
        ),
        (
            without(ok.clone(), "eula_acceptance"),
            "eula_acceptance",
            "accettare le condizioni",
        ),
        (
            without(ok.clone(), "privacy_acceptance"),
            "privacy_acceptance",
            "informativa sulla privacy",
        ),
        (
            with(ok.clone(), "verification_method", "desk"),
            "verification_method",
            "Scegli uno dei metodi",
        ),
    ];
    for (form, field, message) in cases {
        let p = b.post("/account/signup", &form).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        p.has(message)
            .has(&format!(r#"id="error-{field}""#))
            .has("Correggi i campi indicati");
    }
    assert_eq!(db.store.count_users().await.unwrap(), 0, "nothing stored");
    // Spanish too.
    b.accept_language = "es".to_owned();
    let p = b
        .post("/account/signup", &without(ok.clone(), "surname"))
        .await;
    assert_eq!(p.lang(), "es");
    p.has("Este campo es obligatorio.");
    assert_eq!(db.store.count_users().await.unwrap(), 0);
});

db_test!(signup_duplicate_points_to_password_recovery, |db| {
    let _first = signed_up(&db, "anna").await;
    let mut b = Browser::new(&db, &config(&["phone"])).await;
    let csrf = b.get("/account/signup").await.csrf();
    let p = b.post("/account/signup", &fields(&csrf, "ANNA")).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    p.has("you may already have an account")
        .has(r#"<a href="/account/reset">"#)
        .has("This username is already taken.")
        .has("This e-mail address is already registered.")
        .has("This mobile number is already registered.");
    assert_eq!(db.store.count_users().await.unwrap(), 1);
});

db_test!(signup_refuses_forged_oversized_and_garbled_forms, |db| {
    no_captcha(&db).await;
    let mut b = Browser::new(&db, &config(&["phone"])).await;
    b.accept_language = "es".to_owned();
    let csrf = b.get("/account/signup").await.csrf();
    let p = b
        .post(
            "/account/signup",
            &without(fields(&csrf, "anna"), "csrf_token"),
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    p.has("El formulario ha caducado.");
    let p = b
        .post(
            "/account/signup",
            &with(fields(&csrf, "anna"), "csrf_token", "0000"),
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let big = "x".repeat(20_000);
    let p = b
        .post(
            "/account/signup",
            &with(fields(&csrf, "anna"), "address", &big),
        )
        .await;
    assert_eq!(p.status, StatusCode::PAYLOAD_TOO_LARGE);
    p.has("El formulario es demasiado grande.");
    let mut body = format!("csrf_token={csrf}&username=").into_bytes();
    body.extend_from_slice(b"ann\xffa");
    let p = b.post_raw("/account/signup", body).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    p.has("caracteres que no son texto válido");
    let p = b
        .post_raw(
            "/account/signup",
            format!("csrf_token={csrf}&username=%C3").into_bytes(),
        )
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    // Without any cookie the form is refused too.
    b.clear_cookies();
    let p = b.post("/account/signup", &fields(&csrf, "anna")).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(db.store.count_users().await.unwrap(), 0);
});

db_test!(signup_without_self_service_methods_says_so, |db| {
    let mut b = Browser::new(&db, &config(&["desk"])).await;
    let p = b.get("/account/signup").await;
    p.has("no verification method is enabled")
        .lacks(r#"name="username""#);
    let mut b = Browser::new(&db, &config(&[])).await;
    b.accept_language = "it".to_owned();
    b.get("/account/signup")
        .await
        .has("nessun metodo di verifica è attivo");
});

db_test!(signup_optional_fields_follow_the_configuration, |db| {
    no_captcha(&db).await;
    let mut cfg = config(&["phone"]);
    cfg.web.signup.birth_date = false;
    cfg.web.signup.address = false;
    cfg.web.signup.zip = false;
    let mut b = Browser::new(&db, &cfg).await;
    let form = b.get("/account/signup").await;
    form.lacks(r#"name="birth_date""#)
        .lacks(r#"name="address""#)
        .lacks(r#"name="zip""#)
        .has(r#"name="city""#)
        .lacks(r#"id="captcha-image""#);
    let csrf = form.csrf();
    let f = without(
        without(without(fields(&csrf, "anna"), "birth_date"), "address"),
        "zip",
    );
    let p = b.post("/account/signup", &f).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let user = crate::support::subscribers(&db).find("anna").await.unwrap();
    assert_eq!(user.birth_date, None);
    assert_eq!(user.address, "");
});

db_test!(signup_attempts_are_rate_limited, |db| {
    let mut cfg = config(&["phone"]);
    cfg.web.rate_limits.signup_per_ip = 2;
    cfg.web.rate_limits.window_seconds = 3600;
    let mut b = Browser::new(&db, &cfg).await;
    b.accept_language = "it".to_owned();
    let csrf = b.get("/account/signup").await.csrf();
    for _ in 0..2 {
        let p = b
            .post(
                "/account/signup",
                &without(fields(&csrf, "anna"), "surname"),
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let p = b.post("/account/signup", &fields(&csrf, "anna")).await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    p.has("Troppi tentativi. Riprova tra");
    let wait: u64 = p.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((3500..=3600).contains(&wait), "{wait}");
    assert!(p.body.contains(&format!("Riprova tra {wait} s.")));
    assert_eq!(db.store.count_users().await.unwrap(), 0);
});
