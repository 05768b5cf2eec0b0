//! The console's "new user" page and the ticket, through the pages on every backend: a
//! subscriber created with a generated password logs in with what the ticket shows (page
//! and PDF); an ID-card subscriber is created with a real photo, kept with the record of
//! who checked which document; refused input, a refused photo and a method the operator
//! may not use create nothing.

use std::io::Cursor;
use std::sync::Arc;

use owums_core::operator::{AuditFilter, AuditLog, Operators, Permission, Permissions};
use owums_core::subscriber::{OperatorVerifications, WebSessions};
use owums_core::{Username, Verifier, VerifierFactory};
use owums_server::AppState;
use poem::EndpointExt;
use poem::http::StatusCode;

use super::pages::PASSWORD;
use crate::pages::{Browser, Page, config};
use crate::support::{TestDb, db_test, new_user, subscribers};

const NEW: &str = "/operator/users/new";

/// A browser of a server with the test methods and the real ID-card plugin enabled.
fn browser(db: &TestDb) -> Browser {
    let mut cfg = config(&["phone", "id_card"]);
    cfg.web.trusted_proxies = vec!["127.0.0.1/32".to_owned()];
    let mut registry = crate::pages::registry();
    owums_plugin_id_card::register(&mut registry);
    let state = AppState::with_store(&cfg, db.store.clone(), &registry).unwrap();
    let mut b = Browser::over(owums_server::app(state).map_to_response().boxed());
    b.forwarded_for = Some("198.51.100.10".to_owned());
    b
}

/// Logs `b` in as a new operator `name` holding `held`; the session's CSRF token.
async fn operator(db: &TestDb, b: &mut Browser, name: &str, held: &[Permission]) -> String {
    let perms: Permissions = held.iter().copied().collect();
    let (op, _) = Operators::new(db.store.clone())
        .create(name, PASSWORD, perms)
        .await
        .unwrap();
    let (token, session) = WebSessions::new(db.store.clone())
        .log_in_operator(
            op.id,
            &serde_json::json!({"ip": "198.51.100.10", "stage": "ready"}),
        )
        .await
        .unwrap();
    b.jar
        .insert("owums_operator".to_owned(), token.as_str().to_owned());
    session.csrf_token
}

/// The text of element `id` on `page`.
fn text_of(page: &Page, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = page.body.find(&marker).expect(id) + marker.len();
    let end = page.body[start..].find('<').unwrap() + start;
    page.body[start..end].to_owned()
}

async fn user_exists(db: &TestDb, name: &str) -> bool {
    db.store
        .find_user_by_username(&Username::try_new(name).unwrap())
        .await
        .unwrap()
        .is_some()
}

/// A `multipart/form-data` body of `fields` and `files` (name, type, bytes): its content
/// type and bytes.
pub(crate) fn multipart(
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> (String, Vec<u8>) {
    const B: &str = "owums-test-boundary-7f3a";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{B}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (k, mime, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{B}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{k}.bin\"\r\n\
                 Content-Type: {mime}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{B}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={B}"), body)
}

