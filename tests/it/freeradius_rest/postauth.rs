//! `POST /api/v1/freeradius/postauth/` after the authorize FreeRADIUS asked for the same
//! credentials, on every backend: which passwords `radpostauth` keeps.

use owums_core::storage::NewGroup;
use owums_core::{AttributeKind, GroupName, RadiusAttribute};
use poem::Endpoint;
use poem::http::StatusCode;
use poem::test::TestClient;
use serde_json::json;

use super::{acct_body, auth_body, client, config, parsed, post};
use crate::support::{TestDb, db_test, new_user, subscribers};

/// An authorize and then the post-auth FreeRADIUS sends for it (Access-Accept when authorize
/// said Accept); the password `radpostauth` kept.
async fn logged_password(
    cli: &TestClient<impl Endpoint>,
    db: &TestDb,
    user: &str,
    password: &str,
) -> String {
    let (_, body) = post(cli, "authorize", &auth_body(user, password)).await;
    let accepted = !body.is_empty() && parsed(&body)["control:Auth-Type"] == "Accept";
    let reply = if accepted {
        "Access-Accept"
    } else {
        "Access-Reject"
    };
    let mut log = auth_body(user, password);
    log["reply"] = json!(reply);
    assert_eq!(
        post(cli, "postauth", &log).await,
        (StatusCode::CREATED, String::new())
    );
    let rows = db.store.postauth_for_user(user).await.unwrap();
    assert_eq!(rows[0].reply, reply, "{user}");
    rows[0].pass.clone()
}

/// Users refused for every reason with their correct password: vera (accepted), umberto
/// (unverified), dina (disabled), dora (`Disabled` group), tina (her hour used up today).
async fn refused_users(db: &TestDb, cli: &TestClient<impl Endpoint>) {
    let s = subscribers(db);
    s.create(new_user("vera"), true, &[]).await.unwrap();
    s.register(new_user("umberto")).await.unwrap();
    let dina = s.create(new_user("dina"), true, &[]).await.unwrap();
    s.disable(dina.id).await.unwrap();
    let disabled = [GroupName::try_new("Disabled").unwrap()];
    s.create(new_user("dora"), true, &disabled).await.unwrap();
    db.store
        .create_group(NewGroup {
            name: GroupName::try_new("Hourly").unwrap(),
            priority: 1,
            notes: None,
            checks: vec![
                RadiusAttribute::parse(AttributeKind::Check, "Max-Daily-Session:=3600").unwrap(),
            ],
            replies: vec![],
        })
        .await
        .unwrap();
    let hourly = [GroupName::try_new("Hourly").unwrap()];
    s.create(new_user("tina"), true, &hourly).await.unwrap();
    post(cli, "accounting", &acct_body("Start", "t1", "tina")).await;
    let mut stop = acct_body("Stop", "t1", "tina");
    stop["session_time"] = json!("3600");
    assert_eq!(post(cli, "accounting", &stop).await.0, StatusCode::OK);
}

db_test!(postauth_keeps_no_password_by_default, |db| {
    let cli = client(&config(&db), &db, "127.0.0.1");
    refused_users(&db, &cli).await;
    for (user, password) in [
        ("vera", "Tulip-Harbor-93"),
        ("vera", "wrong-password1"),
        ("nobody", "Tulip-Harbor-93"),
        ("umberto", "Tulip-Harbor-93"),
        ("dina", "Tulip-Harbor-93"),
        ("dora", "Tulip-Harbor-93"),
        ("tina", "Tulip-Harbor-93"),
    ] {
        assert_eq!(
            logged_password(&cli, &db, user, password).await,
            "",
            "{user} {password}"
        );
    }
});

db_test!(postauth_keeps_only_wrong_passwords_when_asked, |db| {
    let mut c = config(&db);
    c.freeradius.postauth_keep_wrong_passwords = true;
    let cli = client(&c, &db, "127.0.0.1");
    refused_users(&db, &cli).await;
    // correct passwords: never, whatever refused the user
    for user in ["vera", "umberto", "dina", "dora", "tina"] {
        assert_eq!(
            logged_password(&cli, &db, user, "Tulip-Harbor-93").await,
            "",
            "{user}"
        );
    }
    // wrong ones (an unknown name has no right password): kept
    let kept = logged_password(&cli, &db, "vera", "wrong-password1").await;
    assert_eq!(kept, "wrong-password1");
    assert_eq!(
        logged_password(&cli, &db, "nobody", "Tulip-Harbor-93").await,
        "Tulip-Harbor-93"
    );
    assert_eq!(
        logged_password(&cli, &db, "umberto", "Lunar-Basil-906").await,
        "Lunar-Basil-906"
    );
    // a post-auth whose authorize this process did not answer is not known to be wrong
    let mut log = auth_body("dina", "Garnet-Whisk-537");
    log["reply"] = json!("Access-Reject");
    post(&cli, "postauth", &log).await;
    assert_eq!(
        db.store.postauth_for_user("dina").await.unwrap()[0].pass,
        ""
    );
    // an accept keeps nothing, even if it says it was rejected's password
    let mut accept = auth_body("vera", "wrong-password1");
    accept["reply"] = json!("Access-Accept");
    post(&cli, "postauth", &accept).await;
    assert_eq!(
        db.store.postauth_for_user("vera").await.unwrap()[0].pass,
        ""
    );
});

db_test!(
    postauth_reads_the_reply_code_of_the_query_url_decoded,
    |db| {
        let mut cfg = config(&db);
        cfg.freeradius.postauth_keep_wrong_passwords = true;
        let cli = client(&cfg, &db, "127.0.0.1");
        subscribers(&db)
            .create(new_user("vera"), true, &[])
            .await
            .unwrap();
        // rlm_rest's own encoding carries no reply code: the shipped site puts it in the query,
        // and FreeRADIUS URL-encodes it
        for (query, reply) in [
            ("reply=Access%2DAccept", "Access-Accept"),
            ("reply=Access-Reject", "Access-Reject"),
        ] {
            post(&cli, "authorize", &auth_body("vera", "wrong-password1")).await;
            let resp = cli
                .post(format!("/api/v1/freeradius/postauth/?{query}"))
                .content_type("application/json")
                .header(
                    "Authorization",
                    format!("Bearer {}", crate::freeradius_rest::TOKEN),
                )
                .body(auth_body("vera", "wrong-password1").to_string())
                .send()
                .await;
            resp.assert_status(StatusCode::CREATED);
            let rows = db.store.postauth_for_user("vera").await.unwrap();
            assert_eq!(rows[0].reply, reply, "{query}");
            let kept = if reply == "Access-Accept" {
                ""
            } else {
                "wrong-password1"
            };
            assert_eq!(rows[0].pass, kept, "an accept keeps no password: {query}");
        }
    }
);

db_test!(an_oversized_body_is_413_and_writes_nothing, |db| {
    let cli = client(&config(&db), &db, "127.0.0.1");
    let big = json!({"username": "x".repeat(70 * 1024), "password": "p"}).to_string();
    for path in ["authorize", "postauth", "accounting"] {
        let (status, body) = crate::freeradius_rest::post_raw(
            &cli,
            path,
            Some(&format!("Bearer {}", crate::freeradius_rest::TOKEN)),
            &big,
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}: {body}");
        assert_eq!(
            parsed(&body)["error"]["kind"],
            "payload_too_large",
            "{path}"
        );
    }
    assert!(db.store.postauth_for_user("x").await.unwrap().is_empty());
});
