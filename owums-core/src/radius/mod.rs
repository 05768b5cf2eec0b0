//! What FreeRADIUS asks in REST mode: may this person log in, and with which reply?
//!
//! - [`Authorizer`] answers an authorize request: it checks the password, the subscriber's
//!   state, the RADIUS profile (group and personal check items), the usage counters and
//!   `Simultaneous-Use`, and builds the reply.
//! - [`AuthorizeCache`] keeps the reads of a busy login name for a short time, and
//!   [`CredentialCache`] remembers recent successful password checks so that a warm
//!   authorize does not pay an argon2id hash.
//! - [`RadiusAdmin`] is how operators manage groups and check and reply items: validated,
//!   one transaction per change, each returning the audit log's [`Changes`](crate::operator::Changes).
//! - [`Counter`]s enforce the limits (`Max-Daily-Session`, `Max-Daily-Session-Traffic`,
//!   `Max-Monthly-Session-Traffic`) that FreeRADIUS' `sqlcounter` enforces in SQL mode.
//!
//! ## One authorize
//!
//! The server's `POST /api/v1/freeradius/authorize/` parses what `rlm_rest` posts into an
//! [`AuthorizeRequest`] and calls [`Authorizer::authorize`]. It finds the user by username,
//! e-mail or mobile number (through the [`AuthorizeCache`], which keeps the user row, the
//! RADIUS profile and the counters' usage sums of a login name for a short time, and forgets
//! them when this process writes users or groups), checks the password (through the
//! [`CredentialCache`] when the same password matched the same stored hash recently),
//! refuses users who are not valid RADIUS users or have a reject item, evaluates each
//! [`Counter`] against its window, and counts open sessions elsewhere for
//! `Simultaneous-Use`. The [`Decision`] says accept (with the reply items) or reject (with
//! a message); the server maps it to openwisp-radius' HTTP answers.
//!
//! Accounting seen by the server ([`Authorizer::saw_accounting`]) makes the cache forget
//! that user's usage, so a limit reached in the current session counts at the next request.

pub(crate) mod admin;
pub(crate) mod authorize;
pub(crate) mod authorize_cache;
pub(crate) mod counter;
pub(crate) mod credential_cache;
pub(crate) mod lru_table;
mod profile;

pub use admin::{GroupDetails, GroupUpdate, MAX_GROUP_NOTES, MAX_GROUP_PRIORITY, RadiusAdmin};
pub use authorize::{
    AuthorizeRequest, Authorizer, Decision, MAX_PASSWORD_BYTES, Reply, ReplyValue,
    SIMULTANEOUS_USE_MESSAGE,
};
pub use authorize_cache::{AuthorizeCache, CacheClock};
pub use counter::{
    Counter, CounterUsage, CounterWindow, DailySessionCounter, DailyTrafficCounter,
    MonthlyTrafficCounter, default_counters, remaining,
};
pub use credential_cache::{CredentialCache, WrongPasswords};
pub(crate) mod vouchers;
pub use vouchers::{
    BatchSummary, DEFAULT_PASSWORD_LENGTH, Generated, MAX_VOUCHERS, VOUCHER_ALPHABET,
    VOUCHER_METHOD, Validity, VoucherRequest, VoucherState, VoucherView, Vouchers,
};
