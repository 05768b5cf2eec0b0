//! Validated values: a value of these types is always well formed.
//!
//! Each type checks its input once, where it enters the system (a form, the API, the
//! command line, a plugin), and keeps it in one canonical form, so that code further in
//! never validates again and two spellings of the same value compare equal:
//!
//! - [`UserId`]: a subscriber's random UUID.
//! - [`Username`]: lowercase, so `Alice` and `alice` are one account.
//! - [`Email`]: lowercase, one `@`, a dotted domain.
//! - [`PhoneNumber`]: E.164, so `+39 334 …`, `0039 334…` and a national `334…` are one number.
//! - [`MacAddress`]: a device's EUI-48 address, shown as `AA-BB-CC-DD-EE-FF` whatever the
//!   spelling it came in.
//! - [`GroupName`]: a RADIUS group name safe to put in FreeRADIUS' SQL and `unlang`.
//! - [`RadiusAttribute`]: an attribute, an operator allowed for its [`AttributeKind`] and a value.
//!
//! Constructors return [`Error::Invalid`] with a [`Problem`] the pages translate. The types
//! implement `Serialize`/`Deserialize` through their string form, and deserializing
//! validates too, so a JSON body or a TOML file cannot smuggle in a malformed value.
//!
//! ```
//! use owums_core::{Email, PhoneNumber, Username};
//!
//! assert_eq!(Username::try_new(" Alice ")?.as_str(), "alice");
//! assert_eq!(Email::try_new("Alice@Example.ORG")?.as_str(), "alice@example.org");
//! let mobile = PhoneNumber::parse_with_country("334 123 4567", Some("39"))?;
//! assert_eq!(mobile, PhoneNumber::parse("+39 334 1234567")?);
//!
//! let from_json: Username = serde_json::from_str(r#""BOB_1""#).unwrap();
//! assert_eq!(from_json.as_str(), "bob_1");
//! assert!(serde_json::from_str::<Username>(r#""no spaces""#).is_err());
//! # Ok::<(), owums_core::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};

mod mac;
mod radius;
mod radius_value;

pub use mac::{MAX_MAC_INPUT, MacAddress};
pub use radius::{AttributeKind, GroupName, RadiusAttribute};

/// A subscriber's id (a random UUID, stored as text on every backend).
///
/// It never changes, unlike the username an operator may rename, so plugin state, sessions
/// and group memberships refer to it. It shows and parses as the hyphenated UUID.
///
/// ```
/// use owums_core::UserId;
/// let id = UserId::random();
/// assert_eq!(id.to_string().parse::<UserId>()?, id);
/// assert!("not-a-uuid".parse::<UserId>().is_err());
/// # Ok::<(), owums_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserId(pub uuid::Uuid);

impl UserId {
    /// A new random (version 4) id; collisions are not a practical concern.
    pub fn random() -> Self {
        UserId(uuid::Uuid::new_v4())
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for UserId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        uuid::Uuid::parse_str(s)
            .map(UserId)
            .map_err(|_| Error::invalid("user id", "not a UUID"))
    }
}

/// A username: 4–64 characters of `a-z 0-9 _ . -`, stored lowercase so that
/// uniqueness and login are case-insensitive (no `@`, so realms stay free).
///
/// This is the `User-Name` FreeRADIUS sees and logs in `radacct`; keeping it lowercase
/// means the accounting rows of `Alice` and `alice` are the same user's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    /// Validates and lowercases `s` (surrounding whitespace is ignored).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] with [`Problem::TooShort`] / [`Problem::TooLong`] outside 4–64
    /// characters, or [`Problem::BadFormat`] naming the first character not allowed.
    ///
    /// ```
    /// use owums_core::Username;
    /// assert_eq!(Username::try_new("Mario.Rossi")?.as_str(), "mario.rossi");
    /// assert!(Username::try_new("mario@example.org").is_err()); // no `@`
    /// assert!(Username::try_new("bob").is_err()); // too short
    /// # Ok::<(), owums_core::Error>(())
    /// ```
    pub fn try_new(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        let len = lower.chars().count();
        if !(4..=64).contains(&len) {
            return Err(Error::refused(
                "username",
                if len < 4 {
                    Problem::TooShort { min: 4 }
                } else {
                    Problem::TooLong { max: 64 }
                },
                "must be 4 to 64 characters long",
            ));
        }
        if let Some(c) = lower.chars().find(|c| {
            !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'))
        }) {
            return Err(Error::refused(
                "username",
                Problem::BadFormat,
                format!(
                    "may only contain letters, digits, `_`, `.` and `-` (found `{}`)",
                    c.escape_default()
                ),
            ));
        }
        Ok(Username(lower))
    }

    /// The canonical (lowercase) form, as stored and as FreeRADIUS sees it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Username::try_new(&s)
    }
}

