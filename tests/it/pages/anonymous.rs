//! Anonymous visitors: no server-side session for a visit, the CSRF token of their forms in a
//! double-submit cookie, forms from other sites refused, their language in a cookie, and a
//! session only at login (or while a captcha answer must be kept, briefly).

use chrono::Duration;
use owums_core::subscriber::WebSessions;
use poem::http::StatusCode;

use super::signup::{fields, no_captcha, with};
use super::{Browser, CALL_NUMBER, Page, config};
use crate::support::{TestDb, db_test, new_user, subscribers};

/// The pages anyone may open, and a page that does not exist.
const PUBLIC: &[&str] = &[
    "/",
    "/account/login",
    "/account/signup",
    "/account/reset",
    "/account/reset/phone",
    "/account/reset/phone/wait",
    "/account/reset/phone/status.json",
    "/account/verification",
    "/account/status.json",
    "/account/login?locale=it",
    "/no/such/page",
];

/// How many sessions are stored, live or expired.
async fn sessions(db: &TestDb) -> usize {
    let sql = crate::bad_input::count_rows(db.backend(), "owums_sessions");
    db.strings(&sql).await.unwrap()[0].parse().unwrap()
}

/// The `Set-Cookie` of `name` in `page`, if any.
fn set_cookie<'p>(page: &'p Page, name: &str) -> Option<&'p str> {
    let prefix = format!("{name}=");
    page.set_cookie
        .iter()
        .find(|c| c.starts_with(&prefix))
        .map(String::as_str)
}

