//! The owums reference server: the HTTP application (poem) and the `owums` command.
//!
//! [`app`] builds the application from an [`AppState`] without binding a socket, so tests
//! drive it with poem's test client; [`serve`] runs it until SIGINT or SIGTERM.

mod access_points;
pub mod api;
pub mod cli;
mod client;
mod commands;
mod device_commands;
mod error;
mod freeradius;
#[doc(hidden)]
pub mod fuzzing;
mod group_commands;
mod headers;
mod health;
mod http_server;
pub mod i18n;
mod import_command;
mod log_writer;
mod mail;
mod maintenance;
pub mod memory;
mod operator_commands;
mod pages;
mod plugin_routes;
pub mod plugins;
mod print;
pub mod ratelimit;
mod request_log;
mod settings_command;
mod state;
mod voucher_commands;

use std::time::Duration;

use anyhow::Context;
use owums_core::Config;
use poem::{Endpoint, EndpointExt, Route, get};

pub use state::AppState;

/// The HTTP application.
pub fn app(state: AppState) -> impl Endpoint {
    // The templates and messages are embedded and checked by unit tests: failing here is a
    // build defect, not a runtime condition.
    #[allow(clippy::expect_used)]
    // One limiter for the pages and the API, so each limit counts attempts through both.
    let limiter = ratelimit::RateLimiter::new(state.store.clone(), &state.config.web.rate_limits)
        .with_clock(state.limit_clock.clone());
    let web = pages::Web::new(&state, limiter.clone())
        .expect("embedded templates and messages are valid");
    let mut route = pages::mount(Route::new().at("/healthz", get(health::healthz)))
        .nest("/api/v1", api::routes(&state, limiter));
    match freeradius::FreeradiusApi::new(&state) {
        Ok(Some(api)) => route = route.nest("/api/v1/freeradius", api.routes()),
        Ok(None) => {}
        // the configuration was validated at load time; say so if it still fails
        Err(e) => tracing::error!(error = %e, "FreeRADIUS API not started"),
    }
    route = route.nest("/plugins", plugin_routes::PluginRoutes::new(web.clone()));
    let pages = web.clone();
    let proxies = client::Proxies::from_config(&state.config.web);
    // One layer around every request, outermost first: who the client is (through the
    // trusted proxies), the request log, the security headers, the translated 404. (One
    // layer, not four: each costs a boxed future.)
    route
        .around(move |ep, mut req| {
            let web = pages.clone();
            let client = proxies.resolve(&req);
            req.extensions_mut().insert(client);
            async move {
                request_log::log(req, |req| {
                    headers::secure(req, |req| pages::not_found(&web, ep.as_ref(), req))
                })
                .await
            }
        })
        .data(state)
        .data(web)
}

