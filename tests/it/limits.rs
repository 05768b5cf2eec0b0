//! Attempt limits: a stranger cannot lock an account, the client address is the one the
//! trusted proxies saw, every server on one database shares the counts, and the reset limit
//! counts the account however it is named. Once per backend where storage matters.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use owums_core::config::DatabaseConfig;
use owums_core::{Config, Store};
use owums_server::AppState;
use owums_server::ratelimit::LimitClock;
use poem::endpoint::BoxEndpoint;
use poem::http::{Method, StatusCode};
use poem::test::TestClient;
use poem::{EndpointExt, Response};
use serde_json::json;

use crate::pages::{Browser, config};
use crate::support::{TestDb, db_test, new_user, subscribers};

const RIGHT: &str = "Tulip-Harbor-93";

/// The pages' test configuration behind a proxy on 127.0.0.1 (poem's test requests come
/// from there), so `X-Forwarded-For` names the client.
fn behind_proxy() -> Config {
    let mut cfg = config(&["phone"]);
    cfg.web.trusted_proxies = vec!["127.0.0.1/32".to_owned()];
    cfg
}

/// The JSON API of one server.
struct Api {
    client: TestClient<BoxEndpoint<'static, Response>>,
}

impl Api {
    fn new(store: Store, config: &Config, clock: Option<LimitClock>) -> Api {
        let mut state =
            AppState::with_store(config, store, &crate::pages::registry()).expect("state");
        if let Some(clock) = clock {
            state.limit_clock = clock;
        }
        Api {
            client: TestClient::new(owums_server::app(state).map_to_response().boxed()),
        }
    }

    async fn post(&self, path: &str, forwarded_for: &str, body: serde_json::Value) -> StatusCode {
        self.client
            .request(Method::POST, path)
            .header("x-forwarded-for", forwarded_for)
            .content_type("application/json")
            .body(body.to_string())
            .send()
            .await
            .0
            .status()
    }

    /// A login from `from`: 200, 401 or 429.
    async fn login(&self, from: &str, username: &str, password: &str) -> StatusCode {
        let body = json!({"username": username, "password": password});
        self.post("/api/v1/account/token", from, body).await
    }

    /// A reset request from `from`: 202 or 429.
    async fn reset(&self, from: &str, who: &str) -> StatusCode {
        let body = json!({"username_or_email": who});
        self.post("/api/v1/account/password/reset", from, body)
            .await
    }
}

/// A clock the test moves by hand.
fn manual_clock() -> (LimitClock, impl Fn(Duration)) {
    let now = Arc::new(Mutex::new(
        DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap(),
    ));
    let read = now.clone();
    let clock: LimitClock = Arc::new(move || *read.lock().unwrap());
    (clock, move |d| *now.lock().unwrap() += d)
}

db_test!(a_stranger_cannot_lock_the_owner_out_of_the_api, |db| {
    subscribers(&db)
        .create(new_user("bob01"), true, &[])
        .await
        .unwrap();
    let mut cfg = behind_proxy();
    cfg.web.rate_limits.login_per_account_total = 15;
    let api = Api::new(db.store.clone(), &cfg, None);
    // One stranger guesses until refused, by username and by e-mail (one account).
    for i in 0..12 {
        let name = if i % 2 == 0 {
            "bob01"
        } else {
            "BOB01@example.org"
        };
        let status = api.login("203.0.113.7", name, "Wrong-Guess-111").await;
        let expected = if i < 10 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(status, expected, "stranger's attempt {i}");
    }
    // Ten more strangers, one guess each: the account is past its total now.
    for n in 10..20 {
        let from = format!("203.0.113.{n}");
        let status = api.login(&from, "bob01", "Wrong-Guess-111").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "from {from}");
    }
    // A stranger who already failed on it is refused by the backstop...
    let again = api.login("203.0.113.10", "bob01", "Wrong-Guess-111").await;
    assert_eq!(again, StatusCode::TOO_MANY_REQUESTS);
    // ...while the owner, from an address that has not been guessing, gets in.
    let owner = api.login("198.51.100.1", "bob01", RIGHT).await;
    assert_eq!(owner, StatusCode::OK);
    let owner = api.login("198.51.100.1", "bob01", RIGHT).await;
    assert_eq!(
        owner,
        StatusCode::OK,
        "and again: success cleared its count"
    );
});

