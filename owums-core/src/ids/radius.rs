//! The RADIUS names an operator types: group names and attributes with their operators,
//! checked before they reach FreeRADIUS' tables.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};

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

impl AttributeKind {
    /// The operators an item of this kind may use, the most common first: what an
    /// operator's form offers.
    pub fn operators(self) -> &'static [&'static str] {
        match self {
            AttributeKind::Check => CHECK_OPS,
            AttributeKind::Reply => REPLY_OPS,
        }
    }

    /// `check` or `reply`, as the console's paths and the audit log name the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeKind::Check => "check",
            AttributeKind::Reply => "reply",
        }
    }
}

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
            return Err(Error::refused(
                "attribute",
                Problem::BadFormat,
                format!("`{attribute}` is not a RADIUS attribute name"),
            ));
        }
        let ops = match kind {
            AttributeKind::Check => CHECK_OPS,
            AttributeKind::Reply => REPLY_OPS,
        };
        if !ops.contains(&op) {
            return Err(Error::refused(
                "operator",
                Problem::Unknown,
                format!("`{op}` is not one of {}", ops.join(" ")),
            ));
        }
        if value.len() > 253 {
            return Err(Error::refused(
                "value",
                Problem::TooLong { max: 253 },
                "must be at most 253 characters long",
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(Error::refused(
                "value",
                Problem::ControlCharacters,
                "must not contain control characters",
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
