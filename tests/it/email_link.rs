//! The e-mail-link example plugin (examples/custom-verifier) as a shared library, end to
//! end: the real `owums serve` loads it from plugins.toml, a subscriber signs up in
//! headless Chromium, the mail reaches a real SMTP server (aiosmtpd), the link from it is
//! opened in Chromium and verifies them; opened again it shows the translated "already
//! used" page. And `owums check-config` names a bad setting of the library plugin.

use std::path::Path;
use std::time::{Duration, Instant};

use owums_core::config::DatabaseConfig;
use owums_core::{Settings, Store};

use crate::dynamic_plugins::library;
use crate::support::browser::Browser;
use crate::support::cli::{Serving, owums, serve_command};
use crate::support::smtp::SmtpSink;

/// The public address the server puts in its links (the test swaps in its real address).
const PUBLIC: &str = "https://wifi.example.org";

/// plugins.toml loading the example library, with `valid_minutes`.
fn plugins_toml(dir: &Path, valid_minutes: i64) {
    let lib = library("owums-plugin-email-link");
    let table = format!(
        "[plugins.email_link]\nenabled = true\nlibrary = {:?}\nvalid_minutes = {valid_minutes}\n",
        lib.display().to_string()
    );
    std::fs::write(dir.join("plugins.toml"), table).unwrap();
}

#[test]
fn email_link_check_config_names_a_bad_valid_minutes() {
    let dir = tempfile::tempdir().unwrap();
    plugins_toml(dir.path(), 0);
    let r = owums(dir.path(), "sqlite://owums.db", &["check-config"], "");
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stderr.contains("plugins.email_link.valid_minutes"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("at least 1"), "{}", r.stderr);
    plugins_toml(dir.path(), 30);
    let r = owums(dir.path(), "sqlite://owums.db", &["check-config"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_link_library_verifies_a_subscriber_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let smtp = SmtpSink::start();
    let dir = tempfile::tempdir().unwrap();
    plugins_toml(dir.path(), 30);
    // The database, with the captcha off (its answer lives in the server-side session).
    let db = DatabaseConfig {
        url: format!("sqlite://{}/owums.db", dir.path().display()),
        ..DatabaseConfig::default()
    };
    let r = owums(dir.path(), "sqlite://owums.db", &["migrate"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let store = Store::connect(&db).await.unwrap();
    let settings = Settings::new(store.clone());
    settings.set("captcha_enabled", "false").await.unwrap();
    let mut cmd = serve_command(dir.path());
    cmd.env("OWUMS_DATABASE__URL", "sqlite://owums.db")
        .env("OWUMS_WEB__PUBLIC_URL", PUBLIC)
        .env("OWUMS_MAIL__ENABLED", "true")
        .env("OWUMS_MAIL__HOST", "127.0.0.1")
        .env("OWUMS_MAIL__PORT", smtp.port.to_string())
        .env("OWUMS_MAIL__FROM", "WiFi <wifi@example.net>");
    let mut server = Serving::spawn(&mut cmd);
    let base = format!("http://{}", server.http_addr());
    assert!(
        server
            .log()
            .contains("plugin library loaded plugin=email_link"),
        "{}",
        server.log()
    );

    // Sign up in Italian, choosing the e-mail link.
    browser
        .goto(&format!("{base}/account/signup?locale=it"))
        .await;
    if let Some(method) = browser.try_find("#method-email_link").await {
        method.click().await;
    }
    for (name, value) in [
        ("given_name", "Giulia"),
        ("surname", "Rossi"),
        ("address", "Via Roma 1"),
        ("city", "Roma"),
        ("zip", "00100"),
        ("country", "Italia"),
        ("email", "giulia@example.org"),
        ("username", "giulia"),
        ("password", "Tulip-Harbor-93"),
        ("password_confirmation", "Tulip-Harbor-93"),
    ] {
        if browser
            .try_find(&format!("[name=\"{name}\"]"))
            .await
            .is_some()
        {
            browser.fill(name, value).await;
        }
    }
    if let Some(birth) = browser.try_find("[name=\"birth_date\"]").await {
        let script = "arguments[0].value = '1990-04-12';";
        browser
            .exec(script, serde_json::json!([birth.as_arg()]))
            .await;
    }
    browser.find("#eula_acceptance").await.click().await;
    browser.find("#privacy_acceptance").await.click().await;
    let submit = browser.find("main form button[type=submit]").await;
    submit.click().await;
    browser.wait_for_path("/account/verification").await;
    let main = browser.find("main").await.text().await;
    assert!(main.contains("Ti abbiamo inviato un'e-mail"), "{main}");

    // The mail, in Italian, through the real SMTP server.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mail = loop {
        let got = smtp.received();
        if let Some(m) = got
            .into_iter()
            .find(|m| m.to.contains("giulia@example.org"))
        {
            break m;
        }
        assert!(Instant::now() < deadline, "no mail: {}", server.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(mail.subject, "Verifica il tuo account");
    let start = mail.body.find(PUBLIC).expect("a link in the mail");
    let end = mail.body[start..]
        .find(char::is_whitespace)
        .map_or(mail.body.len(), |e| start + e);
    let link = mail.body[start..end].replacen(PUBLIC, &base, 1);
    assert!(link.contains("/plugins/email_link/open?token="), "{link}");

    // Opened: verified, and on to the account.
    browser.goto(&link).await;
    browser.wait_for_path("/account").await;
    let user = store
        .find_user_by_username(&owums_core::Username::try_new("giulia").unwrap())
        .await
        .unwrap()
        .expect("registered");
    assert_eq!(user.status(), owums_core::UserStatus::Verified);

    // Opened again: the Italian "already used" page.
    browser.goto(&link).await;
    let text = browser.find("#email-link-message").await.text().await;
    assert!(text.contains("Questo link è già stato usato"), "{text}");
    browser.close().await;
    drop(server);
}
