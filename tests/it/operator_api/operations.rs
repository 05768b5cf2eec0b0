//! What the operator API's operations do: subscribers made, found, changed and switched off
//! as FreeRADIUS then sees them; groups and items; operators; bad input refused with a 4xx
//! in the caller's language that changes nothing; the audit log.

use owums_core::operator::{AuditFilter, AuditLog, Operators, Permissions, Preset};
use owums_core::radius::RadiusAdmin;
use poem::http::{Method, StatusCode};
use serde_json::json;

use super::{OpApi, token_of};
use crate::console::matrix::snapshot;
use crate::console::pages::PASSWORD;
use crate::radius_admin::group;
use crate::support::{db_test, subscribers};

db_test!(subscribers_are_made_found_changed_and_switched_off, |db| {
    let api = OpApi::new(&db);
    let (anna, _) = Operators::new(db.store.clone())
        .create("anna", PASSWORD, Permissions::all())
        .await
        .unwrap();
    let t = token_of(&db, &anna, Permissions::all(), api.now()).await;

    let made = api
        .call(
            Method::POST,
            "/operator/users",
            &t,
            Some(
                json!({"username": "Giulia.B", "given_name": "Giulia", "surname": "Bianchi",
                        "email": "giulia@example.org", "mobile": "+39 334 765 4321", "locale": "it",
                        "birth_date": "1990-04-01", "notes": "came by the desk"}),
            ),
        )
        .await;
    let body = made.ok(StatusCode::CREATED).clone();
    let password = body["password"].as_str().unwrap().to_owned();
    assert_eq!(body["user"]["username"], "giulia.b");
    assert_eq!(body["user"]["status"], "verified");
    assert_eq!(body["user"]["mobile"], "+393347654321");
    let id = body["user"]["id"].as_str().unwrap().to_owned();
    let user = subscribers(&db)
        .authenticate("giulia.b", &password)
        .await
        .unwrap();
    assert!(
        user.is_radius_valid(),
        "FreeRADIUS accepts the new subscriber"
    );

    // found in any written form of the mobile; shown with groups
    let found = api
        .call(
            Method::GET,
            "/operator/users/find?q=0039%20334%207654321",
            &t,
            None,
        )
        .await;
    assert_eq!(found.ok(StatusCode::OK)["id"], id.as_str());
    api.call(Method::GET, "/operator/users/find?q=nobody-here", &t, None)
        .await
        .expect(StatusCode::NOT_FOUND, "not_found");
    let shown = api
        .call(Method::GET, &format!("/operator/users/{id}"), &t, None)
        .await;
    let shown = shown.ok(StatusCode::OK);
    assert_eq!(shown["groups"][0]["group"], "Users");
    assert_eq!(shown["online"], false);
    let listed = api
        .call(
            Method::GET,
            "/operator/users?text=bianchi&sort=surname&order=asc",
            &t,
            None,
        )
        .await;
    assert_eq!(listed.ok(StatusCode::OK)["total"], 1);

    // disabled: FreeRADIUS rejects them; enabled: accepted again
    let off = api
        .call(
            Method::POST,
            &format!("/operator/users/{id}/disable"),
            &t,
            None,
        )
        .await;
    assert_eq!(off.ok(StatusCode::OK)["status"], "inactive");
    let user = db.store.find_user(user.id).await.unwrap().unwrap();
    assert!(!user.is_radius_valid());
    api.call(
        Method::POST,
        &format!("/operator/users/{id}/enable"),
        &t,
        None,
    )
    .await
    .ok(StatusCode::OK);
    let user = db.store.find_user(user.id).await.unwrap().unwrap();
    assert!(user.is_radius_valid());

    // changed: groups, city; the password works
    RadiusAdmin::new(db.store.clone())
        .create_group(owums_core::storage::NewGroup {
            name: group("Night"),
            priority: 2,
            notes: None,
            checks: vec![],
            replies: vec![],
        })
        .await
        .unwrap();
    let changed = api
        .call(
            Method::PATCH,
            &format!("/operator/users/{id}"),
            &t,
            Some(json!({"city": "Torino", "groups": ["Night"], "password": "Orchid-Canyon-58"})),
        )
        .await;
    assert_eq!(changed.ok(StatusCode::OK)["city"], "Torino");
    subscribers(&db)
        .authenticate("giulia.b", "Orchid-Canyon-58")
        .await
        .unwrap();
    let shown = api
        .call(Method::GET, &format!("/operator/users/{id}"), &t, None)
        .await;
    assert_eq!(
        shown.body["groups"],
        json!([{"group": "Night", "priority": 2}])
    );

    // the audit log: who, what, through which token; never a password
    let log = AuditLog::new(db.store.clone())
        .query(&AuditFilter::default(), 1, 50)
        .await
        .unwrap();
    let actions: Vec<&str> = log.rows.iter().rev().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["user.create", "user.disable", "user.enable", "user.update"]
    );
    for r in &log.rows {
        assert_eq!(r.operator_username, "anna");
        assert_eq!(r.client_ip.as_deref(), Some("198.51.100.20"));
        assert!(
            r.changes
                .iter()
                .any(|c| c.field == "api_token" && c.after.as_deref() == Some("test token"))
        );
    }
    let update = &log.rows[0];
    let city = update.changes.iter().find(|c| c.field == "city").unwrap();
    assert_eq!(
        (city.before.as_deref(), city.after.as_deref()),
        (Some(""), Some("Torino"))
    );
    let text = format!("{:?}", log.rows);
    assert!(
        !text.contains(&password) && !text.contains("Orchid-Canyon-58"),
        "{text}"
    );

    // deleted
    api.call(Method::DELETE, &format!("/operator/users/{id}"), &t, None)
        .await
        .ok(StatusCode::NO_CONTENT);
    api.call(Method::GET, &format!("/operator/users/{id}"), &t, None)
        .await
        .expect(StatusCode::NOT_FOUND, "not_found");
});

