//! The `webhook` accounting sink: batches of events POSTed as JSON to an HTTP(S) URL,
//! optionally signed with HMAC-SHA256.
//!
//! Body: `{"events": [<event>, …]}`, each event as the `json_lines` sink writes it plus an
//! `"id"` ([`event_id`]: the same for the same event on every retry, so a receiver drops
//! a batch it already took by its ids). With a `secret`, the header
//! `X-Owums-Signature: sha256=<hex HMAC-SHA256 of the body under the secret>` signs it. Any
//! 2xx answer delivers the batch; anything else (or no answer within `timeout_ms`) is
//! retried whole by the pipeline's queue ([`RetryingSink`](crate::accounting::RetryingSink)).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::accounting::{AccountingEvent, AccountingSink, Batching};
use crate::config::redact_url;
use crate::error::{Error, Result};
use crate::plugin::{AccountingSinkFactory, sink_setting_error};

/// The header carrying the body's signature when a `secret` is set.
pub const SIGNATURE_HEADER: &str = "X-Owums-Signature";

/// The settings of `{ kind = "webhook", … }`. Its `Debug` masks the secret.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Where batches are POSTed (`http://` or `https://`).
    pub url: String,
    /// Signs each body with HMAC-SHA256 (the `X-Owums-Signature` header); empty: unsigned.
    pub secret: String,
    /// The most events in one POST.
    pub batch_size: usize,
    /// How long to wait for a batch to fill before sending a smaller one, in milliseconds.
    pub batch_wait_ms: u64,
    /// How long one POST may take before it counts as failed, in milliseconds.
    pub timeout_ms: u64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            url: String::new(),
            secret: String::new(),
            batch_size: 100,
            batch_wait_ms: 1000,
            timeout_ms: 10_000,
        }
    }
}

impl fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("url", &redact_url(&self.url))
            .field(
                "secret",
                &if self.secret.is_empty() {
                    ""
                } else {
                    "********"
                },
            )
            .field("batch_size", &self.batch_size)
            .field("batch_wait_ms", &self.batch_wait_ms)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

impl WebhookSettings {
    /// Reads and checks the settings of a `webhook` entry.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the key: an unknown key, a `url` that is not an http(s)
    /// URL, a `batch_size` outside 1 to 10 000, a `timeout_ms` of 0.
    pub fn parse(settings: serde_json::Value) -> Result<WebhookSettings> {
        let s: WebhookSettings = serde_json::from_value(settings)
            .map_err(|e| Error::Config(format!("webhook sink: {e}")))?;
        match reqwest::Url::parse(&s.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ if s.url.is_empty() => {
                return Err(sink_setting_error("url", "a webhook sink needs a url"));
            }
            _ => {
                return Err(sink_setting_error(
                    "url",
                    format!("`{}` is not an http(s) URL", redact_url(&s.url)),
                ));
            }
        }
        if !(1..=10_000).contains(&s.batch_size) {
            return Err(sink_setting_error("batch_size", "must be 1 to 10000"));
        }
        if s.timeout_ms == 0 {
            return Err(sink_setting_error("timeout_ms", "must be at least 1"));
        }
        Ok(s)
    }
}

/// The id the webhook sends with an event: 32 hex digits of the SHA-256 of the event as
/// JSON. Stable across retries and restarts, so a receiver can drop an event it already has.
pub fn event_id(event: &AccountingEvent) -> String {
    let json = serde_json::to_vec(event).unwrap_or_default();
    let digest = Sha256::digest(&json);
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// POSTs batches of accounting events to a URL: the `webhook` kind of `[accounting] sinks`.
///
/// Body: `{"events": [<event>, …]}`, each event as the `json_lines` sink writes it plus an
/// `"id"` ([`event_id`]). With a `secret`, the header [`SIGNATURE_HEADER`] carries
/// `sha256=<hex HMAC-SHA256 of the body under the secret>`. Any 2xx answer delivers the
/// batch; anything else, or no answer within `timeout_ms`, is an error, and the pipeline's
/// queue ([`RetryingSink`](crate::accounting::RetryingSink)) offers the same batch again
/// after a backoff. It asks for batches of `batch_size`, waiting up to `batch_wait_ms` for
/// them to fill ([`AccountingSink::batching`]).
pub struct WebhookSink {
    settings: WebhookSettings,
    client: reqwest::Client,
}

impl fmt::Debug for WebhookSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSink")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl WebhookSink {
    /// A sink for checked `settings`.
    ///
    /// # Errors
    ///
    /// The HTTP client cannot be made (no TLS roots).
    pub fn new(settings: WebhookSettings) -> Result<WebhookSink> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Internal(format!("webhook sink: HTTP client: {e}")))?;
        Ok(WebhookSink { settings, client })
    }

    /// The body for `events`: `{"events": [...]}`, each with its `id`.
    fn body(events: &[AccountingEvent]) -> Result<Vec<u8>> {
        let list = events
            .iter()
            .map(|e| {
                let mut v = serde_json::to_value(e)?;
                if let serde_json::Value::Object(m) = &mut v {
                    m.insert("id".to_owned(), event_id(e).into());
                }
                Ok(v)
            })
            .collect::<serde_json::Result<Vec<_>>>()
            .map_err(|e| Error::Internal(format!("json: {e}")))?;
        serde_json::to_vec(&serde_json::json!({ "events": list }))
            .map_err(|e| Error::Internal(format!("json: {e}")))
    }

    fn signature(&self, body: &[u8]) -> Option<String> {
        if self.settings.secret.is_empty() {
            return None;
        }
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.settings.secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(body);
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Some(format!("sha256={hex}"))
    }
}

