//! Groups and items created, listed, edited and deleted on every backend, with the changes
//! each edit reports for the audit log.

use owums_core::radius::{GroupUpdate, RadiusAdmin};
use owums_core::storage::{AttributeOwner, NewGroup, RadiusView};
use owums_core::{AttributeKind, ErrorKind};

use super::{check, group, lines, owner, replies, reply};
use crate::support::{db_test, new_user, subscribers};

db_test!(
    groups_are_created_listed_edited_and_deleted_with_their_changes,
    |db| {
        let admin = RadiusAdmin::new(db.store.clone());
        let generation = db.store.radius_generation().await.unwrap();
        let (gold, changes) = admin
            .create_group(NewGroup {
                name: group("Gold"),
                priority: 5,
                notes: Some(" students, 2 GB a day ".into()),
                checks: vec![check("Simultaneous-Use:=2")],
                replies: vec![reply("Session-Timeout=7200"), reply("Idle-Timeout=600")],
            })
            .await
            .unwrap();
        assert_eq!(gold.notes.as_deref(), Some("students, 2 GB a day"));
        assert_eq!(
            lines(&changes),
            [
                "name: - -> Gold",
                "priority: - -> 5",
                "notes: - -> students, 2 GB a day",
                "check: - -> Simultaneous-Use := 2",
                "reply: - -> Session-Timeout = 7200",
                "reply: - -> Idle-Timeout = 600",
            ]
        );
        admin
            .create_group(NewGroup {
                name: group("Alpha"),
                priority: 5,
                notes: None,
                checks: vec![],
                replies: vec![],
            })
            .await
            .unwrap();
        let names: Vec<String> = admin
            .list_groups()
            .await
            .unwrap()
            .iter()
            .map(|g| g.name.to_string())
            .collect();
        assert_eq!(
            names,
            ["Disabled", "Users", "Alpha", "Gold"],
            "by priority, then name"
        );

        let s = subscribers(&db);
        let gina = s
            .create(new_user("gina"), true, &[group("Gold")])
            .await
            .unwrap();
        let shown = admin.group(&group("Gold")).await.unwrap();
        assert_eq!(shown.members, 1);
        assert_eq!(shown.checks.len(), 1);
        let timeout = shown.replies[0].id;

        // one row edited in place, one added, one replaced by name, one removed by name
        let changed = admin
            .update_item(
                &owner("Gold"),
                AttributeKind::Reply,
                timeout,
                reply("Session-Timeout:=3600"),
            )
            .await
            .unwrap();
        assert_eq!(
            lines(&changed),
            ["reply: Session-Timeout = 7200 -> Session-Timeout := 3600"]
        );
        let added = admin
            .add_item(
                &owner("Gold"),
                AttributeKind::Reply,
                reply("WISPr-Bandwidth-Max-Down=2000000"),
            )
            .await
            .unwrap();
        assert_eq!(
            lines(&added),
            ["reply: - -> WISPr-Bandwidth-Max-Down = 2000000"]
        );
        admin
            .add_item(
                &owner("Gold"),
                AttributeKind::Reply,
                reply("Idle-Timeout=900"),
            )
            .await
            .unwrap();
        let set = admin
            .set_item(
                &owner("Gold"),
                AttributeKind::Reply,
                reply("idle-timeout=300"),
            )
            .await
            .unwrap();
        assert_eq!(
            lines(&set),
            [
                "reply: Idle-Timeout = 600 -> idle-timeout = 300",
                "reply: Idle-Timeout = 900 -> -"
            ],
            "the first of that name replaced in place, the others removed"
        );
        assert_eq!(
            replies(&admin, "Gold").await,
            [
                "Session-Timeout := 3600",
                "idle-timeout = 300",
                "WISPr-Bandwidth-Max-Down = 2000000"
            ]
        );
        let removed = admin
            .remove_items_named(
                &owner("Gold"),
                AttributeKind::Reply,
                "WISPR-bandwidth-max-down",
            )
            .await
            .unwrap();
        assert_eq!(
            lines(&removed),
            ["reply: WISPr-Bandwidth-Max-Down = 2000000 -> -"]
        );
        let check_id = admin.group(&group("Gold")).await.unwrap().checks[0].id;
        let removed = admin
            .remove_item(&owner("Gold"), AttributeKind::Check, check_id)
            .await
            .unwrap();
        assert_eq!(lines(&removed), ["check: Simultaneous-Use := 2 -> -"]);
        // what FreeRADIUS reads in SQL mode
        let view: Vec<String> = db
            .store
            .radius_view(RadiusView::GroupReply, "Gold")
            .await
            .unwrap()
            .iter()
            .map(|a| format!("{} {} {}", a.attribute, a.op.trim(), a.value))
            .collect();
        assert_eq!(view, ["Session-Timeout := 3600", "idle-timeout = 300"]);
        assert!(
            db.store
                .radius_view(RadiusView::GroupCheck, "Gold")
                .await
                .unwrap()
                .is_empty()
        );

        // priority and notes; a rename takes memberships and items along
        let update = GroupUpdate {
            priority: Some(7),
            notes: Some(None),
            name: None,
        };
        let changes = admin.update_group(&group("Gold"), update).await.unwrap();
        assert_eq!(
            lines(&changes),
            ["priority: 5 -> 7", "notes: students, 2 GB a day -> -"]
        );
        let rename = GroupUpdate {
            name: Some(group("Platinum")),
            ..GroupUpdate::default()
        };
        let changes = admin.update_group(&group("Gold"), rename).await.unwrap();
        assert_eq!(lines(&changes), ["name: Gold -> Platinum"]);
        assert_eq!(
            db.store.user_groups(gina.id).await.unwrap(),
            [(group("Platinum"), 5)]
        );
        assert_eq!(
            db.store.radius_user_groups("gina").await.unwrap(),
            ["Platinum"]
        );
        assert_eq!(
            replies(&admin, "Platinum").await,
            ["Session-Timeout := 3600", "idle-timeout = 300"]
        );
        let gone = admin.group(&group("Gold")).await.unwrap_err();
        assert_eq!(gone.kind(), ErrorKind::NotFound);

        // in use: refused without force, nothing deleted; with it, memberships go too
        let refused = admin
            .delete_group(&group("Platinum"), false)
            .await
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Invalid);
        assert!(refused.to_string().contains("1 member"), "{refused}");
        assert_eq!(admin.group(&group("Platinum")).await.unwrap().members, 1);
        let deleted = admin.delete_group(&group("Platinum"), true).await.unwrap();
        assert_eq!(
            lines(&deleted),
            [
                "name: Platinum -> -",
                "priority: 7 -> -",
                "reply: Session-Timeout := 3600 -> -",
                "reply: idle-timeout = 300 -> -",
                "members: 1 -> -",
            ]
        );
        assert!(db.store.user_groups(gina.id).await.unwrap().is_empty());
        assert!(
            db.store
                .radius_view(RadiusView::GroupReply, "Platinum")
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            admin.group(&group("Platinum")).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        // a group without members needs no confirmation
        admin.delete_group(&group("Alpha"), false).await.unwrap();

        // the group new subscribers join is neither renamed nor deleted
        let users = group("Users");
        let rename = GroupUpdate {
            name: Some(group("Members")),
            ..GroupUpdate::default()
        };
        let e = admin.update_group(&users, rename).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid, "{e}");
        assert_eq!(
            admin.delete_group(&users, true).await.unwrap_err().kind(),
            ErrorKind::Invalid
        );
        assert!(admin.group(&users).await.is_ok());
        assert!(
            db.store.radius_generation().await.unwrap() > generation,
            "edits bump the generation"
        );
    }
);

