//! Known vectors: parsing, caller IDs, responses.
#![allow(clippy::unwrap_used)]

use crate::caller::{callees, caller, phone_in};
use crate::message::{MAX_MESSAGE_BYTES, Method, ParseError, parse};
use crate::response::{Status, build};

const INVITE: &str = "INVITE sip:0612345678@192.0.2.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKold\r\n\
Record-Route: <sip:192.0.2.10;lr>\r\n\
Max-Forwards: 70\r\n\
To: <sip:+39061234567@192.0.2.1>\r\n\
From: \"Alice <boss>; x\" <sip:+393341234567@192.0.2.10;user=phone>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.example.org\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@192.0.2.10>\r\n\
Content-Length: 0\r\n\r\n";

const COMPACT: &str = "INVITE sip:061234567@192.0.2.1 SIP/2.0\r\n\
v: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKcompact\r\n\
t: sip:061234567@192.0.2.1\r\n\
f: <sip:3341234567@192.0.2.10>;tag=77\r\n\
i: compact-1@gw\r\n\
CSeq: 1 INVITE\r\n\
l: 0\r\n\r\n";

#[test]
fn parse_invite_reads_transaction_headers() {
    let r = parse(INVITE.as_bytes()).unwrap();
    assert_eq!(r.method, Method::Invite);
    assert_eq!(r.uri, "sip:0612345678@192.0.2.1");
    assert_eq!(r.vias.len(), 2);
    assert_eq!(r.branch(), "z9hG4bK776asdhds");
    assert_eq!(r.record_routes, vec!["<sip:192.0.2.10;lr>".to_owned()]);
    assert_eq!(r.call_id, "a84b4c76e66710@pc33.example.org");
    assert_eq!((r.cseq, r.cseq_method.as_str()), (314_159, "INVITE"));
    assert_eq!(r.to_tag(), None);
    assert_eq!(r.asserted_identity, None);
}

#[test]
fn parse_compact_headers_equal_long_ones() {
    let r = parse(COMPACT.as_bytes()).unwrap();
    assert_eq!(r.branch(), "z9hG4bKcompact");
    assert_eq!(r.call_id, "compact-1@gw");
    assert_eq!(r.to, "sip:061234567@192.0.2.1");
    assert!(r.from.starts_with("<sip:3341234567@"));
    let national = caller(&r, Some("39")).unwrap();
    assert_eq!(national.as_str(), "+393341234567");
    assert_eq!(callees(&r, Some("39"))[0].as_str(), "+39061234567");
}

#[test]
fn parse_bad_input_is_an_error_not_a_panic() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "empty"),
        (b"hello world".to_vec(), "garbage"),
        (INVITE.as_bytes()[..60].to_vec(), "truncated"),
        (b"SIP/2.0 200 OK\r\nVia: x\r\n\r\n".to_vec(), "a response"),
        (vec![0xff; 300], "binary"),
        (
            INVITE
                .replace("CSeq: 314159 INVITE", "CSeq: many INVITE")
                .into_bytes(),
            "bad CSeq",
        ),
    ];
    for (bytes, what) in cases {
        assert!(parse(&bytes).is_err(), "{what} must not parse");
    }
    let missing = INVITE.replace("Call-ID: a84b4c76e66710@pc33.example.org\r\n", "");
    assert_eq!(
        parse(missing.as_bytes()),
        Err(ParseError::Missing("Call-ID"))
    );
    let huge = vec![b'a'; MAX_MESSAGE_BYTES + 1];
    assert!(matches!(parse(&huge), Err(ParseError::TooLarge(_))));
}

#[test]
fn phone_in_normalises_every_form_to_e164() {
    let cc = Some("39");
    for value in [
        "<sip:+393341234567@gw>",
        "<sip:00393341234567@gw>",
        "<sip:3341234567@gw>;tag=1",
        "sip:3341234567@gw;tag=1",
        "\"Mario Rossi\" <sip:+39-334-123-4567@gw;user=phone>",
        "Mario <sips:%2B393341234567@gw>",
        "<tel:+39-334-1234567>",
        "tel:3341234567;phone-context=+39",
        "<sip:3341234567;npdi@gw>",
    ] {
        assert_eq!(
            phone_in(value, cc)
                .map(|p| p.as_str().to_owned())
                .as_deref(),
            Some("+393341234567"),
            "{value}"
        );
    }
    for value in [
        "<sip:anonymous@anonymous.invalid>",
        "\"Anonymous\" <sip:anonymous@gw>",
        "<mailto:a@b>",
        "",
        "<sip:@gw>",
    ] {
        assert_eq!(phone_in(value, cc), None, "{value}");
    }
    // Without a country code a national number is unreadable; international ones still work.
    assert_eq!(phone_in("<sip:3341234567@gw>", None), None);
    assert_eq!(
        phone_in("<sip:+4915112345678@gw>", None).unwrap().as_str(),
        "+4915112345678"
    );
}

