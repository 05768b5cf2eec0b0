//! Deployment configuration: built-in defaults < `owums.toml` < `plugins.toml` <
//! `OWUMS_*` environment (`__` between levels) < command-line flags.
//!
//! Unknown keys are errors that name the file and key; any key `k` can be read from a file
//! with `k_file` (`OWUMS_DATABASE__URL_FILE=/run/secrets/db`).
//!
//! This is the deployment configuration: what is fixed for the life of a process (where the
//! database is, what to listen on, how FreeRADIUS reaches owums, which plugins are on).
//! What operators change while the server runs lives in the database instead
//! ([`crate::settings`]).
//!
//! [`load`] reads and validates everything in one go and returns a [`Config`]; a wrong value
//! is an [`Error::Config`] naming the key, raised at startup rather than at the first
//! request that needs it. Every section has defaults that serve a first run on one machine
//! (SQLite next to the binary, HTTP on `127.0.0.1:8080`), so an empty `owums.toml` is valid.
//!
//! One module per section that has more than a few keys: `web` (`[web]`, `[web.signup]`,
//! `[web.rate_limits]`), `mail` (`[mail]`), `freeradius` (`[freeradius]`, `[accounting]`);
//! the small sections sit here. `redact` masks secrets for `owums check-config`.
//!
//! ```
//! use owums_core::config::{Config, ConfigPaths};
//!
//! // `load` layers the files and the environment; a TOML text shows the same shape.
//! let config: Config = toml::from_str(r#"
//!     [database]
//!     url = "postgres://owums:secret@db.example/owums"
//!     pool_size = 16
//!
//!     [plugins.sip]
//!     enabled = true
//!     ring_seconds = 8
//! "#).unwrap();
//! config.validate()?;
//! assert_eq!(config.server.listen, "127.0.0.1:8080"); // a default
//! assert!(config.plugins.is_enabled("sip"));
//! assert!(config.to_redacted_toml()?.contains("postgres://owums:********@db.example/owums"));
//! # let _ = ConfigPaths::default();
//! # Ok::<(), owums_core::Error>(())
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use figment_file_provider_adapter::FileAdapter;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::subscriber::password::PasswordFormat;

mod freeradius;
mod mail;
pub mod portals;
mod redact;
mod web;

pub use freeradius::{AccountingConfig, FreeradiusConfig, IpNet, SinkConfig};
pub use mail::{MailConfig, MailTls};
pub use redact::redact_url;
pub use web::{RateLimitsConfig, SignupFields, WebConfig};

/// Top-level sections; `OWUMS_*` variables outside them are reported, not read.
///
/// Keep in step with the fields of [`Config`]: an environment variable for a section
/// missing here is ignored with a warning instead of configuring anything.
const SECTIONS: &[&str] = &[
    "database",
    "server",
    "radius",
    "access_points",
    "freeradius",
    "accounting",
    "log",
    "web",
    "plugins",
    "mail",
    "portals",
];

/// Where the two configuration files are.
///
/// The default is `owums.toml` and `plugins.toml` in the working directory, both optional
/// (a first run needs neither). The command line's `--config` / `--plugins` set a path and
/// make that file required, so a typo in the path is not mistaken for "no file".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigPaths {
    /// `owums.toml`.
    pub config: PathBuf,
    /// `plugins.toml`.
    pub plugins: PathBuf,
    /// Whether a missing `owums.toml` is an error (its path was given explicitly).
    pub required: bool,
    /// Whether a missing `plugins.toml` is an error (its path was given explicitly).
    pub plugins_required: bool,
}

impl Default for ConfigPaths {
    fn default() -> Self {
        ConfigPaths {
            config: "owums.toml".into(),
            plugins: "plugins.toml".into(),
            required: false,
            plugins_required: false,
        }
    }
}

