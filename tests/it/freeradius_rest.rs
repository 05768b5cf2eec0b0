//! The FreeRADIUS REST API (`/api/v1/freeradius/…`) driven with what rlm_rest posts, on
//! every backend: statuses, bodies and the rows stored.

use std::net::SocketAddr;

use owums_core::storage::NewGroup;
use owums_core::{AttributeKind, Config, GroupName, RadiusAttribute};
use owums_server::{AppState, app};
use poem::http::StatusCode;
use poem::test::TestClient;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, EndpointExt, Request, RequestParts};
use serde_json::{Value, json};

use crate::support::{TestDb, db_test, new_user, subscribers};

mod hardening;
mod postauth;

pub(crate) const TOKEN: &str = "s3cret-radius-token";

/// The configuration with the REST API on.
pub(crate) fn config(db: &TestDb) -> Config {
    let mut c = Config::default();
    c.database.url = db.url.clone();
    c.freeradius.token = TOKEN.to_owned();
    c
}

/// The app seen from `ip` (the test client has no peer address of its own).
pub(crate) fn client(config: &Config, db: &TestDb, ip: &str) -> TestClient<impl Endpoint + use<>> {
    client_with(config, db, ip, &owums_server::plugins::registry())
}

/// [`client`] with the plugins of `registry`.
pub(crate) fn client_with(
    config: &Config,
    db: &TestDb,
    ip: &str,
    registry: &owums_core::PluginRegistry,
) -> TestClient<impl Endpoint + use<>> {
    let state = AppState::with_store(config, db.store.clone(), registry).unwrap();
    let peer: SocketAddr = format!("{ip}:40000").parse().unwrap();
    let ep = app(state).before(move |req: Request| async move {
        let (parts, body) = req.into_parts();
        let mut b = poem::http::Request::builder()
            .method(parts.method)
            .uri(parts.uri)
            .version(parts.version);
        for (k, v) in &parts.headers {
            b = b.header(k, v);
        }
        let (head, ()) = b.body(()).unwrap().into_parts();
        let rp = RequestParts::from((
            head,
            LocalAddr(Addr::SocketAddr("127.0.0.1:8080".parse().unwrap())),
            RemoteAddr(Addr::SocketAddr(peer)),
            poem::http::uri::Scheme::HTTP,
        ));
        Ok(Request::from_parts(rp, body))
    });
    TestClient::new(ep)
}

/// POSTs `body` with `Authorization: <auth>`; returns the status and the body text.
pub(crate) async fn post_raw(
    cli: &TestClient<impl Endpoint>,
    path: &str,
    auth: Option<&str>,
    body: &str,
) -> (StatusCode, String) {
    let mut req = cli
        .post(format!("/api/v1/freeradius/{path}/"))
        .content_type("application/json")
        .body(body.to_owned());
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let resp = req.send().await;
    let status = resp.0.status();
    (status, resp.0.into_body().into_string().await.unwrap())
}

/// POSTs JSON with the right token.
pub(crate) async fn post(
    cli: &TestClient<impl Endpoint>,
    path: &str,
    body: &Value,
) -> (StatusCode, String) {
    post_raw(
        cli,
        path,
        Some(&format!("Bearer {TOKEN}")),
        &body.to_string(),
    )
    .await
}

