//! Any bytes as a page's form body: the parser returns, never panics; a form it reads,
//! encoded again the way a browser does, reads back to the same fields.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use owums_server::fuzzing::form_fields;

/// `application/x-www-form-urlencoded` as browsers write it.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b' ' => out.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn body(fields: &BTreeMap<String, String>) -> String {
    let pairs: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    pairs.join("&")
}

fuzz_target!(|data: &[u8]| {
    let Some(fields) = form_fields(data) else {
        return;
    };
    let again = form_fields(body(&fields).as_bytes()).expect("an encoded form reads back");
    assert_eq!(fields, again);
});
