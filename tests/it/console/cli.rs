//! `owums operator create|list|passwd`.

use owums_core::operator::{AuditFilter, AuditLog, Operators, Permission, Preset};

use crate::support::cli::{owums, owums_ok};
use crate::support::db_test;

db_test!(operators_through_the_command, |db| {
    let dir = tempfile::tempdir().unwrap();
    let (url, d) = (db.url.clone(), dir.path().to_owned());
    let generated = tokio::task::spawn_blocking(move || {
        // from standard input, with a permission added to the preset
        let r = owums(
            &d,
            &url,
            &[
                "operator",
                "create",
                "Anna",
                "--preset",
                "operator",
                "--permission",
                "users_destroyer",
                "--password",
                "-",
            ],
            "Tulip-Harbor-93\n",
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stdout
                .contains("operator anna created (operator, 11 permissions)"),
            "{}",
            r.stdout
        );
        assert!(!r.stdout.contains("Tulip-Harbor-93"));
        // generated and printed once
        let out = owums_ok(
            &d,
            &url,
            &["operator", "create", "boss", "--preset", "superadmin"],
        );
        let password = out
            .lines()
            .find_map(|l| l.strip_prefix("password: "))
            .expect("the generated password")
            .to_owned();
        // bad input: a clear error, exit 2-or-1, nothing created
        for args in [
            &["operator", "create", "zed1", "--preset", "root"][..],
            &["operator", "create", "zed1", "--permission", "everything"][..],
            &["operator", "create", "zed1", "--password", "password"][..],
            &[
                "operator",
                "create",
                "ANNA",
                "--password",
                "Quiet-Lantern-58",
            ][..],
        ] {
            let r = owums(&d, &url, args, "");
            assert_ne!(r.code, 0, "{args:?}");
            crate::cli::one_line_error(&r);
        }
        let list = owums_ok(&d, &url, &["operator", "list"]);
        assert!(
            list.contains("anna") && list.contains("boss") && list.contains("(superadmin)"),
            "{list}"
        );
        assert!(!list.contains("zed1"));
        let r = owums(
            &d,
            &url,
            &["operator", "passwd", "anna", "--password", "-"],
            "Quiet-Lantern-58\n",
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = owums(&d, &url, &["operator", "passwd", "nobody1"], "");
        assert_ne!(r.code, 0);
        password
    })
    .await
    .unwrap();
    let ops = Operators::new(db.store.clone());
    let anna = ops.authenticate("anna", "Quiet-Lantern-58").await.unwrap();
    assert!(anna.permissions.allows(Permission::UsersDestroyer));
    assert!(!anna.permissions.allows(Permission::OperatorsManager));
    let boss = ops.authenticate("boss", &generated).await.unwrap();
    assert_eq!(boss.permissions, Preset::Superadmin.permissions());
    let log = AuditLog::new(db.store.clone());
    let rows = log
        .query(&AuditFilter::default(), 1, 10)
        .await
        .unwrap()
        .rows;
    let actions: Vec<_> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["operator.passwd", "operator.create", "operator.create"]
    );
    assert!(rows.iter().all(|r| r.operator_username == "(command line)"));
    let csv = log.csv(&AuditFilter::default()).await.unwrap();
    assert!(
        !csv.contains(&generated)
            && !csv.contains("Quiet-Lantern-58")
            && !csv.contains("Tulip-Harbor-93")
    );
});

/// The first start prints the single-use setup link (the only way in); it opens the setup
/// page once; a start with an operator prints none.
#[test]
fn serve_prints_the_setup_link_only_while_there_is_no_operator() {
    use crate::support::cli::{Serving, http_get, serve_command};
    let dir = tempfile::tempdir().unwrap();
    let mut server = Serving::spawn(&mut serve_command(dir.path()));
    let addr = server.http_addr().to_string();
    let log = server.log().to_owned();
    let line = log
        .lines()
        .find(|l| l.contains("WARN") && l.contains("/operator/setup/"))
        .unwrap_or_else(|| panic!("no setup link in:\n{log}"));
    let start = line.find("http://127.0.0.1:").unwrap();
    let link: String = line[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"')
        .collect();
    let port = addr.rsplit(':').next().unwrap();
    assert!(
        link.starts_with(&format!("http://127.0.0.1:{port}/operator/setup/")),
        "{link}"
    );
    let path = &link[link.find("/operator").unwrap()..];
    let (code, page) = http_get(&addr, path).unwrap();
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("Create the first operator"), "{page}");
    assert!(server.terminate().success());
    let r = owums(
        dir.path(),
        "sqlite://owums.db",
        &["operator", "create", "boss1", "--preset", "superadmin"],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut server = Serving::spawn(&mut serve_command(dir.path()));
    let addr = server.http_addr().to_string();
    assert!(
        !server.log().contains("/operator/setup/"),
        "{}",
        server.log()
    );
    assert_eq!(
        http_get(&addr, path).unwrap().0,
        404,
        "the old link is dead"
    );
    assert!(server.terminate().success());
}
