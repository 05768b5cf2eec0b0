//! RADIUS accounting: what a NAS reports about sessions, and where it goes.
//!
//! - [`AccountingEvent`] is one Start, Interim-Update, Stop or Accounting-On/Off, as
//!   FreeRADIUS forwards it; [`AcctStatus`] is its `Acct-Status-Type`.
//! - An [`AccountingSink`] records events. The default one writes `radacct`
//!   ([`crate::storage::SqlAccountingSink`]); sinks compose, so an integrator can also stream
//!   events to their own system ([`AccountingPipeline`], [`JsonLinesSink`],
//!   [`RetryingSink`]).
//! - `access_point` maps the NAS' `Called-Station-Id` to the access point a subscriber
//!   stood at, as OWUMS' `convert_called_station_id` did.

pub(crate) mod access_point;
pub(crate) mod event;
pub(crate) mod sink;

pub use access_point::{AccessPointLookup, ConvertReport, convert_called_station_ids};
pub use event::{AccountingEvent, AccountingSink, AcctStatus, fold_gigawords};
pub use sink::{AccountingPipeline, JsonLinesSink, RetryingSink};
