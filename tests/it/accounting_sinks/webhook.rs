//! The `webhook` sink against a real HTTP receiver on loopback: batches, HMAC signatures,
//! and catching up without loss after the receiver was down.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use owums_core::config::SinkConfig;
use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener};
use poem::web::Data;
use poem::{EndpointExt, Request, Route, handler, post};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::freeradius_rest::{acct_body, client, config, post as post_acct};
use crate::support::db_test;

const SECRET: &str = "Tulip-Harbor-93";

/// What the receiver saw and how it answers.
#[derive(Default)]
struct Receiver {
    /// Answer 200 (true) or 503 (false).
    up: AtomicBool,
    /// Requests answered 503.
    refused: AtomicUsize,
    /// `(signature header, body)` of every request answered 200.
    accepted: Mutex<Vec<(String, Vec<u8>)>>,
}

#[handler]
async fn receive(req: &Request, body: poem::Body, rx: Data<&Arc<Receiver>>) -> StatusCode {
    let body = body.into_vec().await.unwrap();
    if !rx.up.load(Ordering::SeqCst) {
        rx.refused.fetch_add(1, Ordering::SeqCst);
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let sig = req
        .headers()
        .get("x-owums-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    rx.accepted.lock().unwrap().push((sig, body));
    StatusCode::OK
}

/// Starts the receiver on an OS-chosen loopback port; returns its URL.
async fn start(rx: Arc<Receiver>) -> String {
    let acceptor = poem::listener::TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
    let app = Route::new().at("/acct", post(receive)).data(rx);
    tokio::spawn(async move {
        let _ = poem::Server::new_with_acceptor(acceptor).run(app).await;
    });
    format!("http://{addr}/acct")
}

/// Polls until `done` holds (the sink delivers in the background).
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn hmac_hex(body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

db_test!(
    webhook_sink_delivers_and_catches_up_after_the_receiver_was_down,
    |db| {
        let rx = Arc::new(Receiver::default());
        let url = start(rx.clone()).await;
        let mut c = config(&db);
        c.accounting.sinks = vec![SinkConfig::new(
            "webhook",
            json!({ "url": url, "secret": SECRET, "batch_size": 2, "batch_wait_ms": 50,
                    "timeout_ms": 5000 }),
        )];
        c.accounting.max_backoff_seconds = 1;
        let cli = client(&c, &db, "127.0.0.1");

        // the receiver is down: owums still answers and writes radacct
        let mut sent = vec![
            acct_body("Start", "w1", "mario"),
            acct_body("Interim-Update", "w1", "mario"),
            acct_body("Stop", "w1", "mario"),
            acct_body("Start", "w2", "luigi"),
            acct_body("Stop", "w2", "luigi"),
        ];
        sent[1]["session_time"] = json!("10");
        sent[2]["session_time"] = json!("30");
        sent[4]["session_time"] = json!("5");
        for body in &sent {
            let (status, text) = post_acct(&cli, "accounting", body).await;
            assert!(status.is_success(), "{status}: {text}");
        }
        for (uid, time) in [("w1", 30), ("w2", 5)] {
            let row = db.store.radacct_by_unique_id(uid).await.unwrap().unwrap();
            assert_eq!(row.acctsessiontime, Some(time), "{uid}");
            assert!(row.acctstoptime.is_some(), "{uid}");
        }
        until("a refused delivery", || {
            rx.refused.load(Ordering::SeqCst) >= 2
        })
        .await;
        assert!(rx.accepted.lock().unwrap().is_empty());

        // back up: every event arrives, once
        rx.up.store(true, Ordering::SeqCst);
        let events = || -> Vec<Value> {
            rx.accepted
                .lock()
                .unwrap()
                .iter()
                .flat_map(|(_, body)| {
                    let v: Value = serde_json::from_slice(body).unwrap();
                    v["events"].as_array().unwrap().clone()
                })
                .collect()
        };
        until("all five events", || events().len() >= 5).await;
        // a little longer: nothing more may come
        tokio::time::sleep(Duration::from_millis(500)).await;
        let got = events();
        let mut by_id: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for e in &got {
            let id = e["id"].as_str().expect("every event has an id").to_owned();
            assert_eq!(id.len(), 32, "{id}");
            by_id.entry(id).or_default().push(e.clone());
        }
        assert_eq!(by_id.len(), 5, "five distinct events: {got:#?}");
        assert_eq!(
            got.len(),
            5,
            "each delivered once (no duplicate ids): {got:#?}"
        );
        let seen: Vec<(String, String)> = got
            .iter()
            .map(|e| {
                (
                    e["unique_id"].as_str().unwrap().to_owned(),
                    e["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let want: Vec<(String, String)> = [
            ("w1", "Start"),
            ("w1", "Interim-Update"),
            ("w1", "Stop"),
            ("w2", "Start"),
            ("w2", "Stop"),
        ]
        .iter()
        .map(|(u, s)| ((*u).to_owned(), (*s).to_owned()))
        .collect();
        assert_eq!(seen, want, "in order");
        assert_eq!(got[2]["session_time"], 30);
        assert_eq!(got[0]["username"], "mario");

        // batches of at most batch_size, each signed with the secret
        let accepted = rx.accepted.lock().unwrap().clone();
        for (sig, body) in &accepted {
            assert_eq!(sig, &format!("sha256={}", hmac_hex(body)));
            let n = serde_json::from_slice::<Value>(body).unwrap()["events"]
                .as_array()
                .unwrap()
                .len();
            assert!((1..=2).contains(&n), "{n} events in one POST");
        }
        assert!(
            accepted.len() < got.len(),
            "the backlog went in batches: {} POSTs for {} events",
            accepted.len(),
            got.len()
        );

        // and it keeps up afterwards
        post_acct(&cli, "accounting", &acct_body("Start", "w3", "mario")).await;
        until("the next event", || events().len() >= 6).await;
        assert_eq!(events()[5]["unique_id"], "w3");
    }
);
