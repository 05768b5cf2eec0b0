//! The factory's settings, the policy it gives and the plugin's strings.
#![allow(clippy::unwrap_used)]

use owums_core::{Verifier, VerifierFactory};

use crate::{MacAddressConfig, MacAddressFactory, MacAddressVerifier};

#[test]
fn defaults_and_bad_settings_name_their_key() {
    let f = MacAddressFactory;
    f.check(serde_json::json!({})).unwrap();
    let c = MacAddressConfig::from_json(serde_json::json!({})).unwrap();
    assert_eq!((c.max_devices, c.macpasswd.as_deref()), (5, None));
    f.check(serde_json::json!({ "max_devices": 1, "macpasswd": "chilli" }))
        .unwrap();
    for (settings, key) in [
        (
            serde_json::json!({ "max_devices": 0 }),
            "plugins.mac_address.max_devices",
        ),
        (
            serde_json::json!({ "max_devices": 101 }),
            "plugins.mac_address.max_devices",
        ),
        (
            serde_json::json!({ "macpasswd": "" }),
            "plugins.mac_address.macpasswd",
        ),
        (
            serde_json::json!({ "macpasswd": "a\nb" }),
            "plugins.mac_address.macpasswd",
        ),
        (
            serde_json::json!({ "macpasswd": "x".repeat(129) }),
            "plugins.mac_address.macpasswd",
        ),
        (serde_json::json!({ "macauth": true }), "macauth"),
    ] {
        let e = f.check(settings.clone()).unwrap_err().to_string();
        assert!(e.contains(key), "{settings}: {e}");
    }
}

#[test]
fn secrets_stay_out_of_errors_and_debug() {
    let e = MacAddressFactory
        .check(serde_json::json!({ "macpasswd": "s3cret\u{7}" }))
        .unwrap_err()
        .to_string();
    assert!(!e.contains("s3cret"), "{e}");
    let c = MacAddressConfig::from_json(serde_json::json!({ "macpasswd": "s3cret" })).unwrap();
    assert!(!format!("{c:?}").contains("s3cret"));
}

#[test]
fn the_verifier_gives_the_policy_and_verifies_no_one() {
    let c = MacAddressConfig::from_json(serde_json::json!({ "max_devices": 3, "macpasswd": "pw" }))
        .unwrap();
    let v = MacAddressVerifier { config: c };
    let p = v.device_policy().unwrap();
    assert_eq!((p.max_devices, p.password.as_deref()), (3, Some("pw")));
    assert!(!v.self_service() && !v.operator_verified());
}

/// Every message id the plugin uses, in every language, and nothing else.
#[test]
fn every_message_id_is_translated_in_every_language() {
    let used = ["mac_address-method", crate::NOTE];
    for (lang, text) in MacAddressFactory.messages() {
        let ids: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#') && l.contains(" = "))
            .filter_map(|l| l.split(" = ").next())
            .collect();
        assert_eq!(ids, used, "{lang}");
    }
}
