//! Operators: the WISP's staff who manage subscribers from the console and the operator API.
//!
//! - [`Permission`] and [`Permissions`] are OWUMS' fine-grained permissions; [`Preset`]
//!   fills them in as "operator", "admin" or "superadmin".
//! - [`Changes`] is what an action changed, field by field, for the audit log.

mod audit;
mod permission;

pub use audit::{Change, Changes, SECRET_CHANGED};
pub use permission::{Permission, Permissions, Preset};