/// The whole deployment configuration.
///
/// One field per top-level section of `owums.toml`. Unknown sections and keys are refused
/// (`deny_unknown_fields`), missing ones take their defaults. Build it with [`load`]; when
/// building one by hand (tests, an integrator reading their own format), call
/// [`Config::validate`] before using it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Which database and how to connect (`[database]`).
    pub database: DatabaseConfig,
    /// The HTTP listener (`[server]`).
    pub server: ServerConfig,
    /// What FreeRADIUS gets from owums' tables (`[radius]`).
    pub radius: RadiusConfig,
    /// The access-point lookup (`owums radacct convert-called-station-id`).
    pub access_points: AccessPointsConfig,
    /// The REST API for FreeRADIUS' `rlm_rest`.
    pub freeradius: FreeradiusConfig,
    /// Where accounting events go besides `radacct`.
    pub accounting: AccountingConfig,
    /// Logging: the filter of log lines (`[log] level`).
    pub log: LogConfig,
    /// The subscriber pages.
    pub web: WebConfig,
    /// Verification methods and other plugins, by id.
    pub plugins: PluginsConfig,
    /// Subscriber e-mail (SMTP) and the outbox.
    pub mail: MailConfig,
    /// The access controllers owums is the captive portal of (`[portals.<name>]`).
    pub portals: portals::PortalsConfig,
}

/// `[database]`: which database, and how owums connects to it.
///
/// The backend is chosen by the URL scheme; see [`crate::storage`] for what owums does on
/// each. PostgreSQL gets a second pool of the same size for accounting writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://owums.db` (relative to the working directory), `sqlite:///var/lib/owums/owums.db`,
    /// `postgres://user:pass@host/db` or `mysql://user:pass@host/db`.
    pub url: String,
    /// Connections in the pool (at least 1; 8 by default). On SQLite these are the readers,
    /// which run in parallel; every write of the process goes through one more connection
    /// of its own, one write at a time.
    pub pool_size: u32,
    /// Seconds to wait for a connection (opening one, or for a free one in the pool) before
    /// the request fails with a storage error.
    pub connect_timeout_seconds: u64,
    /// Run pending migrations when `owums serve` starts (on by default). Off: run `owums
    /// migrate` yourself; the other commands refuse to run on a database with pending
    /// migrations.
    pub migrate_on_start: bool,
    /// SQLite only: how long a write waits for its turn on the writer connection, and then
    /// for the file's lock, in milliseconds (5000 by default). FreeRADIUS writes the same
    /// file; set its `busy_timeout` alike (docs/freeradius.md).
    pub sqlite_busy_timeout_ms: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://owums.db".to_owned(),
            pool_size: 8,
            connect_timeout_seconds: 10,
            migrate_on_start: true,
            sqlite_busy_timeout_ms: 5000,
        }
    }
}

/// `[server]`: the HTTP listener of `owums serve`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address and port the HTTP server listens on (`127.0.0.1:8080` by default: put a
    /// reverse proxy with TLS in front). Port `0` picks a free port, which the log names.
    pub listen: String,
    /// Seconds to let running requests and background tasks finish on SIGINT/SIGTERM
    /// before the process exits anyway. Connections still open then (a client that
    /// trickles its request or reads the answer slowly) are closed.
    pub shutdown_grace_seconds: u64,
    /// Threads that compute password hashes (argon2id, 12 MiB each while busy); 0, the
    /// default, means one per CPU. Logins beyond that many at once wait their turn; a
    /// thread gives its memory back after two seconds without work.
    pub password_hash_threads: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".to_owned(),
            shutdown_grace_seconds: 10,
            password_hash_threads: 0,
        }
    }
}

/// `[radius]`: what FreeRADIUS gets from owums' tables.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RadiusConfig {
    /// What `radcheck` holds as the password: `crypt` (SHA-512 crypt, PAP), `nt` (NT hash,
    /// PAP and MS-CHAPv2) or `cleartext` (every method, readable passwords).
    ///
    /// It applies to passwords set from then on: changing it does not rewrite stored ones,
    /// so a subscriber keeps the old format until their password changes.
    pub password_format: PasswordFormat,
}

/// `[access_points]`: where to ask which access point a device is on (OWUMS' OWMW).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccessPointsConfig {
    /// Base URL; the lookup is `GET <lookup_url>/associated_users/<mac>.xml`. Empty: off,
    /// and the `convert_called_station_id` job does nothing.
    pub lookup_url: String,
    /// HTTP basic-auth user (empty: none).
    pub username: String,
    /// HTTP basic-auth password (`password_file` reads it from a file; masked by
    /// `owums check-config`).
    pub password: String,
    /// Seconds to wait for an answer.
    pub timeout_seconds: u64,
}

impl Default for AccessPointsConfig {
    fn default() -> Self {
        AccessPointsConfig {
            lookup_url: String::new(),
            username: String::new(),
            password: String::new(),
            timeout_seconds: 10,
        }
    }
}

/// `[log]`: which log lines are written (to standard error, as `tracing` formats them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A tracing filter (`info`, `owums=debug,info`); `RUST_LOG` wins when set.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".to_owned(),
        }
    }
}

