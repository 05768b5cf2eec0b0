//! Subscriber e-mail through a real SMTP server on loopback (aiosmtpd): the new-account
//! mail and the reset mail in English and Italian, the outbox when SMTP is down, retries,
//! giving up, and one delivery per mail with two mailers. Password reset: `mail/reset.rs`.

mod reset;
mod serve;

use chrono::{Duration, Timelike, Utc};
use owums_core::mail::Mailer;
use owums_core::storage::MailState;
use owums_core::{Settings, Subscribers};

use crate::support::smtp::{ClosedPort, SmtpSink, mail_config};
use crate::support::{db_test, new_user, subscribers};

/// Registers `name` (locale `locale`) and verifies them.
async fn verified(s: &Subscribers, name: &str, locale: &str) -> owums_core::UserRecord {
    let mut new = new_user(name);
    locale.clone_into(&mut new.locale);
    let user = s.register(new).await.unwrap();
    s.verify(user.id).await.unwrap()
}

/// The reset link in a mail body, and its token.
pub(crate) fn reset_link(body: &str) -> (String, String) {
    let start = body.find("http").expect("a link in the mail");
    let link: String = body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let token = link
        .rsplit('/')
        .next()
        .expect("token at the end")
        .to_owned();
    (link, token)
}

db_test!(
    new_account_mail_reaches_the_smtp_server_in_english_and_italian,
    |db| {
        let smtp = SmtpSink::start();
        let s = subscribers(&db);
        Settings::new(db.store.clone())
            .set("notifier_base_url", "https://wifi.example.net/")
            .await
            .unwrap();
        let anna = verified(&s, "anna", "en").await;
        let bruno = verified(&s, "bruno", "it-IT").await;
        // Verifying again, or disabling and re-verifying, sends nothing more.
        s.verify(anna.id).await.unwrap();
        s.disable(bruno.id).await.unwrap();
        s.verify(bruno.id).await.unwrap();
        // Operator-created users and users without e-mail get no mail either.
        let mut carla = new_user("carla");
        carla.email = None;
        let carla = s.register(carla).await.unwrap();
        s.verify(carla.id).await.unwrap();
        s.create(new_user("dario"), true, &[]).await.unwrap();
        assert_eq!(db.store.outbox(10).await.unwrap().len(), 2);

        let mailer = Mailer::new(db.store.clone(), &mail_config(smtp.port)).unwrap();
        let report = mailer.deliver_due(10).await.unwrap();
        assert_eq!((report.sent, report.retrying, report.failed), (2, 0, 0));
        let mut got = smtp.received();
        got.sort_by(|a, b| a.to.cmp(&b.to));
        assert_eq!(got.len(), 2, "{got:?}");

        let en = &got[0];
        assert_eq!(en.rcpt_tos, ["anna@example.org"]);
        assert_eq!(en.mail_from, "wifi@example.net");
        assert!(en.from.contains("wifi@example.net"), "{}", en.from);
        assert_eq!(en.subject, "Your new wifi account");
        assert_eq!(en.content_type, "text/plain");
        assert!(en.body.starts_with("Hi Alice Rossi,\n"), "{}", en.body);
        assert!(en.body.contains("username \"anna\""), "{}", en.body);
        assert!(en.body.contains("https://wifi.example.net/account\n"));
        assert!(en.body.contains("https://wifi.example.net/account/reset\n"));

        let it = &got[1];
        assert_eq!(it.rcpt_tos, ["bruno@example.org"]);
        assert_eq!(it.subject, "Il tuo nuovo account wifi");
        assert!(it.body.starts_with("Ciao Alice Rossi,\n"), "{}", it.body);
        assert!(
            it.body.contains("è stato creato e verificato"),
            "{}",
            it.body
        );
        assert!(it.body.contains("nome utente \"bruno\""), "{}", it.body);

        // Everything is marked sent; a second run has nothing to do.
        for m in db.store.outbox(10).await.unwrap() {
            assert_eq!(m.state(), MailState::Sent);
            assert_eq!(m.attempts, 1);
        }
        assert_eq!(mailer.deliver_due(10).await.unwrap().attempted(), 0);
        assert_eq!(smtp.received().len(), 2);
    }
);

