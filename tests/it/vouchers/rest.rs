//! REST mode: the authorize refuses an expired voucher like an inactive user, including
//! one that expires while its read is cached.

use owums_core::radius::Validity;

use super::{request, start_days_ago, vouchers};
use crate::freeradius_rest::{acct_body, auth_body, client, config, parsed, post};
use crate::support::db_test;

db_test!(rest_authorize_enforces_voucher_validity, |db| {
    let v = vouchers(&db);
    let today = chrono::Utc::now().date_naive();
    let future = v
        .generate(&request(
            "future",
            1,
            "f-",
            Validity::Until(today + chrono::Duration::days(10)),
        ))
        .await
        .unwrap();
    let past = v
        .generate(&request(
            "past",
            1,
            "p-",
            Validity::Until(today - chrono::Duration::days(1)),
        ))
        .await
        .unwrap();
    let days = v
        .generate(&request("days", 1, "d-", Validity::Days(2)))
        .await
        .unwrap();

    let mut c = config(&db);
    // a long cache: an expiry must be seen even while the read is kept
    c.freeradius.authorize_cache_ms = 60_000;
    let cli = client(&c, &db, "127.0.0.1");
    let accepted = async |cli: &_, (u, p): &(String, String)| {
        let (_, body) = post(cli, "authorize", &auth_body(u, p)).await;
        !body.is_empty() && parsed(&body)["control:Auth-Type"] == "Accept"
    };
    assert!(
        accepted(&cli, &future.vouchers[0]).await,
        "valid until a future date"
    );
    assert!(
        !accepted(&cli, &past.vouchers[0]).await,
        "valid until a past date"
    );

    let d = &days.vouchers[0];
    assert!(accepted(&cli, d).await, "days validity, never used");
    let (status, _) = post(&cli, "accounting", &acct_body("Start", "v-1", &d.0)).await;
    assert!(status.is_success(), "{status}");
    assert!(accepted(&cli, d).await, "right after its first Start");
    assert!(accepted(&cli, d).await, "again, from the cache");
    // the first use moved three days back: two days of validity are over (read without the
    // cache, whose expiry instant is the real first use's)
    start_days_ago(&db, &d.0, 3).await;
    c.freeradius.authorize_cache_ms = 0;
    let cli = client(&c, &db, "127.0.0.1");
    let (_, view) = v.show("days").await.unwrap();
    assert!(
        !accepted(&cli, d).await,
        "first use + 2 days is past: {view:?}"
    );
    // the same answer as an inactive user: a reject without a reason
    let (_, body) = post(&cli, "authorize", &auth_body(&d.0, &d.1)).await;
    assert!(
        body.is_empty() || parsed(&body)["control:Auth-Type"] != "Accept",
        "{body}"
    );
});
