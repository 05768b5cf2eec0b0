//! What a NAS cannot do any more, on every backend: lock a subscriber out with absurd
//! counters, and lose acknowledged accounting through long `Acct-Unique-Session-Id`s.

use owums_core::GroupName;
use owums_core::accounting::MAX_SESSION_OCTETS;
use poem::http::StatusCode;
use serde_json::json;

use super::{acct_body, auth_body, client, config, limited_group, parsed, post};
use crate::support::{Backend, db_test, new_user, subscribers};

const TRAFFIC_REACHED: &str = "Your maximum daily usage traffic has been reached";

db_test!(absurd_counters_reach_the_quota_instead_of_failing, |db| {
    limited_group(&db).await;
    let s = subscribers(&db);
    let limited = [GroupName::try_new("Limited").unwrap()];
    s.create(new_user("lara"), true, &limited).await.unwrap();
    s.create(new_user("mara"), true, &limited).await.unwrap();
    let cli = client(&config(&db), &db, "127.0.0.1");

    // the probe's accounting: 2^32 - 1 gigawords and octets, 2^64 - 1 folded
    post(&cli, "accounting", &acct_body("Start", "big-1", "lara")).await;
    let mut stop = acct_body("Stop", "big-1", "lara");
    stop["session_time"] = json!("60");
    stop["input_octets"] = json!("4294967295");
    stop["input_gigawords"] = json!("4294967295");
    stop["output_octets"] = json!(u64::MAX.to_string());
    assert_eq!(post(&cli, "accounting", &stop).await.0, StatusCode::OK);
    let row = db
        .store
        .radacct_by_unique_id("big-1")
        .await
        .unwrap()
        .unwrap();
    let ceiling = i64::try_from(MAX_SESSION_OCTETS).unwrap();
    assert_eq!(
        (row.acctinputoctets, row.acctoutputoctets),
        (Some(ceiling), Some(ceiling)),
        "clamped to the per-session ceiling"
    );
    // ... and the next authorize is a reject over quota, not a 500
    for _ in 0..2 {
        let (status, body) = post(&cli, "authorize", &auth_body("lara", "Tulip-Harbor-93")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            parsed(&body),
            json!({"control:Auth-Type": "Reject", "Reply-Message": TRAFFIC_REACHED})
        );
    }

    // rows that were written without the ceiling (before it, or by FreeRADIUS' own SQL
    // queries): the sums saturate instead of overflowing
    let now = match db.backend() {
        Backend::Postgres => "now()",
        Backend::Mysql => "NOW()",
        Backend::Sqlite => "CAST(strftime('%s', 'now') AS INTEGER)",
    };
    let max = i64::MAX;
    for id in ["m1", "m2", "m3"] {
        db.exec(&format!(
            "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, \
             acctstarttime, acctstoptime, acctsessiontime, acctinputoctets, acctoutputoctets) \
             VALUES ('{id}', '{id}', 'mara', '10.0.0.1', {now}, {now}, 60, {max}, {max})"
        ))
        .await
        .unwrap();
    }
    let fresh = client(&config(&db), &db, "127.0.0.1");
    let (status, body) = post(&fresh, "authorize", &auth_body("mara", "Tulip-Harbor-93")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        parsed(&body),
        json!({"control:Auth-Type": "Reject", "Reply-Message": TRAFFIC_REACHED})
    );
    let usage = db.store.usage_since("mara", 0).await.unwrap();
    assert_eq!((usage.session_time, usage.octets), (180, i64::MAX));
});

