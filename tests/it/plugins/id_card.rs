//! The ID-card verifier through the core's operator entry point: a subscriber verified by
//! an operator with a real JPEG, the photo and thumbnail kept with the record, refused
//! uploads that change nothing, and expiry that switches such users off instead of
//! deleting them — on every backend.

use std::io::Cursor;
use std::sync::Arc;

use owums_core::jobs::Housekeeper;
use owums_core::plugin::{
    Attachment, MAX_ATTACHMENT_BYTES, OperatorEvidence, OperatorInput, UploadedFile,
};
use owums_core::subscriber::OperatorVerifications;
use owums_core::{
    Error, ErrorKind, FormFieldKind, NewUser, PluginHost, Settings, UserStatus, Verifier,
    VerifierFactory,
};
use owums_plugin_id_card::IdCardFactory;
use serde_json::json;

use crate::support::{TestDb, db_test, new_user, subscribers};

pub(crate) fn card_user(name: &str) -> NewUser {
    NewUser {
        verification_method: "id_card".to_owned(),
        ..new_user(name)
    }
}

/// The real plugin, built with default settings over `db`, and the operator service.
pub(crate) fn services(db: &TestDb) -> (OperatorVerifications, Arc<dyn Verifier>) {
    let subs = subscribers(db);
    let host = PluginHost::over_store(&db.store, Arc::new(subs.clone()));
    let verifier = IdCardFactory
        .build(json!({}), host.context("id_card", &[]))
        .unwrap();
    (
        OperatorVerifications::new(subs, vec![verifier.clone()]),
        verifier,
    )
}

