//! The portal logon benchmark (not a test: ignored unless asked for; `bench/portal.sh`
//! runs it in an optimised build and explains the figures). Devices, each from its own
//! 127.0.0.0/8 address, go through the CoovaChilli-style simulator again and again:
//! redirect → owums' login page → submit → owums sends the browser to the controller's
//! `/logon` → the controller asks FreeRADIUS → FreeRADIUS asks owums (REST) or reads its
//! database (SQL) → accounting Start (no Interim-Update: a
//! session of a few milliseconds ends long before one is due) → back to owums → the status page; then
//! logoff. The subscriber's wait is from the submit to the status page.
//!
//! The devices go through each round's three steps together (arrive, log on, log off,
//! with a barrier between steps), so that besides the whole visits' rate the logon step's
//! own rate can be told: the logons of a round divided by the time from the round's submits
//! to its last status page, while no other step runs.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Barrier;

use super::{Client, Hotspot, Mode, PASSWORD, Page};
use crate::support::Backend;

/// A setting from the environment, or its default.
fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Follows `page`'s redirects (relative to `url`) until an answer that is not one.
async fn follow(client: &Client, mut url: reqwest::Url, mut page: Page) -> (reqwest::Url, Page) {
    for _ in 0..10 {
        let Some(location) = page.location.clone() else {
            return (url, page);
        };
        url = url.join(&location).expect("a redirect URL");
        page = client.get(url.as_str()).await;
    }
    panic!("a redirect loop: {url}");
}

/// What one device measured: the wait of each logon.
struct Device {
    waits: Vec<Duration>,
}

/// The devices' meeting points, and the time the logon steps took.
struct Rounds {
    barrier: Barrier,
    /// This round's first submit and last status page.
    span: Mutex<Option<(Instant, Instant)>>,
    /// The logon steps' time, summed over the rounds.
    logon_time: Mutex<Duration>,
    /// What went wrong first: a device that fails only meets the others from then on, so
    /// that none waits for it forever, and the run fails at its end.
    failure: Mutex<Option<String>>,
}

impl Rounds {
    fn new(devices: usize) -> Rounds {
        Rounds {
            barrier: Barrier::new(devices),
            span: Mutex::new(None),
            logon_time: Mutex::new(Duration::ZERO),
            failure: Mutex::new(None),
        }
    }

    /// Widens this round's logon span to `started..ended`.
    fn logon(&self, started: Instant, ended: Instant) {
        let mut span = self.span.lock().expect("span");
        let (a, b) = span.get_or_insert((started, ended));
        *a = (*a).min(started);
        *b = (*b).max(ended);
    }

    /// Notes a device's failure (the first one is kept).
    fn fail(&self, what: String) {
        self.failure.lock().expect("failure").get_or_insert(what);
    }

    /// Waits for every device; the last one to arrive adds the round's logon span up.
    async fn meet(&self) {
        if self.barrier.wait().await.is_leader()
            && let Some((a, b)) = self.span.lock().expect("span").take()
        {
            *self.logon_time.lock().expect("time") += b - a;
        }
    }
}

/// `rounds` logons and logoffs of `name` from `address`. Each visit runs in a task of its
/// own, so that a panic in it (an answer that never came) fails the run instead of leaving
/// the other devices waiting at a meeting.
async fn device(
    spot: Arc<Hotspot>,
    steps: Arc<Rounds>,
    address: IpAddr,
    name: String,
    rounds: usize,
) -> Device {
    let client = Arc::new(Client::from_address(address));
    let waits = Arc::new(Mutex::new(Vec::with_capacity(rounds)));
    // the meetings left: two a round
    let meetings = Arc::new(AtomicUsize::new(2 * rounds));
    for _ in 0..rounds {
        let (sp, st, cl, nm) = (spot.clone(), steps.clone(), client.clone(), name.clone());
        let (w, m) = (waits.clone(), meetings.clone());
        let one = tokio::spawn(async move { visit(&sp, &st, &cl, &nm, &w, &m).await });
        let failure = match one.await {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => e,
            Err(e) => format!("panicked: {e}"),
        };
        steps.fail(format!("{name}: {failure}"));
        break;
    }
    for _ in 0..meetings.load(Ordering::SeqCst) {
        steps.meet().await;
    }
    let waits = std::mem::take(&mut *waits.lock().expect("waits"));
    Device { waits }
}