db_test!(operator_texts_and_the_notification_switch_apply, |db| {
    let s = subscribers(&db);
    let settings = Settings::new(db.store.clone());
    settings
        .set("new_account_email_subject_en", "Welcome {username}")
        .await
        .unwrap();
    settings
        .set(
            "new_account_email_body_en",
            "{first_name} {last_name} -> {account_url} {unknown}",
        )
        .await
        .unwrap();
    settings
        .set("notifier_base_url", "portal.example.net")
        .await
        .unwrap();
    verified(&s, "elena", "en").await;
    let mail = &db.store.outbox(10).await.unwrap()[0];
    assert_eq!(mail.subject, "Welcome elena");
    assert_eq!(
        mail.body,
        "Alice Rossi -> https://portal.example.net/account {unknown}"
    );
    settings
        .set("send_email_notification_to_users", "false")
        .await
        .unwrap();
    verified(&s, "fabio", "en").await;
    assert_eq!(db.store.outbox(10).await.unwrap().len(), 1);
});

db_test!(
    smtp_down_keeps_the_mail_and_delivers_it_once_when_back,
    |db| {
        let closed = ClosedPort::new();
        let port = closed.port;
        let s = subscribers(&db);
        // Registration and verification succeed with nothing listening on the SMTP port.
        let user = verified(&s, "gino", "en").await;
        assert!(user.verified);
        let mailer = Mailer::new(db.store.clone(), &mail_config(port)).unwrap();
        let other = Mailer::new(db.store.clone(), &mail_config(port)).unwrap();
        let t0 = Utc::now();
        let report = mailer.deliver_due_at(t0, 10).await.unwrap();
        assert_eq!((report.sent, report.retrying), (0, 1));
        let mail = db.store.outbox(10).await.unwrap().remove(0);
        assert_eq!(mail.state(), MailState::Pending);
        assert_eq!(mail.attempts, 1);
        let error = mail.last_error.clone().unwrap();
        assert!(error.contains(&format!("127.0.0.1:{port}")), "{error}");
        assert!(
            mail.next_attempt_at >= t0 + Duration::seconds(59),
            "retried after the backoff"
        );

        let smtp = closed.start_smtp();
        // Not due yet: nothing is sent before the backoff has passed.
        assert_eq!(mailer.deliver_due_at(t0, 10).await.unwrap().attempted(), 0);
        // Two mailers (two `owums serve` processes) run at once: one of them sends it.
        let later = t0 + Duration::seconds(61);
        let (a, b) = tokio::join!(
            mailer.deliver_due_at(later, 10),
            other.deliver_due_at(later, 10)
        );
        assert_eq!(a.unwrap().sent + b.unwrap().sent, 1);
        assert_eq!(
            mailer
                .deliver_due_at(later + Duration::hours(1), 10)
                .await
                .unwrap()
                .attempted(),
            0
        );
        let got = smtp.received();
        assert_eq!(got.len(), 1, "delivered exactly once: {got:?}");
        assert_eq!(got[0].rcpt_tos, ["gino@example.org"]);
        assert_eq!(got[0].message_id, format!("<{}@example.net>", mail.id));
        let mail = db.store.find_mail(&mail.id).await.unwrap().unwrap();
        assert_eq!(mail.state(), MailState::Sent);
        assert_eq!(mail.attempts, 2);
        assert!(
            mail.last_error.is_some(),
            "the earlier failure stays on record"
        );
    }
);

