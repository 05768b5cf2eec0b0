//! What a phone user reads on the account and sign-up pages: chart labels big enough to
//! read, a sessions table that shows it scrolls, buttons in the page's font, and required
//! fields marked.

use owums_core::{NewUser, Settings};
use serde_json::json;

use super::{assert_fits_the_phone, insert_session};
use crate::support::browser::Browser;
use crate::support::new_user;
use crate::support::site::{DESK, Site};

/// The smallest text size, in CSS pixels as rendered, a phone user should have to read.
const MIN_TEXT_PX: f64 = 11.0;

/// Buttons whose font family or size differs from the page's text: `[text, family]`.
async fn buttons_in_another_font(browser: &Browser) -> serde_json::Value {
    browser
        .exec(
            "const body = getComputedStyle(document.body);
             return [...document.querySelectorAll('main button')]
                 .filter(b => getComputedStyle(b).fontFamily !== body.fontFamily)
                 .map(b => [b.textContent, getComputedStyle(b).fontFamily]);",
            json!([]),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_page_reads_on_a_phone() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let mut config = Site::config();
    config.web.time_zone = "Europe/Rome".to_owned();
    let site = Site::start_with(config).await;
    let user = site
        .subscribers()
        .register(NewUser {
            verification_method: DESK.to_owned(),
            locale: "en".to_owned(),
            ..new_user("giulia")
        })
        .await
        .unwrap();
    site.subscribers().verify(user.id).await.unwrap();
    for (days_ago, minutes, mb) in [(0, 30, 120), (1, 95, 640), (2, 12, 8), (5, 240, 1900)] {
        insert_session(&site, "giulia", days_ago, minutes, mb).await;
    }
    super::log_in(&browser, &site, "giulia", "Tulip-Harbor-93").await;
    assert_fits_the_phone(&browser).await;

    // Every text of both charts, at the size it is drawn on the screen.
    let sizes = browser
        .exec(
            "return [...document.querySelectorAll('#traffic-chart text, #time-chart text')]
                 .map(t => [t.textContent,
                            parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a]);",
            json!([]),
        )
        .await;
    let sizes = sizes.as_array().expect("chart texts");
    assert!(sizes.len() > 20, "chart texts: {sizes:?}");
    for s in sizes {
        let px = s[1].as_f64().unwrap_or(0.0);
        assert!(
            px >= MIN_TEXT_PX,
            "chart text {} is drawn at {px:.1} px on a phone",
            s[0]
        );
    }
    // The day labels do not run into each other.
    let overlaps = browser
        .exec(
            "const out = [];
             for (const id of ['traffic-chart', 'time-chart']) {
                 const svg = document.getElementById(id);
                 const bottom = svg.getBoundingClientRect().bottom;
                 const days = [...svg.querySelectorAll('text')]
                     .map(t => t.getBoundingClientRect())
                     .filter(r => bottom - r.bottom < 14)
                     .sort((a, b) => a.left - b.left);
                 for (let i = 1; i < days.length; i++) {
                     if (days[i].left < days[i - 1].right) { out.push([id, i]); }
                 }
             }
             return out;",
            json!([]),
        )
        .await;
    assert_eq!(overlaps, json!([]), "day labels overlap");

    // The sessions table is wider than the phone: it scrolls inside its box, and says so.
    let table = browser
        .exec(
            "const wrap = document.querySelector('#sessions').closest('.table-wrap');
             const hint = document.getElementById('sessions-scroll-hint');
             const h = hint && hint.getBoundingClientRect();
             return {
                 wider: wrap.scrollWidth > wrap.clientWidth,
                 overflow: getComputedStyle(wrap).overflowX,
                 focusable: wrap.tabIndex === 0,
                 hint: !!hint && h.height > 0 && getComputedStyle(hint).visibility === 'visible'
                     && h.bottom <= wrap.getBoundingClientRect().top + 1,
                 described: wrap.getAttribute('aria-describedby'),
             };",
            json!([]),
        )
        .await;
    assert_eq!(table["wider"], json!(true), "{table}");
    assert!(
        table["overflow"] == json!("auto") || table["overflow"] == json!("scroll"),
        "{table}"
    );
    assert_eq!(
        table["hint"],
        json!(true),
        "no visible scroll hint: {table}"
    );
    assert_eq!(table["focusable"], json!(true), "{table}");
    assert_eq!(table["described"], json!("sessions-scroll-hint"), "{table}");
    let hint = browser.find("#sessions-scroll-hint").await.text().await;
    assert!(hint.contains("sideways"), "{hint}");
    // Times name their zone.
    let first = browser
        .find("#sessions tbody tr td time")
        .await
        .text()
        .await;
    assert!(
        first.ends_with(" CET") || first.ends_with(" CEST"),
        "{first}"
    );

    assert_eq!(buttons_in_another_font(&browser).await, json!([]));
    browser.screenshot("account-phone").await;
    for (heading, name) in [
        ("usage-heading", "account-phone-charts"),
        ("sessions-heading", "account-phone-sessions"),
    ] {
        browser
            .exec(
                "document.getElementById(arguments[0]).scrollIntoView();",
                json!([heading]),
            )
            .await;
        browser.screenshot(name).await;
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_marks_required_fields_on_a_phone() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let site = Site::start().await;
    Settings::new(site.db.store.clone())
        .set("captcha_enabled", "false")
        .await
        .unwrap();
    browser.goto(&site.url("/account/signup?locale=en")).await;
    assert_fits_the_phone(&browser).await;
    // Each visible required field has a visible mark in its label, and the mark is explained.
    let unmarked = browser
        .exec(
            "return [...document.querySelectorAll('main input[required]')]
                 .filter(i => i.type !== 'hidden' && i.type !== 'radio')
                 .filter(i => {
                     const mark = document.querySelector(`label[for='${i.id}'] .required`);
                     if (!mark) { return true; }
                     const r = mark.getBoundingClientRect();
                     return !(r.width > 0 && r.height > 0 && mark.textContent.includes('*'));
                 })
                 .map(i => i.name);",
            json!([]),
        )
        .await;
    assert_eq!(
        unmarked,
        json!([]),
        "required fields without a visible mark"
    );
    let required = browser
        .exec(
            "return [...document.querySelectorAll('main input[required]')].map(i => i.name);",
            json!([]),
        )
        .await;
    for name in [
        "given_name",
        "surname",
        "email",
        "username",
        "password",
        "password_confirmation",
        "eula_acceptance",
        "privacy_acceptance",
    ] {
        assert!(
            required
                .as_array()
                .is_some_and(|a| a.contains(&json!(name))),
            "{name} is not marked required: {required}"
        );
    }
    let note = browser.find("main .required-note").await.text().await;
    assert!(note.contains("marked *"), "{note}");
    // The birth date's hint agrees with the picker.
    if let Some(birth) = browser.try_find("#birth_date").await {
        assert_eq!(birth.property("type").await, json!("date"));
        assert_eq!(birth.property("min").await, json!("1900-01-01"));
        let hint = browser.find("#hint-birth_date").await.text().await;
        assert!(!hint.contains("YYYY"), "{hint}");
    }
    assert_eq!(buttons_in_another_font(&browser).await, json!([]));
    browser.screenshot("signup-required").await;
    browser.close().await;
}
