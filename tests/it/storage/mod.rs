//! Storage behaviour, once per backend.

use chrono::NaiveDate;
use owums_core::storage::{NewGroup, NewNas, RadiusView};
use owums_core::{
    AccountingEvent, AccountingSink, AcctStatus, AttributeKind, ErrorKind, GroupName,
    PluginStateStore, RadiusAttribute, Settings, SqlAccountingSink, UserStatus,
};

use crate::support::{db_test, mobile, new_user, subscribers};

mod accounting;

db_test!(user_round_trip_keeps_every_field, |db| {
    let s = subscribers(&db);
    let mut new = new_user("alice");
    new.mobile = Some(mobile("+39 334 1234567"));
    new.birth_date = NaiveDate::from_ymd_opt(1990, 2, 3);
    new.address = "Via Roma 1".into();
    new.city = "Roma".into();
    new.zip = "00100".into();
    new.country = "Italy".into();
    new.notes = Some("note".into());
    let created = s.register(new).await.unwrap();
    let found = db
        .store
        .find_user_by_username(&"ALICE".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, created);
    assert_eq!(found.mobile.as_ref().unwrap().as_str(), "+393341234567");
    assert_eq!(found.birth_date, NaiveDate::from_ymd_opt(1990, 2, 3));
    assert_eq!(found.status(), UserStatus::Unverified);
    assert_eq!(found.locale, "it");
    assert_eq!(
        db.store
            .find_user_by_mobile(&mobile("+393341234567"))
            .await
            .unwrap()
            .unwrap()
            .id,
        created.id
    );
    let groups = db.store.user_groups(created.id).await.unwrap();
    assert_eq!(
        groups[0].0.as_str(),
        "Users",
        "new users join the default group"
    );
});

db_test!(injection_shaped_values_are_stored_verbatim, |db| {
    let s = subscribers(&db);
    let mut new = new_user("bobby");
    new.given_name = "bob\"e'i;aü".into();
    new.surname = "'); DROP TABLE owums_users; --".into();
    new.notes = Some("\\' OR 1=1 --".into());
    let u = s.register(new).await.unwrap();
    let back = db.store.find_user(u.id).await.unwrap().unwrap();
    assert_eq!(back.given_name, "bob\"e'i;aü");
    assert_eq!(back.surname, "'); DROP TABLE owums_users; --");
    assert_eq!(back.notes.as_deref(), Some("\\' OR 1=1 --"));
    assert_eq!(db.store.count_users().await.unwrap(), 1);
    let a = RadiusAttribute::try_new(
        AttributeKind::Reply,
        "Reply-Message",
        "=",
        "it's \"quoted\"; --",
    )
    .unwrap();
    db.store
        .add_user_attribute(u.id, AttributeKind::Reply, &a)
        .await
        .unwrap();
    assert_eq!(
        db.store
            .user_attributes(u.id, AttributeKind::Reply)
            .await
            .unwrap(),
        vec![a]
    );
});

db_test!(duplicate_username_email_mobile_are_conflicts, |db| {
    let s = subscribers(&db);
    let mut first = new_user("alice");
    first.mobile = Some(mobile("+393341234567"));
    s.register(first).await.unwrap();
    let mut upper = new_user("ALICE");
    upper.email = None;
    let e = s.register(upper).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(e.to_string().contains("username"), "{e}");
    let mut same_mail = new_user("alice2");
    same_mail.email = Some(owums_core::Email::try_new("ALICE@example.org").unwrap());
    let e = s.register(same_mail).await.unwrap_err();
    assert!(e.to_string().contains("e-mail"), "{e}");
    let mut same_mobile = new_user("alice3");
    same_mobile.mobile = Some(mobile("0039 334 1234567"));
    let e = s.register(same_mobile).await.unwrap_err();
    assert!(e.to_string().contains("mobile"), "{e}");
    assert_eq!(db.store.count_users().await.unwrap(), 1, "nothing stored");
});

