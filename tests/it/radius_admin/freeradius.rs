//! A group's `Session-Timeout` edited through `RadiusAdmin` is what the next Access-Accept
//! carries: a real FreeRADIUS in SQL mode (every backend) and in REST mode (asking an
//! `owums serve` of its own, so the edit comes from another process), and the REST
//! authorize cache of a process that did not make the edit.

use std::sync::Arc;

use owums_core::AttributeKind;
use owums_core::radius::RadiusAdmin;
use owums_core::storage::AttributeOwner;

use super::{check, owner, reply};
use crate::freeradius_rest::{auth_body, client, config, parsed, post};
use crate::support::freeradius::{FreeRadius, FreeRadiusOptions, RestBackend};
use crate::support::{Backend, TestDb, db_test, new_user, subscribers};

/// Edits the `Users` group and vera's own items between logins, checking each reply.
async fn edits_seen_at_once(db: &TestDb, fr: Arc<FreeRadius>) {
    let admin = RadiusAdmin::new(db.store.clone());
    let login = async || {
        let fr = fr.clone();
        tokio::task::spawn_blocking(move || fr.authenticate("vera", "Tulip-Harbor-93"))
            .await
            .unwrap()
    };
    let first = login().await;
    assert!(first.is_accept(), "{}\n{}", first.raw, fr.log_tail(40));
    assert_eq!(first.attr("Session-Timeout"), Some("3600"), "{}", first.raw);

    admin
        .set_item(
            &owner("Users"),
            AttributeKind::Reply,
            reply("Session-Timeout=5400"),
        )
        .await
        .unwrap();
    let edited = login().await;
    assert!(edited.is_accept(), "{}", edited.raw);
    assert_eq!(
        edited.attr("Session-Timeout"),
        Some("5400"),
        "{}",
        edited.raw
    );

    let vera = subscribers(db).find("vera").await.unwrap();
    admin
        .add_item(
            &AttributeOwner::User(vera.id),
            AttributeKind::Reply,
            reply("Session-Timeout:=1200"),
        )
        .await
        .unwrap();
    let own = login().await;
    assert_eq!(
        own.attr("Session-Timeout"),
        Some("1200"),
        "her own item first: {}",
        own.raw
    );

    admin
        .add_item(
            &owner("Users"),
            AttributeKind::Check,
            check("Auth-Type:=Reject"),
        )
        .await
        .unwrap();
    let locked = login().await;
    assert!(!locked.is_accept(), "{}", locked.raw);
    admin
        .remove_items_named(&owner("Users"), AttributeKind::Check, "Auth-Type")
        .await
        .unwrap();
    assert!(login().await.is_accept());
}

db_test!(
    freeradius_sql_mode_sees_group_edits_on_the_next_request,
    |db| {
        subscribers(&db)
            .create(new_user("vera"), true, &[])
            .await
            .unwrap();
        let fr = Arc::new(crate::radius_e2e::start(&db, true).await);
        edits_seen_at_once(&db, fr).await;
    }
);

async fn rest_mode(db: TestDb) {
    subscribers(&db)
        .create(new_user("vera"), true, &[])
        .await
        .unwrap();
    // `owums serve` with its default authorize cache (a second): the edits below come
    // from this test's process, so only the generation makes them seen at once
    let server = crate::freeradius_rest_e2e::serve(&db);
    let rest = RestBackend {
        url: format!("http://{}", server.addr),
        token: crate::freeradius_rest_e2e::TOKEN.to_owned(),
    };
    let fr = tokio::task::spawn_blocking(move || {
        FreeRadius::start_rest(
            &rest,
            FreeRadiusOptions {
                local_client: true,
                ..Default::default()
            },
        )
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("FreeRADIUS did not start: {e}"));
    edits_seen_at_once(&db, Arc::new(fr)).await;
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeradius_rest_mode_sees_group_edits_on_the_next_request_sqlite() {
    if let Some(db) = TestDb::new(Backend::Sqlite).await {
        rest_mode(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeradius_rest_mode_sees_group_edits_on_the_next_request_postgres() {
    if let Some(db) = TestDb::new(Backend::Postgres).await {
        rest_mode(db).await;
    }
}

db_test!(
    authorize_cache_sees_another_processs_group_edit_at_once,
    |db| {
        subscribers(&db)
            .create(new_user("vera"), true, &[])
            .await
            .unwrap();
        // the edits come from a second store on the same database: another process
        let admin = RadiusAdmin::new(another_process(&db).await);
        let cli = client(&long_cache(&db), &db, "127.0.0.1");
        let timeout = async || {
            let (_, body) = post(&cli, "authorize", &auth_body("vera", "Tulip-Harbor-93")).await;
            parsed(&body)["Session-Timeout"]["value"].clone()
        };
        assert_eq!(timeout().await, "3600");
        assert_eq!(timeout().await, "3600", "answered from the cache");
        admin
            .set_item(
                &owner("Users"),
                AttributeKind::Reply,
                reply("Session-Timeout=7200"),
            )
            .await
            .unwrap();
        assert_eq!(
            timeout().await,
            "7200",
            "the edit elsewhere is seen at once"
        );
    }
);

db_test!(
    authorize_cache_sees_another_processs_user_edit_at_once,
    |db| {
        subscribers(&db)
            .create(new_user("wanda"), true, &[])
            .await
            .unwrap();
        // the console runs in another process on the same database
        let console = owums_core::subscriber::UserAdmin::new(
            owums_core::Subscribers::new(
                another_process(&db).await,
                owums_core::PasswordFormat::Crypt,
            ),
            None,
        );
        let mut long = long_cache(&db);
        long.freeradius.authorize_reject = true; // a reject is a 401
        let cli = client(&long, &db, "127.0.0.1");
        let status = async || {
            post(&cli, "authorize", &auth_body("wanda", "Tulip-Harbor-93"))
                .await
                .0
        };
        assert_eq!(status().await, 200);
        assert_eq!(status().await, 200, "answered from the cache");
        let id = subscribers(&db).find("wanda").await.unwrap().id;
        let before = db.store.radius_generation().await.unwrap();
        let (after_user, _) = console.disable(id).await.unwrap();
        assert!(!after_user.active);
        assert!(
            db.store.radius_generation().await.unwrap() > before,
            "generation moved"
        );
        assert_eq!(status().await, 401, "the disable elsewhere is seen at once");
        console.enable(id).await.unwrap();
        assert_eq!(status().await, 200, "and so is the enable");
    }
);

/// A second connection pool on the test's database, as another `owums` process has.
async fn another_process(db: &TestDb) -> owums_core::Store {
    owums_core::Store::connect(&owums_core::config::DatabaseConfig {
        url: db.url.clone(),
        ..Default::default()
    })
    .await
    .unwrap()
}

/// The REST configuration with an authorize cache that keeps answers for a minute, far
/// longer than any test runs: only the profile generation can make an entry stale.
fn long_cache(db: &TestDb) -> owums_core::Config {
    let mut c = config(db);
    c.freeradius.authorize_cache_ms = 60_000;
    c
}
