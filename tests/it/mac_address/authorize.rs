//! The REST authorize of devices (`Authorizer::with_devices`), with the authorize cache on:
//! every spelling, the password rules, and a removed device or disabled owner refused on the
//! very next request even when another process made the change.

use std::sync::Arc;
use std::time::Duration;

use owums_core::radius::{
    AuthorizeCache, AuthorizeRequest, Authorizer, CredentialCache, Decision, ReplyValue,
    default_counters,
};
use owums_core::{AttributeKind, RadiusAttribute};

use super::{devices, owner, spellings};
use crate::support::{TestDb, db_test, subscribers};

fn authorizer(db: &TestDb, password: Option<&str>) -> Authorizer {
    Authorizer::new(
        db.store.clone(),
        Arc::new(CredentialCache::new(100, Duration::from_secs(300))),
        default_counters("CoovaChilli-Max-Total-Octets"),
        false,
    )
    .with_reads_cache(AuthorizeCache::new(100, Duration::from_secs(60)))
    .with_devices(devices(db, 5, password))
}

/// The replies of an Access-Accept; `None` for anything else.
async fn accepted(a: &Authorizer, user: &str, password: &str) -> Option<Vec<(String, String)>> {
    let req = AuthorizeRequest {
        username: user.to_owned(),
        password: password.to_owned(),
        calling_station_id: user.to_owned(),
        ..AuthorizeRequest::default()
    };
    match a.authorize(&req, chrono::Utc::now()).await.unwrap() {
        Decision::Accept { replies, .. } => Some(
            replies
                .into_iter()
                .map(|r| {
                    let v = match r.value {
                        ReplyValue::Text(v) => v.join(","),
                        ReplyValue::Number(n) => n.to_string(),
                    };
                    (r.attribute, v)
                })
                .collect(),
        ),
        _ => None,
    }
}

/// A second `Subscribers` on the same database: another `owums` process.
async fn elsewhere(db: &TestDb) -> (owums_core::Subscribers, owums_core::Store) {
    let config = owums_core::config::DatabaseConfig {
        url: db.url.clone(),
        ..Default::default()
    };
    let store = owums_core::Store::connect(&config).await.unwrap();
    (
        owums_core::Subscribers::new(store.clone(), owums_core::PasswordFormat::Crypt),
        store,
    )
}

db_test!(mac_rest_authorize_devices_of_valid_owners, |db| {
    let alice = owner(&db, "alice").await;
    let admin = owums_core::radius::RadiusAdmin::new(db.store.clone());
    let own = owums_core::storage::AttributeOwner::User(alice);
    let reply = RadiusAttribute::parse(AttributeKind::Reply, "Reply-Message=\"hi alice\"").unwrap();
    admin
        .add_item(&own, AttributeKind::Reply, reply)
        .await
        .unwrap();
    let d = devices(&db, 5, None);
    d.add(alice, "aa:bb:cc:00:00:11", "", None).await.unwrap();
    d.add(alice, "aa:bb:cc:00:00:12", "", None).await.unwrap();
    let a = authorizer(&db, None);
    for s in spellings("aabbcc000011") {
        let replies = accepted(&a, &s, &s).await;
        let replies = replies.unwrap_or_else(|| panic!("{s} accepted"));
        // the owner's own reply and their group's (Users: Session-Timeout 3600)
        assert!(
            replies.contains(&("Reply-Message".into(), "hi alice".into())),
            "{replies:?}"
        );
        assert!(
            replies.contains(&("Session-Timeout".into(), "3600".into())),
            "{replies:?}"
        );
        // the MAC as password in another spelling
        assert!(accepted(&a, &s, "AA-BB-CC-00-00-11").await.is_some());
    }
    assert!(accepted(&a, "AA-BB-CC-00-00-11", "wrong").await.is_none());
    assert!(
        accepted(&a, "AA-BB-CC-00-00-99", "AA-BB-CC-00-00-99")
            .await
            .is_none(),
        "unknown"
    );
    // the owner still logs in with their name
    assert!(accepted(&a, "alice", "Tulip-Harbor-93").await.is_some());

    // removed by another process: refused on the very next request
    let (others, other_store) = elsewhere(&db).await;
    let other_devices = owums_core::subscriber::Devices::new(other_store, d.policy().clone());
    assert!(
        accepted(&a, "AA-BB-CC-00-00-12", "AA-BB-CC-00-00-12")
            .await
            .is_some()
    );
    other_devices.remove(alice, "aabbcc000012").await.unwrap();
    assert!(
        accepted(&a, "AA-BB-CC-00-00-12", "AA-BB-CC-00-00-12")
            .await
            .is_none()
    );
    // owner disabled by another process: refused on the very next request
    others.disable(alice).await.unwrap();
    assert!(
        accepted(&a, "AA-BB-CC-00-00-11", "AA-BB-CC-00-00-11")
            .await
            .is_none()
    );
    subscribers(&db).enable(alice).await.unwrap();
    assert!(
        accepted(&a, "AA-BB-CC-00-00-11", "AA-BB-CC-00-00-11")
            .await
            .is_some()
    );

    // macpasswd: that password and no other
    let p = authorizer(&db, Some("chilli-pw"));
    assert!(
        accepted(&p, "aa:bb:cc:00:00:11", "chilli-pw")
            .await
            .is_some()
    );
    assert!(
        accepted(&p, "aa:bb:cc:00:00:11", "aa:bb:cc:00:00:11")
            .await
            .is_none()
    );
    // without devices on, a MAC is just an unknown name
    let off = Authorizer::new(
        db.store.clone(),
        Arc::new(CredentialCache::new(100, Duration::from_secs(300))),
        default_counters("CoovaChilli-Max-Total-Octets"),
        false,
    );
    let req = AuthorizeRequest {
        username: "AA-BB-CC-00-00-11".into(),
        password: "AA-BB-CC-00-00-11".into(),
        ..AuthorizeRequest::default()
    };
    assert_eq!(
        off.authorize(&req, chrono::Utc::now()).await.unwrap(),
        Decision::Reject
    );
});
