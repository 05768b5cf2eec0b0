//! Password recovery by e-mail: the same answer whether or not the account exists, the link
//! works once, and expired or reused links say so in the user's language.

use poem::http::StatusCode;

use super::{Browser, config};
use crate::support::{TestDb, db_test, new_user, subscribers};

/// The reset token in the last queued e-mail to `to`.
async fn token_mailed_to(db: &TestDb, to: &str) -> Option<String> {
    let mails = db.store.outbox(100).await.unwrap();
    let mail = mails.iter().rev().find(|m| m.recipient == to)?;
    let body = mail.body.as_bytes();
    (0..body.len().saturating_sub(63)).find_map(|i| {
        let run = &body[i..i + 64];
        let hex = run.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let bounded = i + 64 == body.len() || !body[i + 64].is_ascii_hexdigit();
        (hex && bounded).then(|| String::from_utf8_lossy(run).into_owned())
    })
}

db_test!(reset_answers_alike_and_the_link_works_once, |db| {
    subscribers(&db)
        .create(new_user("elena"), true, &[])
        .await
        .unwrap();
    let mut b = Browser::new(&db, &config(&["phone"])).await;
    b.accept_language = "it".to_owned();
    let form = b.get("/account/reset").await;
    form.has(r#"name="username_or_email""#);
    let csrf = form.csrf();
    let known = b
        .post(
            "/account/reset",
            &[("csrf_token", &csrf), ("username_or_email", "ELENA")],
        )
        .await;
    assert_eq!(known.status, StatusCode::OK);
    known.has("Se quanto inserito corrisponde a un account");
    let unknown = b
        .post(
            "/account/reset",
            &[
                ("csrf_token", &csrf),
                ("username_or_email", "nessuno@example.org"),
            ],
        )
        .await;
    assert_eq!(unknown.status, known.status);
    assert_eq!(unknown.body, known.body, "no user enumeration");
    let token = crate::support::eventually("a mail with a link", async || {
        token_mailed_to(&db, "elena@example.org").await
    })
    .await;
    assert!(token_mailed_to(&db, "nessuno@example.org").await.is_none());
    let path = format!("/account/reset/{token}");
    let f = b.get(&path).await;
    assert_eq!(f.status, StatusCode::OK, "{}", f.body);
    f.has(r#"name="password_confirmation""#);
    let csrf = f.csrf();
    let p = b
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("password", "Nuova-Lanterna-55"),
                ("password_confirmation", "altra1234"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.has("Le due password non coincidono.");
    let p = b
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("password", "corta1"),
                ("password_confirmation", "corta1"),
            ],
        )
        .await;
    p.has("almeno 8 caratteri");
    assert!(
        subscribers(&db)
            .authenticate("elena", "Tulip-Harbor-93")
            .await
            .is_ok(),
        "unchanged"
    );
    let p = b
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("password", "Nuova-Lanterna-55"),
                ("password_confirmation", "Nuova-Lanterna-55"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    p.has("La password è stata cambiata.");
    assert!(
        subscribers(&db)
            .authenticate("elena", "Nuova-Lanterna-55")
            .await
            .is_ok()
    );
    // Used: the same link now fails, clearly, and changes nothing.
    let again = b.get(&path).await;
    assert_eq!(again.status, StatusCode::GONE);
    again.has("Questo link è già stato usato.");
    let p = b
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("password", "terza1234"),
                ("password_confirmation", "terza1234"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::GONE);
    assert!(
        subscribers(&db)
            .authenticate("elena", "Nuova-Lanterna-55")
            .await
            .is_ok()
    );
    b.accept_language = "es".to_owned();
    let p = b.get("/account/reset/not-a-token").await;
    assert_eq!(p.status, StatusCode::GONE);
    p.has("Este enlace no es válido");
});

db_test!(reset_requests_need_the_form_token_and_are_limited, |db| {
    let mut cfg = config(&["phone"]);
    cfg.web.rate_limits.reset_per_account = 2;
    cfg.web.rate_limits.window_seconds = 3600;
    let mut b = Browser::new(&db, &cfg).await;
    let csrf = b.get("/account/reset").await.csrf();
    let p = b
        .post("/account/reset", &[("username_or_email", "x@example.org")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = b
        .post(
            "/account/reset",
            &[("csrf_token", &csrf), ("username_or_email", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.has("This field is required.");
    for _ in 0..2 {
        let p = b
            .post(
                "/account/reset",
                &[
                    ("csrf_token", &csrf),
                    ("username_or_email", "x@example.org"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::OK);
    }
    let p = b
        .post(
            "/account/reset",
            &[
                ("csrf_token", &csrf),
                ("username_or_email", "X@example.org"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    p.has("Too many attempts. Try again in");
});
