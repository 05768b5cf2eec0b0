//! The integration tests: storage on every backend, the `owums` command, and FreeRADIUS
//! end to end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod account;
mod api;
mod cli;
mod housekeeping;
mod maintenance;
mod radius_e2e;
mod sessions;
mod storage;
mod support;
