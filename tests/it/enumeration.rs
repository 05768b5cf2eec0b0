//! Whether an account exists cannot be told from the work a request costs: every login
//! kind computes exactly one password hash, and reset requests answer alike (byte for byte)
//! while the link and its mail are made off the request path.

use owums_core::mail::Mailer;
use owums_core::{Config, Subscribers};
use poem::http::{Method, StatusCode};
use poem::test::TestClient;
use poem::{EndpointExt, Response};
use serde_json::json;

use crate::pages::{Browser, config};
use crate::support::smtp::{SmtpSink, mail_config};
use crate::support::{Backend, TestDb, eventually, new_user, subscribers};

type Client = TestClient<poem::endpoint::BoxEndpoint<'static, Response>>;

/// The API of a server over `db`, and its subscriber services (whose counters it shares).
fn api(db: &TestDb, cfg: &Config) -> (Client, Subscribers) {
    let state =
        owums_server::AppState::with_store(cfg, db.store.clone(), &crate::pages::registry())
            .expect("state");
    let services = state.subscribers.clone();
    let app = owums_server::app(state).map_to_response().boxed();
    (TestClient::new(app), services)
}

/// Status and body of a JSON `POST`.
async fn post(client: &Client, path: &str, body: serde_json::Value) -> (StatusCode, Vec<u8>) {
    let resp = client
        .request(Method::POST, path)
        .content_type("application/json")
        .body(body.to_string())
        .send()
        .await
        .0;
    let status = resp.status();
    (status, resp.into_body().into_vec().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_login_costs_one_password_check() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let s = subscribers(&db);
    s.create(new_user("anna"), true, &[]).await.unwrap();
    let carlo = s.create(new_user("carlo"), true, &[]).await.unwrap();
    s.deactivate(carlo.id).await.unwrap();
    let (client, services) = api(&db, &config(&["phone"]));
    let mut answers = Vec::new();
    for (who, password) in [
        ("nessuno", "Tulip-Harbor-93"),     // no such account
        ("carlo", "Tulip-Harbor-93"),       // switched off, right password
        ("anna", "Wrong-Guess-111"),        // wrong password
        ("not a name!", "Wrong-Guess-111"), // not even a username
    ] {
        let before = services.password_checks();
        let body = json!({"username": who, "password": password});
        let answer = post(&client, "/api/v1/account/token", body).await;
        assert_eq!(
            services.password_checks() - before,
            1,
            "{who}: one argon2 verification"
        );
        assert_eq!(answer.0, StatusCode::UNAUTHORIZED, "{who}");
        answers.push(answer);
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "alike: {answers:?}"
    );
    let before = services.password_checks();
    let body = json!({"username": "anna", "password": "Tulip-Harbor-93"});
    assert_eq!(
        post(&client, "/api/v1/account/token", body).await.0,
        StatusCode::OK
    );
    assert_eq!(services.password_checks() - before, 1);

    // the same password again within the cache's lifetime: no second hash
    let before = services.password_checks();
    let body = json!({"username": "anna", "password": "Tulip-Harbor-93"});
    assert_eq!(
        post(&client, "/api/v1/account/token", body.clone()).await.0,
        StatusCode::OK
    );
    assert_eq!(
        services.password_checks() - before,
        0,
        "answered from the cache"
    );
    // switched off, the remembered password costs its hash again and gets the same error
    let anna = s.find("anna").await.unwrap();
    s.deactivate(anna.id).await.unwrap();
    let before = services.password_checks();
    let answer = post(&client, "/api/v1/account/token", body).await;
    assert_eq!(
        services.password_checks() - before,
        1,
        "switched off: hashed"
    );
    assert_eq!(answer, answers[0], "the same answer as any failed login");
}

/// `body` with every CSRF token's value blanked.
fn without_csrf(body: &str) -> String {
    let marker = r#"name="csrf_token" value=""#;
    let mut out = String::new();
    let mut rest = body;
    while let Some(i) = rest.find(marker) {
        out.push_str(&rest[..i + marker.len()]);
        rest = &rest[i + marker.len()..];
        rest = &rest[rest.find('"').unwrap_or(0)..];
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_requests_answer_alike_and_the_mail_still_comes() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    subscribers(&db)
        .create(new_user("elena"), true, &[])
        .await
        .unwrap();
    let smtp = SmtpSink::start();
    let mut cfg = config(&["phone"]);
    cfg.mail = mail_config(smtp.port);

    // The page, from two browsers: one names the account, one names nobody.
    let mut pages = Vec::new();
    for who in ["ELENA", "nessuno@example.org"] {
        let mut b = Browser::new(&db, &cfg).await;
        let csrf = b.get("/account/reset").await.csrf();
        let p = b
            .post(
                "/account/reset",
                &[("csrf_token", &csrf), ("username_or_email", who)],
            )
            .await;
        pages.push((p.status, without_csrf(&p.body)));
    }
    assert_eq!(pages[0].0, StatusCode::OK);
    assert_eq!(pages[0], pages[1], "the page answers alike");

    // The API: byte for byte.
    let (client, _) = api(&db, &cfg);
    let path = "/api/v1/account/password/reset";
    let known = post(
        &client,
        path,
        json!({"username_or_email": "elena@example.org"}),
    )
    .await;
    let unknown = post(&client, path, json!({"username_or_email": "nobody"})).await;
    assert_eq!(known.0, StatusCode::ACCEPTED);
    assert_eq!(known, unknown, "the API answers alike");

    // Both links for the real account arrive by mail all the same.
    let mailer = Mailer::new(db.store.clone(), &cfg.mail).unwrap();
    let mails = eventually("two reset mails", async || {
        mailer.deliver_due(10).await.unwrap();
        let got: Vec<_> = smtp
            .received()
            .into_iter()
            .filter(|m| m.body.contains("/account/reset/"))
            .collect();
        (got.len() >= 2).then_some(got)
    })
    .await;
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|m| m.rcpt_tos == ["elena@example.org"]));
}