db_test!(a_mail_is_given_up_after_max_attempts_and_kept, |db| {
    let s = subscribers(&db);
    verified(&s, "ugo1", "en").await;
    let closed = ClosedPort::new();
    let mut config = mail_config(closed.port);
    config.max_attempts = 3;
    let mailer = Mailer::new(db.store.clone(), &config).unwrap();
    let mut now = Utc::now().with_nanosecond(0).unwrap();
    let mut waits = Vec::new();
    for _ in 0..3 {
        let report = mailer.deliver_due_at(now, 10).await.unwrap();
        assert_eq!(report.attempted(), 1);
        let mail = db.store.outbox(1).await.unwrap().remove(0);
        waits.push((mail.next_attempt_at - now).num_seconds());
        now = mail.next_attempt_at.max(now);
    }
    // 60 s, then 120 s, then given up.
    assert_eq!(&waits[..2], &[60, 120]);
    let mail = db.store.outbox(1).await.unwrap().remove(0);
    assert_eq!(mail.state(), MailState::Failed);
    assert_eq!(mail.attempts, 3);
    assert!(mail.failed_at.is_some() && mail.last_error.is_some());
    let report = mailer
        .deliver_due_at(now + Duration::days(1), 10)
        .await
        .unwrap();
    assert_eq!(report.attempted(), 0, "a failed mail is not tried again");
});

db_test!(reset_mail_in_two_languages_carries_a_working_link, |db| {
    let smtp = SmtpSink::start();
    let s = subscribers(&db);
    Settings::new(db.store.clone())
        .set("notifier_base_url", "https://wifi.example.net")
        .await
        .unwrap();
    let mut it_user = new_user("irene");
    "it".clone_into(&mut it_user.locale);
    let irene = s.register(it_user).await.unwrap();
    let mut en_user = new_user("james");
    "en".clone_into(&mut en_user.locale);
    let james = s.register(en_user).await.unwrap();
    // By username in the user's own language; by e-mail from an English page.
    s.request_password_reset("Irene", None).await.unwrap();
    s.request_password_reset("JAMES@example.org", Some("en"))
        .await
        .unwrap();
    let mailer = Mailer::new(db.store.clone(), &mail_config(smtp.port)).unwrap();
    assert_eq!(mailer.deliver_due(10).await.unwrap().sent, 2);
    let mut got = smtp.received();
    got.sort_by(|a, b| a.to.cmp(&b.to));
    assert_eq!(got.len(), 2);

    let it = &got[0];
    assert_eq!(it.rcpt_tos, ["irene@example.org"]);
    assert_eq!(it.subject, "Reimposta la password del wifi");
    assert!(it.body.contains("account wifi \"irene\""), "{}", it.body);
    assert!(it.body.contains("entro 10 minuti"), "{}", it.body);
    let en = &got[1];
    assert_eq!(en.rcpt_tos, ["james@example.org"]);
    assert_eq!(en.subject, "Reset your wifi password");
    assert!(en.body.contains("within 10 minutes"), "{}", en.body);

    for (mail, user, new_password) in [(it, &irene, "nuova-pass1"), (en, &james, "new-pass22")] {
        let (link, token) = reset_link(&mail.body);
        assert_eq!(
            link,
            format!("https://wifi.example.net/account/reset/{token}")
        );
        assert_eq!(token.len(), 64);
        assert_eq!(s.check_reset_token(&token).await.unwrap(), user.id);
        assert_eq!(
            s.reset_password(&token, new_password).await.unwrap(),
            user.id
        );
        let name = user.username.as_str();
        s.authenticate(name, new_password).await.unwrap();
        assert!(s.authenticate(name, "Tulip-Harbor-93").await.is_err());
    }
});

db_test!(old_mail_and_old_reset_links_are_purged, |db| {
    let smtp = SmtpSink::start();
    let s = subscribers(&db);
    verified(&s, "vera", "en").await;
    let mailer = Mailer::new(db.store.clone(), &mail_config(smtp.port)).unwrap();
    assert_eq!(mailer.deliver_due(10).await.unwrap().sent, 1);
    s.request_password_reset("vera", None).await.unwrap();
    let now = Utc::now();
    assert_eq!(
        mailer.purge(now).await.unwrap(),
        (0, 0),
        "nothing is old yet"
    );
    // A day after it expired the link goes; the sent mail stays for keep_days (30).
    assert_eq!(
        mailer.purge(now + Duration::days(29)).await.unwrap(),
        (0, 1)
    );
    assert_eq!(
        mailer.purge(now + Duration::days(31)).await.unwrap(),
        (1, 0)
    );
    let left = db.store.outbox(10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(
        left[0].state(),
        MailState::Pending,
        "pending mail is never purged"
    );
});
