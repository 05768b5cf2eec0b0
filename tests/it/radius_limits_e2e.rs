//! Usage limits in SQL mode, end to end on every backend: a real FreeRADIUS with
//! `rlm_sqlcounter` and the repository's `freeradius/sql/` configuration, counting what
//! FreeRADIUS itself wrote to owums' `radacct`. Without that configuration FreeRADIUS does not
//! know the check items and rejects every member of a limited group.

use std::sync::Arc;
use std::time::Duration;

use owums_core::radius::CounterWindow;
use owums_core::storage::NewGroup;
use owums_core::{AttributeKind, GroupName, RadiusAttribute};

use crate::radius_e2e::{auth, radius, start};
use crate::support::freeradius::{FreeRadius, RadiusReply};
use crate::support::{TestDb, db_test, new_user, subscribers};

/// A group with one check item and a verified member `user` (password `Tulip-Harbor-93`).
async fn limited_member(db: &TestDb, group: &str, check: &str, user: &str) {
    let group = GroupName::try_new(group).unwrap();
    db.store
        .create_group(NewGroup {
            name: group.clone(),
            priority: 1,
            notes: None,
            checks: vec![RadiusAttribute::parse(AttributeKind::Check, check).unwrap()],
            replies: vec![],
        })
        .await
        .unwrap();
    subscribers(db)
        .create(new_user(user), true, &[group])
        .await
        .unwrap();
}

/// One session of `user` sent through FreeRADIUS as a Start at `from` (Unix seconds) and a
/// Stop `seconds` later with the octets `(in, in gigawords, out, out gigawords)`.
async fn session(
    fr: &Arc<FreeRadius>,
    user: &'static str,
    id: &'static str,
    from: i64,
    seconds: i64,
    octets: (u32, u32, u32, u32),
) {
    let base = move |status: &str, at: i64| {
        vec![
            ("Acct-Status-Type", status.to_owned()),
            ("Acct-Session-Id", id.to_owned()),
            ("User-Name", user.to_owned()),
            ("NAS-Port", "7".to_owned()),
            ("Calling-Station-Id", "AA-BB-CC-DD-EE-FF".to_owned()),
            ("Event-Timestamp", at.to_string()),
        ]
    };
    let start = base("Start", from);
    let mut stop = base("Stop", from + seconds);
    stop.extend([
        ("Acct-Session-Time", seconds.to_string()),
        ("Acct-Input-Octets", octets.0.to_string()),
        ("Acct-Input-Gigawords", octets.1.to_string()),
        ("Acct-Output-Octets", octets.2.to_string()),
        ("Acct-Output-Gigawords", octets.3.to_string()),
        ("Acct-Terminate-Cause", "User-Request".to_owned()),
    ]);
    for attrs in [start, stop] {
        let r = radius(fr, move |fr| fr.accounting(&attrs)).await;
        assert_eq!(
            r.code.as_deref(),
            Some("Accounting-Response"),
            "{}\n{}",
            r.raw,
            fr.log_tail(40)
        );
    }
}

