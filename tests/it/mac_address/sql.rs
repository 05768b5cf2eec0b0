//! SQL mode with a real FreeRADIUS (`rlm_sql`, stock queries, `owums_mac` before `sql`): a
//! registered device of a valid subscriber is accepted in every spelling with the owner's
//! group replies; an unknown MAC, a removed device, a wrong password and a disabled owner
//! are rejected on the next request; the `macpasswd` and turning the plugin off.

use std::sync::Arc;

use owums_core::storage::NewGroup;
use owums_core::subscriber::Devices;
use owums_core::{AttributeKind, GroupName, RadiusAttribute};

use super::{devices, spellings};
use crate::radius_e2e::{radius, start};
use crate::support::{db_test, new_user, subscribers};

db_test!(mac_freeradius_sql_mode_accepts_registered_devices, |db| {
    let reply = |t| RadiusAttribute::parse(AttributeKind::Reply, t).unwrap();
    db.store
        .create_group(NewGroup {
            name: GroupName::try_new("Gold").unwrap(),
            priority: 0,
            notes: None,
            checks: vec![],
            replies: vec![reply("Session-Timeout=7200")],
        })
        .await
        .unwrap();
    let s = subscribers(&db);
    let gold = [GroupName::try_new("Gold").unwrap()];
    let alice = s.create(new_user("alice"), true, &gold).await.unwrap().id;
    let d = devices(&db, 5, None);
    d.add(alice, "aa:bb:cc:00:00:41", "", None).await.unwrap();
    d.add(alice, "aa:bb:cc:00:00:42", "", None).await.unwrap();
    // off until owums serve (here: the test) says the plugin is on
    Devices::withdraw(&db.store).await.unwrap();
    let fr = Arc::new(start(&db, true).await);
    let auth = async |u: &str, p: &str| {
        let (u, p) = (u.to_owned(), p.to_owned());
        radius(&fr, move |fr| fr.authenticate(&u, &p)).await
    };
    let off = auth("AA-BB-CC-00-00-41", "AA-BB-CC-00-00-41").await;
    assert!(!off.is_accept(), "plugin off: {}", off.raw);
    d.publish().await.unwrap();
    for m in spellings("aabbcc000041") {
        let ok = auth(&m, &m).await;
        assert!(ok.is_accept(), "{m}: {}\n{}", ok.raw, fr.log_tail(40));
        assert_eq!(
            ok.attr("Session-Timeout"),
            Some("7200"),
            "{m}: the owner's group"
        );
    }
    assert!(
        auth("alice", "Tulip-Harbor-93").await.is_accept(),
        "the owner by name"
    );
    let unknown = auth("AA-BB-CC-00-00-49", "AA-BB-CC-00-00-49").await;
    assert!(!unknown.is_accept(), "unknown: {}", unknown.raw);
    let wrong = auth("AA-BB-CC-00-00-41", "not-the-mac").await;
    assert!(!wrong.is_accept(), "wrong password: {}", wrong.raw);
    // removed: rejected on the next request, the other device still in
    d.remove(alice, "aa-bb-cc-00-00-41").await.unwrap();
    assert!(
        !auth("AA-BB-CC-00-00-41", "AA-BB-CC-00-00-41")
            .await
            .is_accept()
    );
    assert!(
        auth("aa:bb:cc:00:00:42", "aa:bb:cc:00:00:42")
            .await
            .is_accept()
    );
    // the macpasswd, and only it
    devices(&db, 5, Some("chilli-pw")).publish().await.unwrap();
    assert!(auth("AA-BB-CC-00-00-42", "chilli-pw").await.is_accept());
    assert!(
        !auth("AA-BB-CC-00-00-42", "AA-BB-CC-00-00-42")
            .await
            .is_accept()
    );
    // owner disabled: rejected on the next request
    s.disable(alice).await.unwrap();
    let late = auth("AA-BB-CC-00-00-42", "chilli-pw").await;
    assert!(!late.is_accept(), "owner disabled: {}", late.raw);
});
