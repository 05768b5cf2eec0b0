//! What every handler shares.

use std::sync::Arc;

use anyhow::Context;
use owums_core::plugin::Clock;
use owums_core::subscriber::Devices;
use owums_core::{Config, PluginHost, Registrations, Store, Subscribers, Verifier};

use crate::i18n::I18n;

/// Shared application state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Subscriber services.
    pub subscribers: Subscribers,
    /// Enabled verification methods.
    pub verifiers: Vec<Arc<dyn Verifier>>,
    /// Self-service registration and verification (pages and API both call it).
    pub registrations: Registrations,
    /// The configuration it was built from.
    pub config: Arc<Config>,
    /// The pages' messages: the host's and those of the enabled plugins.
    pub i18n: I18n,
    /// The secondary accounting sinks built from `[accounting] sinks` (by the registry's
    /// factories), which the FreeRADIUS API queues behind `radacct`.
    pub accounting_sinks: Arc<[owums_core::plugin::ConfiguredSink]>,
    /// The captive portals of `[portals.<name>]`.
    pub portals: owums_core::portal::Portals,
    /// The clock the rate limits count their windows by, and the console reads the time
    /// of its first-run link and second-factor codes from (tests set their own before
    /// building the [`app`](crate::app)).
    pub limit_clock: crate::ratelimit::LimitClock,
    /// Subscribers' devices (MAC authentication), when an enabled method offers them (the
    /// `mac_address` plugin's [`Verifier::device_policy`]).
    pub devices: Option<Devices>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<_> = self.verifiers.iter().map(|v| v.id()).collect();
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("verifiers", &ids)
            .finish()
    }
}

impl AppState {
    /// Loads the plugin libraries `plugins.toml` names, connects to the database and
    /// builds the enabled plugins.
    pub async fn build(config: &Config) -> anyhow::Result<AppState> {
        let mut config = config.clone();
        let registry = crate::plugins::load(&mut config.plugins)?;
        registry.check_config(&config.plugins)?;
        registry.check_sinks(&config.accounting)?;
        let store = Store::connect(&config.database).await?;
        Self::with_store(&config, store, &registry)
    }

    /// Tells the views FreeRADIUS reads in SQL mode whether devices are let in, and with
    /// which password (what `owums serve` does at start, once the database is migrated).
    ///
    /// # Errors
    ///
    /// A storage error.
    pub async fn publish_devices(&self) -> owums_core::Result<()> {
        match &self.devices {
            Some(d) => d.publish().await,
            None => Devices::withdraw(&self.store).await,
        }
    }

    /// State over an existing store (tests, integrators).
    pub fn with_store(
        config: &Config,
        store: Store,
        registry: &owums_core::PluginRegistry,
    ) -> anyhow::Result<AppState> {
        Self::with_store_and_clock(config, store, registry, Arc::new(chrono::Utc::now))
    }

    /// State over an existing store, with plugins told the time by `clock` (tests move it).
    ///
    /// Every enabled plugin checks its settings first (a required plugin's bad value is the
    /// error, an optional one's a warning and the plugin stays off), is built with its own
    /// context, and adds its page strings to the host's. The `[accounting] sinks` are
    /// built by the registry's sink factories (an unknown kind or bad setting is the error).
    pub fn with_store_and_clock(
        config: &Config,
        store: Store,
        registry: &owums_core::PluginRegistry,
        clock: Clock,
    ) -> anyhow::Result<AppState> {
        for warning in registry
            .check_settings(&config.plugins)
            .context("checking plugin settings")?
        {
            tracing::warn!(%warning, "optional plugin has a bad setting; it stays off");
        }
        let accounting_sinks = registry
            .build_sinks(&config.accounting)
            .context("starting accounting sinks")?;
        // one cache of recent successful password checks for web and portal logins and
        // FreeRADIUS' REST authorize: a portal logon is checked by both
        let credentials = owums_core::radius::CredentialCache::new(
            config.freeradius.credential_cache_size,
            std::time::Duration::from_secs(config.freeradius.credential_cache_ttl_seconds),
        );
        let subscribers = Subscribers::new(store.clone(), config.radius.password_format)
            .with_credential_cache(Arc::new(credentials));
        let host = PluginHost {
            public_url: config.web.public_url.clone(),
            clock,
            ..PluginHost::over_store(&store, Arc::new(subscribers.clone()))
        };
        let verifiers = registry
            .build_verifiers(&config.plugins, &host)
            .context("starting plugins")?;
        let messages: Vec<_> = registry
            .messages(&config.plugins)
            .into_iter()
            .filter(|(id, _)| verifiers.iter().any(|v| v.id() == *id))
            .collect();
        let devices = verifiers
            .iter()
            .find_map(|v| v.device_policy())
            .map(|policy| Devices::new(store.clone(), policy));
        let i18n = I18n::with_plugins(&messages).context("adding the plugins' page strings")?;
        let registrations = Registrations::new(
            subscribers.clone(),
            verifiers.clone(),
            config.web.signup.clone(),
        )
        .with_time_zone(config.web.display_time_zone().unwrap_or(chrono_tz::UTC));
        let portals = owums_core::portal::Portals::from_config(config)
            .map_err(anyhow::Error::msg)
            .context("setting up the captive portals")?;
        Ok(AppState {
            store,
            portals,
            subscribers,
            verifiers,
            registrations,
            config: Arc::new(config.clone()),
            i18n,
            accounting_sinks: accounting_sinks.into(),
            limit_clock: Arc::new(chrono::Utc::now),
            devices,
        })
    }
}
