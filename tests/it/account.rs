//! A subscriber's own account in the core: sessions, usage, profile changes; once per backend.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use owums_core::storage::RadiusView;
use owums_core::subscriber::{WebSessionKind, WebSessions};
use owums_core::{
    AccountingEvent, AccountingSink, AcctStatus, Email, ErrorKind, PasswordChange, ProfileUpdate,
    SessionQuery, SessionSort, Settings, SqlAccountingSink,
};

use crate::support::{db_test, new_user, subscribers};

/// 2026-11-22 12:00:00 UTC.
const NOON: i64 = 1_795_348_800;

/// A session of `user` started at `start` lasting `secs` (open when `None`).
async fn session(
    sink: &SqlAccountingSink,
    user: &str,
    id: &str,
    start: i64,
    secs: Option<u64>,
    up: u64,
    down: u64,
) {
    let mut e = AccountingEvent::new(AcctStatus::Start, id, id, user, "10.0.0.1");
    e.event_time = DateTime::from_timestamp(start, 0).unwrap();
    sink.record(&e).await.unwrap();
    if let Some(secs) = secs {
        e.status = AcctStatus::Stop;
        e.event_time = DateTime::from_timestamp(start + secs as i64, 0).unwrap();
        e.session_time = Some(secs);
        e.input_octets = up;
        e.output_octets = down;
        sink.record(&e).await.unwrap();
    }
}