/// A 1600×1200 photo: a card-like light rectangle on a dark background.
pub(crate) fn photo_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(1600, 1200, |x, y| {
        if (200..1400).contains(&x) && (250..950).contains(&y) {
            image::Rgb([230, 230, 210])
        } else {
            image::Rgb([30, 40, 60])
        }
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

pub(crate) fn input(number: &str, photo: Vec<u8>) -> OperatorInput {
    input_of("passport", number, photo)
}

fn input_of(document_type: &str, number: &str, photo: Vec<u8>) -> OperatorInput {
    OperatorInput::new("en")
        .with_field("document_type", document_type)
        .with_field("number", number)
        .with_field("issuing_country", "it")
        .with_field("expires_on", "")
        .with_file(UploadedFile {
            name: "photo".to_owned(),
            content_type: Some("image/jpeg".to_owned()),
            bytes: photo,
        })
}

fn dimensions(jpeg: &[u8]) -> (u32, u32) {
    assert_eq!(image::guess_format(jpeg).unwrap(), image::ImageFormat::Jpeg);
    let img = image::load_from_memory(jpeg).unwrap();
    (img.width(), img.height())
}

db_test!(
    an_operator_verifies_by_id_card_and_the_photo_is_kept,
    |db| {
        let (ops, _) = services(&db);
        let subs = subscribers(&db);
        assert_eq!(ops.methods(), ["id_card"]);
        let form = ops.form("id_card", "it").unwrap();
        let photo_field = form.iter().find(|f| f.name == "photo").unwrap();
        assert_eq!(photo_field.kind, FormFieldKind::File);
        assert_eq!(photo_field.max_bytes, Some(10 * 1024 * 1024));
        assert!(photo_field.required);
        let kinds = form.iter().find(|f| f.name == "document_type").unwrap();
        assert_eq!(kinds.choices.len(), 4);

        let anna = subs.register(card_user("anna")).await.unwrap();
        let before = chrono::Utc::now() - chrono::Duration::seconds(1);
        let done = ops
            .verify_with("desk-mario", anna.id, input("ya 1234567", photo_jpeg()))
            .await
            .unwrap();
        let after = chrono::Utc::now() + chrono::Duration::seconds(1);
        assert_eq!(
            (done.operator.as_str(), done.method.as_str()),
            ("desk-mario", "id_card")
        );
        assert!(before <= done.verified_at && done.verified_at <= after);
        assert_eq!(done.evidence["document_type"], "passport");
        assert_eq!(done.evidence["number"], "YA1234567");
        assert_eq!(done.evidence["issuing_country"], "IT");
        assert_eq!(done.evidence["photo"]["width"], 800);
        assert_eq!(done.evidence["photo"]["height"], 600);
        assert!(done.evidence.get("expires_on").is_none());
        let user = db.store.find_user(anna.id).await.unwrap().unwrap();
        assert_eq!(user.status(), UserStatus::Verified);
        assert!(user.active);

        // the record, read back
        let history = ops.history(anna.id).await.unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].operator, "desk-mario");
        assert_eq!(history[0].evidence["document_type"], "passport");
        assert_eq!(
            history[0].verified_at.timestamp(),
            done.verified_at.timestamp()
        );

        // the photo and its thumbnail, read back
        let list = ops.attachments(anna.id).await.unwrap();
        let mut kinds: Vec<&str> = list.iter().map(|a| a.kind.as_str()).collect();
        kinds.sort_unstable();
        assert_eq!(kinds, ["document", "thumbnail"]);
        assert!(
            list.iter()
                .all(|a| a.content_type == "image/jpeg" && a.method == "id_card")
        );
        let document = ops.attachment(anna.id, "document").await.unwrap().unwrap();
        assert_eq!(document.info.size, document.bytes.len());
        assert_eq!(dimensions(&document.bytes), (800, 600));
        let thumbnail = ops.attachment(anna.id, "thumbnail").await.unwrap().unwrap();
        assert_eq!(dimensions(&thumbnail.bytes), (100, 75));
        assert_eq!(document.info.verification, thumbnail.info.verification);
        assert!(ops.attachment(anna.id, "selfie").await.unwrap().is_none());

        // checked again with a new document: the newest photo is the one shown
        let again = ops
            .verify_with("desk-lucia", anna.id, input("YB7654321", photo_jpeg()))
            .await
            .unwrap();
        assert_eq!(ops.history(anna.id).await.unwrap().len(), 2);
        assert_eq!(ops.attachments(anna.id).await.unwrap().len(), 4);
        let newest = ops.attachment(anna.id, "document").await.unwrap().unwrap();
        assert_ne!(newest.info.verification, document.info.verification);
        assert_eq!(again.evidence["number"], "YB7654321");

        // the photos are personal data and go with the account; the record stays
        subs.delete(anna.id).await.unwrap();
        assert!(ops.attachments(anna.id).await.unwrap().is_empty());
        assert_eq!(ops.history(anna.id).await.unwrap().len(), 2);
    }
);

fn refusal(e: Error) -> (&'static str, String) {
    match e {
        Error::Invalid { field, reason, .. } => (field, reason),
        other => panic!("unexpected {other}"),
    }
}

db_test!(a_refused_id_card_changes_nothing, |db| {
    let (ops, _) = services(&db);
    let subs = subscribers(&db);
    let carla = subs.register(card_user("carla")).await.unwrap();
    let jpeg = photo_jpeg();
    let cases = [
        (
            input("CA12345BB", b"just some text".to_vec()),
            ("photo", "id_card-err-photo-not-image"),
        ),
        (
            input("CA12345BB", jpeg[..600].to_vec()),
            ("photo", "id_card-err-photo-corrupt"),
        ),
        (
            input("CA12345BB", Vec::new()),
            ("photo", "id_card-err-photo-missing"),
        ),
        (
            input("<b>1</b>", jpeg.clone()),
            ("number", "id_card-err-number"),
        ),
        (
            input_of("library_card", "CA12345BB", jpeg.clone()),
            ("document_type", "id_card-err-type"),
        ),
    ];
    for (bad, want) in cases {
        let e = ops
            .verify_with("desk-mario", carla.id, bad)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        let (field, reason) = refusal(e);
        assert_eq!((field, reason.as_str()), want);
    }
    // the core's own limits, whatever a method hands it
    let oversized = OperatorEvidence {
        evidence: json!({ "document_type": "passport" }),
        attachments: vec![Attachment {
            kind: "document".to_owned(),
            content_type: "image/jpeg".to_owned(),
            bytes: vec![0xff; MAX_ATTACHMENT_BYTES + 1],
        }],
    };
    let e = ops
        .record("desk-mario", carla.id, oversized)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    // a method operators do not verify with takes no photo either
    let bruno = subs.register(new_user("bruno")).await.unwrap();
    let e = ops
        .verify_with("desk-mario", bruno.id, input("CA12345BB", jpeg))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);

    for id in [carla.id, bruno.id] {
        let u = db.store.find_user(id).await.unwrap().unwrap();
        assert_eq!(u.status(), UserStatus::Unverified);
        assert!(ops.history(id).await.unwrap().is_empty());
        assert!(ops.attachments(id).await.unwrap().is_empty());
    }
});

