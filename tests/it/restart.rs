//! Restarts under REST accounting load: the PostgreSQL server restarted while `owums serve`
//! writes accounting (every acknowledged event written exactly once, 5xx rather than a
//! hang during the outage, recovery without restarting owums), and `owums serve` killed
//! with SIGKILL on SQLite (every acknowledged event still there when it starts again).
//! Figures are printed (`--nocapture`), never asserted against a clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use owums_core::Store;
use owums_core::config::DatabaseConfig;

use crate::support::acct_load::{AcctClient, Acked, Answer, Audit, PROBE_USER, Tally, audit};
use crate::support::cli::{Serving, serve_command};
use crate::support::private_pg::PrivatePg;

const TOKEN: &str = "restart-test-token";
/// Concurrent accounting clients.
const CLIENTS: usize = 4;

fn serve(url: &str) -> (Serving, String) {
    let mut serving = Serving::spawn(
        serve_command(&std::env::temp_dir())
            .env("OWUMS_DATABASE__URL", url)
            .env("OWUMS_FREERADIUS__TOKEN", TOKEN),
    );
    let addr = serving.http_addr().to_string();
    (serving, addr)
}

/// Waits (bounded: about a minute) until the clients have had `n` events acknowledged.
async fn until_acknowledged(tally: &Tally, n: u64) {
    for _ in 0..1200 {
        if tally.acknowledged.load(Ordering::SeqCst) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the load never reached {n} acknowledged events: {tally:?}");
}

fn print_figures(what: &str, tally: &Tally, audit: &Audit, extra: &str) {
    let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::SeqCst);
    println!(
        "{what}: sent {} acknowledged {} rows {} duplicates {} lost {} 5xx {} timeouts {} \
         unanswered {} other {}{extra}",
        load(&tally.sent),
        load(&tally.acknowledged),
        audit.rows,
        audit.duplicates,
        audit.lost.len(),
        load(&tally.server_errors),
        load(&tally.timeouts),
        load(&tally.unanswered),
        tally.other.lock().expect("lock").len(),
    );
}

async fn store(url: &str) -> Store {
    Store::connect(&DatabaseConfig {
        url: url.to_owned(),
        pool_size: 2,
        ..DatabaseConfig::default()
    })
    .await
    .expect("the database answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restart_under_accounting_load_loses_nothing() {
    let Some(pg) = PrivatePg::start() else {
        return;
    };
    let pg = Arc::new(pg);
    let (mut serving, addr) = serve(&pg.url());
    let tally = Arc::new(Tally::default());
    let client = AcctClient::new(&addr, TOKEN, tally.clone());
    let enough = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..CLIENTS)
        .map(|n| tokio::spawn(client.clone().run(n, 10, 200, enough.clone())))
        .collect();

    until_acknowledged(&tally, 30).await;
    let stopper = pg.clone();
    tokio::task::spawn_blocking(move || stopper.stop())
        .await
        .unwrap();
    // while the server is down, an accounting request is answered, with a 5xx
    let asked = Instant::now();
    let during = client.send(PROBE_USER, "probe-down", Acked::Start, 0).await;
    let answered_in = asked.elapsed();
    assert!(
        matches!(during, Answer::Status(500..=599)),
        "an accounting request while PostgreSQL is down: {during:?}\n{}",
        serving.log()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let starter = pg.clone();
    tokio::task::spawn_blocking(move || starter.start_again())
        .await
        .unwrap();
    let up = Instant::now();
    // the same process recovers: probe until an event is acknowledged (bounded)
    let mut recovered = None;
    for i in 0..600 {
        if let Answer::Status(200..=299) = client
            .send(PROBE_USER, &format!("probe-{i}"), Acked::Start, 0)
            .await
        {
            recovered = Some(up.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered =
        recovered.unwrap_or_else(|| panic!("owums never recovered:\n{}", serving.log()));
    enough.store(true, Ordering::SeqCst);
    let mut sessions = 0;
    for task in load {
        sessions += task.await.unwrap();
    }
    assert!(serving.running(), "owums serve died:\n{}", serving.log());

    let store = store(&pg.url()).await;
    let audit = audit(&store, CLIENTS, &tally).await;
    print_figures(
        "postgres restart",
        &tally,
        &audit,
        &format!(
            " sessions {sessions}; during the outage a request was answered in {answered_in:?}; \
             recovered {recovered:?} after PostgreSQL was up"
        ),
    );
    assert_eq!(tally.timeouts.load(Ordering::SeqCst), 0, "a request hung");
    assert_eq!(
        tally.unanswered.load(Ordering::SeqCst),
        0,
        "a request got no answer"
    );
    let other = tally.other.lock().expect("lock").clone();
    assert!(other.is_empty(), "answers other than 2xx/5xx: {other:?}");
    assert_eq!(audit.duplicates, 0);
    assert!(
        audit.lost.is_empty(),
        "acknowledged but not written: {:#?}",
        audit.lost
    );
    // every client finished every session it began: each event was acknowledged at last
    let acked = tally.acked.lock().expect("lock");
    let finished = acked
        .iter()
        .filter(|(uid, (event, _))| uid.starts_with('u') && *event == Acked::Stop)
        .count();
    assert_eq!(
        finished, sessions,
        "sessions left unfinished after the restart"
    );
    // one row per acknowledged session (the probe that got a 5xx wrote nothing)
    assert_eq!(audit.rows, acked.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_kill_9_under_accounting_load_keeps_acknowledged_events() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("owums.db").display());
    let (serving, addr) = serve(&url);
    let tally = Arc::new(Tally::default());
    let client = AcctClient::new(&addr, TOKEN, tally.clone());
    let never = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..CLIENTS)
        .map(|n| tokio::spawn(client.clone().run(n, 200, 200, never.clone())))
        .collect();

    until_acknowledged(&tally, 60).await;
    let kill = std::process::Command::new("kill")
        .args(["-KILL", &serving.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    for task in load {
        task.await.unwrap();
    }
    drop(serving);
    // the clients stopped at the first request without an answer
    assert_eq!(tally.unanswered.load(Ordering::SeqCst), CLIENTS as u64);

    // the same file, a new process: it starts, has every acknowledged event, and takes more
    let (mut again, addr) = serve(&url);
    let after = AcctClient::new(&addr, TOKEN, Arc::new(Tally::default()));
    let answer = after.send("load0", "after-restart", Acked::Start, 0).await;
    assert_eq!(answer, Answer::Status(201), "{}", again.log());
    let store = store(&url).await;
    let audit = audit(&store, CLIENTS, &tally).await;
    print_figures("sqlite kill -9", &tally, &audit, "");
    assert_eq!(tally.timeouts.load(Ordering::SeqCst), 0, "a request hung");
    let other = tally.other.lock().expect("lock").clone();
    assert!(other.is_empty(), "answers other than 2xx/5xx: {other:?}");
    assert_eq!(audit.duplicates, 0);
    assert!(
        audit.lost.is_empty(),
        "acknowledged but not written: {:#?}",
        audit.lost
    );
}
