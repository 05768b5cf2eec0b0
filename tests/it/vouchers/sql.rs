//! SQL mode with a real FreeRADIUS (`rlm_sql`, stock queries): an expired voucher gets
//! Access-Reject, through the views it reads, on every backend — a date validity, and a
//! days validity counted from the first Accounting Start FreeRADIUS itself wrote.

use owums_core::radius::Validity;

use super::{request, start_days_ago, vouchers};
use crate::radius_e2e::{radius, start};
use crate::support::db_test;

db_test!(freeradius_sql_mode_rejects_expired_vouchers, |db| {
    let v = vouchers(&db);
    let today = chrono::Utc::now().date_naive();
    let until = |days| Validity::Until(today + chrono::Duration::days(days));
    let future = v
        .generate(&request("future", 1, "f-", until(10)))
        .await
        .unwrap();
    let past = v
        .generate(&request("past", 1, "p-", until(-1)))
        .await
        .unwrap();
    let days = v
        .generate(&request("days", 1, "d-", Validity::Days(2)))
        .await
        .unwrap();
    let fr = std::sync::Arc::new(start(&db, true).await);
    let auth = async |(u, p): &(String, String)| {
        let (u, p) = (u.clone(), p.clone());
        radius(&fr, move |fr| fr.authenticate(&u, &p)).await
    };
    let ok = auth(&future.vouchers[0]).await;
    assert!(
        ok.is_accept(),
        "valid until a future date: {}\n{}",
        ok.raw,
        fr.log_tail(30)
    );
    assert_eq!(
        ok.attr("Session-Timeout"),
        Some("3600"),
        "the group's replies"
    );
    assert!(
        !auth(&past.vouchers[0]).await.is_accept(),
        "valid until yesterday"
    );

    let d = days.vouchers[0].clone();
    assert!(auth(&d).await.is_accept(), "days validity, never used");
    let now = chrono::Utc::now().timestamp();
    let start_attrs = vec![
        ("User-Name", d.0.clone()),
        ("Acct-Status-Type", "Start".to_owned()),
        ("Acct-Session-Id", "voucher-1".to_owned()),
        ("NAS-IP-Address", "127.0.0.1".to_owned()),
        ("NAS-Port", "7".to_owned()),
        ("Calling-Station-Id", "AA-BB-CC-DD-EE-01".to_owned()),
        ("Event-Timestamp", now.to_string()),
    ];
    let r = radius(&fr, move |fr| fr.accounting(&start_attrs)).await;
    assert_eq!(r.code.as_deref(), Some("Accounting-Response"), "{}", r.raw);
    assert!(
        auth(&d).await.is_accept(),
        "first used just now: two days left"
    );
    // first used three days ago: the two days are over
    start_days_ago(&db, &d.0, 3).await;
    let late = auth(&d).await;
    assert!(!late.is_accept(), "{}\n{}", late.raw, fr.log_tail(30));
});
