//! RADIUS groups and a subscriber's own attributes through the console's pages: create,
//! items added, changed and removed, refused values that change nothing, the confirmation
//! before deleting a group in use, and the audit rows of each change.

use owums_core::operator::{AuditFilter, AuditLog, Operators, Preset};
use owums_core::radius::RadiusAdmin;
use owums_core::storage::AttributeOwner;
use owums_core::subscriber::{UserAdmin, UserEdit};
use owums_core::{AttributeKind, GroupName};
use poem::http::StatusCode;

use super::pages::{PASSWORD, browser, log_in};
use crate::support::{db_test, new_user, subscribers};

fn gold() -> GroupName {
    GroupName::try_new("Gold").unwrap()
}

db_test!(
    groups_and_their_attributes_are_managed_from_the_console,
    |db| {
        let (mut b, _) = browser(&db);
        Operators::new(db.store.clone())
            .create("anna", PASSWORD, Preset::Admin.permissions())
            .await
            .unwrap();
        log_in(&mut b, "anna", PASSWORD).await;
        let list = b.get("/operator/groups").await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let csrf = list.csrf();

        // a name FreeRADIUS could not read: refused, nothing made
        let bad = b
            .post(
                "/operator/groups",
                &[
                    ("csrf_token", &csrf),
                    ("name", "Gold users"),
                    ("priority", "2"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        bad.has(r#"class="alert""#).has(r#"value="Gold users""#);
        let admin = RadiusAdmin::new(db.store.clone());
        assert!(admin.group(&gold()).await.is_err());

        let made = b
            .post(
                "/operator/groups",
                &[
                    ("csrf_token", &csrf),
                    ("name", "Gold"),
                    ("priority", "2"),
                    ("notes", "students"),
                ],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        assert_eq!(made.location.as_deref(), Some("/operator/groups/Gold"));

        // a reply item; then a value Session-Timeout cannot take, refused with the reason
        let add = |attribute: &'static str, op: &'static str, value: &'static str| {
            [
                ("csrf_token", csrf.clone()),
                ("attribute", attribute.to_owned()),
                ("op", op.to_owned()),
                ("value", value.to_owned()),
            ]
        };
        let fields = add("Session-Timeout", "=", "3600");
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let p = b.post("/operator/groups/Gold/items/reply", &refs).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let fields = add("Session-Timeout", "=", "an hour");
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let p = b.post("/operator/groups/Gold/items/reply", &refs).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
        p.has(r#"class="alert""#).has("Session-Timeout");
        // a check-only attribute as a reply: refused
        let fields = add("Simultaneous-Use", ":=", "1");
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let p = b.post("/operator/groups/Gold/items/reply", &refs).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
        let details = admin.group(&gold()).await.unwrap();
        assert_eq!(details.replies.len(), 1);
        assert_eq!(
            details.replies[0].attribute.to_string(),
            "Session-Timeout = 3600"
        );

        // changed in place, then the page shows it
        let id = details.replies[0].id;
        let fields = add("Session-Timeout", ":=", "7200");
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let p = b
            .post(
                &format!("/operator/groups/Gold/items/reply/{id}/change"),
                &refs,
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let page = b.get("/operator/groups/Gold").await;
        page.has(r#"value="7200""#).has("Reply attributes");
        let details = admin.group(&gold()).await.unwrap();
        assert_eq!(
            details.replies[0].attribute.to_string(),
            "Session-Timeout := 7200"
        );
        assert_eq!(details.replies[0].id, id, "kept its place");

        // a subscriber's own item
        let s = subscribers(&db);
        let alice = s.register(new_user("alice")).await.unwrap();
        let path = format!("/operator/users/{}/radius", alice.id);
        let own = b.get(&path).await;
        assert_eq!(own.status, StatusCode::OK, "{}", own.body);
        own.has("alice");
        let fields = add("Simultaneous-Use", ":=", "2");
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let p = b.post(&format!("{path}/check"), &refs).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let checks = admin
            .items(&AttributeOwner::User(alice.id), AttributeKind::Check)
            .await
            .unwrap();
        assert_eq!(checks.len(), 1);
        let p = b
            .post(
                &format!("{path}/check/{}/remove", checks[0].id),
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        assert!(
            admin
                .items(&AttributeOwner::User(alice.id), AttributeKind::Check)
                .await
                .unwrap()
                .is_empty()
        );

        // deleting a group in use: the confirmation says how many, and only `force` deletes
        UserAdmin::new(s.clone(), None)
            .update(
                alice.id,
                UserEdit {
                    groups: Some(vec![gold()]),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let confirm = b.get("/operator/groups/Gold/delete").await;
        assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
        confirm
            .has("One subscriber is in Gold")
            .has(r#"name="force""#);
        let p = b
            .post("/operator/groups/Gold/delete", &[("csrf_token", &csrf)])
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
        assert!(
            admin.group(&gold()).await.is_ok(),
            "not deleted unconfirmed"
        );
        let p = b
            .post(
                "/operator/groups/Gold/delete",
                &[("csrf_token", &csrf), ("force", "1")],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        assert!(admin.group(&gold()).await.is_err());

        let rows = AuditLog::new(db.store.clone())
            .query(&AuditFilter::default(), 1, 50)
            .await
            .unwrap()
            .rows;
        let actions: Vec<&str> = rows.iter().rev().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "group.create",
                "group.reply.add",
                "group.reply.update",
                "user.check.add",
                "user.check.remove",
                "group.delete"
            ]
        );
        let update = &rows[rows.len() - 3];
        let change = update.changes.iter().next().unwrap();
        assert_eq!(change.field, "reply");
        assert_eq!(change.before.as_deref(), Some("Session-Timeout = 3600"));
        assert_eq!(change.after.as_deref(), Some("Session-Timeout := 7200"));
        assert!(
            rows[0].changes.iter().any(|c| c.field == "members"),
            "the deletion records the memberships it ended"
        );
    }
);
