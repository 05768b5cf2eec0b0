//! Accounting sinks beyond `radacct`, and their composition: the SQL sink is always the
//! primary — its write decides the answer to the NAS — and secondary sinks get each event
//! afterwards through a bounded queue with retries, so a failing secondary never loses or
//! delays the primary write.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::accounting::{AccountingEvent, AccountingSink, Batching};
use crate::config::AccountingConfig;
use crate::error::{Error, Result};
use crate::plugin::{AccountingSinkFactory, ConfiguredSink, PluginRegistrar, sink_setting_error};

/// The kinds [`register_builtin_sinks`] registers (`webhook` only with the `server` feature).
pub const BUILTIN_SINK_KINDS: &[&str] = &["json_lines", "webhook"];

/// Registers the built-in accounting sink kinds, `json_lines` and (with the `server`
/// feature) `webhook`, as [`AccountingSinkFactory`]s: `[accounting] sinks` resolves every
/// kind through the registry, theirs included.
/// [`PluginRegistry::new`](crate::PluginRegistry::new) calls it, before the plugins
/// register theirs (a plugin registering the same id replaces the built-in kind).
pub fn register_builtin_sinks(registrar: &mut dyn PluginRegistrar) {
    registrar.register_accounting_sink(Box::new(JsonLinesFactory));
    #[cfg(feature = "server")]
    registrar.register_accounting_sink(Box::new(crate::accounting::webhook::WebhookFactory));
}

/// `{ kind = "json_lines", path = "…" }`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonLinesSettings {
    path: String,
}

struct JsonLinesFactory;

impl JsonLinesFactory {
    fn settings(settings: serde_json::Value) -> Result<JsonLinesSettings> {
        let s: JsonLinesSettings = serde_json::from_value(settings)
            .map_err(|e| Error::Config(format!("json_lines sink: {e}")))?;
        if s.path.trim().is_empty() {
            return Err(sink_setting_error("path", "a json_lines sink needs a path"));
        }
        Ok(s)
    }
}

impl AccountingSinkFactory for JsonLinesFactory {
    fn id(&self) -> &'static str {
        "json_lines"
    }
    fn build(&self, config: serde_json::Value) -> Result<Arc<dyn AccountingSink>> {
        Ok(Arc::new(JsonLinesSink::new(Self::settings(config)?.path)))
    }
    fn check(&self, settings: serde_json::Value) -> Result<()> {
        Self::settings(settings).map(|_| ())
    }
}

/// Appends each event as one JSON object per line to a file (created if missing).
#[derive(Debug)]
pub struct JsonLinesSink {
    path: PathBuf,
    lock: tokio::sync::Mutex<()>,
}

impl JsonLinesSink {
    /// A sink appending to `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JsonLinesSink {
            path: path.into(),
            lock: tokio::sync::Mutex::new(()),
        }
    }
}

#[async_trait::async_trait]
impl AccountingSink for JsonLinesSink {
    async fn record(&self, event: &AccountingEvent) -> Result<()> {
        let mut line =
            serde_json::to_vec(event).map_err(|e| Error::Internal(format!("json: {e}")))?;
        line.push(b'\n');
        let failed = |e: std::io::Error| {
            Error::storage(format!("appending to {}: {e}", self.path.display()))
        };
        let _guard = self.lock.lock().await;
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await
            .map_err(failed)?;
        file.write_all(&line).await.map_err(failed)?;
        file.flush().await.map_err(failed)
    }
}

struct Shared {
    name: String,
    inner: Arc<dyn AccountingSink>,
    batching: Batching,
    queue: Mutex<VecDeque<AccountingEvent>>,
    wake: tokio::sync::Notify,
    capacity: usize,
    max_backoff: Duration,
    dropped: AtomicU64,
    closed: AtomicBool,
}

/// A secondary sink behind a bounded queue: [`record`](AccountingSink::record) only
/// enqueues; a background task delivers events in order and retries a failing sink with
/// exponential backoff (up to `max_backoff`). When the queue is full the oldest event is
/// dropped with a warning. A sink that takes batches ([`AccountingSink::batching`]) is
/// given up to its `max_events` at once, after waiting up to its `wait` for them; a
/// failed batch is offered again whole.
pub struct RetryingSink {
    shared: Arc<Shared>,
    worker: OnceLock<()>,
}

impl std::fmt::Debug for RetryingSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryingSink")
            .field("name", &self.shared.name)
            .field("pending", &self.pending())
            .finish_non_exhaustive()
    }
}

