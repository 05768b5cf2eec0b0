//! The bad-input corpus: tables of malformed, hostile or absurd requests sent to the server
//! on every backend. Each must be refused with a 4xx (never a 5xx) and leave the database as
//! it was; the counts of answers by status class are printed per backend (run with
//! `--no-capture` to see them).
//!
//! The harness is generic: a [`Harness`] is the app (in process, as the other server tests
//! run it) seen from one peer address on one test database; a [`Case`] is one request; a
//! [`Snapshot`] is what a list of queries returns, compared before and after each case.
//! A corpus file (`freeradius.rs`, …) builds its cases and calls [`run_corpus`].

mod freeradius;
mod subscriber;

use std::collections::BTreeMap;

use poem::Endpoint;
use poem::http::{Method, StatusCode};
use poem::test::TestClient;
use serde_json::Value;

use crate::support::{Backend, TestDb};

/// One request of a corpus.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    /// What it tries, for failure messages.
    pub(crate) label: String,
    pub(crate) method: Method,
    /// Path and query.
    pub(crate) path: String,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) content_type: &'static str,
    /// The body, as bytes (it may be invalid UTF-8 on purpose).
    pub(crate) body: Vec<u8>,
}

impl Case {
    /// A POST of `body` as JSON.
    pub(crate) fn post_json(
        label: impl Into<String>,
        path: &str,
        body: impl Into<Vec<u8>>,
    ) -> Case {
        Case {
            label: label.into(),
            method: Method::POST,
            path: path.to_owned(),
            headers: Vec::new(),
            content_type: "application/json",
            body: body.into(),
        }
    }

    /// The same case with one more header.
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Case {
        self.headers.push((name, value.into()));
        self
    }
}

/// The app under test on one backend.
pub(crate) struct Harness<E> {
    cli: TestClient<E>,
    pub(crate) db: TestDb,
}

impl<E: Endpoint> Harness<E> {
    pub(crate) fn new(cli: TestClient<E>, db: TestDb) -> Self {
        Harness { cli, db }
    }

    /// Sends `case`; the status and the body as text (lossy).
    pub(crate) async fn send(&self, case: &Case) -> (StatusCode, String) {
        let mut req = self
            .cli
            .request(case.method.clone(), &case.path)
            .content_type(case.content_type)
            .body(case.body.clone());
        for (name, value) in &case.headers {
            req = req.header(*name, value);
        }
        let resp = req.send().await;
        let status = resp.0.status();
        let bytes = resp.0.into_body().into_vec().await.unwrap_or_default();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// What `queries` return now (each query's first column `v`, as text).
    pub(crate) async fn snapshot(&self, queries: &[String]) -> Snapshot {
        let mut out = Vec::new();
        for q in queries {
            let rows = self
                .db
                .strings(q)
                .await
                .unwrap_or_else(|e| panic!("{q}: {e}"));
            out.push((q.clone(), rows));
        }
        Snapshot(out)
    }
}

/// The rows some queries returned, to compare before and after a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot(Vec<(String, Vec<String>)>);

/// The dialect's type for `CAST(x AS …)` to text.
pub(crate) fn text_type(backend: Backend) -> &'static str {
    match backend {
        Backend::Mysql => "CHAR",
        _ => "TEXT",
    }
}

/// A query for the number of rows of `table`.
pub(crate) fn count_rows(backend: Backend, table: &str) -> String {
    format!(
        "SELECT CAST(COUNT(*) AS {}) AS v FROM {table}",
        text_type(backend)
    )
}

/// `Ok` for a 4xx with the JSON error envelope `{"error": {"kind", "message"}}`.
pub(crate) fn json_refusal(status: StatusCode, body: &str) -> Result<(), String> {
    if !status.is_client_error() {
        return Err(format!("status {status}"));
    }
    let v: Value = serde_json::from_str(body).map_err(|e| format!("not JSON ({e})"))?;
    let (kind, message) = (&v["error"]["kind"], &v["error"]["message"]);
    match (kind.as_str(), message.as_str()) {
        (Some(k), Some(m)) if !k.is_empty() && !m.is_empty() => Ok(()),
        _ => Err("no {\"error\": {\"kind\", \"message\"}} envelope".to_owned()),
    }
}

/// Answers by status class ("2xx", "4xx", "5xx", …).
#[derive(Debug, Default)]
pub(crate) struct Tally(BTreeMap<String, usize>);

impl Tally {
    fn add(&mut self, status: StatusCode) {
        *self
            .0
            .entry(format!("{}xx", status.as_u16() / 100))
            .or_default() += 1;
    }

    /// How many answers were of `class` ("4xx").
    pub(crate) fn count(&self, class: &str) -> usize {
        self.0.get(class).copied().unwrap_or(0)
    }

    /// Adds the counts of `other`.
    pub(crate) fn merge(&mut self, other: &Tally) {
        for (class, n) in &other.0 {
            *self.0.entry(class.clone()).or_default() += n;
        }
    }

    /// `N requests: 4xx n, …`.
    pub(crate) fn line(&self) -> String {
        let total: usize = self.0.values().sum();
        let parts: Vec<String> = self.0.iter().map(|(c, n)| format!("{c} {n}")).collect();
        format!("{total} requests: {}", parts.join(", "))
    }
}

/// Sends every case; each answer must pass `check` (see [`json_refusal`]) and leave what
/// `watched` returns unchanged. Prints the counts by status class for `corpus` on this
/// backend, then fails listing every case that went wrong.
pub(crate) async fn run_corpus<E: Endpoint>(
    h: &Harness<E>,
    corpus: &str,
    cases: &[Case],
    watched: &[String],
    check: impl Fn(StatusCode, &str) -> Result<(), String>,
) -> Tally {
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for case in cases {
        let before = h.snapshot(watched).await;
        let (status, body) = h.send(case).await;
        tally.add(status);
        if let Err(why) = check(status, &body) {
            failures.push(format!("{}: {why}: {}", case.label, clip(&body)));
        }
        let after = h.snapshot(watched).await;
        if after != before {
            failures.push(format!(
                "{}: the database changed: {before:?} -> {after:?}",
                case.label
            ));
        }
    }
    eprintln!(
        "bad input corpus [{corpus}] on {:?}: {}",
        h.db.backend(),
        tally.line()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    tally
}

fn clip(s: &str) -> String {
    s.chars().take(300).collect()
}
