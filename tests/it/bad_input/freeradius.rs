//! The FreeRADIUS REST endpoints (`authorize`, `postauth`, `accounting`) against what a
//! broken or hostile NAS could make rlm_rest post: NUL and other control characters, huge,
//! negative and non-numeric numbers, bad addresses, overlong strings, wrong JSON types,
//! times out of range, bodies that are not JSON. Each case goes in both encodings:
//! openwisp-radius' flat `data` template and rlm_rest's own `{"Attr": {"type", "value"}}`.

use serde_json::{Map, Value, json};

use super::{Case, Harness, count_rows, json_refusal, run_corpus, text_type};
use crate::freeradius_rest::{TOKEN, acct_body, auth_body, client, config};
use crate::support::{Backend, db_test, new_user, subscribers};

/// openwisp-radius field → the RADIUS attribute rlm_rest names it by.
const ATTRIBUTES: &[(&str, &str, &str)] = &[
    ("username", "User-Name", "string"),
    ("password", "User-Password", "string"),
    ("called_station_id", "Called-Station-Id", "string"),
    ("calling_station_id", "Calling-Station-Id", "string"),
    ("status_type", "Acct-Status-Type", "integer"),
    ("session_id", "Acct-Session-Id", "string"),
    ("unique_id", "Acct-Unique-Session-Id", "string"),
    ("realm", "Realm", "string"),
    ("nas_ip_address", "NAS-IP-Address", "ipaddr"),
    ("nas_port_id", "NAS-Port-Id", "string"),
    ("nas_port_type", "NAS-Port-Type", "integer"),
    ("session_time", "Acct-Session-Time", "integer"),
    ("authentication", "Acct-Authentic", "integer"),
    ("input_octets", "Acct-Input-Octets", "integer"),
    ("output_octets", "Acct-Output-Octets", "integer"),
    ("input_gigawords", "Acct-Input-Gigawords", "integer"),
    ("output_gigawords", "Acct-Output-Gigawords", "integer"),
    ("terminate_cause", "Acct-Terminate-Cause", "integer"),
    ("service_type", "Service-Type", "integer"),
    ("framed_protocol", "Framed-Protocol", "integer"),
    ("framed_ip_address", "Framed-IP-Address", "ipaddr"),
    ("connection_info_start", "Connect-Info", "string"),
    ("event_timestamp", "Event-Timestamp", "date"),
];

