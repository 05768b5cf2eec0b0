//! The subscriber pages in headless Chromium: what a person on a phone sees and does.

use chrono::{Duration as Days, Utc};
use owums_core::mail::Mailer;
use owums_core::{NewUser, Settings};
use serde_json::json;

use crate::support::browser::{Browser, PHONE};
use crate::support::new_user;
use crate::support::site::{DESK_MESSAGE, Site};
use crate::support::smtp::{SmtpSink, mail_config};

mod console;
mod phone_layout;

/// Logs `name` in with `password` through the login form and waits for the account page.
async fn log_in(browser: &Browser, site: &Site, name: &str, password: &str) {
    browser.goto(&site.url("/account/login?locale=en")).await;
    browser.fill("username", name).await;
    browser.fill("password", password).await;
    browser
        .find("main form button[type=submit]")
        .await
        .click()
        .await;
    browser
        .wait_for_script(
            "the account page",
            "return location.pathname === '/account';",
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_opens_the_health_check_at_phone_size() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let site = Site::start().await;
    browser.goto(&site.url("/healthz")).await;
    let body = browser.find("body").await.text().await;
    let health: serde_json::Value = serde_json::from_str(&body).expect("JSON health answer");
    assert_eq!(health, json!({"status": "ok", "database": "ok"}));
    let (w, h) = browser.screen().await;
    assert_eq!((w, h), (u64::from(PHONE.0), u64::from(PHONE.1)));
    browser.close().await;
}

/// Lays the page out at the phone's width, without sideways scrolling.
async fn assert_fits_the_phone(browser: &Browser) {
    assert_eq!(
        browser.layout_width().await,
        u64::from(PHONE.0),
        "{} is not laid out for the phone's width",
        browser.path().await
    );
    assert!(
        !browser.scrolls_sideways().await,
        "{} scrolls sideways on a phone",
        browser.path().await
    );
}

/// One finished radacct session of `username` starting `days_ago` days ago.
async fn insert_session(site: &Site, username: &str, days_ago: i64, minutes: i64, mb: i64) {
    let start = Utc::now() - Days::days(days_ago) - Days::minutes(minutes + 5);
    let stop = start + Days::minutes(minutes);
    let fmt = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let sql = format!(
        "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, \
         acctstarttime, acctupdatetime, acctstoptime, acctsessiontime, acctinputoctets, \
         acctoutputoctets, calledstationid, callingstationid, acctterminatecause, framedipaddress) \
         VALUES ('s{days_ago}', 'u-{username}-{days_ago}', '{username}', '10.0.0.1', '{start}', \
         '{stop}', '{stop}', {secs}, {up}, {down}, 'AP-1', '02-00-00-00-00-01', 'User-Request', \
         '10.1.0.{days_ago}')",
        start = fmt(start),
        stop = fmt(stop),
        secs = minutes * 60,
        up = mb * 100_000,
        down = mb * 1_000_000,
    );
    site.db.exec(&sql).await.expect("radacct row");
}

/// Drawn shapes (bars, lines, areas) of the SVG chart `id`: elements with a visible size.
async fn drawn_shapes(browser: &Browser, id: &str) -> u64 {
    let v = browser
        .exec(
            "const svg = document.getElementById(arguments[0]);
             if (!svg) { return -1; }
             const chart = svg.tagName.toLowerCase() === 'svg' ? svg : svg.querySelector('svg');
             if (!chart) { return -2; }
             let n = 0;
             for (const el of chart.querySelectorAll('rect, path, polyline, line, circle')) {
                 const b = el.getBBox();
                 const filled = (getComputedStyle(el).fill || 'none') !== 'none';
                 if ((b.width > 0 && b.height > 0 && filled) || el.tagName !== 'rect' && (b.width > 0 || b.height > 0)) { n += 1; }
             }
             return n;",
            json!([id]),
        )
        .await;
    let n = v.as_i64().unwrap_or(-3);
    assert!(n >= 0, "#{id} is missing or not an SVG chart (code {n})");
    n.unsigned_abs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_verification_login_and_account_charts_on_a_phone() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let site = Site::start().await;

    // The sign-up page as shipped: its captcha picture is drawn.
    browser.goto(&site.url("/account/signup?locale=en")).await;
    assert_fits_the_phone(&browser).await;
    let lang = browser
        .exec("return document.documentElement.lang;", json!([]))
        .await;
    assert_eq!(lang, json!("en"));
    browser
        .wait_for_script(
            "the captcha picture loading",
            "const img = document.getElementById('captcha-image');
             return !!img && img.complete && img.naturalWidth > 0;",
        )
        .await;
    browser.screenshot("signup").await;

    // Sign up (captcha off: the answer lives only in the server-side session).
    Settings::new(site.db.store.clone())
        .set("captcha_enabled", "false")
        .await
        .unwrap();
    browser.goto(&site.url("/account/signup")).await;
    assert!(browser.try_find("#captcha-image").await.is_none());
    browser.fill("given_name", "Maria").await;
    browser.fill("surname", "Bianchi").await;
    for (name, value) in [
        ("address", "Via Roma 1"),
        ("city", "Roma"),
        ("zip", "00100"),
        ("country", "Italy"),
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
        // A date picker takes keys in the browser's own order; set the value as picked.
        browser
            .exec(
                "arguments[0].value = '1990-04-12';",
                json!([birth.as_arg()]),
            )
            .await;
    }
    browser.fill("email", "maria@example.org").await;
    browser.fill("username", "maria").await;
    browser.fill("password", "sunny-day-42").await;
    browser.fill("password_confirmation", "sunny-day-42").await;
    browser.find("#eula_acceptance").await.click().await;
    browser.find("#privacy_acceptance").await.click().await;
    browser
        .find("main form button[type=submit]")
        .await
        .click()
        .await;

    // The verification page shows what the method asks and follows progress by itself.
    browser.wait_for_path("/account/verification").await;
    assert_fits_the_phone(&browser).await;
    let main = browser.find("main").await.text().await;
    assert!(
        main.contains(DESK_MESSAGE),
        "verification page says: {main}"
    );
    browser.screenshot("verification").await;
    let user = site.subscribers().find("maria").await.expect("registered");
    assert!(!user.verified);
    site.subscribers().verify(user.id).await.expect("verified");
    browser
        .wait_for_script(
            "leaving the verification page",
            "return location.pathname !== '/account/verification';",
        )
        .await;

    // Some traffic over the last days, then log in again (username in other case).
    for (days_ago, minutes, mb) in [(0, 30, 120), (1, 95, 640), (3, 20, 45), (6, 240, 900)] {
        insert_session(&site, "maria", days_ago, minutes, mb).await;
    }
    if let Some(logout) = browser
        .try_find("header form[action=\"/account/logout\"] button")
        .await
    {
        logout.click().await;
        browser
            .wait_for_script(
                "logging out",
                "return !document.querySelector('header form[action=\"/account/logout\"]');",
            )
            .await;
    }
    browser.goto(&site.url("/account/login")).await;
    assert_fits_the_phone(&browser).await;
    log_in(&browser, &site, "MARIA", "sunny-day-42").await;

    // The account page: profile, both charts drawn, sessions listed.
    assert_fits_the_phone(&browser).await;
    assert_eq!(
        browser.find("#profile-username").await.text().await,
        "maria"
    );
    let traffic = drawn_shapes(&browser, "traffic-chart").await;
    let time = drawn_shapes(&browser, "time-chart").await;
    assert!(
        traffic >= 4,
        "traffic chart draws {traffic} shapes for 4 days of use"
    );
    assert!(
        time >= 4,
        "time chart draws {time} shapes for 4 days of use"
    );
    let rows = browser.find_all("#sessions tbody tr").await.len();
    assert_eq!(rows, 4, "one row per session");
    browser.screenshot("account").await;
    browser.close().await;
}

/// The first `http…/account/reset/…` link in `body`.
fn reset_link(body: &str) -> Option<String> {
    let at = body.find("/account/reset/")?;
    let start = body[..at].rfind("http")?;
    let end = body[at..]
        .find(|c: char| c.is_whitespace() || c == '>' || c == '"')
        .map_or(body.len(), |e| at + e);
    Some(body[start..end].to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_reset_follows_the_link_from_the_mail() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let smtp = SmtpSink::start();
    let mut config = Site::config();
    config.mail = mail_config(smtp.port);
    let site = Site::start_with(config).await;
    Settings::new(site.db.store.clone())
        .set("notifier_base_url", &site.url(""))
        .await
        .unwrap();
    let user = site
        .subscribers()
        .register(NewUser {
            locale: "en".to_owned(),
            ..new_user("paolo")
        })
        .await
        .unwrap();
    site.subscribers().verify(user.id).await.unwrap();

    // Ask for the mail by e-mail address.
    browser.goto(&site.url("/account/reset?locale=en")).await;
    assert_fits_the_phone(&browser).await;
    browser.fill("username_or_email", "paolo@example.org").await;
    browser
        .find("main form button[type=submit]")
        .await
        .click()
        .await;
    browser
        .wait_for_script(
            "the request's answer",
            "return !document.querySelector('[name=username_or_email]');",
        )
        .await;
    let mailer = Mailer::new(site.db.store.clone(), &site.state.config.mail).unwrap();
    // the link and its mail are made off the request path
    let mail = crate::support::eventually("the reset mail", async || {
        mailer.deliver_due(10).await.unwrap();
        smtp.received().into_iter().find(|m| {
            m.rcpt_tos.iter().any(|r| r == "paolo@example.org")
                && m.body.contains("/account/reset/")
        })
    })
    .await;
    let link = reset_link(&mail.body).expect("a link in the mail");
    assert!(
        link.starts_with(&site.url("/account/reset/")),
        "link {link}"
    );

    // Follow it and choose a new password.
    browser.goto(&link).await;
    assert_fits_the_phone(&browser).await;
    browser.screenshot("reset").await;
    browser.fill("password", "blue-moon-2026").await;
    browser
        .fill("password_confirmation", "blue-moon-2026")
        .await;
    browser
        .find("main form button[type=submit]")
        .await
        .click()
        .await;
    browser
        .wait_for_script(
            "leaving the new-password form",
            "return !document.querySelector('[name=password_confirmation]');",
        )
        .await;
    assert!(
        site.subscribers()
            .authenticate("paolo", "Tulip-Harbor-93")
            .await
            .is_err()
    );

    // The new password logs in; the link is used up.
    browser.goto(&site.url("/account/login")).await;
    browser.fill("username", "paolo").await;
    browser.fill("password", "blue-moon-2026").await;
    browser
        .find("main form button[type=submit]")
        .await
        .click()
        .await;
    browser
        .wait_for_script(
            "the account page",
            "return location.pathname === '/account';",
        )
        .await;
    browser.goto(&link).await;
    assert!(
        browser
            .try_find("[name=\"password_confirmation\"]")
            .await
            .is_none()
    );
    // It says so and offers a new request instead.
    browser.find("main a[href=\"/account/reset\"]").await;
    assert!(
        site.subscribers()
            .authenticate("paolo", "blue-moon-2026")
            .await
            .is_ok()
    );
    browser.close().await;
}