/// `[plugins.<id>]` tables, by plugin id.
///
/// Usually in `plugins.toml`, which may hold nothing else. Which ids exist is known only
/// to the [`PluginRegistry`](crate::PluginRegistry), so unknown ids are checked there
/// ([`PluginRegistry::check_config`](crate::PluginRegistry::check_config)), not here.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PluginsConfig(pub BTreeMap<String, PluginTable>);

impl PluginsConfig {
    /// Configured plugin ids (enabled or not), sorted.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }

    /// The table of plugin `id`; `None` when `plugins.toml` does not mention it.
    pub fn get(&self, id: &str) -> Option<&PluginTable> {
        self.0.get(id)
    }

    /// Whether plugin `id` has a table with `enabled = true`.
    pub fn is_enabled(&self, id: &str) -> bool {
        self.get(id).is_some_and(|t| t.enabled)
    }
}

/// One `[plugins.<id>]` table: the keys the host reads (`enabled`, `required`,
/// `library`), and the plugin's own settings.
///
/// ```
/// use owums_core::config::PluginTable;
/// let t: PluginTable = toml::from_str("enabled = true\nring_seconds = 8\n").unwrap();
/// assert!(t.enabled && t.required); // `required` defaults to true
/// assert_eq!(t.settings_json(), serde_json::json!({ "ring_seconds": 8 }));
///
/// // A plugin loaded from a shared library: `library` is the host's, not a setting.
/// let t: PluginTable =
///     toml::from_str("enabled = true\nlibrary = \"/opt/libx.so\"\nttl = 5\n").unwrap();
/// assert_eq!(t.library.as_deref(), Some(std::path::Path::new("/opt/libx.so")));
/// assert_eq!(t.settings_json(), serde_json::json!({ "ttl": 5 }));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginTable {
    /// Turned on (off by default: a table alone does not enable a plugin).
    #[serde(default)]
    pub enabled: bool,
    /// Startup fails if the plugin cannot be built (otherwise it is skipped with a warning).
    #[serde(default = "yes")]
    pub required: bool,
    /// The shared library the plugin is loaded from at start (built with
    /// [`export_plugin!`](crate::export_plugin)); `None` for a plugin compiled into the
    /// server. A relative path is taken from the working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library: Option<std::path::PathBuf>,
    /// The plugin's own settings: every other key of the table, checked by the plugin's
    /// factory when it is built.
    #[serde(flatten)]
    pub settings: serde_json::Map<String, serde_json::Value>,
}

fn yes() -> bool {
    true
}

impl PluginTable {
    /// The plugin's own settings as one JSON object, as
    /// [`VerifierFactory::build`](crate::VerifierFactory::build) receives them.
    pub fn settings_json(&self) -> serde_json::Value {
        serde_json::Value::Object(self.settings.clone())
    }
}

/// `plugins.toml` may hold `[plugins.*]` tables only.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginsFile {
    #[serde(default)]
    #[allow(dead_code)]
    plugins: PluginsConfig,
}

fn env_provider() -> Env {
    Env::prefixed("OWUMS_")
        .filter(|key| {
            let top = key.as_str().split("__").next().unwrap_or_default();
            SECTIONS.iter().any(|s| top.eq_ignore_ascii_case(s))
        })
        .split("__")
}

/// `OWUMS_*` environment variables that are not configuration (not read; worth a warning).
///
/// A variable is configuration when its first level names a section (`OWUMS_DATABASE__URL`);
/// `OWUMS_DATABSE__URL` or `OWUMS_TEST_POSTGRES_URL` are not, and `owums serve` logs them
/// so that a typo does not go unnoticed.
pub fn unknown_env_vars() -> Vec<String> {
    std::env::vars()
        .filter_map(|(k, _)| {
            let rest = k.strip_prefix("OWUMS_")?;
            let top = rest.split("__").next().unwrap_or_default();
            (!SECTIONS.iter().any(|s| top.eq_ignore_ascii_case(s))).then_some(k)
        })
        .collect()
}

/// The layered figment (without flags): defaults, `owums.toml`, `plugins.toml`, then the
/// `OWUMS_*` environment, each with `*_file` keys read from files. [`load`] extracts and
/// validates it; use this only to read the layers some other way.
pub fn figment(paths: &ConfigPaths) -> Figment {
    Figment::from(Serialized::defaults(Config::default()))
        .merge(FileAdapter::wrap(Toml::file(&paths.config)).with_suffix("_file"))
        .merge(FileAdapter::wrap(Toml::file(&paths.plugins)).with_suffix("_file"))
        .merge(FileAdapter::wrap(env_provider()).with_suffix("_file"))
}