/// Connects, migrates (unless told not to), starts plugins' background tasks and serves
/// HTTP until SIGINT or SIGTERM.
pub async fn serve(config: Config, migrate: bool) -> anyhow::Result<()> {
    let signalled = shutdown_signal();
    // before the first hash: sign-up, login and authorize all hash on these threads
    owums_core::subscriber::set_password_hash_threads(config.server.password_hash_threads);
    let state = AppState::build(&config).await?;
    if migrate {
        let applied = state
            .store
            .migrate()
            .await
            .context("migrating the database")?;
        if !applied.is_empty() {
            tracing::info!(?applied, "migrations applied");
        }
    }
    state
        .publish_devices()
        .await
        .context("turning MAC authentication on or off in the SQL views")?;
    warn_if_signup_is_off(&state);
    // Bound before anything starts, so `--listen 127.0.0.1:0` works: the log says the port.
    let listener = tokio::net::TcpListener::bind(config.server.listen.as_str())
        .await
        .with_context(|| format!("serving HTTP on {}", config.server.listen))?;
    let listen = listener
        .local_addr()
        .map_or_else(|_| config.server.listen.clone(), |a| a.to_string());
    pages::announce_setup_link(&state, &listen).await;
    let (stop_tasks, shutdown) = owums_core::Shutdown::channel();
    // A required plugin's background task that fails (the SIP listener cannot bind its
    // port) stops the server: serving on without the verifier would fail every sign-up
    // silently. An optional plugin's failure is only logged, as a failed build is.
    let (task_failed, mut failures) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for verifier in &state.verifiers {
        let required = config.plugins.get(verifier.id()).is_none_or(|t| t.required);
        for task in verifier.background_tasks() {
            let name = task.name.clone();
            let fut = (task.run)(shutdown.clone());
            let failed = required.then(|| task_failed.clone());
            tasks.push(tokio::spawn(async move {
                if let Err(e) = fut.await {
                    tracing::error!(task = %name, error = %e, "background task failed");
                    if let Some(failed) = failed {
                        let _ =
                            failed.send(anyhow::Error::new(e).context(format!("{name} failed")));
                    }
                }
            }));
        }
    }
    drop(task_failed);
    tasks.push(tokio::spawn(housekeeping(state.clone(), shutdown.clone())));
    tasks.push(tokio::spawn(mail::delivery(
        state.clone(),
        shutdown.clone(),
    )));
    let failure = std::sync::Arc::new(std::sync::Mutex::new(None));
    let grace = Duration::from_secs(config.server.shutdown_grace_seconds);
    // One grace period from the signal for everything: the open connections and the
    // background tasks wind down together, and whatever still runs at its end is dropped.
    let deadline = std::sync::Arc::new(std::sync::OnceLock::new());
    let stop = {
        let (failure, deadline) = (failure.clone(), deadline.clone());
        async move {
            tokio::select! {
                () = signalled => {}
                Some(e) = failures.recv() => {
                    *failure.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e);
                }
            }
            let _ = deadline.set(tokio::time::Instant::now() + grace);
            let _ = stop_tasks.send(true);
        }
    };
    tracing::info!(%listen, backend = state.store.backend().as_str(), "owums serving");
    for name in state.portals.names() {
        let login_url = state.portals.controller_login_url(name).unwrap_or_default();
        tracing::info!(portal = %name, %login_url, "captive portal: configure this login URL on the access controller");
    }
    let options = http_server::HttpOptions {
        header_read_timeout: Duration::from_secs(config.web.header_read_timeout_seconds),
        grace,
    };
    http_server::serve_http(listener, app(state), stop, options)
        .await
        .with_context(|| format!("serving HTTP on {listen}"))?;
    let deadline = deadline
        .get()
        .copied()
        .unwrap_or_else(|| tokio::time::Instant::now() + grace);
    for t in tasks {
        let _ = tokio::time::timeout_at(deadline, t).await;
    }
    let failed = failure
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    if let Some(e) = failed {
        return Err(e);
    }
    tracing::info!("owums stopped");
    Ok(())
}

/// Says at startup when the sign-up page cannot register anyone: no enabled verification
/// method is one subscribers complete on their own (the pages then offer only the login).
fn warn_if_signup_is_off(state: &AppState) {
    if state.verifiers.iter().any(|v| v.self_service()) {
        return;
    }
    let compiled = plugins::registry().verifier_ids();
    let compiled = if compiled.is_empty() {
        "none".to_owned()
    } else {
        compiled.join(", ")
    };
    tracing::warn!(
        plugins_compiled_in = %compiled,
        "self-service sign-up is off: no enabled verification method lets subscribers sign up \
         on their own, so /account/signup says sign-up is unavailable and the pages offer only \
         the login; enable one in plugins.toml (e.g. [plugins.sip] with enabled = true, see \
         docs/verifiers/sip.md)"
    );
}

/// The housekeeper for `state`, with the access-point lookup when one is configured.
pub(crate) fn housekeeper(state: &AppState) -> owums_core::Result<owums_core::jobs::Housekeeper> {
    let keeper = owums_core::jobs::Housekeeper::new(state.store.clone(), state.verifiers.clone());
    if state.config.access_points.lookup_url.is_empty() {
        return Ok(keeper);
    }
    let lookup = access_points::HttpLookup::new(&state.config.access_points)?;
    Ok(keeper.with_access_point_lookup(std::sync::Arc::new(lookup)))
}

/// Runs the due housekeeping jobs every minute until shutdown.
async fn housekeeping(state: AppState, mut shutdown: owums_core::Shutdown) {
    let keeper = match housekeeper(&state) {
        Ok(k) => k,
        Err(e) => {
            tracing::error!(error = %e, "housekeeping not started");
            return;
        }
    };
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shutdown.wait() => return,
        }
        match keeper.run_due(chrono::Utc::now()).await {
            Ok(reports) => {
                for r in reports {
                    if let Some(summary) = r.summary {
                        tracing::info!(job = r.job.name(), %summary, "housekeeping");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
        }
    }
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called, not when
/// it is first awaited, so a signal during startup (migrations, plugins) stops the server
/// cleanly once it runs instead of killing the process.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (mut int, mut term) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let int = async {
                match int.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let term = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = int => {},
                () = term => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}
