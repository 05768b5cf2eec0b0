//! `--config`, `--plugins`, `check-config`: files that must exist, unknown keys, what is shown.

use super::one_line_error;
use crate::support::cli::{owums, owums_bin};

#[test]
fn unknown_configuration_key_names_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("owums.toml"),
        "[server]\nlisten = \"127.0.0.1:1\"\nlistn = \"oops\"\n",
    )
    .unwrap();
    let r = owums(dir.path(), "sqlite://owums.db", &["migrate"], "");
    assert_eq!(r.code, 1);
    one_line_error(&r);
    assert!(
        r.stderr.contains("listn") && r.stderr.contains("owums.toml"),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("owums.db").exists(), "nothing was created");
    std::fs::write(dir.path().join("owums.toml"), "").unwrap();
    std::fs::write(
        dir.path().join("plugins.toml"),
        "[plugins.nosuch]\nenabled = true\n",
    )
    .unwrap();
    let r = owums(dir.path(), "sqlite://owums.db", &["check-config"], "");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("unknown plugin `nosuch`"), "{}", r.stderr);
}

#[test]
fn a_plugins_file_named_on_the_command_line_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--plugins", "plugins.tml", "check-config"][..],
        &[
            "--plugins",
            "plugins.tml",
            "serve",
            "--listen",
            "127.0.0.1:0",
        ][..],
    ] {
        let r = owums(dir.path(), "sqlite://owums.db", args, "");
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        one_line_error(&r);
        assert!(
            r.stderr
                .contains("plugins file `plugins.tml` does not exist"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
    assert!(!dir.path().join("owums.db").exists(), "serve did not start");
    // Not named: ./plugins.toml may be absent.
    assert_eq!(
        owums(dir.path(), "sqlite://owums.db", &["check-config"], "").code,
        0
    );
}

#[test]
fn check_config_redacts_secrets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret"), "mysql://owums:hunter2@db/owums").unwrap();
    let out = std::process::Command::new(owums_bin())
        .arg("check-config")
        .current_dir(dir.path())
        .env("OWUMS_DATABASE__URL_FILE", "secret")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("mysql://owums:********@db/owums") && !text.contains("hunter2"),
        "{text}"
    );
    // Not a secret: which format FreeRADIUS gets. Unset secrets say so rather than look set.
    assert!(text.contains("password_format = \"crypt\""), "{text}");
    assert!(text.contains("token = \"(not set)\""), "{text}");
}
