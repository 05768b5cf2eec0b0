//! The integration tests: storage on every backend, the `owums` command, FreeRADIUS
//! end to end, and the pages in headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod account;
mod accounting_sinks;
mod api;
mod authorize_cache;
mod bad_input;
mod browser;
mod cli;
mod console;
mod dynamic_plugins;
mod email_link;
mod enumeration;
mod errors;
mod freeradius_rest;
mod freeradius_rest_e2e;
mod headers;
mod housekeeping;
mod input;
mod limits;
mod mail;
mod maintenance;
mod pages;
mod plugins;
mod radius_admin;
mod radius_e2e;
mod radius_limits_e2e;
mod recovery;
mod registration;
mod restart;
mod sessions;
mod sip;
mod storage;
mod support;
mod users_admin;
mod vouchers;
