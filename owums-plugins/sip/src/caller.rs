//! Who called whom: phone numbers read from SIP headers and normalised to E.164.

use owums_core::PhoneNumber;

use crate::message::{SipRequest, uri_user};

/// The phone number in a From / To / P-Asserted-Identity value or a URI, national numbers
/// read with `country_code`. `None` for anonymous or non-numeric users.
pub fn phone_in(value: &str, country_code: Option<&str>) -> Option<PhoneNumber> {
    let user = uri_user(value)?;
    let user = user
        .strip_prefix("%2B")
        .map_or_else(|| user.to_owned(), |rest| format!("+{rest}"));
    PhoneNumber::parse_with_country(&user, country_code).ok()
}

/// The caller: P-Asserted-Identity when the network asserted one, else From.
pub fn caller(request: &SipRequest, country_code: Option<&str>) -> Option<PhoneNumber> {
    request
        .asserted_identity
        .as_deref()
        .and_then(|pai| {
            // It may list a sip: and a tel: identity; the first with a number wins.
            split_list(pai).find_map(|one| phone_in(one, country_code))
        })
        .or_else(|| phone_in(&request.from, country_code))
}

/// The numbers the call was for: the To user, then the Request-URI user.
pub fn callees(request: &SipRequest, country_code: Option<&str>) -> Vec<PhoneNumber> {
    [
        phone_in(&request.to, country_code),
        phone_in(&request.uri, country_code),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Splits a comma-separated list of name-addrs, not splitting inside `<...>` or quotes.
fn split_list(value: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0usize, false, 0usize);
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => depth += 1,
            '>' if !quoted => depth = depth.saturating_sub(1),
            ',' if !quoted && depth == 0 => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts.into_iter()
}
