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

/// A RADIUS group name: 1–64 of `A-Z a-z 0-9 _ . -`, starting with a letter or digit, case
/// kept. FreeRADIUS puts it into SQL (`GroupName = '%{SQL-Group}'`), `radclient` and
/// `unlang` conditions; a space, quote or other punctuation there needs escaping each peer
/// does differently, so none is allowed.
///
/// Unlike usernames, group names keep their case (`Gold` and `gold` are two groups), as
/// FreeRADIUS compares them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GroupName(String);

impl GroupName {
    /// Validates `s` (surrounding whitespace is ignored).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when empty, longer than 64 characters, or with a character
    /// other than ASCII letters, digits, `_`, `.` and `-` (or not starting with a letter
    /// or digit).
    ///
    /// ```
    /// use owums_core::GroupName;
    /// assert_eq!(GroupName::try_new(" Gold-2 ")?.as_str(), "Gold-2");
    /// assert!(GroupName::try_new("Gold users").is_err());
    /// # Ok::<(), owums_core::Error>(())
    /// ```
    pub fn try_new(s: &str) -> Result<Self> {
        let s = s.trim();
        if s.is_empty() || s.len() > 64 {
            return Err(Error::invalid(
                "group name",
                format!("`{s}` must be 1 to 64 characters long"),
            ));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
        if !s.chars().all(allowed) || !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(Error::invalid(
                "group name",
                format!(
                    "`{s}` may only contain letters A-Z a-z, digits, `_`, `.` and `-`, \
                     starting with a letter or digit (no spaces)"
                ),
            ));
        }
        Ok(GroupName(s.to_owned()))
    }

    /// The name, case as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for GroupName {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        GroupName::try_new(&s)
    }
}

impl From<GroupName> for String {
    fn from(g: GroupName) -> String {
        g.0
    }
}

impl fmt::Display for GroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a RADIUS attribute is a check item or a reply item (they allow different operators).
///
/// Check items may compare (`==`, `>=`, `=~`, …) or set control attributes (`:=`); reply
/// items may only set (`=`, `:=`) or add (`+=`), as in FreeRADIUS' `users` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeKind {
    /// Compared against the request (`radcheck`, `radgroupcheck`).
    Check,
    /// Sent back in the reply (`radreply`, `radgroupreply`).
    Reply,
}

const CHECK_OPS: &[&str] = &[
    ":=", "==", "+=", "!=", ">", ">=", "<", "<=", "=~", "!~", "=*", "!*",
];
const REPLY_OPS: &[&str] = &["=", ":=", "+="];

/// One RADIUS attribute with its operator and value, as FreeRADIUS reads it.
///
/// One row of `radcheck`, `radreply`, `radgroupcheck` or `radgroupreply`. Build it with
/// [`RadiusAttribute::try_new`] or [`RadiusAttribute::parse`], which check the name, the
/// operator for the [`AttributeKind`] and the value; the fields are public for reading rows
/// back, and a value built by hand is not checked. The attribute name itself is not looked
/// up in a dictionary: FreeRADIUS does that when it reads the row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RadiusAttribute {
    /// Attribute name, e.g. `Session-Timeout`.
    pub attribute: String,
    /// Operator, e.g. `:=`.
    pub op: String,
    /// Value, e.g. `3600`.
    pub value: String,
}

