//! # owums-core
//!
//! The core of owums, a subscriber manager for wireless ISPs: the subscriber model and its
//! states, the [`Verifier`] plugin API, [`AccountingSink`]s, configuration, and storage on
//! SQLite, PostgreSQL and MySQL/MariaDB that FreeRADIUS' stock SQL queries read unchanged.
//!
//! owums-core knows no web framework and no plugin. The reference server (`owums-server`)
//! puts HTTP pages, a JSON API and FreeRADIUS' REST endpoints on top of it; an integrator
//! can do the same in their own service, and both then behave alike, because every rule
//! (what a valid registration is, which state changes are allowed, what FreeRADIUS sees)
//! lives here.
//!
//! ## Where to start
//!
//! - [`Store`] is the database: [`Store::connect`] opens a pool on the backend the URL names,
//!   [`Store::migrate`] creates or updates the tables (owums' own and FreeRADIUS').
//! - [`Subscribers`] is the service that registers subscribers and moves them between the
//!   states of [`UserStatus`]; a subscriber is a valid RADIUS user exactly when verified,
//!   active and the EULA was accepted, and the very next Access-Request sees every change.
//! - [`Verifier`] is one verification method (a phone call, a card payment, an operator
//!   checking an ID). Plugin crates offer one through a [`PluginRegistrar`]; the host builds
//!   the enabled ones from `plugins.toml` with a [`PluginRegistry`].
//! - [`radius::Authorizer`] answers FreeRADIUS' authorize requests in REST mode;
//!   [`AccountingSink`]s record its accounting packets ([`SqlAccountingSink`] writes
//!   `radacct`).
//! - [`config::load`] reads the deployment configuration (`owums.toml`, `plugins.toml`,
//!   `OWUMS_*` variables); [`Settings`] reads the runtime settings operators change while the
//!   server runs.
//! - Every fallible call returns [`Result`], whose [`Error`] has a coarse [`ErrorKind`] to
//!   map to a status and, for refused input, a [`Problem`] to translate.
//!
//! ## Modules
//!
//! Modules are grouped by domain; the root holds only what every domain shares.
//!
//! | module | what it holds |
//! |---|---|
//! | [`subscriber`] | users and their states, registration, accounts, web sessions, password recovery |
//! | [`plugin`] | the plugin API: [`Verifier`], factories, the registry, the context plugins get |
//! | [`radius`] | REST-mode authorize: the decision, its caches, usage counters |
//! | [`portal`] | captive portals: logging subscribers onto access controllers (CoovaChilli, WILI-S) |
//! | [`accounting`] | accounting events, sinks and their composition |
//! | [`storage`] | [`Store`]: the pool, migrations, every table |
//! | [`jobs`] | scheduled housekeeping under database leases |
//! | [`mail`] | subscriber e-mail: templates, the outbox, SMTP delivery |
//! | [`config`] | the deployment configuration, layered and validated |
//! | [`settings`] | runtime settings in the database, with typed keys and defaults in code |
//! | [`ids`] | validated values: usernames, e-mails, phone numbers, group names, attributes |
//! | [`error`] | the one error type |
//!
//! ## Example
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
//!
//! ## Features
//!
//! - `test-support`: the `test_support` module, a fresh migrated database per test on
//!   every backend, shared with the workspace's tests and with plugin crates.
#![warn(missing_docs)]
// Without `server`, the crate-internal helpers only the services use are left unused.
#![cfg_attr(not(feature = "server"), allow(dead_code))]

pub mod accounting;
pub mod config;
pub mod error;
pub mod ids;
#[cfg(feature = "server")]
pub mod jobs;
#[cfg(feature = "server")]
pub mod mail;
pub mod operator;
pub mod plugin;
#[cfg(feature = "server")]
pub mod portal;
#[cfg(feature = "server")]
pub mod radius;
#[cfg(feature = "server")]
pub mod richtext;
#[cfg(feature = "server")]
pub mod settings;
#[cfg(feature = "server")]
pub mod storage;
pub mod subscriber;
#[cfg(feature = "test-support")]
pub mod test_support;

/// Every module's runtime settings (see [`settings`]): a module that reads a setting
/// declares it next to the code that reads it, and lists it here once.
///
/// [`settings::catalog`] walks this list, so a setting missing here cannot be set by an
/// operator ([`Settings::set`] refuses unknown names) and is not listed; a test checks that
/// no name is declared twice.
#[cfg(feature = "server")]
pub(crate) const RUNTIME_SETTINGS: &[&[settings::SettingDef]] = &[
    subscriber::settings::SETTINGS,
    mail::settings::SETTINGS,
    jobs::housekeeping::SETTINGS,
    operator::settings::SETTINGS,
];

pub use accounting::{AccountingEvent, AccountingSink, AcctStatus, fold_gigawords};
pub use async_trait::async_trait;
pub use config::Config;
pub use error::{Error, ErrorKind, FieldError, Problem, ResetLinkError, Result, Weakness};
pub use ids::{
    AttributeKind, Email, GroupName, MacAddress, PhoneNumber, RadiusAttribute, UserId, Username,
};
pub use plugin::{
    AccountingSinkFactory, BackgroundTask, Challenge, DevicePolicy, Expiry, FormField,
    FormFieldKind, Outcome, OutcomeHandler, PLUGIN_API_VERSION, PluginContext, PluginHandler,
    PluginHost, PluginRegistrar, PluginRegistry, PluginRequest, PluginResponse, PluginRoute,
    PluginState, PluginStateStore, RegistrationField, Shutdown, UserDirectory, Verifier,
    VerifierFactory,
};
#[cfg(feature = "server")]
pub use settings::Settings;
#[cfg(feature = "server")]
pub use storage::{SqlAccountingSink, Store};
#[cfg(feature = "server")]
pub use subscriber::{
    DayUsage, LoginAccount, PasswordChange, ProfileUpdate, Registered, RegistrationForm,
    Registrations, SessionPage, SessionQuery, SessionSort, Subscribers, UsageHistory,
    VerificationView, WebSession, WebSessionKind, WebSessionToken, WebSessions,
};
pub use subscriber::{NewUser, PasswordFormat, User, UserRecord, UserStatus};
