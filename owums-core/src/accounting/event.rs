//! RADIUS accounting: the [`AccountingSink`] trait, its events and composition.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// `Acct-Status-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AcctStatus {
    /// A session starts.
    Start,
    /// A periodic update of an open session.
    #[serde(rename = "Interim-Update")]
    InterimUpdate,
    /// A session ends.
    Stop,
    /// The NAS (re)booted: its open sessions are over.
    #[serde(rename = "Accounting-On")]
    AccountingOn,
    /// The NAS is shutting down: its open sessions are over.
    #[serde(rename = "Accounting-Off")]
    AccountingOff,
}

impl AcctStatus {
    /// Parses the RADIUS spelling (`Start`, `Interim-Update`, `Alive`, `Stop`, `Accounting-On`, `Accounting-Off`).
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "Start" => Ok(AcctStatus::Start),
            "Interim-Update" | "Alive" => Ok(AcctStatus::InterimUpdate),
            "Stop" => Ok(AcctStatus::Stop),
            "Accounting-On" => Ok(AcctStatus::AccountingOn),
            "Accounting-Off" => Ok(AcctStatus::AccountingOff),
            other => Err(Error::invalid(
                "Acct-Status-Type",
                format!("`{other}` is not supported"),
            )),
        }
    }
}

/// Folds a 32-bit octet counter and its gigawords into a 64-bit count.
pub fn fold_gigawords(octets: u32, gigawords: u32) -> u64 {
    (u64::from(gigawords) << 32) | u64::from(octets)
}

/// One accounting request, with counters already folded to 64 bits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountingEvent {
    /// What happened.
    pub status: AcctStatus,
    /// `Acct-Session-Id`.
    pub session_id: String,
    /// `Acct-Unique-Session-Id`: the session's natural key.
    pub unique_id: String,
    /// `User-Name`.
    pub username: String,
    /// `Realm`.
    pub realm: String,
    /// `NAS-IP-Address`.
    pub nas_ip_address: String,
    /// `NAS-Port-Id` (or `NAS-Port`).
    pub nas_port_id: String,
    /// `NAS-Port-Type`.
    pub nas_port_type: String,
    /// `Event-Timestamp` (or when the request arrived).
    pub event_time: DateTime<Utc>,
    /// `Acct-Session-Time`, seconds.
    pub session_time: Option<u64>,
    /// `Acct-Input-Octets` with gigawords: what the user uploaded.
    pub input_octets: u64,
    /// `Acct-Output-Octets` with gigawords: what the user downloaded.
    pub output_octets: u64,
    /// `Called-Station-Id` (the access point).
    pub called_station_id: String,
    /// `Calling-Station-Id` (the device MAC).
    pub calling_station_id: String,
    /// `Acct-Terminate-Cause`.
    pub terminate_cause: String,
    /// `Service-Type`.
    pub service_type: String,
    /// `Framed-Protocol`.
    pub framed_protocol: String,
    /// `Framed-IP-Address`.
    pub framed_ip_address: String,
    /// `Acct-Authentic`.
    pub authentic: String,
    /// `Connect-Info`.
    pub connect_info: String,
}

impl AccountingEvent {
    /// An event with the given status and ids, counters zero, times now, strings empty.
    pub fn new(
        status: AcctStatus,
        unique_id: &str,
        session_id: &str,
        username: &str,
        nas_ip_address: &str,
    ) -> Self {
        AccountingEvent {
            status,
            session_id: session_id.to_owned(),
            unique_id: unique_id.to_owned(),
            username: username.to_owned(),
            realm: String::new(),
            nas_ip_address: nas_ip_address.to_owned(),
            nas_port_id: String::new(),
            nas_port_type: String::new(),
            event_time: Utc::now(),
            session_time: None,
            input_octets: 0,
            output_octets: 0,
            called_station_id: String::new(),
            calling_station_id: String::new(),
            terminate_cause: String::new(),
            service_type: String::new(),
            framed_protocol: String::new(),
            framed_ip_address: String::new(),
            authentic: String::new(),
            connect_info: String::new(),
        }
    }
}

