//! The console through poem's test client: first run, login, session rotation, the address
//! check, the second factor, CSRF and the permission guard.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use owums_core::Settings;
use owums_core::operator::{
    AuditFilter, AuditLog, Operators, Permission, Permissions, Preset, totp_code,
};
use owums_core::subscriber::WebSessions;
use owums_server::AppState;
use owums_server::ratelimit::LimitClock;
use poem::EndpointExt;
use poem::http::StatusCode;

use crate::pages::{Browser, Page, config};
use crate::support::{TestDb, db_test};

pub(crate) const PASSWORD: &str = "Tulip-Harbor-93";

/// The console's clock, moved by the test.
#[derive(Clone)]
pub(crate) struct Clock(Arc<Mutex<DateTime<Utc>>>);

impl Clock {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
    pub(crate) fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

/// A clock that starts now.
pub(crate) fn clock_now() -> Clock {
    Clock(Arc::new(Mutex::new(Utc::now())))
}

/// A browser of a server over `db` (behind a proxy on 127.0.0.1, so `X-Forwarded-For`
/// names the client) whose clock the test moves.
pub(crate) fn browser(db: &TestDb) -> (Browser, Clock) {
    let mut cfg = config(&["phone"]);
    cfg.web.trusted_proxies = vec!["127.0.0.1/32".to_owned()];
    let clock = clock_now();
    let read = clock.clone();
    let mut state =
        AppState::with_store(&cfg, db.store.clone(), &crate::pages::registry()).unwrap();
    state.limit_clock = Arc::new(move || read.now()) as LimitClock;
    let mut b = Browser::over(owums_server::app(state).map_to_response().boxed());
    b.forwarded_for = Some("198.51.100.10".to_owned());
    (b, clock)
}

/// The operator session cookie the browser holds.
pub(crate) fn session(b: &Browser) -> Option<String> {
    b.jar.get("owums_operator").cloned()
}

/// Logs in with the login form; the answer to the POST.
pub(crate) async fn log_in(b: &mut Browser, username: &str, password: &str) -> Page {
    let form = b.get("/operator/login").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let csrf = form.csrf();
    b.post(
        "/operator/login",
        &[
            ("csrf_token", &csrf),
            ("username", username),
            ("password", password),
        ],
    )
    .await
}

db_test!(first_run_link_makes_the_superadmin_once, |db| {
    let (mut b, clock) = browser(&db);
    let ops = Operators::new(db.store.clone());
    let expired = ops.start_setup(clock.now()).await.unwrap().unwrap();
    clock.advance(Duration::minutes(61));
    assert_eq!(
        b.get(&format!("/operator/setup/{expired}")).await.status,
        StatusCode::NOT_FOUND
    );
    let token = ops.start_setup(clock.now()).await.unwrap().unwrap();
    let path = format!("/operator/setup/{token}");
    let page = b.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.has(r#"name="password_confirmation""#);
    let csrf = page.csrf();
    // CSRF refused, weak password refused, nothing created
    let p = b
        .post(
            &path,
            &[
                ("csrf_token", "nope"),
                ("username", "root1"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = b
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("username", "root1"),
                ("password", "password"),
                ("password_confirmation", "password"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert_eq!(ops.count().await.unwrap(), 0);
    let p = b
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("username", "Root1"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/operator"));
    let home = b.get("/operator").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    home.has("root1")
        .has(r#"href="/operator/operators""#)
        .has(r#"href="/operator/audit""#);
    // used: gone, for anyone
    b.clear_cookies();
    assert_eq!(b.get(&path).await.status, StatusCode::NOT_FOUND);
    assert!(ops.start_setup(clock.now()).await.unwrap().is_none());
    let root = ops.find_by_username("root1").await.unwrap().unwrap();
    assert_eq!(root.permissions, Preset::Superadmin.permissions());
    let rows = AuditLog::new(db.store.clone())
        .query(&AuditFilter::default(), 1, 10)
        .await
        .unwrap()
        .rows;
    assert_eq!(rows[0].action, "operator.setup");
    assert_eq!(rows[0].client_ip.as_deref(), Some("198.51.100.10"));
});

db_test!(
    login_rotates_the_session_and_ends_it_when_the_address_changes,
    |db| {
        let (mut b, _) = browser(&db);
        let ops = Operators::new(db.store.clone());
        ops.create("anna", PASSWORD, Preset::Operator.permissions())
            .await
            .unwrap();
        // not logged in: the login page
        let p = b.get("/operator").await;
        assert_eq!(p.location.as_deref(), Some("/operator/login"));
        // a wrong password: one generic message
        let p = log_in(&mut b, "anna", "Wrong-Guess-111").await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
        p.has("Wrong username or password.");
        assert!(session(&b).is_none());
        // a session planted before the login is not the one after it
        let sessions = WebSessions::new(db.store.clone());
        let (planted, _) = sessions
            .log_in_operator(
                ops.find_by_username("anna").await.unwrap().unwrap().id,
                &serde_json::json!({"ip": "198.51.100.10", "stage": "code"}),
            )
            .await
            .unwrap();
        b.jar
            .insert("owums_operator".into(), planted.as_str().to_owned());
        let p = log_in(&mut b, "ANNA", PASSWORD).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let token = session(&b).unwrap();
        assert_ne!(token, planted.as_str());
        assert!(
            sessions.get(planted.as_str()).await.unwrap().is_none(),
            "old session gone"
        );
        assert!(
            p.set_cookie
                .iter()
                .any(|c| c.starts_with("owums_operator=") && c.contains("HttpOnly"))
        );
        let home = b.get("/operator").await;
        assert_eq!(home.status, StatusCode::OK);
        // the menu shows only what the permissions allow
        home.has(r#"href="/operator/users""#)
            .has(r#"href="/operator/groups""#);
        home.lacks(r#"href="/operator/operators""#)
            .lacks(r#"href="/operator/audit""#)
            .lacks(r#"href="/operator/settings""#);
        // from another address: the session ends, with a message
        b.forwarded_for = Some("203.0.113.99".to_owned());
        let p = b.get("/operator").await;
        assert_eq!(p.location.as_deref(), Some("/operator/login?ended=ip"));
        assert!(sessions.get(&token).await.unwrap().is_none());
        b.get("/operator/login?ended=ip")
            .await
            .has("network address changed");
        // with the setting off, an address change is allowed
        Settings::new(db.store.clone())
            .set("operator_logout_on_ip_change", "false")
            .await
            .unwrap();
        assert_eq!(
            log_in(&mut b, "anna", PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
        b.forwarded_for = Some("203.0.113.100".to_owned());
        assert_eq!(b.get("/operator").await.status, StatusCode::OK);
        // logging out needs the session's CSRF token
        let home = b.get("/operator").await;
        assert_eq!(
            b.post("/operator/logout", &[("csrf_token", "nope")])
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let p = b
            .post("/operator/logout", &[("csrf_token", &home.csrf())])
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER);
        assert_eq!(
            b.get("/operator").await.location.as_deref(),
            Some("/operator/login")
        );
        let anna = ops.find_by_username("anna").await.unwrap().unwrap();
        assert_eq!(anna.login_count, 2);
    }
);

db_test!(login_is_rate_limited_and_csrf_checked, |db| {
    let (mut b, _) = browser(&db);
    let ops = Operators::new(db.store.clone());
    ops.create("anna", PASSWORD, Preset::Operator.permissions())
        .await
        .unwrap();
    let form = b.get("/operator/login").await;
    let p = b
        .post(
            "/operator/login",
            &[
                ("csrf_token", "nope"),
                ("username", "anna"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(session(&b).is_none());
    let csrf = form.csrf();
    let p = b
        .post_raw_with(
            "/operator/login",
            crate::pages::serde_urlencoded_like(&[
                ("csrf_token", &csrf),
                ("username", "anna"),
                ("password", PASSWORD),
            ])
            .into_bytes(),
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "cross-site");
    // 10 wrong passwords for this account from this address, then even the right one waits
    for _ in 0..10 {
        assert_eq!(
            log_in(&mut b, "anna", "Wrong-Guess-111").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let p = log_in(&mut b, "anna", PASSWORD).await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(p.headers.contains_key("retry-after"));
    assert!(session(&b).is_none());
    // another address is not locked out
    b.forwarded_for = Some("198.51.100.11".to_owned());
    assert_eq!(
        log_in(&mut b, "anna", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
});

db_test!(second_factor_enrolment_login_and_recovery_codes, |db| {
    let (mut b, clock) = browser(&db);
    let ops = Operators::new(db.store.clone());
    let (anna, _) = ops
        .create("anna", PASSWORD, Preset::Admin.permissions())
        .await
        .unwrap();
    Settings::new(db.store.clone())
        .set("operator_totp_required", "true")
        .await
        .unwrap();
    // required: the login leads to the enrolment, nothing else opens
    let p = log_in(&mut b, "anna", PASSWORD).await;
    assert_eq!(p.location.as_deref(), Some("/operator/totp"));
    assert_eq!(
        b.get("/operator").await.location.as_deref(),
        Some("/operator/totp")
    );
    let page = b.get("/operator/totp").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.has("<svg").has(r#"<path d="M"#);
    let start = page.body.find(r#"<code class="secret">"#).unwrap() + 21;
    let secret = page.body[start..start + 32].to_owned();
    let csrf = page.csrf();
    assert_eq!(
        b.post(
            "/operator/totp",
            &[
                ("csrf_token", "nope"),
                ("code", &totp_code(&secret, clock.now()).unwrap())
            ]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let p = b
        .post(
            "/operator/totp",
            &[("csrf_token", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = b
        .post(
            "/operator/totp",
            &[
                ("csrf_token", &csrf),
                ("code", &totp_code(&secret, clock.now()).unwrap()),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let codes: Vec<String> = p
        .body
        .split("<li><code>")
        .skip(1)
        .map(|s| s[..11].to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{}", p.body);
    assert_eq!(
        b.get("/operator").await.status,
        StatusCode::OK,
        "enrolled: in"
    );
    assert!(ops.find(anna.id).await.unwrap().unwrap().totp_enabled);

    // next login: the password, then the code of the test's time
    b.clear_cookies();
    clock.advance(Duration::minutes(5));
    let p = log_in(&mut b, "anna", PASSWORD).await;
    assert_eq!(p.location.as_deref(), Some("/operator/login/code"));
    let half = session(&b).unwrap();
    assert_eq!(
        b.get("/operator").await.location.as_deref(),
        Some("/operator/login/code")
    );
    let page = b.get("/operator/login/code").await;
    let csrf = page.csrf();
    let p = b
        .post(
            "/operator/login/code",
            &[("csrf_token", "nope"), ("code", "123456")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "CSRF");
    let p = b
        .post(
            "/operator/login/code",
            &[("csrf_token", &csrf), ("code", "123456")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    let code = totp_code(&secret, clock.now()).unwrap();
    let p = b
        .post(
            "/operator/login/code",
            &[("csrf_token", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(p.location.as_deref(), Some("/operator"), "{}", p.body);
    assert_ne!(
        session(&b).unwrap(),
        half,
        "rotated after the second factor"
    );
    assert_eq!(b.get("/operator").await.status, StatusCode::OK);

    // a recovery code works once
    for (round, expected) in [(1, "/operator"), (2, "")] {
        b.clear_cookies();
        log_in(&mut b, "anna", PASSWORD).await;
        let csrf = b.get("/operator/login/code").await.csrf();
        let p = b
            .post(
                "/operator/login/code",
                &[("csrf_token", &csrf), ("code", &codes[0])],
            )
            .await;
        if round == 1 {
            assert_eq!(p.location.as_deref(), Some(expected));
        } else {
            assert_eq!(p.status, StatusCode::UNAUTHORIZED, "used up");
        }
    }
    let rows = AuditLog::new(db.store.clone())
        .query(
            &AuditFilter {
                action: Some("operator.totp_enrol".into()),
                ..Default::default()
            },
            1,
            10,
        )
        .await
        .unwrap()
        .rows;
    assert_eq!(rows.len(), 1);
    assert!(
        !serde_json::to_string(&rows[0].changes)
            .unwrap()
            .contains(&secret)
    );
});

db_test!(
    pages_of_the_console_are_translated_and_403_is_styled,
    |db| {
        let (mut b, _) = browser(&db);
        let ops = Operators::new(db.store.clone());
        let mut all_but: Permissions = Permissions::all();
        all_but.remove(Permission::OperatorsManager);
        ops.create("bruno", PASSWORD, all_but).await.unwrap();
        b.accept_language = "it".into();
        log_in(&mut b, "bruno", PASSWORD).await;
        let home = b.get("/operator").await;
        assert_eq!(home.lang(), "it");
        home.has("Console operatori").has("Utenti");
        b.accept_language = "es".into();
        b.get("/operator")
            .await
            .has("Consola de operadores")
            .has("Usuarios");
        b.clear_cookies();
        b.get("/operator/login").await.has("Acceso de operadores");
    }
);
