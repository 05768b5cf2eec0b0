//! `owums serve` delivers the outbox: a verification made with the command reaches a real
//! SMTP server through the running server's delivery loop.

use std::time::{Duration, Instant};

use owums_core::Store;
use owums_core::config::DatabaseConfig;
use owums_core::storage::MailState;

use crate::support::cli::{Serving, owums, serve_command};
use crate::support::smtp::SmtpSink;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_delivers_the_new_account_mail() {
    let dir = tempfile::tempdir().unwrap();
    let url = "sqlite://owums.db";
    assert_eq!(owums(dir.path(), url, &["migrate"], "").code, 0);
    let created = owums(
        dir.path(),
        url,
        &[
            "user",
            "create",
            "--username",
            "zoe1",
            "--password",
            "-",
            "--email",
            "zoe@example.org",
        ],
        "Tulip-Harbor-93\n",
    );
    assert_eq!(created.code, 0, "{}", created.stderr);
    let verified = owums(dir.path(), url, &["user", "verify", "zoe1"], "");
    assert_eq!(verified.code, 0, "{}", verified.stderr);

    let smtp = SmtpSink::start();
    let port = smtp.port.to_string();
    let serving = Serving::spawn(
        serve_command(dir.path())
            .env("OWUMS_DATABASE__URL", url)
            .env("OWUMS_MAIL__ENABLED", "true")
            .env("OWUMS_MAIL__HOST", "127.0.0.1")
            .env("OWUMS_MAIL__PORT", &port)
            .env("OWUMS_MAIL__FROM", "wifi@example.net")
            .env("OWUMS_MAIL__POLL_SECONDS", "1"),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let got = loop {
        let got = smtp.received();
        if !got.is_empty() || Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let status = serving.terminate();
    assert_eq!(got.len(), 1, "one mail delivered by serve");
    assert_eq!(got[0].rcpt_tos, ["zoe@example.org"]);
    assert_eq!(got[0].mail_from, "wifi@example.net");
    assert_eq!(got[0].subject, "Your new wifi account");
    assert!(got[0].body.contains("\"zoe1\""), "{}", got[0].body);
    assert!(status.success(), "clean exit: {status}");

    let db = dir.path().join("owums.db");
    let store = Store::connect(&DatabaseConfig {
        url: format!("sqlite://{}", db.display()),
        ..DatabaseConfig::default()
    })
    .await
    .unwrap();
    let outbox = store.outbox(10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].state(), MailState::Sent);
}
