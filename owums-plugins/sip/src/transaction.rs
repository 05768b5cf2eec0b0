//! The INVITE server transactions (RFC 3261 §17.2.1) as one table with one timer queue:
//! no task, no timer and no parsed request kept per call, so a ringing call costs a table
//! entry, its 180 Ringing as sent and a queue entry.
//!
//! The table does no I/O: the listener asks it what to send ([`Transactions::response`])
//! after telling it what arrived and what time it is. Each call has one deadline that
//! counts; a queue entry that no longer matches its call's deadline is skipped when it
//! comes up (lazy deletion), so nothing is searched for.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::net::SocketAddr;
use std::ops::Range;
use std::time::Duration;

use tokio::time::Instant;

use crate::message::SipRequest;
use crate::response::{self, Status};

/// RFC 3261 T1: the first retransmission interval of the final response (timer G).
const T1: Duration = Duration::from_millis(500);
/// RFC 3261 T2: the longest retransmission interval.
const T2: Duration = Duration::from_secs(4);
/// RFC 3261 timer H (64·T1): how long the final response is repeated without an ACK.
const TIMER_H: Duration = Duration::from_secs(32);
/// RFC 3261 timer I (T4 over UDP): how long ACK retransmissions are absorbed after the ACK.
const TIMER_I: Duration = Duration::from_secs(5);
/// Calls in the table at once; INVITEs beyond this are dropped (the gateway retries).
pub(crate) const MAX_CALLS: usize = 200_000;

/// A transaction: Call-ID, top Via branch and CSeq number, hashed with a per-process
/// random key. 8 bytes instead of the strings; two live transactions share a key with a
/// probability of about n²/2⁶⁵ (1 in 10¹¹ for 20 000 calls), and a sender cannot aim for
/// it without the key.
pub(crate) type Key = u64;

/// A To tag: 10 characters of `[a-z0-9]` (about 51 random bits).
pub(crate) type Tag = [u8; 10];

/// A new random To tag.
pub(crate) fn new_tag() -> Tag {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let bytes: Tag = rand::random();
    bytes.map(|b| ALPHABET[usize::from(b) % ALPHABET.len()])
}

/// The tag as text (always ASCII).
pub(crate) fn tag_str(tag: &Tag) -> &str {
    std::str::from_utf8(tag).unwrap_or_default()
}

#[derive(Debug)]
struct Call {
    peer: SocketAddr,
    tag: Tag,
    /// The one timer that counts for this call; other queue entries for it are stale.
    deadline: Instant,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Ringing: the 180 as sent, repeated on INVITE retransmissions. The final response is
    /// the same bytes with another status line and without the Record-Route lines.
    Proceeding {
        ringing: Box<[u8]>,
        record_route: Range<u32>,
    },
    /// The final response, sent `sent` times so far (timer G repeats it until ACK).
    Completed { response: Box<[u8]>, sent: u32 },
    /// ACKed: ACKs and INVITE retransmissions are absorbed until timer I.
    Confirmed,
}

/// What an INVITE was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Invite {
    /// A new call, ringing: send 100 Trying, then [`Transactions::response`] (the 180).
    New(Key),
    /// A retransmission: send [`Transactions::response`] again (nothing after the ACK).
    Retransmission(Key),
    /// The table is full: dropped.
    Full,
}

/// What a CANCEL matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cancelled {
    /// The call's To tag, for the 200 to the CANCEL.
    pub(crate) tag: Tag,
    /// The call was ringing and now ends with 487: send [`Transactions::response`].
    pub(crate) terminated: Option<Key>,
}

/// Every transaction in progress and their timers.
#[derive(Debug)]
pub(crate) struct Transactions {
    calls: HashMap<Key, Call>,
    timers: BinaryHeap<Reverse<(Instant, Key)>>,
    keys: RandomState,
    ring: Duration,
}

/// How long the final response has been repeated after `sent` sends (timer G doubles
/// from T1 up to T2).
fn repeated_for(sent: u32) -> Duration {
    (0..sent.saturating_sub(1)).map(interval_after).sum()
}

/// The wait after the `n`-th retransmission (0: after the first send).
fn interval_after(n: u32) -> Duration {
    T1.saturating_mul(1 << n.min(8)).min(T2)
}

impl Transactions {
    /// An empty table whose calls ring for `ring`.
    pub(crate) fn new(ring: Duration) -> Transactions {
        Transactions {
            calls: HashMap::new(),
            timers: BinaryHeap::new(),
            keys: RandomState::new(),
            ring,
        }
    }

    /// Transactions in the table.
    pub(crate) fn len(&self) -> usize {
        self.calls.len()
    }

    fn key(&self, req: &SipRequest) -> Key {
        self.keys
            .hash_one((req.call_id.as_str(), req.branch(), req.cseq))
    }

    fn schedule(&mut self, key: Key, at: Instant) {
        if let Some(call) = self.calls.get_mut(&key) {
            call.deadline = at;
            self.timers.push(Reverse((at, key)));
        }
    }