db_test!(invalid_password_or_missing_group_store_nothing, |db| {
    let s = subscribers(&db);
    let mut weak = new_user("carol");
    weak.password = "short".into();
    assert_eq!(
        s.register(weak).await.unwrap_err().kind(),
        ErrorKind::Invalid
    );
    let e = s
        .create(
            new_user("carol"),
            true,
            &[GroupName::try_new("Nope").unwrap()],
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(db.store.count_users().await.unwrap(), 0);
});

db_test!(radius_sees_only_verified_active_eula_users, |db| {
    let s = subscribers(&db);
    let u = s.register(new_user("dave")).await.unwrap();
    let check = |db: &crate::support::TestDb| {
        let store = db.store.clone();
        async move { store.radius_view(RadiusView::Check, "dave").await.unwrap() }
    };
    assert!(check(&db).await.is_empty(), "unverified");
    s.verify(u.id).await.unwrap();
    let rows = check(&db).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].attribute.as_str(), rows[0].op.as_str()),
        ("Crypt-Password", ":=")
    );
    assert!(rows[0].value.starts_with("$6$"));
    assert_eq!(
        db.store.radius_user_groups("dave").await.unwrap(),
        vec!["Users"]
    );
    s.disable(u.id).await.unwrap();
    assert!(check(&db).await.is_empty(), "disabled");
    assert!(
        db.store
            .radius_user_groups("dave")
            .await
            .unwrap()
            .is_empty()
    );
    s.enable(u.id).await.unwrap();
    s.deactivate(u.id).await.unwrap();
    assert!(check(&db).await.is_empty(), "inactive");
    s.activate(u.id).await.unwrap();
    assert_eq!(check(&db).await.len(), 1);
    let mut no_eula = new_user("erin");
    no_eula.eula_accepted = false;
    let e = s.create(no_eula, true, &[]).await.unwrap();
    assert!(
        db.store
            .radius_view(RadiusView::Check, "erin")
            .await
            .unwrap()
            .is_empty(),
        "EULA not accepted"
    );
    assert_eq!(e.status(), UserStatus::Verified);
});

db_test!(groups_and_user_attributes_reach_the_views, |db| {
    let s = subscribers(&db);
    let reply = |t| RadiusAttribute::parse(AttributeKind::Reply, t).unwrap();
    let g = db
        .store
        .create_group(NewGroup {
            name: GroupName::try_new("Gold").unwrap(),
            priority: 0,
            notes: None,
            checks: vec![
                RadiusAttribute::parse(AttributeKind::Check, "Simultaneous-Use:=2").unwrap(),
            ],
            replies: vec![
                reply("Session-Timeout=7200"),
                reply("Reply-Message=\"Welcome, gold\""),
            ],
        })
        .await
        .unwrap();
    assert_eq!(g.replies.len(), 2);
    let dup = db
        .store
        .create_group(NewGroup {
            name: g.name.clone(),
            priority: 1,
            notes: None,
            checks: vec![],
            replies: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::Conflict);
    let u = s
        .create(
            new_user("frank"),
            true,
            &[g.name.clone(), GroupName::try_new("Users").unwrap()],
        )
        .await
        .unwrap();
    assert_eq!(
        db.store.radius_user_groups("frank").await.unwrap(),
        vec!["Gold", "Users"],
        "priority order"
    );
    let replies = db
        .store
        .radius_view(RadiusView::GroupReply, "Gold")
        .await
        .unwrap();
    assert_eq!(replies[1].value, "Welcome, gold");
    let seeded = db
        .store
        .radius_view(RadiusView::GroupReply, "Users")
        .await
        .unwrap();
    let pairs: Vec<_> = seeded
        .iter()
        .map(|a| (a.attribute.as_str(), a.value.as_str()))
        .collect();
    assert_eq!(
        pairs,
        vec![("Session-Timeout", "3600"), ("Idle-Timeout", "600")]
    );
    let disabled = db
        .store
        .radius_view(RadiusView::GroupCheck, "Disabled")
        .await
        .unwrap();
    assert_eq!(
        (
            disabled[0].attribute.as_str(),
            disabled[0].op.as_str(),
            disabled[0].value.as_str()
        ),
        ("Auth-Type", ":=", "Reject")
    );
    db.store
        .add_user_attribute(u.id, AttributeKind::Reply, &reply("Idle-Timeout=60"))
        .await
        .unwrap();
    db.store
        .add_user_attribute(
            u.id,
            AttributeKind::Check,
            &RadiusAttribute::parse(AttributeKind::Check, "Calling-Station-Id==aa").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        db.store
            .radius_view(RadiusView::Reply, "frank")
            .await
            .unwrap()[0]
            .value,
        "60"
    );
    let pw = RadiusAttribute::parse(AttributeKind::Check, "Cleartext-Password:=x").unwrap();
    let e = db
        .store
        .add_user_attribute(u.id, AttributeKind::Check, &pw)
        .await
        .unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Invalid,
        "passwords are not free-form attributes"
    );
    let own = db
        .store
        .user_attributes(u.id, AttributeKind::Check)
        .await
        .unwrap();
    assert_eq!(
        own.len(),
        1,
        "the password row is not listed as an attribute: {own:?}"
    );
    let checks = db
        .store
        .radius_view(RadiusView::Check, "frank")
        .await
        .unwrap();
    assert_eq!(checks.len(), 2);
    assert_eq!(
        checks[0].attribute, "Crypt-Password",
        "password first (id order)"
    );
});

