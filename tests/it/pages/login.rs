//! Login and logout: case-insensitive usernames, one generic error, inactive users refused,
//! a new session id on login, the session gone on logout, and rate limits.

use owums_core::subscriber::{WebSessionKind, WebSessions};
use poem::http::StatusCode;

use super::{Browser, config};
use crate::support::{db_test, new_user, subscribers};

db_test!(login_is_case_insensitive_and_rotates_the_session, |db| {
    let user = subscribers(&db)
        .create(new_user("giulia"), true, &[])
        .await
        .unwrap();
    let mut b = Browser::new(&db, &config(&["phone"])).await;
    let form = b.get("/account/login").await;
    form.has(r#"name="username""#).has(r#"name="password""#);
    assert!(b.cookie.is_none(), "no session for the form");
    // A session held before logging in (e.g. one planted by someone else) is not kept.
    let sessions = WebSessions::new(db.store.clone());
    let (planted, _) = sessions.create(WebSessionKind::Web, None).await.unwrap();
    b.cookie = Some(planted.as_str().to_owned());
    let before = b.cookie.clone().unwrap();
    let p = b
        .post(
            "/account/login",
            &[
                ("csrf_token", &form.csrf()),
                ("username", "GIULIA"),
                ("password", "Tulip-Harbor-93"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/account"));
    let cookie = &p.set_cookie[0];
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let after = b.cookie.clone().unwrap();
    assert_ne!(before, after);
    assert!(
        sessions.get(&before).await.unwrap().is_none(),
        "old id dead"
    );
    assert_eq!(
        sessions.get(&after).await.unwrap().unwrap().user_id,
        Some(user.id)
    );
    let account = b.get("/account").await;
    assert_eq!(account.status, StatusCode::OK, "{}", account.body);
    account.has("giulia").has(r#"action="/account/logout""#);
    // Logging out needs the form's token and deletes the session.
    let p = b.post("/account/logout", &[("csrf_token", "nope")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let csrf = account.csrf();
    let p = b.post("/account/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(p.set_cookie[0].contains("Max-Age=0"));
    assert!(
        sessions.get(&after).await.unwrap().is_none(),
        "session deleted"
    );
    b.cookie = Some(after);
    assert_eq!(
        b.get("/account").await.location.as_deref(),
        Some("/account/login")
    );
});

db_test!(
    login_refuses_wrong_passwords_and_inactive_users_alike,
    |db| {
        let s = subscribers(&db);
        s.create(new_user("paolo"), true, &[]).await.unwrap();
        let off = s.create(new_user("spento"), true, &[]).await.unwrap();
        s.deactivate(off.id).await.unwrap();
        let mut b = Browser::new(&db, &config(&["phone"])).await;
        b.accept_language = "es".to_owned();
        let csrf = b.get("/account/login").await.csrf();
        let mut bodies = Vec::new();
        for (user, pass) in [
            ("paolo", "wrong-pass1"),
            ("spento", "Tulip-Harbor-93"),
            ("nessuno", "Tulip-Harbor-93"),
        ] {
            let p = b
                .post(
                    "/account/login",
                    &[
                        ("csrf_token", &csrf),
                        ("username", user),
                        ("password", pass),
                    ],
                )
                .await;
            assert_eq!(p.status, StatusCode::UNAUTHORIZED, "{user}");
            assert_eq!(p.lang(), "es");
            p.has("Nombre de usuario o contraseña incorrectos.");
            bodies.push(p.body.replace(user, "USER"));
        }
        assert_eq!(bodies[0], bodies[1], "inactive looks like a wrong password");
        assert_eq!(bodies[1], bodies[2], "unknown looks like a wrong password");
        assert!(b.cookie.is_none(), "failed logins start no session");
    }
);

db_test!(
    login_attempts_are_limited_per_account_and_per_address,
    |db| {
        subscribers(&db)
            .create(new_user("luca"), true, &[])
            .await
            .unwrap();
        let mut cfg = config(&["phone"]);
        cfg.web.rate_limits.login_per_account = 3;
        cfg.web.rate_limits.login_per_ip = 5;
        cfg.web.rate_limits.window_seconds = 3600;
        let mut b = Browser::new(&db, &cfg).await;
        b.accept_language = "it".to_owned();
        let csrf = b.get("/account/login").await.csrf();
        for _ in 0..3 {
            let p = b
                .post(
                    "/account/login",
                    &[
                        ("csrf_token", &csrf),
                        ("username", "luca"),
                        ("password", "x"),
                    ],
                )
                .await;
            assert_eq!(p.status, StatusCode::UNAUTHORIZED);
        }
        // Even the right password waits now.
        let p = b
            .post(
                "/account/login",
                &[
                    ("csrf_token", &csrf),
                    ("username", "LUCA"),
                    ("password", "Tulip-Harbor-93"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
        p.has("Troppi tentativi. Riprova tra");
        assert!(p.headers.contains_key("retry-after"));
        // Other accounts from the same address still get their attempts, up to the address
        // limit (every attempt counts, the refused one too).
        let p = b
            .post(
                "/account/login",
                &[
                    ("csrf_token", &csrf),
                    ("username", "altro"),
                    ("password", "x"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
        let p = b
            .post(
                "/account/login",
                &[
                    ("csrf_token", &csrf),
                    ("username", "altro3"),
                    ("password", "x"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS, "address limit");
    }
);
