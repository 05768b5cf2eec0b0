//! The UDP busy machine: INVITE server transactions that ring and then say busy
//! (RFC 3261 §17.2.1 timers G, H and I), CANCEL, ACK and OPTIONS.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use owums_core::{Result, Shutdown};
use tokio::net::UdpSocket;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::message::{self, MAX_MESSAGE_BYTES, Method, SipRequest};
use crate::response::{self, Status};
use crate::verify::Matcher;

/// RFC 3261 T1: the first retransmission interval of the final response.
const T1: Duration = Duration::from_millis(500);
/// RFC 3261 T2: the longest retransmission interval.
const T2: Duration = Duration::from_secs(4);
/// RFC 3261 T4: how long ACK retransmissions are absorbed after the ACK (timer I).
const T4: Duration = Duration::from_secs(5);
/// Calls ringing at once; INVITEs beyond this are dropped (the gateway retries).
const MAX_CALLS: usize = 200_000;

/// Server transactions are told apart by Call-ID, top Via branch and CSeq number.
type Key = (String, String, u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Proceeding,
    Completed,
}

#[derive(Debug)]
struct Call {
    peer: SocketAddr,
    tag: String,
    /// The last response sent, repeated when the INVITE is retransmitted.
    last: Mutex<Vec<u8>>,
    phase: Mutex<Phase>,
    cancelled: Notify,
    acked: Notify,
}

/// The listener: one socket, the transactions in progress.
#[derive(Debug)]
pub(crate) struct Listener {
    socket: UdpSocket,
    matcher: Arc<Matcher>,
    calls: Mutex<HashMap<Key, Arc<Call>>>,
}

fn key(req: &SipRequest) -> Key {
    (req.call_id.clone(), req.branch().to_owned(), req.cseq)
}

fn new_tag() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let bytes: [u8; 10] = rand::random();
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

impl Listener {
    pub(crate) async fn bind(matcher: Arc<Matcher>) -> Result<Arc<Listener>> {
        let addr = matcher.settings.listen;
        let socket = UdpSocket::bind(addr).await.map_err(|e| {
            owums_core::Error::Config(format!("[plugins.sip] listen: cannot bind {addr}: {e}"))
        })?;
        tracing::info!(listen = %addr, "SIP busy machine listening (UDP)");
        Ok(Arc::new(Listener {
            socket,
            matcher,
            calls: Mutex::new(HashMap::new()),
        }))
    }

