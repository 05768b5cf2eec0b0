//! The SIP busy machine against real callers (SIPp) and raw datagrams, on SQLite: response
//! codes and their order, verification visible to FreeRADIUS, the allow-list, CANCEL,
//! re-enabling, password recovery by phone, and garbage that must not stop the listener.

use std::sync::Arc;
use std::time::{Duration, Instant};

use owums_core::subscriber::{PhoneRecovery, RecoveryStatus};
use owums_core::{Error, UserStatus};
use tokio::net::UdpSocket;

use crate::support::freeradius::{FreeRadius, FreeRadiusOptions};
use crate::support::{mobile, new_user};

/// The number subscribers call, as configured.
const OUR_NUMBER: &str = "+39 06 1234567";
const RING_SECONDS: u64 = 1;

pub(crate) mod harness;
mod serve;

use harness::{Listener, invite, options, recv, register, sql_backend, status_line};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_call_verifies_the_caller_and_freeradius_accepts_them() {
    let Some(l) = Listener::start().await else {
        return;
    };
    let anna = register(&l, "anna", "+393341234567").await;
    let other = register(&l, "otto", "+393470000000").await;
    let challenge = l.verifier.challenge(&anna, "it").await.unwrap();
    let json = serde_json::to_value(&challenge).unwrap();
    assert_eq!(json["kind"], "call_number");
    assert_eq!(json["numbers"][0], OUR_NUMBER);
    assert_eq!(json["from"], "+393341234567");
    assert!(json["expires_in_seconds"].as_u64().unwrap() > 290, "{json}");

    let backend = sql_backend(&l.db);
    let fr = tokio::task::spawn_blocking(move || {
        FreeRadius::start(
            &backend,
            FreeRadiusOptions {
                local_client: true,
                ..Default::default()
            },
        )
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("FreeRADIUS did not start: {e}"));
    let fr = Arc::new(fr);
    let auth = |fr: &Arc<FreeRadius>| {
        let fr = fr.clone();
        tokio::task::spawn_blocking(move || fr.authenticate("anna", "Tulip-Harbor-93"))
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
            .authenticate("carla", "Tulip-Harbor-93")
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

/// At DEBUG, a phone verification and a password recovery by phone log neither the
/// Call-ID of a call (it identifies the call and the caller's device), nor the recovery's
/// ticket or token, nor a password; and a datagram that is not SIP is logged as a length and
/// an escaped beginning, on one line, however it tries to start a line of its own.
// one thread: the capture sees the listener and every task it starts
#[tokio::test]
async fn sip_calls_leave_no_call_id_token_or_password_in_the_debug_log() {
    let logs = crate::support::logs::LogCapture::default();
    let _guard = logs.install(tracing::Level::DEBUG);
    let Some(l) = Listener::start().await else {
        return;
    };
    // SIPp's Call-IDs become `leakcheck-<n>-<pid>@127.0.0.1`
    let cid = ["-cid_str", "leakcheck-%u-%p@%s"];
    register(&l, "liana", "+393348888888").await;
    let run = l
        .sipp_with("busy.xml", "127.0.0.1", "3348888888", "061234567", &cid)
        .await;
    assert!(run.ok, "{}", run.output);
    l.wait_status("liana", UserStatus::Verified).await;
    // a call to a number that is not ours is logged at INFO: with a tag, not its Call-ID
    let run = l
        .sipp_with("busy.xml", "127.0.0.1", "3348888888", "0699999", &cid)
        .await;
    assert!(run.ok, "{}", run.output);

    let mut u = new_user("leone");
    u.mobile = Some(mobile("+393348888889"));
    l.subscribers.create(u, true, &[]).await.unwrap();
    let recovery = PhoneRecovery::new(l.subscribers.clone());
    let request = recovery
        .request(&mobile("+393348888889"), l.verifier.as_ref())
        .await
        .unwrap();
    let ticket = request.ticket.to_string();
    let run = l
        .sipp_with("busy.xml", "127.0.0.1", "3348888889", "061234567", &cid)
        .await;
    assert!(run.ok, "{}", run.output);
    let mut token = None;
    for _ in 0..100 {
        if let RecoveryStatus::Proven { token: t, .. } =
            recovery.status(&ticket.parse().unwrap()).await.unwrap()
        {
            token = Some(t.to_string());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = token.expect("the call proves the recovery");
    recovery
        .reset_password(&token.parse().unwrap(), "leak-check-pass7")
        .await
        .unwrap();

    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for junk in [
        &b"GARBAGE\n2026-01-01T00:00:00Z  INFO owums: fake sip line"[..],
        // no Via: refused, and its Call-ID is not logged either
        b"INVITE sip:x@y SIP/2.0\r\nFrom: <sip:a@b>\r\nTo: <sip:c@d>\r\nCall-ID: leakcheck-raw\r\nCSeq: 1 INVITE\r\n\r\n",
    ] {
        client.send_to(junk, ("127.0.0.1", l.port)).await.unwrap();
    }
    // the listener has read both once it answers an OPTIONS sent after them
    client
        .send_to(options("after-junk").as_bytes(), ("127.0.0.1", l.port))
        .await
        .unwrap();
    assert!(recv(&client, Duration::from_secs(5)).await.is_some());
    l.stop().await;

    let text = logs.text();
    assert!(
        text.contains("call for a number that is not ours") && text.contains("call="),
        "the calls are logged:\n{text}"
    );
    assert!(text.contains("SIP datagram dropped"), "{text}");
    for secret in [
        "leakcheck-",
        ticket.as_str(),
        token.as_str(),
        "leak-check-pass7",
        "password1",
    ] {
        assert!(!text.contains(secret), "{secret} in the log:\n{text}");
    }
    assert!(
        !text
            .lines()
            .any(|line| line.starts_with("2026-01-01T00:00:00Z")),
        "a datagram forged a log line:\n{text}"
    );
    // its length and an escaped beginning, on the line that says it was dropped
    let garbage: Vec<&str> = text.lines().filter(|l| l.contains("GARBAGE")).collect();
    assert_eq!(garbage.len(), 1, "{text}");
    assert!(
        garbage[0].contains("SIP datagram dropped")
            && garbage[0].contains(r#"55 bytes starting "GARBAGE\n2026"#),
        "{}",
        garbage[0]
    );
}