/// Where accounting events go. The default writes `radacct`
/// ([`SqlAccountingSink`](crate::SqlAccountingSink)); sinks compose: `Vec<Box<dyn AccountingSink>>`
/// fans out to each, `Option<S>` is a sink that may be absent.
///
/// ```
/// use owums_core::{AccountingEvent, AccountingSink, AcctStatus, Result};
/// use std::sync::{Arc, Mutex};
/// #[derive(Default)]
/// struct Count(Mutex<usize>);
/// #[async_trait::async_trait]
/// impl AccountingSink for Count {
///     async fn record(&self, _e: &AccountingEvent) -> Result<()> { *self.0.lock().unwrap() += 1; Ok(()) }
/// }
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let a = Arc::new(Count::default());
/// let fan: Vec<Box<dyn AccountingSink>> = vec![Box::new(a.clone()), Box::new(a.clone())];
/// fan.record(&AccountingEvent::new(AcctStatus::Start, "u1", "s1", "alice", "10.0.0.1")).await.unwrap();
/// assert_eq!(*a.0.lock().unwrap(), 2);
/// # });
/// ```
#[async_trait::async_trait]
pub trait AccountingSink: Send + Sync + 'static {
    /// Record one event. Must be idempotent on `unique_id` + status.
    async fn record(&self, event: &AccountingEvent) -> Result<()>;
    /// Flush buffered events, if any.
    async fn flush(&self) -> Result<()> {
        Ok(())
    }
    /// How a secondary sink wants its events: one at a time (the default), or in batches
    /// given to [`record_batch`](AccountingSink::record_batch). Read once, when the
    /// pipeline queues the sink ([`RetryingSink`](crate::accounting::RetryingSink)).
    fn batching(&self) -> Batching {
        Batching::ONE
    }
    /// Record several events, oldest first, all or nothing from the caller's view: on an
    /// error the whole batch is offered again, so a sink that may have taken part of it
    /// must be idempotent per event (the webhook sink sends an id with each). The
    /// default records them one by one.
    async fn record_batch(&self, events: &[AccountingEvent]) -> Result<()> {
        for e in events {
            self.record(e).await?;
        }
        Ok(())
    }
}

/// How many events a secondary sink takes at once ([`AccountingSink::batching`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    /// The most events in one [`AccountingSink::record_batch`] (at least 1).
    pub max_events: usize,
    /// How long the queue waits for more events to fill a batch before sending a smaller
    /// one; zero sends whatever is waiting at once.
    pub wait: std::time::Duration,
}

impl Batching {
    /// One event at a time, sent as soon as it is queued.
    pub const ONE: Batching = Batching {
        max_events: 1,
        wait: std::time::Duration::ZERO,
    };
}

#[async_trait::async_trait]
impl<S: AccountingSink + ?Sized> AccountingSink for Box<S> {
    async fn record(&self, event: &AccountingEvent) -> Result<()> {
        (**self).record(event).await
    }
    async fn flush(&self) -> Result<()> {
        (**self).flush().await
    }
    fn batching(&self) -> Batching {
        (**self).batching()
    }
    async fn record_batch(&self, events: &[AccountingEvent]) -> Result<()> {
        (**self).record_batch(events).await
    }
}

#[async_trait::async_trait]
impl<S: AccountingSink + ?Sized> AccountingSink for Arc<S> {
    async fn record(&self, event: &AccountingEvent) -> Result<()> {
        (**self).record(event).await
    }
    async fn flush(&self) -> Result<()> {
        (**self).flush().await
    }
    fn batching(&self) -> Batching {
        (**self).batching()
    }
    async fn record_batch(&self, events: &[AccountingEvent]) -> Result<()> {
        (**self).record_batch(events).await
    }
}

#[async_trait::async_trait]
impl<S: AccountingSink> AccountingSink for Option<S> {
    async fn record(&self, event: &AccountingEvent) -> Result<()> {
        match self {
            Some(s) => s.record(event).await,
            None => Ok(()),
        }
    }
    async fn flush(&self) -> Result<()> {
        match self {
            Some(s) => s.flush().await,
            None => Ok(()),
        }
    }
}

/// Fan-out: every sink gets the event, even if an earlier one failed; the first error is returned.
#[async_trait::async_trait]
impl<S: AccountingSink> AccountingSink for Vec<S> {
    async fn record(&self, event: &AccountingEvent) -> Result<()> {
        let mut first = None;
        for sink in self {
            if let Err(e) = sink.record(event).await {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }
    async fn flush(&self) -> Result<()> {
        let mut first = None;
        for sink in self {
            if let Err(e) = sink.flush().await {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gigawords_fold() {
        assert_eq!(fold_gigawords(5, 0), 5);
        assert_eq!(fold_gigawords(10, 2), 2 * 4_294_967_296 + 10);
        assert_eq!(fold_gigawords(u32::MAX, u32::MAX), u64::MAX);
    }

    #[test]
    fn status_parse() {
        assert_eq!(
            AcctStatus::parse("Interim-Update").unwrap(),
            AcctStatus::InterimUpdate
        );
        assert!(AcctStatus::parse("Bogus").is_err());
    }
}
