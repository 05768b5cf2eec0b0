//! The `owums` command: exit codes, one-line errors, nothing changed on bad input.

mod config;
mod groups;
mod http;
mod serve;
mod settings;

use crate::support::cli::{owums, owums_ok};
use crate::support::db_test;

/// Standard error is one line starting `error: `, with no panic or backtrace.
pub(crate) fn one_line_error(r: &crate::support::cli::Run) {
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected, got: {}", r.stderr);
    assert!(lines[0].starts_with("error: "), "{}", r.stderr);
    assert!(
        !r.stderr.contains("backtrace") && !r.stderr.contains("panicked"),
        "{}",
        r.stderr
    );
}

db_test!(user_lifecycle_through_the_command, |db| {
    let dir = tempfile::tempdir().unwrap();
    let url = db.url.clone();
    let d = dir.path().to_owned();
    tokio::task::spawn_blocking(move || {
        let created = owums(
            &d,
            &url,
            &[
                "user",
                "create",
                "--username",
                "Carla",
                "--password",
                "-",
                "--email",
                "c@example.org",
                "--mobile",
                "+39 333 1112223",
                "--locale",
                "it-IT",
            ],
            "Tulip-Harbor-93\n",
        );
        assert_eq!(created.code, 0, "{}", created.stderr);
        assert!(created.stdout.contains("created carla (unverified)"));
        let show = owums_ok(&d, &url, &["user", "show", "CARLA"]);
        assert!(
            show.contains("status:       unverified")
                && show.contains("+393331112223")
                && show.contains("locale:       it\n"),
            "{show}"
        );
        assert!(owums_ok(&d, &url, &["user", "verify", "carla"]).contains("carla is verified"));
        assert!(owums_ok(&d, &url, &["user", "disable", "carla"]).contains("carla is disabled"));
        assert!(owums_ok(&d, &url, &["user", "enable", "carla"]).contains("carla is verified"));
        assert!(owums_ok(&d, &url, &["user", "deactivate", "carla"]).contains("carla is inactive"));
        assert!(owums_ok(&d, &url, &["user", "activate", "carla"]).contains("carla is verified"));
        assert!(owums_ok(&d, &url, &["user", "list"]).contains("carla"));
        owums_ok(
            &d,
            &url,
            &[
                "group",
                "create",
                "Gold",
                "--priority",
                "0",
                "--check",
                "Simultaneous-Use:=1",
                "--reply",
                "Session-Timeout=7200",
            ],
        );
        let groups = owums_ok(&d, &url, &["group", "list"]);
        assert!(
            groups.contains("Gold (priority 0)")
                && groups.contains("reply  Session-Timeout = 7200"),
            "{groups}"
        );
        // a limit that SQL-mode FreeRADIUS knows only from freeradius/sql/ gets a note
        let capped = owums(
            &d,
            &url,
            &[
                "group",
                "create",
                "Capped",
                "--check",
                "Max-Daily-Session:=3600",
                "--check",
                "Max-Monthly-Session-Traffic:=9000000000",
                "--check",
                "Simultaneous-Use:=1",
            ],
            "",
        );
        assert_eq!(capped.code, 0, "{}", capped.stderr);
        assert_eq!(capped.stdout, "created group Capped (priority 1)\n");
        assert!(
            capped.stderr.starts_with(
                "note: FreeRADIUS in SQL mode knows Max-Daily-Session, \
                 Max-Monthly-Session-Traffic only through the sqlcounter configuration in \
                 freeradius/sql/"
            ) && capped.stderr.ends_with("rejects every member of Capped\n"),
            "{}",
            capped.stderr
        );
        let plain = owums(
            &d,
            &url,
            &["group", "create", "Plain", "--reply", "Idle-Timeout=60"],
            "",
        );
        assert_eq!(
            (plain.code, plain.stderr.as_str()),
            (0, ""),
            "no limit, no note"
        );
        let help = owums_ok(&d, &url, &["group", "create", "--help"]);
        assert!(help.contains("freeradius/sql/"), "{help}");
        owums_ok(
            &d,
            &url,
            &[
                "nas",
                "add",
                "--nasname",
                "192.0.2.1",
                "--secret",
                "nas-secret",
                "--type",
                "cisco",
            ],
        );
        let nas = owums_ok(&d, &url, &["nas", "list"]);
        assert!(
            nas.contains("192.0.2.1") && nas.contains("cisco") && !nas.contains("nas-secret"),
            "{nas}"
        );
        assert!(owums_ok(&d, &url, &["user", "delete", "carla"]).contains("deleted carla"));
        let gone = owums(&d, &url, &["user", "show", "carla"], "");
        assert_eq!(gone.code, 1);
        one_line_error(&gone);
    })
    .await
    .unwrap();
    assert_eq!(db.store.count_users().await.unwrap(), 0);
});

