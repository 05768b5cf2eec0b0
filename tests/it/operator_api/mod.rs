//! The operator API (`/api/v1/operator/…`) with operator API tokens, through poem's test
//! client on every backend: the permission matrix of its operations, what a token is worth
//! (401s, subsets, expiry, revocation, a disabled operator), what the operations do and
//! what they write to the audit log, and the console's token page.

mod matrix;
mod operations;
mod tokens;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use owums_core::operator::{NewToken, OperatorRecord, OperatorTokens, Permissions};
use owums_server::AppState;
use owums_server::ratelimit::LimitClock;
use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderMap, Method, StatusCode, header};
use poem::test::TestClient;
use poem::{EndpointExt, Response};
use serde_json::Value;

use crate::console::pages::Clock;
use crate::support::TestDb;

/// An API client whose clock the test moves; requests come from 198.51.100.20.
pub(crate) struct OpApi {
    client: TestClient<BoxEndpoint<'static, Response>>,
    pub(crate) clock: Clock,
}

/// An answer: status, headers, JSON body (`Null` when empty).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    /// Asserts the status and the error's kind; the error's message.
    pub(crate) fn expect(&self, status: StatusCode, kind: &str) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["error"]["kind"], kind, "{}", self.body);
        self.body["error"]["message"].as_str().unwrap().to_owned()
    }

    /// Asserts the status; the body.
    pub(crate) fn ok(&self, status: StatusCode) -> &Value {
        assert_eq!(self.status, status, "{}", self.body);
        &self.body
    }
}

impl OpApi {
    pub(crate) fn new(db: &TestDb) -> OpApi {
        let mut cfg = crate::pages::config(&["phone"]);
        cfg.web.trusted_proxies = vec!["127.0.0.1/32".to_owned()];
        let clock = crate::console::pages::clock_now();
        let read = clock.clone();
        let mut state =
            AppState::with_store(&cfg, db.store.clone(), &crate::pages::registry()).unwrap();
        state.limit_clock = Arc::new(move || read.now()) as LimitClock;
        OpApi {
            client: TestClient::new(owums_server::app(state).map_to_response().boxed()),
            clock,
        }
    }

    /// `method path` with `token` as the bearer, `body` as JSON, `headers` added.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = self
            .client
            .request(method, format!("/api/v1{path}"))
            .header("X-Forwarded-For", "198.51.100.20");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.content_type("application/json").body(b.to_string());
        }
        let resp = req.send().await.0;
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.into_body().into_string().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    /// `method path` with `token` and `body`.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Answer {
        self.send(method, path, Some(token), body.as_ref(), &[])
            .await
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// A token of `op` carrying `permissions`, never expiring, made at `now`.
pub(crate) async fn token_of(
    db: &TestDb,
    op: &OperatorRecord,
    permissions: Permissions,
    now: DateTime<Utc>,
) -> String {
    OperatorTokens::new(db.store.clone())
        .create(
            op,
            NewToken {
                name: "test token".into(),
                permissions,
                expires_at: None,
            },
            now,
        )
        .await
        .unwrap()
        .0
}