impl From<Username> for String {
    fn from(u: Username) -> String {
        u.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Username {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Username::try_new(s)
    }
}

/// An e-mail address, lowercased; checked for one `@`, a dotted domain and no spaces.
///
/// The check is deliberately loose (it does not try to implement RFC 5322): it refuses
/// what is surely a typo, and the mail itself proves the rest. At most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Validates `s` (trimmed, then lowercased).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] with [`Problem::BadFormat`] when there is no `@`, the domain has
    /// no dot or an empty label, or the local part has spaces or control characters.
    pub fn try_new(s: &str) -> Result<Self> {
        let s = s.trim().to_lowercase();
        let bad = || {
            Error::refused(
                "e-mail",
                Problem::BadFormat,
                "is not a valid e-mail address",
            )
        };
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        let labels: Vec<&str> = domain.split('.').collect();
        let ok = !local.is_empty()
            && s.len() <= 254
            && labels.len() >= 2
            && labels
                .iter()
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
            && !local.contains(|c: char| c.is_whitespace() || c == '@' || c.is_control());
        if ok { Ok(Email(s)) } else { Err(bad()) }
    }

    /// The address, lowercase.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Email::try_new(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number in E.164 form (`+` and 8–15 digits), so that `+39 334…`,
/// `0039334…` and a national `334…` (with a default country code) are equal.
///
/// Phone verification matches the caller ID of an incoming call against the stored mobile
/// number, so the two must be written the same way: both go through this type. For most
/// countries the national trunk prefix `0` is dropped (`07700 900123` in the UK is
/// `+447700900123`); Italy, San Marino and the Vatican keep it, as their numbering plans do
/// (`06 1234567` in Rome is `+39061234567`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

/// Countries whose national numbers keep their leading `0` in international form.
const KEEP_TRUNK_ZERO: &[&str] = &["39", "378", "379"];

impl PhoneNumber {
    /// Parses an international number (`+…` or `00…`); national numbers are refused.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] with [`Problem::BadFormat`] for a national number, letters, or a
    /// length outside 8–15 digits.
    pub fn parse(s: &str) -> Result<Self> {
        Self::parse_with_country(s, None)
    }

    /// Parses `s`, reading a national number as one of `country_code` (digits, e.g. `"39"`).
    /// Spaces, dashes, dots, slashes and parentheses are ignored.
    ///
    /// The country code usually comes from the verifier
    /// ([`Verifier::country_code`](crate::Verifier::country_code)): a phone method for an
    /// Italian WISP lets subscribers type their number as they are used to.
    ///
    /// ```
    /// use owums_core::PhoneNumber;
    /// let uk = PhoneNumber::parse_with_country("07700 900123", Some("44"))?;
    /// assert_eq!(uk.as_str(), "+447700900123");
    /// assert!(PhoneNumber::parse_with_country("07700 900123", None).is_err());
    /// # Ok::<(), owums_core::Error>(())
    /// ```
    pub fn parse_with_country(s: &str, country_code: Option<&str>) -> Result<Self> {
        let bad = |why: &str| Error::refused("mobile number", Problem::BadFormat, why.to_owned());
        let trimmed = s.trim();
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '/' | '(' | ')' => {}
                _ => return Err(bad("may only contain digits, spaces and a leading +")),
            }
        }
        let international = if plus {
            digits
        } else if let Some(r) = digits.strip_prefix("00") {
            r.to_owned()
        } else {
            let cc = country_code
                .filter(|cc| !cc.is_empty() && cc.chars().all(|c| c.is_ascii_digit()))
                .ok_or_else(|| bad("must start with + and the country code"))?;
            let national = if KEEP_TRUNK_ZERO.contains(&cc) {
                digits.as_str()
            } else {
                digits.strip_prefix('0').unwrap_or(&digits)
            };
            format!("{cc}{national}")
        };
        if !(8..=15).contains(&international.len()) || international.starts_with('0') {
            return Err(bad("is not a valid phone number"));
        }
        Ok(PhoneNumber(format!("+{international}")))
    }

    /// The E.164 form, with the leading `+` and no spaces (`+393341234567`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        PhoneNumber::parse(&s)
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> String {
        p.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_rules() {
        assert_eq!(Username::try_new("FooBar").unwrap().as_str(), "foobar");
        assert!(Username::try_new("abc").is_err());
        assert!(Username::try_new("foo@bar").is_err());
        assert!(Username::try_new(&"a".repeat(65)).is_err());
        assert!(Username::try_new("a.b-c_1").is_ok());
        assert!(Username::try_new("bob\"e'i;").is_err());
    }

    #[test]
    fn phone_forms_are_equal() {
        let a = PhoneNumber::parse_with_country("+39 334 1234567", Some("39")).unwrap();
        let b = PhoneNumber::parse_with_country("0039 334-1234567", Some("39")).unwrap();
        let c = PhoneNumber::parse_with_country("3341234567", Some("39")).unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(a.as_str(), "+393341234567");
        let uk = PhoneNumber::parse_with_country("07700 900123", Some("44")).unwrap();
        assert_eq!(uk.as_str(), "+447700900123");
        let rome = PhoneNumber::parse_with_country("06 1234567", Some("39")).unwrap();
        assert_eq!(rome.as_str(), "+39061234567");
        assert!(PhoneNumber::parse("3341234567").is_err());
        assert!(PhoneNumber::parse("+39abc").is_err());
        assert!(PhoneNumber::parse("+1").is_err());
    }

    #[test]
    fn email_rules() {
        assert_eq!(
            Email::try_new("Alice@Example.ORG").unwrap().as_str(),
            "alice@example.org"
        );
        assert!(Email::try_new("alice").is_err());
        assert!(Email::try_new("alice@localhost").is_err());
        assert!(Email::try_new("a b@example.org").is_err());
    }
}