db_test!(long_unique_ids_sharing_a_prefix_are_two_sessions, |db| {
    let cli = client(&config(&db), &db, "127.0.0.1");
    let prefix = "0123456789".repeat(4);
    let (a, b) = (format!("{prefix}-session-a"), format!("{prefix}-session-b"));
    let mut start_a = acct_body("Start", &a, "mario");
    start_a["session_id"] = json!("s-a");
    let mut start_b = acct_body("Start", &b, "luigi");
    start_b["session_id"] = json!("s-b");
    start_b["calling_station_id"] = json!("99-99-99-99-99-99");
    assert_eq!(
        post(&cli, "accounting", &start_a).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        post(&cli, "accounting", &start_b).await.0,
        StatusCode::CREATED
    );
    let rows = |user: &'static str| {
        let store = db.store.clone();
        async move { store.radacct_for_user(user).await.unwrap() }
    };
    assert_eq!(rows("mario").await.len(), 1);
    assert_eq!(rows("luigi").await.len(), 1, "the second Start has its row");

    // each Stop closes its own session
    let mut stop_b = acct_body("Stop", &b, "luigi");
    stop_b["session_id"] = json!("s-b");
    stop_b["session_time"] = json!("30");
    assert_eq!(post(&cli, "accounting", &stop_b).await.0, StatusCode::OK);
    let row_a = db.store.radacct_by_unique_id(&a).await.unwrap().unwrap();
    let row_b = db.store.radacct_by_unique_id(&b).await.unwrap().unwrap();
    assert_eq!(
        (row_a.username.as_str(), row_a.acctstoptime),
        ("mario", None)
    );
    assert_eq!(row_b.username, "luigi");
    assert_eq!(row_b.acctsessiontime, Some(30));
    assert!(row_b.acctstoptime.is_some());
    let mut stop_a = acct_body("Stop", &a, "mario");
    stop_a["session_id"] = json!("s-a");
    stop_a["session_time"] = json!("60");
    assert_eq!(post(&cli, "accounting", &stop_a).await.0, StatusCode::OK);
    let row_a = db.store.radacct_by_unique_id(&a).await.unwrap().unwrap();
    assert_eq!(row_a.acctsessiontime, Some(60));
    assert!(row_a.acctstoptime.is_some());
    let row_b = db.store.radacct_by_unique_id(&b).await.unwrap().unwrap();
    assert_eq!(
        row_b.acctsessiontime,
        Some(30),
        "untouched by the other Stop"
    );
    // the stored ids: 32 hex digits each, not the shared prefix
    for row in [&row_a, &row_b] {
        assert_eq!(row.acctuniqueid.len(), 32);
        assert!(row.acctuniqueid.chars().all(|c| c.is_ascii_hexdigit()));
    }
    // a FreeRADIUS-made id (32 hex digits) is kept as it is
    let md5 = "5d41402abc4b2a76b9719d911017c592";
    post(&cli, "accounting", &acct_body("Start", md5, "mario")).await;
    let row = db.store.radacct_by_unique_id(md5).await.unwrap().unwrap();
    assert_eq!(row.acctuniqueid, md5);
});

db_test!(
    a_start_whose_id_names_another_session_is_not_acknowledged,
    |db| {
        let cli = client(&config(&db), &db, "127.0.0.1");
        assert_eq!(
            post(&cli, "accounting", &acct_body("Start", "same-id", "mario"))
                .await
                .0,
            StatusCode::CREATED
        );
        // another session (user, session id and device) under the same id: not written, so not
        // acknowledged, whether the first is open or closed
        let mut other = acct_body("Start", "same-id", "luigi");
        other["session_id"] = json!("s-other");
        other["calling_station_id"] = json!("99-99-99-99-99-99");
        let (status, body) = post(&cli, "accounting", &other).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(parsed(&body)["error"]["kind"], "conflict");
        let mut stop = acct_body("Stop", "same-id", "mario");
        stop["session_time"] = json!("60");
        assert_eq!(post(&cli, "accounting", &stop).await.0, StatusCode::OK);
        assert_eq!(
            post(&cli, "accounting", &other).await.0,
            StatusCode::CONFLICT
        );
        assert!(db.store.radacct_for_user("luigi").await.unwrap().is_empty());
        let row = db
            .store
            .radacct_by_unique_id("same-id")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (row.username.as_str(), row.acctsessiontime),
            ("mario", Some(60))
        );
        // the same session's Start, late after its Stop: acknowledged, the session stays closed
        assert_eq!(
            post(&cli, "accounting", &acct_body("Start", "same-id", "mario"))
                .await
                .0,
            StatusCode::CREATED
        );
        let row = db
            .store
            .radacct_by_unique_id("same-id")
            .await
            .unwrap()
            .unwrap();
        assert!(row.acctstoptime.is_some());
    }
);
