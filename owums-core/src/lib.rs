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

pub mod access_point;
pub mod account;
pub mod accounting;
pub mod authorize;
pub mod authorize_cache;
pub mod config;
pub mod counter;
pub mod credential_cache;
pub mod error;
pub mod housekeeping;
pub mod ids;
mod lru_table;
pub mod mail;
pub mod password;
pub mod plugin;
pub mod recovery;
pub mod reset;
pub mod service;
pub mod sessions;
pub mod settings;
pub mod sink;
pub mod storage;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod user;
pub mod verifier;

pub use account::{
    DayUsage, PasswordChange, ProfileUpdate, SessionPage, SessionQuery, SessionSort, Usage,
};
pub use accounting::{AccountingEvent, AccountingSink, AcctStatus, fold_gigawords};
pub use async_trait::async_trait;
pub use config::Config;
pub use error::{Error, ErrorKind, Result};
pub use ids::{AttributeKind, Email, GroupName, PhoneNumber, RadiusAttribute, UserId, Username};
pub use password::PasswordFormat;
pub use plugin::{
    AccountingSinkFactory, PLUGIN_API_VERSION, PluginContext, PluginRegistrar, PluginRegistry,
    PluginStateStore, UserDirectory, VerifierFactory,
};
pub use service::Subscribers;
pub use sessions::{Session, SessionKind, SessionToken, Sessions};
pub use settings::Settings;
pub use storage::{SqlAccountingSink, Store};
pub use user::{NewUser, User, UserRecord, UserStatus};
pub use verifier::{
    BackgroundTask, Challenge, Expiry, Outcome, OutcomeHandler, PluginHandler, PluginRoute,
    RegistrationField, Shutdown, Verifier, VerifierEvent,
};