    /// An INVITE from `peer`.
    pub(crate) fn invite(&mut self, req: &SipRequest, peer: SocketAddr, now: Instant) -> Invite {
        let key = self.key(req);
        if self.calls.contains_key(&key) {
            return Invite::Retransmission(key);
        }
        if self.calls.len() >= MAX_CALLS {
            return Invite::Full;
        }
        let tag = new_tag();
        let (ringing, record_route) = response::build_marked(req, Status::Ringing, tag_str(&tag));
        let record_route = u32_range(record_route);
        self.calls.insert(
            key,
            Call {
                peer,
                tag,
                deadline: now,
                state: State::Proceeding {
                    ringing: ringing.into_boxed_slice(),
                    record_route,
                },
            },
        );
        self.schedule(key, now + self.ring);
        Invite::New(key)
    }

    /// A CANCEL: `None` when it matches no transaction.
    pub(crate) fn cancel(&mut self, req: &SipRequest, now: Instant) -> Option<Cancelled> {
        let key = self.key(req);
        let call = self.calls.get_mut(&key)?;
        let tag = call.tag;
        if !matches!(call.state, State::Proceeding { .. }) {
            return Some(Cancelled {
                tag,
                terminated: None,
            });
        }
        call.state = finish(&call.state, Status::RequestTerminated);
        self.schedule(key, now + interval_after(0));
        Some(Cancelled {
            tag,
            terminated: Some(key),
        })
    }

    /// An ACK: the final response arrived; stop repeating it.
    pub(crate) fn ack(&mut self, req: &SipRequest, now: Instant) {
        let key = self.key(req);
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        if matches!(call.state, State::Completed { .. }) {
            call.state = State::Confirmed;
            self.schedule(key, now + TIMER_I);
        }
    }

    /// What to send to the caller of `key` now: the 180 while ringing, the final response
    /// after it, nothing once ACKed.
    pub(crate) fn response(&self, key: Key) -> Option<(&[u8], SocketAddr)> {
        let call = self.calls.get(&key)?;
        match &call.state {
            State::Proceeding { ringing, .. } => Some((ringing, call.peer)),
            State::Completed { response, .. } => Some((response, call.peer)),
            State::Confirmed => None,
        }
    }

    /// When [`Transactions::expire`] has something to do (possibly nothing: stale entries).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _))| *at)
    }

    /// Runs the timers due at `now` until one needs a datagram sent: returns the key whose
    /// [`Transactions::response`] to send (the 486 after the ring, or a repetition of the
    /// final response). `None` when nothing more is due. Call it until `None`.
    pub(crate) fn expire(&mut self, now: Instant) -> Option<Key> {
        while let Some(&Reverse((at, key))) = self.timers.peek() {
            if at > now {
                return None;
            }
            self.timers.pop();
            let Some(call) = self.calls.get_mut(&key) else {
                continue;
            };
            if call.deadline != at {
                continue;
            }
            match &mut call.state {
                State::Proceeding { .. } => {
                    call.state = finish(&call.state, Status::BusyHere);
                    self.schedule(key, now + interval_after(0));
                    return Some(key);
                }
                State::Completed { sent, .. } if repeated_for(*sent + 1) < TIMER_H => {
                    *sent += 1;
                    let wait = interval_after(*sent - 1);
                    self.schedule(key, now + wait);
                    return Some(key);
                }
                State::Completed { .. } => {
                    tracing::debug!(peer = %call.peer, "no ACK for the final response");
                    self.calls.remove(&key);
                }
                State::Confirmed => {
                    self.calls.remove(&key);
                }
            }
        }
        // The queue may hold many stale entries after a burst of CANCELs; keep it in step.
        if self.timers.capacity() > 1024 && self.timers.capacity() > 4 * self.timers.len() {
            self.timers.shrink_to_fit();
        }
        None
    }
}

/// The final response of a ringing call (`state` must be [`State::Proceeding`]).
fn finish(state: &State, status: Status) -> State {
    let State::Proceeding {
        ringing,
        record_route,
    } = state
    else {
        return State::Confirmed;
    };
    let range = record_route.start as usize..record_route.end as usize;
    State::Completed {
        response: response::final_from_ringing(ringing, range, status).into_boxed_slice(),
        sent: 1,
    }
}

