//! `owums settings …`: runtime settings from the command line, seen at once by every
//! running server on the same database.

use crate::support::cli::{Serving, http_get, owums, owums_ok, serve_command};

const DB: &str = "sqlite://owums.db";

#[test]
fn a_setting_changed_from_the_command_line_is_seen_by_every_server_on_its_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Two servers on one database, as behind a load balancer.
    let mut first = Serving::spawn(&mut serve_command(d));
    let a = first.http_addr().to_string();
    let mut second = Serving::spawn(&mut serve_command(d));
    let b = second.http_addr().to_string();

    let text = "Ask **Maria** at the bar.\n\n<script>alert(1)</script>";
    let set = owums(
        d,
        DB,
        &["settings", "set", "custom_account_instructions_en", "-"],
        text,
    );
    assert_eq!(set.code, 0, "{}", set.stderr);
    for addr in [&a, &b] {
        let (code, home) = http_get(addr, "/").unwrap();
        assert_eq!(code, 200);
        assert!(
            home.contains("Ask <strong>Maria</strong> at the bar."),
            "{home}"
        );
        assert!(home.contains("&lt;script&gt;") && !home.contains("<script>alert"));
    }
    assert_eq!(
        owums_ok(
            d,
            DB,
            &["settings", "get", "custom_account_instructions_en"]
        ),
        format!("{text}\n")
    );
    let list = owums_ok(d, DB, &["settings", "list"]);
    let line = list
        .lines()
        .find(|l| l.starts_with("custom_account_instructions_en "))
        .expect("listed");
    assert!(
        line.contains("markdown") && line.contains(" set ") && line.contains("the bar.⏎⏎<script>"),
        "{line}"
    );
    assert!(
        list.lines().any(|l| l.starts_with("captcha_enabled ")
            && l.contains("default")
            && l.ends_with("true")),
        "{list}"
    );

    // A value of the wrong type, an unknown name: refused, one line, nothing stored.
    let bad = owums(d, DB, &["settings", "set", "captcha_enabled", "yes"], "");
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("`true` or `false`"), "{}", bad.stderr);
    let unknown = owums(d, DB, &["settings", "set", "no_such_setting", "1"], "");
    assert_ne!(unknown.code, 0);
    assert!(
        unknown.stderr.contains("not a known setting"),
        "{}",
        unknown.stderr
    );
    let long = "x".repeat(owums_core::settings::MAX_SETTING_BYTES + 1);
    let too_long = owums(
        d,
        DB,
        &["settings", "set", "custom_account_instructions_it", "-"],
        &long,
    );
    assert_ne!(too_long.code, 0);
    assert!(
        too_long.stderr.contains("at most 60000 bytes"),
        "{}",
        too_long.stderr
    );
    assert_eq!(
        owums_ok(d, DB, &["settings", "get", "captcha_enabled"]),
        "true\n"
    );
    assert_eq!(
        owums_ok(
            d,
            DB,
            &["settings", "get", "custom_account_instructions_it"]
        ),
        "\n"
    );

    // Back to the default: the servers drop the text on their next request.
    owums_ok(
        d,
        DB,
        &["settings", "reset", "custom_account_instructions_en"],
    );
    for addr in [&a, &b] {
        let (_, home) = http_get(addr, "/").unwrap();
        assert!(!home.contains("Maria"), "{home}");
    }
    assert!(first.terminate().success() && second.terminate().success());
}
