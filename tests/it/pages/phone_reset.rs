//! Password recovery by phone through the pages: the same waiting page whether or not the
//! number is a subscriber's, pending until the call, then one new password that works for
//! login; a second use is refused, all in Italian.

use owums_core::{Outcome, OutcomeHandler};
use poem::http::StatusCode;

use super::{Browser, CALL_NUMBER, Page, config, sip_config};
use crate::support::{TestDb, db_test, mobile, new_user, subscribers};

const WAIT: &str = "/account/reset/phone/wait";
const STATUS: &str = "/account/reset/phone/status.json";

/// A browser in Italian that asked to recover the account of `number`, on the waiting page.
async fn ask(db: &TestDb, number: &str) -> (Browser, Page) {
    let mut b = Browser::new(db, &config(&["phone"])).await;
    b.accept_language = "it".to_owned();
    let form = b.get("/account/reset/phone").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    form.has(r#"name="mobile""#);
    let p = b
        .post(
            "/account/reset/phone",
            &[("csrf_token", &form.csrf()), ("mobile", number)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some(WAIT));
    let wait = b.get(WAIT).await;
    (b, wait)
}

/// Waits until the recovery asked for `user` is recorded: the pages answer first and write
/// it right after (so that a subscriber's number and an unknown one cost the same), and a
/// test that reports the call within the same millisecond must not outrun the write.
async fn recorded(db: &TestDb, user: owums_core::UserId) {
    for _ in 0..500 {
        if owums_core::subscriber::is_pending(&db.store, user)
            .await
            .unwrap()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the phone recovery of {user} was never recorded");
}

fn status_of(page: &Page) -> String {
    let v: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    v["status"].as_str().unwrap().to_owned()
}

db_test!(phone_recovery_pending_proven_then_one_new_password, |db| {
    let mut u = new_user("marta");
    u.mobile = Some(mobile("+393331234567"));
    let user = subscribers(&db).create(u, true, &[]).await.unwrap();

    let mut b = Browser::new(&db, &config(&["phone"])).await;
    b.accept_language = "it".to_owned();
    b.get("/account/reset")
        .await
        .has(r#"href="/account/reset/phone""#)
        .has("Recuperala invece con il telefono");
    let form = b.get("/account/reset/phone").await;
    let bad = b
        .post(
            "/account/reset/phone",
            &[("csrf_token", &form.csrf()), ("mobile", "non un numero")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.has("Questo non è un numero di cellulare valido");

    let (mut known, known_page) = ask(&db, "+39 333 1234567").await;
    let (mut unknown, unknown_page) = ask(&db, "+393339999999").await;
    for page in [&known_page, &unknown_page] {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.has(&format!(r#"href="tel:{CALL_NUMBER}""#))
            .has("Se il numero appartiene a un account, chiama")
            .has(r#"id="remaining-time""#)
            .lacks(r#"name="password""#);
    }
    // The two pages differ only by the number typed.
    let strip = |p: &Page, n: &str| {
        let b = p.body.replace(n, "N");
        let at = b.find(r#"id="remaining-time">"#).unwrap();
        b[..at].to_owned()
    };
    assert_eq!(
        strip(&known_page, "+39 333 123 4567"),
        strip(&unknown_page, "+39 333 999 9999")
    );
    assert_eq!(status_of(&known.get(STATUS).await), "pending");
    assert_eq!(status_of(&unknown.get(STATUS).await), "pending");

    // The SIP verifier reports the call from the subscriber's number.
    recorded(&db, user.id).await;
    subscribers(&db)
        .apply("phone", Outcome::PasswordRecovered { user: user.id })
        .await
        .unwrap();
    assert_eq!(status_of(&known.get(STATUS).await), "proven");
    assert_eq!(status_of(&unknown.get(STATUS).await), "pending");
    unknown.get(WAIT).await.lacks(r#"name="password""#);

    let f = known.get(WAIT).await;
    assert_eq!(f.status, StatusCode::OK);
    f.has("La tua chiamata è arrivata")
        .has(r#"name="password_confirmation""#);
    let csrf = f.csrf();
    let p = known
        .post(
            WAIT,
            &[
                ("csrf_token", &csrf),
                ("password", "Nuova-Lanterna-55"),
                ("password_confirmation", "altra1234"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.has("Le due password non coincidono.");
    let new_password = [
        ("csrf_token", csrf.as_str()),
        ("password", "Nuova-Lanterna-55"),
        ("password_confirmation", "Nuova-Lanterna-55"),
    ];
    let p = known.post(WAIT, &new_password).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    p.has("La password è stata cambiata");

    // Used once: the same form again is refused and says why.
    let again = known.post(WAIT, &new_password).await;
    assert_eq!(again.status, StatusCode::GONE);
    again.has("non c&#x27;è alcun recupero della password con il telefono");
    assert_eq!(status_of(&known.get(STATUS).await), "none");

    for (password, works) in [("Tulip-Harbor-93", false), ("Nuova-Lanterna-55", true)] {
        let mut b = Browser::new(&db, &config(&["phone"])).await;
        let form = b.get("/account/login").await;
        let p = b
            .post(
                "/account/login",
                &[
                    ("csrf_token", &form.csrf()),
                    ("username", "marta"),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(p.status == StatusCode::SEE_OTHER, works, "{password}");
    }
});

db_test!(phone_recovery_needs_a_phone_method, |db| {
    let mut b = Browser::new(&db, &config(&["desk"])).await;
    b.get("/account/reset")
        .await
        .lacks(r#"href="/account/reset/phone""#);
    let p = b.get("/account/reset/phone").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    p.has("not available on this site");
    let p = b.get(WAIT).await;
    assert_eq!(p.status, StatusCode::GONE);
    p.has("No password recovery by phone is under way");
});

db_test!(phone_recovery_needs_the_form_token_and_is_limited, |db| {
    let mut cfg = config(&["phone"]);
    cfg.web.rate_limits.reset_per_account = 2;
    cfg.web.rate_limits.window_seconds = 3600;
    let mut b = Browser::new(&db, &cfg).await;
    let csrf = b.get("/account/reset/phone").await.csrf();
    let p = b
        .post("/account/reset/phone", &[("mobile", "+393331234567")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(status_of(&b.get(STATUS).await), "none");
    let p = b
        .post(
            "/account/reset/phone",
            &[("csrf_token", &csrf), ("mobile", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.has("This field is required.");
    for number in ["+393331234567", "+39 333 123 4567"] {
        let p = b
            .post(
                "/account/reset/phone",
                &[("csrf_token", &csrf), ("mobile", number)],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    }
    // The same number written another way counts for the same account.
    let p = b
        .post(
            "/account/reset/phone",
            &[("csrf_token", &csrf), ("mobile", "0039 3331234567")],
        )
        .await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    p.has("Too many attempts. Try again in");
});

db_test!(phone_recovery_out_of_time_says_so, |db| {
    let (mut b, _) = ask(&db, "+393337777777").await;
    // Move the ticket kept in the session past its window, as if five minutes had gone by.
    let sessions = owums_core::subscriber::WebSessions::new(db.store.clone());
    let token = b.cookie.clone().unwrap();
    let mut data = sessions.get(&token).await.unwrap().unwrap().data;
    let ticket = data["phone_recovery"]["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    let (user, rest) = ticket.split_once('.').unwrap();
    let (_, secret) = rest.split_once('.').unwrap();
    data["phone_recovery"]["ticket"] = format!("{user}.1000.{secret}").into();
    assert!(sessions.set_data(&token, &data).await.unwrap());
    assert_eq!(status_of(&b.get(STATUS).await), "expired");
    let p = b.get(WAIT).await;
    assert_eq!(p.status, StatusCode::GONE);
    p.has("il tempo è scaduto")
        .has(r#"href="&#x2f;account&#x2f;reset&#x2f;phone">Recupera con il telefono"#);
    let csrf = b.get("/account/reset/phone").await.csrf();
    let p = b
        .post(
            WAIT,
            &[
                ("csrf_token", &csrf),
                ("password", "Nuova-Lanterna-55"),
                ("password_confirmation", "Nuova-Lanterna-55"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::GONE);
    p.has("il tempo è scaduto");
});

db_test!(
    phone_recovery_reads_national_numbers_with_the_sip_country_code,
    |db| {
        let mut u = new_user("lucia");
        u.mobile = Some(mobile("+393341234567"));
        let user = subscribers(&db).create(u, true, &[]).await.unwrap();
        // `[plugins.sip] default_country_code = "39"`, the number to call written the national way.
        let cfg = sip_config(&["02 1234 5678"], "39");
        let mut b = Browser::new(&db, &cfg).await;
        let form = b.get("/account/reset/phone").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        form.has("A number without + or 00 is read as a +39 number");
        let p = b
            .post(
                "/account/reset/phone",
                &[("csrf_token", &form.csrf()), ("mobile", "334 1234567")],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let wait = b.get(WAIT).await;
        assert_eq!(wait.status, StatusCode::OK, "{}", wait.body);
        wait.has(r#"href="tel:+390212345678">+39 021 234 5678</a>"#)
            .has("Call from +39 334 123 4567.")
            .lacks("+393341234567");
        // The recovery is the subscriber's: their call proves it.
        recorded(&db, user.id).await;
        subscribers(&db)
            .apply("sip", Outcome::PasswordRecovered { user: user.id })
            .await
            .unwrap();
        assert_eq!(status_of(&b.get(STATUS).await), "proven");
        // Without a country code a national number is still refused, saying how to write it.
        let mut b = Browser::new(&db, &sip_config(&["+39 02 1234 5678"], "")).await;
        let form = b.get("/account/reset/phone").await;
        form.has("With the country code");
        let p = b
            .post(
                "/account/reset/phone",
                &[("csrf_token", &form.csrf()), ("mobile", "334 1234567")],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        p.has("start with + and the country code");
    }
);
