//! Password reset by e-mail on every backend: no enumeration, single use, expiry, replaced
//! links, password rules — and on every refusal the password stays as it was.

use owums_core::storage::OutboxRecord;
use owums_core::subscriber::ResetLinkError;
use owums_core::{ErrorKind, Subscribers, UserRecord};

use super::reset_link;
use crate::support::{TestDb, db_test, new_user, subscribers};

/// The reset tokens in the outbox's mails, and the mails.
async fn tokens(db: &TestDb) -> Vec<(String, OutboxRecord)> {
    let mails = db.store.outbox(100).await.unwrap();
    mails
        .into_iter()
        .map(|m| (reset_link(&m.body).1, m))
        .collect()
}

/// The token (and mail) of the only reset mail not among `known`.
async fn new_token(db: &TestDb, known: &[&str]) -> (String, OutboxRecord) {
    let mut new: Vec<_> = tokens(db)
        .await
        .into_iter()
        .filter(|(t, _)| !known.contains(&t.as_str()))
        .collect();
    assert_eq!(new.len(), 1, "one new reset mail");
    new.remove(0)
}

/// Rows of `table` (whose column `column` is text).
async fn count(db: &TestDb, table: &str, column: &str) -> usize {
    db.strings(&format!("SELECT {column} AS v FROM {table}"))
        .await
        .unwrap()
        .len()
}

fn link_error(e: &owums_core::Error) -> ResetLinkError {
    ResetLinkError::of(e).unwrap_or_else(|| panic!("not a reset-link error: {e}"))
}

/// The password is still `Tulip-Harbor-93` (web login).
async fn unchanged(s: &Subscribers, user: &UserRecord) {
    s.authenticate(user.username.as_str(), "Tulip-Harbor-93")
        .await
        .expect("password unchanged");
}

db_test!(
    unknown_accounts_get_the_same_answer_and_nothing_is_stored,
    |db| {
        let s = subscribers(&db);
        let mut no_mail = new_user("nomail");
        no_mail.email = None;
        s.register(no_mail).await.unwrap();
        let off = s.register(new_user("offuser")).await.unwrap();
        s.deactivate(off.id).await.unwrap();
        for who in [
            "nobody",
            "nobody@example.org",
            "nomail",
            "offuser",
            "offuser@example.org",
            "not an address @",
            "x",
        ] {
            s.request_password_reset(who, Some("en")).await.unwrap();
        }
        assert_eq!(count(&db, "owums_password_resets", "token_hash").await, 0);
        assert_eq!(count(&db, "owums_mail_outbox", "id").await, 0);
        // Malformed input is an error (and says so), whoever exists.
        for bad in ["", "   ", "a\u{0}b"] {
            let e = s.request_password_reset(bad, None).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Invalid, "{bad:?}: {e}");
        }
        let long = "a".repeat(300);
        assert!(s.request_password_reset(&long, None).await.is_err());
    }
);

db_test!(only_the_token_hash_is_stored, |db| {
    let s = subscribers(&db);
    s.register(new_user("hashme")).await.unwrap();
    s.request_password_reset("hashme", None).await.unwrap();
    let (token, _) = new_token(&db, &[]).await;
    let rows = db
        .strings("SELECT token_hash AS v FROM owums_password_resets")
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].len(), 64);
    assert_ne!(rows[0], token);
});

