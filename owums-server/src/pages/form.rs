//! Reading `application/x-www-form-urlencoded` bodies: a size limit, strict UTF-8 (a form
//! with invalid text is refused, not silently repaired), and no panics on any input.

use std::collections::HashMap;

use poem::Body;
use poem::error::ReadBodyError;
use poem::http::StatusCode;

use super::Fail;

/// Most fields a form may have.
const MAX_FIELDS: usize = 64;

/// A submitted form: the first value of each field.
#[derive(Debug, Default)]
pub(crate) struct Form(HashMap<String, String>);

impl Form {
    /// Reads and decodes a body of at most `limit` bytes.
    pub(crate) async fn read(body: Body, limit: usize) -> Result<Form, Fail> {
        let bytes = body.into_bytes_limit(limit).await.map_err(|e| match e {
            ReadBodyError::PayloadTooLarge => {
                Fail::Status(StatusCode::PAYLOAD_TOO_LARGE, "error-too-large")
            }
            _ => Fail::Status(StatusCode::BAD_REQUEST, "error-bad-encoding"),
        })?;
        Form::parse(&bytes).ok_or(Fail::Status(StatusCode::BAD_REQUEST, "error-bad-encoding"))
    }

    /// Decodes `key=value&…`; `None` when a value is not UTF-8, an escape is broken or there
    /// are too many fields.
    pub(crate) fn parse(bytes: &[u8]) -> Option<Form> {
        let mut fields = HashMap::new();
        for pair in bytes.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (k, v) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            let (k, v) = (decode(k)?, decode(v)?);
            if fields.len() >= MAX_FIELDS {
                return None;
            }
            fields.entry(k).or_insert(v);
        }
        Some(Form(fields))
    }

    /// The text fields of a `multipart/form-data` body, as read: the first value of each
    /// name; `None` past [`MAX_FIELDS`] fields.
    pub(crate) fn from_fields(fields: impl IntoIterator<Item = (String, String)>) -> Option<Form> {
        let mut out = HashMap::new();
        for (k, v) in fields {
            if out.len() >= MAX_FIELDS {
                return None;
            }
            out.entry(k).or_insert(v);
        }
        Some(Form(out))
    }

    /// Every field, untrimmed (for [`crate::fuzzing`]).
    pub(crate) fn into_map(self) -> HashMap<String, String> {
        self.0
    }

    /// The trimmed value of `name` ("" when absent).
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", |v| v.trim())
    }

    /// The value of `name` exactly as sent (passwords).
    pub(crate) fn raw(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }

    /// Whether checkbox `name` was ticked.
    pub(crate) fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn decode(s: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex(*s.get(i + 1)?)?;
                let lo = hex(*s.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_fields() {
        let f = Form::parse(b"a=1&b=caf%C3%A9+ok&a=2&c&d=%2B").expect("valid");
        assert_eq!(f.get("a"), "1");
        assert_eq!(f.get("b"), "café ok");
        assert_eq!(f.get("c"), "");
        assert_eq!(f.get("d"), "+");
        assert_eq!(f.get("missing"), "");
        assert!(f.checked("a") && !f.checked("c"));
    }

    #[test]
    fn refuses_bad_input() {
        assert!(Form::parse(b"a=%FF").is_none());
        assert!(Form::parse(b"a=\xff").is_none());
        assert!(Form::parse(b"a=%4").is_none());
        assert!(Form::parse(b"a=%zz").is_none());
        let many: Vec<String> = (0..100).map(|i| format!("k{i}=v")).collect();
        assert!(Form::parse(many.join("&").as_bytes()).is_none());
    }
}