db_test!(
    bad_input_is_a_4xx_in_the_callers_language_and_changes_nothing,
    |db| {
        let api = OpApi::new(&db);
        let (anna, _) = Operators::new(db.store.clone())
            .create("anna", PASSWORD, Permissions::all())
            .await
            .unwrap();
        let t = token_of(&db, &anna, Permissions::all(), api.now()).await;
        api.call(
            Method::POST,
            "/operator/users",
            &t,
            Some(json!({"username": "taken.one"})),
        )
        .await
        .ok(StatusCode::CREATED);
        let taken = api
            .call(Method::GET, "/operator/users/find?q=taken.one", &t, None)
            .await;
        let taken_id = taken.body["id"].as_str().unwrap().to_owned();
        let before = snapshot(&db).await;
        let it = [("Accept-Language", "it")];
        let cases: Vec<(Method, String, serde_json::Value, StatusCode, &str)> = vec![
            (
                Method::POST,
                "/operator/users".into(),
                json!({"username": "bad.mail", "email": "not-an-e-mail"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "email",
            ),
            (
                Method::POST,
                "/operator/users".into(),
                json!({"username": "bad.phone", "mobile": "12"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "mobile",
            ),
            (
                Method::POST,
                "/operator/users".into(),
                json!({"username": "x'; DROP TABLE radcheck;--"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "username",
            ),
            (
                Method::POST,
                "/operator/users".into(),
                json!({"username": 12345}),
                StatusCode::BAD_REQUEST,
                "username",
            ),
            (
                Method::POST,
                "/operator/users".into(),
                json!({"username": "new.one", "is_admin": true}),
                StatusCode::BAD_REQUEST,
                "",
            ),
            (
                Method::POST,
                "/operator/users".into(),
                json!({"username": "TAKEN.ONE"}),
                StatusCode::CONFLICT,
                "username",
            ),
            (
                Method::POST,
                "/operator/users".into(),
                json!({"username": "new.one", "groups": ["Nowhere"]}),
                StatusCode::NOT_FOUND,
                "",
            ),
            (
                Method::POST,
                "/operator/users".into(),
                json!({"username": "new.one", "birth_date": "1990-02-30"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "birth_date",
            ),
            (
                Method::POST,
                "/operator/users".into(),
                json!({"username": "new.one", "password": "password"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "password",
            ),
            (
                Method::PATCH,
                format!("/operator/users/{taken_id}"),
                json!({"locale": "fr"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "locale",
            ),
            (
                Method::PATCH,
                format!("/operator/users/{taken_id}"),
                json!({"verified": "yes"}),
                StatusCode::BAD_REQUEST,
                "verified",
            ),
            (
                Method::PATCH,
                "/operator/users/not-a-uuid".into(),
                json!({"city": "Roma"}),
                StatusCode::NOT_FOUND,
                "",
            ),
            (
                Method::POST,
                "/operator/groups".into(),
                json!({"name": "Users"}),
                StatusCode::CONFLICT,
                "",
            ),
            (
                Method::POST,
                "/operator/groups".into(),
                json!({"name": "bad name!"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "name",
            ),
            (
                Method::POST,
                "/operator/groups".into(),
                json!({"name": "ok-name", "priority": 100000}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "priority",
            ),
            (
                Method::POST,
                "/operator/groups/Users/replies".into(),
                json!({"attribute": "Session-Timeout", "op": ":=", "value": "soon"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "value",
            ),
            (
                Method::POST,
                "/operator/groups/Users/checks".into(),
                json!({"attribute": "Simultaneous-Use", "op": "=", "value": "1"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "op",
            ),
            (
                Method::PUT,
                "/operator/groups/Users/replies/999999".into(),
                json!({"attribute": "Idle-Timeout", "op": "=", "value": "60"}),
                StatusCode::NOT_FOUND,
                "",
            ),
            (
                Method::DELETE,
                "/operator/groups/Users".into(),
                json!(null),
                StatusCode::UNPROCESSABLE_ENTITY,
                "group",
            ),
            (
                Method::POST,
                "/operator/operators".into(),
                json!({"username": "newop", "permissions": ["users_everything"]}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "permission",
            ),
            (
                Method::POST,
                "/operator/operators".into(),
                json!({"username": "newop", "preset": "god"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
            ),
            (
                Method::PATCH,
                format!("/operator/operators/{}", anna.id),
                json!({"active": false}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
            ),
            (
                Method::PATCH,
                format!("/operator/operators/{}", anna.id),
                json!({"permissions": ["users_browser"]}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
            ),
        ];
        for (method, path, body, status, field) in cases {
            let body = (!body.is_null()).then_some(body);
            let a = api
                .send(method.clone(), &path, Some(&t), body.as_ref(), &it)
                .await;
            assert_eq!(a.status, status, "{method} {path} {body:?}: {}", a.body);
            let message = a.body["error"]["message"].as_str().unwrap_or_default();
            assert!(!message.is_empty(), "{method} {path}: a message");
            if !field.is_empty() {
                assert_eq!(
                    a.body["error"]["field"], field,
                    "{method} {path}: {}",
                    a.body
                );
            }
            assert_eq!(
                snapshot(&db).await,
                before,
                "{method} {path} changed something"
            );
        }
        // the messages are in the caller's language
        let bad = json!({"username": "bad.mail", "email": "not-an-e-mail"});
        let en = api
            .send(Method::POST, "/operator/users", Some(&t), Some(&bad), &[])
            .await;
        let it = api
            .send(Method::POST, "/operator/users", Some(&t), Some(&bad), &it)
            .await;
        assert_ne!(
            en.body["error"]["message"], it.body["error"]["message"],
            "{} / {}",
            en.body, it.body
        );
        // a group with members is deleted only when asked to force it
        let g = api
            .call(
                Method::POST,
                "/operator/groups",
                &t,
                Some(json!({"name": "Night"})),
            )
            .await;
        g.ok(StatusCode::CREATED);
        api.call(
            Method::PATCH,
            &format!("/operator/users/{taken_id}"),
            &t,
            Some(json!({"groups": ["Night"]})),
        )
        .await
        .ok(StatusCode::OK);
        api.call(Method::DELETE, "/operator/groups/Night", &t, None)
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        api.call(
            Method::DELETE,
            "/operator/groups/Night?force=true",
            &t,
            None,
        )
        .await
        .ok(StatusCode::NO_CONTENT);
        // pages out of range are 400 naming the parameter; a short search is 422
        api.call(Method::GET, "/operator/users?per_page=101", &t, None)
            .await
            .expect(StatusCode::BAD_REQUEST, "bad_request");
        let short = api
            .call(Method::GET, "/operator/users?text=ab", &t, None)
            .await;
        assert_eq!(
            short.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            short.body
        );
    }
);

db_test!(
    operators_are_managed_and_a_disabled_one_loses_their_tokens,
    |db| {
        let api = OpApi::new(&db);
        let ops = Operators::new(db.store.clone());
        let (boss, _) = ops
            .create("boss", PASSWORD, Preset::Superadmin.permissions())
            .await
            .unwrap();
        let t = token_of(&db, &boss, Permissions::all(), api.now()).await;
        let made = api
        .call(Method::POST, "/operator/operators", &t, Some(json!({"username": "Desk2", "preset": "operator", "permissions": ["users_destroyer"]})))
        .await;
        let body = made.ok(StatusCode::CREATED).clone();
        assert_eq!(body["operator"]["username"], "desk2");
        let perms = body["operator"]["permissions"].as_array().unwrap();
        assert!(
            perms.contains(&json!("users_destroyer")) && perms.contains(&json!("users_browser"))
        );
        let password = body["password"].as_str().unwrap();
        let desk2 = ops.authenticate("desk2", password).await.unwrap();
        let desks = token_of(&db, &desk2, desk2.permissions.clone(), api.now()).await;
        api.call(Method::GET, "/operator/users", &desks, None)
            .await
            .ok(StatusCode::OK);

        let listed = api.call(Method::GET, "/operator/operators", &t, None).await;
        assert_eq!(listed.ok(StatusCode::OK).as_array().unwrap().len(), 2);
        let off = api
            .call(
                Method::PATCH,
                &format!("/operator/operators/{}", desk2.id),
                &t,
                Some(json!({"active": false, "notes": "left"})),
            )
            .await;
        assert_eq!(off.ok(StatusCode::OK)["active"], false);
        api.call(Method::GET, "/operator/users", &desks, None)
            .await
            .expect(StatusCode::UNAUTHORIZED, "unauthorized");
        let reset = api
            .call(
                Method::POST,
                &format!("/operator/operators/{}/password", desk2.id),
                &t,
                None,
            )
            .await;
        let new_password = reset.ok(StatusCode::OK)["password"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(ops.check_password(desk2.id, &new_password).await.unwrap());
        let log = AuditLog::new(db.store.clone())
            .query(&AuditFilter::default(), 1, 50)
            .await
            .unwrap();
        let actions: Vec<&str> = log.rows.iter().rev().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "operator.create",
                "operator.update",
                "operator.password_reset"
            ]
        );
        assert!(!format!("{:?}", log.rows).contains(&new_password));
    }
);
