//! The operator console end to end in headless Chromium, at desktop and at phone size,
//! against a real `owums serve` and a real FreeRADIUS (REST mode) asking it: the first-run
//! setup link makes the superadmin, who creates a helpdesk operator with the `operator`
//! preset; the helpdesk operator enrols a second factor and logs in with it, and works.
//! Every console page visited is kept as a screenshot (`target/screenshots/console-*`).

use std::sync::Arc;

use chrono::{Duration, Utc};
use owums_core::operator::{AuditFilter, AuditLog, totp_code};
use serde_json::json;

use crate::freeradius_rest_e2e::TOKEN;
use crate::support::browser::Browser;
use crate::support::cli::{Serving, serve_command};
use crate::support::freeradius::{FreeRadius, FreeRadiusOptions, RestBackend};
use crate::support::{Backend, TestDb};

const ROOT_PASSWORD: &str = "Tulip-Harbor-93";

/// One run of the story: the browser, the server, FreeRADIUS and where screenshots go.
struct Story {
    browser: Browser,
    db: TestDb,
    base: String,
    tag: &'static str,
    _server: Serving,
    _dir: tempfile::TempDir,
    radius: Arc<FreeRadius>,
}

impl Story {
    async fn start(tag: &'static str, phone: bool) -> Option<Story> {
        let browser = if phone {
            Browser::start().await?
        } else {
            Browser::start_desktop().await?
        };
        let db = TestDb::new(Backend::Sqlite).await.expect("SQLite");
        let dir = tempfile::tempdir().unwrap();
        let mut server = Serving::spawn(
            serve_command(dir.path())
                .env("OWUMS_DATABASE__URL", &db.url)
                .env("OWUMS_FREERADIUS__TOKEN", TOKEN)
                .env("OWUMS_FREERADIUS__AUTHORIZE_REJECT", "true"),
        );
        let addr = server.http_addr();
        let rest = RestBackend {
            url: format!("http://{addr}"),
            token: TOKEN.to_owned(),
        };
        let radius = tokio::task::spawn_blocking(move || {
            FreeRadius::start_rest(&rest, FreeRadiusOptions { local_client: true })
        })
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("FreeRADIUS did not start: {e}"));
        Some(Story {
            browser,
            db,
            base: format!("http://{addr}"),
            tag,
            _server: server,
            _dir: dir,
            radius: Arc::new(radius),
        })
    }

    /// The single-use link `owums serve` printed on its first start.
    fn setup_link(&mut self) -> String {
        let line = self
            ._server
            .wait_line("/operator/setup/")
            .expect("owums serve prints the setup link");
        let start = line.find("http://127.0.0.1:").unwrap();
        line[start..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '"')
            .collect()
    }

    async fn goto(&self, path: &str) {
        self.browser.goto(&format!("{}{path}", self.base)).await;
    }

    /// Keeps the page as `console-<tag>-<name>.png`.
    async fn shot(&self, name: &str) {
        self.browser
            .screenshot(&format!("console-{}-{name}", self.tag))
            .await;
    }

    /// Clicks the submit button of the form posting to `action`.
    async fn submit(&self, action: &str) {
        self.browser
            .find(&format!("form[action='{action}'] button[type=submit]"))
            .await
            .click()
            .await;
    }

    /// Waits until the browser shows exactly `path`.
    async fn wait_at(&self, path: &str) {
        self.browser
            .wait_for_script(
                path,
                &format!("return location.pathname === {};", json!(path)),
            )
            .await;
    }

    /// The text of the first `code.secret` on the page (a password or secret shown once).
    async fn secret(&self) -> String {
        self.browser.find("code.secret").await.text().await
    }

    async fn log_out(&self) {
        self.submit("/operator/logout").await;
        self.wait_at("/operator/login").await;
    }

    async fn log_in(&self, username: &str, password: &str) {
        self.goto("/operator/login").await;
        self.browser.fill("username", username).await;
        self.browser.fill("password", password).await;
        self.submit("/operator/login").await;
    }

    /// The audit log's actions, oldest first.
    async fn audit_actions(&self) -> Vec<String> {
        let page = AuditLog::new(self.db.store.clone())
            .query(&AuditFilter::default(), 1, 500)
            .await
            .unwrap();
        page.rows.iter().rev().map(|r| r.action.clone()).collect()
    }
}

/// First run: the setup link, the superadmin's password, the console's home.
async fn first_run(s: &mut Story) {
    let link = s.setup_link();
    s.browser.goto(&link).await;
    s.shot("setup").await;
    s.browser.fill("username", "root").await;
    s.browser.fill("password", ROOT_PASSWORD).await;
    s.browser.fill("password_confirmation", ROOT_PASSWORD).await;
    s.browser
        .find("form button[type=submit]")
        .await
        .click()
        .await;
    s.wait_at("/operator").await;
    s.shot("home").await;
}

/// The superadmin creates `helpdesk` with the `operator` preset; its password, shown once.
async fn create_helpdesk(s: &Story) -> String {
    s.goto("/operator/operators").await;
    s.shot("operators").await;
    s.browser.fill("username", "helpdesk").await;
    let preset = s.browser.find("select[name=preset]").await;
    s.browser
        .exec("arguments[0].value = 'operator';", json!([preset.as_arg()]))
        .await;
    s.submit("/operator/operators").await;
    s.browser
        .wait_for_script(
            "the password shown once",
            "return document.querySelector('code.secret') !== null;",
        )
        .await;
    s.shot("operator-password").await;
    s.secret().await
}

/// `helpdesk` logs in, enrols a second factor, logs out, and logs in with password and code.
async fn helpdesk_with_totp(s: &Story, password: &str) {
    s.log_in("helpdesk", password).await;
    s.wait_at("/operator").await;
    s.goto("/operator/totp").await;
    s.shot("totp").await;
    let secret = s.secret().await;
    let code = totp_code(&secret, Utc::now()).unwrap();
    s.browser.fill("code", &code).await;
    s.submit("/operator/totp").await;
    s.browser
        .wait_for_script(
            "the recovery codes",
            "return document.body.innerText.includes('-');",
        )
        .await;
    s.shot("recovery-codes").await;
    s.goto("/operator").await;
    s.log_out().await;
    s.log_in("helpdesk", password).await;
    s.wait_at("/operator/login/code").await;
    s.shot("login-code").await;
    // the next step's code: the one just used for enrolling is not taken twice
    let code = totp_code(&secret, Utc::now() + Duration::seconds(30)).unwrap();
    s.browser.fill("code", &code).await;
    s.submit("/operator/login/code").await;
    s.wait_at("/operator").await;
    let menu = s.browser.find("main").await.text().await;
    assert!(
        !menu.contains("Operators"),
        "the operator preset does not manage operators:\n{menu}"
    );
}

async fn story(tag: &'static str, phone: bool) {
    let Some(mut s) = Story::start(tag, phone).await else {
        return;
    };
    first_run(&mut s).await;
    let password = create_helpdesk(&s).await;
    s.log_out().await;
    helpdesk_with_totp(&s, &password).await;
    let actions = s.audit_actions().await;
    for expected in ["operator.setup", "operator.create", "operator.totp_enrol"] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in the audit log: {actions:?}"
        );
    }
    let _ = &s.radius;
    s.browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_story_at_desktop_size() {
    story("desktop", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_story_at_phone_size() {
    story("phone", true).await;
}