/// Midnight UTC today (Unix seconds). In the last minute of a day it first waits for the
/// next one, so that FreeRADIUS counts in the same window as the test.
async fn today() -> i64 {
    loop {
        let now = chrono::Utc::now();
        let midnight = CounterWindow::Daily.window_start(now);
        if midnight + 86_400 - now.timestamp() > 60 {
            return midnight;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// An accept whose `Session-Timeout` is the `left` seconds of a `limit` — or, when the day
/// ends first, rlm_sqlcounter's "time to midnight + the next day's limit" (more than `limit`,
/// at most `limit + left`).
fn assert_time_left(r: &RadiusReply, left: i64, limit: i64) {
    assert!(r.is_accept(), "{}", r.raw);
    let timeout: i64 = r
        .attr("Session-Timeout")
        .unwrap_or_else(|| panic!("no Session-Timeout: {}", r.raw))
        .parse()
        .unwrap();
    assert!(
        timeout == left || (timeout > limit && timeout <= limit + left),
        "Session-Timeout {timeout}, expected {left} left of {limit}: {}",
        r.raw
    );
}

/// An accept with `octets` left in the traffic reply attribute and no Session-Timeout.
fn assert_octets_left(r: &RadiusReply, octets: u64) {
    assert!(r.is_accept(), "{}", r.raw);
    assert_eq!(
        r.attr("ChilliSpot-Max-Total-Octets"),
        Some(octets.to_string().as_str()),
        "{}",
        r.raw
    );
    assert_eq!(r.attr("Session-Timeout"), None, "{}", r.raw);
}

db_test!(sql_mode_enforces_max_daily_session, |db| {
    limited_member(&db, "Daily", "Max-Daily-Session:=3600", "tina").await;
    let fr = Arc::new(start(&db, true).await);
    let midnight = today().await;

    let r = auth(&fr, "tina", "Tulip-Harbor-93").await;
    assert!(r.is_accept(), "{}\n{}", r.raw, fr.log_tail(40));
    assert_time_left(&r, 3600, 3600);

    // from 23:43:20 yesterday to 00:10 today: 600 s of it today
    session(&fr, "tina", "t1", midnight - 1000, 1600, (0, 0, 0, 0)).await;
    assert_time_left(&auth(&fr, "tina", "Tulip-Harbor-93").await, 3000, 3600);

    // 3000 s more: the hour is used up
    session(&fr, "tina", "t2", midnight + 1000, 3000, (0, 0, 0, 0)).await;
    let r = auth(&fr, "tina", "Tulip-Harbor-93").await;
    assert!(r.is_reject(), "{}\n{}", r.raw, fr.log_tail(40));
    assert_eq!(
        r.attr("Reply-Message"),
        Some("Your maximum daily usage time has been reached"),
        "{}",
        r.raw
    );
    assert_eq!(db.store.radacct_for_user("tina").await.unwrap().len(), 2);
});

db_test!(sql_mode_enforces_daily_and_monthly_traffic, |db| {
    let gb5 = 5_000_000_000_u64;
    limited_member(
        &db,
        "Volume",
        &format!("Max-Daily-Session-Traffic:={gb5}"),
        "vito",
    )
    .await;
    limited_member(
        &db,
        "Monthly",
        "Max-Monthly-Session-Traffic:=3000000000",
        "mona",
    )
    .await;
    let fr = Arc::new(start(&db, true).await);
    let midnight = today().await;

    // 5 GB left, more than the 32-bit attribute holds: capped, not wrapped around
    let r = auth(&fr, "vito", "Tulip-Harbor-93").await;
    assert!(r.is_accept(), "{}\n{}", r.raw, fr.log_tail(40));
    assert_octets_left(&r, u64::from(u32::MAX));

    // in: 1 gigaword + 1000, out: 2000 (64-bit sums, gigawords folded in)
    session(&fr, "vito", "v1", midnight + 60, 100, (1000, 1, 2000, 0)).await;
    let used = (1_u64 << 32) + 3000;
    assert_octets_left(&auth(&fr, "vito", "Tulip-Harbor-93").await, gb5 - used);
    // a session that ended before midnight is yesterday's
    session(&fr, "vito", "v0", midnight - 7200, 3600, (0, 1, 0, 1)).await;
    assert_octets_left(&auth(&fr, "vito", "Tulip-Harbor-93").await, gb5 - used);

    // exactly the rest: used up
    let rest = u32::try_from(gb5 - used).unwrap();
    session(&fr, "vito", "v2", midnight + 600, 100, (0, 0, rest, 0)).await;
    let r = auth(&fr, "vito", "Tulip-Harbor-93").await;
    assert!(r.is_reject(), "{}\n{}", r.raw, fr.log_tail(40));
    assert!(
        r.attr("Reply-Message").is_some_and(|m| m.contains("daily")),
        "{}",
        r.raw
    );

    // the monthly window starts on the 1st: last month's traffic does not count
    let month = CounterWindow::Monthly.window_start(chrono::Utc::now());
    let r = auth(&fr, "mona", "Tulip-Harbor-93").await;
    assert_octets_left(&r, 3_000_000_000);
    session(&fr, "mona", "m0", month - 7200, 3600, (0, 2, 0, 0)).await;
    session(&fr, "mona", "m1", month, 60, (2_000_000_000, 0, 0, 0)).await;
    assert_octets_left(&auth(&fr, "mona", "Tulip-Harbor-93").await, 1_000_000_000);
    session(
        &fr,
        "mona",
        "m2",
        midnight + 60,
        60,
        (0, 0, 1_000_000_000, 0),
    )
    .await;
    let r = auth(&fr, "mona", "Tulip-Harbor-93").await;
    assert!(r.is_reject(), "{}\n{}", r.raw, fr.log_tail(40));
    assert!(
        r.attr("Reply-Message")
            .is_some_and(|m| m.contains("monthly")),
        "{}",
        r.raw
    );
});