    /// Serves until `shutdown`; calls in progress are dropped then.
    pub(crate) async fn run(self: Arc<Self>, mut shutdown: Shutdown) -> Result<()> {
        let mut buf = vec![0u8; MAX_MESSAGE_BYTES + 1];
        let mut tasks = JoinSet::new();
        loop {
            tokio::select! {
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((n, peer)) => self.on_datagram(&buf[..n], peer, &mut tasks).await,
                    Err(e) => tracing::debug!(error = %e, "SIP receive error"),
                },
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                () = shutdown.wait() => break,
            }
        }
        tracing::info!("SIP busy machine stopped");
        Ok(())
    }

    async fn send(&self, bytes: &[u8], peer: SocketAddr) {
        if let Err(e) = self.socket.send_to(bytes, peer).await {
            tracing::debug!(%peer, error = %e, "SIP send failed");
        }
    }

    fn find(&self, key: &Key) -> Option<Arc<Call>> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    async fn on_datagram(
        self: &Arc<Self>,
        bytes: &[u8],
        peer: SocketAddr,
        tasks: &mut JoinSet<()>,
    ) {
        if !self.matcher.settings.allows(peer.ip()) {
            tracing::debug!(%peer, "SIP datagram from a source outside allowed_peers dropped");
            return;
        }
        let req = match message::parse(bytes) {
            Ok(r) if r.cseq_method.eq_ignore_ascii_case(r.method.as_str()) => r,
            Ok(r) => {
                tracing::debug!(%peer, cseq = %r.cseq_method, "CSeq method does not match; dropped");
                return;
            }
            Err(e) => {
                tracing::debug!(%peer, error = %e, "SIP datagram dropped");
                return;
            }
        };
        match req.method {
            Method::Invite => self.on_invite(req, peer, tasks).await,
            Method::Ack => {
                if let Some(call) = self.find(&key(&req)) {
                    call.acked.notify_one();
                }
            }
            Method::Cancel => match self.find(&key(&req)) {
                Some(call) => {
                    let reply = response::build(&req, Status::Ok, &call.tag);
                    self.send(&reply, peer).await;
                    if *call.phase.lock().unwrap_or_else(PoisonError::into_inner)
                        == Phase::Proceeding
                    {
                        call.cancelled.notify_one();
                    }
                }
                None => {
                    let reply = response::build(&req, Status::TransactionDoesNotExist, &new_tag());
                    self.send(&reply, peer).await;
                }
            },
            Method::Options => {
                self.send(&response::build(&req, Status::Ok, &new_tag()), peer)
                    .await;
            }
            Method::Other(_) => {
                let reply = response::build(&req, Status::MethodNotAllowed, &new_tag());
                self.send(&reply, peer).await;
            }
        }
    }

    async fn on_invite(
        self: &Arc<Self>,
        req: SipRequest,
        peer: SocketAddr,
        tasks: &mut JoinSet<()>,
    ) {
        let k = key(&req);
        let call = {
            let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
            match calls.get(&k) {
                // A retransmission: repeat the last response, start nothing.
                Some(call) => Err(Some(
                    call.last
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .clone(),
                )),
                None if calls.len() >= MAX_CALLS => Err(None),
                None => {
                    let call = Arc::new(Call {
                        peer,
                        tag: new_tag(),
                        last: Mutex::new(response::build(&req, Status::Trying, "")),
                        phase: Mutex::new(Phase::Proceeding),
                        cancelled: Notify::new(),
                        acked: Notify::new(),
                    });
                    calls.insert(k.clone(), call.clone());
                    Ok(call)
                }
            }
        };
        let call = match call {
            Ok(call) => call,
            Err(Some(last)) => return self.send(&last, peer).await,
            Err(None) => {
                tracing::warn!(%peer, "too many calls ringing; INVITE dropped");
                return;
            }
        };
        let matcher = self.matcher.clone();
        let dialled = req.clone();
        tasks.spawn(async move { matcher.on_call(&dialled).await });
        let this = self.clone();
        tasks.spawn(async move {
            this.ring(&req, &call).await;
            this.calls
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&k);
        });
    }

    /// 100, 180, then 486 after the ring time (487 if cancelled), repeated until ACK.
    async fn ring(&self, req: &SipRequest, call: &Call) {
        let remember = |bytes: &Vec<u8>| {
            bytes.clone_into(&mut call.last.lock().unwrap_or_else(PoisonError::into_inner));
        };
        let trying = call
            .last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        self.send(&trying, call.peer).await;
        let ringing = response::build(req, Status::Ringing, &call.tag);
        remember(&ringing);
        self.send(&ringing, call.peer).await;
        let status = tokio::select! {
            () = tokio::time::sleep(self.matcher.settings.ring) => Status::BusyHere,
            () = call.cancelled.notified() => Status::RequestTerminated,
        };
        let last = {
            let final_response = response::build(req, status, &call.tag);
            *call.phase.lock().unwrap_or_else(PoisonError::into_inner) = Phase::Completed;
            remember(&final_response);
            final_response
        };
        let give_up = tokio::time::Instant::now() + 64 * T1;
        let mut interval = T1;
        loop {
            self.send(&last, call.peer).await;
            tokio::select! {
                () = call.acked.notified() => {
                    // Timer I: absorb retransmitted ACKs before forgetting the transaction.
                    tokio::time::sleep(T4).await;
                    return;
                }
                () = tokio::time::sleep(interval) => {}
            }
            if tokio::time::Instant::now() >= give_up {
                tracing::debug!(peer = %call.peer, call_id = %req.call_id, "no ACK for the final response");
                return;
            }
            interval = (interval * 2).min(T2);
        }
    }
}
