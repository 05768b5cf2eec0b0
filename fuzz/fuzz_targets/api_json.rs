//! Bodies of the subscriber API's JSON operations. The first byte picks the operation, the
//! rest is the body. Nothing panics, and the strict types hold, checked against the JSON
//! itself: a field is read as text only when it is a JSON string (as a flag only when a
//! JSON boolean), a required field that is absent or `null` is missing, any other JSON
//! type is a mistake the operation refuses, and an unknown field refuses the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use owums_core::subscriber::{check_text, is_forbidden_char};
use owums_server::fuzzing::{ApiBody, ApiField, api_fields};
use serde_json::Value;

/// How the schema types a field.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Flag,
}

/// Each body's fields: name, type, required.
fn fields(body: ApiBody) -> &'static [(&'static str, Kind, bool)] {
    use Kind::{Flag, Text};
    match body {
        ApiBody::Register => &[
            ("username", Text, true),
            ("password", Text, true),
            ("verification_method", Text, true),
            ("email", Text, false),
            ("mobile", Text, false),
            ("given_name", Text, false),
            ("surname", Text, false),
            ("birth_date", Text, false),
            ("address", Text, false),
            ("city", Text, false),
            ("zip", Text, false),
            ("country", Text, false),
            ("eula_accepted", Flag, true),
            ("privacy_accepted", Flag, true),
        ],
        ApiBody::Login => &[("username", Text, true), ("password", Text, true)],
        ApiBody::ProfileChange => &[
            ("email", Text, false),
            ("address", Text, false),
            ("city", Text, false),
            ("zip", Text, false),
            ("country", Text, false),
            ("birth_date", Text, false),
            ("current_password", Text, false),
            ("new_password", Text, false),
        ],
        ApiBody::Reset => &[("username_or_email", Text, true)],
        ApiBody::ResetConfirm => &[("token", Text, true), ("new_password", Text, true)],
    }
}

/// What the field must read as, from the JSON alone (`None`: left out).
fn expected(value: Option<&Value>, kind: Kind, required: bool) -> Option<ApiField> {
    match (value, kind) {
        (None | Some(Value::Null), _) => required.then_some(ApiField::Missing),
        (Some(Value::String(s)), Kind::Text) => Some(ApiField::Text(s.clone())),
        (Some(Value::Bool(b)), Kind::Flag) => Some(ApiField::Flag(*b)),
        (Some(_), Kind::Text) => Some(ApiField::NotString),
        (Some(_), Kind::Flag) => Some(ApiField::NotBoolean),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let kind = ApiBody::ALL[usize::from(first) % ApiBody::ALL.len()];
    let read = api_fields(kind, body);
    let Ok(Value::Object(json)) = serde_json::from_slice::<Value>(body) else {
        assert!(
            read.is_err(),
            "{kind:?}: a body that is not a JSON object was read"
        );
        return;
    };
    let schema = fields(kind);
    if json
        .keys()
        .any(|k| !schema.iter().any(|(name, ..)| name == k))
    {
        assert!(read.is_err(), "{kind:?}: an unknown field was accepted");
        return;
    }
    let read = read.expect("a JSON object of known fields is read");
    for (name, field_kind, required) in schema {
        let want = expected(json.get(*name), *field_kind, *required);
        assert_eq!(read.get(name), want.as_ref(), "{kind:?}.{name}");
        // the core's text rule, which every entry point applies to what was read
        if let Some(ApiField::Text(s)) = want {
            if let Ok(clean) = check_text(name, &s, 64, false) {
                assert!(!clean.chars().any(is_forbidden_char) && clean.chars().count() <= 64);
            }
        }
    }
});
