//! Subscribers' rows: users with their RADIUS password, profiles, web sessions, password-reset
//! links and plugin state.
//!
//! The services of [`crate::subscriber`] own the rules (what may change, when); these
//! modules only write rows, each change in one transaction, and bump
//! [`Store::user_writes`](crate::Store::user_writes) after a write FreeRADIUS would see.
//! Every table here refers to `owums_users` with `ON DELETE CASCADE`, so deleting a
//! subscriber removes their sessions, links, plugin state and RADIUS items with them.

pub(crate) mod admin;
pub(crate) mod devices;
pub(crate) mod import;
pub(crate) mod operator;
pub(crate) mod password_resets;
pub(crate) mod plugin_state;
pub(crate) mod profile;
pub(crate) mod sessions;
pub(crate) mod users;
pub(crate) mod vouchers;
