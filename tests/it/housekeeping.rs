//! The housekeeping jobs and their leases, on every backend.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use owums_core::jobs::{Housekeeper, Job};
use owums_core::{Challenge, Expiry, Result, Settings, User, UserStatus, Verifier};

use crate::support::{db_test, new_user, subscribers};

/// A verification method with an expiry rule and nothing else.
struct Toy(&'static str, Expiry);

#[owums_core::async_trait]
impl Verifier for Toy {
    fn id(&self) -> &'static str {
        self.0
    }
    fn expiry(&self) -> Expiry {
        self.1
    }
    async fn challenge(&self, _user: &dyn User, _locale: &str) -> Result<Challenge> {
        Ok(Challenge::Done)
    }
}

fn toys() -> Vec<Arc<dyn Verifier>> {
    vec![
        Arc::new(Toy("phone", Expiry::Delete(Duration::from_secs(300)))),
        Arc::new(Toy("card", Expiry::Deactivate(Duration::from_secs(600)))),
    ]
}

db_test!(leases_let_one_holder_run_a_job, |db| {
    let now = Utc::now();
    let ttl = chrono::Duration::minutes(5);
    assert!(
        db.store
            .try_acquire_lease("job", "a", ttl, now)
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .try_acquire_lease("job", "b", ttl, now)
            .await
            .unwrap(),
        "held by a"
    );
    assert!(
        db.store
            .try_acquire_lease("job", "a", ttl, now)
            .await
            .unwrap(),
        "a renews"
    );
    let later = now + chrono::Duration::minutes(6);
    assert!(
        db.store
            .try_acquire_lease("job", "b", ttl, later)
            .await
            .unwrap(),
        "expired: b takes it"
    );
    db.store
        .release_lease("job", "b", Some(later))
        .await
        .unwrap();
    assert_eq!(
        db.store
            .job_last_run("job")
            .await
            .unwrap()
            .map(|t| t.timestamp()),
        Some(later.timestamp())
    );
    assert!(
        db.store
            .try_acquire_lease("job", "a", ttl, later)
            .await
            .unwrap(),
        "released"
    );
});

db_test!(housekeeping_expires_and_removes_by_the_rules, |db| {
    let s = subscribers(&db);
    let make = |name: &'static str, method: &'static str| {
        let mut u = new_user(name);
        u.verification_method = method.to_owned();
        u
    };
    let old_phone = s.register(make("oldphone", "phone")).await.unwrap();
    let new_phone = s.register(make("newphone", "phone")).await.unwrap();
    let old_card = s.register(make("oldcard", "card")).await.unwrap();
    let id_card = s.register(make("idcard", "id_card")).await.unwrap();
    let gone = s.create(make("gone", "phone"), true, &[]).await.unwrap();
    s.disable(gone.id).await.unwrap();
    let kept = s.create(make("kept", "card"), true, &[]).await.unwrap();
    s.disable(kept.id).await.unwrap();
    let recent = s.create(make("recent", "phone"), true, &[]).await.unwrap();
    s.disable(recent.id).await.unwrap();
    for name in ["oldphone", "oldcard", "idcard"] {
        db.exec(&format!(
            "UPDATE owums_users SET created_at = '2020-01-01 00:00:00' WHERE username = '{name}'"
        ))
        .await
        .unwrap();
    }
    for name in ["gone", "kept"] {
        db.exec(&format!(
            "UPDATE owums_users SET updated_at = '2020-01-01 00:00:00' WHERE username = '{name}'"
        ))
        .await
        .unwrap();
    }
    let keeper = Housekeeper::new(db.store.clone(), toys());
    let now = Utc::now();
    let reports = keeper.run_due(now).await.unwrap();
    let summary = |job: Job| {
        reports
            .iter()
            .find(|r| r.job == job)
            .and_then(|r| r.summary.clone())
            .unwrap()
    };
    assert_eq!(summary(Job::ExpireUnverified), "deleted 1, deactivated 1");
    assert_eq!(
        summary(Job::RemoveDisabledAccounts),
        "off (disabled_account_expire_days = 0)"
    );
    let find = |id| {
        let store = db.store.clone();
        async move { store.find_user(id).await.unwrap() }
    };
    assert!(
        find(old_phone.id).await.is_none(),
        "phone registrations expire after 300 s"
    );
    assert!(
        find(new_phone.id).await.is_some(),
        "a fresh registration stays"
    );
    assert_eq!(
        find(old_card.id).await.unwrap().status(),
        UserStatus::Inactive,
        "card users are kept, switched off"
    );
    assert!(
        find(id_card.id).await.is_some(),
        "a method without a verifier here is left alone"
    );

    Settings::new(db.store.clone())
        .set("disabled_account_expire_days", "30")
        .await
        .unwrap();
    assert!(
        keeper.run_due(now).await.unwrap().is_empty(),
        "nothing is due again within its period"
    );
    let reports = keeper.run_all(now).await.unwrap();
    let removed = reports
        .iter()
        .find(|r| r.job == Job::RemoveDisabledAccounts)
        .unwrap();
    assert_eq!(removed.summary.as_deref(), Some("deleted 1, deactivated 1"));
    assert!(find(gone.id).await.is_none());
    assert_eq!(find(kept.id).await.unwrap().status(), UserStatus::Inactive);
    assert_eq!(
        find(recent.id).await.unwrap().status(),
        UserStatus::Disabled,
        "disabled recently: kept"
    );
});