db_test!(anonymous_visits_store_no_session, |db| {
    no_captcha(&db).await;
    let cfg = config(&["phone"]);
    // A client without cookies, many times, and a browser that keeps them.
    for _ in 0..5 {
        for path in PUBLIC {
            let mut fresh = Browser::new(&db, &cfg).await;
            let p = fresh.get(path).await;
            assert!(p.status.as_u16() < 500, "{path}: {}", p.status);
            assert!(set_cookie(&p, "owums_session").is_none(), "{path}");
        }
    }
    let mut b = Browser::new(&db, &cfg).await;
    for path in PUBLIC {
        b.get(path).await;
    }
    assert_eq!(sessions(&db).await, 0, "no session for anonymous pages");
    assert!(b.cookie.is_none());
    // The login form's token is a cookie of the browser, not a row of ours.
    let mut b = Browser::new(&db, &cfg).await;
    let p = b.get("/account/login").await;
    let cookie = set_cookie(&p, "owums_csrf").expect("a CSRF cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert_eq!(b.jar["owums_csrf"], p.csrf());
    assert_eq!(p.csrf().len(), 64);
    // Pages without a form set no cookie at all; a known cookie is not set again.
    assert!(b.get("/").await.set_cookie.is_empty());
    let again = b.get("/account/signup").await;
    assert!(again.set_cookie.is_empty());
    assert_eq!(again.csrf(), p.csrf());
    assert_eq!(sessions(&db).await, 0);
});

db_test!(anonymous_forms_need_the_cookie_and_its_token, |db| {
    no_captcha(&db).await;
    subscribers(&db)
        .create(new_user("marta"), true, &[])
        .await
        .unwrap();
    let mut b = Browser::new(&db, &config(&["phone"])).await;
    b.accept_language = "it".to_owned();
    let csrf = b.get("/account/signup").await.csrf();
    assert!(b.jar.contains_key("owums_csrf"));
    let login = [
        ("csrf_token", csrf.as_str()),
        ("username", "marta"),
        ("password", "Tulip-Harbor-93"),
    ];
    // The token of the form, but not the browser's cookie (another browser's token).
    let mut stranger = Browser::new(&db, &config(&["phone"])).await;
    stranger.accept_language = "it".to_owned();
    let p = stranger
        .post("/account/signup", &fields(&csrf, "anna"))
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    p.has("Il modulo è scaduto");
    let p = stranger.post("/account/login", &login).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // The cookie, but another token in the form.
    let wrong = "0".repeat(64);
    let p = b.post("/account/signup", &fields(&wrong, "anna")).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    p.has("Il modulo è scaduto");
    let p = b
        .post("/account/login", &with(login.to_vec(), "csrf_token", ""))
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = b
        .post_raw("/account/login", b"csrf_token=%FF".to_vec())
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    p.has("caratteri che non sono testo valido");
    assert_eq!(db.store.count_users().await.unwrap(), 1, "no sign-up");
    assert_eq!(sessions(&db).await, 0, "no login");
    assert!(b.cookie.is_none() && stranger.cookie.is_none());
    // The cookie and its token: the login goes through.
    let p = b.post("/account/login", &login).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(sessions(&db).await, 1);
});

db_test!(forms_sent_from_other_sites_are_refused, |db| {
    no_captcha(&db).await;
    subscribers(&db)
        .create(new_user("dario"), true, &[])
        .await
        .unwrap();
    let mut b = Browser::new(&db, &config(&["phone"])).await;
    b.accept_language = "es".to_owned();
    let csrf = b.get("/account/login").await.csrf();
    let body = crate::pages::serde_urlencoded_like(&[
        ("csrf_token", csrf.as_str()),
        ("username", "dario"),
        ("password", "Tulip-Harbor-93"),
    ])
    .into_bytes();
    let host = ("host", "wifi.example.org");
    for foreign in [
        [host, ("sec-fetch-site", "cross-site")],
        [host, ("sec-fetch-site", "same-site")],
        [host, ("origin", "https://evil.example")],
        [host, ("origin", "null")],
    ] {
        let p = b
            .post_raw_with("/account/login", body.clone(), &foreign)
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{foreign:?}");
        assert_eq!(p.lang(), "es");
        p.has("Este formulario se envió desde otro sitio web");
        let p = b
            .post_raw_with(
                "/account/signup",
                crate::pages::serde_urlencoded_like(&fields(&csrf, "intrusa")).into_bytes(),
                &foreign,
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{foreign:?}");
    }
    assert_eq!(sessions(&db).await, 0, "nobody logged in");
    assert_eq!(db.store.count_users().await.unwrap(), 1, "nobody signed up");
    // The same form from this site's own page.
    let own = [
        host,
        ("origin", "http://wifi.example.org"),
        ("sec-fetch-site", "same-origin"),
    ];
    let p = b.post_raw_with("/account/login", body, &own).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // Logged in, the session's own token is needed and other sites are refused still.
    let account = b.get("/account").await;
    let token = account.csrf();
    assert_ne!(token, csrf, "a logged-in form carries the session's token");
    let logout = crate::pages::serde_urlencoded_like(&[("csrf_token", &token)]).into_bytes();
    let p = b
        .post_raw_with(
            "/account/logout",
            logout.clone(),
            &[host, ("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = b.post("/account/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(
        p.status,
        StatusCode::FORBIDDEN,
        "the anonymous token is not enough"
    );
    assert_eq!(sessions(&db).await, 1, "still logged in");
});

db_test!(sign_up_and_login_through_the_forms_make_one_session, |db| {
    let mut b = Browser::new(&db, &config(&["phone"])).await;
    // With the captcha on: its answer is the first thing kept, in a short-lived session.
    let form = b.get("/account/signup").await;
    assert_eq!(sessions_left(&db).await, 0, "the form alone keeps nothing");
    b.get("/account/captcha.png").await;
    let anonymous = b.cookie.clone().expect("a session for the captcha answer");
    let store = WebSessions::new(db.store.clone());
    let kept = store.get(&anonymous).await.unwrap().unwrap();
    assert_eq!(
        kept.expires_at - kept.created_at,
        Duration::minutes(owums_core::subscriber::ANONYMOUS_IDLE_MINUTES)
    );
    assert_eq!(kept.user_id, None);
    let answer = kept.data["captcha"].as_str().unwrap().to_lowercase();
    let p = b
        .post(
            "/account/signup",
            &with(fields(&form.csrf(), "sara"), "captcha", &answer),
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/account/verification"));
    assert_ne!(b.cookie.as_deref(), Some(anonymous.as_str()), "rotated");
    assert!(store.get(&anonymous).await.unwrap().is_none());
    let v = b.get("/account/verification").await;
    assert_eq!(v.status, StatusCode::OK);
    v.has(&format!(r#"href="tel:{CALL_NUMBER}""#));
    assert_eq!(
        sessions_left(&db).await,
        1,
        "one session: the new account's"
    );
    // Log out, then in again through the form.
    let token = v.csrf();
    let p = b.post("/account/logout", &[("csrf_token", &token)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(sessions_left(&db).await, 0);
    let csrf = b.get("/account/login").await.csrf();
    assert_eq!(sessions_left(&db).await, 0);
    let p = b
        .post(
            "/account/login",
            &[
                ("csrf_token", &csrf),
                ("username", "sara"),
                ("password", "Fiume-Lanterna-47"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(
        sessions_left(&db).await,
        1,
        "exactly one session, made at login"
    );
    let session = store
        .get(b.cookie.as_ref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(session.user_id.is_some());
    assert!(session.expires_at - session.created_at >= Duration::hours(24));
    let v = b.get("/account/verification").await;
    assert_eq!(v.status, StatusCode::OK, "logged in: {:?}", v.location);
});

db_test!(
    captcha_pictures_for_clients_without_cookies_are_bounded,
    |db| {
        let mut cfg = config(&["phone"]);
        cfg.web.rate_limits.captcha_per_ip = 3;
        // A client that drops its cookies: every picture would be a new anonymous session.
        for _ in 0..3 {
            let mut b = Browser::new(&db, &cfg).await;
            let p = b.get("/account/captcha.png").await;
            assert_eq!(p.status, StatusCode::OK);
        }
        assert_eq!(sessions(&db).await, 3);
        let mut b = Browser::new(&db, &cfg).await;
        let p = b.get("/account/captcha.png").await;
        assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(sessions(&db).await, 3, "a refused picture keeps nothing");
        // The sign-up form itself still opens.
        assert_eq!(b.get("/account/signup").await.status, StatusCode::OK);
    }
);

/// How many live sessions there are (without removing them).
async fn sessions_left(db: &TestDb) -> usize {
    let n = sessions(db).await;
    assert!(n <= 1, "at most one session expected, found {n}");
    n
}

db_test!(an_anonymous_visitors_language_is_kept_in_a_cookie, |db| {
    no_captcha(&db).await;
    subscribers(&db)
        .create(new_user("ugolino"), true, &[])
        .await
        .unwrap();
    let mut b = Browser::new(&db, &config(&["phone"])).await;
    let p = b.get("/?locale=es").await;
    assert_eq!(p.lang(), "es");
    let cookie = set_cookie(&p, "owums_locale").expect("the choice in a cookie");
    assert!(
        cookie.starts_with("owums_locale=es;") && cookie.contains("Max-Age="),
        "{cookie}"
    );
    for path in ["/", "/account/login", "/account/reset", "/no/such/page"] {
        assert_eq!(b.get(path).await.lang(), "es", "{path}");
    }
    assert_eq!(sessions(&db).await, 0, "kept without a session");
    // A value we never set is ignored.
    b.jar.insert("owums_locale".to_owned(), "xx".to_owned());
    assert_eq!(b.get("/").await.lang(), "en");
    b.get("/?locale=es").await;
    // It survives logging in, before the account's own language (`it`).
    let csrf = b.get("/account/login").await.csrf();
    let p = b
        .post(
            "/account/login",
            &[
                ("csrf_token", &csrf),
                ("username", "ugolino"),
                ("password", "Tulip-Harbor-93"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/account").await.lang(), "es");
});
