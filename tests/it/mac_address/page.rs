//! The devices section of the account page: add in any spelling, a bad MAC refused in the
//! subscriber's language with nothing stored, the limit, remove.

use owums_core::config::{PluginTable, PluginsConfig};
use owums_core::{Config, PluginRegistry};
use poem::http::StatusCode;
use poem::{EndpointExt, IntoEndpoint};

use super::{devices, owner};
use crate::pages::Browser;
use crate::support::{TestDb, db_test};

/// The configuration with `[plugins.mac_address]` enabled with `settings`.
pub(crate) fn config(settings: serde_json::Value) -> Config {
    let mut config = Config::default();
    let mut plugins = std::collections::BTreeMap::new();
    plugins.insert(
        "mac_address".to_owned(),
        PluginTable {
            enabled: true,
            required: true,
            library: None,
            settings: settings.as_object().cloned().unwrap_or_default(),
        },
    );
    config.plugins = PluginsConfig(plugins);
    config
}

/// A browser logged in as a new verified `name`, speaking `lang`, on the app with the
/// plugin enabled with at most 2 devices.
async fn logged_in(db: &TestDb, name: &str, lang: &str) -> Browser {
    owner(db, name).await;
    let mut registry = PluginRegistry::new();
    owums_plugin_mac_address::register(&mut registry);
    let cfg = config(serde_json::json!({ "max_devices": 2 }));
    let state = owums_server::AppState::with_store(&cfg, db.store.clone(), &registry).unwrap();
    assert!(state.devices.is_some(), "the plugin offers devices");
    let app = owums_server::app(state)
        .into_endpoint()
        .map_to_response()
        .boxed();
    let mut b = Browser::over(app);
    b.accept_language = lang.to_owned();
    let csrf = b.get("/account/login").await.csrf();
    let p = b
        .post(
            "/account/login",
            &[
                ("csrf_token", &csrf),
                ("username", name),
                ("password", "Tulip-Harbor-93"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    b
}

db_test!(mac_account_page_adds_refuses_and_removes_devices, |db| {
    let mut b = logged_in(&db, "alice", "it").await;
    let page = b.get("/account").await;
    page.has("I miei dispositivi")
        .has("Nessun dispositivo registrato");
    let csrf = page.csrf();
    let post = async |b: &mut Browser, path: &str, mac: &str| {
        b.post(
            path,
            &[
                ("csrf_token", csrf.as_str()),
                ("device_form", "1"),
                ("mac", mac),
                ("label", "telefono"),
            ],
        )
        .await
    };
    // garbage: 422 in Italian, the typed value kept, nothing stored
    let bad = post(&mut b, "/account/devices", "aa:bb:cc:dd:ee").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    bad.has("Questo non è un indirizzo MAC")
        .has("value=\"aa:bb:cc:dd:ee\"");
    let alice = db
        .store
        .find_user_by_username(&"alice".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let d = devices(&db, 2, None);
    assert!(d.list(alice.id).await.unwrap().is_empty(), "nothing stored");
    // any spelling, shown as stored
    let ok = post(&mut b, "/account/devices", "aabb.cc00.0021").await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    ok.has("Il dispositivo è stato registrato")
        .has("AA-BB-CC-00-00-21")
        .has("telefono");
    let taken = post(&mut b, "/account/devices", "aa:bb:cc:00:00:21").await;
    assert_eq!(
        taken.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        taken.body
    );
    taken.has("Questo dispositivo è già registrato");
    post(&mut b, "/account/devices", "aa-bb-cc-00-00-22").await;
    // the limit: the form gives way to a note, and a post past it is refused
    b.get("/account").await.has("id=\"devices-full\"");
    let full = post(&mut b, "/account/devices", "aa-bb-cc-00-00-23").await;
    assert_eq!(
        full.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        full.body
    );
    full.has("Hai registrato tutti i dispositivi consentiti");
    assert_eq!(d.list(alice.id).await.unwrap().len(), 2);
    // remove
    let gone = post(&mut b, "/account/devices/remove", "AA-BB-CC-00-00-21").await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
    gone.has("Il dispositivo è stato rimosso")
        .lacks("AA-BB-CC-00-00-21");
    let again = post(&mut b, "/account/devices/remove", "AA-BB-CC-00-00-21").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{}", again.body);
    assert_eq!(d.list(alice.id).await.unwrap().len(), 1);
});

db_test!(mac_account_page_without_the_plugin_has_no_devices, |db| {
    owner(&db, "carla").await;
    let mut b = Browser::new(&db, &crate::pages::config(&["phone"])).await;
    let csrf = b.get("/account/login").await.csrf();
    b.post(
        "/account/login",
        &[
            ("csrf_token", &csrf),
            ("username", "carla"),
            ("password", "Tulip-Harbor-93"),
        ],
    )
    .await;
    let page = b.get("/account").await;
    page.lacks("id=\"devices\"");
    let csrf = page.csrf();
    let p = b
        .post(
            "/account/devices",
            &[("csrf_token", csrf.as_str()), ("mac", "aa:bb:cc:00:00:31")],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND, "{}", p.body);
});
