//! The owums application served in-process on a free loopback port, over a fresh SQLite
//! database, with one self-service verification method the test completes itself
//! ([`DeskVerifier`]: "show this code at the desk"; the test plays the operator through
//! [`Subscribers::verify`]), and the real SIP verifier when the configuration enables it
//! (its listener runs with the site).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use owums_core::config::{PluginTable, PluginsConfig};
use owums_core::{
    Challenge, Config, Expiry, PluginContext, PluginRegistrar, PluginRegistry, RegistrationField,
    Subscribers, User, Verifier, VerifierFactory,
};
use owums_server::AppState;
use poem::listener::{Acceptor, Listener, TcpListener};

use super::{Backend, TestDb};

/// The id of the test verification method.
pub(crate) const DESK: &str = "desk";
/// What its verification page shows.
pub(crate) const DESK_MESSAGE: &str = "Show this page at the front desk to be verified.";

/// A self-service method that only an operator completes.
#[derive(Debug)]
pub(crate) struct DeskVerifier;

#[owums_core::async_trait]
impl Verifier for DeskVerifier {
    fn id(&self) -> &'static str {
        DESK
    }
    fn self_service(&self) -> bool {
        true
    }
    fn required_fields(&self) -> Vec<RegistrationField> {
        vec![RegistrationField::Email, RegistrationField::Names]
    }
    fn expiry(&self) -> Expiry {
        Expiry::Delete(Duration::from_secs(3600))
    }
    async fn challenge(&self, _user: &dyn User, _locale: &str) -> owums_core::Result<Challenge> {
        Ok(Challenge::Message {
            text: DESK_MESSAGE.to_owned(),
        })
    }
}

struct DeskFactory;

impl VerifierFactory for DeskFactory {
    fn id(&self) -> &'static str {
        DESK
    }
    fn build(
        &self,
        _config: serde_json::Value,
        _ctx: PluginContext,
    ) -> owums_core::Result<Arc<dyn Verifier>> {
        Ok(Arc::new(DeskVerifier))
    }
}

/// A running application; stops (and drops its database) on drop.
#[derive(Debug)]
pub(crate) struct Site {
    pub(crate) db: TestDb,
    pub(crate) state: AppState,
    pub(crate) addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
    /// Stops the plugins' background tasks (the SIP listener, when enabled).
    stop_tasks: tokio::sync::watch::Sender<bool>,
}

impl Site {
    /// The configuration every site starts from: the desk method enabled.
    pub(crate) fn config() -> Config {
        let mut plugins = std::collections::BTreeMap::new();
        plugins.insert(
            DESK.to_owned(),
            PluginTable {
                enabled: true,
                required: true,
                library: None,
                settings: serde_json::Map::new(),
            },
        );
        Config {
            plugins: PluginsConfig(plugins),
            ..Config::default()
        }
    }

    /// Serves [`Site::config`] on SQLite.
    pub(crate) async fn start() -> Site {
        Self::start_with(Self::config()).await
    }

    /// Serves `config` (its database section is replaced by a fresh SQLite database).
    pub(crate) async fn start_with(config: Config) -> Site {
        Self::start_at(|_| config).await
    }

    /// Serves the configuration `config` makes for the address the site listens at (a
    /// portal's login URL names it).
    pub(crate) async fn start_at(config: impl FnOnce(SocketAddr) -> Config) -> Site {
        Self::start_on(Backend::Sqlite, config).await
    }

    /// [`Site::start_at`] on a fresh database of `backend` (the benchmarks' choice).
    pub(crate) async fn start_on(
        backend: Backend,
        config: impl FnOnce(SocketAddr) -> Config,
    ) -> Site {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("a loopback port");
        let addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .expect("a TCP address");
        let mut config = config(addr);
        let db = TestDb::new(backend)
            .await
            .unwrap_or_else(|| panic!("no {backend:?} database to start a site on"));
        config.database.url = db.url.clone();
        // the desk method, and the real SIP verifier for a configuration that enables it
        let mut registry = PluginRegistry::new();
        registry.register_verifier(Box::new(DeskFactory));
        owums_plugin_sip::register(&mut registry);
        let state =
            AppState::with_store(&config, db.store.clone(), &registry).expect("application state");
        // as `owums serve` does: the enabled plugins' background tasks run with the site
        let (stop_tasks, shutdown) = owums_core::Shutdown::channel();
        for verifier in &state.verifiers {
            for task in verifier.background_tasks() {
                let (name, run) = (task.name.clone(), (task.run)(shutdown.clone()));
                tokio::spawn(async move {
                    if let Err(e) = run.await {
                        eprintln!("the site's background task {name} failed: {e}");
                    }
                });
            }
        }
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = owums_server::app(state.clone());
        let server = tokio::spawn(async move {
            let _ = poem::Server::new_with_acceptor(acceptor)
                .run_with_graceful_shutdown(
                    app,
                    async {
                        let _ = stopped.await;
                    },
                    Some(Duration::from_secs(1)),
                )
                .await;
        });
        Site {
            db,
            state,
            addr,
            stop: Some(stop),
            server,
            stop_tasks,
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The subscriber services the application uses.
    pub(crate) fn subscribers(&self) -> &Subscribers {
        &self.state.subscribers
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.stop_tasks.send(true);
        self.server.abort();
    }
}
