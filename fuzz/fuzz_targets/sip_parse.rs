//! Any bytes into the SIP entry point: it returns, never panics; an error's text (which the
//! log shows) holds no control characters; a request, written out again as a datagram,
//! parses to the same request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use owums_plugin_sip::{SipRequest, callees, caller, parse, uri_user};

/// The request as a datagram carrying only what [`SipRequest`] keeps.
fn datagram(r: &SipRequest) -> Vec<u8> {
    let mut out = format!("{} {} SIP/2.0\r\n", r.method.as_str(), r.uri);
    for via in &r.vias {
        out.push_str(&format!("Via: {via}\r\n"));
    }
    for route in &r.record_routes {
        out.push_str(&format!("Record-Route: {route}\r\n"));
    }
    out.push_str(&format!("From: {}\r\nTo: {}\r\n", r.from, r.to));
    out.push_str(&format!(
        "Call-ID: {}\r\nCSeq: {} {}\r\n",
        r.call_id, r.cseq, r.cseq_method
    ));
    if let Some(pai) = &r.asserted_identity {
        out.push_str(&format!("P-Asserted-Identity: {pai}\r\n"));
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out.into_bytes()
}

fuzz_target!(|data: &[u8]| {
    let request = match parse(data) {
        Ok(r) => r,
        Err(e) => {
            let shown = e.to_string();
            assert!(
                !shown.chars().any(|c| c.is_control()),
                "raw bytes in {shown:?}"
            );
            return;
        }
    };
    let _ = request.branch();
    let _ = request.to_tag();
    let _ = caller(&request, Some("39"));
    let _ = callees(&request, None);
    let _ = uri_user(&request.from);
    // rsip may normalise a value once (spacing); from then on writing and reading agree
    if let Ok(again) = parse(&datagram(&request)) {
        let third = parse(&datagram(&again)).expect("a written request parses");
        assert_eq!(again, third, "write/read is not stable");
    }
});
