//! Generating a batch: distinct users in the group, refusals, all or nothing, counts.

use owums_core::radius::{VOUCHER_ALPHABET, Validity, VoucherState};
use owums_core::subscriber::verify_password;
use owums_core::{ErrorKind, GroupName};

use super::{in_radcheck, request, start_days_ago, vouchers};
use crate::freeradius_rest::{acct_body, client, config, post};
use crate::support::{Backend, TestDb, db_test};

/// Makes every insert into owums_vouchers fail once `n` rows exist: a failure in the middle
/// of a batch.
async fn fail_after(db: &TestDb, n: usize) {
    let sql = match db.backend() {
        Backend::Sqlite => format!(
            "CREATE TRIGGER boom BEFORE INSERT ON owums_vouchers \
             WHEN (SELECT COUNT(*) FROM owums_vouchers) >= {n} \
             BEGIN SELECT RAISE(ABORT, 'forced failure'); END;"
        ),
        Backend::Postgres => format!(
            "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN \
             IF (SELECT COUNT(*) FROM owums_vouchers) >= {n} THEN RAISE EXCEPTION 'forced failure'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER boom BEFORE INSERT ON owums_vouchers FOR EACH ROW EXECUTE FUNCTION boom();"
        ),
        Backend::Mysql => format!(
            "CREATE TRIGGER boom BEFORE INSERT ON owums_vouchers FOR EACH ROW BEGIN \
             IF (SELECT COUNT(*) FROM owums_vouchers) >= {n} THEN \
             SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'forced failure'; END IF; END"
        ),
    };
    db.exec(&sql).await.unwrap();
}

async fn count(db: &TestDb, sql: &str) -> usize {
    let t = match db.backend() {
        Backend::Mysql => "CHAR",
        _ => "TEXT",
    };
    db.strings(&format!("SELECT CAST(COUNT(*) AS {t}) AS v FROM {sql}"))
        .await
        .unwrap()[0]
        .trim()
        .parse()
        .unwrap()
}

db_test!(
    a_batch_is_distinct_valid_users_in_its_group_all_or_nothing,
    |db| {
        let v = vouchers(&db);
        let made = v
            .generate(&request("spring", 60, "sp-", Validity::Days(3)))
            .await
            .unwrap();
        assert_eq!(made.vouchers.len(), 60);
        let mut names: Vec<&str> = made.vouchers.iter().map(|(u, _)| u.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 60, "usernames are distinct");
        for (u, p) in &made.vouchers {
            assert!(u.starts_with("sp-") && u.len() == 9, "{u}");
            assert_eq!(p.len(), 10);
            assert!(p.bytes().all(|b| VOUCHER_ALPHABET.contains(&b)), "{p}");
            assert!(!p.contains(['0', 'o', '1', 'l']), "{p}");
        }
        // subscribers: verified, active, EULA accepted, method voucher, in the group
        let valid = count(
            &db,
            "owums_users u JOIN owums_user_groups g ON g.user_id = u.id \
         WHERE g.group_name = 'Users' AND u.verification_method = 'voucher' \
         AND u.verified AND u.active AND u.eula_accepted",
        )
        .await;
        assert_eq!(valid, 60);
        // the cheap web password hash verifies like any other
        let (u, p) = &made.vouchers[0];
        let hash = db
            .strings(&format!(
                "SELECT password_hash AS v FROM owums_users WHERE username = '{u}'"
            ))
            .await
            .unwrap();
        assert!(
            hash[0].starts_with("$argon2id$v=19$m=1024,t=1,p=1$"),
            "{}",
            hash[0]
        );
        assert!(verify_password(p, &hash[0]));
        assert!(!verify_password("wrong-pass", &hash[0]));
        assert!(in_radcheck(&db, u).await);
        assert_eq!(
            (made.batch.unused, made.batch.used, made.batch.expired),
            (60, 0, 0)
        );
        assert!(!made.changes.is_empty());

        // refusals write nothing
        let refused = |r: owums_core::Result<_>| r.map(|_| ()).unwrap_err().kind();
        assert_eq!(
            refused(
                v.generate(&request("spring", 5, "sp-", Validity::Days(3)))
                    .await
            ),
            ErrorKind::Conflict
        );
        assert_eq!(
            refused(
                v.generate(&request("zero", 0, "z", Validity::Days(3)))
                    .await
            ),
            ErrorKind::Invalid
        );
        assert_eq!(
            refused(
                v.generate(&request("many", 100_001, "m", Validity::Days(3)))
                    .await
            ),
            ErrorKind::Invalid
        );
        assert_eq!(
            refused(
                v.generate(&request("bad", 5, "Bad Prefix", Validity::Days(3)))
                    .await
            ),
            ErrorKind::Invalid
        );
        let mut unknown = request("gold", 5, "g", Validity::Days(3));
        unknown.group = GroupName::try_new("Gold").unwrap();
        assert_eq!(refused(v.generate(&unknown).await), ErrorKind::NotFound);

        // a failure in the middle of a batch leaves nothing of it
        fail_after(&db, 70).await;
        let failed = v
            .generate(&request("summer", 30, "su-", Validity::Days(3)))
            .await;
        assert!(failed.is_err());
        assert_eq!(count(&db, "owums_users").await, 60);
        assert_eq!(count(&db, "owums_vouchers").await, 60);
        assert_eq!(count(&db, "owums_radius_checks").await, 60);
        assert_eq!(count(&db, "owums_user_groups").await, 60);
        assert_eq!(v.list().await.unwrap().len(), 1);
    }
);

