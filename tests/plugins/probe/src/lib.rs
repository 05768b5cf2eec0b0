//! `probe`: a minimal self-service verification method built as a shared library
//! (`crate-type = ["cdylib"]`), for the tests of dynamic plugins (tests/it/dynamic_plugins.rs).
//!
//! Its page says `<greeting> <username>`; its background task logs when it starts and
//! when the server stops it. It panics on purpose, to show the guards:
//! in `register` when the server runs with `PROBE_PANIC_IN_REGISTER` set, and in `start`
//! for usernames beginning with `panic`.
//!
//! ```toml
//! [plugins.probe]
//! enabled = true
//! library = "target/debug/libowums_test_plugin_probe.so"
//! greeting = "Hello"
//! ```

use std::sync::Arc;

use owums_core::{
    BackgroundTask, Challenge, Error, Expiry, PluginContext, PluginRegistrar, Result, User,
    Verifier, VerifierFactory,
};

/// The crate's one entry point, for a static build and (through `export_plugin!`) for the
/// shared library alike.
pub fn register(registrar: &mut dyn PluginRegistrar) {
    assert!(
        std::env::var_os("PROBE_PANIC_IN_REGISTER").is_none(),
        "the probe was told to panic in register"
    );
    registrar.register_verifier(Box::new(ProbeFactory));
}

owums_core::export_plugin!(register);

/// `[plugins.probe]`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeConfig {
    /// The first word of the page.
    greeting: String,
}

struct ProbeFactory;

impl VerifierFactory for ProbeFactory {
    fn id(&self) -> &'static str {
        "probe"
    }
    fn build(&self, config: serde_json::Value, _ctx: PluginContext) -> Result<Arc<dyn Verifier>> {
        let config: ProbeConfig = serde_json::from_value(config)
            .map_err(|e| Error::Config(format!("plugins.probe: {e}")))?;
        tracing::info!(greeting = %config.greeting, "probe plugin built");
        Ok(Arc::new(Probe {
            greeting: config.greeting,
        }))
    }
}

struct Probe {
    greeting: String,
}

#[async_trait::async_trait]
impl Verifier for Probe {
    fn id(&self) -> &'static str {
        "probe"
    }
    fn self_service(&self) -> bool {
        true
    }
    fn expiry(&self) -> Expiry {
        Expiry::Never
    }
    async fn start(&self, user: &dyn User, _locale: &str) -> Result<()> {
        let name = user.username().to_string();
        assert!(
            !name.starts_with("panic"),
            "the probe was told to panic for {name}"
        );
        Ok(())
    }
    async fn challenge(&self, user: &dyn User, _locale: &str) -> Result<Challenge> {
        Ok(Challenge::Message {
            text: format!("{} {}", self.greeting, user.username()),
        })
    }
    /// A task that waits for the server's shutdown signal (a `tokio::sync` channel made by
    /// the server, awaited by the library's copy of tokio).
    fn background_tasks(&self) -> Vec<BackgroundTask> {
        vec![BackgroundTask {
            name: "probe watcher".to_owned(),
            run: Box::new(|mut shutdown| {
                Box::pin(async move {
                    tracing::info!("probe task running");
                    shutdown.wait().await;
                    tracing::info!("probe task stopped");
                    Ok(())
                })
            }),
        }]
    }
}