db_test!(bad_input_is_one_line_and_changes_nothing, |db| {
    let dir = tempfile::tempdir().unwrap();
    let url = db.url.clone();
    let d = dir.path().to_owned();
    tokio::task::spawn_blocking(move || {
        owums_ok(
            &d,
            &url,
            &[
                "user",
                "create",
                "--username",
                "dora",
                "--password",
                "Tulip-Harbor-93",
            ],
        );
        owums_ok(&d, &url, &["group", "create", "staff"]);
        for (args, needle) in [
            (
                vec![
                    "user",
                    "create",
                    "--username",
                    "do",
                    "--password",
                    "Tulip-Harbor-93",
                ],
                "username",
            ),
            (
                vec![
                    "user",
                    "create",
                    "--username",
                    "x@realm",
                    "--password",
                    "Tulip-Harbor-93",
                ],
                "username",
            ),
            (
                vec![
                    "user",
                    "create",
                    "--username",
                    "DORA",
                    "--password",
                    "Tulip-Harbor-93",
                ],
                "already exists",
            ),
            (
                vec![
                    "user",
                    "create",
                    "--username",
                    "dora2",
                    "--password",
                    "short",
                ],
                "password",
            ),
            (
                vec![
                    "user",
                    "create",
                    "--username",
                    "dora3",
                    "--password",
                    "Tulip-Harbor-93",
                    "--mobile",
                    "333",
                ],
                "mobile",
            ),
            (
                vec![
                    "user",
                    "create",
                    "--username",
                    "dora4",
                    "--password",
                    "Tulip-Harbor-93",
                    "--group",
                    "Nope",
                ],
                "Nope",
            ),
            (
                vec![
                    "user",
                    "create",
                    "--username",
                    "dora5",
                    "--password",
                    "Tulip-Harbor-93",
                    "--locale",
                    "fr",
                ],
                "invalid locale `fr`: owums has en, it, es",
            ),
            (
                vec!["group", "create", "Bad", "--reply", "Session-Timeout==1"],
                "operator",
            ),
            (vec!["group", "create", "Bad Group"], "no spaces"),
            (
                vec!["group", "create", "staff"],
                "group `staff` already exists",
            ),
            (
                vec!["nas", "add", "--nasname", "nowhere", "--secret", "s"],
                "nasname",
            ),
        ] {
            let r = owums(&d, &url, &args, "");
            assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
            one_line_error(&r);
            assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
        }
        let list = owums_ok(&d, &url, &["user", "list"]);
        assert_eq!(list.lines().count(), 2, "only dora: {list}");
        assert!(!owums_ok(&d, &url, &["group", "list"]).contains("Bad"));
    })
    .await
    .unwrap();
});

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let r = owums(dir.path(), "sqlite://owums.db", &["user", "frobnicate"], "");
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = owums(
        dir.path(),
        "sqlite://owums.db",
        &["user", "create", "--username", "x"],
        "",
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!dir.path().join("owums.db").exists(), "nothing was created");
}

#[test]
fn unreachable_database_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "postgres://owums@127.0.0.1:1/owums",
        "mysql://owums@127.0.0.1:1/owums",
        "sqlite:///no/such/dir/owums.db",
        "oracle://x",
    ] {
        let r = owums(dir.path(), url, &["user", "list"], "");
        assert_eq!(r.code, 1, "{url}: {}", r.stderr);
        one_line_error(&r);
    }
}

#[test]
fn commands_refuse_a_database_that_is_missing_or_not_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let r = owums(dir.path(), "sqlite://owums.db", &["user", "list"], "");
    assert_eq!(r.code, 1);
    one_line_error(&r);
    assert!(r.stderr.contains("owums migrate"), "{}", r.stderr);
    assert!(
        !dir.path().join("owums.db").exists(),
        "no empty database was created"
    );
    std::fs::write(dir.path().join("empty.db"), b"").unwrap();
    let r = owums(
        dir.path(),
        "sqlite://empty.db",
        &[
            "user",
            "create",
            "--username",
            "anna",
            "--password",
            "Tulip-Harbor-93",
        ],
        "",
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("migrations pending") && r.stderr.contains("owums migrate"),
        "{}",
        r.stderr
    );
    owums_ok(dir.path(), "sqlite://empty.db", &["migrate"]);
    owums_ok(
        dir.path(),
        "sqlite://empty.db",
        &[
            "user",
            "create",
            "--username",
            "anna",
            "--password",
            "Tulip-Harbor-93",
        ],
    );
}

#[test]
fn housekeeping_run_once_prints_what_each_job_did() {
    let dir = tempfile::tempdir().unwrap();
    owums_ok(dir.path(), "sqlite://owums.db", &["migrate"]);
    let out = owums_ok(
        dir.path(),
        "sqlite://owums.db",
        &["housekeeping", "run-once"],
    );
    assert_eq!(
        out,
        "expire_unverified: deleted 0, deactivated 0\n\
         remove_disabled_accounts: off (disabled_account_expire_days = 0)\n\
         cleanup_stale_radacct: OWUMS-Stale-Recalculated 0, OWUMS-Stale-Invalid 0\n\
         convert_called_station_id: off (no access-point lookup configured)\n\
         purge_expired_sessions: deleted 0, closed rate-limit windows 0\n"
    );
}
