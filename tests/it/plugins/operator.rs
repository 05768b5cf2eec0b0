//! Operator-side verification: a method operators verify with (an identity document), the
//! record of who verified whom with what evidence written with the verification, and
//! refusals that change nothing — on every backend.

use std::sync::Arc;

use owums_core::subscriber::OperatorVerifications;
use owums_core::{Challenge, ErrorKind, Expiry, NewUser, User, UserStatus, Verifier};
use serde_json::json;

use crate::support::{db_test, new_user, subscribers};

/// An identity document checked at a desk.
struct IdCard;

#[owums_core::async_trait]
impl Verifier for IdCard {
    fn id(&self) -> &'static str {
        "id_card"
    }
    fn operator_verified(&self) -> bool {
        true
    }
    fn expiry(&self) -> Expiry {
        Expiry::Never
    }
    async fn challenge(&self, _user: &dyn User, _locale: &str) -> owums_core::Result<Challenge> {
        Ok(Challenge::WaitForOperator { note: None })
    }
}

fn card_user(name: &str) -> NewUser {
    NewUser {
        verification_method: "id_card".to_owned(),
        ..new_user(name)
    }
}

db_test!(
    operator_verification_is_recorded_with_the_verification,
    |db| {
        let subs = subscribers(&db);
        let ops = OperatorVerifications::new(subs.clone(), vec![Arc::new(IdCard)]);
        let anna = subs.register(card_user("anna")).await.unwrap();
        let evidence = json!({ "document": "identity card", "number": "CA12345BB" });
        let done = ops
            .verify("desk-mario", anna.id, evidence.clone())
            .await
            .unwrap();
        assert_eq!(
            (done.operator.as_str(), done.method.as_str()),
            ("desk-mario", "id_card")
        );
        let now = db.store.find_user(anna.id).await.unwrap().unwrap();
        assert_eq!(now.status(), UserStatus::Verified);
        let history = ops.history(anna.id).await.unwrap();
        assert_eq!(history, vec![done.clone()]);
        assert_eq!(history[0].evidence, evidence);
        assert_eq!(history[0].username, "anna");
        // the record stays for the legal record when the account goes
        subs.delete(anna.id).await.unwrap();
        assert_eq!(ops.history(anna.id).await.unwrap(), vec![done]);
    }
);

db_test!(operator_verification_refusals_change_nothing, |db| {
    let subs = subscribers(&db);
    let ops = OperatorVerifications::new(subs.clone(), vec![Arc::new(IdCard)]);
    // a method operators do not verify with
    let bruno = subs.register(new_user("bruno")).await.unwrap();
    let e = ops
        .verify("desk-mario", bruno.id, json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    // evidence that is not an object, or too large; no operator
    let carla = subs.register(card_user("carla")).await.unwrap();
    for (operator, evidence) in [
        ("desk-mario", json!("a photo")),
        ("desk-mario", json!({ "scan": "x".repeat(9000) })),
        ("  ", json!({})),
    ] {
        let e = ops.verify(operator, carla.id, evidence).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
    }
    // an account an operator switched off is not verified, and nothing is recorded
    subs.deactivate(carla.id).await.unwrap();
    let e = ops
        .verify("desk-mario", carla.id, json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid, "{e}");
    for id in [bruno.id, carla.id] {
        assert!(ops.history(id).await.unwrap().is_empty());
        let u = db.store.find_user(id).await.unwrap().unwrap();
        assert!(!u.verified);
    }
    // an unknown subscriber
    let e = ops
        .verify("desk-mario", owums_core::UserId::random(), json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
});
