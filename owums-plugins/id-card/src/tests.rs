//! The factory's settings, the operator form and the plugin's strings.
#![allow(clippy::unwrap_used)]

use owums_core::VerifierFactory;

use crate::{IdCardConfig, IdCardFactory};

#[test]
fn defaults_are_owums_and_bad_settings_name_their_key() {
    let f = IdCardFactory;
    f.check(serde_json::json!({})).unwrap();
    let c = IdCardConfig::from_json(serde_json::json!({})).unwrap();
    assert_eq!(
        (c.photo_width, c.photo_height, c.thumbnail_width),
        (800, 600, 100)
    );
    assert_eq!(c.max_upload_bytes, 10 * 1024 * 1024);
    f.check(serde_json::json!({ "photo_width": 1024, "jpeg_quality": 90 }))
        .unwrap();
    for (settings, key) in [
        (
            serde_json::json!({ "jpeg_quality": 10 }),
            "plugins.id_card.jpeg_quality",
        ),
        (
            serde_json::json!({ "max_upload_bytes": 0 }),
            "plugins.id_card.max_upload_bytes",
        ),
        (
            serde_json::json!({ "thumbnail_width": 500 }),
            "plugins.id_card.thumbnail_width",
        ),
        (
            serde_json::json!({ "photo_width": 150, "thumbnail_width": 200 }),
            "plugins.id_card.thumbnail_width",
        ),
        (
            serde_json::json!({ "max_source_megapixels": 1000 }),
            "plugins.id_card.max_source_megapixels",
        ),
        (serde_json::json!({ "photo_size": 3 }), "photo_size"),
    ] {
        let e = f.check(settings.clone()).unwrap_err().to_string();
        assert!(e.contains(key), "{settings}: {e}");
    }
}

/// Every message id the plugin uses, in every language, and nothing else.
#[test]
fn every_message_id_is_translated_in_every_language() {
    let mut used: Vec<String> = vec![
        "id_card-method".into(),
        crate::NOTE.into(),
        "id_card-document-type".into(),
        "id_card-number".into(),
        "id_card-issuing-country".into(),
        "id_card-issuing-authority".into(),
        "id_card-expires-on".into(),
        "id_card-photo".into(),
        "id_card-err-type".into(),
        "id_card-err-number".into(),
        "id_card-err-country".into(),
        "id_card-err-authority".into(),
        "id_card-err-expiry".into(),
        "id_card-err-expired".into(),
    ];
    used.extend(crate::document::choices().into_iter().map(|c| c.label));
    used.extend(
        [
            crate::PhotoError::Missing,
            crate::PhotoError::TooLarge,
            crate::PhotoError::NotAnImage,
            crate::PhotoError::Corrupt,
            crate::PhotoError::TooManyPixels,
            crate::PhotoError::TooSmall,
        ]
        .map(|e| e.message_id().to_owned()),
    );
    used.sort();
    for (lang, text) in IdCardFactory.messages() {
        let mut ids: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.split(" = ").next().unwrap().to_owned())
            .collect();
        ids.sort();
        assert_eq!(ids, used, "{lang}");
    }
}
