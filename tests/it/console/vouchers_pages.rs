//! Voucher batches through the console: generated with their printable sheet (page or PDF,
//! the only time the passwords are shown), refused forms that make nothing, the batch view.

use owums_core::PasswordFormat;
use owums_core::operator::{AuditFilter, AuditLog, Operators, Preset};
use owums_core::radius::Vouchers;
use poem::http::StatusCode;

use super::pages::{PASSWORD, browser, log_in};
use super::users_new::pdf_text;
use crate::support::db_test;

const FORM: &[(&str, &str)] = &[
    ("batch", "Summer fair"),
    ("count", "3"),
    ("prefix", "fair"),
    ("length", "8"),
    ("group", "Users"),
    ("validity", "days"),
    ("days", "2"),
];

db_test!(vouchers_are_generated_and_printed_from_the_console, |db| {
    let (mut b, _) = browser(&db);
    Operators::new(db.store.clone())
        .create("anna", PASSWORD, Preset::Operator.permissions())
        .await
        .unwrap();
    log_in(&mut b, "anna", PASSWORD).await;
    let list = b.get("/operator/vouchers").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    list.has("No voucher batch yet.").has(r#"name="count""#);
    let csrf = list.csrf();
    let post = |extra: &[(&'static str, &'static str)]| {
        let mut fields: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str())];
        for (k, v) in FORM.iter().chain(extra) {
            fields.retain(|(f, _)| f != k);
            fields.push((k, v));
        }
        fields
    };
    let vouchers = Vouchers::new(db.store.clone(), PasswordFormat::Crypt);

    // refused: too many from the console, a group that does not exist, a bad date
    for bad in [
        &[("count", "2001")][..],
        &[("group", "Nowhere")],
        &[("validity", "until"), ("until", "next week")],
        &[("length", "3")],
    ] {
        let p = b.post("/operator/vouchers", &post(bad)).await;
        assert!(
            p.status == StatusCode::UNPROCESSABLE_ENTITY || p.status == StatusCode::NOT_FOUND,
            "{bad:?}: {} {}",
            p.status,
            p.body
        );
        assert!(vouchers.list().await.unwrap().is_empty(), "{bad:?}");
    }

    // the sheet page, shown once, not cached
    let sheet = b
        .post("/operator/vouchers", &post(&[("output", "page")]))
        .await;
    assert_eq!(sheet.status, StatusCode::OK, "{}", sheet.body);
    assert_eq!(sheet.headers.get("cache-control").unwrap(), "no-store");
    assert_eq!(sheet.body.matches(r#"<li class="ticket">"#).count(), 3);
    sheet.has("<code>fair").has("2 days after first use");
    // the same name again: refused
    let again = b.post("/operator/vouchers", &post(&[])).await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.body
    );

    // a PDF batch: read back by poppler
    let pdf = b
        .post(
            "/operator/vouchers",
            &post(&[("batch", "Winter"), ("prefix", "win"), ("output", "pdf")]),
        )
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers.get("content-type").unwrap(), "application/pdf");
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    let (_, winter) = vouchers.show("Winter").await.unwrap();
    assert_eq!(winter.len(), 3);
    let text = pdf_text(&pdf.bytes).unwrap_or_default();
    for v in &winter {
        assert!(
            text.is_empty() || text.contains(&v.username),
            "{} in\n{text}",
            v.username
        );
    }

    // the list and the batch view
    let list = b.get("/operator/vouchers").await;
    list.has("Summer fair").has("Winter");
    let batch = b.get("/operator/vouchers/Winter").await;
    assert_eq!(batch.status, StatusCode::OK, "{}", batch.body);
    for v in &winter {
        batch.has(&v.username);
    }
    assert_eq!(batch.body.matches("<td>unused</td>").count(), 3);
    assert_eq!(
        b.get("/operator/vouchers/Nothing").await.status,
        StatusCode::NOT_FOUND
    );

    let rows = AuditLog::new(db.store.clone())
        .query(&AuditFilter::default(), 1, 10)
        .await
        .unwrap()
        .rows;
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["voucher.generate", "voucher.generate"]);
    for c in rows.iter().flat_map(|r| r.changes.iter()) {
        assert!(!c.field.contains("password") || c.after.as_deref() == Some("(changed)"));
    }
});
