//! The server's one error map: unknown URLs, and failures of ours.

use owums_core::test_support::TestDb;
use poem::http::StatusCode;

use crate::pages::{Browser, config};
use crate::support::logs::LogCapture;
use crate::support::{Backend, db_test};

db_test!(
    unknown_urls_answer_a_translated_page_or_the_json_envelope,
    |db| {
        let mut b = Browser::new(&db, &config(&["phone"])).await;
        b.accept_language = "it".to_owned();
        let p = b.get("/no/such/page").await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);
        assert_eq!(p.lang(), "it");
        p.has("Pagina non trovata").has("/assets/style.css");
        assert!(
            p.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{:?}",
            p.headers
        );
        b.accept_language = "es".to_owned();
        let p = b.get("/account/nothing?locale=en").await;
        assert_eq!((p.status, p.lang()), (StatusCode::NOT_FOUND, "en"));
        p.has("Page not found.");
        for path in ["/api/nothing", "/api/v2/users", "/api/v1/nothing-here"] {
            let p = b.get(path).await;
            assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
            let body: serde_json::Value = serde_json::from_str(&p.body).unwrap();
            assert_eq!(body["error"]["kind"], "not_found", "{path}: {body}");
        }
        // the routes that exist still answer
        assert_eq!(b.get("/").await.status, StatusCode::OK);
        for p in [
            "/healthz",
            "/account/login",
            "/assets/style.css",
            "/api/v1/openapi.json",
        ] {
            eprintln!("{p} {}", b.get(p).await.status);
        }
        assert_eq!(b.get("/healthz").await.status, StatusCode::OK);
    }
);

#[tokio::test]
async fn an_internal_error_is_one_log_line_with_its_cause_chain() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let logs = LogCapture::default();
    let _guard = logs.install(tracing::Level::INFO);
    let mut b = Browser::new(&db, &config(&["phone"])).await;
    // the database loses a table the sign-up page needs: a failure of ours, not the user's
    db.exec("DROP TABLE owums_settings").await.unwrap();
    let p = b.get("/account/signup?locale=it").await;
    assert_eq!(p.status, StatusCode::INTERNAL_SERVER_ERROR);
    p.has("Si è verificato un errore interno");
    let text = logs.text();
    let errors: Vec<&str> = text.lines().filter(|l| l.contains("ERROR")).collect();
    assert_eq!(errors.len(), 1, "one error line:\n{text}");
    assert!(
        errors[0].contains("request failed") && errors[0].contains("owums_settings"),
        "the line names the cause: {}",
        errors[0]
    );
    assert!(
        !p.body.contains("owums_settings"),
        "the cause stays in the log"
    );
}

#[tokio::test]
async fn no_token_or_password_reaches_the_log_at_debug() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    crate::support::subscribers(&db)
        .create(crate::support::new_user("elena"), true, &[])
        .await
        .unwrap();
    let logs = LogCapture::default();
    let _guard = logs.install(tracing::Level::DEBUG);
    let mut b = Browser::new(&db, &config(&["phone"])).await;
    // a password reset by e-mail, through the link
    let csrf = b.get("/account/reset").await.csrf();
    b.post(
        "/account/reset",
        &[("csrf_token", &csrf), ("username_or_email", "elena")],
    )
    .await;
    let mail = crate::support::eventually("the reset mail", async || {
        db.store.outbox(10).await.unwrap().pop()
    })
    .await;
    let at = mail.body.find("/account/reset/").unwrap() + "/account/reset/".len();
    let token = mail.body[at..at + 64].to_owned();
    let form = b.get(&format!("/account/reset/{token}")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let csrf = form.csrf();
    let done = b
        .post(
            &format!("/account/reset/{token}"),
            &[
                ("csrf_token", &csrf),
                ("password", "Secr3t-new-pass"),
                ("password_confirmation", "Secr3t-new-pass"),
            ],
        )
        .await;
    assert!(
        done.status.is_success() || done.status.is_redirection(),
        "{}",
        done.status
    );
    // an API login, whose answer is a bearer token
    let resp = poem::test::TestClient::new(crate::pages::app(&db, &config(&["phone"])).await)
        .post("/api/v1/account/token")
        .body_json(&serde_json::json!({"username": "elena", "password": "Secr3t-new-pass"}))
        .send()
        .await;
    resp.assert_status_is_ok();
    let bearer = resp.0.into_body().into_string().await.unwrap();
    let bearer: serde_json::Value = serde_json::from_str(&bearer).unwrap();
    let bearer = bearer["token"].as_str().unwrap().to_owned();
    let text = logs.text();
    assert!(
        text.contains("/account/reset/[redacted]"),
        "the requests are logged:\n{text}"
    );
    for secret in [
        token.as_str(),
        "Secr3t-new-pass",
        bearer.as_str(),
        "Tulip-Harbor-93",
    ] {
        assert!(!text.contains(secret), "{secret} in the log:\n{text}");
    }
}

/// A `User-Name` FreeRADIUS passes on may hold a line break: wherever it is logged, it stays
/// inside its line, escaped, and starts no line of its own.
async fn a_forged_user_name_stays_on_its_log_line(db: TestDb) {
    use crate::freeradius_rest::{acct_body, auth_body, client, config, post};
    const FORGED: &str = "mallory\n2026-01-01T00:00:00.000000Z  INFO owums: fake line";
    let logs = LogCapture::default();
    let _guard = logs.install(tracing::Level::DEBUG);
    let config = config(&db);
    let cli = client(&config, &db, "127.0.0.1");
    let _ = post(&cli, "authorize", &auth_body(FORGED, "Tulip-Harbor-93")).await;
    // a control character in a NAS text field is refused (400) before anything is written
    for uid in ["forged-1", "forged-2"] {
        let (status, body) = post(&cli, "accounting", &acct_body("Start", uid, FORGED)).await;
        assert!(status.is_client_error(), "{status}: {body}");
    }
    let text = logs.text();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("fake line")).collect();
    for line in &lines {
        assert!(line.contains(r"mallory\n2026-01-01"), "escaped: {line}");
    }
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("2026-01-01T00:00:00.000000Z")),
        "a forged line:\n{text}"
    );
}

// one thread per test: the capture sees every task the request starts
#[tokio::test]
async fn a_forged_user_name_stays_on_its_log_line_sqlite() {
    if let Some(db) = TestDb::new(Backend::Sqlite).await {
        a_forged_user_name_stays_on_its_log_line(db).await;
    }
}

#[tokio::test]
async fn a_forged_user_name_stays_on_its_log_line_postgres() {
    if let Some(db) = TestDb::new(Backend::Postgres).await {
        a_forged_user_name_stays_on_its_log_line(db).await;
    }
}

#[tokio::test]
async fn a_forged_user_name_stays_on_its_log_line_mysql() {
    if let Some(db) = TestDb::new(Backend::Mysql).await {
        a_forged_user_name_stays_on_its_log_line(db).await;
    }
}
