//! Entry points for the cargo-fuzz targets in `fuzz/` (not a stable API).
//!
//! Each is a thin wrapper over the parser a request body goes through, answering plain
//! values the targets can check: what the server would read, or why it would refuse.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use owums_core::AccountingEvent;
use poem_openapi::types::ParseFromJSON;

use crate::api::input::Mistake;
use crate::api::types::{
    LoginRequest, ProfileChangeRequest, RegisterRequest, ResetConfirm, ResetRequest,
};

/// The fields of a FreeRADIUS REST body (`/api/v1/freeradius/*`) by openwisp-radius'
/// names, or why the body is refused (400).
///
/// # Errors
///
/// The 400's message.
pub fn freeradius_fields(body: &[u8]) -> Result<BTreeMap<String, String>, String> {
    crate::freeradius::parse::Fields::parse(body).map(|f| f.into_map().into_iter().collect())
}

/// The accounting event a FreeRADIUS accounting body describes, arriving at `now`, or why
/// it is refused (400).
///
/// # Errors
///
/// The 400's message.
pub fn freeradius_accounting(body: &[u8], now: DateTime<Utc>) -> Result<AccountingEvent, String> {
    let fields = crate::freeradius::parse::Fields::parse(body)?;
    crate::freeradius::accounting::event(&fields, now)
}

/// The fields of a page's `application/x-www-form-urlencoded` body (the first value of
/// each), or `None` when the pages answer 400.
pub fn form_fields(body: &[u8]) -> Option<BTreeMap<String, String>> {
    crate::pages::form::Form::parse(body).map(|f| f.into_map().into_iter().collect())
}

/// The JSON request bodies of the subscriber API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiBody {
    /// `POST /account`.
    Register,
    /// `POST /account/token`.
    Login,
    /// `PATCH /account`.
    ProfileChange,
    /// `POST /account/password/reset`.
    Reset,
    /// `POST /account/password/reset/confirm`.
    ResetConfirm,
}

impl ApiBody {
    /// Every body.
    pub const ALL: [ApiBody; 5] = [
        ApiBody::Register,
        ApiBody::Login,
        ApiBody::ProfileChange,
        ApiBody::Reset,
        ApiBody::ResetConfirm,
    ];
}

/// One field of an API body as the operation reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiField {
    /// A JSON string.
    Text(String),
    /// A JSON boolean.
    Flag(bool),
    /// Absent or `null` where the field is required (the operation answers 400).
    Missing,
    /// Not a JSON string where the schema says string (400).
    NotString,
    /// Not a JSON boolean where the schema says boolean (400).
    NotBoolean,
}

fn text<const MAX: usize, const MIN: usize, const SECRET: bool>(
    out: &mut BTreeMap<&'static str, ApiField>,
    name: &'static str,
    value: Option<&crate::api::input::Text<MAX, MIN, SECRET>>,
) {
    if let Some(v) = value {
        out.insert(
            name,
            v.get()
                .map(str::to_owned)
                .map_or_else(mistake, ApiField::Text),
        );
    }
}

fn date(
    out: &mut BTreeMap<&'static str, ApiField>,
    name: &'static str,
    value: Option<&crate::api::input::DateText>,
) {
    if let Some(d) = value {
        out.insert(
            name,
            d.get()
                .map(str::to_owned)
                .map_or_else(mistake, ApiField::Text),
        );
    }
}

fn refused<T: poem_openapi::types::Type>(e: poem_openapi::types::ParseError<T>) -> String {
    e.into_message()
}

fn mistake(m: Mistake) -> ApiField {
    match m {
        Mistake::Missing => ApiField::Missing,
        Mistake::NotString => ApiField::NotString,
        Mistake::NotBoolean => ApiField::NotBoolean,
    }
}

/// The fields of an API request body of kind `kind` as its operation reads them (absent
/// optional fields are left out), or `Err` when poem-openapi refuses the body itself (not
/// JSON, not an object, an unknown field).
///
/// # Errors
///
/// Why the body was refused.
pub fn api_fields(kind: ApiBody, body: &[u8]) -> Result<BTreeMap<&'static str, ApiField>, String> {
    // what poem-openapi's `Json<T>` does with a body
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let value = Some(value);
    let mut out = BTreeMap::new();
    match kind {
        ApiBody::Register => {
            let b = RegisterRequest::parse_from_json(value).map_err(refused)?;
            text(&mut out, "username", Some(&b.username));
            text(&mut out, "password", Some(&b.password));
            text(
                &mut out,
                "verification_method",
                Some(&b.verification_method),
            );
            text(&mut out, "email", b.email.as_ref());
            text(&mut out, "mobile", b.mobile.as_ref());
            text(&mut out, "given_name", b.given_name.as_ref());
            text(&mut out, "surname", b.surname.as_ref());
            text(&mut out, "address", b.address.as_ref());
            text(&mut out, "city", b.city.as_ref());
            text(&mut out, "zip", b.zip.as_ref());
            text(&mut out, "country", b.country.as_ref());
            date(&mut out, "birth_date", b.birth_date.as_ref());
            for (name, flag) in [
                ("eula_accepted", &b.eula_accepted),
                ("privacy_accepted", &b.privacy_accepted),
            ] {
                out.insert(name, flag.get().map_or_else(mistake, ApiField::Flag));
            }
        }
        ApiBody::Login => {
            let b = LoginRequest::parse_from_json(value).map_err(refused)?;
            text(&mut out, "username", Some(&b.username));
            text(&mut out, "password", Some(&b.password));
        }
        ApiBody::ProfileChange => {
            let b = ProfileChangeRequest::parse_from_json(value).map_err(refused)?;
            text(&mut out, "email", b.email.as_ref());
            text(&mut out, "address", b.address.as_ref());
            text(&mut out, "city", b.city.as_ref());
            text(&mut out, "zip", b.zip.as_ref());
            text(&mut out, "country", b.country.as_ref());
            date(&mut out, "birth_date", b.birth_date.as_ref());
            text(&mut out, "current_password", b.current_password.as_ref());
            text(&mut out, "new_password", b.new_password.as_ref());
        }
        ApiBody::Reset => {
            let b = ResetRequest::parse_from_json(value).map_err(refused)?;
            text(&mut out, "username_or_email", Some(&b.username_or_email));
        }
        ApiBody::ResetConfirm => {
            let b = ResetConfirm::parse_from_json(value).map_err(refused)?;
            text(&mut out, "token", Some(&b.token));
            text(&mut out, "new_password", Some(&b.new_password));
        }
    }
    Ok(out)
}