pub(crate) fn parsed(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// What openwisp-radius' documented `authorize` data template sends.
pub(crate) fn auth_body(user: &str, password: &str) -> Value {
    json!({"username": user, "password": password, "called_station_id": "AA-AA-AA-AA-AA-AA:hotspot", "calling_station_id": "11-22-33-44-55-66"})
}

/// What openwisp-radius' documented `accounting` data template sends, empty strings and all.
pub(crate) fn acct_body(status: &str, uid: &str, user: &str) -> Value {
    json!({"status_type": status, "session_id": format!("s-{uid}"), "unique_id": uid, "username": user,
        "realm": "", "nas_ip_address": "10.0.0.1", "nas_port_id": "1", "nas_port_type": "Wireless-802.11",
        "session_time": "", "authentication": "RADIUS", "input_octets": "", "output_octets": "",
        "called_station_id": "AA-AA-AA-AA-AA-AA:hotspot", "calling_station_id": "11-22-33-44-55-66",
        "terminate_cause": "", "service_type": "Login-User", "framed_protocol": "", "framed_ip_address": ""})
}

pub(crate) async fn limited_group(db: &TestDb) {
    let check = |t| RadiusAttribute::parse(AttributeKind::Check, t).unwrap();
    let reply = |t| RadiusAttribute::parse(AttributeKind::Reply, t).unwrap();
    db.store
        .create_group(NewGroup {
            name: GroupName::try_new("Limited").unwrap(),
            priority: 1,
            notes: None,
            checks: vec![
                check("Max-Daily-Session:=10800"),
                check("Max-Daily-Session-Traffic:=3000000000"),
                check("Simultaneous-Use:=1"),
            ],
            replies: vec![reply("Idle-Timeout=600")],
        })
        .await
        .unwrap();
}

db_test!(authorize_accepts_with_group_and_counter_replies, |db| {
    limited_group(&db).await;
    let s = subscribers(&db);
    s.create(
        new_user("lara"),
        true,
        &[GroupName::try_new("Limited").unwrap()],
    )
    .await
    .unwrap();
    s.create(new_user("vera"), true, &[]).await.unwrap();
    let cli = client(&config(&db), &db, "127.0.0.1");

    let (status, body) = post(&cli, "authorize", &auth_body("lara", "Tulip-Harbor-93")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        parsed(&body),
        json!({"control:Auth-Type": "Accept", "Idle-Timeout": {"op": "=", "value": "600"},
               "Session-Timeout": 10800, "CoovaChilli-Max-Total-Octets": 3_000_000_000_i64})
    );
    // the default group's replies; no counters
    let (status, body) = post(&cli, "authorize", &auth_body("vera", "Tulip-Harbor-93")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        parsed(&body),
        json!({"control:Auth-Type": "Accept", "Session-Timeout": {"op": "=", "value": "3600"},
               "Idle-Timeout": {"op": "=", "value": "600"}})
    );
    // e-mail works as the user name; rlm_rest's own encoding too
    let (status, body) = post(
        &cli,
        "authorize",
        &auth_body("vera@example.org", "Tulip-Harbor-93"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(parsed(&body)["control:Auth-Type"], "Accept");
    let native = json!({"User-Name": {"type": "string", "value": ["vera"]},
                        "User-Password": {"type": "string", "value": ["Tulip-Harbor-93"]}});
    let (status, body) = post(&cli, "authorize", &native).await;
    assert_eq!(
        (status, parsed(&body)["control:Auth-Type"].clone()),
        (StatusCode::OK, json!("Accept"))
    );

    // usage lowers the counter replies: 1 h and 3 000 octets today
    let mut start = acct_body("Start", "u1", "lara");
    start["calling_station_id"] = json!("11-22-33-44-55-66");
    assert_eq!(
        post(&cli, "accounting", &start).await.0,
        StatusCode::CREATED
    );
    let mut stop = acct_body("Stop", "u1", "lara");
    stop["session_time"] = json!("3600");
    stop["input_octets"] = json!("1000");
    stop["output_octets"] = json!("2000");
    stop["terminate_cause"] = json!("User-Request");
    assert_eq!(post(&cli, "accounting", &stop).await.0, StatusCode::OK);
    let (_, body) = post(&cli, "authorize", &auth_body("lara", "Tulip-Harbor-93")).await;
    let body = parsed(&body);
    assert_eq!(body["Session-Timeout"], 7200, "{body}");
    assert_eq!(
        body["CoovaChilli-Max-Total-Octets"], 2_999_997_000_i64,
        "{body}"
    );
});

db_test!(authorize_rejects_each_case_as_openwisp_does, |db| {
    let s = subscribers(&db);
    s.create(new_user("vera"), true, &[]).await.unwrap();
    s.register(new_user("umberto")).await.unwrap();
    let dina = s.create(new_user("dina"), true, &[]).await.unwrap();
    s.disable(dina.id).await.unwrap();
    let ivan = s.create(new_user("ivan"), true, &[]).await.unwrap();
    s.deactivate(ivan.id).await.unwrap();
    s.create(
        new_user("dora"),
        true,
        &[GroupName::try_new("Disabled").unwrap()],
    )
    .await
    .unwrap();
    let cli = client(&config(&db), &db, "127.0.0.1");
    for (user, password) in [
        ("vera", "wrong-password1"),
        ("nobody", "Tulip-Harbor-93"),
        ("umberto", "Tulip-Harbor-93"),
        ("dina", "Tulip-Harbor-93"),
        ("ivan", "Tulip-Harbor-93"),
        ("", ""),
    ] {
        let (status, body) = post(&cli, "authorize", &auth_body(user, password)).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, ""), "{user}");
    }
    let (status, body) = post(&cli, "authorize", &auth_body("dora", "Tulip-Harbor-93")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        parsed(&body),
        json!({"control:Auth-Type": "Reject", "Reply-Message": "Account disabled"})
    );
    // openwisp-radius' API_AUTHORIZE_REJECT
    let mut c = config(&db);
    c.freeradius.authorize_reject = true;
    let strict = client(&c, &db, "127.0.0.1");
    let (status, body) = post(&strict, "authorize", &auth_body("vera", "wrong-password1")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(parsed(&body), json!({"control:Auth-Type": "Reject"}));
});

db_test!(authorize_enforces_daily_time_and_simultaneous_use, |db| {
    limited_group(&db).await;
    let s = subscribers(&db);
    s.create(
        new_user("lara"),
        true,
        &[GroupName::try_new("Limited").unwrap()],
    )
    .await
    .unwrap();
    let cli = client(&config(&db), &db, "127.0.0.1");
    // an open session on AP "AA…" from device "11…"
    assert_eq!(
        post(&cli, "accounting", &acct_body("Start", "u1", "lara"))
            .await
            .0,
        StatusCode::CREATED
    );
    // the same device on the same AP may re-authenticate
    let (status, _) = post(&cli, "authorize", &auth_body("lara", "Tulip-Harbor-93")).await;
    assert_eq!(status, StatusCode::OK);
    // another device is one session too many
    let mut other = auth_body("lara", "Tulip-Harbor-93");
    other["calling_station_id"] = json!("99-99-99-99-99-99");
    let (status, body) = post(&cli, "authorize", &other).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        parsed(&body),
        json!({"control:Auth-Type": "Reject", "Reply-Message": "You are already logged in - access denied"})
    );
    // 3 h used today: the daily limit is reached (200, as openwisp-radius)
    let mut stop = acct_body("Stop", "u1", "lara");
    stop["session_time"] = json!(10800);
    assert_eq!(post(&cli, "accounting", &stop).await.0, StatusCode::OK);
    let (status, body) = post(&cli, "authorize", &auth_body("lara", "Tulip-Harbor-93")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        parsed(&body),
        json!({"control:Auth-Type": "Reject", "Reply-Message": "Your maximum daily usage time has been reached"})
    );
});

db_test!(
    authorize_password_cache_follows_password_and_state_changes,
    |db| {
        let s = subscribers(&db);
        let vera = s.create(new_user("vera"), true, &[]).await.unwrap();
        let cli = client(&config(&db), &db, "127.0.0.1");
        let accepted =
            |body: &str| !body.is_empty() && parsed(body)["control:Auth-Type"] == "Accept";
        assert!(accepted(
            &post(&cli, "authorize", &auth_body("vera", "Tulip-Harbor-93"))
                .await
                .1
        ));
        assert!(accepted(
            &post(&cli, "authorize", &auth_body("vera", "Tulip-Harbor-93"))
                .await
                .1
        ));
        s.set_password(vera.id, "Amber-Canyon-715").await.unwrap();
        assert!(!accepted(
            &post(&cli, "authorize", &auth_body("vera", "Tulip-Harbor-93"))
                .await
                .1
        ));
        assert!(accepted(
            &post(&cli, "authorize", &auth_body("vera", "Amber-Canyon-715"))
                .await
                .1
        ));
        s.disable(vera.id).await.unwrap();
        assert!(!accepted(
            &post(&cli, "authorize", &auth_body("vera", "Amber-Canyon-715"))
                .await
                .1
        ));
        s.enable(vera.id).await.unwrap();
        assert!(accepted(
            &post(&cli, "authorize", &auth_body("vera", "Amber-Canyon-715"))
                .await
                .1
        ));
        s.delete(vera.id).await.unwrap();
        assert!(!accepted(
            &post(&cli, "authorize", &auth_body("vera", "Amber-Canyon-715"))
                .await
                .1
        ));
    }
);

db_test!(authorize_mac_roaming_only_when_enabled, |db| {
    let s = subscribers(&db);
    s.create(new_user("vera"), true, &[]).await.unwrap();
    let mut c = config(&db);
    let off = client(&c, &db, "127.0.0.1");
    assert_eq!(
        post(&off, "accounting", &acct_body("Start", "u1", "vera"))
            .await
            .0,
        StatusCode::CREATED
    );
    let roam = json!({"username": "11:22:33:44:55:66", "password": "", "called_station_id": "BB", "calling_station_id": "11:22:33:44:55:66"});
    assert_eq!(
        post(&off, "authorize", &roam).await,
        (StatusCode::OK, String::new())
    );
    c.freeradius.mac_roaming = true;
    let on = client(&c, &db, "127.0.0.1");
    let (status, body) = post(&on, "authorize", &roam).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(parsed(&body)["control:Auth-Type"], "Accept");
    // no open session from that device: no roaming
    let mut stranger = roam.clone();
    stranger["username"] = json!("aa:bb:cc:dd:ee:ff");
    assert_eq!(
        post(&on, "authorize", &stranger).await,
        (StatusCode::OK, String::new())
    );
});

db_test!(
    accounting_full_cycle_with_empty_strings_gigawords_and_nas_reboot,
    |db| {
        let cli = client(&config(&db), &db, "127.0.0.1");
        assert_eq!(
            post(&cli, "accounting", &acct_body("Start", "u1", "mario")).await,
            (StatusCode::CREATED, String::new())
        );
        // a retransmitted Start changes nothing
        assert_eq!(
            post(&cli, "accounting", &acct_body("Start", "u1", "mario"))
                .await
                .0,
            StatusCode::CREATED
        );
        let mut interim = acct_body("Interim-Update", "u1", "mario");
        interim["session_time"] = json!("60");
        interim["input_octets"] = json!("100");
        assert_eq!(
            post(&cli, "accounting", &interim).await,
            (StatusCode::OK, String::new())
        );
        let row = db.store.radacct_by_unique_id("u1").await.unwrap().unwrap();
        assert_eq!(
            (row.acctsessiontime, row.acctinputoctets, row.acctstoptime),
            (Some(60), Some(100), None)
        );
        let mut stop = acct_body("Stop", "u1", "mario");
        stop["session_time"] = json!("120");
        stop["input_octets"] = json!("5");
        stop["input_gigawords"] = json!("1");
        stop["output_octets"] = json!(7);
        stop["terminate_cause"] = json!("User-Request");
        assert_eq!(post(&cli, "accounting", &stop).await.0, StatusCode::OK);
        let row = db.store.radacct_by_unique_id("u1").await.unwrap().unwrap();
        assert_eq!(row.acctinputoctets, Some((1_i64 << 32) + 5));
        assert_eq!(row.acctoutputoctets, Some(7));
        assert_eq!(row.acctsessiontime, Some(120));
        assert_eq!(row.acctterminatecause, "User-Request");
        assert!(row.acctstoptime.is_some());
        let rows = db.store.radacct_for_user("mario").await.unwrap();
        assert_eq!(rows.len(), 1, "one row per unique id");

        // a new session of the same user and device closes the older open one
        post(&cli, "accounting", &acct_body("Start", "u2", "mario")).await;
        post(&cli, "accounting", &acct_body("Start", "u3", "mario")).await;
        let u2 = db.store.radacct_by_unique_id("u2").await.unwrap().unwrap();
        assert!(u2.acctstoptime.is_some());
        assert_eq!(u2.acctterminatecause, "Session-Timeout");
        // Accounting-On closes the NAS' open sessions
        let mut other_nas = acct_body("Start", "u4", "luigi");
        other_nas["nas_ip_address"] = json!("10.0.0.2");
        post(&cli, "accounting", &other_nas).await;
        let on = json!({"status_type": "Accounting-On", "session_id": "", "unique_id": "", "username": "", "nas_ip_address": "10.0.0.1", "session_time": "", "input_octets": "", "output_octets": ""});
        assert_eq!(
            post(&cli, "accounting", &on).await,
            (StatusCode::OK, String::new())
        );
        let u3 = db.store.radacct_by_unique_id("u3").await.unwrap().unwrap();
        assert!(u3.acctstoptime.is_some());
        assert_eq!(u3.acctterminatecause, "NAS-Reboot");
        let u4 = db.store.radacct_by_unique_id("u4").await.unwrap().unwrap();
        assert_eq!(u4.acctstoptime, None, "another NAS' session stays open");
        assert!(
            db.store
                .nas_reload_time("10.0.0.1")
                .await
                .unwrap()
                .is_some()
        );
    }
);

db_test!(freeradius_api_refuses_strangers_and_garbage, |db| {
    let cli = client(&config(&db), &db, "127.0.0.1");
    let body = acct_body("Start", "u1", "mario").to_string();
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Basic czNjcmV0"),
        Some(TOKEN),
    ] {
        let (status, text) = post_raw(&cli, "accounting", auth, &body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{auth:?}");
        assert_eq!(parsed(&text)["error"]["kind"], "forbidden");
    }
    let stranger = client(&config(&db), &db, "10.9.9.9");
    assert_eq!(
        post(&stranger, "accounting", &acct_body("Start", "u1", "mario"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(
            &stranger,
            "authorize",
            &auth_body("vera", "Tulip-Harbor-93")
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert!(
        db.store.radacct_by_unique_id("u1").await.unwrap().is_none(),
        "nothing stored"
    );
    // openwisp-radius' form, with the organization's uuid
    let org = format!("Bearer 3d5e7b1c-0000-4000-8000-000000000000 {TOKEN}");
    assert_eq!(
        post_raw(&cli, "accounting", Some(&org), &body).await.0,
        StatusCode::CREATED
    );

    let auth = format!("Bearer {TOKEN}");
    for garbage in [
        "",
        "not json",
        "[1, 2]",
        "{\"status_type\": ",
        "null",
        r#"{"status_type": "Reboot", "nas_ip_address": "10.0.0.1", "unique_id": "x"}"#,
        r#"{"status_type": "Start", "nas_ip_address": "10.0.0.1"}"#,
        r#"{"status_type": "Start", "nas_ip_address": "not-an-ip", "unique_id": "x"}"#,
        r#"{"status_type": "Stop", "nas_ip_address": "10.0.0.1", "unique_id": "x", "input_octets": "-5"}"#,
    ] {
        let (status, text) = post_raw(&cli, "accounting", Some(&auth), garbage).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{garbage}: {text}");
        assert_eq!(parsed(&text)["error"]["kind"], "invalid");
    }
    assert!(db.store.radacct_by_unique_id("x").await.unwrap().is_none());
    let (status, _) = post_raw(&cli, "authorize", Some(&auth), "{{{").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // without a token the API does not exist
    let mut off = config(&db);
    off.freeradius.token = String::new();
    let off = client(&off, &db, "127.0.0.1");
    assert_eq!(
        post(&off, "authorize", &auth_body("vera", "Tulip-Harbor-93"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
});