db_test!(a_job_leased_by_another_process_is_skipped, |db| {
    for i in 0..3 {
        let mut u = new_user(&format!("late{i}"));
        u.verification_method = "phone".into();
        subscribers(&db).register(u).await.unwrap();
    }
    db.exec("UPDATE owums_users SET created_at = '2020-01-01 00:00:00'")
        .await
        .unwrap();
    let now = Utc::now();
    let ttl = chrono::Duration::minutes(5);
    for job in Job::ALL {
        assert!(
            db.store
                .try_acquire_lease(job.name(), "other-process", ttl, now)
                .await
                .unwrap()
        );
    }
    let keeper = Housekeeper::new(db.store.clone(), toys());
    let reports = keeper.run_all(now).await.unwrap();
    assert!(reports.iter().all(|r| r.summary.is_none()), "{reports:?}");
    assert_eq!(
        db.store.count_users().await.unwrap(),
        3,
        "nothing done while another process holds the leases"
    );
    for job in Job::ALL {
        db.store
            .release_lease(job.name(), "other-process", None)
            .await
            .unwrap();
    }
    let reports = keeper.run_all(now).await.unwrap();
    let expired = reports
        .iter()
        .find(|r| r.job == Job::ExpireUnverified)
        .unwrap();
    assert_eq!(expired.summary.as_deref(), Some("deleted 3, deactivated 0"));
    assert_eq!(db.store.count_users().await.unwrap(), 0);
});

/// A lookup that knows one device.
struct OneDevice;

#[owums_core::async_trait]
impl owums_core::accounting::AccessPointLookup for OneDevice {
    async fn access_point_of(&self, client_mac: &str) -> Result<Option<String>> {
        Ok((client_mac == "aa:bb:cc:dd:ee:01").then(|| "00:26:b9:75:f2:1d".to_owned()))
    }
}

db_test!(
    housekeeping_converts_called_station_ids_with_a_lookup,
    |db| {
        use owums_core::{AccountingEvent, AccountingSink, AcctStatus, SqlAccountingSink};
        let mut start = AccountingEvent::new(AcctStatus::Start, "k1", "k1", "kim", "10.0.0.1");
        start.calling_station_id = "AA-BB-CC-DD-EE-01".into();
        start.called_station_id = "br-dwifi".into();
        SqlAccountingSink::new(db.store.clone())
            .record(&start)
            .await
            .unwrap();
        let keeper = Housekeeper::new(db.store.clone(), vec![])
            .with_access_point_lookup(Arc::new(OneDevice));
        let reports = keeper.run_all(Utc::now()).await.unwrap();
        let convert = reports
            .iter()
            .find(|r| r.job == Job::ConvertCalledStationIds)
            .unwrap();
        assert_eq!(convert.summary.as_deref(), Some("converted 1, unknown 0"));
        let row = db.store.radacct_by_unique_id("k1").await.unwrap().unwrap();
        assert_eq!(row.calledstationid, "00-26-B9-75-F2-1D:br-dwifi");
    }
);
