//! MAC authentication (the `mac_address` plugin): devices registered under the plugin's rules
//! on every backend, the account page, the REST authorize, and a real FreeRADIUS in SQL
//! ([`sql`]) and REST ([`rest`]) mode.

mod authorize;
mod page;
mod rest;
mod sql;

use owums_core::subscriber::Devices;
use owums_core::{DevicePolicy, Error, ErrorKind, Problem, UserId};

use crate::support::{TestDb, db_test, new_user, subscribers};

/// The spellings one device is written in (CoovaChilli, Linux, bare, Cisco; lower case too).
pub(crate) fn spellings(hex: &str) -> Vec<String> {
    let pairs: Vec<&str> = (0..6).map(|i| &hex[2 * i..2 * i + 2]).collect();
    vec![
        pairs.join("-").to_uppercase(),
        pairs.join(":").to_lowercase(),
        hex.to_lowercase(),
        format!("{}.{}.{}", &hex[0..4], &hex[4..8], &hex[8..12]).to_uppercase(),
    ]
}

/// The devices of `db` under `max` devices and `password`.
pub(crate) fn devices(db: &TestDb, max: u32, password: Option<&str>) -> Devices {
    Devices::new(
        db.store.clone(),
        DevicePolicy {
            max_devices: max,
            password: password.map(str::to_owned),
        },
    )
}

/// A verified subscriber `name`.
pub(crate) async fn owner(db: &TestDb, name: &str) -> UserId {
    subscribers(db)
        .create(new_user(name), true, &[])
        .await
        .unwrap()
        .id
}

fn refused(e: &Error, problem: Problem) -> bool {
    matches!(e, Error::Invalid { field: "mac", problem: p, .. } if *p == problem)
}

db_test!(mac_devices_spellings_limit_and_bad_input, |db| {
    let d = devices(&db, 2, None);
    let alice = owner(&db, "alice").await;
    let bob = owner(&db, "bobby").await;
    for (i, s) in spellings("aabbcc000001").iter().enumerate() {
        let added = d.add(alice, s, "phone", None).await;
        if i == 0 {
            assert_eq!(added.unwrap().mac.to_string(), "AA-BB-CC-00-00-01");
        } else {
            // the same device, however spelled
            assert!(refused(&added.unwrap_err(), Problem::Taken), "{s}");
        }
    }
    assert!(refused(
        &d.add(bob, "aa:bb:cc:00:00:01", "", None).await.unwrap_err(),
        Problem::Taken
    ));
    let second = d
        .add(alice, "AABB.CC00.0002", "", Some("op"))
        .await
        .unwrap();
    assert_eq!(second.created_by.as_deref(), Some("op"));
    // the limit: a third is refused and not stored
    let full = d
        .add(alice, "aa-bb-cc-00-00-03", "", None)
        .await
        .unwrap_err();
    assert!(refused(&full, Problem::OutOfRange), "{full}");
    // garbage: refused, nothing stored
    for bad in [
        "",
        "aa:bb:cc:00:00",
        "aa:bb-cc:00:00:04",
        "zz:bb:cc:00:00:04",
        "ff:ff:ff:ff:ff:ff",
        "bob\"e\"i'o;a\u{fc}",
    ] {
        let e = d.add(bob, bad, "", None).await.unwrap_err();
        assert!(refused(&e, Problem::BadFormat), "{bad:?}: {e}");
    }
    let e = d
        .add(bob, "aa:bb:cc:00:00:05", &"x".repeat(65), None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Invalid { field: "label", .. }), "{e}");
    assert!(
        d.list(bob).await.unwrap().is_empty(),
        "nothing stored for bob"
    );
    let macs: Vec<String> = d
        .list(alice)
        .await
        .unwrap()
        .iter()
        .map(|x| x.mac.to_string())
        .collect();
    assert_eq!(macs, ["AA-BB-CC-00-00-01", "AA-BB-CC-00-00-02"]);
    // only the owner removes it, in any spelling
    let e = d.remove(bob, "aabbcc000001").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    d.remove(alice, "aabbcc000001").await.unwrap();
    assert_eq!(d.list(alice).await.unwrap().len(), 1);
    // room again
    d.add(alice, "aa-bb-cc-00-00-03", "", None).await.unwrap();
    // gone with their owner
    subscribers(&db).delete(alice).await.unwrap();
    let found = d.find(&"AA-BB-CC-00-00-03".parse().unwrap()).await.unwrap();
    assert!(found.is_none());
});
