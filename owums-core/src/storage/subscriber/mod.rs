//! Subscribers' rows: users with their RADIUS password, profiles, web sessions, password-reset
//! links and plugin state.

pub(crate) mod password_resets;
pub(crate) mod plugin_state;
pub(crate) mod profile;
pub(crate) mod sessions;
pub(crate) mod users;
