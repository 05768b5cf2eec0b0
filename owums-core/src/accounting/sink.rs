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

use crate::accounting::{AccountingEvent, AccountingSink};
use crate::config::{AccountingConfig, SinkConfig};
use crate::error::{Error, Result};

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
/// dropped with a warning.
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
        RetryingSink {
            shared: Arc::new(Shared {
                name: name.to_owned(),
                inner,
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

fn front(shared: &Shared) -> Option<AccountingEvent> {
    shared.queue.lock().ok().and_then(|q| q.front().cloned())
}

async fn deliver(shared: Arc<Shared>) {
    let mut backoff = Duration::from_millis(100);
    let mut failing = false;
    loop {
        let Some(event) = front(&shared) else {
            if shared.closed.load(Ordering::Relaxed) {
                return;
            }
            shared.wake.notified().await;
            continue;
        };
        match shared.inner.record(&event).await {
            Ok(()) => {
                if let Ok(mut q) = shared.queue.lock()
                    && q.front() == Some(&event)
                {
                    q.pop_front();
                }
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
                tracing::warn!(sink = %shared.name, error = %e, retry_in = ?backoff, "accounting sink failed; will retry");
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

    /// `primary` with the secondaries `config` lists.
    pub fn from_config(primary: Arc<dyn AccountingSink>, config: &AccountingConfig) -> Self {
        let backoff = Duration::from_secs(config.max_backoff_seconds.max(1));
        let secondaries = config
            .sinks
            .iter()
            .map(|s| match s {
                SinkConfig::JsonLines { path } => RetryingSink::new(
                    &format!("json_lines:{path}"),
                    Arc::new(JsonLinesSink::new(path)),
                    config.queue_size,
                    backoff,
                ),
            })
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

    #[tokio::test]
    async fn pipeline_fails_when_the_primary_fails() {
        let p = AccountingPipeline::new(Arc::new(Down), Vec::new());
        let e = AccountingEvent::new(AcctStatus::Start, "a", "a", "u", "10.0.0.1");
        assert!(p.record(&e).await.is_err());
    }
}
