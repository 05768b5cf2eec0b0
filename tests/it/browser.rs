//! The subscriber pages in headless Chromium: what a person on a phone sees and does.

use serde_json::json;

use crate::support::browser::{Browser, PHONE};
use crate::support::site::Site;

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
