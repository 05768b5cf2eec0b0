//! The batch import from the console: the upload's report (refused lines with reasons in
//! the operator's language, generated passwords shown once), a dry run that stores
//! nothing, and the audit row.

use owums_core::operator::{AuditFilter, AuditLog, Operators, Preset};
use poem::http::StatusCode;

use super::pages::{PASSWORD, browser, log_in};
use super::users_new::multipart;
use crate::support::{db_test, subscribers};

const FILE: &str = "username;email;mobile;given_name;password\n\
    giulia.f;giulia@example.org;;Giulia;\n\
    marco.b;not-an-email;;Marco;\n\
    piero.c;piero@example.org;+39 333 123 4567;Piero;Tulip-Harbor-93\n\
    giulia.f;other@example.org;;Giulia bis;\n";

db_test!(
    subscribers_are_imported_from_the_console_with_a_report,
    |db| {
        let (mut b, _) = browser(&db);
        Operators::new(db.store.clone())
            .create("anna", PASSWORD, Preset::Operator.permissions())
            .await
            .unwrap();
        log_in(&mut b, "anna", PASSWORD).await;
        let page = b.get("/operator/users/import").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.has(r#"type="file""#).has("username");
        let csrf = page.csrf();
        let s = subscribers(&db);

        // no file: refused
        let (ct, body) = multipart(&[("csrf_token", &csrf)], &[]);
        let p = b.post_typed("/operator/users/import", &ct, body, &[]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);

        // a dry run: the report, nothing stored
        let (ct, body) = multipart(
            &[("csrf_token", &csrf), ("dry_run", "1")],
            &[("file", "text/csv", FILE.as_bytes())],
        );
        let p = b.post_typed("/operator/users/import", &ct, body, &[]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        p.has("4 rows, 2 would be stored, 2 refused");
        assert!(
            s.find("giulia.f").await.is_err(),
            "a dry run stores nothing"
        );

        // in Italian, for real
        b.accept_language = "it".into();
        let (ct, body) = multipart(
            &[("csrf_token", &csrf)],
            &[("file", "text/csv", FILE.as_bytes())],
        );
        let p = b.post_typed("/operator/users/import", &ct, body, &[]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert_eq!(p.headers.get("cache-control").unwrap(), "no-store");
        p.has("4 righe: 2 utenti salvati, 2 righe rifiutate")
            .has("<td>3</td><td>email</td>")
            .has("<td>5</td><td>username</td>")
            .has("<code>giulia.f</code>");
        let giulia = s.find("giulia.f").await.unwrap();
        assert_eq!(
            giulia.email.as_ref().map(|e| e.as_str()),
            Some("giulia@example.org")
        );
        assert!(s.find("piero.c").await.is_ok());
        assert!(s.find("marco.b").await.is_err());
        // the generated password is on the page once, and it works
        let marker = "<td><code>giulia.f</code></td><td><code>";
        let start = p.body.find(marker).unwrap() + marker.len();
        let password = &p.body[start..start + p.body[start..].find('<').unwrap()];
        assert!(s.authenticate("giulia.f", password).await.is_ok());

        let rows = AuditLog::new(db.store.clone())
            .query(&AuditFilter::default(), 1, 5)
            .await
            .unwrap()
            .rows;
        assert_eq!(rows.len(), 1, "the dry run is not audited");
        assert_eq!(rows[0].action, "user.import");
        let imported = rows[0]
            .changes
            .iter()
            .find(|c| c.field == "imported")
            .unwrap();
        assert_eq!(imported.after.as_deref(), Some("2"));
        assert!(
            !rows[0]
                .changes
                .iter()
                .any(|c| c.after.as_deref() == Some(password))
        );
    }
);
