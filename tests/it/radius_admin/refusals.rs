//! Refused edits name the field and write nothing, on every backend.

use owums_core::radius::{GroupUpdate, RadiusAdmin};
use owums_core::storage::{AttributeOwner, NewGroup};
use owums_core::{AttributeKind, Error, ErrorKind, RadiusAttribute};

use super::{group, owner, replies};
use crate::support::{db_test, new_user, subscribers};

fn raw(attribute: &str, op: &str, value: &str) -> RadiusAttribute {
    RadiusAttribute {
        attribute: attribute.into(),
        op: op.into(),
        value: value.into(),
    }
}

fn refused_field(e: &Error) -> &'static str {
    match e {
        Error::Invalid { field, .. } => field,
        other => panic!("not a field error: {other}"),
    }
}

db_test!(refused_edits_name_the_field_and_change_nothing, |db| {
    let admin = RadiusAdmin::new(db.store.clone());
    let s = subscribers(&db);
    let vera = s.create(new_user("vera"), true, &[]).await.unwrap();
    let generation = db.store.radius_generation().await.unwrap();
    let before = replies(&admin, "Users").await;
    let reply_cases = [
        (raw("Session-Timeout", "=", "1h"), "value"),
        (raw("Session-Timeout", "=", "0"), "value"),
        (raw("Idle-Timeout", "=", "99999999999"), "value"),
        (raw("Session-Timeout", "==", "60"), "operator"),
        (raw("Max-Daily-Session", ":=", "3600"), "attribute"),
        (raw("WISPr-Bandwidth-Max-Up", "=", "fast"), "value"),
        (raw("Mikrotik-Rate-Limit", "=", "2M/512k; reboot"), "value"),
        (raw("Framed-IP-Address", "=", "10.0.0.256"), "value"),
        (raw("Reply-Message", "=", "`/bin/sh`"), "value"),
        (raw("Reply-Message", "=", "%{exec:/bin/sh}"), "value"),
        (raw("Reply-Message", "=", "two\nlines"), "value"),
        (raw("Bad Attribute", "=", "1"), "attribute"),
    ];
    for (a, field) in &reply_cases {
        let e = admin
            .add_item(&owner("Users"), AttributeKind::Reply, a.clone())
            .await
            .unwrap_err();
        assert_eq!(refused_field(&e), *field, "{a}: {e}");
        let e = admin
            .set_item(&owner("Users"), AttributeKind::Reply, a.clone())
            .await
            .unwrap_err();
        assert_eq!(refused_field(&e), *field, "{a}: {e}");
    }
    let check_cases = [
        (raw("Simultaneous-Use", ":=", "0"), "value"),
        (raw("Simultaneous-Use", "==", "1"), "operator"),
        (raw("Max-Daily-Session", ":=", "3 hours"), "value"),
        (raw("Max-Monthly-Session-Traffic", ":=", "-5"), "value"),
        (raw("Auth-Type", ":=", "Accept"), "value"),
        (raw("Session-Timeout", ":=", "60"), "attribute"),
        (
            raw("Cleartext-Password", ":=", "Tulip-Harbor-93"),
            "attribute",
        ),
        (raw("Crypt-Password", ":=", "x"), "attribute"),
    ];
    let own = AttributeOwner::User(vera.id);
    for (a, field) in &check_cases {
        for who in [owner("Users"), own.clone()] {
            let e = admin
                .add_item(&who, AttributeKind::Check, a.clone())
                .await
                .unwrap_err();
            assert_eq!(refused_field(&e), *field, "{a}: {e}");
        }
    }
    // an edit of a row by id is checked like an addition
    let first = admin
        .items(&owner("Users"), AttributeKind::Reply)
        .await
        .unwrap()[0]
        .id;
    let e = admin
        .update_item(
            &owner("Users"),
            AttributeKind::Reply,
            first,
            raw("Session-Timeout", "=", "soon"),
        )
        .await
        .unwrap_err();
    assert_eq!(refused_field(&e), "value");
    // a row of another group, a name that is not there, an unknown group or user
    let disabled = admin
        .items(&owner("Disabled"), AttributeKind::Reply)
        .await
        .unwrap()[0]
        .id;
    let e = admin
        .remove_item(&owner("Users"), AttributeKind::Reply, disabled)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = admin
        .remove_items_named(&owner("Users"), AttributeKind::Reply, "Framed-IP-Address")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = admin
        .add_item(
            &owner("Nobody"),
            AttributeKind::Reply,
            raw("Session-Timeout", "=", "60"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);

    // groups: bad priority or notes, a taken name
    let bad_priority = NewGroup {
        name: group("Gold"),
        priority: -1,
        notes: None,
        checks: vec![],
        replies: vec![],
    };
    let e = admin.create_group(bad_priority.clone()).await.unwrap_err();
    assert_eq!(refused_field(&e), "priority");
    let bad_item = NewGroup {
        priority: 1,
        replies: vec![
            raw("Session-Timeout", "=", "60"),
            raw("Idle-Timeout", "=", "x"),
        ],
        ..bad_priority
    };
    let e = admin.create_group(bad_item).await.unwrap_err();
    assert_eq!(refused_field(&e), "value");
    assert_eq!(
        admin.group(&group("Gold")).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let e = admin
        .update_group(
            &group("Users"),
            GroupUpdate {
                priority: Some(10_000),
                ..GroupUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused_field(&e), "priority");
    let e = admin
        .update_group(
            &group("Users"),
            GroupUpdate {
                notes: Some(Some("a\u{1b}[31m".into())),
                ..GroupUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused_field(&e), "notes");
    let e = admin
        .update_group(
            &group("Disabled"),
            GroupUpdate {
                name: Some(group("Users")),
                ..GroupUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");

    // nothing of it was written
    assert_eq!(replies(&admin, "Users").await, before);
    assert!(
        admin
            .items(&owner("Users"), AttributeKind::Check)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        admin
            .items(&own, AttributeKind::Check)
            .await
            .unwrap()
            .is_empty()
    );
    let users = admin.group(&group("Users")).await.unwrap();
    assert_eq!(
        (users.group.priority, users.group.notes.as_deref()),
        (1, Some("Default group of new subscribers"))
    );
    assert!(admin.group(&group("Disabled")).await.is_ok());
    assert_eq!(db.store.radius_generation().await.unwrap(), generation);
});
