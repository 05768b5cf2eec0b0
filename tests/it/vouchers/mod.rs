//! Voucher batches (issue 15, item 9): generation on every backend, all or nothing, the
//! batch view's counts, expiry in the views FreeRADIUS reads in SQL mode and in the REST
//! authorize, and `owums voucher`.

use owums_core::radius::{Validity, VoucherRequest, Vouchers};
use owums_core::{GroupName, PasswordFormat};

use crate::support::{Backend, TestDb};

mod cli;
mod generate;
mod rest;
mod sql;

/// The service with SHA-512 crypt RADIUS passwords.
pub(crate) fn vouchers(db: &TestDb) -> Vouchers {
    Vouchers::new(db.store.clone(), PasswordFormat::Crypt)
}

/// A request for `count` vouchers of batch `batch` in group `Users`.
pub(crate) fn request(
    batch: &str,
    count: usize,
    prefix: &str,
    validity: Validity,
) -> VoucherRequest {
    VoucherRequest {
        batch: batch.to_owned(),
        count,
        prefix: prefix.to_owned(),
        length: 10,
        group: GroupName::try_new("Users").unwrap(),
        validity,
        created_by: Some("tester".to_owned()),
    }
}

/// Waits until the accounting Start of `username` is in radacct (the REST accounting path
/// may write it from its queue a moment after answering).
pub(crate) async fn started(db: &TestDb, username: &str) {
    for _ in 0..200 {
        let rows = db
            .strings(&format!(
                "SELECT username AS v FROM radacct WHERE username = '{username}'"
            ))
            .await
            .unwrap();
        if !rows.is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no accounting row for {username}");
}

/// Moves `username`'s accounting starts `days` days back, in the dialect's time type.
pub(crate) async fn start_days_ago(db: &TestDb, username: &str, days: i64) {
    started(db, username).await;
    let t = match db.backend() {
        Backend::Sqlite => format!("CAST(strftime('%s', 'now') AS INTEGER) - {days} * 86400"),
        Backend::Postgres => format!("now() - INTERVAL '{days} days'"),
        Backend::Mysql => format!("NOW() - INTERVAL {days} DAY"),
    };
    db.exec(&format!(
        "UPDATE radacct SET acctstarttime = {t} WHERE username = '{username}'"
    ))
    .await
    .unwrap();
}

/// Whether `username` is in the radcheck view FreeRADIUS reads in SQL mode.
pub(crate) async fn in_radcheck(db: &TestDb, username: &str) -> bool {
    !db.strings(&format!(
        "SELECT username AS v FROM radcheck WHERE username = '{username}'"
    ))
    .await
    .unwrap()
    .is_empty()
}
