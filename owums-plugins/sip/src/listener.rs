//! The UDP busy machine: one task reads datagrams and runs the timers of every INVITE
//! server transaction ([`Transactions`]); it rings, then says busy (RFC 3261 §17.2.1
//! timers G, H and I), and answers CANCEL, ACK and OPTIONS. The database lookup of a call
//! to one of our numbers is the only work done in a task of its own.
//!
//! One task for all the calls also keeps the responses of a call in order: the 100, the
//! 180, a repeated 180 and the 486 of one call are sent by the same loop, so a caller never
//! sees a 180 after the 486 or a 100 after the 180.

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use owums_core::{Result, Shutdown};
use tokio::net::UdpSocket;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::message::{self, MAX_MESSAGE_BYTES, Method, SipRequest};
use crate::response::{self, Status};
use crate::transaction::{Invite, Transactions, new_tag, tag_str};
use crate::verify::Matcher;

/// The listener: one socket.
#[derive(Debug)]
pub(crate) struct Listener {
    socket: UdpSocket,
    matcher: Arc<Matcher>,
}

impl Listener {
    pub(crate) async fn bind(matcher: Arc<Matcher>) -> Result<Listener> {
        let addr = matcher.settings.listen;
        let socket = UdpSocket::bind(addr).await.map_err(|e| {
            owums_core::plugin::setting_error(
                crate::ID,
                "listen",
                format!("cannot bind {addr}: {e}"),
            )
        })?;
        // the bound address: port 0 in `listen` gets a free port, which the log then names
        let bound = socket.local_addr().unwrap_or(addr);
        tracing::info!(listen = %bound, "SIP busy machine listening (UDP)");
        Ok(Listener { socket, matcher })
    }

    /// Serves until `shutdown`; calls in progress are dropped then.
    pub(crate) async fn run(self, mut shutdown: Shutdown) -> Result<()> {
        let mut buf = vec![0u8; MAX_MESSAGE_BYTES + 1];
        let mut calls = Transactions::new(self.matcher.settings.ring);
        let mut lookups = JoinSet::new();
        // One timer for the whole table, moved to its next deadline after every event.
        let mut timer = pin!(tokio::time::sleep(Duration::ZERO));
        loop {
            let next = calls.next_deadline();
            if let Some(at) = next
                && timer.deadline() != at
            {
                timer.as_mut().reset(at);
            }
            tokio::select! {
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((n, peer)) => {
                        self.on_datagram(&buf[..n], peer, &mut calls, &mut lookups).await;
                    }
                    Err(e) => tracing::debug!(error = %e, "SIP receive error"),
                },
                () = &mut timer, if next.is_some() => {
                    let now = Instant::now();
                    while let Some(key) = calls.expire(now) {
                        if let Some((bytes, peer)) = calls.response(key) {
                            self.send(bytes, peer).await;
                        }
                    }
                }
                Some(_) = lookups.join_next(), if !lookups.is_empty() => {}
                () = shutdown.wait() => break,
            }
        }
        tracing::info!(calls = calls.len(), "SIP busy machine stopped");
        Ok(())
    }

    async fn send(&self, bytes: &[u8], peer: SocketAddr) {
        if let Err(e) = self.socket.send_to(bytes, peer).await {
            tracing::debug!(%peer, error = %e, "SIP send failed");
        }
    }

    async fn on_datagram(
        &self,
        bytes: &[u8],
        peer: SocketAddr,
        calls: &mut Transactions,
        lookups: &mut JoinSet<()>,
    ) {
        if !self.matcher.settings.allows(peer.ip()) {
            tracing::debug!(%peer, "SIP datagram from a source outside allowed_peers dropped");
            return;
        }
        let req = match message::parse(bytes) {
            Ok(r) if r.cseq_method.eq_ignore_ascii_case(r.method.as_str()) => r,
            Ok(r) => {
                tracing::debug!(%peer, cseq = %crate::message::excerpt(r.cseq_method.as_bytes()), "CSeq method does not match; dropped");
                return;
            }
            Err(e) => {
                tracing::debug!(%peer, error = %e, "SIP datagram dropped");
                return;
            }
        };
        let now = Instant::now();
        match req.method {
            Method::Invite => self.on_invite(&req, peer, now, calls, lookups).await,
            Method::Ack => calls.ack(&req, now),
            Method::Cancel => match calls.cancel(&req, now) {
                Some(cancelled) => {
                    let reply = response::build(&req, Status::Ok, tag_str(&cancelled.tag));
                    self.send(&reply, peer).await;
                    if let Some((bytes, to)) = cancelled.terminated.and_then(|k| calls.response(k))
                    {
                        self.send(bytes, to).await;
                    }
                }
                None => {
                    let tag = new_tag();
                    let reply =
                        response::build(&req, Status::TransactionDoesNotExist, tag_str(&tag));
                    self.send(&reply, peer).await;
                }
            },
            Method::Options => {
                let tag = new_tag();
                self.send(&response::build(&req, Status::Ok, tag_str(&tag)), peer)
                    .await;
            }
            Method::Other(_) => {
                let tag = new_tag();
                let reply = response::build(&req, Status::MethodNotAllowed, tag_str(&tag));
                self.send(&reply, peer).await;
            }
        }
    }

    async fn on_invite(
        &self,
        req: &SipRequest,
        peer: SocketAddr,
        now: Instant,
        calls: &mut Transactions,
        lookups: &mut JoinSet<()>,
    ) {
        match calls.invite(req, peer, now) {
            Invite::New(key) => {
                self.send(&response::build(req, Status::Trying, ""), peer)
                    .await;
                if let Some((ringing, to)) = calls.response(key) {
                    self.send(ringing, to).await;
                }
                if let Some(from) = self.matcher.caller_to_check(req) {
                    let matcher = self.matcher.clone();
                    lookups.spawn(async move { matcher.on_call(&from).await });
                }
            }
            // A retransmission: repeat the last response, start nothing.
            Invite::Retransmission(key) => {
                if let Some((last, _)) = calls.response(key) {
                    self.send(last, peer).await;
                }
            }
            Invite::Full => tracing::warn!(%peer, "too many calls ringing; INVITE dropped"),
        }
    }
}