/// A 640×480 PNG: a light card on a dark background.
fn photo_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, y| {
        if (80..560).contains(&x) && (100..380).contains(&y) {
            image::Rgb([230, 230, 210])
        } else {
            image::Rgb([30, 40, 60])
        }
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// The text `pdftotext` reads in `pdf` (`None` when poppler is missing outside CI).
pub(crate) fn pdf_text(pdf: &[u8]) -> Option<String> {
    if std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_err()
    {
        assert!(std::env::var_os("CI").is_none(), "pdftotext is missing");
        return None;
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(file.path())
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    Some(String::from_utf8(out.stdout).unwrap())
}

db_test!(
    a_user_with_a_generated_password_logs_in_with_the_ticket,
    |db| {
        let mut b = browser(&db);
        let held = [Permission::UsersRegistrant, Permission::RegistrantByNothing];
        let csrf = operator(&db, &mut b, "desk-anna", &held).await;
        let form = b.get(NEW).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        form.has(r#"name="method" value="none""#)
            .has(r#"id="password_mode_generate" name="password_mode" value="generate" checked"#)
            .lacks(r#"type="file""#)
            .lacks("multipart/form-data");
        let page = b
            .post(
                NEW,
                &[
                    ("csrf_token", &csrf),
                    ("method", "none"),
                    ("username", "Desk-Guest"),
                    ("password_mode", "generate"),
                    ("given_name", "Ada"),
                    ("email", "ada@example.org"),
                    ("locale", "it"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let username = text_of(&page, "ticket-username");
        let password = text_of(&page, "ticket-password");
        assert_eq!(username, "desk-guest");
        assert_eq!(password.len(), 10, "{password}");
        page.has("/operator/users/")
            .has("ticket.pdf")
            .has(r#"src="/assets/print.js""#);
        assert_eq!(page.headers["cache-control"], "no-store");
        let user = db
            .store
            .find_user_by_username(&Username::try_new("desk-guest").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(user.verified && user.active);
        assert_eq!(user.verification_method, "none");
        assert_eq!(user.locale, "it");
        // audited, without the password
        let log = AuditLog::new(db.store.clone())
            .query(&AuditFilter::default(), 1, 50)
            .await
            .unwrap();
        let entry = log.rows.iter().find(|r| r.action == "user.create").unwrap();
        assert_eq!(entry.operator_username, "desk-anna");
        assert_eq!(entry.target.as_ref().unwrap().label, "desk-guest");
        assert!(!format!("{log:?}").contains(&password));
        // the subscriber logs in with what the ticket says
        let login = b.get("/account/login").await;
        let p = b
            .post(
                "/account/login",
                &[
                    ("csrf_token", &login.csrf()),
                    ("username", &username),
                    ("password", &password),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        assert_eq!(p.location.as_deref(), Some("/account"));
        // the PDF card: without the session's token refused, with it the same two values
        let pdf_path = format!("/operator/users/{}/ticket.pdf", user.id);
        let refused = b
            .post(
                &pdf_path,
                &[("csrf_token", "nope"), ("password", &password)],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let pdf = b
            .post(
                &pdf_path,
                &[
                    ("csrf_token", &csrf),
                    ("username", &username),
                    ("password", &password),
                ],
            )
            .await;
        assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
        assert_eq!(pdf.headers["content-type"], "application/pdf");
        assert_eq!(
            pdf.headers["content-disposition"],
            "attachment; filename=\"ticket-desk-guest.pdf\""
        );
        assert_eq!(pdf.headers["cache-control"], "no-store");
        assert!(pdf.bytes.starts_with(b"%PDF"));
        if let Some(text) = pdf_text(&pdf.bytes) {
            assert!(text.contains("desk-guest"), "{text}");
            assert!(text.contains(&password), "{text}");
        }
    }
);

/// Fields posted, the status expected and a text the page must show.
type Case = (
    &'static [(&'static str, &'static str)],
    StatusCode,
    &'static str,
);

db_test!(refused_input_and_methods_create_nothing, |db| {
    subscribers(&db).register(new_user("taken")).await.unwrap();
    let mut b = browser(&db);
    let held = [Permission::UsersRegistrant, Permission::RegistrantByNothing];
    let csrf = operator(&db, &mut b, "desk-bruno", &held).await;
    let cases: &[Case] = &[
        (
            &[("username", "taken")],
            StatusCode::CONFLICT,
            r#"id="error-username""#,
        ),
        (
            &[("username", "new-one"), ("email", "not-an-address")],
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"id="error-email""#,
        ),
        (
            &[("username", "new-one"), ("mobile", "12ab")],
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"id="error-mobile""#,
        ),
        (
            &[
                ("username", "new-one"),
                ("password_mode", "typed"),
                ("password", "password"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"id="error-password""#,
        ),
    ];
    for (fields, status, error) in cases {
        let mut all = vec![("csrf_token", csrf.as_str()), ("method", "none")];
        all.extend_from_slice(fields);
        let page = b.post(NEW, &all).await;
        assert_eq!(page.status, *status, "{fields:?}: {}", page.body);
        page.has(error).has(r#"role="alert""#);
        assert!(!page.body.contains("ticket-password"));
        if fields.iter().any(|(k, _)| *k == "email") {
            page.has(r#"value="not-an-address""#);
        }
        if fields.iter().any(|(k, _)| *k == "password") {
            assert!(
                !page.body.contains(r#"value="password""#),
                "never shown again"
            );
        }
    }
    assert!(!user_exists(&db, "new-one").await);
    // the ID card without registrant_by_id_card: 403, nothing created
    assert_eq!(
        b.get("/operator/users/new?method=id_card").await.status,
        StatusCode::FORBIDDEN
    );
    let (ct, body) = multipart(
        &[
            ("csrf_token", &csrf),
            ("method", "id_card"),
            ("username", "card-guest"),
            ("document_type", "passport"),
            ("number", "CA12345BB"),
        ],
        &[("photo", "image/png", &photo_png())],
    );
    let page = b.post_typed(NEW, &ct, body, &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    page.has("does not have the permission this page needs");
    assert!(!user_exists(&db, "card-guest").await);
});

db_test!(an_id_card_user_is_created_with_the_document_photo, |db| {
    let mut b = browser(&db);
    let held = [Permission::UsersRegistrant, Permission::RegistrantByIdCard];
    let csrf = operator(&db, &mut b, "desk-carla", &held).await;
    let form = b.get(NEW).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    form.has(r#"enctype="multipart/form-data""#)
        .has(r#"name="method" value="id_card""#)
        // minijinja writes `/` as `&#x2f;` in attributes (the same to a browser)
        .has(r#"type="file" accept="image&#x2f;jpeg,image&#x2f;png,image&#x2f;webp" capture="environment""#)
        .has(r#"<option value="passport">Passport</option>"#);
    let card = |username: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("method", "id_card".to_owned()),
            ("username", username.to_owned()),
            ("given_name", "Carla".to_owned()),
            ("document_type", "passport".to_owned()),
            ("number", "CA12345BB".to_owned()),
        ]
    };
    let send = async |b: &mut Browser, fields: Vec<(&str, String)>, photo: &[u8], mime: &str| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (ct, body) = multipart(&fields, &[("photo", mime, photo)]);
        b.post_typed(NEW, &ct, body, &[]).await
    };
    // not a picture: the plugin's reason, in the operator's language, and no user
    b.accept_language = "it".to_owned();
    let refused = send(&mut b, card("card-bad"), b"just text", "image/png").await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    refused
        .has(r#"id="error-photo""#)
        .has("Il file non è una foto");
    assert!(!user_exists(&db, "card-bad").await);
    let missing = send(&mut b, card("card-bad"), b"", "application/octet-stream").await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!user_exists(&db, "card-bad").await);
    // over the upload limit: 413 before the plugin reads anything
    let big = vec![0u8; 11 * 1024 * 1024];
    let too_big = send(&mut b, card("card-bad"), &big, "image/jpeg").await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    too_big.has("Il file è troppo grande");
    assert!(!user_exists(&db, "card-bad").await);
    // a real photo
    b.accept_language = "en".to_owned();
    let page = send(&mut b, card("card-guest"), &photo_png(), "image/png").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(text_of(&page, "ticket-username"), "card-guest");
    let user = db
        .store
        .find_user_by_username(&Username::try_new("card-guest").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.verification_method, "id_card");
    assert!(user.verified && user.active);
    let host = owums_core::PluginHost::over_store(&db.store, Arc::new(subscribers(&db)));
    let verifier: Arc<dyn Verifier> = owums_plugin_id_card::IdCardFactory
        .build(serde_json::json!({}), host.context("id_card", &[]))
        .unwrap();
    let ops = OperatorVerifications::new(subscribers(&db), vec![verifier]);
    let history = ops.history(user.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].operator, "desk-carla");
    assert_eq!(history[0].evidence["document_type"], "passport");
    assert_eq!(history[0].evidence["number"], "CA12345BB");
    let files = ops.attachments(user.id).await.unwrap();
    let kinds: Vec<&str> = files.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["document", "thumbnail"]);
    let photo = ops.attachment(user.id, "document").await.unwrap().unwrap();
    assert!(photo.bytes.starts_with(&[0xff, 0xd8]), "re-encoded as JPEG");
});
