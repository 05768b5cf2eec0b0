//! The batch import of subscribers (`UserAdmin::import`, `owums user import`): a large
//! file with bad rows of every kind, the dry run, and the command end to end.

mod cli;

use std::collections::BTreeSet;

use owums_core::ids::Username;
use owums_core::operator::{Permission, Permissions};
use owums_core::subscriber::{ImportOptions, UserAdmin, hash_password, verify_password};

use crate::support::{db_test, new_user, subscribers};

/// Rows of the large file.
const ROWS: usize = 10_000;

/// One CSV field, always quoted.
pub(crate) fn field(v: &str) -> String {
    format!("\"{}\"", v.replace('"', "\"\""))
}

/// The file's header.
pub(crate) const HEADER: &str =
    "username,password,password_hash,email,mobile,given_name,surname,city,notes\n";

/// A good row `i` with web password hash `hash` (empty: generated).
fn good(i: usize, hash: &str) -> [String; 9] {
    [
        format!("user{i:05}"),
        String::new(),
        hash.to_owned(),
        format!("user{i}@example.org"),
        format!("+39 333 {i:07}"),
        format!("Given{i}"),
        format!("Sur{i}"),
        "Roma".to_owned(),
        String::new(),
    ]
}

/// The large file and the lines (as a spreadsheet numbers them) that must be refused.
fn large_file(hash: &str) -> (String, BTreeSet<u64>) {
    let mut bad = BTreeSet::new();
    let mut out = String::from(HEADER);
    for i in 0..ROWS {
        let mut row = good(i, if i % 1000 == 7 { "" } else { hash });
        let kind = if i % 200 == 100 { Some(i / 200) } else { None };
        if let Some(k) = kind {
            // 50 bad rows, 10 kinds
            match k % 10 {
                0 => row[0] = format!("user{:05}", i - 1), // same username as the row before
                1 => row[0] = "existing1".to_owned(),      // an existing subscriber's
                2 => row[3] = "existing2@example.org".to_owned(), // an existing e-mail
                3 => {
                    row[3] =
                        ["not-an-email", "a@@b.org", "x@", "@y.org", "a b@c.org"][k % 5].to_owned()
                }
                4 => row[4] = ["12ab", "+39 abc 123", "++39", "0", "+999 1"][k % 5].to_owned(),
                5 => row[0] = "'; DROP TABLE owums_users; --".to_owned(),
                6 => row[3] = "x@y.org'; DROP TABLE owums_users; --".to_owned(),
                7 => row[0] = String::new(),      // missing username
                8 => row[5] = "G".repeat(101),    // too long
                _ => row[1] = "short".to_owned(), // a typed password too short
            }
            bad.insert(i as u64 + 2);
        }
        if i == 4242 {
            // shaped like injections, but harmless text: stored as typed
            row[5] = "=cmd|' /C calc'!A0".to_owned();
            row[6] = "<script>alert(1)</script>".to_owned();
            row[8] = "'; DROP TABLE owums_users; --".to_owned();
        }
        let line: Vec<String> = row.iter().map(|v| field(v)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    (out, bad)
}

pub(crate) fn importer() -> Permissions {
    let mut p = Permissions::none();
    p.insert(Permission::UsersRegistrant);
    p.insert(Permission::RegistrantByNothing);
    p
}

db_test!(
    large_import_reports_every_bad_row_and_stores_the_others,
    |db| {
        let s = subscribers(&db);
        s.create(new_user("existing1"), true, &[]).await.unwrap();
        s.create(new_user("existing2"), true, &[]).await.unwrap();
        let hash = hash_password("Meadow-Lantern-58").unwrap();
        let (file, bad) = large_file(&hash);
        assert_eq!(bad.len(), 50);
        let admin = UserAdmin::new(s.clone(), Some("39".to_owned()));

        let dry = ImportOptions {
            dry_run: true,
            ..ImportOptions::default()
        };
        let report = admin
            .import(&importer(), file.as_bytes(), dry)
            .await
            .unwrap();
        assert_eq!(report.rows, ROWS);
        let lines: BTreeSet<u64> = report.rejected_lines().into_iter().collect();
        assert_eq!(
            bad.difference(&lines).collect::<Vec<_>>(),
            Vec::<&u64>::new()
        );
        assert_eq!(report.valid, ROWS - 50);
        assert_eq!(report.imported, 0);
        assert!(report.generated.is_empty());
        let lines: BTreeSet<u64> = report.rejected_lines().into_iter().collect();
        assert_eq!(lines, bad);
        assert_eq!(
            db.store.count_users().await.unwrap(),
            2,
            "a dry run stores nothing"
        );

        let report = admin
            .import(&importer(), file.as_bytes(), ImportOptions::default())
            .await
            .unwrap();
        let lines: BTreeSet<u64> = report.rejected_lines().into_iter().collect();
        assert_eq!(lines, bad);
        assert_eq!(report.imported, ROWS - 50);
        assert_eq!(
            db.store.count_users().await.unwrap(),
            2 + (ROWS - 50) as i64
        );
        // reasons name the field: a duplicate points at the first line
        let dup = report.rejected.iter().find(|r| r.line == 102).unwrap();
        assert_eq!(dup.field, "username");
        assert!(dup.reason.contains("line 101"), "{}", dup.reason);
        let taken = report.rejected.iter().find(|r| r.line == 302).unwrap();
        assert!(
            taken.reason.contains("another subscriber"),
            "{}",
            taken.reason
        );
        // the bad rows' own values are nowhere
        for line in &bad {
            let i = (*line - 2) as usize;
            if let Ok(name) = Username::try_new(&format!("user{i:05}")) {
                // rows of kind 0 reuse the previous row's name, which is stored for that row
                let u = db.store.find_user_by_username(&name).await.unwrap();
                assert!(
                    u.is_none(),
                    "line {line} was refused but user{i:05} is stored"
                );
            }
        }
        // spot checks
        for i in [0usize, 1, 99, 4242, 5000, 9999] {
            let name = Username::try_new(&format!("user{i:05}")).unwrap();
            let (u, stored_hash) = db.store.find_login(&name).await.unwrap().unwrap();
            assert_eq!(
                u.email.as_ref().unwrap().as_str(),
                format!("user{i}@example.org")
            );
            assert_eq!(u.mobile.as_ref().unwrap().as_str(), format!("+39333{i:07}"));
            assert!(u.verified && u.active);
            assert_eq!(u.verification_method, "none");
            assert_eq!(u.city, "Roma");
            assert_eq!(stored_hash, hash);
            let groups = db.store.user_groups(u.id).await.unwrap();
            assert_eq!(groups.len(), 1, "the default group");
        }
        let (u, _) = db
            .store
            .find_login(&Username::try_new("user04242").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(u.given_name, "=cmd|' /C calc'!A0");
        assert_eq!(u.surname, "<script>alert(1)</script>");
        assert_eq!(u.notes.as_deref(), Some("'; DROP TABLE owums_users; --"));
        // generated passwords: every tenth row's 7th, printed once, and they log in
        assert_eq!(report.generated.len(), 10);
        let g = &report.generated[3];
        assert_eq!(g.username, "user03007");
        assert_eq!(g.line, 3009);
        let (_, stored) = db
            .store
            .find_login(&Username::try_new(&g.username).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(verify_password(&g.password, &stored));
        assert!(
            report
                .passwords_csv()
                .contains(&format!("user03007,{}\n", g.password))
        );
    }
);

db_test!(a_file_refused_whole_stores_nothing, |db| {
    let admin = UserAdmin::new(subscribers(&db), None);
    let o = ImportOptions::default();
    let p = importer();
    for file in [
        "username,shoe_size\nanna1,42\n",
        "email\nanna@example.org\n",
        "username,groups\nanna1,staff\n",
    ] {
        assert!(
            admin.import(&p, file.as_bytes(), o).await.is_err(),
            "{file}"
        );
    }
    assert!(
        admin
            .import(&Permissions::none(), b"username\nanna1\n", o)
            .await
            .is_err()
    );
    assert!(admin.import(&p, b"username\n\xff\xfe\n", o).await.is_err());
    assert_eq!(db.store.count_users().await.unwrap(), 0);
    // a BOM and `;` separators are fine
    let report = admin
        .import(
            &p,
            "\u{feff}username;given_name;password\nanna1;Anna;Tulip-Harbor-93\n".as_bytes(),
            o,
        )
        .await
        .unwrap();
    assert_eq!(report.imported, 1);
    assert!(report.generated.is_empty());
    let (u, hash) = db
        .store
        .find_login(&Username::try_new("anna1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.given_name, "Anna");
    assert!(verify_password("Tulip-Harbor-93", &hash));
});
