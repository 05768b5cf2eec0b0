//! The SIP listener under test: the plugin built through its factory on 127.0.0.1, SIPp
//! runs against it, raw datagrams and their answers.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use owums_core::{
    PluginHost, Shutdown, Subscribers, UserRecord, UserStatus, Verifier, VerifierFactory,
};
use tokio::net::UdpSocket;

use super::{OUR_NUMBER, RING_SECONDS};
use crate::support::freeradius::SqlBackend;
use crate::support::{Backend, DbParams, TestDb, mobile, new_user, subscribers};

pub(super) struct Listener {
    pub(super) db: TestDb,
    pub(super) subscribers: Subscribers,
    pub(super) verifier: Arc<dyn Verifier>,
    pub(super) port: u16,
    pub(super) stop: tokio::sync::watch::Sender<bool>,
    pub(super) task: tokio::task::JoinHandle<owums_core::Result<()>>,
}

/// A UDP port free on 127.0.0.1 a moment ago. The plugin binds the port of its settings
/// itself, so the port has to be chosen before; [`Listener::start`] tries another when some
/// other process took this one in between.
fn probe_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Listener {
    /// The plugin built through its factory, its listener running on 127.0.0.1.
    pub(super) async fn start() -> Option<Listener> {
        Self::start_ringing(RING_SECONDS).await
    }

    /// [`Listener::start`], ringing `ring_seconds` before the 486.
    pub(super) async fn start_ringing(ring_seconds: u64) -> Option<Listener> {
        let db = TestDb::new(Backend::Sqlite).await?;
        let subscribers = subscribers(&db);
        let mut last = String::new();
        for _ in 0..5 {
            let ctx = PluginHost::over_store(&db.store, Arc::new(subscribers.clone()))
                .context(owums_plugin_sip::ID, &[]);
            let port = probe_udp_port();
            let config = serde_json::json!({
                "listen": format!("127.0.0.1:{port}"),
                "allowed_peers": ["127.0.0.1", "10.0.0.0/8"],
                "numbers": [OUR_NUMBER],
                "ring_seconds": ring_seconds,
                "registration_expire_seconds": 300,
                "default_country_code": "39",
            });
            let verifier = owums_plugin_sip::SipVerifierFactory
                .build(config, ctx)
                .unwrap();
            let (stop, shutdown) = Shutdown::channel();
            let task = verifier.background_tasks().pop().unwrap();
            let mut task = tokio::spawn((task.run)(shutdown));
            match wait_ready(port, &mut task).await {
                Ok(()) => {
                    return Some(Listener {
                        db,
                        subscribers,
                        verifier,
                        port,
                        stop,
                        task,
                    });
                }
                // another process took the port between the probe and the bind
                Err(e) if e.contains("cannot bind") => last = e,
                Err(e) => panic!("the SIP listener did not come up: {e}"),
            }
        }
        panic!("the SIP listener found no free port: {last}");
    }

    pub(super) async fn stop(self) {
        let _ = self.stop.send(true);
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("the listener stops on shutdown")
            .unwrap()
            .unwrap();
    }

    pub(super) async fn user(&self, name: &str) -> UserRecord {
        self.subscribers.find(name).await.unwrap()
    }

    /// Waits (bounded) until `name` is in `status`.
    pub(super) async fn wait_status(&self, name: &str, status: UserStatus) -> UserRecord {
        for _ in 0..100 {
            let u = self.user(name).await;
            if u.status() == status {
                return u;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{name} never became {}", status.as_str());
    }

    /// Runs SIPp's scenario `name` once from `source` calling `callee` as `caller`.
    pub(super) async fn sipp(
        &self,
        scenario: &str,
        source: &str,
        caller: &str,
        callee: &str,
    ) -> SippRun {
        self.sipp_with(scenario, source, caller, callee, &[]).await
    }

    /// [`Listener::sipp`] with more SIPp options (`-cid_str` sets the Call-ID).
    pub(super) async fn sipp_with(
        &self,
        scenario: &str,
        source: &str,
        caller: &str,
        callee: &str,
        options: &[&str],
    ) -> SippRun {
        sipp_call(self.port, scenario, source, caller, callee, options).await
    }
}

/// Runs SIPp's scenario `name` (in `tests/it/sip/`) once from `source` calling `callee` as
/// `caller`, against the SIP listener on `127.0.0.1:port`.
pub(crate) async fn sipp_call(
    port: u16,
    scenario: &str,
    source: &str,
    caller: &str,
    callee: &str,
    options: &[&str],
) -> SippRun {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("it/sip")
        .join(scenario);
    let target = format!("127.0.0.1:{port}");
    let args: Vec<String> = options
        .iter()
        .chain(&[
            "-sf",
            path.to_str().unwrap(),
            "-i",
            source,
            "-bind_local",
            "-key",
            "caller",
            caller,
            "-key",
            "callee",
            callee,
            "-m",
            "1",
            "-nostdin",
            "-recv_timeout",
            "4000",
            "-timeout",
            "20",
            "-timeout_error",
            &target,
        ])
        .map(|s| (*s).to_owned())
        .collect();
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("sipp")
            .args(&args)
            .output()
            .expect("sipp is installed (scripts/install-peers)")
    })
    .await
    .unwrap();
    SippRun {
        ok: out.status.success(),
        elapsed: started.elapsed(),
        output: format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

pub(crate) struct SippRun {
    pub(crate) ok: bool,
    pub(crate) elapsed: Duration,
    pub(crate) output: String,
}

/// Until OPTIONS to `port` gets its 200, or the listener `task` ends (its error).
async fn wait_ready(
    port: u16,
    task: &mut tokio::task::JoinHandle<owums_core::Result<()>>,
) -> Result<(), String> {
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for _ in 0..150 {
        if task.is_finished() {
            return Err(match task.await {
                Ok(Err(e)) => e.to_string(),
                Ok(Ok(())) => "the listener stopped".to_owned(),
                Err(e) => format!("the listener task failed: {e}"),
            });
        }
        client
            .send_to(options("ready").as_bytes(), ("127.0.0.1", port))
            .await
            .unwrap();
        if let Some(reply) = recv(&client, Duration::from_millis(200)).await {
            assert!(reply.starts_with("SIP/2.0 200 OK"), "{reply}");
            return Ok(());
        }
    }
    Err("no answer to OPTIONS".to_owned())
}

pub(super) fn options(call_id: &str) -> String {
    format!(
        "OPTIONS sip:owums@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{call_id}\r\n\
         From: <sip:gw@127.0.0.1>;tag=1\r\nTo: <sip:owums@127.0.0.1>\r\nCall-ID: {call_id}\r\n\
         CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
}

pub(super) fn invite(call_id: &str, caller: &str) -> String {
    format!(
        "INVITE sip:061234567@127.0.0.1 SIP/2.0\r\nv: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{call_id}\r\n\
         f: \"Gw\" <sip:{caller}@127.0.0.1>;tag=9\r\nt: <sip:061234567@127.0.0.1>\r\ni: {call_id}\r\n\
         CSeq: 7 INVITE\r\nl: 0\r\n\r\n"
    )
}

pub(super) async fn recv(socket: &UdpSocket, wait: Duration) -> Option<String> {
    let mut buf = vec![0u8; 65_536];
    let (n, _) = tokio::time::timeout(wait, socket.recv_from(&mut buf))
        .await
        .ok()?
        .ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

pub(super) fn status_line(reply: &str) -> &str {
    reply.lines().next().unwrap_or_default()
}

/// A subscriber registered for phone verification with mobile `number`.
pub(super) async fn register(l: &Listener, name: &str, number: &str) -> UserRecord {
    let mut u = new_user(name);
    u.mobile = Some(mobile(number));
    l.subscribers.register(u).await.unwrap()
}

pub(super) fn sql_backend(db: &TestDb) -> SqlBackend {
    match db.params.clone() {
        DbParams::Sqlite { path } => SqlBackend::Sqlite { path },
        DbParams::Server { .. } => unreachable!("SIP tests run on SQLite"),
    }
}
