//! The integration tests: storage on every backend, the `owums` command, and FreeRADIUS
//! end to end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod account;
mod cli;
mod housekeeping;
mod maintenance;
mod pages;
mod radius_e2e;
mod recovery;
mod sessions;
mod sip;
mod storage;
mod support;
