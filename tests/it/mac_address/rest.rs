//! REST mode with a real FreeRADIUS (rlm_rest, the repository's `freeradius/rest/`) asking a
//! running `owums serve` with `[plugins.mac_address]` on: a registered device of a valid
//! subscriber is accepted in every spelling with the owner's replies; unknown, removed and
//! disabled-owner devices are rejected on the next request, whoever made the change.

use std::sync::Arc;

use super::{devices, owner, spellings};
use crate::freeradius_rest_e2e::TOKEN;
use crate::support::cli::{Serving, serve_command};
use crate::support::freeradius::{FreeRadius, FreeRadiusOptions, RestBackend};
use crate::support::{db_test, subscribers};

db_test!(mac_freeradius_rest_mode_accepts_registered_devices, |db| {
    let alice = owner(&db, "alice").await;
    let d = devices(&db, 5, None);
    d.add(alice, "aa:bb:cc:00:00:51", "", None).await.unwrap();
    d.add(alice, "aa:bb:cc:00:00:52", "", None).await.unwrap();
    let mut serving = Serving::spawn(
        serve_command(&std::env::temp_dir())
            .env("OWUMS_DATABASE__URL", &db.url)
            .env("OWUMS_FREERADIUS__TOKEN", TOKEN)
            .env("OWUMS_PLUGINS__MAC_ADDRESS__ENABLED", "true")
            .env("OWUMS_PLUGINS__MAC_ADDRESS__MAX_DEVICES", "3"),
    );
    let url = format!("http://{}", serving.http_addr());
    let rest = RestBackend {
        url,
        token: TOKEN.to_owned(),
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
    let fr = Arc::new(fr);
    let auth = async |u: &str, p: &str| {
        let (u, p) = (u.to_owned(), p.to_owned());
        let fr = fr.clone();
        tokio::task::spawn_blocking(move || fr.authenticate(&u, &p))
            .await
            .unwrap()
    };
    for m in spellings("aabbcc000051") {
        let ok = auth(&m, &m).await;
        assert!(
            ok.is_accept(),
            "{m}: {}\n{}\n{}",
            ok.raw,
            fr.log_tail(30),
            serving.log()
        );
        assert_eq!(
            ok.attr("Session-Timeout"),
            Some("3600"),
            "{m}: the owner's group"
        );
    }
    let unknown = auth("AA-BB-CC-00-00-59", "AA-BB-CC-00-00-59").await;
    assert!(!unknown.is_accept(), "unknown: {}", unknown.raw);
    assert!(!auth("AA-BB-CC-00-00-51", "wrong").await.is_accept());
    // removed (by this process, not the server): rejected on the next request
    d.remove(alice, "AA-BB-CC-00-00-51").await.unwrap();
    assert!(
        !auth("AA-BB-CC-00-00-51", "AA-BB-CC-00-00-51")
            .await
            .is_accept()
    );
    assert!(
        auth("AA-BB-CC-00-00-52", "AA-BB-CC-00-00-52")
            .await
            .is_accept()
    );
    // the server published the plugin's rules for SQL mode too
    // owner disabled: rejected on the next request
    subscribers(&db).disable(alice).await.unwrap();
    let late = auth("AA-BB-CC-00-00-52", "AA-BB-CC-00-00-52").await;
    assert!(!late.is_accept(), "owner disabled: {}", late.raw);
    assert!(serving.running());
});
