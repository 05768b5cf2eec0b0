//! `owums user import` end to end on SQLite: the report, the exit status, the passwords
//! file, and a dry run that stores nothing.

use owums_core::ids::Username;
use owums_core::subscriber::verify_password;

use super::{HEADER, field};
use crate::support::cli::owums;
use crate::support::{Backend, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_imports_reports_and_writes_the_passwords() {
    let Some(db) = TestDb::new(Backend::Sqlite).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from(HEADER);
    for (name, password, email) in [
        ("bruno1", "", "bruno@example.org"),
        ("carla1", "Tulip-Harbor-93", "carla@example.org"),
        ("dario1", "", "not-an-email"),
        ("bruno1", "", "b2@example.org"),
    ] {
        let row = [name, password, "", email, "", "", "", "", ""];
        let row: Vec<String> = row.iter().map(|v| field(v)).collect();
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    std::fs::write(dir.path().join("users.csv"), &csv).unwrap();
    let url = db.url.clone();
    let d = dir.path().to_owned();
    let (dry, tickets_after_dry, run) = tokio::task::spawn_blocking(move || {
        let dry = owums(
            &d,
            &url,
            &[
                "user",
                "import",
                "users.csv",
                "--dry-run",
                "--passwords-out",
                "tickets.csv",
            ],
            "",
        );
        let tickets_after_dry = d.join("tickets.csv").exists();
        let run = owums(
            &d,
            &url,
            &[
                "user",
                "import",
                "users.csv",
                "--passwords-out",
                "tickets.csv",
            ],
            "",
        );
        (dry, tickets_after_dry, run)
    })
    .await
    .unwrap();
    assert_eq!(dry.code, 2, "{}", dry.stderr);
    assert!(
        dry.stdout.contains("2 would be imported, 2 refused"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("line 4: email:"), "{}", dry.stdout);
    assert!(!tickets_after_dry, "a dry run writes no passwords");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("line 5: username: is the same as line 2"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("4 rows: 2 imported, 2 refused"),
        "{}",
        run.stdout
    );
    assert_eq!(db.store.count_users().await.unwrap(), 2);
    let tickets = std::fs::read_to_string(dir.path().join("tickets.csv")).unwrap();
    let lines: Vec<&str> = tickets.lines().collect();
    assert_eq!(lines.len(), 2, "{tickets}");
    let password = lines[1].strip_prefix("bruno1,").unwrap();
    assert!(!run.stdout.contains(password) && !run.stderr.contains(password));
    let (_, hash) = db
        .store
        .find_login(&Username::try_new("bruno1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(verify_password(password, &hash));
}
