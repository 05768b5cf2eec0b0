//! Responses (RFC 3261 §8.2.6): Via, From, To, Call-ID and CSeq echoed; never a body.

use std::fmt::Write;
use std::ops::Range;

use crate::message::SipRequest;

/// What the busy machine says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Trying,
    Ringing,
    Ok,
    BusyHere,
    RequestTerminated,
    MethodNotAllowed,
    TransactionDoesNotExist,
}

impl Status {
    fn code_reason(self) -> (u16, &'static str) {
        match self {
            Status::Trying => (100, "Trying"),
            Status::Ringing => (180, "Ringing"),
            Status::Ok => (200, "OK"),
            Status::BusyHere => (486, "Busy Here"),
            Status::RequestTerminated => (487, "Request Terminated"),
            Status::MethodNotAllowed => (405, "Method Not Allowed"),
            Status::TransactionDoesNotExist => (481, "Call/Transaction Does Not Exist"),
        }
    }
}

const ALLOW: &str = "INVITE, ACK, CANCEL, OPTIONS";

/// The response to `request` with `status`; `to_tag` is added to To unless it has a tag
/// (never on 100 Trying).
pub(crate) fn build(request: &SipRequest, status: Status, to_tag: &str) -> Vec<u8> {
    build_marked(request, status, to_tag).0
}

/// [`build`], also telling where the Record-Route lines are (only a 180 has them).
pub(crate) fn build_marked(
    request: &SipRequest,
    status: Status,
    to_tag: &str,
) -> (Vec<u8>, Range<usize>) {
    let (code, reason) = status.code_reason();
    let mut out = String::with_capacity(estimate(request));
    let _ = write!(out, "SIP/2.0 {code} {reason}\r\n");
    for via in &request.vias {
        let _ = write!(out, "Via: {via}\r\n");
    }
    let record_route_start = out.len();
    if status == Status::Ringing {
        for rr in &request.record_routes {
            let _ = write!(out, "Record-Route: {rr}\r\n");
        }
    }
    let record_route = record_route_start..out.len();
    let _ = write!(out, "From: {}\r\n", request.from);
    if status == Status::Trying || request.to_tag().is_some() {
        let _ = write!(out, "To: {}\r\n", request.to);
    } else {
        let _ = write!(out, "To: {};tag={to_tag}\r\n", request.to);
    }
    let _ = write!(out, "Call-ID: {}\r\n", request.call_id);
    let _ = write!(out, "CSeq: {} {}\r\n", request.cseq, request.cseq_method);
    if matches!(status, Status::Ok | Status::MethodNotAllowed) {
        let _ = write!(out, "Allow: {ALLOW}\r\n");
    }
    out.push_str(TRAILER);
    (out.into_bytes(), record_route)
}

const TRAILER: &str = "Server: owums busy machine\r\nContent-Length: 0\r\n\r\n";

/// The length of a response to `request`, give or take a tag, so that it is built in one
/// allocation of about its size (it is kept while the call rings).
fn estimate(request: &SipRequest) -> usize {
    let lines = |values: &[String], name: &str| {
        values
            .iter()
            .map(|v| name.len() + v.len() + 4)
            .sum::<usize>()
    };
    48 + lines(&request.vias, "Via")
        + lines(&request.record_routes, "Record-Route")
        + request.from.len()
        + request.to.len()
        + request.call_id.len()
        + request.cseq_method.len()
        + 64
        + ALLOW.len()
        + 9
        + TRAILER.len()
}

/// The final response `status` made from a 180 Ringing built by [`build_marked`]: the same
/// headers (To with its tag) without the Record-Route lines at `record_route`.
pub(crate) fn final_from_ringing(
    ringing: &[u8],
    record_route: Range<usize>,
    status: Status,
) -> Vec<u8> {
    let (code, reason) = status.code_reason();
    let status_line = format!("SIP/2.0 {code} {reason}\r\n");
    let first_line_end = ringing
        .windows(2)
        .position(|w| w == b"\r\n")
        .map_or(0, |i| i + 2);
    let vias = ringing
        .get(first_line_end..record_route.start)
        .unwrap_or_default();
    let rest = ringing.get(record_route.end..).unwrap_or_default();
    let mut out = Vec::with_capacity(status_line.len() + vias.len() + rest.len());
    out.extend_from_slice(status_line.as_bytes());
    out.extend_from_slice(vias);
    out.extend_from_slice(rest);
    out
}
