//! What `rlm_rest` posts, in either form: openwisp-radius' documented `data` template
//! (`{"username": "alice", "session_time": ""}`) or rlm_rest's own JSON encoding
//! (`{"User-Name": {"type": "string", "value": ["alice"]}}`). Both become one map of
//! openwisp-radius' field names; nothing here panics on any input.

use std::collections::HashMap;
use std::net::IpAddr;

use serde_json::Value;

/// The fields of one request, by openwisp-radius' names.
#[derive(Debug, Default)]
pub(crate) struct Fields(HashMap<String, String>);

/// Attribute names (lowercase, `_` for `-`) and the field they fill.
const ALIASES: &[(&str, &str)] = &[
    ("user_name", "username"),
    ("user_password", "password"),
    ("packet_type", "reply"),
    ("acct_status_type", "status_type"),
    ("acct_session_id", "session_id"),
    ("acct_unique_session_id", "unique_id"),
    ("nas_port", "nas_port_id"),
    ("acct_session_time", "session_time"),
    ("acct_authentic", "authentication"),
    ("acct_input_octets", "input_octets"),
    ("acct_output_octets", "output_octets"),
    ("acct_input_gigawords", "input_gigawords"),
    ("acct_output_gigawords", "output_gigawords"),
    ("acct_terminate_cause", "terminate_cause"),
    ("connect_info", "connection_info_start"),
];

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(a) => a.first().map_or(Some(String::new()), scalar),
        // rlm_rest's encoding: {"type": "...", "value": [ ... ]}
        Value::Object(o) => o.get("value").and_then(scalar),
    }
}

impl Fields {
    /// Parses a request body; the error says what is wrong.
    pub(crate) fn parse(body: &[u8]) -> Result<Fields, String> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
        let Value::Object(map) = value else {
            return Err("the body must be a JSON object".to_owned());
        };
        let mut out = HashMap::new();
        for (key, v) in &map {
            let Some(text) = scalar(v) else {
                return Err(format!("`{key}` has no value"));
            };
            let name = key.trim().to_ascii_lowercase().replace('-', "_");
            let name = ALIASES
                .iter()
                .find(|(a, _)| *a == name)
                .map_or(name, |(_, f)| (*f).to_owned());
            // a field given by its own name wins over the same field from an attribute
            if map.contains_key(&name) && name != key.as_str() {
                continue;
            }
            out.insert(name, text);
        }
        Ok(Fields(out))
    }

    /// Every field, untrimmed (for [`crate::fuzzing`]).
    pub(crate) fn into_map(self) -> HashMap<String, String> {
        self.0
    }

    /// A text field ("" when absent).
    pub(crate) fn text(&self, name: &str) -> &str {
        self.0.get(name).map_or("", |s| s.trim())
    }

    /// A counter field: absent or "" is `None`, anything else must be a non-negative integer.
    pub(crate) fn number(&self, name: &str) -> Result<Option<u64>, String> {
        match self.text(name) {
            "" => Ok(None),
            s => s
                .parse::<u64>()
                .map(Some)
                .map_err(|_| format!("`{name}` = `{s}` is not a non-negative integer")),
        }
    }

    /// An address field: "" stays "", anything else must be an IP address.
    pub(crate) fn ip(&self, name: &str) -> Result<String, String> {
        match self.text(name) {
            "" => Ok(String::new()),
            s => s
                .parse::<IpAddr>()
                .map(|ip| ip.to_string())
                .map_err(|_| format!("`{name}` = `{s}` is not an IP address")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms() {
        let flat =
            Fields::parse(br#"{"username": "alice", "session_time": "", "input_octets": 12}"#)
                .unwrap();
        assert_eq!(flat.text("username"), "alice");
        assert_eq!(flat.number("session_time").unwrap(), None);
        assert_eq!(flat.number("input_octets").unwrap(), Some(12));
        let rest = Fields::parse(
            br#"{"User-Name": {"type": "string", "value": ["bob"]}, "Acct-Status-Type": {"type": "integer", "value": ["Start"]}, "NAS-Port": {"type": "integer", "value": [7]}}"#,
        )
        .unwrap();
        assert_eq!(rest.text("username"), "bob");
        assert_eq!(rest.text("status_type"), "Start");
        assert_eq!(rest.text("nas_port_id"), "7");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for body in [
            &b""[..],
            b"null",
            b"[1]",
            b"{",
            b"\xff\xfe",
            br#"{"a": {"value": {}}}"#,
        ] {
            assert!(Fields::parse(body).is_err(), "{body:?}");
        }
        let f = Fields::parse(br#"{"input_octets": "-1", "nas_ip_address": "x"}"#).unwrap();
        assert!(f.number("input_octets").is_err());
        assert!(f.ip("nas_ip_address").is_err());
    }
}
