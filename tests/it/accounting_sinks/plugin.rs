//! A sink a plugin registered, configured in `[accounting] sinks` by its id with its own
//! settings; unknown kinds and bad settings stop `owums check-config`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use owums_core::config::SinkConfig;
use owums_core::plugin::{AccountingSinkFactory, PluginRegistrar, sink_setting_error};
use owums_core::{AccountingEvent, AccountingSink, Result};
use serde_json::json;

use crate::freeradius_rest::{acct_body, client_with, config, post};
use crate::support::cli::owums;
use crate::support::db_test;

/// What the test sink saw: `(its tag setting, status, unique id)`.
type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

struct Recorder {
    tag: String,
    seen: Seen,
}

#[owums_core::async_trait]
impl AccountingSink for Recorder {
    async fn record(&self, e: &AccountingEvent) -> Result<()> {
        let status = serde_json::to_value(e.status).unwrap();
        self.seen.lock().unwrap().push((
            self.tag.clone(),
            status.as_str().unwrap().to_owned(),
            e.unique_id.clone(),
        ));
        Ok(())
    }
}

/// `{ kind = "recorder", tag = "…" }`: a plugin's sink factory with a required setting.
struct RecorderFactory {
    seen: Seen,
}

impl RecorderFactory {
    fn tag(settings: &serde_json::Value) -> Result<String> {
        match settings.get("tag").and_then(|t| t.as_str()) {
            Some(t) if !t.is_empty() => Ok(t.to_owned()),
            _ => Err(sink_setting_error("tag", "must be a non-empty string")),
        }
    }
}

impl AccountingSinkFactory for RecorderFactory {
    fn id(&self) -> &'static str {
        "recorder"
    }
    fn build(&self, config: serde_json::Value) -> Result<Arc<dyn AccountingSink>> {
        Ok(Arc::new(Recorder {
            tag: Self::tag(&config)?,
            seen: self.seen.clone(),
        }))
    }
    fn check(&self, settings: serde_json::Value) -> Result<()> {
        Self::tag(&settings).map(|_| ())
    }
}

db_test!(
    accounting_sink_from_a_plugin_factory_receives_events,
    |db| {
        let seen = Seen::default();
        let mut registry = owums_server::plugins::registry();
        registry.register_accounting_sink(Box::new(RecorderFactory { seen: seen.clone() }));
        let mut c = config(&db);
        c.accounting.sinks = vec![SinkConfig::new("recorder", json!({ "tag": "billing" }))];

        // the factory checks its own setting, named by the entry
        let mut bad = c.clone();
        bad.accounting.sinks[0] = SinkConfig::new("recorder", json!({ "tag": "" }));
        let err = registry
            .check_sinks(&bad.accounting)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("accounting.sinks[0].tag: must be a non-empty string"),
            "{err}"
        );

        let cli = client_with(&c, &db, "127.0.0.1", &registry);
        let mut interim = acct_body("Interim-Update", "p1", "mario");
        interim["session_time"] = json!("10");
        let mut stop = acct_body("Stop", "p1", "mario");
        stop["session_time"] = json!("20");
        for body in [acct_body("Start", "p1", "mario"), interim, stop] {
            let (status, text) = post(&cli, "accounting", &body).await;
            assert!(status.is_success(), "{status}: {text}");
        }

        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if seen.lock().unwrap().len() >= 3 {
                break;
            }
            assert!(Instant::now() < deadline, "{:?}", seen.lock().unwrap());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let got = seen.lock().unwrap().clone();
        let want: Vec<_> = ["Start", "Interim-Update", "Stop"]
            .iter()
            .map(|s| ("billing".to_owned(), (*s).to_owned(), "p1".to_owned()))
            .collect();
        assert_eq!(got, want);
        let row = db.store.radacct_by_unique_id("p1").await.unwrap().unwrap();
        assert_eq!(row.acctsessiontime, Some(20));
    }
);

#[test]
fn check_config_refuses_an_unknown_sink_kind_and_names_a_bad_webhook_url() {
    let dir = tempfile::tempdir().unwrap();
    let write = |sinks: &str| {
        std::fs::write(
            dir.path().join("owums.toml"),
            format!("[accounting]\nsinks = {sinks}\n"),
        )
        .unwrap();
    };

    write(r#"[{ kind = "kafka", topic = "acct" }]"#);
    let r = owums(dir.path(), "sqlite://owums.db", &["check-config"], "");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "accounting.sinks[0].kind: unknown sink kind `kafka`; known kinds: json_lines, webhook"
        ),
        "{}",
        r.stderr
    );

    write(
        r#"[{ kind = "json_lines", path = "acct.jsonl" },
           { kind = "webhook", url = "ftp://billing.example/in" }]"#,
    );
    let r = owums(dir.path(), "sqlite://owums.db", &["check-config"], "");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("accounting.sinks[1].url: `ftp://billing.example/in` is not an http(s) URL"),
        "{}",
        r.stderr
    );

    // a good webhook passes, and its secret is not shown
    write(
        r#"[{ kind = "webhook", url = "https://billing.example/in", secret = "Tulip-Harbor-93" }]"#,
    );
    let r = owums(dir.path(), "sqlite://owums.db", &["check-config"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("https://billing.example/in"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("Tulip-Harbor-93"), "{}", r.stdout);
    assert!(!dir.path().join("owums.db").exists());
}