db_test!(transitions_follow_the_state_machine, |db| {
    let s = subscribers(&db);
    let u = s.register(new_user("gina")).await.unwrap();
    assert_eq!(
        s.disable(u.id).await.unwrap_err().kind(),
        ErrorKind::Invalid,
        "cannot disable unverified"
    );
    assert_eq!(s.enable(u.id).await.unwrap_err().kind(), ErrorKind::Invalid);
    let v = s.verify(u.id).await.unwrap();
    assert_eq!(v.status(), UserStatus::Verified);
    let at = v.verified_at.unwrap();
    let d = s.disable(u.id).await.unwrap();
    assert_eq!(d.status(), UserStatus::Disabled);
    assert_eq!(d.verified_at, Some(at), "verified_at kept when disabled");
    assert_eq!(
        s.verify(u.id).await.unwrap().status(),
        UserStatus::Verified,
        "re-verifying re-enables"
    );
    assert_eq!(
        s.deactivate(u.id).await.unwrap().status(),
        UserStatus::Inactive
    );
    assert_eq!(
        s.verify(u.id).await.unwrap_err().kind(),
        ErrorKind::Invalid,
        "inactive users are an operator's matter"
    );
    assert!(matches!(
        s.authenticate("gina", "Tulip-Harbor-93").await.unwrap_err(),
        owums_core::Error::Unauthorized
    ));
    s.activate(u.id).await.unwrap();
    assert_eq!(
        s.authenticate("GINA", "Tulip-Harbor-93").await.unwrap().id,
        u.id
    );
    assert!(s.authenticate("gina", "Maple-Sonnet-48").await.is_err());
    let before = db
        .store
        .radius_view(RadiusView::Check, "gina")
        .await
        .unwrap();
    s.set_password(u.id, "Velvet-Pine-381").await.unwrap();
    assert!(s.authenticate("gina", "Velvet-Pine-381").await.is_ok());
    let after = db
        .store
        .radius_view(RadiusView::Check, "gina")
        .await
        .unwrap();
    assert_eq!(after.len(), 1, "one password row: {after:?}");
    assert_ne!(
        after[0].value, before[0].value,
        "FreeRADIUS sees the new password"
    );
    db.store
        .put("sip", u.id, serde_json::json!({"calls": 1}))
        .await
        .unwrap();
    s.delete(u.id).await.unwrap();
    assert!(db.store.find_user(u.id).await.unwrap().is_none());
    assert!(
        db.store.get("sip", u.id).await.unwrap().is_none(),
        "plugin state goes with the user"
    );
    assert_eq!(
        s.delete(u.id).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
});

db_test!(nas_round_trip_and_validation, |db| {
    let n = db
        .store
        .add_nas(&NewNas {
            nasname: "192.0.2.0/24".into(),
            shortname: None,
            nas_type: None,
            secret: "s3cret".into(),
            description: None,
        })
        .await
        .unwrap();
    assert_eq!(n.shortname.as_deref(), Some("192.0.2.0/24"));
    assert_eq!(n.nas_type.as_deref(), Some("other"));
    assert_eq!(db.store.list_nas().await.unwrap(), vec![n.clone()]);
    let bad = NewNas {
        nasname: "not-an-ip".into(),
        shortname: None,
        nas_type: None,
        secret: "x".into(),
        description: None,
    };
    assert_eq!(
        db.store.add_nas(&bad).await.unwrap_err().kind(),
        ErrorKind::Invalid
    );
    let dup = NewNas {
        nasname: "192.0.2.0/24".into(),
        ..bad
    };
    assert_eq!(
        db.store.add_nas(&dup).await.unwrap_err().kind(),
        ErrorKind::Conflict
    );
    // nasreload, the last FreeRADIUS table, as the stock mysql/postgresql queries write it.
    let when = if db.backend() == crate::support::Backend::Sqlite {
        "1767225600"
    } else {
        "'2026-01-01 00:00:00'"
    };
    db.exec(&format!(
        "INSERT INTO nasreload (nasipaddress, reloadtime) VALUES ('192.0.2.1', {when})"
    ))
    .await
    .unwrap();
    assert_eq!(
        db.store.nas_reload_time("192.0.2.1").await.unwrap(),
        Some(1_767_225_600)
    );
});

db_test!(settings_have_defaults_and_types, |db| {
    let settings = Settings::new(db.store.clone());
    assert_eq!(
        settings.text("default_radius_group").await.unwrap(),
        "Users"
    );
    assert!(settings.flag("captcha_enabled").await.unwrap());
    settings.set("captcha_enabled", "false").await.unwrap();
    assert!(!settings.flag("captcha_enabled").await.unwrap());
    assert_eq!(
        settings
            .set("captcha_enabled", "maybe")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Invalid
    );
    assert_eq!(
        settings.set("no_such_key", "1").await.unwrap_err().kind(),
        ErrorKind::Invalid
    );
    settings
        .set("disabled_account_expire_days", "30")
        .await
        .unwrap();
    assert_eq!(
        settings
            .count("disabled_account_expire_days")
            .await
            .unwrap(),
        30
    );
    settings.reset("captcha_enabled").await.unwrap();
    assert!(settings.flag("captcha_enabled").await.unwrap());
    // The default group comes from the setting.
    db.store
        .create_group(NewGroup {
            name: GroupName::try_new("Guests").unwrap(),
            priority: 5,
            notes: None,
            checks: vec![],
            replies: vec![],
        })
        .await
        .unwrap();
    settings
        .set("default_radius_group", "Guests")
        .await
        .unwrap();
    let u = subscribers(&db)
        .register(crate::support::new_user("henry"))
        .await
        .unwrap();
    assert_eq!(
        db.store.user_groups(u.id).await.unwrap(),
        vec![(GroupName::try_new("Guests").unwrap(), 5)]
    );
});

db_test!(migrations_are_idempotent, |db| {
    assert!(db.store.migrate().await.unwrap().is_empty());
});

db_test!(old_rows_are_deleted_in_batches_with_progress, |db| {
    let sink = SqlAccountingSink::new(db.store.clone());
    let t = chrono::Utc::now() - chrono::Duration::days(100);
    for i in 0..7 {
        let mut e = AccountingEvent::new(
            AcctStatus::Stop,
            &format!("old-{i}"),
            "s",
            "olga",
            "10.0.0.9",
        );
        e.event_time = t;
        e.session_time = Some(60);
        sink.record(&e).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut progress = |done, total| seen.push((done, total));
    let n = db
        .store
        .delete_radacct_older_than(30, chrono::Utc::now().timestamp(), 3, &mut progress)
        .await
        .unwrap();
    assert_eq!(n, 7);
    assert_eq!(seen, vec![(0, 7), (3, 7), (6, 7), (7, 7)]);
    assert!(db.store.radacct_for_user("olga").await.unwrap().is_empty());
});
