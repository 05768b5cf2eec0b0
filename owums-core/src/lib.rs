//! # owums-core
//!
//! The core of owums, a subscriber manager for wireless ISPs: the subscriber model and its
//! states, the [`Verifier`] plugin API, [`AccountingSink`]s, configuration, and storage on
//! SQLite, PostgreSQL and MySQL/MariaDB that FreeRADIUS' stock SQL queries read unchanged.
//!
//! Integrators embed it in their own services:
//!
//! ```no_run
//! use owums_core::{config::DatabaseConfig, NewUser, PasswordFormat, Store, Subscribers, Username};
//! # async fn demo() -> owums_core::Result<()> {
//! let store = Store::connect(&DatabaseConfig { url: "sqlite://owums.db".into(), ..Default::default() }).await?;
//! store.migrate().await?;
//! let subscribers = Subscribers::new(store, PasswordFormat::Crypt);
//! let user = subscribers
//!     .register(NewUser {
//!         username: Some(Username::try_new("alice")?),
//!         password: "s3cret-pass".into(),
//!         verification_method: "id_card".into(),
//!         eula_accepted: true,
//!         ..Default::default()
//!     })
//!     .await?;
//! subscribers.verify(user.id).await?; // FreeRADIUS accepts alice from the next request on
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod accounting;
pub mod config;
pub mod error;
pub mod ids;
pub mod jobs;
pub mod mail;
pub mod plugin;
pub mod radius;
pub mod settings;
pub mod storage;
pub mod subscriber;
#[cfg(feature = "test-support")]
pub mod test_support;

/// Every module's runtime settings (see [`settings`]): a module that reads a setting
/// declares it next to the code that reads it, and lists it here once.
pub(crate) const RUNTIME_SETTINGS: &[&[settings::SettingDef]] = &[
    subscriber::settings::SETTINGS,
    mail::settings::SETTINGS,
    jobs::housekeeping::SETTINGS,
];

pub use accounting::{AccountingEvent, AccountingSink, AcctStatus, fold_gigawords};
pub use async_trait::async_trait;
pub use config::Config;
pub use error::{Error, ErrorKind, FieldError, Problem, ResetLinkError, Result};
pub use ids::{AttributeKind, Email, GroupName, PhoneNumber, RadiusAttribute, UserId, Username};
pub use plugin::{
    AccountingSinkFactory, BackgroundTask, Challenge, Expiry, Outcome, OutcomeHandler,
    PLUGIN_API_VERSION, PluginContext, PluginHandler, PluginRegistrar, PluginRegistry, PluginRoute,
    PluginStateStore, RegistrationField, Shutdown, UserDirectory, Verifier, VerifierEvent,
    VerifierFactory,
};
pub use settings::Settings;
pub use storage::{SqlAccountingSink, Store};
pub use subscriber::{
    DayUsage, NewUser, PasswordChange, PasswordFormat, ProfileUpdate, Registered, RegistrationForm,
    Registrations, SessionPage, SessionQuery, SessionSort, Subscribers, UsageHistory, User,
    UserRecord, UserStatus, VerificationView, WebSession, WebSessionKind, WebSessionToken,
    WebSessions,
};
