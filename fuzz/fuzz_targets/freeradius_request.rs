//! Bodies of the FreeRADIUS REST endpoints in the encodings rlm_rest posts. The first byte
//! picks the input: even, the rest is the body as sent; odd, the rest is `name=value`
//! lines written both as openwisp-radius' flat `data` template and as rlm_rest's own
//! encoding (`{"name": {"type": "string", "value": ["value"]}}`), which must read the
//! same. Nothing panics; an accounting event that is accepted is within the core's bounds.
#![no_main]

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use owums_server::fuzzing::{freeradius_accounting, freeradius_fields};
use serde_json::{Map, Value, json};

fn check(body: &[u8]) {
    let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("in range");
    if freeradius_fields(body).is_err() {
        assert!(freeradius_accounting(body, now).is_err());
        return;
    }
    if let Ok(event) = freeradius_accounting(body, now) {
        event
            .check()
            .expect("an accepted event passes the core's bounds");
        assert!(!event.nas_ip_address.is_empty());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    if first % 2 == 0 {
        check(rest);
        return;
    }
    let text = String::from_utf8_lossy(rest);
    let (mut flat, mut rlm) = (Map::new(), Map::new());
    for line in text.lines() {
        let (name, value) = line.split_once('=').unwrap_or((line, ""));
        flat.insert(name.to_owned(), Value::String(value.to_owned()));
        rlm.insert(name.to_owned(), json!({"type": "string", "value": [value]}));
    }
    let flat = Value::Object(flat).to_string();
    let rlm = Value::Object(rlm).to_string();
    check(flat.as_bytes());
    check(rlm.as_bytes());
    assert_eq!(
        freeradius_fields(flat.as_bytes()),
        freeradius_fields(rlm.as_bytes()),
        "the two encodings read differently"
    );
});
