//! What every handler shares.

use std::sync::Arc;

use anyhow::Context;
use owums_core::{Config, PluginContext, Registrations, Store, Subscribers, Verifier};

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
    /// The clock the rate limits count their windows by (tests set their own before
    /// building the [`app`](crate::app)).
    pub limit_clock: crate::ratelimit::LimitClock,
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
        let store = Store::connect(&config.database).await?;
        Self::with_store(&config, store, &registry)
    }

    /// State over an existing store (tests, integrators).
    pub fn with_store(
        config: &Config,
        store: Store,
        registry: &owums_core::PluginRegistry,
    ) -> anyhow::Result<AppState> {
        let subscribers = Subscribers::new(store.clone(), config.radius.password_format);
        let ctx = PluginContext {
            users: Arc::new(store.clone()),
            state: Arc::new(store.clone()),
            outcomes: Arc::new(subscribers.clone()),
        };
        let verifiers = registry
            .build_verifiers(&config.plugins, &ctx)
            .context("starting plugins")?;
        let registrations = Registrations::new(
            subscribers.clone(),
            verifiers.clone(),
            config.web.signup.clone(),
        )
        .with_time_zone(config.web.display_time_zone().unwrap_or(chrono_tz::UTC));
        Ok(AppState {
            store,
            subscribers,
            verifiers,
            registrations,
            config: Arc::new(config.clone()),
            limit_clock: Arc::new(chrono::Utc::now),
        })
    }
}
