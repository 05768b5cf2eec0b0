//! Accounting storage, once per backend: events arriving together (also beside open
//! sessions), idempotent radacct writes, statement plans on PostgreSQL, and post-auth rows
//! that never keep a password.

use owums_core::{AccountingEvent, AccountingSink, AcctStatus, SqlAccountingSink, fold_gigawords};

use crate::support::db_test;

db_test!(accounting_sink_writes_events_arriving_together, |db| {
    // on PostgreSQL these go to the database in groups (one transaction each)
    let sink =
        std::sync::Arc::new(SqlAccountingSink::new(db.store.clone()).closing_older_sessions());
    let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let event = |status, i: usize| {
        let mut e = AccountingEvent::new(
            status,
            &format!("g-{i}"),
            &format!("s-{i}"),
            &format!("user{i}"),
            "10.0.0.1",
        );
        e.event_time =
            t0 + chrono::Duration::seconds(if status == AcctStatus::Start { 0 } else { 60 });
        e.calling_station_id = format!("AA-BB-CC-DD-EE-{i:02X}");
        e.session_time = (status != AcctStatus::Start).then_some(60);
        e.input_octets = if status == AcctStatus::Start {
            0
        } else {
            1000 + i as u64
        };
        e
    };
    for status in [
        AcctStatus::Start,
        AcctStatus::InterimUpdate,
        AcctStatus::Stop,
    ] {
        let writes: Vec<_> = (0..40)
            .map(|i| {
                let (sink, e) = (sink.clone(), event(status, i));
                tokio::spawn(async move { sink.record(&e).await })
            })
            .collect();
        for w in writes {
            w.await.unwrap().unwrap();
        }
    }
    for i in 0..40 {
        let r = db
            .store
            .radacct_by_unique_id(&format!("g-{i}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.acctstoptime, Some(1_700_000_060), "session {i}");
        assert_eq!(r.acctinputoctets, Some(1000 + i as i64));
        assert_eq!(r.acctsessiontime, Some(60));
    }
    if db.backend() == owums_core::storage::Backend::Postgres {
        // a value PostgreSQL refuses fails that event only, not the others of its group
        let mut bad = event(AcctStatus::Start, 99);
        bad.framed_ip_address = "not-an-address".into();
        let writes: Vec<_> = (100..120)
            .map(|i| event(AcctStatus::Start, i))
            .chain([bad])
            .map(|e| {
                let sink = sink.clone();
                tokio::spawn(async move { (e.unique_id.clone(), sink.record(&e).await) })
            })
            .collect();
        for w in writes {
            let (id, result) = w.await.unwrap();
            assert_eq!(result.is_err(), id == "g-99", "{id}: {result:?}");
        }
        for i in 100..120 {
            assert!(
                db.store
                    .radacct_by_unique_id(&format!("g-{i}"))
                    .await
                    .unwrap()
                    .is_some()
            );
        }
    }
});

db_test!(devices_logging_on_and_off_together_are_all_recorded, |db| {
    // rounds of devices logging on together, then off (as at a busy hotspot): every event
    // is written. On MariaDB the Starts once deadlocked: each closed its user's older
    // sessions through a scan of every open session, locking them in its own order.
    let sink =
        std::sync::Arc::new(SqlAccountingSink::new(db.store.clone()).closing_older_sessions());
    let event = |status, i: usize, round: usize| {
        let mut e = AccountingEvent::new(
            status,
            &format!("d-{round}-{i}"),
            &format!("s-{round}-{i}"),
            &format!("dev{i:03}"),
            "10.0.0.1",
        );
        e.calling_station_id = format!("AA-BB-CC-DD-EE-{i:02X}");
        e.session_time = (status == AcctStatus::Stop).then_some(5);
        e
    };
    for round in 0..40 {
        for status in [AcctStatus::Start, AcctStatus::Stop] {
            let writes: Vec<_> = (0..16)
                .map(|i| {
                    let (sink, e) = (sink.clone(), event(status, i, round));
                    tokio::spawn(async move { sink.record(&e).await })
                })
                .collect();
            for w in writes {
                w.await.unwrap().unwrap();
            }
        }
    }
    for round in 0..40 {
        for i in 0..16 {
            let r = db
                .store
                .radacct_by_unique_id(&format!("d-{round}-{i}"))
                .await;
            let r = r.unwrap().unwrap_or_else(|| panic!("session {round}-{i}"));
            assert_eq!(r.acctsessiontime, Some(5), "session {round}-{i} stopped");
        }
    }
});

/// A radacct analyzed while empty (a new install, or a bench's VACUUM ANALYZE before any
/// traffic) must not leave the accounting statements on a plan that scans the whole table:
/// PostgreSQL would keep such a generic plan for the life of the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounting_statements_are_planned_for_the_table_as_it_is_now() {
    use owums_core::storage::Backend;
    let Some(db) = crate::support::TestDb::new(Backend::Postgres).await else {
        return;
    };
    // one connection per pool: the look at the prepared statements is on the one that wrote
    let config = owums_core::config::DatabaseConfig {
        url: db.url.clone(),
        pool_size: 1,
        ..Default::default()
    };
    let store = owums_core::Store::connect(&config).await.unwrap();
    db.exec("VACUUM ANALYZE radacct").await.unwrap();
    let sink = SqlAccountingSink::new(store.clone()).closing_older_sessions();
    let session = |status, i: u32| {
        let mut e = AccountingEvent::new(
            status,
            &format!("p-{i}"),
            &format!("s-{i}"),
            "alice",
            "10.0.0.1",
        );
        e.calling_station_id = format!("AA-BB-CC-DD-EE-{i:02X}");
        e.session_time = (status != AcctStatus::Start).then_some(60);
        e
    };
    let packets = |n: std::ops::Range<u32>| {
        n.flat_map(|i| {
            [AcctStatus::Start, AcctStatus::InterimUpdate]
                .into_iter()
                .map(move |s| session(s, i))
        })
    };
    for e in packets(0..8) {
        sink.record(&e).await.unwrap();
    }
    db.exec(
        "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, \
         acctstarttime, acctstoptime) SELECT 'b-' || i, 'b-' || i, 'bulk' || i, '10.0.0.2', \
         now(), now() FROM generate_series(1, 20000) AS i",
    )
    .await
    .unwrap();
    for e in packets(8..16) {
        sink.record(&e).await.unwrap();
    }
    let plans = owums_core::test_support::accounting_strings(
        &store,
        "SELECT CAST(generic_plans AS TEXT) || ' ' || CAST(custom_plans AS TEXT) || ' ' || \
         statement AS v FROM pg_prepared_statements WHERE statement LIKE '%radacct%' \
         AND statement NOT LIKE '%pg_prepared_statements%'",
    )
    .await
    .unwrap();
    let runs = |p: &String| -> (u64, u64) {
        let mut n = p.split(' ').map(|n| n.parse().unwrap_or(0));
        (n.next().unwrap_or(0), n.next().unwrap_or(0))
    };
    assert!(
        plans.iter().any(|p| runs(p).0 + runs(p).1 >= 16),
        "the Starts and Interim-Updates ran prepared: {plans:?}"
    );
    assert!(
        plans.iter().all(|p| runs(p).0 == 0),
        "no statement runs a plan made for the empty table: {plans:?}"
    );
    let r = store.radacct_by_unique_id("p-15").await.unwrap().unwrap();
    assert_eq!(r.acctsessiontime, Some(60));
}

db_test!(accounting_sink_writes_radacct_idempotently, |db| {
    let sink = SqlAccountingSink::new(db.store.clone());
    let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let mut start = AccountingEvent::new(AcctStatus::Start, "u-1", "s-1", "alice", "10.0.0.1");
    start.event_time = t0;
    start.calling_station_id = "AA-BB-CC-DD-EE-FF".into();
    start.framed_ip_address = "10.1.0.5".into();
    sink.record(&start).await.unwrap();
    sink.record(&start).await.unwrap();
    let rows = db.store.radacct_for_user("alice").await.unwrap();
    assert_eq!(rows.len(), 1, "a repeated Start is one session");
    assert_eq!(rows[0].acctstarttime, Some(1_700_000_000));
    assert_eq!(rows[0].acctstoptime, None);
    assert_eq!(rows[0].nasipaddress, "10.0.0.1");
    let mut interim = start.clone();
    interim.status = AcctStatus::InterimUpdate;
    interim.event_time = t0 + chrono::Duration::seconds(300);
    interim.session_time = Some(300);
    interim.input_octets = fold_gigawords(10, 1);
    interim.output_octets = fold_gigawords(20, 2);
    sink.record(&interim).await.unwrap();
    let r = db.store.radacct_by_unique_id("u-1").await.unwrap().unwrap();
    assert_eq!(r.acctinputoctets, Some(4_294_967_306));
    assert_eq!(r.acctoutputoctets, Some(8_589_934_612));
    assert_eq!(r.acctsessiontime, Some(300));
    assert_eq!(r.acctupdatetime, Some(1_700_000_300));
    let mut stop = interim.clone();
    stop.status = AcctStatus::Stop;
    stop.event_time = t0 + chrono::Duration::seconds(600);
    stop.session_time = Some(600);
    stop.terminate_cause = "User-Request".into();
    sink.record(&stop).await.unwrap();
    sink.record(&stop).await.unwrap();
    sink.record(&start).await.unwrap();
    let r = db.store.radacct_by_unique_id("u-1").await.unwrap().unwrap();
    assert_eq!(r.acctstoptime, Some(1_700_000_600));
    assert_eq!(
        r.acctstarttime,
        Some(1_700_000_000),
        "a late Start does not reopen a closed session"
    );
    assert_eq!(r.acctsessiontime, Some(600));
    assert_eq!(r.acctterminatecause, "User-Request");
    assert_eq!(db.store.radacct_for_user("alice").await.unwrap().len(), 1);
    // An Interim-Update for an unknown session creates it, started session-time ago.
    let mut orphan =
        AccountingEvent::new(AcctStatus::InterimUpdate, "u-2", "s-2", "alice", "10.0.0.1");
    orphan.event_time = t0;
    orphan.session_time = Some(60);
    sink.record(&orphan).await.unwrap();
    let o = db.store.radacct_by_unique_id("u-2").await.unwrap().unwrap();
    assert_eq!(o.acctstarttime, Some(1_700_000_000 - 60));
    // Accounting-On closes the NAS's open sessions, and only that NAS's.
    let mut other = AccountingEvent::new(AcctStatus::Start, "u-3", "s-3", "bob", "10.0.0.2");
    other.event_time = t0;
    sink.record(&other).await.unwrap();
    let mut on = AccountingEvent::new(AcctStatus::AccountingOn, "", "", "", "10.0.0.1");
    on.event_time = t0 + chrono::Duration::seconds(100);
    sink.record(&on).await.unwrap();
    let o = db.store.radacct_by_unique_id("u-2").await.unwrap().unwrap();
    assert_eq!(o.acctstoptime, Some(1_700_000_100));
    assert_eq!(o.acctterminatecause, "NAS-Reboot");
    assert_eq!(o.acctsessiontime, Some(160));
    assert_eq!(
        db.store
            .radacct_by_unique_id("u-3")
            .await
            .unwrap()
            .unwrap()
            .acctstoptime,
        None
    );
});

/// A change that makes an event bad.
type Change = fn(&mut AccountingEvent);

db_test!(
    accounting_sink_refuses_values_longer_than_their_columns,
    |db| {
        // what an integrator calling the sink directly sends: no HTTP adapter in between
        let sink = SqlAccountingSink::new(db.store.clone()).closing_older_sessions();
        let long = |c: &str, n: usize| c.repeat(n);
        let start =
            AccountingEvent::new(AcctStatus::Start, &long("u", 40), "s", "alice", "10.0.0.1");
        let cases: [(&str, Change); 12] = [
            ("session_id", |e| e.session_id = "s".repeat(65)),
            ("username", |e| e.username = "ä".repeat(65)),
            ("realm", |e| e.realm = "r".repeat(65)),
            ("nas_port_id", |e| e.nas_port_id = "p".repeat(33)),
            ("nas_port_type", |e| e.nas_port_type = "t".repeat(33)),
            ("called_station_id", |e| {
                e.called_station_id = "A".repeat(51)
            }),
            ("calling_station_id", |e| {
                e.calling_station_id = "B".repeat(51)
            }),
            ("service_type", |e| e.service_type = "v".repeat(33)),
            ("framed_protocol", |e| e.framed_protocol = "f".repeat(33)),
            ("authentic", |e| e.authentic = "a".repeat(33)),
            ("connect_info", |e| e.connect_info = "c".repeat(129)),
            ("terminate_cause", |e| e.terminate_cause = "x".repeat(33)),
        ];
        for (field, change) in cases {
            let mut e = start.clone();
            change(&mut e);
            match sink.record(&e).await {
                Err(owums_core::Error::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        assert!(
            db.strings("SELECT acctuniqueid AS v FROM radacct")
                .await
                .unwrap()
                .is_empty()
        );
        // at the widths, everything is kept whole; the 40-character unique id is a digest
        let mut start = start;
        start.username = long("ä", 64);
        start.called_station_id = long("A", 50);
        start.connect_info = long("c", 128);
        sink.record(&start).await.unwrap();
        let mut stop = start.clone();
        stop.status = AcctStatus::Stop;
        stop.session_time = Some(60);
        stop.terminate_cause = long("x", 32);
        sink.record(&stop).await.unwrap();
        let r = db
            .store
            .radacct_by_unique_id(&long("u", 40))
            .await
            .unwrap()
            .expect("the session under its whole id");
        assert_eq!(r.acctuniqueid.len(), 32);
        assert_ne!(r.acctuniqueid, long("u", 32), "a digest, not a cut");
        assert_eq!(r.username, long("ä", 64));
        assert_eq!(r.calledstationid, long("A", 50));
        assert_eq!(r.acctterminatecause, long("x", 32));
        assert_eq!(r.acctsessiontime, Some(60));
        assert!(r.acctstoptime.is_some());
    }
);

db_test!(radpostauth_never_keeps_an_accepted_password, |db| {
    db.store
        .record_postauth("alice", "Orchid-Tundra-19", "Access-Accept", 1_700_000_000)
        .await
        .unwrap();
    db.store
        .record_postauth("alice", "wrong", "Access-Reject", 1_700_000_001)
        .await
        .unwrap();
    // What FreeRADIUS' stock post-auth query writes, with the password.
    db.exec("INSERT INTO radpostauth (username, pass, reply, authdate) VALUES ('alice', 'secret2', 'Access-Accept', '2026-01-01 10:00:00')")
        .await
        .unwrap();
    let rows = db.store.postauth_for_user("alice").await.unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].pass, "", "trigger blanks what FreeRADIUS wrote");
    assert_eq!(rows[1].pass, "wrong");
    assert_eq!(rows[1].reply, "Access-Reject");
    assert_eq!(rows[2].pass, "");
    assert_eq!(rows[2].authdate, Some(1_700_000_000));
    assert_eq!(rows[0].authdate, Some(1_767_261_600));
});
