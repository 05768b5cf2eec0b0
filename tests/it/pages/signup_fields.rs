//! What the sign-up form tells before anything is sent: which fields are required (the
//! `required` attribute and a visible mark), what the birth-date field accepts, fields only
//! some methods need, and mobile numbers written the national way.

use owums_core::Settings;
use poem::http::StatusCode;

use super::signup::{fields, with, without};
use super::{Browser, Page, config};
use crate::support::{TestDb, db_test, subscribers};

async fn no_captcha(db: &TestDb) {
    Settings::new(db.store.clone())
        .set("captcha_enabled", "false")
        .await
        .unwrap();
}

/// The `<input …>` tag of field `name`.
fn input<'p>(page: &'p Page, name: &str) -> &'p str {
    let start = page
        .body
        .find(&format!(r#"<input id="{name}""#))
        .unwrap_or_else(|| panic!("no input {name} in:\n{}", page.body));
    let end = page.body[start..].find('>').unwrap() + start;
    &page.body[start..=end]
}

/// The `<label for=name>…</label>` of field `name`.
fn label<'p>(page: &'p Page, name: &str) -> &'p str {
    let start = page
        .body
        .find(&format!(r#"<label for="{name}">"#))
        .unwrap_or_else(|| panic!("no label for {name} in:\n{}", page.body));
    let end = page.body[start..].find("</label>").unwrap() + start;
    &page.body[start..end]
}

/// The hint paragraph of field `name`.
fn hint<'p>(page: &'p Page, name: &str) -> &'p str {
    let marker = format!(r#"id="hint-{name}">"#);
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no hint for {name} in:\n{}", page.body))
        + marker.len();
    let end = page.body[start..].find("</p>").unwrap() + start;
    &page.body[start..end]
}

fn is_required(page: &Page, name: &str) -> bool {
    let tag = input(page, name);
    let marked = label(page, name).contains(r#"class="required""#);
    let attribute = tag.contains(" required");
    assert_eq!(
        marked, attribute,
        "{name}: mark and attribute disagree: {tag}"
    );
    attribute
}

db_test!(signup_marks_every_field_it_requires, |db| {
    let mut b = Browser::new(&db, &config(&["phone"])).await;
    let p = b.get("/account/signup").await;
    assert_eq!(p.status, StatusCode::OK);
    p.has("Fields marked * are required.");
    for name in [
        "given_name",
        "surname",
        "birth_date",
        "address",
        "city",
        "zip",
        "country",
        "email",
        "mobile",
        "username",
        "password",
        "password_confirmation",
        "captcha",
        "eula_acceptance",
        "privacy_acceptance",
    ] {
        assert!(is_required(&p, name), "{name} is required but not marked");
    }
    // The birth date: the picker's bounds are the server's, and the hint describes the
    // picker (and what to type where there is none) instead of one fixed format.
    let birth = input(&p, "birth_date");
    assert!(birth.contains(r#"type="date""#), "{birth}");
    assert!(birth.contains(r#"min="1900-01-01""#), "{birth}");
    let today = chrono::Utc::now().date_naive();
    let max = birth.split(r#"max=""#).nth(1).unwrap_or_default();
    let max = chrono::NaiveDate::parse_from_str(&max[..10], "%Y-%m-%d").unwrap();
    assert!((max - today).num_days().abs() <= 1, "{birth}");
    let h = hint(&p, "birth_date");
    assert!(h.contains("calendar") && h.contains("1990-04-12"), "{h}");
    assert!(!h.contains("YYYY"), "{h}");
    // In Italian too.
    b.accept_language = "it".to_owned();
    let p = b.get("/account/signup").await;
    p.has("I campi segnati con * sono obbligatori.");
    assert!(hint(&p, "birth_date").contains("calendario"));
});

db_test!(signup_fields_only_some_methods_need_say_which, |db| {
    no_captcha(&db).await;
    let mut cfg = config(&["phone", "card"]);
    cfg.web.signup.birth_date = false;
    cfg.web.signup.address = false;
    cfg.web.signup.city = false;
    cfg.web.signup.zip = false;
    cfg.web.signup.country = false;
    let mut b = Browser::new(&db, &cfg).await;
    let p = b.get("/account/signup").await;
    // Shown because a method needs them, not required for every method.
    for (name, method) in [
        ("mobile", "phone"),
        ("birth_date", "card"),
        ("city", "card"),
    ] {
        assert!(!is_required(&p, name), "{name}");
        let h = hint(&p, name);
        assert!(
            h.contains(&format!("Needed to verify with: {method}")),
            "{h}"
        );
    }
    // The chosen method decides on the server.
    let csrf = p.csrf();
    let card = with(
        without(without(fields(&csrf, "carla"), "birth_date"), "address"),
        "verification_method",
        "card",
    );
    let r = b.post("/account/signup", &card).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    r.has(r#"id="error-birth_date""#)
        .has(r#"id="error-address""#);
    let phone = without(without(fields(&csrf, "pietro"), "birth_date"), "address");
    let r = b.post("/account/signup", &phone).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // With only the card method they are required, and marked so.
    let mut b = Browser::new(&db, &{
        let mut c = cfg.clone();
        c.plugins.0.remove("phone");
        c
    })
    .await;
    let p = b.get("/account/signup").await;
    for name in ["birth_date", "address", "city", "zip", "country"] {
        assert!(is_required(&p, name), "{name}");
    }
    p.lacks(r#"name="mobile""#);
});

db_test!(
    signup_reads_national_mobile_numbers_with_the_methods_country_code,
    |db| {
        no_captcha(&db).await;
        let mut b = Browser::new(&db, &config(&["phone"])).await;
        let p = b.get("/account/signup").await;
        let h = hint(&p, "mobile");
        assert!(h.contains("read as a +39 number"), "{h}");
        let csrf = p.csrf();
        let r = b
            .post(
                "/account/signup",
                &with(fields(&csrf, "nina"), "mobile", "333 765 4321"),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let user = subscribers(&db).find("nina").await.unwrap();
        assert_eq!(user.mobile.unwrap().as_str(), "+393337654321");
        // Shown grouped for reading; tel: links stay E.164.
        let v = b.get("/account/verification").await;
        v.has("Call from +39 333 765 4321.")
            .has(r#"href="tel:+390212345678">+39 021 234 5678<"#)
            .lacks("+393337654321");
    }
);