db_test!(id_card_users_are_switched_off_never_deleted, |db| {
    let (ops, verifier) = services(&db);
    let subs = subscribers(&db);
    let dario = subs.register(card_user("dario")).await.unwrap();
    ops.verify_with("desk-mario", dario.id, input("CA12345BB", photo_jpeg()))
        .await
        .unwrap();
    subs.disable(dario.id).await.unwrap();
    // never checked at the desk: created long ago, left unverified
    let elena = subs.register(card_user("elena")).await.unwrap();
    // a method that deletes its disabled users, for contrast
    let mut phone = new_user("fabio");
    phone.verification_method = "sip".to_owned();
    let fabio = subs.register(phone).await.unwrap();
    subs.verify(fabio.id).await.unwrap();
    subs.disable(fabio.id).await.unwrap();
    db.exec("UPDATE owums_users SET created_at = '2020-01-01 00:00:00', updated_at = '2020-01-01 00:00:00'")
        .await
        .unwrap();
    Settings::new(db.store.clone())
        .set("disabled_account_expire_days", "30")
        .await
        .unwrap();

    Housekeeper::new(db.store.clone(), vec![verifier])
        .run_all(chrono::Utc::now())
        .await
        .unwrap();

    for id in [dario.id, elena.id] {
        let u = db
            .store
            .find_user(id)
            .await
            .unwrap()
            .expect("kept for the records");
        assert_eq!(u.status(), UserStatus::Inactive);
    }
    assert!(
        db.store.find_user(fabio.id).await.unwrap().is_none(),
        "deleted"
    );
    assert_eq!(
        ops.attachments(dario.id).await.unwrap().len(),
        2,
        "the photo stays"
    );
    assert_eq!(ops.history(dario.id).await.unwrap().len(), 1);
});

/// Enabled in the server, the method is never offered to the public: the sign-up API
/// refuses it and creates nobody; its strings load beside the host's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_card_is_never_offered_on_public_sign_up() {
    let Some(db) = TestDb::new(crate::support::Backend::Sqlite).await else {
        return;
    };
    let app = super::app_for(
        &db,
        &super::Offset::default(),
        "id_card",
        owums_plugin_id_card::register,
    );
    let body = json!({
        "username": "mallory", "password": "Tulip-Harbor-93", "verification_method": "id_card",
        "email": "mallory@example.org", "given_name": "Carla", "surname": "Neri",
        "eula_accepted": true, "privacy_accepted": true
    });
    let (status, text, _) = super::read(
        app.0
            .post("/api/v1/account")
            .header(poem::http::header::ACCEPT_LANGUAGE, "en")
            .content_type("application/json")
            .body(body.to_string())
            .send()
            .await,
    )
    .await;
    assert!(status.is_client_error(), "{status} {text}");
    assert!(text.contains("verification_method"), "{text}");
    assert_eq!(db.store.count_users().await.unwrap(), 0);
    let (_, page, _) = app.get("/account/signup", "en").await;
    assert!(!page.contains("value=\"id_card\""), "{page}");
}
