//! RADIUS accounting: what a NAS reports about sessions, and where it goes.
//!
//! - [`AccountingEvent`] is one Start, Interim-Update, Stop or Accounting-On/Off, as
//!   FreeRADIUS forwards it; [`AcctStatus`] is its `Acct-Status-Type`.
//! - An [`AccountingSink`] records events. The default one writes `radacct`
//!   ([`crate::storage::SqlAccountingSink`]); sinks compose, so an integrator can also stream
//!   events to their own system ([`AccountingPipeline`], [`JsonLinesSink`],
//!   [`RetryingSink`]). `[accounting] sinks` names secondary sinks by kind; the factories
//!   of the [`PluginRegistry`](crate::PluginRegistry) build them: the built-in
//!   `json_lines` and `webhook` (`WebhookSink`, with the `server` feature;
//!   [`register_builtin_sinks`]) and any a plugin registered.
//! - [`AccountingEvent::check`] holds an event to the bounds a NAS may send (text without
//!   control characters and no longer than its column, IPv4 addresses, event times from
//!   1970-01-02 to 2100, 32-bit session times); storage clamps traffic counters to
//!   [`MAX_SESSION_OCTETS`].
//! - `access_point` maps the NAS' `Called-Station-Id` to the access point a subscriber
//!   stood at, as OWUMS' `convert_called_station_id` did.

#[cfg(feature = "server")]
pub(crate) mod access_point;
pub(crate) mod check;
pub(crate) mod event;
pub(crate) mod sink;
#[cfg(feature = "server")]
pub(crate) mod webhook;

#[cfg(feature = "server")]
pub use access_point::{AccessPointLookup, ConvertReport, convert_called_station_ids};
pub use check::{
    EARLIEST_EVENT_TIME, LATEST_EVENT_TIME, MAX_ATTRIBUTE_BYTES, MAX_SESSION_OCTETS,
    MAX_SESSION_TIME, check_nas_text,
};
pub use event::{AccountingEvent, AccountingSink, AcctStatus, Batching, fold_gigawords};
pub use sink::{
    AccountingPipeline, BUILTIN_SINK_KINDS, JsonLinesSink, RetryingSink, register_builtin_sinks,
};
#[cfg(feature = "server")]
pub use webhook::{SIGNATURE_HEADER, WebhookSettings, WebhookSink, event_id};
