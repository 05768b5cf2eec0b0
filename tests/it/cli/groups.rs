//! `owums group show|update|delete|check|reply` and `owums user check|reply`: what they
//! print, and refusals that exit 1 with one line and change nothing.

use crate::cli::one_line_error;
use crate::support::cli::{owums, owums_ok};
use crate::support::db_test;

db_test!(groups_and_items_through_the_command, |db| {
    let dir = tempfile::tempdir().unwrap();
    let url = db.url.clone();
    let d = dir.path().to_owned();
    tokio::task::spawn_blocking(move || {
        let run = |args: &[&str]| owums_ok(&d, &url, args);
        run(&[
            "group",
            "create",
            "Gold",
            "--priority",
            "5",
            "--reply",
            "Session-Timeout=7200",
        ]);
        run(&[
            "user",
            "create",
            "--username",
            "gina",
            "--password",
            "Tulip-Harbor-93",
            "--verified",
            "--group",
            "Gold",
        ]);
        assert_eq!(
            run(&["group", "reply", "set", "Gold", "Session-Timeout=3600"]),
            "reply: Session-Timeout = 7200 -> Session-Timeout = 3600\n"
        );
        assert_eq!(
            run(&["group", "check", "add", "Gold", "Simultaneous-Use:=2"]),
            "check: (none) -> Simultaneous-Use := 2\n"
        );
        let changed = run(&[
            "group",
            "update",
            "Gold",
            "--priority",
            "7",
            "--notes",
            "students",
        ]);
        assert_eq!(changed, "priority: 5 -> 7\nnotes: (none) -> students\n");
        let show = run(&["group", "show", "Gold"]);
        assert!(
            show.contains("priority: 7")
                && show.contains("notes:    students")
                && show.contains("members:  1")
                && show.contains("Simultaneous-Use := 2")
                && show.contains("Session-Timeout = 3600"),
            "{show}"
        );

        // a refused value: exit 1, one line naming the field, nothing written
        let bad = owums(
            &d,
            &url,
            &["group", "reply", "add", "Gold", "Session-Timeout=1h"],
            "",
        );
        assert_eq!(bad.code, 1, "{}", bad.stderr);
        one_line_error(&bad);
        assert!(bad.stderr.contains("invalid value"), "{}", bad.stderr);
        assert!(!run(&["group", "show", "Gold"]).contains("1h"));

        // a subscriber's own items
        assert_eq!(
            run(&["user", "reply", "add", "gina", "Reply-Message=Hello Gina"]),
            "reply: (none) -> Reply-Message = Hello Gina\n"
        );
        let listed = run(&["user", "reply", "list", "gina"]);
        assert!(listed.contains("Reply-Message = Hello Gina"), "{listed}");
        let id = listed
            .split('#')
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(
            run(&["user", "reply", "remove", "gina", &format!("#{id}")]),
            "reply: Reply-Message = Hello Gina -> (none)\n"
        );
        let pw = owums(
            &d,
            &url,
            &["user", "check", "add", "gina", "Cleartext-Password:=x"],
            "",
        );
        assert_eq!(pw.code, 1);
        one_line_error(&pw);

        // in use: refused without --force, then deleted with the membership
        let refused = owums(&d, &url, &["group", "delete", "Gold"], "");
        assert_eq!(refused.code, 1);
        one_line_error(&refused);
        assert!(refused.stderr.contains("1 member"), "{}", refused.stderr);
        assert!(run(&["group", "list"]).contains("Gold"));
        let deleted = run(&["group", "delete", "Gold", "--force"]);
        assert!(deleted.contains("members: 1 -> (none)"), "{deleted}");
        assert!(!run(&["group", "list"]).contains("Gold"));
        assert!(!run(&["user", "show", "gina"]).contains("Gold"));
    })
    .await
    .unwrap();
});
