//! The operator console end to end in headless Chromium, at desktop and at phone size,
//! against a real `owums serve` and a real FreeRADIUS (REST mode) asking it: the first-run
//! setup link makes the superadmin, who creates a helpdesk operator with the `operator`
//! preset and changes a runtime setting (a second `owums serve` on the same database shows
//! it on its next request). The helpdesk operator enrols a second factor, logs in with it,
//! creates a subscriber with a generated password, prints the ticket as a PDF (read back by
//! poppler), disables the subscriber (FreeRADIUS rejects them) and enables them again
//! (accepted), and creates a subscriber by ID card with a photo of the document. The
//! superadmin then gives the subscribers' group a Session-Timeout, which the next
//! Access-Accept carries; root makes an operator API token on the tokens page and, through
//! the API, switches the subscriber off (FreeRADIUS rejects) and on. Every console page
//! visited is kept as a screenshot (`target/screenshots/console-*`), and the audit log holds
//! each action.

use std::sync::Arc;

use chrono::{Duration, Utc};
use owums_core::operator::{AuditFilter, AuditLog, totp_code};
use serde_json::json;

use crate::freeradius_rest_e2e::TOKEN;
use crate::support::browser::Browser;
use crate::support::cli::{Serving, http_get, serve_command};
use crate::support::freeradius::{FreeRadius, FreeRadiusOptions, RadiusReply, RestBackend};
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
        std::fs::write(
            dir.path().join("plugins.toml"),
            "[plugins.id_card]\nenabled = true\n",
        )
        .unwrap();
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
            FreeRadius::start_rest(
                &rest,
                FreeRadiusOptions {
                    local_client: true,
                    ..Default::default()
                },
            )
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

    /// Asks FreeRADIUS to authenticate `user` with `password` (PAP).
    async fn radius_login(&self, user: &str, password: &str) -> RadiusReply {
        let (fr, user, password) = (self.radius.clone(), user.to_owned(), password.to_owned());
        tokio::task::spawn_blocking(move || fr.authenticate(&user, &password))
            .await
            .unwrap()
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

/// The superadmin writes the subscribers' home page instructions; a second `owums serve`
/// on the same database shows them on its next request.
async fn setting_in_two_processes(s: &Story) {
    s.goto("/operator/settings").await;
    s.shot("settings").await;
    s.goto("/operator/settings/custom_account_instructions_en")
        .await;
    let field = s.browser.find("textarea[name=value]").await;
    field.clear().await;
    field
        .send_keys("Ask **Maria** at the bar for a ticket.")
        .await;
    s.submit("/operator/settings/custom_account_instructions_en")
        .await;
    s.browser
        .wait_for_script(
            "the saved notice",
            "return document.querySelector('.notice') !== null;",
        )
        .await;
    s.shot("setting").await;
    let dir = tempfile::tempdir().unwrap();
    let mut second = Serving::spawn(
        serve_command(dir.path())
            .env("OWUMS_DATABASE__URL", &s.db.url)
            .env("OWUMS_FREERADIUS__TOKEN", TOKEN),
    );
    let addr = second.http_addr().to_string();
    let (code, home) = http_get(&addr, "/?locale=en").unwrap();
    assert_eq!(code, 200);
    assert!(
        home.contains("Ask <strong>Maria</strong> at the bar for a ticket."),
        "the second process shows the new instructions:\n{home}"
    );
}

/// Creates subscriber `name` (method: no verification, generated password) and returns
/// their id and the password from the ticket, after checking the ticket's PDF.
async fn create_subscriber(s: &Story, name: &str) -> (String, String) {
    s.goto("/operator/users/new?method=none").await;
    s.shot("user-new").await;
    s.browser.fill("username", name).await;
    s.browser.fill("given_name", "Teresa").await;
    s.browser.fill("surname", "Bianchi").await;
    s.browser
        .fill("email", &format!("{name}@example.org"))
        .await;
    s.submit("/operator/users/new").await;
    s.browser
        .wait_for_script(
            "the ticket",
            "return document.querySelector('#ticket-password') !== null;",
        )
        .await;
    s.shot("ticket").await;
    let username = s.browser.find("#ticket-username").await.text().await;
    assert_eq!(username, name);
    let password = s.browser.find("#ticket-password").await.text().await;
    assert!(password.len() >= 10, "a generated password: {password}");
    // the PDF, fetched by the page's own form
    let got = s
        .browser
        .exec(
            "return (async () => {
               const f = document.querySelector(\"form[action$='/ticket.pdf']\");
               const r = await fetch(f.action, {method: 'POST',
                 body: new URLSearchParams(new FormData(f))});
               const b = new Uint8Array(await r.arrayBuffer());
               let t = ''; for (const x of b) t += String.fromCharCode(x);
               return [r.status, r.headers.get('content-type'), btoa(t), f.action];
             })();",
            json!([]),
        )
        .await;
    assert_eq!(got[0], json!(200), "{got}");
    assert_eq!(got[1], json!("application/pdf"));
    let pdf = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        got[2].as_str().unwrap(),
    )
    .unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &pdf).unwrap();
    let text = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(file.path())
        .arg("-")
        .output()
        .expect("pdftotext (scripts/install-peers)");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(name) && text.contains(&password),
        "the ticket PDF shows the username and password:\n{text}"
    );
    let action = got[3].as_str().unwrap();
    let id = action
        .trim_end_matches("/ticket.pdf")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    (id, password)
}

