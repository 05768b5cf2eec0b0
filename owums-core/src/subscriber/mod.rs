//! Subscribers: who they are, the states they move through, and everything they do
//! themselves.
//!
//! - [`User`] and [`UserRecord`] describe a subscriber; [`UserStatus`] is the state of
//!   DESIGN §3 (unverified, verified, disabled, inactive).
//! - [`Subscribers`] is the service that registers subscribers and moves them between
//!   states, one transaction per change; the reference server and integrators both call it.
//! - [`Registrations`] is self-service sign-up on top of it: one check of a whole form
//!   against the chosen method and `[web.signup]`, verification started once, and what the
//!   verification page shows until when ([`VerificationView`]).
//! - [`UserAdmin`] is the operator console's side: browse and search with an index that
//!   holds on a million subscribers, find one, show everything about one, create (with
//!   the methods an operator's permissions allow), edit, switch off and on, delete, each
//!   answering the [`Changes`](crate::operator::Changes) for the audit log; `import`
//!   creates many from a CSV file with a report of the refused rows.
//! - `account` is the self-service side: the sessions page, the 14-day usage history,
//!   profile and password changes.
//! - `login` checks a web login's password, with the account looked up once for the attempt
//!   limits and the check ([`LoginAccount`]).
//! - [`WebSessions`] are the server-side sessions of browsers and API clients.
//! - `reset` holds the two ways to recover a forgotten password: a link by e-mail and a
//!   call from the subscriber's mobile phone.
//! - `input` holds the rules for subscriber-supplied text (lengths that match the columns,
//!   no control characters), used by every entry point.
//! - `password` holds the password rules ([`validate_password`], with the zxcvbn strength
//!   estimate), hashes web passwords (argon2id) and encodes the value FreeRADIUS checks.
//! - `hasher` runs the hashes on a few dedicated threads with bounded memory.
//! - `outcome` decides what a verifier's [`Outcome`](crate::Outcome) means for the
//!   subscriber now (it implements [`OutcomeHandler`](crate::OutcomeHandler) for
//!   [`Subscribers`]).
//! - `settings` declares the runtime settings of sign-up and the subscriber pages
//!   ([`DEFAULT_RADIUS_GROUP`], [`CAPTCHA_ENABLED`], …).
//!
//! ## States
//!
//! | state | stored flags | valid RADIUS user? |
//! |---|---|---|
//! | unverified | `verified = false`, no `verified_at`, `active` | no |
//! | verified | `verified = true`, `active` | yes, if the EULA was accepted |
//! | disabled | `verified = false`, `verified_at` kept, `active` | no |
//! | inactive | `active = false` | no |
//!
//! Each transition of [`Subscribers`] is one transaction that checks the current state
//! first; a transition the state does not allow is an
//! [`Error::InvalidTransition`](crate::Error::InvalidTransition) and changes nothing.
//! FreeRADIUS reads views that show only valid users, so every transition takes effect on
//! the subscriber's next Access-Request, in SQL and in REST mode alike.

#[cfg(feature = "server")]
pub(crate) mod account;
#[cfg(feature = "server")]
pub(crate) mod admin;
#[cfg(feature = "server")]
pub(crate) mod admin_edit;
#[cfg(feature = "server")]
pub(crate) mod admin_form;
#[cfg(feature = "server")]
pub(crate) mod devices;
pub(crate) mod hasher;
#[cfg(feature = "server")]
pub(crate) mod import;
#[cfg(feature = "server")]
pub(crate) mod import_rows;
pub(crate) mod input;
#[cfg(feature = "server")]
pub(crate) mod login;
#[cfg(feature = "server")]
pub(crate) mod operator;
#[cfg(feature = "server")]
pub(crate) mod outcome;
pub(crate) mod password;
#[cfg(feature = "server")]
pub(crate) mod registration;
#[cfg(feature = "server")]
pub(crate) mod reset;
#[cfg(feature = "server")]
pub(crate) mod service;
#[cfg(feature = "server")]
pub(crate) mod settings;
pub(crate) mod token;
pub(crate) mod user;
#[cfg(feature = "server")]
pub(crate) mod verification;
#[cfg(feature = "server")]
pub(crate) mod web_session;

pub use crate::error::ResetLinkError;
#[cfg(feature = "server")]
pub use account::{
    DayUsage, MAX_PER_PAGE, PasswordChange, ProfileUpdate, SessionPage, SessionQuery, SessionSort,
    USAGE_DAYS, UsageHistory,
};
#[cfg(feature = "server")]
pub use admin::{
    COUNT_LIMIT, Found, MAX_SEARCH_LEN, MAX_USERS_PER_PAGE, MIN_SEARCH_LEN, UserAdmin, UserDetails,
    UserPage, UserQuery, UserSort,
};
#[cfg(feature = "server")]
pub use admin_edit::{
    Created, GENERATED_ALPHABET, GENERATED_LEN, METHOD_ID_CARD, METHOD_NONE, NewPassword,
    NewSubscriber, UserEdit, generate_password,
};
#[cfg(feature = "server")]
pub use devices::{Device, Devices, MAX_DEVICE_LABEL};
pub use hasher::set_password_hash_threads;
#[cfg(feature = "server")]
pub use import::{
    GeneratedPassword, IMPORT_COLUMNS, ImportOptions, ImportReport, MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS, RejectedRow,
};
pub use input::{
    MAX_EMAIL_LEN, MAX_METHOD_LEN, MAX_MOBILE_INPUT_LEN, MAX_NOTES_LEN, MAX_PASSWORD_LEN,
    MAX_USERNAME_LEN, TextField, check_text, clean_text, escape_for_terminal, is_forbidden_char,
    parse_birth_date,
};
#[cfg(feature = "server")]
pub use login::LoginAccount;
#[cfg(feature = "server")]
pub use operator::{
    AttachmentInfo, MAX_EVIDENCE_BYTES, OperatorVerification, OperatorVerifications,
    StoredAttachment,
};
pub use password::{
    MIN_PASSWORD_LEN, MIN_PASSWORD_SCORE, PasswordFormat, PersonalData, hash_password,
    validate_password, verify_password,
};
#[cfg(feature = "server")]
pub use registration::{Registered, RegistrationForm, Registrations};
#[cfg(feature = "server")]
pub use reset::email::RESET_TOKEN_TTL_MINUTES;
#[cfg(feature = "server")]
pub use reset::phone::{
    PhoneRecovery, RESET_TOKEN_LIFETIME, RecoveryRequest, RecoveryStatus, RecoveryTicket,
    ResetToken, is_pending,
};
#[cfg(feature = "server")]
pub use service::Subscribers;
#[cfg(feature = "server")]
pub use settings::{
    CAPTCHA_ENABLED, CUSTOM_ACCOUNT_INSTRUCTIONS_EN, CUSTOM_ACCOUNT_INSTRUCTIONS_ES,
    CUSTOM_ACCOUNT_INSTRUCTIONS_IT, DEFAULT_RADACCT_RESULTS_PER_PAGE, DEFAULT_RADIUS_GROUP,
    DEFAULT_USER_SEARCH_RESULTS_PER_PAGE, USE_MOBILE_PHONE_AS_USERNAME,
};
pub use user::{NewUser, User, UserRecord, UserStatus};
#[cfg(feature = "server")]
pub use verification::VerificationView;
#[cfg(feature = "server")]
pub use web_session::{
    ANONYMOUS_IDLE_MINUTES, TOUCH_INTERVAL_SECONDS, WebSession, WebSessionKind, WebSessionToken,
    WebSessions,
};
