//! The e-mail-link example plugin (examples/custom-verifier) registered statically, as
//! owums-server's `plugin-email-link` feature does: the mailed link verifies once, a second
//! opening and an expired link answer a translated 410 page and change nothing, an unknown
//! token is the host's 404.

use poem::http::{StatusCode, header};

use super::{Client, Offset, PUBLIC, app_for};
use crate::support::{TestDb, db_test};

const ID: &str = owums_plugin_email_link::ID;

/// The app over `db` with the example linked in, its clock moved by `offset`.
fn app(db: &TestDb, offset: &Offset) -> Client {
    app_for(db, offset, ID, owums_plugin_email_link::register)
}

/// Registers `name` with the e-mail-link method; its bearer token and the mailed path.
async fn sign_up(app: &Client, db: &TestDb, name: &str, locale: &str) -> (String, String) {
    let token = app.register_with(name, locale, ID).await;
    let to = format!("{name}@example.org");
    let mails: Vec<_> = db.store.outbox(50).await.unwrap();
    let mails: Vec<_> = mails.into_iter().filter(|m| m.recipient == to).collect();
    assert_eq!(mails.len(), 1, "one mail to {to}");
    let body = &mails[0].body;
    let start = body.find(PUBLIC).expect("a link to the public address") + PUBLIC.len();
    let end = body[start..]
        .find(char::is_whitespace)
        .map_or(body.len(), |e| e + start);
    (token, body[start..end].to_owned())
}

db_test!(
    email_link_verifies_once_then_says_used_in_the_persons_language,
    |db| {
        let app = app(&db, &Offset::default());
        let (token, path) = sign_up(&app, &db, "elena", "it").await;
        assert!(
            path.starts_with("/plugins/email_link/open?token="),
            "{path}"
        );
        let before = app.verification(&token).await;
        assert_eq!(before["status"], "unverified", "{before}");
        let (status, body, headers) = app.get(&path, "it").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        assert_eq!(headers[header::LOCATION], "/account");
        assert_eq!(app.verification(&token).await["status"], "verified");
        let (status, body, headers) = app.get(&path, "it").await;
        assert_eq!(status, StatusCode::GONE, "{body}");
        assert!(body.contains("Questo link è già stato usato"), "{body}");
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        let (status, body, _) = app.get(&path, "es").await;
        assert_eq!(status, StatusCode::GONE);
        assert!(body.contains("Este enlace ya se usó"), "{body}");
        let (status, _, _) = app.get("/plugins/email_link/open?token=f00d", "en").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
);

db_test!(
    email_link_expired_answers_410_and_leaves_the_subscriber_unverified,
    |db| {
        let offset = Offset::default();
        let app = app(&db, &offset);
        let (token, path) = sign_up(&app, &db, "franco", "en").await;
        offset.advance(31 * 60);
        let (status, body, _) = app.get(&path, "en").await;
        assert_eq!(status, StatusCode::GONE, "{body}");
        assert!(body.contains("This link has expired"), "{body}");
        assert_eq!(app.verification(&token).await["status"], "unverified");
    }
);
