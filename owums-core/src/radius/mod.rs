//! What FreeRADIUS asks in REST mode: may this person log in, and with which reply?
//!
//! - [`Authorizer`] answers an authorize request: it checks the password, the subscriber's
//!   state, the RADIUS profile (group and personal check items), the usage counters and
//!   `Simultaneous-Use`, and builds the reply.
//! - [`AuthorizeCache`] keeps the reads of a busy login name for a short time, and
//!   [`CredentialCache`] remembers recent successful password checks so that a warm
//!   authorize does not pay an argon2id hash.
//! - [`Counter`]s enforce the limits (`Max-Daily-Session`, `Max-Daily-Session-Traffic`,
//!   `Max-Monthly-Session-Traffic`) that FreeRADIUS' `sqlcounter` enforces in SQL mode.

pub(crate) mod authorize;
pub(crate) mod authorize_cache;
pub(crate) mod counter;
pub(crate) mod credential_cache;
pub(crate) mod lru_table;

pub use authorize::{
    AuthorizeRequest, Authorizer, Decision, Reply, ReplyValue, SIMULTANEOUS_USE_MESSAGE,
};
pub use authorize_cache::{AuthorizeCache, CacheClock};
pub use counter::{
    Counter, CounterUsage, CounterWindow, DailySessionCounter, DailyTrafficCounter,
    MonthlyTrafficCounter, default_counters,
};
pub use credential_cache::{CredentialCache, WrongPasswords};