/// Disables subscriber `id` from their page (FreeRADIUS then rejects them) and enables
/// them again (accepted).
async fn disable_and_enable(s: &Story, id: &str, name: &str, password: &str) {
    assert!(
        s.radius_login(name, password).await.is_accept(),
        "new: accepted"
    );
    let page = format!("/operator/users/{id}");
    s.goto(&page).await;
    s.shot("user").await;
    s.submit(&format!("{page}/disable")).await;
    s.browser
        .wait_for_script(
            "the enable button",
            &format!("return document.querySelector(\"form[action='{page}/enable']\") !== null;"),
        )
        .await;
    s.shot("user-disabled").await;
    assert!(
        s.radius_login(name, password).await.is_reject(),
        "disabled: FreeRADIUS rejects at once"
    );
    s.submit(&format!("{page}/enable")).await;
    s.browser
        .wait_for_script(
            "the disable button",
            &format!("return document.querySelector(\"form[action='{page}/disable']\") !== null;"),
        )
        .await;
    assert!(
        s.radius_login(name, password).await.is_accept(),
        "enabled again: accepted"
    );
    s.goto("/operator/users").await;
    s.shot("users").await;
}

/// Creates a subscriber by ID card with a photo of the document (a JPEG made here).
async fn create_by_id_card(s: &Story) {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("document.jpg");
    image::RgbImage::from_fn(640, 400, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    })
    .save(&photo)
    .unwrap();
    s.goto("/operator/users/new?method=id_card").await;
    s.shot("user-new-id-card").await;
    s.browser.fill("username", "carla.id").await;
    s.browser.fill("given_name", "Carla").await;
    s.browser.fill("surname", "Verdi").await;
    s.browser.fill("number", "CA12345XY").await;
    let select = s.browser.find("select[name=document_type]").await;
    s.browser
        .exec("arguments[0].selectedIndex = 1;", json!([select.as_arg()]))
        .await;
    s.browser
        .find("input[type=file][name=photo]")
        .await
        .send_keys(photo.to_str().unwrap())
        .await;
    // Enter in the last text field sends the form, as a keyboard user would (a click
    // right after choosing a file is lost in Chromium's phone emulation)
    s.browser
        .find("input[name=issuing_authority]")
        .await
        .send_keys("Comune di Lecce\u{E007}")
        .await;
    s.browser
        .wait_for_script(
            "the ticket",
            "return document.querySelector('#ticket-password') !== null;",
        )
        .await;
    let action = s
        .browser
        .exec(
            "return document.querySelector(\"form[action$='/ticket.pdf']\").action;",
            json!([]),
        )
        .await;
    let id = action
        .as_str()
        .unwrap()
        .trim_end_matches("/ticket.pdf")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    s.goto(&format!("/operator/users/{id}")).await;
    s.browser
        .wait_for_script(
            "the document's thumbnail",
            "const i = document.querySelector(\"img[src*='/attachments/']\");
             return i !== null && i.complete && i.naturalWidth > 0;",
        )
        .await;
    s.shot("user-id-card").await;
}

