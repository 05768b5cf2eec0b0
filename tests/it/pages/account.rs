//! The account page: profile, connections (paginated, sortable), 14-day charts, editing,
//! and disabling the account.

use chrono::{Duration, Utc};
use owums_core::{AccountingEvent, AccountingSink, AcctStatus, Settings, SqlAccountingSink};
use poem::http::StatusCode;

use super::{Browser, config};
use crate::support::{TestDb, db_test, new_user, subscribers};

/// A verified `name` logged in through the form.
pub(crate) async fn logged_in(db: &TestDb, name: &str) -> (Browser, owums_core::UserRecord) {
    logged_in_with(db, name, &config(&["phone"]), None).await
}

/// A verified `name` (with mobile number `mobile`) logged in through the form of `cfg`.
async fn logged_in_with(
    db: &TestDb,
    name: &str,
    cfg: &owums_core::Config,
    mobile: Option<&str>,
) -> (Browser, owums_core::UserRecord) {
    let user = subscribers(db)
        .create(
            owums_core::NewUser {
                verification_method: "phone".to_owned(),
                locale: "en".to_owned(),
                mobile: mobile.map(crate::support::mobile),
                ..new_user(name)
            },
            true,
            &[],
        )
        .await
        .unwrap();
    let mut b = Browser::new(db, cfg).await;
    let csrf = b.get("/account/login").await.csrf();
    let p = b
        .post(
            "/account/login",
            &[
                ("csrf_token", &csrf),
                ("username", name),
                ("password", "Tulip-Harbor-93"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    (b, user)
}

/// A closed session of `user`, `days_ago` days ago, of `minutes` and `up`/`down` octets.
async fn session(
    db: &TestDb,
    user: &str,
    id: &str,
    days_ago: i64,
    minutes: u64,
    up: u64,
    down: u64,
) {
    let start = Utc::now() - Duration::days(days_ago) - Duration::minutes(minutes as i64 + 1);
    session_at(db, user, id, start, minutes, (up, down)).await;
}

/// A closed session of `user` from `start`, of `minutes` and `(up, down)` octets.
async fn session_at(
    db: &TestDb,
    user: &str,
    id: &str,
    start: chrono::DateTime<Utc>,
    minutes: u64,
    (up, down): (u64, u64),
) {
    let sink = SqlAccountingSink::new(db.store.clone());
    let mut e = AccountingEvent::new(AcctStatus::Start, id, id, user, "10.0.0.1");
    e.event_time = start;
    e.framed_ip_address = "10.1.2.3".to_owned();
    sink.record(&e).await.unwrap();
    let mut e = AccountingEvent::new(AcctStatus::Stop, id, id, user, "10.0.0.1");
    e.event_time = start + Duration::minutes(minutes as i64);
    e.session_time = Some(minutes * 60);
    e.input_octets = up;
    e.output_octets = down;
    e.framed_ip_address = "10.1.2.3".to_owned();
    sink.record(&e).await.unwrap();
}

db_test!(account_page_shows_profile_sessions_and_charts, |db| {
    let (mut b, _user) = logged_in(&db, "marta").await;
    Settings::new(db.store.clone())
        .set("default_radacct_results_per_page", "2")
        .await
        .unwrap();
    session(&db, "marta", "a1", 1, 30, 5 * 1024 * 1024, 50 * 1024 * 1024).await;
    session(&db, "marta", "a2", 2, 90, 1024, 2048).await;
    session(&db, "marta", "a3", 3, 10, 300 * 1024 * 1024, 10).await;
    session(&db, "altro", "b1", 1, 10, 1, 1).await;
    let p = b.get("/account").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    p.has(r#"id="profile-username">marta<"#)
        .has("Alice")
        .has(r#"<svg id="traffic-chart""#)
        .has(r#"<svg id="time-chart""#)
        .has("50.0 MiB")
        .has("0:30:00")
        .has("Page 1 of 2")
        .has(r#"rel="next""#)
        .lacks("300.0 MiB");
    // Sorted by upload, largest first: the 300 MiB session leads.
    let p = b.get("/account?sort=upload&dir=desc").await;
    p.has("300.0 MiB").has(r#"aria-sort="descending""#);
    let first = p.body.find("300.0 MiB").unwrap();
    let second = p.body.find("5.0 MiB").unwrap();
    assert!(first < second);
    let p = b.get("/account?sort=upload&dir=asc&page=1").await;
    p.has("1.0 KiB").lacks("300.0 MiB");
    let p = b.get("/account?sort=stop&page=2").await;
    p.has("Page 2 of 2").has(r#"rel="prev""#);
    // Italian labels.
    b.get("/account?locale=it")
        .await
        .has("Connessioni")
        .has("Pagina 1 di 2");
});

db_test!(
    account_numbers_follow_the_language_and_times_name_their_zone,
    |db| {
        let mut cfg = config(&["phone"]);
        cfg.web.time_zone = "Europe/Rome".to_owned();
        let (mut b, _user) = logged_in_with(&db, "bruno", &cfg, Some("+393331234567")).await;
        let winter = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, 15, 10, 0, 0).unwrap();
        let (mib, gib) = (1024 * 1024, 1024 * 1024 * 1024);
        session_at(&db, "bruno", "w1", winter, 30, (50 * mib, 3 * gib / 2)).await;
        session(&db, "bruno", "r1", 1, 10, mib / 2, 0).await;
        let p = b.get("/account").await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        // Binary units, said so; times in the display zone with its name.
        p.has("50.0 MiB")
            .has("1.5 GiB")
            .has(r#"<time datetime="2026-01-15T10:00:00Z">2026-01-15 11:00 CET</time>"#)
            .has(r#"<time datetime="2026-01-15T10:30:00Z">2026-01-15 11:30 CET</time>"#)
            .has("Traffic per day (MiB)")
            .has(r#"id="profile-mobile">+39 333 123 4567<"#)
            .lacks("+393331234567")
            .lacks(" MB<");
        p.has("<dt>Registered on</dt><dd><time datetime=\"");
        // Italian and Spanish write a decimal comma, in the table and on the chart's axis.
        let p = b.get("/account?locale=it").await;
        p.has("50,0 MiB")
            .has("1,5 GiB")
            .has("Traffico al giorno (MiB)")
            .has(">0,45</text>")
            .lacks("50.0 MiB");
        b.get("/account?locale=es").await.has("1,5 GiB");
    }
);

db_test!(account_edit_changes_only_what_it_may, |db| {
    let (mut b, user) = logged_in(&db, "carla").await;
    let csrf = b.get("/account?locale=it").await.csrf();
    let base = [
        ("csrf_token", csrf.as_str()),
        ("email", "carla@example.net"),
        ("address", "Via Po 2"),
        ("city", "Torino"),
        ("zip", "10100"),
        ("country", "Italia"),
        ("username", "hacker"),
        ("given_name", "Mallory"),
    ];
    let p = b.post("/account", &base).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    p.has("Le modifiche sono state salvate.");
    let after = subscribers(&db).find("carla").await.unwrap();
    assert_eq!(after.email.unwrap().as_str(), "carla@example.net");
    assert_eq!(
        (after.city.as_str(), after.given_name.as_str()),
        ("Torino", "Alice")
    );
    // Wrong current password: nothing changes.
    let mut bad = base.to_vec();
    bad[2] = ("address", "Altrove 9");
    bad.extend([
        ("current_password", "nope"),
        ("password", "Nuova-Lanterna-55"),
        ("password_confirmation", "Nuova-Lanterna-55"),
    ]);
    let p = b.post("/account", &bad).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.has("La password attuale è errata.");
    assert_eq!(
        subscribers(&db).find("carla").await.unwrap().address,
        "Via Po 2"
    );
    let mut bad = base.to_vec();
    bad[1] = ("email", "non-valida");
    let p = b.post("/account", &bad).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.has("non è un indirizzo e-mail valido");
    // A right current password changes it.
    let mut good = base.to_vec();
    good.extend([
        ("current_password", "Tulip-Harbor-93"),
        ("password", "Nuova-Lanterna-55"),
        ("password_confirmation", "Nuova-Lanterna-55"),
    ]);
    let p = b.post("/account", &good).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(
        subscribers(&db)
            .authenticate("carla", "Nuova-Lanterna-55")
            .await
            .is_ok()
    );
    assert_eq!(user.id, subscribers(&db).find("carla").await.unwrap().id);
});

db_test!(
    disabling_the_account_logs_out_and_reverification_re_enables,
    |db| {
        let (mut b, user) = logged_in(&db, "dario").await;
        let csrf = b.get("/account").await.csrf();
        let p = b.post("/account/disable", &[("csrf_token", &csrf)]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        p.has("Tick the box to confirm.");
        assert!(subscribers(&db).find("dario").await.unwrap().verified);
        let p = b
            .post(
                "/account/disable",
                &[("csrf_token", &csrf), ("confirm", "1")],
            )
            .await;
        assert_eq!(p.status, StatusCode::OK);
        p.has("Your account is disabled.");
        let u = subscribers(&db).find("dario").await.unwrap();
        assert_eq!(u.status(), owums_core::UserStatus::Disabled);
        assert_eq!(
            b.get("/account").await.location.as_deref(),
            Some("/account/login")
        );
        // Logging in again leads to the verification; verifying re-enables.
        let csrf = b.get("/account/login").await.csrf();
        b.post(
            "/account/login",
            &[
                ("csrf_token", &csrf),
                ("username", "dario"),
                ("password", "Tulip-Harbor-93"),
            ],
        )
        .await;
        assert_eq!(
            b.get("/account").await.location.as_deref(),
            Some("/account/verification")
        );
        b.get("/account/verification").await.has("tel:");
        subscribers(&db).verify(user.id).await.unwrap();
        assert_eq!(b.get("/account").await.status, StatusCode::OK);
    }
);

db_test!(operator_verified_users_wait_for_the_operator, |db| {
    subscribers(&db)
        .register(owums_core::NewUser {
            verification_method: "desk".to_owned(),
            locale: "es".to_owned(),
            ..new_user("ines")
        })
        .await
        .unwrap();
    let mut b = Browser::new(&db, &config(&["phone", "desk"])).await;
    let csrf = b.get("/account/login").await.csrf();
    let p = b
        .post(
            "/account/login",
            &[
                ("csrf_token", &csrf),
                ("username", "ines"),
                ("password", "Tulip-Harbor-93"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let p = b.get("/account").await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(p.lang(), "es", "the user's own language");
    p.has("Tu cuenta está esperando la verificación de un operador.");
    b.get("/account/verification")
        .await
        .has("esperando la verificación de un operador");
    let s: serde_json::Value =
        serde_json::from_str(&b.get("/account/status.json").await.body).unwrap();
    assert_eq!(
        s,
        serde_json::json!({"is_verified": false, "is_expired": false, "remaining_time": 0})
    );
});