db_test!(a_stranger_cannot_lock_the_owner_out_of_the_pages, |db| {
    subscribers(&db)
        .create(new_user("bob01"), true, &[])
        .await
        .unwrap();
    let cfg = behind_proxy();
    let mut stranger = Browser::new(&db, &cfg).await;
    stranger.forwarded_for = Some("203.0.113.7".to_owned());
    let csrf = stranger.get("/account/login").await.csrf();
    for i in 0..11 {
        let p = stranger
            .post(
                "/account/login",
                &[
                    ("csrf_token", &csrf),
                    ("username", "bob01"),
                    ("password", "Wrong-Guess-111"),
                ],
            )
            .await;
        let expected = if i < 10 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(p.status, expected, "stranger's attempt {i}");
    }
    // The owner on the same server: a new session, another address.
    let mut owner = stranger;
    owner.cookie = None;
    owner.forwarded_for = Some("198.51.100.1".to_owned());
    let csrf = owner.get("/account/login").await.csrf();
    let p = owner
        .post(
            "/account/login",
            &[
                ("csrf_token", &csrf),
                ("username", "BOB01"),
                ("password", RIGHT),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/account"));
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_forwarded_for_does_not_evade_the_limit() {
    let db = TestDb::new(crate::support::Backend::Sqlite).await.unwrap();
    for legacy in [false, true] {
        let mut cfg = if legacy {
            let mut cfg = config(&["phone"]);
            cfg.web.trust_proxy_headers = true;
            cfg
        } else {
            behind_proxy()
        };
        cfg.web.rate_limits.login_per_ip = 5;
        let api = Api::new(db.store.clone(), &cfg, None);
        // The client writes any left-most entry; the proxy appends the address it saw.
        let seen = if legacy {
            "198.51.100.77"
        } else {
            "198.51.100.78"
        };
        let mut statuses = Vec::new();
        for i in 0..8 {
            let forged = format!("10.9.{i}.1, {seen}");
            statuses.push(
                api.login(&forged, &format!("user{i}"), "Wrong-Guess-111")
                    .await,
            );
        }
        let limited = statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert_eq!(limited, 3, "legacy {legacy}: {statuses:?}");
    }
}

db_test!(two_servers_on_one_database_share_the_limits, |db| {
    let second = Store::connect(&DatabaseConfig {
        url: db.url.clone(),
        ..DatabaseConfig::default()
    })
    .await
    .unwrap();
    let mut cfg = behind_proxy();
    cfg.web.rate_limits.login_per_ip = 4;
    let a = Api::new(db.store.clone(), &cfg, None);
    let b = Api::new(second, &cfg, None);
    for (i, server) in [&a, &b, &a, &b].into_iter().enumerate() {
        let status = server
            .login("192.0.2.5", &format!("name{i}"), "Wrong-Guess-111")
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        a.login("192.0.2.5", "name5", "Wrong-Guess-111").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        b.login("192.0.2.5", "name6", "Wrong-Guess-111").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Only hashes are stored: no address or name in clear.
    let keys = db
        .strings("SELECT key_hash AS v FROM owums_rate_limits")
        .await
        .unwrap();
    assert!(!keys.is_empty());
    assert!(
        keys.iter()
            .all(|k| k.len() == 64 && !k.contains("192.0.2.5"))
    );
});

db_test!(the_reset_limit_counts_the_account_however_named, |db| {
    subscribers(&db)
        .create(new_user("bob01"), true, &[])
        .await
        .unwrap();
    let mut cfg = behind_proxy();
    cfg.web.rate_limits.reset_per_account = 5;
    let api = Api::new(db.store.clone(), &cfg, None);
    for i in 0..5 {
        let from = format!("192.0.2.{i}");
        assert_eq!(api.reset(&from, "bob01").await, StatusCode::ACCEPTED);
    }
    assert_eq!(
        api.reset("192.0.2.50", "BOB01@example.org").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another account is not affected.
    assert_eq!(
        api.reset("192.0.2.51", "someone@example.org").await,
        StatusCode::ACCEPTED
    );
});

db_test!(phone_and_mail_resets_count_against_one_account, |db| {
    let mut bob = new_user("bob01");
    bob.mobile = Some(crate::support::mobile("+393331234567"));
    subscribers(&db).create(bob, true, &[]).await.unwrap();
    let mut cfg = behind_proxy();
    cfg.web.rate_limits.reset_per_account = 3;
    let api = Api::new(db.store.clone(), &cfg, None);
    for i in 0..2 {
        let from = format!("192.0.2.{i}");
        assert_eq!(api.reset(&from, "bob01").await, StatusCode::ACCEPTED);
    }
    let mut b = Browser::new(&db, &cfg).await;
    let phone_reset = async |b: &mut Browser, from: &str, number: &str| {
        b.forwarded_for = Some(from.to_owned());
        let form = b.get("/account/reset/phone").await;
        let p = b
            .post(
                "/account/reset/phone",
                &[("csrf_token", &form.csrf()), ("mobile", number)],
            )
            .await;
        p.status
    };
    // The third request for the account, by phone and typed another way, is let through…
    assert_eq!(
        phone_reset(&mut b, "192.0.2.10", "0039 333 1234567").await,
        StatusCode::SEE_OTHER
    );
    // …the fourth is not, whichever way it comes.
    assert_eq!(
        phone_reset(&mut b, "192.0.2.11", "+39 333 123 4567").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        api.reset("192.0.2.12", "BOB01@example.org").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A number nobody has counts by itself.
    assert_eq!(
        phone_reset(&mut b, "192.0.2.13", "+393339999999").await,
        StatusCode::SEE_OTHER
    );
});

db_test!(a_closed_window_lets_attempts_in_again_and_is_swept, |db| {
    let (clock, advance) = manual_clock();
    let mut cfg = behind_proxy();
    cfg.web.rate_limits.login_per_ip = 2;
    cfg.web.rate_limits.window_seconds = 600;
    let api = Api::new(db.store.clone(), &cfg, Some(clock.clone()));
    for name in ["a1", "a2"] {
        let status = api.login("192.0.2.9", name, "Wrong-Guess-111").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        api.login("192.0.2.9", "a3", "Wrong-Guess-111").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    advance(Duration::seconds(599));
    assert_eq!(
        api.login("192.0.2.9", "a4", "Wrong-Guess-111").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    advance(Duration::seconds(1));
    assert_eq!(
        api.login("192.0.2.9", "a5", "Wrong-Guess-111").await,
        StatusCode::UNAUTHORIZED
    );
    // Housekeeping an hour later sweeps every closed window.
    let keeper = owums_core::jobs::Housekeeper::new(db.store.clone(), Vec::new());
    let reports = keeper.run_all(clock() + Duration::hours(1)).await.unwrap();
    let purge = reports
        .iter()
        .find(|r| r.job == owums_core::jobs::Job::PurgeExpiredSessions)
        .and_then(|r| r.summary.clone())
        .unwrap();
    assert!(purge.ends_with("closed rate-limit windows 7"), "{purge}");
    let left = db
        .strings("SELECT key_hash AS v FROM owums_rate_limits")
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
});

db_test!(a_login_counts_and_checks_the_account_it_names, |db| {
    let s = subscribers(&db);
    let user = s.register(new_user("dora")).await.unwrap();
    let id = format!("user:{}", user.id);
    // the one lookup of a login gives the key the limits use everywhere else
    for typed in ["dora", " DORA ", "dora@example.org", "Dora@Example.org"] {
        let account = s.login_account(typed).await.unwrap();
        assert_eq!(account.key(), id, "{typed}");
        assert_eq!(s.account_key(typed).await.unwrap(), id, "{typed}");
    }
    for typed in ["nobody1", "no@where.example", "x"] {
        let key = s.login_account(typed).await.unwrap().key().to_owned();
        assert_eq!(key, format!("unknown:{}", typed.to_lowercase()));
        assert_eq!(s.account_key(typed).await.unwrap(), key);
    }
    // and what the password is checked against: the username's account only
    let checks = s.password_checks();
    let account = s.login_account("DORA").await.unwrap();
    let found = s.authenticate_account(account, RIGHT).await.unwrap();
    assert_eq!(found.id, user.id);
    for (typed, password) in [
        ("dora@example.org", RIGHT),
        ("dora", "Wrong-Harbor-93"),
        ("nobody1", RIGHT),
    ] {
        let account = s.login_account(typed).await.unwrap();
        let e = s.authenticate_account(account, password).await.unwrap_err();
        assert_eq!(e.kind(), owums_core::ErrorKind::Unauthorized, "{typed}");
    }
    assert_eq!(
        s.password_checks(),
        checks + 4,
        "one hash each, found or not"
    );
});
