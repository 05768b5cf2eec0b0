//! Server-side sessions in the database, once per backend.

use chrono::{Duration, Utc};
use owums_core::Store;
use owums_core::config::DatabaseConfig;
use owums_core::subscriber::{WebSessionKind, WebSessions};

use crate::support::{db_test, new_user, subscribers};

fn sql_time(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

db_test!(session_create_get_and_expire, |db| {
    let sessions = WebSessions::new(db.store.clone());
    let (token, created) = sessions.create(WebSessionKind::Web, None).await.unwrap();
    assert_eq!(token.as_str().len(), 64, "256 random bits in hex");
    assert_eq!(created.user_id, None);
    assert_eq!(created.csrf_token.len(), 64);
    let found = sessions.get(token.as_str()).await.unwrap().unwrap();
    assert_eq!(found, created);
    assert!(sessions.get("not-a-token").await.unwrap().is_none());
    assert!(sessions.get("").await.unwrap().is_none());
    assert!(sessions.get(&"x".repeat(10_000)).await.unwrap().is_none());
    // Expired sessions are not returned and the housekeeping purge removes them.
    db.exec("UPDATE owums_sessions SET expires_at = '2000-01-01 00:00:00'")
        .await
        .unwrap();
    assert!(sessions.get(token.as_str()).await.unwrap().is_none());
    let (live, _) = sessions.create(WebSessionKind::Api, None).await.unwrap();
    // The hourly housekeeping job purges them.
    let keeper = owums_core::jobs::Housekeeper::new(db.store.clone(), Vec::new());
    let reports = keeper.run_all(Utc::now()).await.unwrap();
    let purge = reports
        .iter()
        .find(|r| r.job == owums_core::jobs::Job::PurgeExpiredSessions)
        .and_then(|r| r.summary.clone());
    assert_eq!(
        purge.as_deref(),
        Some("deleted 1, closed rate-limit windows 0")
    );
    assert_eq!(sessions.purge_expired(Utc::now()).await.unwrap(), 0);
    assert!(sessions.get(live.as_str()).await.unwrap().is_some());
});

db_test!(session_rotate_and_log_in_keep_data_and_language, |db| {
    let s = subscribers(&db);
    let user = s.register(new_user("alice")).await.unwrap();
    let sessions = WebSessions::new(db.store.clone());
    let (anon, first) = sessions.create(WebSessionKind::Web, None).await.unwrap();
    assert!(
        sessions
            .set_locale(anon.as_str(), Some("it"))
            .await
            .unwrap()
    );
    let data = serde_json::json!({"captcha": "42"});
    assert!(sessions.set_data(anon.as_str(), &data).await.unwrap());
    assert!(
        sessions
            .set_locale(anon.as_str(), Some("much-too-long"))
            .await
            .is_err()
    );

    let (logged, session) = sessions
        .log_in(Some(anon.as_str()), WebSessionKind::Web, user.id)
        .await
        .unwrap();
    assert_ne!(logged, anon, "the session id changes at login");
    assert!(
        sessions.get(anon.as_str()).await.unwrap().is_none(),
        "the old id is dead"
    );
    assert_eq!(session.user_id, Some(user.id));
    assert_eq!(session.locale.as_deref(), Some("it"));
    assert_eq!(session.data, data);
    assert_ne!(session.csrf_token, first.csrf_token, "a new CSRF token");
    assert_eq!(
        sessions.get(logged.as_str()).await.unwrap().unwrap(),
        session
    );

    let (rotated, again) = sessions.rotate(logged.as_str()).await.unwrap().unwrap();
    assert_eq!(again.user_id, Some(user.id));
    assert!(sessions.get(logged.as_str()).await.unwrap().is_none());
    assert!(sessions.rotate(logged.as_str()).await.unwrap().is_none());

    // An unknown token logs in with a new session; so does a session of the other kind.
    let (fresh, s2) = sessions
        .log_in(Some("unknown"), WebSessionKind::Api, user.id)
        .await
        .unwrap();
    assert_eq!((s2.kind, s2.user_id), (WebSessionKind::Api, Some(user.id)));
    let (_, s3) = sessions
        .log_in(Some(fresh.as_str()), WebSessionKind::Web, user.id)
        .await
        .unwrap();
    assert_eq!(s3.kind, WebSessionKind::Web);
    assert!(sessions.get(fresh.as_str()).await.unwrap().is_some());

    // Logging out ends one session; a password change ends all but the current one.
    assert!(sessions.attach_user(rotated.as_str(), None).await.unwrap());
    assert_eq!(
        sessions
            .get(rotated.as_str())
            .await
            .unwrap()
            .unwrap()
            .user_id,
        None
    );
    assert!(sessions.delete(rotated.as_str()).await.unwrap());
    assert!(!sessions.delete(rotated.as_str()).await.unwrap());
    assert_eq!(
        sessions
            .delete_for_user(user.id, Some(fresh.as_str()))
            .await
            .unwrap(),
        1
    );
    assert!(sessions.get(fresh.as_str()).await.unwrap().is_some());
    // Deleting the user ends their sessions.
    s.delete(user.id).await.unwrap();
    assert!(sessions.get(fresh.as_str()).await.unwrap().is_none());
});

db_test!(
    log_in_with_a_held_session_rotates_it_unless_it_ended,
    |db| {
        let s = subscribers(&db);
        let user = s.register(new_user("carla")).await.unwrap();
        let sessions = WebSessions::new(db.store.clone());
        let (anon, held) = sessions.create(WebSessionKind::Web, None).await.unwrap();
        assert!(
            sessions
                .set_locale(anon.as_str(), Some("it"))
                .await
                .unwrap()
        );
        // the page read the session before its language was set: the stored row wins
        let (logged, session) = sessions
            .log_in_held(Some((anon.as_str(), &held)), WebSessionKind::Web, user.id)
            .await
            .unwrap();
        assert_ne!(logged, anon);
        assert!(sessions.get(anon.as_str()).await.unwrap().is_none());
        assert_eq!(session.user_id, Some(user.id));
        assert_eq!(session.locale.as_deref(), Some("it"));
        assert_eq!(
            session.created_at, held.created_at,
            "the same session, rotated"
        );

        // a session that ended after it was read is not revived: a new one
        let (gone, read) = sessions.create(WebSessionKind::Web, None).await.unwrap();
        assert!(
            sessions
                .set_locale(gone.as_str(), Some("fr"))
                .await
                .unwrap()
        );
        assert!(sessions.delete(gone.as_str()).await.unwrap());
        let (fresh, new) = sessions
            .log_in_held(Some((gone.as_str(), &read)), WebSessionKind::Web, user.id)
            .await
            .unwrap();
        assert_ne!(fresh, gone);
        assert_eq!(new.locale, None, "nothing of the ended session");
        assert!(sessions.get(gone.as_str()).await.unwrap().is_none());
        assert_eq!(
            sessions.get(fresh.as_str()).await.unwrap().unwrap().user_id,
            Some(user.id)
        );
    }
);

db_test!(session_touch_slides_expiry_at_most_once_a_minute, |db| {
    let sessions = WebSessions::new(db.store.clone())
        .with_idle_timeout(WebSessionKind::Web, Duration::minutes(30));
    let (token, s) = sessions.create(WebSessionKind::Web, None).await.unwrap();
    assert!(s.expires_at - s.created_at == Duration::minutes(30));
    assert!(
        !sessions.touch(token.as_str(), &s).await.unwrap(),
        "just written"
    );
    let earlier = Utc::now() - Duration::minutes(5);
    db.exec(&format!(
        "UPDATE owums_sessions SET last_seen_at = '{}', expires_at = '{}'",
        sql_time(earlier),
        sql_time(earlier + Duration::minutes(30))
    ))
    .await
    .unwrap();
    let stale = sessions.get(token.as_str()).await.unwrap().unwrap();
    assert!(sessions.touch(token.as_str(), &stale).await.unwrap());
    let moved = sessions.get(token.as_str()).await.unwrap().unwrap();
    assert!(moved.expires_at > stale.expires_at + Duration::minutes(4));
    assert!(moved.last_seen_at > stale.last_seen_at);
    // A second process that read the same stale copy does not write again.
    assert!(!sessions.touch(token.as_str(), &stale).await.unwrap());
});

db_test!(sessions_are_shared_between_processes, |db| {
    // A second pool on the same database stands for a second `owums serve`.
    let other = Store::connect(&DatabaseConfig {
        url: db.url.clone(),
        ..DatabaseConfig::default()
    })
    .await
    .unwrap();
    let a = WebSessions::new(db.store.clone());
    let b = WebSessions::new(other);
    let (token, s) = a.create(WebSessionKind::Api, None).await.unwrap();
    assert_eq!(b.get(token.as_str()).await.unwrap().unwrap(), s);
    assert!(b.delete(token.as_str()).await.unwrap());
    assert!(a.get(token.as_str()).await.unwrap().is_none());
});
