//! Responses (RFC 3261 §8.2.6): Via, From, To, Call-ID and CSeq echoed; never a body.

use std::fmt::Write;

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
    let (code, reason) = status.code_reason();
    let mut out = String::with_capacity(512);
    let _ = write!(out, "SIP/2.0 {code} {reason}\r\n");
    for via in &request.vias {
        let _ = write!(out, "Via: {via}\r\n");
    }
    if status == Status::Ringing {
        for rr in &request.record_routes {
            let _ = write!(out, "Record-Route: {rr}\r\n");
        }
    }
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
    out.push_str("Server: owums busy machine\r\nContent-Length: 0\r\n\r\n");
    out.into_bytes()
}