impl RetryingSink {
    /// Wraps `inner`, holding at most `capacity` undelivered events.
    pub fn new(
        name: &str,
        inner: Arc<dyn AccountingSink>,
        capacity: usize,
        max_backoff: Duration,
    ) -> Self {
        let batching = inner.batching();
        RetryingSink {
            shared: Arc::new(Shared {
                name: name.to_owned(),
                inner,
                batching: Batching {
                    max_events: batching.max_events.max(1),
                    wait: batching.wait,
                },
                queue: Mutex::new(VecDeque::new()),
                wake: tokio::sync::Notify::new(),
                capacity: capacity.max(1),
                max_backoff: max_backoff.max(Duration::from_millis(100)),
                dropped: AtomicU64::new(0),
                closed: AtomicBool::new(false),
            }),
            worker: OnceLock::new(),
        }
    }

    /// Events waiting for delivery.
    pub fn pending(&self) -> usize {
        self.shared.queue.lock().map_or(0, |q| q.len())
    }

    /// Events dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for RetryingSink {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Relaxed);
        self.shared.wake.notify_one();
    }
}

fn waiting(shared: &Shared) -> usize {
    shared.queue.lock().map_or(0, |q| q.len())
}

/// The oldest events, at most one batch of them.
fn front(shared: &Shared) -> Vec<AccountingEvent> {
    shared.queue.lock().map_or_else(
        |_| Vec::new(),
        |q| q.iter().take(shared.batching.max_events).cloned().collect(),
    )
}

/// Takes `delivered` off the front of the queue (those the full queue dropped meanwhile
/// are gone already).
fn pop_delivered(shared: &Shared, delivered: &[AccountingEvent]) {
    if let Ok(mut q) = shared.queue.lock() {
        for e in delivered {
            if q.front() == Some(e) {
                q.pop_front();
            }
        }
    }
}

/// Waits up to the sink's batch wait for a full batch to be queued.
async fn fill_batch(shared: &Shared) {
    let Batching { max_events, wait } = shared.batching;
    if max_events <= 1 || wait.is_zero() {
        return;
    }
    let deadline = tokio::time::Instant::now() + wait;
    while waiting(shared) < max_events && !shared.closed.load(Ordering::Relaxed) {
        if tokio::time::timeout_at(deadline, shared.wake.notified())
            .await
            .is_err()
        {
            return;
        }
    }
}

async fn deliver(shared: Arc<Shared>) {
    let mut backoff = Duration::from_millis(100);
    let mut failing = false;
    loop {
        if waiting(&shared) == 0 {
            if shared.closed.load(Ordering::Relaxed) {
                return;
            }
            shared.wake.notified().await;
            continue;
        }
        if !failing {
            fill_batch(&shared).await;
        }
        let batch = front(&shared);
        let result = match batch.as_slice() {
            [] => continue,
            [one] => shared.inner.record(one).await,
            many => shared.inner.record_batch(many).await,
        };
        match result {
            Ok(()) => {
                pop_delivered(&shared, &batch);
                if failing {
                    tracing::info!(sink = %shared.name, "accounting sink recovered");
                    failing = false;
                }
                backoff = Duration::from_millis(100);
            }
            Err(e) => {
                if shared.closed.load(Ordering::Relaxed) {
                    return;
                }
                tracing::warn!(sink = %shared.name, error = %e, events = batch.len(), retry_in = ?backoff, "accounting sink failed; will retry");
                failing = true;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(shared.max_backoff);
            }
        }
    }
}

#[async_trait::async_trait]
impl AccountingSink for RetryingSink {
    async fn record(&self, event: &AccountingEvent) -> Result<()> {
        self.worker.get_or_init(|| {
            tokio::spawn(deliver(self.shared.clone()));
        });
        let s = &self.shared;
        if let Ok(mut q) = s.queue.lock() {
            if q.len() >= s.capacity {
                q.pop_front();
                let n = s.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(sink = %s.name, dropped = n, "accounting sink queue full: oldest event dropped");
            }
            q.push_back(event.clone());
        }
        s.wake.notify_one();
        Ok(())
    }
}

/// The primary sink plus queued secondaries: an event counts as recorded when the
/// primary has it; secondaries catch up in the background.
pub struct AccountingPipeline {
    primary: Arc<dyn AccountingSink>,
    secondaries: Vec<RetryingSink>,
}

impl std::fmt::Debug for AccountingPipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountingPipeline")
            .field("secondaries", &self.secondaries)
            .finish_non_exhaustive()
    }
}