db_test!(
    a_subscribers_own_items_are_edited_without_their_password,
    |db| {
        let admin = RadiusAdmin::new(db.store.clone());
        let s = subscribers(&db);
        let vera = s.create(new_user("vera"), true, &[]).await.unwrap();
        let own = AttributeOwner::User(vera.id);
        assert!(
            admin
                .items(&own, AttributeKind::Check)
                .await
                .unwrap()
                .is_empty(),
            "the password row is not an item"
        );
        let changes = admin
            .add_item(&own, AttributeKind::Check, check("Simultaneous-Use:=1"))
            .await
            .unwrap();
        assert_eq!(lines(&changes), ["check: - -> Simultaneous-Use := 1"]);
        // the password row was written just before, at creation
        let password_id = admin.items(&own, AttributeKind::Check).await.unwrap()[0].id - 1;
        let changes = admin
            .set_item(
                &own,
                AttributeKind::Reply,
                reply("Reply-Message=Welcome back"),
            )
            .await
            .unwrap();
        assert_eq!(
            lines(&changes),
            ["reply: - -> Reply-Message = Welcome back"]
        );
        let changes = admin
            .set_item(&own, AttributeKind::Reply, reply("Reply-Message=Hello"))
            .await
            .unwrap();
        assert_eq!(
            lines(&changes),
            ["reply: Reply-Message = Welcome back -> Reply-Message = Hello"]
        );
        let view: Vec<String> = db
            .store
            .radius_view(RadiusView::Reply, "vera")
            .await
            .unwrap()
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(view, ["Reply-Message = Hello"]);
        let checks = db
            .store
            .radius_view(RadiusView::Check, "vera")
            .await
            .unwrap();
        assert!(
            checks.iter().any(|a| a.attribute == "Simultaneous-Use"),
            "{checks:?}"
        );
        assert!(
            checks.iter().any(|a| a.attribute.ends_with("-Password")),
            "the password stays"
        );
        let changes = admin
            .remove_items_named(&own, AttributeKind::Check, "simultaneous-use")
            .await
            .unwrap();
        assert_eq!(lines(&changes), ["check: Simultaneous-Use := 1 -> -"]);
        // the password row cannot be reached by id either
        let e = admin
            .remove_item(&own, AttributeKind::Check, password_id)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(
            db.store
                .radius_view(RadiusView::Check, "vera")
                .await
                .unwrap()
                .len(),
            1
        );
    }
);
