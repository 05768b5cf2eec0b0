//! Secondary accounting sinks from `[accounting] sinks`: the `radacct` write never waits
//! for them, and a failing one catches up once it recovers; sinks of a plugin's factory and
//! the webhook sink (`webhook.rs`).

mod plugin;
mod webhook;

use std::time::{Duration, Instant};

use owums_core::config::SinkConfig;
use poem::http::StatusCode;

use crate::freeradius_rest::{acct_body, client, config, post};
use crate::support::db_test;

/// The lines of `path` once it has `n` of them (polled; the sink delivers in the background).
async fn lines(path: &std::path::Path, n: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if lines.len() >= n {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "{} has {} lines, not {n}",
            path.display(),
            lines.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

db_test!(
    failing_secondary_sink_never_loses_the_primary_write_and_catches_up,
    |db| {
        let dir = tempfile::tempdir().unwrap();
        // the sink's directory does not exist yet: every write fails
        let path = dir.path().join("later").join("accounting.jsonl");
        let mut c = config(&db);
        c.accounting.sinks = vec![SinkConfig::new(
            "json_lines",
            serde_json::json!({ "path": path.display().to_string() }),
        )];
        c.accounting.max_backoff_seconds = 1;
        let cli = client(&c, &db, "127.0.0.1");

        assert_eq!(
            post(&cli, "accounting", &acct_body("Start", "u1", "mario"))
                .await
                .0,
            StatusCode::CREATED
        );
        let mut stop = acct_body("Stop", "u1", "mario");
        stop["session_time"] = serde_json::json!("30");
        assert_eq!(post(&cli, "accounting", &stop).await.0, StatusCode::OK);
        let row = db.store.radacct_by_unique_id("u1").await.unwrap().unwrap();
        assert_eq!(
            row.acctsessiontime,
            Some(30),
            "primary written while the secondary fails"
        );
        assert!(row.acctstoptime.is_some());
        assert!(!path.exists());

        std::fs::create_dir(path.parent().unwrap()).unwrap();
        let got = lines(&path, 2).await;
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0]["status"].as_str(), got[0]["unique_id"].as_str()),
            (Some("Start"), Some("u1"))
        );
        assert_eq!(
            (got[1]["status"].as_str(), got[1]["session_time"].as_u64()),
            (Some("Stop"), Some(30))
        );
        // and it keeps up afterwards
        post(&cli, "accounting", &acct_body("Start", "u2", "mario")).await;
        let got = lines(&path, 3).await;
        assert_eq!(got[2]["unique_id"], "u2");
    }
);
