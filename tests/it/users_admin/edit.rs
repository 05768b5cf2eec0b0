//! Create per permission, edits with their changes, and refused input.

use owums_core::operator::{Change, Permission, SECRET_CHANGED};
use owums_core::storage::NewGroup;
use owums_core::subscriber::{NewPassword, UserEdit};
use owums_core::{ErrorKind, GroupName, UserStatus};
use poem::http::StatusCode;
use serde_json::json;

use super::{admin, create, form, groups, manager, only};
use crate::freeradius_rest::{acct_body, auth_body, client, config, parsed, post};
use crate::support::{db_test, subscribers};

async fn premium(db: &crate::support::TestDb) {
    db.store
        .create_group(NewGroup {
            name: GroupName::try_new("Premium").unwrap(),
            priority: 5,
            notes: None,
            checks: vec![],
            replies: vec![],
        })
        .await
        .unwrap();
}

fn change<'a>(changes: &'a owums_core::operator::Changes, field: &str) -> Option<&'a Change> {
    changes.iter().find(|c| c.field == field)
}

db_test!(create_follows_the_operators_permissions, |db| {
    premium(&db).await;
    let a = admin(&db);
    let desk = only(&[Permission::UsersRegistrant, Permission::RegistrantByNothing]);
    // a method the operator may not use: refused, nothing stored
    let mut f = form("carlo.id", "Carlo", "Bo", "", "");
    f.method = "id_card".to_owned();
    f.evidence = Some(json!({"document": "identity card", "number": "CA123"}));
    let e = a.create("desk-mario", &desk, f.clone()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    let mut sip = form("carlo.sip", "Carlo", "Bo", "", "");
    sip.method = "sip".to_owned();
    assert_eq!(
        a.create("desk-mario", &manager(), sip)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Invalid
    );
    assert_eq!(db.store.count_users().await.unwrap(), 0);

    // no verification: verified and active at once, the default group whatever was asked,
    // a generated password that logs in
    let mut f2 = form("nina.desk", "Nina", "Desk", "", "");
    f2.password = NewPassword::Generated;
    f2.groups = vec![GroupName::try_new("Premium").unwrap()];
    let made = a.create("desk-mario", &desk, f2).await.unwrap();
    assert_eq!(made.user.status(), UserStatus::Verified);
    assert!(made.user.active && made.user.is_radius_valid());
    assert_eq!(made.user.verification_method, "none");
    assert_eq!(groups(&db, &made.user).await, ["Users"]);
    assert_eq!(made.password.len(), 10);
    subscribers(&db)
        .authenticate("nina.desk", &made.password)
        .await
        .unwrap();
    let pw = change(&made.changes, "password").unwrap();
    assert_eq!(pw.after.as_deref(), Some(SECRET_CHANGED));
    assert!(
        made.changes
            .iter()
            .all(|c| c.after.as_deref() != Some(made.password.as_str()))
    );
    assert_eq!(
        change(&made.changes, "username").unwrap().after.as_deref(),
        Some("nina.desk")
    );

    // by ID card, with evidence: the check is recorded, shown on the user's page
    let card = only(&[Permission::RegistrantByIdCard, Permission::UsersManager]);
    let mut missing = f.clone();
    missing.evidence = None;
    assert_eq!(
        a.create("desk-mario", &card, missing)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Invalid
    );
    f.groups = vec![
        GroupName::try_new("Premium").unwrap(),
        GroupName::try_new("Premium").unwrap(),
    ];
    let carlo = a.create("desk-mario", &card, f).await.unwrap();
    assert_eq!(groups(&db, &carlo.user).await, ["Premium"]);
    let shown = a.show_utc(carlo.user.id).await.unwrap();
    let v = shown.verification.unwrap();
    assert_eq!(
        (v.operator.as_str(), v.method.as_str()),
        ("desk-mario", "id_card")
    );
    assert_eq!(v.evidence["number"], "CA123");
    assert_eq!(shown.groups[0].0.as_str(), "Premium");

    // a weak typed password needs the explicit flag
    let mut weak = form("weak.one", "Weak", "One", "", "");
    weak.password = NewPassword::Typed("password1".to_owned());
    assert_eq!(
        a.create("desk-mario", &desk, weak.clone())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Invalid
    );
    weak.weak_password_ok = true;
    a.create("desk-mario", &desk, weak).await.unwrap();
    subscribers(&db)
        .authenticate("weak.one", "password1")
        .await
        .unwrap();
    assert_eq!(db.store.count_users().await.unwrap(), 3);
});

db_test!(
    edits_return_their_changes_and_reach_the_next_authorize,
    |db| {
        premium(&db).await;
        let a = admin(&db);
        let vera = create(
            &a,
            form("vera.edit", "Vera", "Neri", "vera@example.org", ""),
        )
        .await;
        let mut c = config(&db);
        c.freeradius.authorize_reject = true;
        let cli = client(&c, &db, "127.0.0.1");
        let authorize = async |user: &str, pw: &str| {
            let (status, body) = post(&cli, "authorize", &auth_body(user, pw)).await;
            (
                status,
                if body.is_empty() {
                    serde_json::Value::Null
                } else {
                    parsed(&body)
                },
            )
        };
        let (status, body) = authorize("vera.edit", "Tulip-Harbor-93").await;
        assert_eq!(
            (status, body["control:Auth-Type"].as_str()),
            (StatusCode::OK, Some("Accept"))
        );

        // switched off: rejected on the very next request; back on: accepted
        let (off, changes) = a.disable(vera.id).await.unwrap();
        assert!(!off.active);
        assert_eq!(
            changes.iter().cloned().collect::<Vec<_>>(),
            [Change {
                field: "active".into(),
                before: Some("true".into()),
                after: Some("false".into()),
            }]
        );
        assert_eq!(
            authorize("vera.edit", "Tulip-Harbor-93").await.0,
            StatusCode::UNAUTHORIZED
        );
        assert!(
            a.disable(vera.id).await.unwrap().1.is_empty(),
            "already off"
        );
        a.enable(vera.id).await.unwrap();
        assert_eq!(
            authorize("vera.edit", "Tulip-Harbor-93").await.0,
            StatusCode::OK
        );

        // every field at once
        let edit = UserEdit {
            username: Some("vera.new".into()),
            email: Some("".into()),
            mobile: Some("334 555 0101".into()),
            city: Some("Lecce".into()),
            notes: Some("called on monday\nprefers e-mail".into()),
            password: Some("Maple-Canyon-47".into()),
            groups: Some(vec![GroupName::try_new("Premium").unwrap()]),
            ..UserEdit::default()
        };
        let (after, changes) = a.update(vera.id, edit).await.unwrap();
        assert_eq!(after.username.as_str(), "vera.new");
        assert_eq!(after.email, None);
        assert_eq!(after.mobile.as_ref().unwrap().as_str(), "+393345550101");
        let before_after = |f: &str| {
            let c = change(&changes, f).unwrap_or_else(|| panic!("{f} not in {changes:?}"));
            (c.before.clone(), c.after.clone())
        };
        assert_eq!(
            before_after("username"),
            (Some("vera.edit".into()), Some("vera.new".into()))
        );
        assert_eq!(
            before_after("email"),
            (Some("vera@example.org".into()), None)
        );
        assert_eq!(before_after("mobile"), (None, Some("+393345550101".into())));
        assert_eq!(
            before_after("city"),
            (Some(String::new()), Some("Lecce".into()))
        );
        assert_eq!(
            before_after("groups"),
            (Some("Users".into()), Some("Premium".into()))
        );
        assert_eq!(
            before_after("password"),
            (None, Some(SECRET_CHANGED.into()))
        );
        assert!(
            change(&changes, "surname").is_none(),
            "unchanged fields are not listed"
        );
        assert_eq!(
            authorize("vera.edit", "Tulip-Harbor-93").await.0,
            StatusCode::UNAUTHORIZED
        );
        let (status, body) = authorize("vera.new", "Maple-Canyon-47").await;
        assert_eq!(
            (status, body["control:Auth-Type"].as_str()),
            (StatusCode::OK, Some("Accept"))
        );
        assert!(
            subscribers(&db)
                .authenticate("vera.new", "Tulip-Harbor-93")
                .await
                .is_err()
        );

        // unverified by an operator: rejected; the verification date is kept
        let (u, _) = a
            .update(
                vera.id,
                UserEdit {
                    verified: Some(false),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(u.status(), UserStatus::Disabled);
        assert_eq!(
            authorize("vera.new", "Maple-Canyon-47").await.0,
            StatusCode::UNAUTHORIZED
        );

        // deleted: gone, the change names them
        let gone = a.delete(vera.id).await.unwrap();
        assert_eq!(
            before_after_of(&gone, "username"),
            (Some("vera.new".into()), None)
        );
        assert!(db.store.find_user(vera.id).await.unwrap().is_none());
        assert_eq!(
            a.delete(vera.id).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }
);

fn before_after_of(
    changes: &owums_core::operator::Changes,
    f: &str,
) -> (Option<String>, Option<String>) {
    let c = change(changes, f).unwrap();
    (c.before.clone(), c.after.clone())
}

db_test!(bad_input_is_refused_and_changes_nothing, |db| {
    let a = admin(&db);
    let ivo = create(&a, form("ivo.bad", "Ivo", "Bad", "ivo@example.org", "")).await;
    create(&a, form("taken1", "Taken", "One", "taken@example.org", "")).await;
    let edit = UserEdit {
        given_name: Some("x".repeat(101)),
        city: Some("Ro\u{1b}[31mma".into()),
        email: Some("not-an-email".into()),
        mobile: Some("12ab".into()),
        notes: Some("n".repeat(2001)),
        locale: Some("xx".into()),
        ..UserEdit::default()
    };
    match a.update(ivo.id, edit).await.unwrap_err() {
        owums_core::Error::Fields(fields) => {
            let names: Vec<&str> = fields.iter().map(|f| f.field).collect();
            for f in ["given_name", "city", "email", "mobile", "notes", "locale"] {
                assert!(names.contains(&f), "{f} in {names:?}");
            }
        }
        other => panic!("{other:?}"),
    }
    let taken = UserEdit {
        email: Some("TAKEN@example.org".into()),
        city: Some("Bari".into()),
        ..UserEdit::default()
    };
    assert_eq!(
        a.update(ivo.id, taken).await.unwrap_err().kind(),
        ErrorKind::Conflict
    );
    let weak = UserEdit {
        password: Some("ivo.bad123".into()),
        city: Some("Bari".into()),
        ..UserEdit::default()
    };
    assert_eq!(
        a.update(ivo.id, weak).await.unwrap_err().kind(),
        ErrorKind::Invalid
    );
    let unknown_group = UserEdit {
        groups: Some(vec![GroupName::try_new("Nope").unwrap()]),
        ..UserEdit::default()
    };
    assert_eq!(
        a.update(ivo.id, unknown_group).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        db.store.find_user(ivo.id).await.unwrap().unwrap(),
        ivo,
        "nothing changed"
    );
    assert_eq!(groups(&db, &ivo).await, ["Users"]);
    subscribers(&db)
        .authenticate("ivo.bad", "Tulip-Harbor-93")
        .await
        .unwrap();
    // the same rules when creating
    let mut bad = form("new.bad", "N\u{0}o", "Bad", "x@y", "+1");
    bad.notes = "n".repeat(2001);
    assert!(
        matches!(a.create("desk", &manager(), bad).await.unwrap_err(), owums_core::Error::Fields(f) if f.len() == 4)
    );
    // files come only with the record of a check, and within the core's limits
    let photo = |bytes: Vec<u8>| owums_core::plugin::Attachment {
        kind: "document".into(),
        content_type: "image/jpeg".into(),
        bytes,
    };
    let mut loose = form("new.files", "New", "Files", "", "");
    loose.attachments = vec![photo(vec![0xff; 10])];
    assert_eq!(
        a.create("desk", &manager(), loose)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Invalid
    );
    let mut huge = form("new.files", "New", "Files", "", "");
    huge.method = "id_card".to_owned();
    huge.evidence = Some(json!({"document": "passport", "number": "CA123"}));
    huge.attachments = vec![photo(vec![0; owums_core::plugin::MAX_ATTACHMENT_BYTES + 1])];
    assert_eq!(
        a.create("desk", &manager(), huge).await.unwrap_err().kind(),
        ErrorKind::Invalid
    );
    assert_eq!(db.store.count_users().await.unwrap(), 2);
});

db_test!(show_gathers_everything_about_one_user, |db| {
    let a = admin(&db);
    let rita = create(&a, form("rita.show", "Rita", "Show", "", "")).await;
    let s = subscribers(&db);
    s.authenticate("rita.show", "Tulip-Harbor-93")
        .await
        .unwrap();
    s.authenticate("rita.show", "Tulip-Harbor-93")
        .await
        .unwrap();
    assert!(
        s.authenticate("rita.show", "wrong-password-1")
            .await
            .is_err()
    );
    let cli = client(&config(&db), &db, "127.0.0.1");
    let (status, _) = post(&cli, "accounting", &acct_body("Start", "u-1", "rita.show")).await;
    assert!(status.is_success(), "{status}");
    let d = a.show_utc(rita.id).await.unwrap();
    assert_eq!(d.user, db.store.find_user(rita.id).await.unwrap().unwrap());
    assert_eq!((d.web_logins, d.radius_logins), (2, 1));
    assert_eq!(d.sessions.sessions.len(), 1);
    assert_eq!(d.online.unwrap().username, "rita.show");
    assert_eq!(d.usage.days.len(), 14);
    assert!(
        d.verification.is_none(),
        "method none has no operator check"
    );
    assert_eq!(d.groups[0].0.as_str(), "Users");
    assert!(d.checks.is_empty(), "the password is not listed");
    let (status, _) = post(&cli, "accounting", &acct_body("Stop", "u-1", "rita.show")).await;
    assert!(status.is_success());
    assert!(a.show_utc(rita.id).await.unwrap().online.is_none());
});
