//! The operator console: operators and the audit log on every backend, the `owums
//! operator` commands, and the console's login, first run, second factor and permission
//! checks through the pages.

mod cli;
mod groups_pages;
mod import_pages;
mod manage;
pub(crate) mod matrix;
pub(crate) mod pages;
mod settings_pages;
mod storage;
mod users_new;
mod users_pages;
mod vouchers_pages;