impl RadiusAttribute {
    /// Builds and validates an attribute of `kind`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when the name is empty, longer than 64 characters or has
    /// characters other than letters, digits, `-`, `_` and `.`; when `op` is not an
    /// operator of `kind`; or when the value is longer than 253 characters (a RADIUS
    /// attribute's limit) or has control characters.
    pub fn try_new(kind: AttributeKind, attribute: &str, op: &str, value: &str) -> Result<Self> {
        let attribute = attribute.trim();
        if attribute.is_empty()
            || attribute.len() > 64
            || !attribute
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(Error::invalid(
                "attribute",
                format!("`{attribute}` is not a RADIUS attribute name"),
            ));
        }
        let ops = match kind {
            AttributeKind::Check => CHECK_OPS,
            AttributeKind::Reply => REPLY_OPS,
        };
        if !ops.contains(&op) {
            return Err(Error::invalid(
                "operator",
                format!("`{op}` is not one of {}", ops.join(" ")),
            ));
        }
        if value.len() > 253 || value.chars().any(char::is_control) {
            return Err(Error::invalid(
                "value",
                "must be at most 253 characters without control characters",
            ));
        }
        Ok(RadiusAttribute {
            attribute: attribute.to_owned(),
            op: op.to_owned(),
            value: value.to_owned(),
        })
    }

    /// Parses `Attribute<op>Value` (e.g. `Session-Timeout=3600`, `Auth-Type := Reject`); the
    /// value may be double-quoted.
    ///
    /// This is the form of the command line (`owums group create --reply
    /// Session-Timeout=3600`). The longest operator that fits wins, so `>=` is not read as
    /// `>` followed by a value starting with `=`.
    ///
    /// ```
    /// use owums_core::{AttributeKind, RadiusAttribute};
    /// let a = RadiusAttribute::parse(AttributeKind::Check, "Max-Daily-Session >= 3600")?;
    /// assert_eq!((a.attribute.as_str(), a.op.as_str(), a.value.as_str()), ("Max-Daily-Session", ">=", "3600"));
    /// let r = RadiusAttribute::parse(AttributeKind::Reply, r#"Reply-Message = "Welcome""#)?;
    /// assert_eq!(r.to_string(), "Reply-Message = Welcome");
    /// // `==` compares: fine in a check item, meaningless in a reply.
    /// assert!(RadiusAttribute::parse(AttributeKind::Reply, "Session-Timeout == 3600").is_err());
    /// # Ok::<(), owums_core::Error>(())
    /// ```
    pub fn parse(kind: AttributeKind, s: &str) -> Result<Self> {
        let ops = match kind {
            AttributeKind::Check => CHECK_OPS,
            AttributeKind::Reply => REPLY_OPS,
        };
        let start = s.find([':', '=', '+', '!', '>', '<']).ok_or_else(|| {
            Error::invalid("attribute", format!("`{s}` is not `Attribute<op>Value`"))
        })?;
        let rest = &s[start..];
        let op = ops
            .iter()
            .filter(|op| rest.starts_with(**op))
            .max_by_key(|op| op.len())
            .ok_or_else(|| {
                Error::invalid(
                    "operator",
                    format!("no valid operator in `{s}`; use one of {}", ops.join(" ")),
                )
            })?;
        let value = rest[op.len()..].trim();
        if value.starts_with(['=', '~', '*']) {
            return Err(Error::invalid(
                "operator",
                format!("no valid operator in `{s}`; use one of {}", ops.join(" ")),
            ));
        }
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        Self::try_new(kind, &s[..start], op, value)
    }
}

impl fmt::Display for RadiusAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.attribute, self.op, self.value)
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
    fn group_name_rules() {
        assert_eq!(
            GroupName::try_new(" Gold-2.x_y ").unwrap().as_str(),
            "Gold-2.x_y"
        );
        for bad in [
            "",
            "Bad Group",
            "a'b",
            "a\"b",
            "a\\b",
            "-x",
            ".x",
            "caffè",
            "a;b",
        ] {
            let e = GroupName::try_new(bad).unwrap_err().to_string();
            assert!(e.contains("group name"), "{bad}: {e}");
        }
        assert!(GroupName::try_new(&"g".repeat(64)).is_ok());
        assert!(GroupName::try_new(&"g".repeat(65)).is_err());
        assert!(
            GroupName::try_new("Bad Group")
                .unwrap_err()
                .to_string()
                .contains("no spaces")
        );
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

    #[test]
    fn attribute_parse() {
        let a = RadiusAttribute::parse(AttributeKind::Check, "Auth-Type:=Reject").unwrap();
        assert_eq!(
            (a.attribute.as_str(), a.op.as_str(), a.value.as_str()),
            ("Auth-Type", ":=", "Reject")
        );
        let r =
            RadiusAttribute::parse(AttributeKind::Reply, "Reply-Message = \"Hi there\"").unwrap();
        assert_eq!((r.op.as_str(), r.value.as_str()), ("=", "Hi there"));
        assert!(RadiusAttribute::parse(AttributeKind::Reply, "Session-Timeout==3").is_err());
        assert!(RadiusAttribute::parse(AttributeKind::Check, "Session-Timeout").is_err());
        let ge = RadiusAttribute::parse(AttributeKind::Check, "Max-Daily-Session>=10").unwrap();
        assert_eq!(ge.op, ">=");
    }
}