#[test]
fn caller_prefers_p_asserted_identity() {
    let with_pai = INVITE.replace(
        "Call-ID:",
        "P-Asserted-Identity: \"Gw\" <sip:+393470000001@192.0.2.10>, <tel:+393470000001>\r\nCall-ID:",
    );
    let r = parse(with_pai.as_bytes()).unwrap();
    assert_eq!(caller(&r, Some("39")).unwrap().as_str(), "+393470000001");
    let anonymous_pai = INVITE.replace(
        "Call-ID:",
        "P-Asserted-Identity: <sip:anonymous@invalid>, <tel:0039 347 0000002>\r\nCall-ID:",
    );
    let r = parse(anonymous_pai.as_bytes()).unwrap();
    assert_eq!(caller(&r, Some("39")).unwrap().as_str(), "+393470000002");
    let plain = parse(INVITE.as_bytes()).unwrap();
    assert_eq!(
        caller(&plain, Some("39")).unwrap().as_str(),
        "+393341234567"
    );
}

#[test]
fn build_busy_echoes_transaction_headers_with_a_to_tag() {
    let r = parse(INVITE.as_bytes()).unwrap();
    let text = String::from_utf8(build(&r, Status::BusyHere, "abc123")).unwrap();
    assert!(text.starts_with("SIP/2.0 486 Busy Here\r\n"), "{text}");
    let via = text
        .find("Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds")
        .unwrap();
    let second = text
        .find("Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKold")
        .unwrap();
    assert!(via < second, "Via order kept: {text}");
    assert!(
        text.contains("To: <sip:+39061234567@192.0.2.1>;tag=abc123\r\n"),
        "{text}"
    );
    assert!(text.contains("Call-ID: a84b4c76e66710@pc33.example.org\r\n"));
    assert!(text.contains("CSeq: 314159 INVITE\r\n"));
    assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
    assert!(!text.contains("Record-Route"), "{text}");
    let trying = String::from_utf8(build(&r, Status::Trying, "abc123")).unwrap();
    assert!(
        trying.contains("To: <sip:+39061234567@192.0.2.1>\r\n"),
        "no tag on 100: {trying}"
    );
    let ringing = String::from_utf8(build(&r, Status::Ringing, "abc123")).unwrap();
    assert!(
        ringing.contains("Record-Route: <sip:192.0.2.10;lr>\r\n"),
        "{ringing}"
    );
    // The response parses back as SIP.
    assert!(rsip::Response::try_from(text.as_bytes()).is_ok());
}

/// Deterministic mutations of valid requests (bit flips, cuts, splices, inserted
/// separators): `parse` returns, it never panics. `cargo fuzz` explores further.
#[test]
fn parse_mutated_requests_never_panics() {
    let seeds = [INVITE, COMPACT, "CANCEL sip:1@h SIP/2.0\r\nv: a\r\n\r\n"];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let specials: &[&[u8]] = &[
        b"\r\n", b":", b";", b"<", b">", b"\"", b"@", b"%", b"\xff", b"\0", b" ",
    ];
    let mut parsed = 0;
    for round in 0..30_000u32 {
        let seed = seeds[round as usize % seeds.len()].as_bytes();
        let mut bytes = seed.to_vec();
        for _ in 0..=(next() % 4) {
            if bytes.is_empty() {
                break;
            }
            let at = (next() as usize) % bytes.len();
            match next() % 5 {
                0 => bytes[at] ^= 1 << (next() % 8),
                1 => bytes.truncate(at),
                2 => {
                    let s = specials[(next() as usize) % specials.len()];
                    bytes.splice(at..at, s.iter().copied());
                }
                3 => {
                    let from = (next() as usize) % seed.len();
                    let len = (next() as usize) % 40;
                    let piece = &seed[from..(from + len).min(seed.len())];
                    bytes.splice(at..at, piece.iter().copied());
                }
                _ => {
                    bytes.remove(at);
                }
            }
        }
        if let Ok(r) = parse(&bytes) {
            parsed += 1;
            let _ = (
                r.branch(),
                r.to_tag(),
                caller(&r, Some("39")),
                callees(&r, None),
            );
            let _ = build(&r, Status::BusyHere, "t");
        }
    }
    assert!(
        parsed > 1_000,
        "mutations keep some requests valid: {parsed}"
    );
}