db_test!(sessions_page_and_sort, |db| {
    let s = subscribers(&db);
    let sink = SqlAccountingSink::new(db.store.clone());
    let alice = s.register(new_user("alice")).await.unwrap();
    // (id, start, seconds, upload, download)
    let rows = [
        ("a1", NOON - 5000, Some(100), 500, 1),
        ("a2", NOON - 4000, Some(3000), 100, 5),
        ("a3", NOON - 3000, Some(50), 300, 3),
        ("a4", NOON - 2000, None, 0, 0),
        ("a5", NOON - 1000, Some(10), 200, 4),
    ];
    for (id, start, secs, up, down) in rows {
        session(&sink, "alice", id, start, secs, up, down).await;
    }
    session(&sink, "bob", "b1", NOON, Some(5), 9, 9).await;
    Settings::new(db.store.clone())
        .set("default_radacct_results_per_page", "2")
        .await
        .unwrap();
    let ids = |p: &owums_core::SessionPage| {
        p.sessions
            .iter()
            .map(|r| r.acctuniqueid.clone())
            .collect::<Vec<_>>()
    };
    let first = s
        .sessions(&alice.username, SessionQuery::default())
        .await
        .unwrap();
    assert_eq!((first.total, first.per_page, first.pages()), (5, 2, 3));
    assert_eq!(ids(&first), ["a5", "a4"], "newest first");
    let last = s
        .sessions(
            &alice.username,
            SessionQuery {
                page: 3,
                ..SessionQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&last), ["a1"]);
    let beyond = s
        .sessions(
            &alice.username,
            SessionQuery {
                page: 9,
                ..SessionQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(beyond.sessions.is_empty());
    let q = |sort, descending| SessionQuery {
        sort,
        descending,
        page: 1,
        per_page: Some(5),
    };
    let up = s
        .sessions(&alice.username, q(SessionSort::Upload, false))
        .await
        .unwrap();
    assert_eq!(ids(&up), ["a4", "a2", "a5", "a3", "a1"]);
    let down = s
        .sessions(&alice.username, q(SessionSort::Download, true))
        .await
        .unwrap();
    assert_eq!(ids(&down), ["a2", "a5", "a3", "a1", "a4"]);
    // Stop times: a1 -4900, a2 -1000, a3 -2950, a5 -990; the open a4 counts as the latest.
    let stop = s
        .sessions(&alice.username, q(SessionSort::Stop, true))
        .await
        .unwrap();
    assert_eq!(ids(&stop), ["a4", "a5", "a2", "a3", "a1"]);
    let stop_asc = s
        .sessions(&alice.username, q(SessionSort::Stop, false))
        .await
        .unwrap();
    assert_eq!(ids(&stop_asc), ["a1", "a3", "a2", "a5", "a4"]);
    let start_asc = s
        .sessions(&alice.username, q(SessionSort::Start, false))
        .await
        .unwrap();
    assert_eq!(ids(&start_asc), ["a1", "a2", "a3", "a4", "a5"]);
    for bad in [
        SessionQuery {
            page: 0,
            ..SessionQuery::default()
        },
        SessionQuery {
            per_page: Some(0),
            ..SessionQuery::default()
        },
        SessionQuery {
            per_page: Some(101),
            ..SessionQuery::default()
        },
    ] {
        let err = s.sessions(&alice.username, bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
    }
});

db_test!(usage_per_day_for_fourteen_days, |db| {
    let s = subscribers(&db);
    let sink = SqlAccountingSink::new(db.store.clone());
    let alice = s.register(new_user("alice")).await.unwrap();
    let day = 86_400;
    session(&sink, "alice", "t1", NOON - 3600, Some(600), 1000, 2000).await;
    session(&sink, "alice", "t2", NOON - 1800, None, 0, 0).await;
    session(&sink, "alice", "d3", NOON - 3 * day, Some(120), 10, 20).await;
    session(&sink, "alice", "d13", NOON - 13 * day, Some(30), 1, 2).await;
    session(&sink, "alice", "old", NOON - 14 * day, Some(30), 1, 2).await;
    session(&sink, "bob", "b1", NOON - 60, Some(30), 5, 5).await;
    let now = DateTime::<Utc>::from_timestamp(NOON, 0)
        .unwrap()
        .fixed_offset();
    let usage = s.usage(&alice.username, now).await.unwrap();
    assert_eq!(usage.days.len(), 14);
    assert_eq!(
        usage.days[0].date,
        NaiveDate::from_ymd_opt(2026, 11, 9).unwrap()
    );
    assert_eq!(
        usage.today.date,
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    );
    assert_eq!(usage.today, usage.days[13]);
    // The open session counts up to now.
    assert_eq!(usage.today.seconds, 600 + 1800);
    assert_eq!(
        (usage.today.input_octets, usage.today.output_octets),
        (1000, 2000)
    );
    assert_eq!(
        (usage.days[10].seconds, usage.days[10].input_octets),
        (120, 10)
    );
    assert_eq!(
        (usage.days[0].seconds, usage.days[0].output_octets),
        (30, 2)
    );
    let quiet: Vec<_> = usage.days.iter().filter(|d| d.seconds == 0).collect();
    assert_eq!(quiet.len(), 11, "days without traffic are zeros");
    assert!(
        quiet
            .iter()
            .all(|d| d.input_octets == 0 && d.output_octets == 0)
    );
});

db_test!(profile_update_is_all_or_nothing, |db| {
    let s = subscribers(&db);
    let alice = s.register(new_user("alice")).await.unwrap();
    s.register(new_user("bobby")).await.unwrap();
    s.verify(alice.id).await.unwrap();
    let update = ProfileUpdate {
        email: Some(Email::try_new("new@example.org").unwrap()),
        address: Some("  Via Po 2 ".into()),
        city: Some("Torino".into()),
        zip: Some("10100".into()),
        country: Some("Italy".into()),
        birth_date: NaiveDate::from_ymd_opt(1980, 5, 6),
        password: None,
    };
    let changed = s.update_profile(alice.id, update, None).await.unwrap();
    assert_eq!(changed.email.as_ref().unwrap().as_str(), "new@example.org");
    assert_eq!(changed.address, "Via Po 2");
    assert_eq!(changed.city, "Torino");
    assert_eq!(changed.birth_date, NaiveDate::from_ymd_opt(1980, 5, 6));
    assert_eq!(
        (changed.given_name.as_str(), changed.username.as_str()),
        ("Alice", "alice")
    );

    // Each bad input is an error and changes nothing, not even the valid fields beside it.
    let bad = |u: ProfileUpdate| ProfileUpdate {
        city: Some("Milano".into()),
        ..u
    };
    let cases = [
        (
            bad(ProfileUpdate {
                email: Some(Email::try_new("bobby@example.org").unwrap()),
                ..Default::default()
            }),
            ErrorKind::Conflict,
        ),
        (
            bad(ProfileUpdate {
                zip: Some("1".repeat(21)),
                ..Default::default()
            }),
            ErrorKind::Invalid,
        ),
        (
            bad(ProfileUpdate {
                address: Some("a\u{7}b".into()),
                ..Default::default()
            }),
            ErrorKind::Invalid,
        ),
        (
            bad(ProfileUpdate {
                birth_date: Some((Utc::now() + Duration::days(2)).date_naive()),
                ..Default::default()
            }),
            ErrorKind::Invalid,
        ),
        (
            bad(ProfileUpdate {
                password: Some(PasswordChange {
                    current: "wrong-pass1".into(),
                    new: "Velvet-Pine-381".into(),
                }),
                ..Default::default()
            }),
            ErrorKind::Invalid,
        ),
        (
            bad(ProfileUpdate {
                password: Some(PasswordChange {
                    current: "Tulip-Harbor-93".into(),
                    new: "short".into(),
                }),
                ..Default::default()
            }),
            ErrorKind::Invalid,
        ),
    ];
    for (update, kind) in cases {
        let err = s.update_profile(alice.id, update, None).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        let now = db.store.find_user(alice.id).await.unwrap().unwrap();
        assert_eq!(now, changed, "nothing changed after: {err}");
    }
    assert!(s.authenticate("alice", "Tulip-Harbor-93").await.is_ok());
    let unknown = s
        .update_profile(owums_core::UserId::random(), ProfileUpdate::default(), None)
        .await
        .unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::NotFound);
});

db_test!(password_change_ends_other_sessions, |db| {
    let s = subscribers(&db);
    let alice = s.register(new_user("alice")).await.unwrap();
    s.verify(alice.id).await.unwrap();
    let radius_before = db
        .store
        .radius_view(RadiusView::Check, "alice")
        .await
        .unwrap();
    let sessions = WebSessions::new(db.store.clone());
    let (current, _) = sessions
        .create(WebSessionKind::Web, Some(alice.id))
        .await
        .unwrap();
    let (phone, _) = sessions
        .create(WebSessionKind::Api, Some(alice.id))
        .await
        .unwrap();
    let bob = s.register(new_user("bobby")).await.unwrap();
    let (bobs, _) = sessions
        .create(WebSessionKind::Web, Some(bob.id))
        .await
        .unwrap();
    let update = ProfileUpdate {
        password: Some(PasswordChange {
            current: "Tulip-Harbor-93".into(),
            new: "Brisk-Otter-264".into(),
        }),
        ..Default::default()
    };
    s.update_profile(alice.id, update, Some(current.as_str()))
        .await
        .unwrap();
    assert!(s.authenticate("alice", "Brisk-Otter-264").await.is_ok());
    assert!(s.authenticate("alice", "Tulip-Harbor-93").await.is_err());
    let radius_after = db
        .store
        .radius_view(RadiusView::Check, "alice")
        .await
        .unwrap();
    assert_eq!(radius_after.len(), 1);
    assert_eq!(radius_after[0].attribute, "Crypt-Password");
    assert_ne!(
        radius_after, radius_before,
        "FreeRADIUS gets the new password"
    );
    assert!(
        sessions.get(current.as_str()).await.unwrap().is_some(),
        "this session stays"
    );
    assert!(
        sessions.get(phone.as_str()).await.unwrap().is_none(),
        "the others end"
    );
    assert!(
        sessions.get(bobs.as_str()).await.unwrap().is_some(),
        "other users keep theirs"
    );
});