#[async_trait::async_trait]
impl AccountingSink for WebhookSink {
    async fn record(&self, event: &AccountingEvent) -> Result<()> {
        self.record_batch(std::slice::from_ref(event)).await
    }

    fn batching(&self) -> Batching {
        Batching {
            max_events: self.settings.batch_size,
            wait: Duration::from_millis(self.settings.batch_wait_ms),
        }
    }

    async fn record_batch(&self, events: &[AccountingEvent]) -> Result<()> {
        let body = Self::body(events)?;
        let mut req = self
            .client
            .post(&self.settings.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if let Some(sig) = self.signature(&body) {
            req = req.header(SIGNATURE_HEADER, sig);
        }
        let url = redact_url(&self.settings.url);
        // reqwest's error names the URL; without its password
        let resp = req
            .body(body)
            .send()
            .await
            .map_err(|e| Error::storage(format!("webhook {url}: {}", e.without_url())))?;
        let status = resp.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(Error::storage(format!("webhook {url}: answered {status}")))
        }
    }
}

/// `{ kind = "webhook", url = "…", … }`.
pub(crate) struct WebhookFactory;

impl AccountingSinkFactory for WebhookFactory {
    fn id(&self) -> &'static str {
        "webhook"
    }
    fn build(&self, config: serde_json::Value) -> Result<Arc<dyn AccountingSink>> {
        Ok(Arc::new(WebhookSink::new(WebhookSettings::parse(config)?)?))
    }
    fn check(&self, settings: serde_json::Value) -> Result<()> {
        WebhookSettings::parse(settings).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounting::AcctStatus;
    use serde_json::json;

    #[test]
    fn settings_are_checked_by_key_and_the_secret_is_never_shown() {
        let err = |v| WebhookSettings::parse(v).unwrap_err().to_string();
        assert!(err(json!({})).contains("url: a webhook sink needs a url"));
        assert!(
            err(json!({ "url": "ftp://x/" })).contains("url: `ftp://x/` is not an http(s) URL")
        );
        assert!(err(json!({ "url": "http://x/", "batch_size": 0 })).contains("batch_size:"));
        assert!(err(json!({ "url": "http://x/", "nope": 1 })).contains("unknown field `nope`"));
        let s =
            WebhookSettings::parse(json!({ "url": "https://h/in", "secret": "Tulip-Harbor-93" }))
                .unwrap();
        assert!(!format!("{s:?}").contains("Tulip"));
        let sink = WebhookSink::new(s).unwrap();
        assert!(!format!("{sink:?}").contains("Tulip"));
    }

    /// `owums.example.toml` shows a webhook entry with every setting at its default.
    #[test]
    fn example_file_lists_every_webhook_setting_with_its_default() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../owums.example.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let entry = text
            .lines()
            .find_map(|l| l.trim_start().strip_prefix("#   { kind = \"webhook\""))
            .expect("a commented webhook example");
        let table: toml::Table = toml::from_str(&format!(
            "e = {{ kind = \"webhook\"{}",
            entry.trim_end_matches(',')
        ))
        .unwrap();
        let mut entry = table["e"].as_table().unwrap().clone();
        entry.remove("kind");
        let mut keys: Vec<_> = entry.keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["batch_size", "batch_wait_ms", "secret", "timeout_ms", "url"]
        );
        let shown = WebhookSettings::parse(serde_json::to_value(&entry).unwrap()).unwrap();
        let d = WebhookSettings::default();
        assert_eq!(
            (
                shown.secret,
                shown.batch_size,
                shown.batch_wait_ms,
                shown.timeout_ms
            ),
            (d.secret, d.batch_size, d.batch_wait_ms, d.timeout_ms)
        );
    }

    #[test]
    fn body_carries_a_stable_id_per_event_and_is_signed() {
        let a = AccountingEvent::new(AcctStatus::Start, "u1", "s1", "alice", "10.0.0.1");
        let b = AccountingEvent::new(AcctStatus::Stop, "u1", "s1", "alice", "10.0.0.1");
        let body: serde_json::Value =
            serde_json::from_slice(&WebhookSink::body(&[a.clone(), b.clone()]).unwrap()).unwrap();
        assert_eq!(body["events"][0]["id"], event_id(&a));
        assert_eq!(body["events"][1]["status"], "Stop");
        assert_ne!(event_id(&a), event_id(&b));
        assert_eq!(event_id(&a), event_id(&a.clone()));
        let s = WebhookSettings::parse(json!({ "url": "http://h/", "secret": "k" })).unwrap();
        let sig = WebhookSink::new(s).unwrap().signature(b"{}").unwrap();
        // HMAC-SHA256("k", "{}")
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"k").unwrap();
        mac.update(b"{}");
        let want: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(sig, format!("sha256={want}"));
    }
}
