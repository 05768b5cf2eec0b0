//! The SIP busy machine against real callers (SIPp) and raw datagrams, on SQLite: response
//! codes and their order, verification visible to FreeRADIUS, the allow-list, CANCEL,
//! re-enabling, password recovery by phone, and garbage that must not stop the listener.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use owums_core::recovery::{PhoneRecovery, RecoveryStatus};
use owums_core::{
    Error, PluginContext, Shutdown, Subscribers, UserRecord, UserStatus, Verifier, VerifierFactory,
};
use tokio::net::UdpSocket;

use crate::support::freeradius::{FreeRadius, FreeRadiusOptions, SqlBackend};
use crate::support::{Backend, DbParams, TestDb, mobile, new_user, subscribers};

/// The number subscribers call, as configured.
const OUR_NUMBER: &str = "+39 06 1234567";
const RING_SECONDS: u64 = 1;

mod serve;

struct Listener {
    db: TestDb,
    subscribers: Subscribers,
    verifier: Arc<dyn Verifier>,
    port: u16,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<owums_core::Result<()>>,
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
    async fn start() -> Option<Listener> {
        Self::start_ringing(RING_SECONDS).await
    }

    /// [`Listener::start`], ringing `ring_seconds` before the 486.
    async fn start_ringing(ring_seconds: u64) -> Option<Listener> {
        let db = TestDb::new(Backend::Sqlite).await?;
        let subscribers = subscribers(&db);
        let mut last = String::new();
        for _ in 0..5 {
            let ctx = PluginContext {
                users: Arc::new(db.store.clone()),
                state: Arc::new(db.store.clone()),
                outcomes: Arc::new(subscribers.clone()),
            };
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

    async fn stop(self) {
        let _ = self.stop.send(true);
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("the listener stops on shutdown")
            .unwrap()
            .unwrap();
    }

    async fn user(&self, name: &str) -> UserRecord {
        self.subscribers.find(name).await.unwrap()
    }

    /// Waits (bounded) until `name` is in `status`.
    async fn wait_status(&self, name: &str, status: UserStatus) -> UserRecord {
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
    async fn sipp(&self, scenario: &str, source: &str, caller: &str, callee: &str) -> SippRun {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("it/sip")
            .join(scenario);
        let target = format!("127.0.0.1:{}", self.port);
        let args: Vec<String> = [
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
        ]
        .iter()
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
}

struct SippRun {
    ok: bool,
    elapsed: Duration,
    output: String,
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

fn options(call_id: &str) -> String {
    format!(
        "OPTIONS sip:owums@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{call_id}\r\n\
         From: <sip:gw@127.0.0.1>;tag=1\r\nTo: <sip:owums@127.0.0.1>\r\nCall-ID: {call_id}\r\n\
         CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
}

fn invite(call_id: &str, caller: &str) -> String {
    format!(
        "INVITE sip:061234567@127.0.0.1 SIP/2.0\r\nv: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{call_id}\r\n\
         f: \"Gw\" <sip:{caller}@127.0.0.1>;tag=9\r\nt: <sip:061234567@127.0.0.1>\r\ni: {call_id}\r\n\
         CSeq: 7 INVITE\r\nl: 0\r\n\r\n"
    )
}

async fn recv(socket: &UdpSocket, wait: Duration) -> Option<String> {
    let mut buf = vec![0u8; 65_536];
    let (n, _) = tokio::time::timeout(wait, socket.recv_from(&mut buf))
        .await
        .ok()?
        .ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

fn status_line(reply: &str) -> &str {
    reply.lines().next().unwrap_or_default()
}

/// A subscriber registered for phone verification with mobile `number`.
async fn register(l: &Listener, name: &str, number: &str) -> UserRecord {
    let mut u = new_user(name);
    u.mobile = Some(mobile(number));
    l.subscribers.register(u).await.unwrap()
}

fn sql_backend(db: &TestDb) -> SqlBackend {
    match db.params.clone() {
        DbParams::Sqlite { path } => SqlBackend::Sqlite { path },
        DbParams::Server { .. } => unreachable!("SIP tests run on SQLite"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_call_verifies_the_caller_and_freeradius_accepts_them() {
    let Some(l) = Listener::start().await else {
        return;
    };
    let anna = register(&l, "anna", "+393341234567").await;
    let other = register(&l, "otto", "+393470000000").await;
    let challenge = l.verifier.start(&anna).await.unwrap();
    let json = serde_json::to_value(&challenge).unwrap();
    assert_eq!(json["kind"], "call_number");
    assert_eq!(json["numbers"][0], OUR_NUMBER);
    assert_eq!(json["from"], "+393341234567");
    assert!(json["expires_in_seconds"].as_u64().unwrap() > 290, "{json}");

    let backend = sql_backend(&l.db);
    let fr = tokio::task::spawn_blocking(move || {
        FreeRadius::start(&backend, FreeRadiusOptions { local_client: true })
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("FreeRADIUS did not start: {e}"));
    let fr = Arc::new(fr);
    let auth = |fr: &Arc<FreeRadius>| {
        let fr = fr.clone();
        tokio::task::spawn_blocking(move || fr.authenticate("anna", "password1"))
    };
    assert!(auth(&fr).await.unwrap().is_reject(), "unverified: rejected");

    // A national caller ID (no +39) and the national form of our number.
    let run = l
        .sipp("busy.xml", "127.0.0.1", "3341234567", "061234567")
        .await;
    assert!(run.ok, "SIPp expected 100, 180, 486, ACK:\n{}", run.output);
    assert!(
        run.elapsed >= Duration::from_secs(RING_SECONDS),
        "486 only after ringing: {:?}",
        run.elapsed
    );
    let anna = l.wait_status("anna", UserStatus::Verified).await;
    assert!(anna.verified_at.is_some());
    assert_eq!(l.user("otto").await.status(), UserStatus::Unverified);
    let reply = auth(&fr).await.unwrap();
    assert!(reply.is_accept(), "{}\n{}", reply.raw, fr.log_tail(30));
    let _ = other;
    l.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_source_outside_allowed_peers_gets_no_reply_and_changes_nothing() {
    let Some(l) = Listener::start().await else {
        return;
    };
    register(&l, "bruno", "+393341111111").await;
    let run = l
        .sipp("busy.xml", "127.0.0.3", "+393341111111", "061234567")
        .await;
    assert!(
        !run.ok,
        "no reply expected from outside allowed_peers:\n{}",
        run.output
    );
    let outsider = UdpSocket::bind("127.0.0.3:0").await.unwrap();
    outsider
        .send_to(options("outside").as_bytes(), ("127.0.0.1", l.port))
        .await
        .unwrap();
    assert_eq!(recv(&outsider, Duration::from_millis(1500)).await, None);
    // The same call from an allowed peer is answered and verifies its caller: the listener
    // was up and handling calls all along, and bruno's calls above are long handled.
    register(&l, "bice", "+393341111112").await;
    let run = l
        .sipp("busy.xml", "127.0.0.1", "+393341111112", "061234567")
        .await;
    assert!(run.ok, "{}", run.output);
    l.wait_status("bice", UserStatus::Verified).await;
    assert_eq!(l.user("bruno").await.status(), UserStatus::Unverified);
    l.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_cancel_is_answered_with_200_and_487() {
    // Ringing for a minute: a 487 held back until the ring ends would never reach SIPp,
    // which gives up on an answer after 4 s (-recv_timeout).
    let Some(l) = Listener::start_ringing(60).await else {
        return;
    };
    let run = l
        .sipp("cancel.xml", "127.0.0.1", "+393339999999", "061234567")
        .await;
    assert!(
        run.ok,
        "SIPp expected 100, 180, then 200 for CANCEL and 487 at once:\n{}",
        run.output
    );
    l.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_call_re_enables_a_disabled_subscriber_and_ignores_other_numbers() {
    let Some(l) = Listener::start().await else {
        return;
    };
    let mut u = new_user("dario");
    u.mobile = Some(mobile("+393345555555"));
    let dario = l.subscribers.create(u, true, &[]).await.unwrap();
    l.subscribers.disable(dario.id).await.unwrap();
    assert_eq!(l.user("dario").await.status(), UserStatus::Disabled);
    // A call to a number that is not ours is still busy but changes nothing...
    let run = l
        .sipp("busy.xml", "127.0.0.1", "00393345555555", "0699999")
        .await;
    assert!(run.ok, "{}", run.output);
    // ...while one to ours, made after it, re-enables its caller: by then the first call
    // had long been handled, and left dario as he was.
    let mut u = new_user("dora");
    u.mobile = Some(mobile("+393345555556"));
    let dora = l.subscribers.create(u, true, &[]).await.unwrap();
    l.subscribers.disable(dora.id).await.unwrap();
    let run = l
        .sipp("busy.xml", "127.0.0.1", "00393345555556", "+39061234567")
        .await;
    assert!(run.ok, "{}", run.output);
    l.wait_status("dora", UserStatus::Verified).await;
    assert_eq!(l.user("dario").await.status(), UserStatus::Disabled);
    let run = l
        .sipp("busy.xml", "127.0.0.1", "00393345555555", "+39061234567")
        .await;
    assert!(run.ok, "{}", run.output);
    l.wait_status("dario", UserStatus::Verified).await;
    l.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_phone_password_recovery_end_to_end() {
    let Some(l) = Listener::start().await else {
        return;
    };
    let mut u = new_user("carla");
    u.mobile = Some(mobile("+393346666666"));
    let carla = l.subscribers.create(u, true, &[]).await.unwrap();
    let recovery = PhoneRecovery::new(l.subscribers.clone());
    let request = recovery
        .request(&mobile("+39 334 6666666"), l.verifier.as_ref())
        .await
        .unwrap();
    let json = serde_json::to_value(&request.challenge).unwrap();
    assert_eq!(json["numbers"][0], OUR_NUMBER, "{json}");
    assert_eq!(json["expires_in_seconds"], 300, "{json}");
    let ticket = request.ticket.to_string().parse().unwrap();
    assert!(matches!(
        recovery.status(&ticket).await.unwrap(),
        RecoveryStatus::Pending { .. }
    ));

    let run = l
        .sipp("busy.xml", "127.0.0.1", "3346666666", "061234567")
        .await;
    assert!(run.ok, "{}", run.output);
    let mut token = None;
    for _ in 0..100 {
        if let RecoveryStatus::Proven { token: t, .. } = recovery.status(&ticket).await.unwrap() {
            token = Some(t);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = token.expect("the call proves the recovery");
    let token = token.to_string().parse().unwrap();
    recovery
        .reset_password(&token, "brand-new-pass4")
        .await
        .unwrap();
    assert_eq!(
        l.subscribers
            .authenticate("carla", "brand-new-pass4")
            .await
            .unwrap()
            .id,
        carla.id
    );
    assert!(
        l.subscribers
            .authenticate("carla", "password1")
            .await
            .is_err()
    );
    let again = recovery.reset_password(&token, "another-pass1").await;
    assert!(matches!(again, Err(Error::Unauthorized)), "{again:?}");
    assert!(
        l.subscribers
            .authenticate("carla", "another-pass1")
            .await
            .is_err()
    );
    assert_eq!(
        recovery.status(&ticket).await.unwrap(),
        RecoveryStatus::Expired
    );
    assert_eq!(l.user("carla").await.status(), UserStatus::Verified);
    l.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_garbage_burst_then_a_valid_invite_still_works() {
    let Some(l) = Listener::start().await else {
        return;
    };
    register(&l, "gino", "+393347777777").await;
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let full = invite("burst", "3347777777");
    let mut junk: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        vec![0u8; 1200],
        (0..=255u8).cycle().take(4000).collect(),
        vec![b'A'; 65_000],
        format!(
            "INVITE sip:x@y SIP/2.0\r\nVia: {}\r\n\r\n",
            "x;".repeat(20_000)
        )
        .into_bytes(),
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x\r\n\r\n"
            .as_bytes()
            .to_vec(),
    ];
    for cut in (1..full.len()).step_by(7) {
        junk.push(full.as_bytes()[..cut].to_vec());
    }
    for datagram in &junk {
        let _ = client.send_to(datagram, ("127.0.0.1", l.port)).await;
    }
    // Nothing above is a complete request: no reply at all.
    let reply = recv(&client, Duration::from_millis(500)).await;
    assert_eq!(reply, None, "garbage got a reply");

    // A complete INVITE: 100, 180, then 486 after the ring; a retransmission of it only
    // repeats the last response (no second call).
    let sent = Instant::now();
    client
        .send_to(full.as_bytes(), ("127.0.0.1", l.port))
        .await
        .unwrap();
    let first = recv(&client, Duration::from_secs(2)).await.unwrap();
    assert_eq!(status_line(&first), "SIP/2.0 100 Trying", "{first}");
    let second = recv(&client, Duration::from_secs(2)).await.unwrap();
    assert_eq!(status_line(&second), "SIP/2.0 180 Ringing", "{second}");
    assert!(
        second.contains("Call-ID: burst\r\n") && second.contains(";tag="),
        "{second}"
    );
    client
        .send_to(full.as_bytes(), ("127.0.0.1", l.port))
        .await
        .unwrap();
    let repeated = recv(&client, Duration::from_secs(2)).await.unwrap();
    assert_eq!(status_line(&repeated), "SIP/2.0 180 Ringing", "{repeated}");
    let busy = recv(&client, Duration::from_secs(RING_SECONDS + 3))
        .await
        .unwrap();
    assert_eq!(status_line(&busy), "SIP/2.0 486 Busy Here", "{busy}");
    assert!(sent.elapsed() >= Duration::from_secs(RING_SECONDS));
    assert!(busy.contains("CSeq: 7 INVITE\r\n"), "{busy}");
    // Retransmitted until ACK...
    let again = recv(&client, Duration::from_secs(2)).await.unwrap();
    assert_eq!(status_line(&again), "SIP/2.0 486 Busy Here");
    let to = busy.lines().find(|h| h.starts_with("To:")).unwrap();
    let ack = format!(
        "ACK sip:061234567@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKburst\r\n\
         From: \"Gw\" <sip:3347777777@127.0.0.1>;tag=9\r\n{to}\r\nCall-ID: burst\r\nCSeq: 7 ACK\r\n\
         Content-Length: 0\r\n\r\n"
    );
    client
        .send_to(ack.as_bytes(), ("127.0.0.1", l.port))
        .await
        .unwrap();
    // ...and not after (a retransmission already in flight may still arrive first).
    let mut after_ack = 0;
    while recv(&client, Duration::from_millis(2500)).await.is_some() {
        after_ack += 1;
    }
    assert!(after_ack <= 1, "486 kept coming after the ACK");
    l.wait_status("gino", UserStatus::Verified).await;

    // The listener still serves SIPp after all that.
    let run = l
        .sipp("cancel.xml", "127.0.0.1", "+393330000000", "061234567")
        .await;
    assert!(run.ok, "{}", run.output);
    l.stop().await;
}