/// The superadmin shortens the Session-Timeout of the subscribers' group `Users` (3600 s
/// out of the box) to 1800 s; the next Access-Accept of a member carries it.
async fn group_session_timeout(s: &Story, name: &str, password: &str) {
    let before = s.radius_login(name, password).await;
    assert!(before.is_accept());
    assert_eq!(before.attr("Session-Timeout"), Some("3600"), "{before:?}");
    s.goto("/operator/groups").await;
    s.shot("groups").await;
    s.goto("/operator/groups/Users").await;
    let item = "form[action$='/change']:has(input[name=attribute][value='Session-Timeout'])";
    let value = s.browser.find(&format!("{item} [name=value]")).await;
    value.clear().await;
    value.send_keys("1800").await;
    s.browser
        .find(&format!("{item} button[type=submit]"))
        .await
        .click()
        .await;
    s.browser
        .wait_for_script(
            "the changed reply item",
            "return document.querySelector(\"input[value='1800']\") !== null;",
        )
        .await;
    s.shot("group").await;
    let after = s.radius_login(name, password).await;
    assert!(after.is_accept());
    assert_eq!(after.attr("Session-Timeout"), Some("1800"), "{after:?}");
}

/// An operator API token made on the console's page; with it, through the real server,
/// the API switches the subscriber off (FreeRADIUS rejects them) and on again.
async fn api_token(s: &Story, id: &str, name: &str, password: &str) {
    s.goto("/operator/tokens").await;
    s.shot("tokens").await;
    s.browser.fill("name", "billing sync").await;
    s.submit("/operator/tokens").await;
    s.browser
        .wait_for_script(
            "the token shown once",
            "return document.querySelector('code.secret') !== null;",
        )
        .await;
    s.shot("token-shown").await;
    let token = s.secret().await;
    assert!(token.starts_with("owums_op_"), "{token}");
    let api = reqwest::Client::new();
    let call = async |method: reqwest::Method, path: &str| {
        let r = api
            .request(method, format!("{}/api/v1{path}", s.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (
            status,
            serde_json::from_str::<serde_json::Value>(&r.text().await.unwrap()).unwrap_or_default(),
        )
    };
    let (status, me) = call(reqwest::Method::GET, "/operator/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["token"], "billing sync");
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("/operator/users/{id}/disable"),
    )
    .await;
    assert_eq!(
        (status, &body["status"]),
        (200, &json!("inactive")),
        "{body}"
    );
    assert!(
        !s.radius_login(name, password).await.is_accept(),
        "off through the API"
    );
    let (status, _) = call(
        reqwest::Method::POST,
        &format!("/operator/users/{id}/enable"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(s.radius_login(name, password).await.is_accept(), "on again");
    s.goto("/operator/tokens").await;
    s.shot("tokens-listed").await;
}

async fn story(tag: &'static str, phone: bool) {
    let Some(mut s) = Story::start(tag, phone).await else {
        return;
    };
    first_run(&mut s).await;
    let password = create_helpdesk(&s).await;
    setting_in_two_processes(&s).await;
    s.log_out().await;
    helpdesk_with_totp(&s, &password).await;
    let (id, subscriber_password) = create_subscriber(&s, "teresa").await;
    disable_and_enable(&s, &id, "teresa", &subscriber_password).await;
    create_by_id_card(&s).await;
    s.log_out().await;
    s.log_in("root", ROOT_PASSWORD).await;
    s.wait_at("/operator").await;
    group_session_timeout(&s, "teresa", &subscriber_password).await;
    api_token(&s, &id, "teresa", &subscriber_password).await;
    let actions = s.audit_actions().await;
    for expected in [
        "operator.setup",
        "operator.create",
        "setting.update",
        "operator.totp_enrol",
        "user.create",
        "user.disable",
        "user.enable",
        "group.reply.update",
        "operator.token_create",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in the audit log: {actions:?}"
        );
    }
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
