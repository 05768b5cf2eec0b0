//! REST accounting load against a running `owums serve`, as FreeRADIUS' rlm_rest sends it:
//! several clients, each sending sessions (Start, Interim-Update, Stop, unique ids) one
//! request at a time, retrying an event after a 5xx like FreeRADIUS does, and keeping
//! what was acknowledged to compare with `radacct` afterwards.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use owums_core::Store;

/// How long one request may take before the test calls it a hang.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The last acknowledged event of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Acked {
    Start,
    Interim,
    Stop,
}

/// What the clients saw.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Requests sent (retries included).
    pub(crate) sent: AtomicU64,
    /// Answered 2xx.
    pub(crate) acknowledged: AtomicU64,
    /// Answered 5xx.
    pub(crate) server_errors: AtomicU64,
    /// No answer within [`REQUEST_TIMEOUT`].
    pub(crate) timeouts: AtomicU64,
    /// No answer at all (connection refused or cut).
    pub(crate) unanswered: AtomicU64,
    /// Any other answer: status and body.
    pub(crate) other: Mutex<Vec<(u16, String)>>,
    /// Each session's last acknowledged event and the session time it carried.
    pub(crate) acked: Mutex<BTreeMap<String, (Acked, u64)>>,
}

/// The answer to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Status(u16),
    TimedOut,
    Unanswered,
}

/// An accounting client of one `owums serve`.
#[derive(Debug, Clone)]
pub(crate) struct AcctClient {
    http: reqwest::Client,
    url: String,
    token: String,
    pub(crate) tally: Arc<Tally>,
}

impl AcctClient {
    pub(crate) fn new(addr: &str, token: &str, tally: Arc<Tally>) -> AcctClient {
        AcctClient {
            http: reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .build()
                .expect("HTTP client"),
            url: format!("http://{addr}/api/v1/freeradius/accounting/"),
            token: token.to_owned(),
            tally,
        }
    }

    /// Sends one event of session `uid` of user `user`; counts and records the answer.
    pub(crate) async fn send(&self, user: &str, uid: &str, event: Acked, time: u64) -> Answer {
        let status = match event {
            Acked::Start => "Start",
            Acked::Interim => "Interim-Update",
            Acked::Stop => "Stop",
        };
        let body = serde_json::json!({
            "status_type": status, "session_id": uid, "unique_id": uid, "username": user,
            "nas_ip_address": "192.0.2.7", "nas_port_id": "1",
            "session_time": time.to_string(), "input_octets": (time * 1000).to_string(),
            "output_octets": (time * 3000).to_string(),
            "calling_station_id": "AA-BB-CC-DD-EE-FF", "called_station_id": "11-22-33-44-55-66:ap",
        });
        let t = &self.tally;
        t.sent.fetch_add(1, Ordering::SeqCst);
        let answer = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await;
        let response = match answer {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                t.timeouts.fetch_add(1, Ordering::SeqCst);
                return Answer::TimedOut;
            }
            Err(_) => {
                t.unanswered.fetch_add(1, Ordering::SeqCst);
                return Answer::Unanswered;
            }
        };
        let code = response.status().as_u16();
        match code {
            200..=299 => {
                t.acknowledged.fetch_add(1, Ordering::SeqCst);
                t.acked
                    .lock()
                    .expect("lock")
                    .insert(uid.to_owned(), (event, time));
            }
            500..=599 => {
                t.server_errors.fetch_add(1, Ordering::SeqCst);
            }
            _ => {
                let text = response.text().await.unwrap_or_default();
                t.other.lock().expect("lock").push((code, text));
            }
        }
        Answer::Status(code)
    }

    /// Client `n`: sessions `u{n}-{k}` of user `load{n}` until `enough` is set (and at least
    /// `min` sessions, at most `max`), each event retried after a 5xx every 100 ms (at
    /// most 600 times). Stops at the first request without an answer (the server died);
    /// gives up on a timeout or an unexpected status. Answers the sessions begun.
    pub(crate) async fn run(
        self,
        n: usize,
        min: usize,
        max: usize,
        enough: Arc<AtomicBool>,
    ) -> usize {
        let user = format!("load{n}");
        for k in 0..max {
            if k >= min && enough.load(Ordering::SeqCst) {
                return k;
            }
            let uid = format!("u{n}-{k}");
            for (event, time) in [(Acked::Start, 0), (Acked::Interim, 60), (Acked::Stop, 90)] {
                let mut tries = 0;
                loop {
                    match self.send(&user, &uid, event, time).await {
                        Answer::Status(200..=299) => break,
                        Answer::Status(500..=599) if tries < 600 => {
                            tries += 1;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        _ => return k + 1,
                    }
                }
            }
        }
        max
    }
}

/// What `radacct` holds compared with what was acknowledged.
#[derive(Debug, Default)]
pub(crate) struct Audit {
    /// Rows of the load's users.
    pub(crate) rows: usize,
    /// Rows beyond the first of a unique id.
    pub(crate) duplicates: usize,
    /// Acknowledged events not in `radacct` (no row, or a row not showing the event).
    pub(crate) lost: Vec<String>,
}

/// Compares `radacct` of users `load0..load{clients}` with `tally`'s acknowledged events.
/// The user of the requests a test sends besides the clients' (probes of an outage): a
/// Start of a client's user would close that client's open session as stale.
pub(crate) const PROBE_USER: &str = "prober";

pub(crate) async fn audit(store: &Store, clients: usize, tally: &Tally) -> Audit {
    let mut rows: BTreeMap<String, Vec<owums_core::storage::RadAcctRecord>> = BTreeMap::new();
    let users = (0..clients)
        .map(|n| format!("load{n}"))
        .chain([PROBE_USER.to_owned()]);
    for user in users {
        for row in store.radacct_for_user(&user).await.expect("radacct") {
            rows.entry(row.acctuniqueid.clone()).or_default().push(row);
        }
    }
    let mut audit = Audit {
        rows: rows.values().map(Vec::len).sum(),
        duplicates: rows.values().map(|r| r.len() - 1).sum(),
        lost: Vec::new(),
    };
    for (uid, (event, time)) in tally.acked.lock().expect("lock").iter() {
        let Some(row) = rows.get(uid).and_then(|r| r.first()) else {
            audit
                .lost
                .push(format!("{uid}: {event:?} acknowledged, no row"));
            continue;
        };
        let seen = match event {
            Acked::Start => true,
            Acked::Interim => row.acctsessiontime.is_some_and(|t| t >= *time as i64),
            Acked::Stop => row.acctstoptime.is_some() && row.acctsessiontime == Some(*time as i64),
        };
        if !seen {
            audit
                .lost
                .push(format!("{uid}: {event:?} acknowledged, row {row:?}"));
        }
    }
    audit
}