db_test!(wrong_expired_and_used_links_change_nothing, |db| {
    let s = subscribers(&db);
    let user = s.register(new_user("rosa")).await.unwrap();
    s.request_password_reset("rosa@example.org", None)
        .await
        .unwrap();
    let (token, _) = new_token(&db, &[]).await;

    // Wrong: unknown, malformed, another user's format.
    for wrong in [
        "0".repeat(64),
        token.to_uppercase(),
        format!("{token}0"),
        "../../etc/passwd".to_owned(),
        String::new(),
    ] {
        let e = s.check_reset_token(&wrong).await.unwrap_err();
        assert_eq!(link_error(&e), ResetLinkError::Unknown, "{wrong:?}");
        let e = s.reset_password(&wrong, "another-pass1").await.unwrap_err();
        assert_eq!(link_error(&e), ResetLinkError::Unknown);
    }
    unchanged(&s, &user).await;

    // A password the rules refuse: error, and the link still works afterwards.
    let e = s.reset_password(&token, "short").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert_eq!(ResetLinkError::of(&e), None, "{e}");
    unchanged(&s, &user).await;
    assert_eq!(s.check_reset_token(&token).await.unwrap(), user.id);

    // Expired: move the link's clock back past its 10 minutes.
    db.exec("UPDATE owums_password_resets SET expires_at = '2001-02-03 04:05:06'")
        .await
        .unwrap();
    let e = s.check_reset_token(&token).await.unwrap_err();
    assert_eq!(link_error(&e), ResetLinkError::Expired);
    assert!(e.to_string().contains("expired"), "{e}");
    let e = s.reset_password(&token, "another-pass1").await.unwrap_err();
    assert_eq!(link_error(&e), ResetLinkError::Expired);
    unchanged(&s, &user).await;

    // A new link works once; used again, it is refused and the password stays.
    s.request_password_reset("rosa", Some("es")).await.unwrap();
    let (fresh, mail) = new_token(&db, &[&token]).await;
    assert_eq!(mail.subject, "Restablece tu contraseña del wifi");
    assert_eq!(
        link_error(&s.check_reset_token(&token).await.unwrap_err()),
        ResetLinkError::Unknown,
        "the expired link was replaced"
    );
    s.reset_password(&fresh, "Saffron-Quay-408").await.unwrap();
    let e = s
        .reset_password(&fresh, "Indigo-Marsh-17")
        .await
        .unwrap_err();
    assert_eq!(link_error(&e), ResetLinkError::Used);
    assert!(e.to_string().contains("already been used"), "{e}");
    assert_eq!(
        link_error(&s.check_reset_token(&fresh).await.unwrap_err()),
        ResetLinkError::Used
    );
    s.authenticate("rosa", "Saffron-Quay-408").await.unwrap();
    assert!(s.authenticate("rosa", "Indigo-Marsh-17").await.is_err());
});

db_test!(asking_again_replaces_the_earlier_link, |db| {
    let s = subscribers(&db);
    let user = s.register(new_user("marta")).await.unwrap();
    s.request_password_reset("marta", None).await.unwrap();
    let (first, _) = new_token(&db, &[]).await;
    s.request_password_reset("marta", None).await.unwrap();
    let (second, _) = new_token(&db, &[&first]).await;
    assert_ne!(first, second);
    let e = s
        .reset_password(&first, "Willow-Comet-562")
        .await
        .unwrap_err();
    assert_eq!(link_error(&e), ResetLinkError::Unknown);
    unchanged(&s, &user).await;
    assert_eq!(
        s.reset_password(&second, "Willow-Comet-562").await.unwrap(),
        user.id
    );
    s.authenticate("marta", "Willow-Comet-562").await.unwrap();
});

db_test!(
    a_link_of_a_switched_off_or_deleted_account_does_not_work,
    |db| {
        let s = subscribers(&db);
        let user = s.register(new_user("piero")).await.unwrap();
        s.request_password_reset("piero", None).await.unwrap();
        let (token, _) = new_token(&db, &[]).await;
        s.deactivate(user.id).await.unwrap();
        let e = s
            .reset_password(&token, "Willow-Comet-562")
            .await
            .unwrap_err();
        assert_eq!(link_error(&e), ResetLinkError::Unknown);
        s.activate(user.id).await.unwrap();
        unchanged(&s, &user).await;
        // The refused attempt did not use the link up.
        assert_eq!(s.check_reset_token(&token).await.unwrap(), user.id);
        s.delete(user.id).await.unwrap();
        assert_eq!(
            count(&db, "owums_password_resets", "token_hash").await,
            0,
            "cascade"
        );
        let e = s.check_reset_token(&token).await.unwrap_err();
        assert_eq!(link_error(&e), ResetLinkError::Unknown);
    }
);