impl AccountingPipeline {
    /// `primary` with the given secondaries.
    pub fn new(primary: Arc<dyn AccountingSink>, secondaries: Vec<RetryingSink>) -> Self {
        AccountingPipeline {
            primary,
            secondaries,
        }
    }

    /// `primary` with the secondaries built from `[accounting] sinks`
    /// ([`PluginRegistry::build_sinks`](crate::PluginRegistry::build_sinks)), each behind
    /// a [`RetryingSink`] holding up to `queue_size` events and retrying up to
    /// `max_backoff_seconds` apart.
    pub fn with_sinks(
        primary: Arc<dyn AccountingSink>,
        sinks: &[ConfiguredSink],
        config: &AccountingConfig,
    ) -> Self {
        let backoff = Duration::from_secs(config.max_backoff_seconds.max(1));
        let secondaries = sinks
            .iter()
            .map(|s| RetryingSink::new(&s.name, s.sink.clone(), config.queue_size, backoff))
            .collect();
        AccountingPipeline::new(primary, secondaries)
    }

    /// The secondaries, in configuration order.
    pub fn secondaries(&self) -> &[RetryingSink] {
        &self.secondaries
    }
}

#[async_trait::async_trait]
impl AccountingSink for AccountingPipeline {
    async fn record(&self, event: &AccountingEvent) -> Result<()> {
        self.primary.record(event).await?;
        for s in &self.secondaries {
            s.record(event).await?;
        }
        Ok(())
    }
    async fn flush(&self) -> Result<()> {
        self.primary.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounting::AcctStatus;

    struct Down;

    #[async_trait::async_trait]
    impl AccountingSink for Down {
        async fn record(&self, _: &AccountingEvent) -> Result<()> {
            Err(Error::storage("down".to_owned()))
        }
    }

    #[tokio::test]
    async fn full_queue_drops_the_oldest_and_never_blocks() {
        let sink = RetryingSink::new("down", Arc::new(Down), 2, Duration::from_secs(60));
        for id in ["a", "b", "c"] {
            let e = AccountingEvent::new(AcctStatus::Start, id, id, "u", "10.0.0.1");
            sink.record(&e).await.unwrap();
        }
        assert_eq!(sink.pending(), 2);
        assert_eq!(sink.dropped(), 1);
    }

    /// Takes batches of up to 2; fails its first `fail` calls.
    #[derive(Default)]
    struct Batches {
        fail: Mutex<usize>,
        got: Mutex<Vec<Vec<String>>>,
    }

    #[async_trait::async_trait]
    impl AccountingSink for Batches {
        async fn record(&self, e: &AccountingEvent) -> Result<()> {
            self.record_batch(std::slice::from_ref(e)).await
        }
        fn batching(&self) -> Batching {
            Batching {
                max_events: 2,
                wait: Duration::from_millis(20),
            }
        }
        async fn record_batch(&self, events: &[AccountingEvent]) -> Result<()> {
            let ids = events.iter().map(|e| e.unique_id.clone()).collect();
            self.got.lock().unwrap().push(ids);
            let mut fail = self.fail.lock().unwrap();
            if *fail > 0 {
                *fail -= 1;
                return Err(Error::storage("down".to_owned()));
            }
            Ok(())
        }
    }

    #[tokio::test]
    async fn batches_are_retried_whole_and_delivered_in_order() {
        let inner = Arc::new(Batches {
            fail: Mutex::new(2),
            ..Batches::default()
        });
        let sink = RetryingSink::new("b", inner.clone(), 100, Duration::from_millis(100));
        for id in ["a", "b", "c", "d", "e"] {
            let e = AccountingEvent::new(AcctStatus::Start, id, id, "u", "10.0.0.1");
            sink.record(&e).await.unwrap();
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while sink.pending() > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "still {} pending",
                sink.pending()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let got = inner.got.lock().unwrap().clone();
        assert!(got.iter().all(|b| (1..=2).contains(&b.len())), "{got:?}");
        // the two failed tries offered the same batch as the delivery after them
        assert_eq!(got[0], got[1]);
        assert_eq!(got[1], got[2]);
        let delivered: Vec<String> = got[2..].concat();
        assert_eq!(delivered, ["a", "b", "c", "d", "e"]);
    }

    #[tokio::test]
    async fn pipeline_fails_when_the_primary_fails() {
        let p = AccountingPipeline::new(Arc::new(Down), Vec::new());
        let e = AccountingEvent::new(AcctStatus::Start, "a", "a", "u", "10.0.0.1");
        assert!(p.record(&e).await.is_err());
    }
}