fn u32_range(r: Range<usize>) -> Range<u32> {
    let cut = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    cut(r.start)..cut(r.end)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::message::parse;

    const INVITE: &str = "INVITE sip:061234567@192.0.2.1 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\n\
        Record-Route: <sip:192.0.2.10;lr>\r\n\
        To: <sip:061234567@192.0.2.1>\r\nFrom: <sip:3341234567@192.0.2.10>;tag=9\r\n\
        Call-ID: c1@gw\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n";

    fn request(method: &str) -> SipRequest {
        let text = INVITE
            .replacen("INVITE", method, 1)
            .replace("7 INVITE", &format!("7 {method}"));
        parse(text.as_bytes()).unwrap()
    }

    fn peer() -> SocketAddr {
        "192.0.2.10:5060".parse().unwrap()
    }

    fn sent(t: &Transactions, key: Key) -> String {
        String::from_utf8(t.response(key).unwrap().0.to_vec()).unwrap()
    }

    /// Every send `expire` asks for up to `until`, as (seconds after `t0`, status line).
    fn run(t: &mut Transactions, t0: Instant, until: Duration) -> Vec<(f64, String)> {
        let mut out = Vec::new();
        while let Some(at) = t.next_deadline().filter(|at| *at <= t0 + until) {
            while let Some(key) = t.expire(at) {
                let line = sent(t, key).lines().next().unwrap().to_owned();
                out.push(((at - t0).as_secs_f64(), line));
            }
        }
        out
    }

    #[test]
    fn invite_rings_then_busy_repeated_until_timer_h() {
        let t0 = Instant::now();
        let mut t = Transactions::new(Duration::from_secs(8));
        let Invite::New(key) = t.invite(&request("INVITE"), peer(), t0) else {
            panic!("a new call");
        };
        let ringing = sent(&t, key);
        assert!(ringing.starts_with("SIP/2.0 180 Ringing\r\n"), "{ringing}");
        assert!(ringing.contains("Record-Route: <sip:192.0.2.10;lr>\r\n"));
        assert_eq!(
            t.invite(&request("INVITE"), peer(), t0),
            Invite::Retransmission(key)
        );
        let sends = run(&mut t, t0, Duration::from_secs(60));
        let times: Vec<f64> = sends.iter().map(|s| s.0).collect();
        assert_eq!(
            times,
            [
                8.0, 8.5, 9.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5, 35.5, 39.5
            ]
        );
        assert!(sends.iter().all(|s| s.1 == "SIP/2.0 486 Busy Here"));
        assert_eq!(t.len(), 0, "forgotten after timer H");
        assert!(t.next_deadline().is_none());
    }

    #[test]
    fn busy_keeps_the_tag_and_drops_record_route() {
        let t0 = Instant::now();
        let mut t = Transactions::new(Duration::from_secs(1));
        let Invite::New(key) = t.invite(&request("INVITE"), peer(), t0) else {
            panic!("a new call");
        };
        let ringing = sent(&t, key);
        assert_eq!(t.expire(t0 + Duration::from_secs(1)), Some(key));
        let busy = sent(&t, key);
        assert_eq!(
            busy,
            ringing
                .replace("SIP/2.0 180 Ringing", "SIP/2.0 486 Busy Here")
                .replace("Record-Route: <sip:192.0.2.10;lr>\r\n", "")
        );
    }

    #[test]
    fn ack_stops_the_repeats_and_is_forgotten_after_timer_i() {
        let t0 = Instant::now();
        let mut t = Transactions::new(Duration::from_secs(1));
        let Invite::New(key) = t.invite(&request("INVITE"), peer(), t0) else {
            panic!("a new call");
        };
        let one = t0 + Duration::from_secs(1);
        assert_eq!(t.expire(one), Some(key));
        t.ack(&request("ACK"), one);
        assert!(t.response(key).is_none(), "nothing more to send");
        assert_eq!(
            t.invite(&request("INVITE"), peer(), one),
            Invite::Retransmission(key),
            "a late INVITE retransmission starts no call"
        );
        assert!(run(&mut t, t0, Duration::from_secs(60)).is_empty());
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn cancel_while_ringing_ends_with_487_and_later_cancel_changes_nothing() {
        let t0 = Instant::now();
        let mut t = Transactions::new(Duration::from_secs(8));
        let Invite::New(key) = t.invite(&request("INVITE"), peer(), t0) else {
            panic!("a new call");
        };
        let c = t.cancel(&request("CANCEL"), t0).unwrap();
        assert_eq!(c.terminated, Some(key));
        assert!(sent(&t, key).starts_with("SIP/2.0 487 Request Terminated\r\n"));
        assert!(sent(&t, key).contains(&format!(";tag={}", tag_str(&c.tag))));
        let again = t.cancel(&request("CANCEL"), t0).unwrap();
        assert_eq!((again.tag, again.terminated), (c.tag, None));
        let sends = run(&mut t, t0, Duration::from_secs(1));
        assert_eq!(sends, [(0.5, "SIP/2.0 487 Request Terminated".to_owned())]);
        let other = request("CANCEL").call_id.replace("c1", "c2");
        let mut unknown = request("CANCEL");
        unknown.call_id = other;
        assert!(t.cancel(&unknown, t0).is_none());
    }

    #[test]
    fn full_table_drops_new_invites() {
        let t0 = Instant::now();
        let mut t = Transactions::new(Duration::from_secs(8));
        let mut req = request("INVITE");
        for n in 0..MAX_CALLS {
            req.call_id = n.to_string();
            assert!(matches!(t.invite(&req, peer(), t0), Invite::New(_)));
        }
        req.call_id = "one more".to_owned();
        assert_eq!(t.invite(&req, peer(), t0), Invite::Full);
    }

    #[test]
    fn new_tag_is_lowercase_alphanumeric() {
        let tag = new_tag();
        assert!(
            tag_str(&tag)
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert_eq!(tag_str(&tag).len(), 10);
    }
}
