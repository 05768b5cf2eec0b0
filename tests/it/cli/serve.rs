//! `owums serve`: health, signals, what it says at start and what the pages offer.

use crate::support::cli::{Serving, http_get, owums, serve_command};
use crate::support::{Backend, TestDb};

#[test]
fn serve_migrates_answers_healthz_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Serving::spawn(&mut serve_command(dir.path()));
    let addr = server.http_addr().to_string();
    let reply = http_get(&addr, "/healthz").expect("listening once it says so");
    assert_eq!(reply.0, 200, "{}", reply.1);
    assert!(reply.1.contains("\"database\":\"ok\""));
    assert!(
        dir.path().join("owums.db").exists(),
        "default database created in the working directory"
    );
    let status = server.terminate();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
    // The database is usable afterwards by the command.
    let users = owums(dir.path(), "sqlite://owums.db", &["user", "list"], "");
    assert_eq!(users.code, 0, "{}", users.stderr);
}

/// With no verification method enabled, nobody can sign up: `serve` says so at start and
/// what to enable, and the pages offer only the login.
#[test]
fn serve_on_defaults_warns_that_sign_up_is_off_and_the_pages_do_not_offer_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Serving::spawn(&mut serve_command(dir.path()));
    let addr = server.http_addr().to_string();
    let log = server.log().to_owned();
    let warning = log
        .lines()
        .find(|l| l.contains("WARN") && l.contains("self-service sign-up is off"));
    assert!(
        warning.is_some_and(|l| l.contains("plugins.toml") && l.contains("[plugins.sip]")),
        "{log}"
    );
    let (code, home) = http_get(&addr, "/").unwrap();
    assert_eq!(code, 200, "{home}");
    assert!(!home.contains("/account/signup"), "{home}");
    assert!(home.contains("ask the staff"), "{home}");
    assert!(home.contains(r#"href="/account/login""#), "{home}");
    let (_, login) = http_get(&addr, "/account/login").unwrap();
    assert!(!login.contains("/account/signup"), "{login}");
    let (_, signup) = http_get(&addr, "/account/signup").unwrap();
    assert!(signup.contains("Sign-up is not available"), "{signup}");
    assert!(server.terminate().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_503_when_the_database_goes_away() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let config = owums_core::Config::default();
    let state = owums_server::AppState::with_store(
        &config,
        db.store.clone(),
        &owums_server::plugins::registry(),
    )
    .unwrap();
    let client = poem::test::TestClient::new(owums_server::app(state));
    client.get("/healthz").send().await.assert_status_is_ok();
    drop(db); // DROP DATABASE … WITH (FORCE) closes every connection.
    client
        .get("/healthz")
        .send()
        .await
        .assert_status(poem::http::StatusCode::SERVICE_UNAVAILABLE);
}
