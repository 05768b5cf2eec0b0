//! Shared fixtures.

#![allow(dead_code)]

pub(crate) mod acct_load;
pub(crate) mod browser;
pub(crate) mod cli;
pub(crate) mod freeradius;
pub(crate) mod freeradius_sql;
pub(crate) mod logs;
pub(crate) mod private_pg;
pub(crate) mod radclient;
pub(crate) mod site;
pub(crate) mod smtp;

use owums_core::{Email, NewUser, PasswordFormat, PhoneNumber, Subscribers, Username};

pub(crate) use owums_core::storage::Backend;
pub(crate) use owums_core::test_support::{DbParams, TestDb};

/// Expands one test into one `#[tokio::test]` per backend (`name::sqlite`, `name::postgres`, `name::mysql`).
macro_rules! db_test {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($db: $crate::support::TestDb) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(db) = $crate::support::TestDb::new($crate::support::Backend::Sqlite).await { run(db).await }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::support::TestDb::new($crate::support::Backend::Postgres).await { run(db).await }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                if let Some(db) = $crate::support::TestDb::new($crate::support::Backend::Mysql).await { run(db).await }
            }
        }
    };
}
pub(crate) use db_test;

/// The services on a test database with SHA-512 crypt passwords.
pub(crate) fn subscribers(db: &TestDb) -> Subscribers {
    Subscribers::new(db.store.clone(), PasswordFormat::Crypt)
}

/// A complete new subscriber called `name` with password `Tulip-Harbor-93`, EULA accepted.
pub(crate) fn new_user(name: &str) -> NewUser {
    NewUser {
        username: Some(Username::try_new(name).unwrap()),
        password: "Tulip-Harbor-93".to_owned(),
        email: Some(Email::try_new(&format!("{name}@example.org")).unwrap()),
        mobile: None,
        given_name: "Alice".to_owned(),
        surname: "Rossi".to_owned(),
        verification_method: "sip".to_owned(),
        eula_accepted: true,
        privacy_accepted: true,
        locale: "it".to_owned(),
        ..NewUser::default()
    }
}

/// A mobile number.
pub(crate) fn mobile(n: &str) -> PhoneNumber {
    PhoneNumber::parse(n).unwrap()
}

/// Polls `check` until it answers `Some`: for work the server does off the request path
/// (a reset link and its mail). Every 20 ms, at most 1 000 times, then a panic naming `what`.
pub(crate) async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..1000 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{what}: never happened");
}
