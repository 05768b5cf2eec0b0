//! The integration tests: storage on every backend, the `owums` command, FreeRADIUS
//! end to end, and the pages in headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod account;
mod browser;
mod cli;
mod housekeeping;
mod mail;
mod maintenance;
mod pages;
mod radius_e2e;
mod sessions;
mod storage;
mod support;