fn check_exists(path: &Path, what: &str) -> Result<()> {
    if path.exists() {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "{what} `{}` does not exist",
            path.display()
        )))
    }
}

/// Loads and validates the configuration.
///
/// # Errors
///
/// [`Error::Config`], in one line: a required file that does not exist, a TOML syntax
/// error, an unknown key (with the file it is in), a value of the wrong type, or a value
/// [`Config::validate`] refuses.
pub fn load(paths: &ConfigPaths) -> Result<Config> {
    if paths.required {
        check_exists(&paths.config, "configuration file")?;
    }
    if paths.plugins_required {
        check_exists(&paths.plugins, "plugins file")?;
    }
    if paths.plugins.exists() {
        Figment::from(Toml::file(&paths.plugins))
            .extract::<PluginsFile>()
            .map_err(|e| Error::Config(one_line(&e)))?;
    }
    let mut config: Config = figment(paths)
        .extract()
        .map_err(|e| Error::Config(one_line(&e)))?;
    config.database.url = config.database.url.trim().to_owned();
    config.validate()?;
    Ok(config)
}

fn one_line(e: &figment::Error) -> String {
    let parts: Vec<String> = e.clone().into_iter().map(|e| e.to_string()).collect();
    parts.join("; ").replace('\n', " ")
}

impl Config {
    /// Checks the values a type alone cannot: the database URL's scheme, the listen
    /// address, the pool size, the log filter, the FreeRADIUS and accounting sections, the
    /// default language, the display time zone, the form size limit and the mail section.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the first key at fault and why.
    pub fn validate(&self) -> Result<()> {
        #[cfg(feature = "server")]
        crate::storage::Backend::from_url(&self.database.url)?;
        self.server.listen.parse::<SocketAddr>().map_err(|_| {
            Error::Config(format!(
                "server.listen `{}` is not an address:port",
                self.server.listen
            ))
        })?;
        if self.database.pool_size == 0 {
            return Err(Error::Config(
                "database.pool_size must be at least 1".to_owned(),
            ));
        }
        check_log_level(&self.log.level)?;
        self.freeradius.validate()?;
        self.accounting.validate()?;
        if !["en", "it", "es"].contains(&self.web.default_locale.as_str()) {
            return Err(Error::Config(format!(
                "web.default_locale `{}` must be one of en, it, es",
                self.web.default_locale
            )));
        }
        for (name, portal) in &self.portals.0 {
            portal.validate(name).map_err(Error::Config)?;
        }
        self.web.display_time_zone()?;
        self.web.trusted_networks()?;
        if self.web.max_form_bytes < 1024 {
            return Err(Error::Config(
                "web.max_form_bytes must be at least 1024".to_owned(),
            ));
        }
        if self.web.header_read_timeout_seconds == 0 {
            return Err(Error::Config(
                "web.header_read_timeout_seconds must be at least 1".to_owned(),
            ));
        }
        self.mail.validate()?;
        Ok(())
    }

    /// Applies command-line overrides (the highest layer): `--listen` and `--database-url`,
    /// then validates again.
    pub fn apply_overrides(
        &mut self,
        listen: Option<&str>,
        database_url: Option<&str>,
    ) -> Result<()> {
        if let Some(l) = listen {
            l.to_owned().clone_into(&mut self.server.listen);
        }
        if let Some(u) = database_url {
            u.trim().clone_into(&mut self.database.url);
        }
        self.validate()
    }

    /// The configuration as TOML with secrets (passwords in URLs, keys named like secrets) masked.
    ///
    /// What `owums check-config` prints: safe to paste into a bug report. An empty secret shows
    /// as `(not set)`, so "no password" and "a password" can be told apart.
    pub fn to_redacted_toml(&self) -> Result<String> {
        let mut value = toml::Value::try_from(self).map_err(|e| Error::Internal(e.to_string()))?;
        redact::redact(&mut value);
        toml::to_string_pretty(&value).map_err(|e| Error::Internal(e.to_string()))
    }
}

fn check_log_level(level: &str) -> Result<()> {
    if level.trim().is_empty() || level.contains(char::is_whitespace) {
        return Err(Error::Config(format!(
            "log.level `{level}` is not a log filter"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