/// A flat (`data` template) body in rlm_rest's own encoding; `reply` (post-auth) has no
/// attribute and stays as it is.
fn native(flat: &Value) -> Value {
    let mut out = Map::new();
    for (k, v) in flat.as_object().into_iter().flatten() {
        match ATTRIBUTES.iter().find(|(f, _, _)| f == k) {
            Some((_, attr, ty)) => {
                out.insert((*attr).to_owned(), json!({"type": ty, "value": [v]}));
            }
            None => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// The bad values of a field, each with what it is.
fn bad_text(max: usize) -> Vec<(String, Value)> {
    vec![
        ("NUL".into(), json!("a\u{0}b")),
        ("a line break inside".into(), json!("a\nb")),
        ("ESC".into(), json!("\u{1b}[31mred")),
        ("DEL".into(), json!("a\u{7f}")),
        ("a C1 control".into(), json!("a\u{85}b")),
        (
            format!("{} characters", max + 1),
            json!("x".repeat(max + 1)),
        ),
        ("300 bytes of UTF-8".into(), json!("é".repeat(150))),
    ]
}

fn bad_numbers() -> Vec<(&'static str, Value)> {
    vec![
        ("negative", json!("-1")),
        ("negative number", json!(-1)),
        ("a fraction", json!(1.5)),
        ("an exponent", json!("1e3")),
        ("hex", json!("0x10")),
        ("text", json!("lots")),
        ("2^64", json!("18446744073709551616")),
        ("2^64 as a number", json!(18_446_744_073_709_551_616_f64)),
        ("an object without value", json!({"x": 1})),
        ("NUL", json!("1\u{0}")),
    ]
}

/// `base` with `field` set to each value (`None`: removed), in both encodings.
fn variants(
    endpoint: &str,
    base: &Value,
    changes: impl IntoIterator<Item = (String, Option<Value>)>,
    field: &str,
) -> Vec<Case> {
    let mut out = Vec::new();
    for (what, value) in changes {
        let mut flat = base.clone();
        match value {
            Some(v) => flat[field] = v,
            None => {
                if let Some(o) = flat.as_object_mut() {
                    o.remove(field);
                }
            }
        }
        for (encoding, body) in [("flat", flat.clone()), ("rlm_rest", native(&flat))] {
            out.push(request(
                &format!("{endpoint} {field} {what} ({encoding})"),
                endpoint,
                body.to_string().into_bytes(),
            ));
        }
    }
    out
}

fn request(label: &str, endpoint: &str, body: Vec<u8>) -> Case {
    Case::post_json(label, &format!("/api/v1/freeradius/{endpoint}/"), body)
        .header("Authorization", format!("Bearer {TOKEN}"))
}

/// Bodies that are not a JSON object of fields, for any endpoint.
fn garbage(endpoint: &str) -> Vec<Case> {
    let bodies: [(&str, &[u8]); 10] = [
        ("an empty body", b""),
        ("not JSON", b"username=vera"),
        ("truncated JSON", b"{\"username\": \"ve"),
        ("invalid UTF-8", b"{\"username\": \"\xff\xfe\"}"),
        ("a lone surrogate", br#"{"username": "\ud800"}"#),
        ("null", b"null"),
        ("an array", b"[{\"username\": \"vera\"}]"),
        ("a number", b"42"),
        ("a string", b"\"vera\""),
        (
            "an attribute without value",
            br#"{"User-Name": {"type": "string"}}"#,
        ),
    ];
    bodies
        .into_iter()
        .map(|(what, body)| request(&format!("{endpoint} {what}"), endpoint, body.to_vec()))
        .collect()
}

fn texts(endpoint: &str, base: &Value, fields: &[(&str, usize)]) -> Vec<Case> {
    fields
        .iter()
        .flat_map(|(field, max)| {
            let changes = bad_text(*max).into_iter().map(|(w, v)| (w, Some(v)));
            variants(endpoint, base, changes, field)
        })
        .collect()
}

fn numbers(endpoint: &str, base: &Value, fields: &[&str]) -> Vec<Case> {
    fields
        .iter()
        .flat_map(|field| {
            let changes = bad_numbers()
                .into_iter()
                .map(|(w, v)| (w.to_owned(), Some(v)));
            variants(endpoint, base, changes, field)
        })
        .collect()
}

fn values(endpoint: &str, base: &Value, field: &str, bad: &[(&str, Option<Value>)]) -> Vec<Case> {
    let changes = bad.iter().map(|(w, v)| ((*w).to_owned(), v.clone()));
    variants(endpoint, base, changes, field)
}

fn authorize_cases() -> Vec<Case> {
    let base = auth_body("vera", "Tulip-Harbor-93");
    let mut cases = garbage("authorize");
    cases.extend(texts(
        "authorize",
        &base,
        &[
            ("username", 253),
            ("password", 128),
            ("called_station_id", 253),
            ("calling_station_id", 253),
        ],
    ));
    cases
}

fn postauth_cases() -> Vec<Case> {
    let mut base = auth_body("vera", "wrong-password");
    base["reply"] = json!("Access-Reject");
    let mut cases = garbage("postauth");
    cases.extend(texts(
        "postauth",
        &base,
        &[
            ("username", 253),
            ("password", 128),
            ("reply", 32),
            ("calling_station_id", 253),
        ],
    ));
    // rlm_rest's own encoding carries the reply in the query
    let mut no_reply = base.clone();
    if let Some(o) = no_reply.as_object_mut() {
        o.remove("reply");
    }
    for (what, query) in [
        ("NUL", "Access%00Reject"),
        ("overlong", &"R".repeat(40)[..]),
    ] {
        cases.push(
            Case::post_json(
                format!("postauth ?reply= {what}"),
                &format!("/api/v1/freeradius/postauth/?reply={query}"),
                native(&no_reply).to_string(),
            )
            .header("Authorization", format!("Bearer {TOKEN}")),
        );
    }
    cases
}

/// Bad accounting; `base` is an Interim-Update of the open session `open-1`, so a case
/// that were written would change its row.
fn accounting_cases() -> Vec<Case> {
    let mut base = acct_body("Interim-Update", "open-1", "vera");
    base["session_time"] = json!("60");
    base["input_octets"] = json!("1000");
    base["event_timestamp"] = json!("1700000000");
    let mut cases = garbage("accounting");
    cases.extend(texts(
        "accounting",
        &base,
        &[
            ("username", 64),
            ("session_id", 64),
            ("unique_id", 253),
            ("realm", 64),
            ("nas_port_id", 32),
            ("nas_port_type", 32),
            ("called_station_id", 50),
            ("calling_station_id", 50),
            ("terminate_cause", 32),
            ("service_type", 32),
            ("framed_protocol", 32),
            ("authentication", 32),
            ("connection_info_start", 128),
        ],
    ));
    cases.extend(numbers(
        "accounting",
        &base,
        &[
            "session_time",
            "input_octets",
            "output_octets",
            "input_gigawords",
            "output_gigawords",
        ],
    ));
    let huge: &[(&str, Option<Value>)] = &[
        ("2^32", Some(json!("4294967296"))),
        ("2^63", Some(json!("9223372036854775808"))),
        ("u64::MAX", Some(json!(u64::MAX))),
    ];
    cases.extend(values("accounting", &base, "session_time", huge));
    cases.extend(values("accounting", &base, "input_gigawords", huge));
    cases.extend(values("accounting", &base, "output_gigawords", huge));
    cases.extend(values(
        "accounting",
        &base,
        "session_time",
        &[("before 1970-01-02", Some(json!("1699913601")))],
    ));
    cases.extend(values(
        "accounting",
        &base,
        "event_timestamp",
        &[
            ("year 5138", Some(json!("99999999999"))),
            ("year -1199", Some(json!("-99999999999"))),
            ("0", Some(json!(0))),
            ("1970-01-01 23:59:59", Some(json!("86399"))),
            ("2100-01-01", Some(json!("4102444800"))),
            ("beyond chrono", Some(json!("9223372036854775807"))),
            ("a date in 5138", Some(json!("Jan  1 5138 00:00:00 UTC"))),
            ("not a date", Some(json!("yesterday"))),
            ("an exponent", Some(json!("1e10"))),
            ("NUL", Some(json!("1700000000\u{0}"))),
            ("an object without value", Some(json!({"a": 1}))),
        ],
    ));
    let bad_ips = [
        ("missing", None),
        ("empty", Some(json!(""))),
        ("not an address", Some(json!("not-an-ip"))),
        ("IPv6", Some(json!("::1"))),
        ("an octet over 255", Some(json!("999.1.1.1"))),
        ("with a prefix", Some(json!("10.0.0.1/24"))),
        ("with NUL", Some(json!("10.0.0.1\u{0}"))),
        ("a number", Some(json!(167_772_161))),
    ];
    cases.extend(values("accounting", &base, "nas_ip_address", &bad_ips));
    cases.extend(values(
        "accounting",
        &base,
        "framed_ip_address",
        &bad_ips[2..],
    ));
    cases.extend(values(
        "accounting",
        &base,
        "status_type",
        &[
            ("missing", None),
            ("unknown", Some(json!("Reboot"))),
            ("lower case", Some(json!("stop"))),
            ("a number", Some(json!(2))),
            ("NUL", Some(json!("Stop\u{0}"))),
        ],
    ));
    cases.extend(values(
        "accounting",
        &base,
        "unique_id",
        &[("missing", None), ("empty", Some(json!("")))],
    ));
    // a Start and a NAS restart with bad fields too: other statements, the same refusal
    let mut start = acct_body("Start", "new-1", "vera");
    start["event_timestamp"] = json!("1700000000");
    cases.extend(values(
        "accounting",
        &start,
        "username",
        &[("NUL", Some(json!("ve\u{0}ra")))],
    ));
    cases.extend(values(
        "accounting",
        &start,
        "event_timestamp",
        &[("year 5138", Some(json!("99999999999")))],
    ));
    let on = json!({"status_type": "Accounting-On", "nas_ip_address": "10.0.0.1",
        "event_timestamp": "1700000000"});
    cases.extend(values(
        "accounting",
        &on,
        "event_timestamp",
        &[("year 5138", Some(json!("99999999999")))],
    ));
    cases.extend(values(
        "accounting",
        &on,
        "terminate_cause",
        &[("NUL", Some(json!("NAS-Reboot\u{0}")))],
    ));
    cases
}

/// What the corpus must leave as it was.
fn watched(backend: Backend) -> Vec<String> {
    let t = text_type(backend);
    let mut q: Vec<String> = ["radacct", "radpostauth", "nasreload"]
        .iter()
        .map(|table| count_rows(backend, table))
        .collect();
    q.push(format!(
        "SELECT CONCAT(acctuniqueid, '|', COALESCE(CAST(acctsessiontime AS {t}), '-'), '|', \
         COALESCE(CAST(acctinputoctets AS {t}), '-'), '|', COALESCE(CAST(acctupdatetime AS {t}), '-'), \
         '|', COALESCE(CAST(acctstoptime AS {t}), 'open')) AS v FROM radacct ORDER BY 1"
    ));
    q
}

db_test!(freeradius_bad_input_is_refused_and_changes_nothing, |db| {
    subscribers(&db)
        .create(new_user("vera"), true, &[])
        .await
        .unwrap();
    let cli = client(&config(&db), &db, "127.0.0.1");
    let h = Harness::new(cli, db);
    // the open session bad Interim-Updates and Stops would change
    let mut start = acct_body("Start", "open-1", "vera");
    start["event_timestamp"] = json!("1699999000");
    let (status, _) = h
        .send(&request(
            "start",
            "accounting",
            start.to_string().into_bytes(),
        ))
        .await;
    assert_eq!(status.as_u16(), 201);

    let watched = watched(h.db.backend());
    let mut total = crate::bad_input::Tally::default();
    for (corpus, cases) in [
        ("freeradius authorize", authorize_cases()),
        ("freeradius postauth", postauth_cases()),
        ("freeradius accounting", accounting_cases()),
    ] {
        let tally = run_corpus(&h, corpus, &cases, &watched, json_refusal).await;
        assert_eq!(tally.count("5xx"), 0);
        total.merge(&tally);
    }
    eprintln!(
        "bad input corpus [freeradius, all endpoints] on {:?}: {}",
        h.db.backend(),
        total.line()
    );

    // the bases themselves are good: the refusals came from the bad fields
    let mut interim = acct_body("Interim-Update", "open-1", "vera");
    interim["session_time"] = json!("60");
    interim["event_timestamp"] = json!("1700000000");
    for (endpoint, body, want) in [
        ("authorize", auth_body("vera", "Tulip-Harbor-93"), 200),
        ("accounting", interim, 200),
        (
            "accounting",
            native(&acct_body("Stop", "open-1", "vera")),
            200,
        ),
    ] {
        let (status, text) = h
            .send(&request("control", endpoint, body.to_string().into_bytes()))
            .await;
        assert_eq!(status.as_u16(), want, "{endpoint}: {text}");
    }
    let mut log = auth_body("vera", "wrong-password");
    log["reply"] = json!("Access-Reject");
    let (status, _) = h
        .send(&request(
            "control",
            "postauth",
            log.to_string().into_bytes(),
        ))
        .await;
    assert_eq!(status.as_u16(), 201);
});
