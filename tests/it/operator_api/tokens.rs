//! What an operator API token is worth, and the console's token page.

use chrono::Duration;
use owums_core::operator::{
    AuditFilter, AuditLog, OperatorRecord, OperatorTokens, Operators, Permission, Permissions,
    Preset, TokenState,
};
use owums_core::subscriber::WebSessions;
use poem::http::{Method, StatusCode};

use super::{OpApi, token_of};
use crate::console::pages::{PASSWORD, browser};
use crate::pages::Browser;
use crate::support::{TestDb, db_test};

/// `b` logged in as operator `id` (a session at the ready stage); the session's CSRF token.
async fn console_as(db: &TestDb, b: &mut Browser, op: &OperatorRecord) -> String {
    let (token, session) = WebSessions::new(db.store.clone())
        .log_in_operator(
            op.id,
            &serde_json::json!({"ip": "198.51.100.10", "stage": "ready"}),
        )
        .await
        .unwrap();
    b.jar
        .insert("owums_operator".to_owned(), token.as_str().to_owned());
    session.csrf_token
}

db_test!(
    a_token_counts_only_while_live_and_only_with_what_its_operator_holds,
    |db| {
        let api = OpApi::new(&db);
        let ops = Operators::new(db.store.clone());
        let (anna, _) = ops
            .create("anna", PASSWORD, Preset::Admin.permissions())
            .await
            .unwrap();
        let tokens = OperatorTokens::new(db.store.clone());

        // no token, a malformed one, one of the right shape nobody made, a subscriber's
        for bad in [
            None,
            Some("garbage"),
            Some(&*format!("owums_op_{}", "0".repeat(64))),
        ] {
            let a = api.send(Method::GET, "/operator/me", bad, None, &[]).await;
            a.expect(StatusCode::UNAUTHORIZED, "unauthorized");
            assert_eq!(a.headers["www-authenticate"], "Bearer realm=\"owums\"");
        }
        let it = api
            .send(
                Method::GET,
                "/operator/me",
                Some("garbage"),
                None,
                &[("Accept-Language", "it")],
            )
            .await
            .expect(StatusCode::UNAUTHORIZED, "unauthorized");
        assert!(it.contains("non è valido"), "{it}");

        // a token that expires tomorrow, with two of the operator's permissions
        let two: Permissions = [Permission::UsersBrowser, Permission::UsersManager]
            .into_iter()
            .collect();
        let (secret, made, _) = tokens
            .create(
                &anna,
                owums_core::operator::NewToken {
                    name: "billing sync".into(),
                    permissions: two.clone(),
                    expires_at: Some(api.now() + Duration::days(1)),
                },
                api.now(),
            )
            .await
            .unwrap();
        assert!(
            secret.starts_with("owums_op_") && secret.len() == 73,
            "{secret}"
        );
        let me = api.call(Method::GET, "/operator/me", &secret, None).await;
        let me = me.ok(StatusCode::OK);
        assert_eq!(me["operator"]["username"], "anna");
        assert_eq!(me["token"], "billing sync");
        assert_eq!(
            me["permissions"],
            serde_json::json!(["users_browser", "users_manager"])
        );
        let listed = tokens.list(Some(anna.id)).await.unwrap();
        let (first, ip) = listed[0].last_used.clone().expect("use is recorded");
        assert_eq!(ip, "198.51.100.20");
        // "last used" is written at most once a minute
        let used = async || {
            tokens.list(Some(anna.id)).await.unwrap()[0]
                .last_used
                .clone()
                .unwrap()
                .0
        };
        api.clock.advance(Duration::seconds(30));
        api.call(Method::GET, "/operator/me", &secret, None)
            .await
            .ok(StatusCode::OK);
        assert_eq!(used().await, first, "not again within the minute");
        api.clock.advance(Duration::seconds(31));
        api.call(Method::GET, "/operator/me", &secret, None)
            .await
            .ok(StatusCode::OK);
        assert!(used().await > first, "again after it");

        // what the operator loses, the token loses
        let mut fewer = anna.permissions.clone();
        fewer.remove(Permission::UsersManager);
        ops.set_permissions(anna.id, fewer).await.unwrap();
        let me = api.call(Method::GET, "/operator/me", &secret, None).await;
        assert_eq!(me.body["permissions"], serde_json::json!(["users_browser"]));
        api.call(
            Method::POST,
            "/operator/users/00000000-0000-4000-8000-000000000000/disable",
            &secret,
            None,
        )
        .await
        .expect(StatusCode::FORBIDDEN, "forbidden");
        // and a permission given to the operator later does not reach the token
        ops.set_permissions(anna.id, Permissions::all())
            .await
            .unwrap();
        api.call(Method::GET, "/operator/groups", &secret, None)
            .await
            .expect(StatusCode::FORBIDDEN, "forbidden");

        // a disabled operator's tokens stop, and work again when enabled
        ops.set_active(anna.id, false).await.unwrap();
        api.call(Method::GET, "/operator/me", &secret, None)
            .await
            .expect(StatusCode::UNAUTHORIZED, "unauthorized");
        ops.set_active(anna.id, true).await.unwrap();
        api.call(Method::GET, "/operator/me", &secret, None)
            .await
            .ok(StatusCode::OK);

        // expiry, by the server's clock
        api.clock.advance(Duration::days(1));
        api.call(Method::GET, "/operator/me", &secret, None)
            .await
            .expect(StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(
            tokens.list(Some(anna.id)).await.unwrap()[0].state(api.now()),
            TokenState::Expired
        );

        // revocation
        let other = token_of(&db, &anna, two, api.now()).await;
        api.call(Method::GET, "/operator/me", &other, None)
            .await
            .ok(StatusCode::OK);
        let id = tokens.list(Some(anna.id)).await.unwrap()[0].id;
        assert_ne!(id, made.id, "newest first");
        tokens.revoke(id, Some(anna.id), api.now()).await.unwrap();
        api.call(Method::GET, "/operator/me", &other, None)
            .await
            .expect(StatusCode::UNAUTHORIZED, "unauthorized");
        assert!(
            tokens.revoke(id, Some(anna.id), api.now()).await.is_err(),
            "once"
        );
    }
);

db_test!(tokens_carry_only_permissions_their_operator_holds, |db| {
    let ops = Operators::new(db.store.clone());
    let (helpdesk, _) = ops
        .create("helpdesk", PASSWORD, Preset::Operator.permissions())
        .await
        .unwrap();
    let tokens = OperatorTokens::new(db.store.clone());
    let now = chrono::Utc::now();
    let new = |p: &[Permission], name: &str, expires| owums_core::operator::NewToken {
        name: name.into(),
        permissions: p.iter().copied().collect(),
        expires_at: expires,
    };
    for (bad, field) in [
        (
            new(&[Permission::OperatorsManager], "x", None),
            "permissions",
        ),
        (new(&[], "x", None), "permissions"),
        (new(&[Permission::UsersBrowser], "  ", None), "name"),
        (
            new(&[Permission::UsersBrowser], &"n".repeat(65), None),
            "name",
        ),
        (
            new(&[Permission::UsersBrowser], "x", Some(now)),
            "expires_at",
        ),
    ] {
        match tokens.create(&helpdesk, bad, now).await {
            Err(owums_core::Error::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(
        tokens.list(None).await.unwrap().is_empty(),
        "nothing stored"
    );
});

db_test!(the_console_makes_shows_once_and_revokes_tokens, |db| {
    let (mut b, _clock) = browser(&db);
    let api = OpApi::new(&db);
    let ops = Operators::new(db.store.clone());
    let (boss, _) = ops
        .create("boss", PASSWORD, Preset::Superadmin.permissions())
        .await
        .unwrap();
    let (helpdesk, _) = ops
        .create("helpdesk", PASSWORD, Preset::Operator.permissions())
        .await
        .unwrap();
    let csrf = console_as(&db, &mut b, &helpdesk).await;
    let page = b.get("/operator/tokens").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.has("You have no tokens.");
    assert!(
        !page.body.contains("perm_operators_manager"),
        "only what the operator holds"
    );

    // a permission the operator does not hold, forged into the form: refused, nothing made
    let forged = b
        .post(
            "/operator/tokens",
            &[
                ("csrf_token", &csrf),
                ("name", "sync"),
                ("expires_days", "30"),
                ("perm_operators_manager", "1"),
            ],
        )
        .await;
    assert_eq!(
        forged.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        forged.body
    );
    let odd = b
        .post(
            "/operator/tokens",
            &[
                ("csrf_token", &csrf),
                ("name", "sync"),
                ("expires_days", "11"),
                ("perm_users_browser", "1"),
            ],
        )
        .await;
    assert_eq!(odd.status, StatusCode::UNPROCESSABLE_ENTITY);
    let no_csrf = b
        .post(
            "/operator/tokens",
            &[
                ("csrf_token", "nope"),
                ("name", "sync"),
                ("expires_days", "30"),
                ("perm_users_browser", "1"),
            ],
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let tokens = OperatorTokens::new(db.store.clone());
    assert!(tokens.list(None).await.unwrap().is_empty());

    let made = b
        .post(
            "/operator/tokens",
            &[
                ("csrf_token", &csrf),
                ("name", "front desk kiosk"),
                ("expires_days", "30"),
                ("perm_users_browser", "1"),
                ("perm_users_finder", "1"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert_eq!(
        made.headers
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    let at = made.body.find("owums_op_").expect("the secret is shown");
    let secret = made.body[at..at + 73].to_owned();
    let me = api.call(Method::GET, "/operator/me", &secret, None).await;
    assert_eq!(
        me.ok(StatusCode::OK)["permissions"],
        serde_json::json!(["users_browser", "users_finder"])
    );
    let list = b.get("/operator/tokens").await;
    list.has("front desk kiosk");
    assert!(!list.body.contains(&secret), "shown once");

    // someone else's token: only an operators_manager may revoke it
    let bosses = token_of(&db, &boss, Permissions::all(), api.now()).await;
    let boss_token = tokens.list(Some(boss.id)).await.unwrap()[0].id;
    let refused = b
        .post(
            &format!("/operator/tokens/{boss_token}/revoke"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    api.call(Method::GET, "/operator/me", &bosses, None)
        .await
        .ok(StatusCode::OK);

    let mine = tokens.list(Some(helpdesk.id)).await.unwrap()[0].id;
    let gone = b
        .post(
            &format!("/operator/tokens/{mine}/revoke"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER, "{}", gone.body);
    api.call(Method::GET, "/operator/me", &secret, None)
        .await
        .expect(StatusCode::UNAUTHORIZED, "unauthorized");

    let (mut admin, _) = browser(&db);
    let csrf = console_as(&db, &mut admin, &boss).await;
    let all = admin.get("/operator/tokens").await;
    all.has("Other operators");
    all.has("front desk kiosk");
    // the boss's own token is theirs; revoke it from their list
    let gone = admin
        .post(
            &format!("/operator/tokens/{boss_token}/revoke"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    api.call(Method::GET, "/operator/me", &bosses, None)
        .await
        .expect(StatusCode::UNAUTHORIZED, "unauthorized");

    let log = AuditLog::new(db.store.clone())
        .query(&AuditFilter::default(), 1, 50)
        .await
        .unwrap();
    let actions: Vec<&str> = log.rows.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "operator.token_create")
            .count(),
        1,
        "{actions:?}"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "operator.token_revoke")
            .count(),
        2,
        "{actions:?}"
    );
    let text = format!("{:?}", log.rows);
    assert!(
        !text.contains(&secret) && !text.contains(&bosses),
        "no secret in the audit log"
    );
});
