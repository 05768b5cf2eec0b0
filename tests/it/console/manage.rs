//! Operators managed from the console: the permission guard (403, nothing changed), CSRF on
//! every form, and the audit rows with their before and after.

use owums_core::operator::{AuditFilter, AuditLog, Operators, Permission, Permissions, Preset};
use poem::http::StatusCode;

use super::pages::{PASSWORD, browser, log_in};
use crate::support::db_test;

db_test!(
    operators_manager_is_needed_and_nothing_changes_without_it,
    |db| {
        let (mut b, _) = browser(&db);
        let ops = Operators::new(db.store.clone());
        let mut all_but = Permissions::all();
        all_but.remove(Permission::OperatorsManager);
        ops.create("bruno", PASSWORD, all_but).await.unwrap();
        let (carla, _) = ops
            .create("carla", PASSWORD, Preset::Operator.permissions())
            .await
            .unwrap();
        log_in(&mut b, "bruno", PASSWORD).await;
        let home = b.get("/operator").await;
        let csrf = home.csrf();
        for path in [
            "/operator/operators",
            &format!("/operator/operators/{}", carla.id),
            "/operator/audit",
            "/operator/audit.csv",
        ] {
            let p = b.get(path).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}");
            p.has("Not allowed").has(r#"class="console""#);
        }
        b.accept_language = "it".into();
        b.get("/operator/operators").await.has("Non consentito");
        b.accept_language = "en".into();
        let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
            (
                "/operator/operators".into(),
                vec![("username", "dario1"), ("preset", "superadmin")],
            ),
            (
                format!("/operator/operators/{}/permissions", carla.id),
                vec![("perm_operators_manager", "1")],
            ),
            (format!("/operator/operators/{}/password", carla.id), vec![]),
            (format!("/operator/operators/{}/active", carla.id), vec![]),
            (
                format!("/operator/operators/{}/notes", carla.id),
                vec![("notes", "x")],
            ),
        ];
        for (path, fields) in &posts {
            let mut f = vec![("csrf_token", csrf.as_str())];
            f.extend(fields.iter().copied());
            assert_eq!(
                b.post(path, &f).await.status,
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
        let after = ops.find(carla.id).await.unwrap().unwrap();
        assert_eq!(after.permissions, Preset::Operator.permissions());
        assert!(after.active && after.notes.is_none());
        ops.authenticate("carla", PASSWORD).await.unwrap();
        assert!(ops.find_by_username("dario1").await.unwrap().is_none());
        assert_eq!(
            AuditLog::new(db.store.clone())
                .query(&AuditFilter::default(), 1, 10)
                .await
                .unwrap()
                .total,
            0
        );
        // with the permission (and only it), the same pages open
        ops.set_permissions(
            ops.find_by_username("bruno").await.unwrap().unwrap().id,
            [Permission::OperatorsManager].into_iter().collect(),
        )
        .await
        .unwrap();
        assert_eq!(b.get("/operator/operators").await.status, StatusCode::OK);
        assert_eq!(b.get("/operator/audit").await.status, StatusCode::OK);
    }
);

db_test!(
    operators_are_managed_from_the_console_with_audit_rows,
    |db| {
        let (mut b, _) = browser(&db);
        let ops = Operators::new(db.store.clone());
        let (boss, _) = ops
            .create("boss1", PASSWORD, Preset::Superadmin.permissions())
            .await
            .unwrap();
        log_in(&mut b, "boss1", PASSWORD).await;
        let page = b.get("/operator/operators").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let csrf = page.csrf();
        // every form refuses a wrong token, and changes nothing
        let p = b
            .post(
                "/operator/operators",
                &[
                    ("csrf_token", "nope"),
                    ("username", "dario1"),
                    ("preset", "operator"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        assert!(ops.find_by_username("dario1").await.unwrap().is_none());
        // create with the operator preset plus one permission: the password is shown once
        let p = b
            .post(
                "/operator/operators",
                &[
                    ("csrf_token", &csrf),
                    ("username", "Dario1"),
                    ("preset", "operator"),
                    ("perm_users_destroyer", "1"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        let start = p.body.find(r#"<code class="secret">"#).unwrap() + 21;
        let password = p.body[start..start + 23].to_owned();
        let dario = ops.authenticate("dario1", &password).await.unwrap();
        assert!(dario.permissions.allows(Permission::UsersDestroyer));
        assert!(!dario.permissions.allows(Permission::OperatorsManager));
        let base = format!("/operator/operators/{}", dario.id);
        assert_eq!(b.get(&base).await.status, StatusCode::OK);
        for action in ["permissions", "password", "totp", "active", "notes"] {
            let p = b
                .post(&format!("{base}/{action}"), &[("csrf_token", "nope")])
                .await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{action}");
        }
        assert!(ops.find(dario.id).await.unwrap().unwrap().active);
        // permissions: only what is ticked
        let p = b
            .post(
                &format!("{base}/permissions"),
                &[
                    ("csrf_token", &csrf),
                    ("perm_users_browser", "1"),
                    ("perm_stats_viewer", "1"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let after: Permissions = "users_browser stats_viewer".parse().unwrap();
        assert_eq!(
            ops.find(dario.id).await.unwrap().unwrap().permissions,
            after
        );
        // notes, disable, reset password
        b.post(
            &format!("{base}/notes"),
            &[("csrf_token", &csrf), ("notes", "front desk")],
        )
        .await;
        b.post(&format!("{base}/active"), &[("csrf_token", &csrf)])
            .await;
        assert!(
            ops.authenticate("dario1", &password).await.is_err(),
            "disabled"
        );
        let p = b
            .post(&format!("{base}/password"), &[("csrf_token", &csrf)])
            .await;
        assert_eq!(p.status, StatusCode::OK);
        p.has(r#"<code class="secret">"#);
        // an operator manager cannot lock themselves out
        let me = format!("/operator/operators/{}", boss.id);
        assert_eq!(
            b.post(&format!("{me}/active"), &[("csrf_token", &csrf)])
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert!(ops.find(boss.id).await.unwrap().unwrap().active);

        let log = AuditLog::new(db.store.clone());
        let on_dario = AuditFilter {
            target_id: Some(dario.id.to_string()),
            ..Default::default()
        };
        let rows = log.query(&on_dario, 1, 50).await.unwrap().rows;
        let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "operator.password_reset",
                "operator.disable",
                "operator.notes",
                "operator.permissions",
                "operator.create"
            ]
        );
        assert!(
            rows.iter().all(|r| r.operator_username == "boss1"
                && r.client_ip.as_deref() == Some("198.51.100.10"))
        );
        let perm = rows[3].changes.iter().next().unwrap();
        assert!(perm.before.as_deref().unwrap().contains("users_destroyer"));
        assert_eq!(perm.after.as_deref(), Some("users_browser stats_viewer"));
        let active = rows[1].changes.iter().next().unwrap();
        assert_eq!(
            (active.before.as_deref(), active.after.as_deref()),
            (Some("true"), Some("false"))
        );
        assert_eq!(
            rows[0].changes.iter().next().unwrap().after.as_deref(),
            Some("(changed)")
        );
        // the audit page filters; the CSV holds the rows and no password
        let page = b
            .get(&format!(
                "/operator/audit?target_id={}&action=operator.notes",
                dario.id
            ))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.has("front desk").lacks("operator.disable");
        assert_eq!(
            b.get("/operator/audit?from=yesterday").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let csv = b
            .get(&format!("/operator/audit.csv?target_id={}", dario.id))
            .await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(
            csv.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert_eq!(csv.body.lines().count(), 6, "{}", csv.body);
        assert!(!csv.body.contains(&password) && !csv.body.contains(PASSWORD));
    }
);

db_test!(any_operator_changes_their_own_password, |db| {
    let (mut b, _) = browser(&db);
    let ops = Operators::new(db.store.clone());
    ops.create("erika", PASSWORD, Permissions::none())
        .await
        .unwrap();
    log_in(&mut b, "erika", PASSWORD).await;
    let page = b.get("/operator/password").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let new = "Quiet-Lantern-58";
    let p = b
        .post(
            "/operator/password",
            &[
                ("csrf_token", "nope"),
                ("current_password", PASSWORD),
                ("password", new),
                ("password_confirmation", new),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = b
        .post(
            "/operator/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", "Wrong-Guess-111"),
                ("password", new),
                ("password_confirmation", new),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = b
        .post(
            "/operator/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", PASSWORD),
                ("password", "password"),
                ("password_confirmation", "password"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    ops.authenticate("erika", PASSWORD).await.unwrap();
    let p = b
        .post(
            "/operator/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", PASSWORD),
                ("password", new),
                ("password_confirmation", new),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    ops.authenticate("erika", new).await.unwrap();
    assert_eq!(
        b.get("/operator").await.status,
        StatusCode::OK,
        "this session stays"
    );
    let rows = AuditLog::new(db.store.clone())
        .query(&AuditFilter::default(), 1, 5)
        .await
        .unwrap()
        .rows;
    assert_eq!(rows[0].action, "operator.password");
    assert!(
        !serde_json::to_string(&rows[0].changes)
            .unwrap()
            .contains(new)
    );
});
