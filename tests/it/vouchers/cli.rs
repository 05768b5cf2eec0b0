//! `owums voucher generate|list|show`: the CSV, the counts, and refusals that exit 1 with
//! one line and write nothing.

use crate::support::cli::{owums, owums_ok};
use crate::support::db_test;

db_test!(voucher_commands, |db| {
    let dir = tempfile::tempdir().unwrap();
    let url = db.url.clone();
    let d = dir.path().to_owned();
    tokio::task::spawn_blocking(move || {
        let run = |args: &[&str]| owums_ok(&d, &url, args);
        let csv = run(&[
            "voucher",
            "generate",
            "--batch",
            "lobby",
            "--count",
            "25",
            "--prefix",
            "lb",
            "--length",
            "8",
            "--valid-days",
            "1",
        ]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "username,password");
        assert_eq!(lines.len(), 26);
        for l in &lines[1..] {
            let (u, p) = l.split_once(',').unwrap();
            assert!(u.starts_with("lb") && p.len() == 8, "{l}");
        }
        let list = run(&["voucher", "list"]);
        assert!(
            list.contains("lobby") && list.contains("unused 25"),
            "{list}"
        );
        let show = run(&["voucher", "show", "lobby"]);
        assert_eq!(
            show.lines().filter(|l| l.ends_with("\tunused")).count(),
            25,
            "{show}"
        );

        let refused = |args: &[&str]| {
            let r = owums(&d, &url, args, "");
            assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
            let err: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
            assert_eq!(err.len(), 1, "{}", r.stderr);
            assert!(r.stdout.is_empty(), "{}", r.stdout);
            err[0].to_owned()
        };
        let base = ["voucher", "generate", "--batch", "b2", "--prefix", "x"];
        let with = |extra: &[&'static str]| [&base[..], extra].concat();
        assert!(refused(&with(&["--count", "0", "--valid-days", "1"])).contains("count"));
        assert!(refused(&with(&["--count", "100001", "--valid-days", "1"])).contains("count"));
        assert!(refused(&with(&["--count", "2"])).contains("exactly one"));
        assert!(
            refused(&with(&[
                "--count",
                "2",
                "--valid-days",
                "1",
                "--valid-until",
                "2030-01-01"
            ]))
            .contains("exactly one")
        );
        assert!(
            refused(&with(&[
                "--count",
                "2",
                "--valid-days",
                "1",
                "--group",
                "Nope"
            ]))
            .contains("Nope")
        );
        assert!(
            refused(&[
                "voucher",
                "generate",
                "--batch",
                "b3",
                "--prefix",
                "Bad Prefix",
                "--count",
                "2",
                "--valid-days",
                "1"
            ])
            .contains("prefix")
        );
        assert!(
            refused(&[
                "voucher",
                "generate",
                "--batch",
                "lobby",
                "--prefix",
                "zz",
                "--count",
                "2",
                "--valid-days",
                "1"
            ])
            .contains("already exists")
        );
        let list = run(&["voucher", "list"]);
        assert_eq!(list.lines().count(), 1, "{list}");
    })
    .await
    .unwrap();
});
