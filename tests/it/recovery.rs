//! Password recovery by phone in the core, on every backend: no enumeration, pending →
//! proven → one password change, expiry of the call window and of the token.

use std::time::Duration;

use chrono::Utc;
use owums_core::subscriber::{PhoneRecovery, RESET_TOKEN_LIFETIME, RecoveryStatus};
use owums_core::{Challenge, Error, Expiry, Outcome, OutcomeHandler, Result, User, Verifier};

use crate::support::{TestDb, db_test, mobile, new_user, subscribers};

/// A phone method with a 300-second window, like the SIP verifier.
struct Phone;

#[owums_core::async_trait]
impl Verifier for Phone {
    fn id(&self) -> &'static str {
        "sip"
    }
    fn expiry(&self) -> Expiry {
        Expiry::Delete(Duration::from_secs(300))
    }
    async fn challenge(&self, user: &dyn User, _locale: &str) -> Result<Challenge> {
        Ok(Challenge::CallNumber {
            numbers: vec!["+39 06 1234567".to_owned()],
            from: user.mobile().map(|m| m.as_str().to_owned()),
            expires_in_seconds: 300,
            note: None,
        })
    }
}

async fn verified_user(db: &TestDb, name: &str, number: &str) -> owums_core::UserRecord {
    let mut u = new_user(name);
    u.mobile = Some(mobile(number));
    subscribers(db).create(u, true, &[]).await.unwrap()
}

db_test!(recovery_unknown_number_looks_pending_then_expires, |db| {
    let recovery = PhoneRecovery::new(subscribers(&db));
    verified_user(&db, "known", "+393331000000").await;
    let now = Utc::now();
    let known = recovery
        .request_at(&mobile("+393331000000"), &Phone, now)
        .await
        .unwrap();
    let unknown = recovery
        .request_at(&mobile("+393331999999"), &Phone, now)
        .await
        .unwrap();
    // Same shape of answer either way.
    assert_eq!(
        serde_json::to_value(&known.challenge).unwrap()["expires_in_seconds"],
        serde_json::to_value(&unknown.challenge).unwrap()["expires_in_seconds"]
    );
    for ticket in [&known.ticket, &unknown.ticket] {
        assert_eq!(
            recovery.status_at(ticket, now).await.unwrap(),
            RecoveryStatus::Pending {
                expires_in_seconds: 300
            }
        );
        let later = now + chrono::Duration::seconds(301);
        assert_eq!(
            recovery.status_at(ticket, later).await.unwrap(),
            RecoveryStatus::Expired
        );
    }
    // A forged ticket (right user, wrong secret) learns nothing either.
    let forged = known.ticket.to_string();
    let forged = format!("{}{}", &forged[..forged.len() - 4], "0000");
    let forged = forged.parse().unwrap();
    assert!(matches!(
        recovery.status_at(&forged, now).await.unwrap(),
        RecoveryStatus::Pending { .. }
    ));
    assert!(
        "not-a-ticket"
            .parse::<owums_core::subscriber::RecoveryTicket>()
            .is_err()
    );
});

db_test!(recovery_proven_by_a_call_sets_the_password_once, |db| {
    let s = subscribers(&db);
    let recovery = PhoneRecovery::new(s.clone());
    let user = verified_user(&db, "rita", "+393332000000").await;
    let request = recovery
        .request(&mobile("+393332000000"), &Phone)
        .await
        .unwrap();
    // A call through another method proves nothing.
    s.apply("card", Outcome::PasswordRecovered { user: user.id })
        .await
        .unwrap();
    assert!(matches!(
        recovery.status(&request.ticket).await.unwrap(),
        RecoveryStatus::Pending { .. }
    ));
    s.apply("sip", Outcome::PasswordRecovered { user: user.id })
        .await
        .unwrap();
    let RecoveryStatus::Proven {
        token,
        expires_in_seconds,
    } = recovery.status(&request.ticket).await.unwrap()
    else {
        panic!("proven expected");
    };
    assert!(expires_in_seconds <= RESET_TOKEN_LIFETIME.as_secs() && expires_in_seconds > 590);
    // Polling again gives the same token.
    assert!(matches!(
        recovery.status(&request.ticket).await.unwrap(),
        RecoveryStatus::Proven { token: ref t, .. } if *t == token
    ));
    // A bad password is refused and leaves the token usable.
    let short = recovery.reset_password(&token, "x").await;
    assert!(matches!(short, Err(Error::Invalid { .. })), "{short:?}");
    recovery
        .reset_password(&token, "fresh-password1")
        .await
        .unwrap();
    assert_eq!(
        s.authenticate("rita", "fresh-password1").await.unwrap().id,
        user.id
    );
    assert!(s.authenticate("rita", "Tulip-Harbor-93").await.is_err());
    let again = recovery.reset_password(&token, "other-password2").await;
    assert!(matches!(again, Err(Error::Unauthorized)), "{again:?}");
    assert!(s.authenticate("rita", "other-password2").await.is_err());
});

db_test!(recovery_windows_expire, |db| {
    let s = subscribers(&db);
    let recovery = PhoneRecovery::new(s.clone());
    let user = verified_user(&db, "late", "+393333000000").await;
    // A call after the window proves nothing.
    let old = Utc::now() - chrono::Duration::seconds(400);
    let stale = recovery
        .request_at(&mobile("+393333000000"), &Phone, old)
        .await
        .unwrap();
    s.apply("sip", Outcome::PasswordRecovered { user: user.id })
        .await
        .unwrap();
    assert_eq!(
        recovery.status(&stale.ticket).await.unwrap(),
        RecoveryStatus::Expired
    );
    // A proven recovery's token expires after its lifetime.
    let fresh = recovery
        .request(&mobile("+393333000000"), &Phone)
        .await
        .unwrap();
    // The new request replaced the old one.
    assert_eq!(
        recovery.status(&stale.ticket).await.unwrap(),
        RecoveryStatus::Expired
    );
    s.apply("sip", Outcome::PasswordRecovered { user: user.id })
        .await
        .unwrap();
    let RecoveryStatus::Proven { token, .. } = recovery.status(&fresh.ticket).await.unwrap() else {
        panic!("proven expected");
    };
    let late = Utc::now() + chrono::Duration::seconds(601);
    assert_eq!(
        recovery.status_at(&fresh.ticket, late).await.unwrap(),
        RecoveryStatus::Expired
    );
    let used_late = recovery
        .reset_password_at(&token, "too-late-pass3", late)
        .await;
    assert!(
        matches!(used_late, Err(Error::Unauthorized)),
        "{used_late:?}"
    );
    assert!(s.authenticate("late", "Tulip-Harbor-93").await.is_ok());
});