db_test!(the_batch_view_counts_unused_used_and_expired, |db| {
    let v = vouchers(&db);
    let days = v
        .generate(&request("days", 3, "d-", Validity::Days(2)))
        .await
        .unwrap();
    let past = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let future = chrono::Utc::now().date_naive() + chrono::Duration::days(30);
    let old = v
        .generate(&request("old", 2, "o-", Validity::Until(past)))
        .await
        .unwrap();
    let new = v
        .generate(&request("new", 2, "n-", Validity::Until(future)))
        .await
        .unwrap();
    let (used, expired) = (&days.vouchers[0].0, &days.vouchers[1].0);
    let cli = client(&config(&db), &db, "127.0.0.1");
    for (i, u) in [used, expired].into_iter().enumerate() {
        let (status, _) = post(
            &cli,
            "accounting",
            &acct_body("Start", &format!("uid-{i}"), u),
        )
        .await;
        assert!(status.is_success(), "{status}");
    }
    start_days_ago(&db, expired, 3).await;
    let (summary, list) = v.show("days").await.unwrap();
    assert_eq!((summary.unused, summary.used, summary.expired), (1, 1, 1));
    let state = |u: &str| list.iter().find(|x| x.username == u).unwrap().state;
    assert_eq!(state(used), VoucherState::Used);
    assert_eq!(state(expired), VoucherState::Expired);
    assert!(
        list.iter()
            .find(|x| &x.username == used)
            .unwrap()
            .expires_at
            .is_some()
    );
    let batches = v.list().await.unwrap();
    let counts = |n: &str| {
        let b = batches.iter().find(|b| b.name == n).unwrap();
        (b.unused, b.used, b.expired)
    };
    assert_eq!(counts("old"), (0, 0, 2));
    assert_eq!(counts("new"), (2, 0, 0));

    // the views FreeRADIUS reads in SQL mode leave out exactly the expired ones
    assert!(in_radcheck(&db, used).await);
    assert!(!in_radcheck(&db, expired).await);
    assert!(in_radcheck(&db, &days.vouchers[2].0).await);
    assert!(!in_radcheck(&db, &old.vouchers[0].0).await);
    assert!(in_radcheck(&db, &new.vouchers[0].0).await);
});