/// One visit of device `name`: arrive, meet, log on, meet, log off.
async fn visit(
    spot: &Hotspot,
    steps: &Rounds,
    client: &Client,
    name: &str,
    waits: &Mutex<Vec<Duration>>,
    meetings: &AtomicUsize,
) -> Result<(), String> {
    let intercept: reqwest::Url = spot.coova.intercept_url().parse().expect("URL");
    let first = client.get(intercept.as_str()).await;
    let (login_url, login) = follow(client, intercept, first).await;
    if login.status != 200 {
        return Err(format!("the login page: {}", login.body));
    }
    let csrf = login.csrf();
    meetings.fetch_sub(1, Ordering::SeqCst);
    steps.meet().await;
    let started = Instant::now();
    let submitted = client
        .post(
            &spot.site.url("/portal/lobby/login"),
            &[
                ("csrf_token", &csrf),
                ("username", name),
                ("password", PASSWORD),
            ],
        )
        .await;
    let (at, status) = follow(client, login_url, submitted).await;
    let ended = Instant::now();
    waits.lock().expect("waits").push(ended - started);
    steps.logon(started, ended);
    if at.path() != "/portal/lobby/status" || !status.body.contains(name) {
        return Err(format!("not online at {at}: {}", status.body));
    }
    meetings.fetch_sub(1, Ordering::SeqCst);
    steps.meet().await;
    let csrf = status.csrf();
    let out = client
        .post(
            &spot.site.url("/portal/lobby/logout"),
            &[("csrf_token", &csrf)],
        )
        .await;
    let (_, off) = follow(client, at, out).await;
    if off.status != 200 {
        return Err(format!("not logged off: {}", off.body));
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at].as_secs_f64() * 1000.0
}

/// One run at `devices` devices: visits and logons per second and the waits' percentiles.
async fn run(spot: &Arc<Hotspot>, mode: Mode, backend: Backend, devices: usize, rounds: usize) {
    let steps = Arc::new(Rounds::new(devices));
    let started = Instant::now();
    let tasks: Vec<_> = (0..devices)
        .map(|i| {
            let address = IpAddr::V4(Ipv4Addr::new(
                127,
                0,
                1,
                u8::try_from(i + 1).expect("≤ 250"),
            ));
            tokio::spawn(device(
                spot.clone(),
                steps.clone(),
                address,
                format!("bench{i:03}"),
                rounds,
            ))
        })
        .collect();
    let mut waits = Vec::new();
    for task in tasks {
        waits.extend(task.await.expect("a device").waits);
    }
    let elapsed = started.elapsed();
    waits.sort();
    if let Some(failure) = steps.failure.lock().expect("failure").take() {
        panic!("a device failed: {failure}");
    }
    let logon_time = *steps.logon_time.lock().expect("time");
    // visits: arrival, logon and logoff, over the whole run; logons: over the logon steps
    println!(
        "portal-bench mode={mode:?} backend={backend:?} devices={devices} logons={} seconds={:.2} visits_per_s={:.0} logons_per_s={:.0} wait_p50_ms={:.2} wait_p90_ms={:.2} wait_p99_ms={:.2} wait_max_ms={:.2}",
        waits.len(),
        elapsed.as_secs_f64(),
        waits.len() as f64 / elapsed.as_secs_f64(),
        waits.len() as f64 / logon_time.as_secs_f64(),
        percentile(&waits, 0.50),
        percentile(&waits, 0.90),
        percentile(&waits, 0.99),
        percentile(&waits, 1.0),
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: bench/portal.sh runs it"]
async fn portal_logons_per_second() {
    let modes: Vec<Mode> = match std::env::var("PORTAL_BENCH_MODES").as_deref() {
        Ok("rest") => vec![Mode::Rest],
        Ok("sql") => vec![Mode::SqlChap],
        _ => vec![Mode::Rest, Mode::SqlChap],
    };
    let concurrency: Vec<usize> = std::env::var("PORTAL_BENCH_DEVICES")
        .unwrap_or_else(|_| "1 8 16 64".into())
        .split_whitespace()
        .map(|n| n.parse().expect("a number of devices"))
        .collect();
    let logons: usize = setting("PORTAL_BENCH_LOGONS", 1000);
    // owums' own log lines (warnings by default) when RUST_LOG says so
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .try_init();
    }
    let backend = match std::env::var("PORTAL_BENCH_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        Ok("mysql") => Backend::Mysql,
        _ => Backend::Sqlite,
    };
    for mode in modes {
        let spot = Hotspot::start_for_load(mode, backend).await;
        {
            let mut state = spot.coova.state.lock().expect("state");
            state.forget_answers = true;
            state.no_interim = true;
        }
        let most = concurrency.iter().copied().max().unwrap_or(1);
        for i in 0..most {
            spot.subscriber(&format!("bench{i:03}")).await;
        }
        let spot = Arc::new(spot);
        // a first round for every device: argon2id checks, connections, caches
        run(&spot, mode, backend, most, 1).await;
        for &devices in &concurrency {
            run(&spot, mode, backend, devices, (logons / devices).max(1)).await;
        }
        assert_eq!(spot.coova.state.lock().expect("state").online(), 0);
    }
}
