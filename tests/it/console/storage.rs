//! Operators and the audit log, once per backend.

use chrono::{Duration, Utc};
use owums_core::ErrorKind;
use owums_core::operator::{
    AuditEntry, AuditFilter, AuditLog, AuditTarget, Operators, Permission, Preset, totp_code,
};

use crate::support::db_test;

const PASSWORD: &str = "Tulip-Harbor-93";

db_test!(operators_are_created_authenticated_and_changed, |db| {
    let ops = Operators::new(db.store.clone());
    assert_eq!(ops.count().await.unwrap(), 0);
    let (anna, changes) = ops
        .create("Anna", PASSWORD, Preset::Operator.permissions())
        .await
        .unwrap();
    assert_eq!(anna.username, "anna");
    assert!(anna.active && !anna.totp_enabled);
    let fields: Vec<_> = changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["username", "permissions", "password"]);
    assert!(!serde_json::to_string(&changes).unwrap().contains(PASSWORD));
    // a taken name (any case), a bad name and a weak password are refused
    let again = ops
        .create("ANNA", PASSWORD, Preset::Admin.permissions())
        .await;
    assert_eq!(again.unwrap_err().kind(), ErrorKind::Conflict);
    let bad = ops
        .create("a@b", PASSWORD, Preset::Admin.permissions())
        .await;
    assert_eq!(bad.unwrap_err().kind(), ErrorKind::Invalid);
    let weak = ops
        .create("bruno", "password1", Preset::Admin.permissions())
        .await;
    assert_eq!(weak.unwrap_err().kind(), ErrorKind::Invalid);
    assert_eq!(ops.count().await.unwrap(), 1);

    let found = ops.authenticate("ANNA", PASSWORD).await.unwrap();
    assert_eq!(found.id, anna.id);
    for (who, pw) in [("anna", "Wrong-Guess-111"), ("nobody", PASSWORD), ("", "")] {
        let e = ops.authenticate(who, pw).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized, "{who}");
    }

    ops.record_login(anna.id, "192.0.2.1").await.unwrap();
    ops.record_login(anna.id, "192.0.2.2").await.unwrap();
    let seen = ops.find(anna.id).await.unwrap().unwrap();
    assert_eq!(seen.login_count, 2);
    assert_eq!(seen.current_login.unwrap().1, "192.0.2.2");
    assert_eq!(seen.last_login.unwrap().1, "192.0.2.1");

    let mut perms = Preset::Operator.permissions();
    perms.insert(Permission::UsersDestroyer);
    let changes = ops.set_permissions(anna.id, perms.clone()).await.unwrap();
    let c = changes.iter().next().unwrap();
    assert_eq!(c.field, "permissions");
    assert!(!c.before.as_deref().unwrap().contains("users_destroyer"));
    assert!(c.after.as_deref().unwrap().contains("users_destroyer"));
    assert!(
        ops.set_permissions(anna.id, perms.clone())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(ops.find(anna.id).await.unwrap().unwrap().permissions, perms);

    let changes = ops.set_notes(anna.id, Some("night shift")).await.unwrap();
    assert_eq!(
        changes.iter().next().unwrap().after.as_deref(),
        Some("night shift")
    );
    let changes = ops.set_password(anna.id, "Quiet-Lantern-58").await.unwrap();
    assert_eq!(
        changes.iter().next().unwrap().after.as_deref(),
        Some("(changed)")
    );
    assert!(ops.authenticate("anna", PASSWORD).await.is_err());
    ops.authenticate("anna", "Quiet-Lantern-58").await.unwrap();

    let changes = ops.set_active(anna.id, false).await.unwrap();
    assert_eq!(
        changes.iter().next().unwrap().before.as_deref(),
        Some("true")
    );
    let e = ops
        .authenticate("anna", "Quiet-Lantern-58")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "disabled");
    assert_eq!(ops.list().await.unwrap().len(), 1);
});

db_test!(the_first_run_link_is_single_use_and_expires, |db| {
    let ops = Operators::new(db.store.clone());
    let t0 = Utc::now();
    let old = ops.start_setup(t0).await.unwrap().unwrap();
    let token = ops.start_setup(t0).await.unwrap().unwrap();
    assert!(!ops.setup_link_live(&old, t0).await.unwrap(), "replaced");
    assert!(ops.setup_link_live(&token, t0).await.unwrap());
    let late = t0 + Duration::minutes(61);
    assert!(!ops.setup_link_live(&token, late).await.unwrap());
    let e = ops
        .create_first(&token, "root1", PASSWORD, late)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "expired");
    // a weak password leaves the link usable
    let e = ops
        .create_first(&token, "root1", "password", t0)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    let (first, _) = ops
        .create_first(&token, "root1", PASSWORD, t0)
        .await
        .unwrap();
    assert_eq!(first.permissions, Preset::Superadmin.permissions());
    let e = ops
        .create_first(&token, "root2", PASSWORD, t0)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "used");
    assert!(
        ops.start_setup(t0).await.unwrap().is_none(),
        "an operator exists"
    );
    assert_eq!(ops.count().await.unwrap(), 1);
});

