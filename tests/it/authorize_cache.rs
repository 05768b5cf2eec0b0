//! The cache of recent authorize reads (`[freeradius] authorize_cache_ms`): own writes seen
//! at once, other processes' within its time, and a busy name read again before it expires,
//! on every backend.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use owums_core::radius::CredentialCache;
use owums_core::radius::default_counters;
use owums_core::radius::{AuthorizeCache, CacheClock};
use owums_core::radius::{AuthorizeRequest, Authorizer, Decision};
use poem::test::TestClient;

use crate::freeradius_rest::{auth_body, client, config, parsed, post};
use crate::support::{TestDb, db_test, new_user, subscribers};

/// A second `Store` on the same database: what another `owums` process would write with.
async fn other_process(db: &TestDb) -> owums_core::Subscribers {
    let config = owums_core::config::DatabaseConfig {
        url: db.url.clone(),
        ..Default::default()
    };
    let store = owums_core::Store::connect(&config).await.unwrap();
    owums_core::Subscribers::new(store, owums_core::PasswordFormat::Crypt)
}

db_test!(
    authorize_cache_sees_own_writes_at_once_others_within_its_time,
    |db| {
        let s = subscribers(&db);
        let vera = s.create(new_user("vera"), true, &[]).await.unwrap();
        let elsewhere = other_process(&db).await;
        let accepted = async |cli: &TestClient<_>| {
            let (_, body) = post(cli, "authorize", &auth_body("vera", "Tulip-Harbor-93")).await;
            !body.is_empty() && parsed(&body)["control:Auth-Type"] == "Accept"
        };
        let mut long = config(&db);
        long.freeradius.authorize_cache_ms = 60_000;
        let cli = client(&long, &db, "127.0.0.1");
        assert!(accepted(&cli).await);
        // disabled by another process: this server answers from what it read, for up to a minute
        elsewhere.disable(vera.id).await.unwrap();
        assert!(accepted(&cli).await, "within authorize_cache_ms");
        // any user write of this process makes what it read stale at once
        s.create(new_user("zoey"), true, &[]).await.unwrap();
        assert!(!accepted(&cli).await, "after a write of this process");
        // refusals are not kept: enabled elsewhere, accepted at once
        elsewhere.enable(vera.id).await.unwrap();
        assert!(accepted(&cli).await);

        // a short time: a change elsewhere is seen once it has passed
        let mut short = config(&db);
        short.freeradius.authorize_cache_ms = 300;
        let cli = client(&short, &db, "127.0.0.1");
        assert!(accepted(&cli).await);
        elsewhere.disable(vera.id).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        assert!(!accepted(&cli).await, "after authorize_cache_ms");

        // 0: every request reads the database
        elsewhere.enable(vera.id).await.unwrap();
        let mut off = config(&db);
        off.freeradius.authorize_cache_ms = 0;
        let cli = client(&off, &db, "127.0.0.1");
        assert!(accepted(&cli).await);
        elsewhere.disable(vera.id).await.unwrap();
        assert!(!accepted(&cli).await, "no cache");
    }
);

db_test!(authorize_cache_sees_a_write_of_any_storage_method, |db| {
    // `Store::add_user_to_group` says nothing to the cache: the store counts its write
    let s = subscribers(&db);
    let vera = s.create(new_user("vera"), true, &[]).await.unwrap();
    let mut long = config(&db);
    long.freeradius.authorize_cache_ms = 60_000;
    let cli = client(&long, &db, "127.0.0.1");
    let accepted = async || {
        let (_, body) = post(&cli, "authorize", &auth_body("vera", "Tulip-Harbor-93")).await;
        !body.is_empty() && parsed(&body)["control:Auth-Type"] == "Accept"
    };
    assert!(accepted().await);
    let disabled = owums_core::GroupName::try_new("Disabled").unwrap();
    db.store
        .add_user_to_group(vera.id, &disabled, 0)
        .await
        .unwrap();
    assert!(!accepted().await, "the membership is seen at once");
});

/// A clock that moves only when the test says, and the function that moves it.
fn manual_clock() -> (CacheClock, impl Fn(Duration)) {
    let start = Instant::now();
    let offset = Arc::new(Mutex::new(Duration::ZERO));
    let read = offset.clone();
    let clock: CacheClock = Arc::new(move || start + *read.lock().unwrap());
    (clock, move |by| *offset.lock().unwrap() += by)
}

db_test!(
    authorize_cache_reads_a_busy_name_again_before_it_expires,
    |db| {
        let s = subscribers(&db);
        let vera = s.create(new_user("vera"), true, &[]).await.unwrap();
        let elsewhere = other_process(&db).await;
        let (clock, advance) = manual_clock();
        let reads = AuthorizeCache::new(100, Duration::from_secs(60)).with_clock(clock);
        let authorizer = Authorizer::new(
            db.store.clone(),
            Arc::new(CredentialCache::new(100, Duration::from_secs(300))),
            default_counters("CoovaChilli-Max-Total-Octets"),
            false,
        )
        .with_reads_cache(reads);
        let request = AuthorizeRequest {
            username: "vera".to_owned(),
            password: "Tulip-Harbor-93".to_owned(),
            ..AuthorizeRequest::default()
        };
        let accepted = async || {
            let decision = authorizer.authorize(&request, chrono::Utc::now()).await;
            matches!(decision.unwrap(), Decision::Accept { .. })
        };
        assert!(accepted().await);
        // disabled by another process: answered from the first reads while they are fresh
        elsewhere.disable(vera.id).await.unwrap();
        advance(Duration::from_secs(29));
        assert!(accepted().await, "from the first reads");
        // past half the time: still answered from them, and they are read again meanwhile
        advance(Duration::from_secs(2));
        assert!(
            accepted().await,
            "from the first reads, read again in the background"
        );
        // The clock stays at 31 s of 60: only the background reading can show the change.
        // It runs on its own task; the loop only bounds the wait for it.
        for _ in 0..1_000 {
            if !accepted().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("not read again in the background before its time was up");
    }
);
