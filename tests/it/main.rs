//! The integration tests: storage on every backend, the `owums` command, and FreeRADIUS
//! end to end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounting_sinks;
mod cli;
mod freeradius_rest;
mod freeradius_rest_e2e;
mod housekeeping;
mod maintenance;
mod radius_e2e;
mod storage;
mod support;