db_test!(the_second_factor_and_recovery_codes, |db| {
    let ops = Operators::new(db.store.clone());
    let (op, _) = ops
        .create("carla", PASSWORD, Preset::Admin.permissions())
        .await
        .unwrap();
    let now = Utc::now();
    let secret = ops.begin_totp(op.id).await.unwrap();
    assert_eq!(
        ops.pending_totp(op.id).await.unwrap().as_deref(),
        Some(secret.as_str())
    );
    assert!(
        !ops.check_second_factor(op.id, &totp_code(&secret, now).unwrap(), now)
            .await
            .unwrap(),
        "not confirmed yet"
    );
    let e = ops
        .confirm_totp(op.id, "000000", now + Duration::hours(1))
        .await;
    assert!(e.is_err());
    let code = totp_code(&secret, now).unwrap();
    let (codes, changes) = ops.confirm_totp(op.id, &code, now).await.unwrap();
    assert!(
        !ops.check_second_factor(op.id, &code, now).await.unwrap(),
        "the confirming code is used up"
    );
    assert_eq!(codes.len(), 10);
    assert!(!serde_json::to_string(&changes).unwrap().contains(&secret));
    assert!(ops.find(op.id).await.unwrap().unwrap().totp_enabled);
    let later = now + Duration::minutes(10);
    assert!(
        ops.check_second_factor(op.id, &totp_code(&secret, later).unwrap(), later)
            .await
            .unwrap()
    );
    assert!(
        !ops.check_second_factor(op.id, &totp_code(&secret, later).unwrap(), later)
            .await
            .unwrap(),
        "a code works once"
    );
    assert!(
        !ops.check_second_factor(op.id, &code, later).await.unwrap(),
        "old code"
    );
    assert!(
        ops.check_second_factor(op.id, &codes[3], later)
            .await
            .unwrap()
    );
    assert!(
        !ops.check_second_factor(op.id, &codes[3], later)
            .await
            .unwrap(),
        "single use"
    );
    assert_eq!(ops.recovery_codes_left(op.id).await.unwrap(), 9);
    let changes = ops.reset_totp(op.id).await.unwrap();
    assert_eq!(
        changes.iter().next().unwrap().after.as_deref(),
        Some("false")
    );
    assert_eq!(ops.recovery_codes_left(op.id).await.unwrap(), 0);
    assert!(
        !ops.check_second_factor(op.id, &codes[4], later)
            .await
            .unwrap()
    );
});

db_test!(the_audit_log_filters_pages_and_exports, |db| {
    let ops = Operators::new(db.store.clone());
    let log = AuditLog::new(db.store.clone());
    let (anna, _) = ops
        .create("anna", PASSWORD, Preset::Superadmin.permissions())
        .await
        .unwrap();
    let (bruno, created) = ops
        .create("bruno", PASSWORD, Preset::Operator.permissions())
        .await
        .unwrap();
    log.record(AuditEntry {
        operator: Some((anna.id, anna.username.clone())),
        action: "operator.create".into(),
        target: Some(AuditTarget::operator(&bruno)),
        changes: created,
        client_ip: Some("192.0.2.7".parse().unwrap()),
    })
    .await
    .unwrap();
    let notes = ops
        .set_notes(bruno.id, Some("=cmd, \"quoted\"\nline"))
        .await
        .unwrap();
    log.record(AuditEntry {
        operator: Some((anna.id, anna.username.clone())),
        action: "operator.notes".into(),
        target: Some(AuditTarget::operator(&bruno)),
        changes: notes,
        client_ip: None,
    })
    .await
    .unwrap();
    log.record(AuditEntry {
        operator: None,
        action: "operator.passwd".into(),
        target: Some(AuditTarget::operator(&anna)),
        changes: ops.set_password(anna.id, "Quiet-Lantern-58").await.unwrap(),
        client_ip: None,
    })
    .await
    .unwrap();

    let all = log.query(&AuditFilter::default(), 1, 50).await.unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(all.rows[0].action, "operator.passwd", "newest first");
    assert_eq!(all.rows[0].operator_username, "(command line)");
    let by_anna = AuditFilter {
        operator: Some("ANNA".into()),
        ..Default::default()
    };
    assert_eq!(log.query(&by_anna, 1, 50).await.unwrap().total, 2);
    let on_bruno = AuditFilter {
        target_kind: Some("operator".into()),
        target_id: Some(bruno.id.to_string()),
        ..Default::default()
    };
    let rows = log.query(&on_bruno, 1, 1).await.unwrap();
    assert_eq!((rows.total, rows.rows.len()), (2, 1));
    let second = log.query(&on_bruno, 2, 1).await.unwrap();
    assert_eq!(second.rows[0].action, "operator.create");
    assert_eq!(second.rows[0].client_ip.as_deref(), Some("192.0.2.7"));
    let created = &second.rows[0].changes;
    assert_eq!(
        created.iter().next().unwrap().after.as_deref(),
        Some("bruno")
    );
    let action = AuditFilter {
        action: Some("operator.notes".into()),
        ..Default::default()
    };
    assert_eq!(log.query(&action, 1, 50).await.unwrap().total, 1);
    let future = AuditFilter {
        from: Some(Utc::now() + Duration::hours(1)),
        ..Default::default()
    };
    assert_eq!(log.query(&future, 1, 50).await.unwrap().total, 0);
    let past = AuditFilter {
        to: Some(Utc::now() + Duration::hours(1)),
        ..Default::default()
    };
    assert_eq!(log.query(&past, 1, 50).await.unwrap().total, 3);

    let csv = log.csv(&AuditFilter::default()).await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert!(
        lines[0].starts_with("id,at,operator,action,target_kind"),
        "{csv}"
    );
    assert!(
        csv.contains("\"notes: ∅ → =cmd, \"\"quoted\"\"\nline\""),
        "{csv}"
    );
    assert!(csv.contains("password: ∅ → (changed)"), "{csv}");
    assert!(!csv.contains(PASSWORD) && !csv.contains("Quiet-Lantern-58"));
});
