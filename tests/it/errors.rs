//! The server's one error map: unknown URLs, and failures of ours.

use std::io::Write;
use std::sync::{Arc, Mutex};

use owums_core::test_support::TestDb;
use poem::http::StatusCode;

use crate::pages::{Browser, config};
use crate::support::{Backend, db_test};

db_test!(
    unknown_urls_answer_a_translated_page_or_the_json_envelope,
    |db| {
        let mut b = Browser::new(&db, &config(&["phone"])).await;
        b.accept_language = "it".to_owned();
        let p = b.get("/no/such/page").await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);
        assert_eq!(p.lang(), "it");
        p.has("Pagina non trovata").has("/assets/style.css");
        assert!(
            p.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{:?}",
            p.headers
        );
        b.accept_language = "es".to_owned();
        let p = b.get("/account/nothing?locale=en").await;
        assert_eq!((p.status, p.lang()), (StatusCode::NOT_FOUND, "en"));
        p.has("Page not found.");
        for path in ["/api/nothing", "/api/v2/users", "/api/v1/nothing-here"] {
            let p = b.get(path).await;
            assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
            let body: serde_json::Value = serde_json::from_str(&p.body).unwrap();
            assert_eq!(body["error"]["kind"], "not_found", "{path}: {body}");
        }
        // the routes that exist still answer
        assert_eq!(b.get("/").await.status, StatusCode::OK);
        for p in [
            "/healthz",
            "/account/login",
            "/assets/style.css",
            "/api/v1/openapi.json",
        ] {
            eprintln!("{p} {}", b.get(p).await.status);
        }
        assert_eq!(b.get("/healthz").await.status, StatusCode::OK);
    }
);

/// A writer the test reads back: what the server logged.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn an_internal_error_is_one_log_line_with_its_cause_chain() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut b = Browser::new(&db, &config(&["phone"])).await;
    // the database loses a table the login page needs: a failure of ours, not the user's
    db.exec("DROP TABLE owums_sessions").await.unwrap();
    let p = b.get("/account/login?locale=it").await;
    assert_eq!(p.status, StatusCode::INTERNAL_SERVER_ERROR);
    p.has("Si è verificato un errore interno");
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let errors: Vec<&str> = text.lines().filter(|l| l.contains("ERROR")).collect();
    assert_eq!(errors.len(), 1, "one error line:\n{text}");
    assert!(
        errors[0].contains("request failed") && errors[0].contains("owums_sessions"),
        "the line names the cause: {}",
        errors[0]
    );
    assert!(
        !p.body.contains("owums_sessions"),
        "the cause stays in the log"
    );
}
