//! Plugin state through the handle a plugin is given: scoped to the plugin, found by a key
//! the plugin chooses, and swapped exactly once when two callers race — on every backend.

use std::sync::Arc;

use owums_core::{ErrorKind, PluginHost};
use serde_json::json;

use crate::support::{db_test, new_user, subscribers};

db_test!(plugin_state_lookup_by_key_is_scoped_to_the_plugin, |db| {
    let subs = subscribers(&db);
    let anna = subs.register(new_user("anna")).await.unwrap();
    let bob = subs.register(new_user("bruno")).await.unwrap();
    let host = PluginHost::over_store(&db.store, Arc::new(subs.clone()));
    let alpha = host.context("alpha", &[]);
    let beta = host.context("beta", &[]);
    let key = "bob\"e\"i'o;aü";

    alpha
        .state()
        .put_keyed(anna.id, key, json!({ "order": 1 }))
        .await
        .unwrap();
    assert_eq!(
        alpha.state().lookup(key).await.unwrap(),
        Some((anna.id, json!({ "order": 1 })))
    );
    assert_eq!(alpha.state().lookup("other").await.unwrap(), None);
    // another plugin sees nothing of it, and may use the same key for itself
    assert_eq!(beta.state().lookup(key).await.unwrap(), None);
    assert_eq!(beta.state().get(anna.id).await.unwrap(), None);
    beta.state()
        .put_keyed(bob.id, key, json!({ "beta": true }))
        .await
        .unwrap();
    assert_eq!(alpha.state().lookup(key).await.unwrap().unwrap().0, anna.id);
    // within one plugin a key belongs to one subscriber
    let taken = alpha
        .state()
        .put_keyed(bob.id, key, json!({ "order": 2 }))
        .await
        .unwrap_err();
    assert_eq!(taken.kind(), ErrorKind::Conflict);
    assert_eq!(
        alpha.state().get(bob.id).await.unwrap(),
        None,
        "nothing half-written"
    );
    // a put without a key drops the old key; delete drops the rest
    alpha
        .state()
        .put(anna.id, json!({ "order": 3 }))
        .await
        .unwrap();
    assert_eq!(alpha.state().lookup(key).await.unwrap(), None);
    alpha.state().delete(anna.id).await.unwrap();
    assert_eq!(alpha.state().get(anna.id).await.unwrap(), None);
    // the key is free again
    alpha
        .state()
        .put_keyed(bob.id, key, json!({ "order": 4 }))
        .await
        .unwrap();
    assert_eq!(alpha.state().lookup(key).await.unwrap().unwrap().0, bob.id);
});

db_test!(
    plugin_state_swap_has_one_winner_among_concurrent_callers,
    |db| {
        let subs = subscribers(&db);
        let anna = subs.register(new_user("anna")).await.unwrap();
        let host = PluginHost::over_store(&db.store, Arc::new(subs.clone()));
        let ctx = host.context("alpha", &[]);
        for round in 0..8 {
            let token = format!("token-{round}");
            ctx.state()
                .put_keyed(anna.id, &token, json!({ "round": round, "used": false }))
                .await
                .unwrap();
            let barrier = Arc::new(tokio::sync::Barrier::new(2));
            let callers: Vec<_> = (0..2)
                .map(|caller| {
                    let (ctx, barrier, token) = (ctx.clone(), barrier.clone(), token.clone());
                    tokio::spawn(async move {
                        let (user, seen) = ctx.state().lookup(&token).await.unwrap().unwrap();
                        barrier.wait().await;
                        let used = json!({ "round": round, "used": true, "by": caller });
                        ctx.state().swap(user, &seen, &used).await.unwrap()
                    })
                })
                .collect();
            let mut won = Vec::new();
            for c in callers {
                won.push(c.await.unwrap());
            }
            assert_eq!(
                won.iter().filter(|w| **w).count(),
                1,
                "round {round}: {won:?}"
            );
            let (_, now) = ctx.state().lookup(&token).await.unwrap().unwrap();
            assert_eq!(now["used"], true);
            let winner = won.iter().position(|w| *w).unwrap();
            assert_eq!(now["by"], winner, "the winner's value stays");
        }
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_context_gives_public_url_settings_and_the_hosts_clock() {
    let Some(db) = crate::support::TestDb::new(crate::support::Backend::Sqlite).await else {
        return;
    };
    let subs = subscribers(&db);
    let settings = owums_core::Settings::new(db.store.clone());
    settings
        .set("notifier_base_url", "wifi.example.net/")
        .await
        .unwrap();
    let fixed = chrono::DateTime::parse_from_rfc3339("2030-01-02T03:04:05Z")
        .unwrap()
        .to_utc();
    let mut host = PluginHost::over_store(&db.store, Arc::new(subs));
    host.clock = Arc::new(move || fixed);
    // without [web] public_url: the runtime setting the built-in mails use
    let ctx = host.context("alpha", &[]);
    assert_eq!(ctx.public_url().await.unwrap(), "https://wifi.example.net");
    assert_eq!(
        ctx.route_url("/open?t=1").await.unwrap(),
        "https://wifi.example.net/plugins/alpha/open?t=1"
    );
    host.public_url = "http://portal.test:8080/".to_owned();
    let ctx = host.context("alpha", &[]);
    assert_eq!(ctx.public_url().await.unwrap(), "http://portal.test:8080");
    assert_eq!(ctx.now(), fixed);
    assert_eq!(ctx.setting("captcha_enabled").await.unwrap(), "true");
    let unknown = ctx.setting("no_such_setting").await.unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::Invalid);
}
