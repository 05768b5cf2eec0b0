//! Operators: the WISP's staff who manage subscribers from the console and the operator API.
//!
//! - [`Permission`] and [`Permissions`] are OWUMS' fine-grained permissions; [`Preset`]
//!   fills them in as "operator", "admin" or "superadmin".
//! - [`Changes`] is what an action changed, field by field, for the audit log.
//! - [`Operators`] stores operators (argon2id passwords, permissions, a TOTP second factor)
//!   and makes the first one through the single-use first-run link.
//! - [`AuditLog`] records every operator action with its [`Changes`], and reads them back
//!   filtered, by pages or as CSV.
//! - [`OperatorTokens`] are the operator API's credentials: a subset of an operator's
//!   permissions, revocable, optionally expiring.

mod audit;
#[cfg(feature = "server")]
mod log;
mod permission;
#[cfg(feature = "server")]
mod service;
#[cfg(feature = "server")]
pub mod settings;
#[cfg(feature = "server")]
mod tokens;
#[cfg(feature = "server")]
mod totp;

pub use audit::{Change, Changes, SECRET_CHANGED};
#[cfg(feature = "server")]
pub use log::{
    AuditEntry, AuditFilter, AuditLog, AuditPage, AuditRecord, AuditTarget, COMMAND_LINE,
    MAX_EXPORT_ROWS,
};
pub use permission::{MissingPermission, Permission, Permissions, Preset};
#[cfg(feature = "server")]
pub use service::{OperatorRecord, Operators, SETUP_LINK_MINUTES, generate_password};
#[cfg(feature = "server")]
pub use tokens::{
    MAX_TOKEN_NAME, NewToken, OperatorToken, OperatorTokens, TOKEN_PREFIX, TokenCaller, TokenState,
};
#[cfg(feature = "server")]
pub use totp::{RECOVERY_CODES, TOTP_STEP_SECONDS, otpauth_uri, totp_code};
