//! What values the RADIUS attributes owums knows may take, and what no value may hold.
//!
//! An operator types check and reply items in the console or on the command line;
//! [`RadiusAttribute::validated`] turns them into rows FreeRADIUS reads. Beyond the name and
//! operator rules of [`RadiusAttribute::try_new`], it knows:
//!
//! | Attributes | Kind | Operators | Value |
//! |---|---|---|---|
//! | `Max-Daily-Session`, `Max-Monthly-Session` (seconds), `Max-Daily-Session-Traffic`, `Max-Monthly-Session-Traffic` (octets) | check | `:=` | a whole number ≥ 1 |
//! | `Simultaneous-Use` | check | `:=` | a whole number ≥ 1 |
//! | `Auth-Type` | check | `:=` | `Reject` |
//! | `Session-Timeout`, `Idle-Timeout`, `Acct-Interim-Interval` | reply | any reply operator | 1 – 4 294 967 295 |
//! | `WISPr-Bandwidth-Max-Up/Down`, `ChilliSpot-Bandwidth-Max-Up/Down` (bit/s), `ChilliSpot-Max-Total-Octets`, `ChilliSpot-Max-Input-Octets`, `ChilliSpot-Max-Output-Octets` | reply | any reply operator | 1 – 4 294 967 295 |
//! | `Mikrotik-Rate-Limit` | reply | any reply operator | `rx[/tx]` rates such as `2M/512k`, up to six space-separated groups |
//! | `Framed-IP-Address` | reply | any reply operator | an IPv4 address |
//!
//! `Auth-Type := Accept` is refused: owums always checks the password itself in REST mode,
//! while FreeRADIUS in SQL mode would let anyone in with it. Password attributes
//! (`Crypt-Password`, …) are refused: a subscriber's password is set as a password.
//!
//! Any other attribute is allowed with a value that is safe whatever FreeRADIUS does with
//! it: no back-quote (FreeRADIUS runs a back-quoted value as a program), no `%{` (an
//! expansion), and not wrapped in matching quotes (FreeRADIUS would expand a double-quoted
//! one).

use crate::error::{Error, Problem, Result};
use crate::ids::{AttributeKind, RadiusAttribute};

/// The usage limits the counters enforce (REST mode) and `sqlcounter` (SQL mode).
const COUNTERS: &[&str] = &[
    "Max-Daily-Session",
    "Max-Monthly-Session",
    "Max-Daily-Session-Traffic",
    "Max-Monthly-Session-Traffic",
];

/// Reply items that hold a 32-bit RADIUS integer, where 0 makes no sense.
const REPLY_INTEGERS: &[&str] = &[
    "Session-Timeout",
    "Idle-Timeout",
    "Acct-Interim-Interval",
    "WISPr-Bandwidth-Max-Up",
    "WISPr-Bandwidth-Max-Down",
    "ChilliSpot-Bandwidth-Max-Up",
    "ChilliSpot-Bandwidth-Max-Down",
    "ChilliSpot-Max-Total-Octets",
    "ChilliSpot-Max-Input-Octets",
    "ChilliSpot-Max-Output-Octets",
];

/// Attributes that carry a password (owums keeps a subscriber's one password row itself).
const PASSWORDS: &[&str] = &[
    "Crypt-Password",
    "NT-Password",
    "Cleartext-Password",
    "User-Password",
];

fn is_one_of(name: &str, list: &[&str]) -> bool {
    list.iter().any(|n| n.eq_ignore_ascii_case(name))
}

fn wrong_kind(a: &RadiusAttribute, kind: AttributeKind) -> Error {
    let (is, should) = match kind {
        AttributeKind::Check => ("a check", "reply"),
        AttributeKind::Reply => ("a reply", "check"),
    };
    Error::refused(
        "attribute",
        Problem::Other,
        format!(
            "`{}` is not {is} item: add it as a {should} item",
            a.attribute
        ),
    )
}

fn number(a: &RadiusAttribute, max: u64) -> Result<()> {
    let v = a.value.trim();
    if v.is_empty() || !v.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::refused(
            "value",
            Problem::BadFormat,
            format!("{} must be a whole number, not `{v}`", a.attribute),
        ));
    }
    match v.parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(()),
        _ => Err(Error::refused(
            "value",
            Problem::OutOfRange,
            format!("{} must be between 1 and {max}", a.attribute),
        )),
    }
}

fn set_only(a: &RadiusAttribute) -> Result<()> {
    if a.op == ":=" {
        Ok(())
    } else {
        Err(Error::refused(
            "operator",
            Problem::Unknown,
            format!("{} takes the operator `:=`, not `{}`", a.attribute, a.op),
        ))
    }
}

/// `rx[/tx]` with an optional `k`, `M` or `G`: one group of a `Mikrotik-Rate-Limit`.
fn rate_group(s: &str) -> bool {
    let rate = |r: &str| {
        let digits = r.strip_suffix(['k', 'K', 'm', 'M', 'g', 'G']).unwrap_or(r);
        !digits.is_empty() && digits.len() <= 10 && digits.chars().all(|c| c.is_ascii_digit())
    };
    match s.split_once('/') {
        Some((rx, tx)) => rate(rx) && rate(tx),
        None => rate(s),
    }
}

/// Refuses what no value may hold (see the module documentation).
fn safe(a: &RadiusAttribute) -> Result<()> {
    let v = a.value.as_str();
    let quoted = v.len() >= 2
        && (v.starts_with('"') && v.ends_with('"') || v.starts_with('\'') && v.ends_with('\''));
    if v.contains('`') || v.contains("%{") || quoted {
        return Err(Error::refused(
            "value",
            Problem::BadFormat,
            format!(
                "the value of {} may not contain a back-quote or `%{{`, nor be wrapped in quotes",
                a.attribute
            ),
        ));
    }
    Ok(())
}

impl RadiusAttribute {
    /// Builds an attribute of `kind` like [`RadiusAttribute::try_new`] and checks its value
    /// for the attributes owums knows (see the table in this module's source: counters,
    /// timeouts, `Simultaneous-Use`, bandwidth, `Mikrotik-Rate-Limit`, `Auth-Type`,
    /// `Framed-IP-Address`).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the field (`attribute`, `operator` or `value`) with a
    /// [`Problem`] the pages translate.
    ///
    /// ```
    /// use owums_core::{AttributeKind, RadiusAttribute};
    /// assert!(RadiusAttribute::validated(AttributeKind::Reply, "Session-Timeout", "=", "3600").is_ok());
    /// assert!(RadiusAttribute::validated(AttributeKind::Reply, "Session-Timeout", "=", "1h").is_err());
    /// assert!(RadiusAttribute::validated(AttributeKind::Check, "Simultaneous-Use", ":=", "0").is_err());
    /// assert!(RadiusAttribute::validated(AttributeKind::Reply, "Mikrotik-Rate-Limit", "=", "2M/512k").is_ok());
    /// assert!(RadiusAttribute::validated(AttributeKind::Reply, "Reply-Message", "=", "`reboot`").is_err());
    /// ```
    pub fn validated(kind: AttributeKind, attribute: &str, op: &str, value: &str) -> Result<Self> {
        let a = Self::try_new(kind, attribute, op, value.trim())?;
        a.check_value(kind)?;
        Ok(a)
    }

    /// Checks an attribute built with [`RadiusAttribute::try_new`], [`RadiusAttribute::parse`]
    /// or by hand: the rules of [`RadiusAttribute::try_new`] and [`RadiusAttribute::validated`].
    ///
    /// # Errors
    ///
    /// As [`RadiusAttribute::validated`].
    pub fn check_value(&self, kind: AttributeKind) -> Result<()> {
        // the fields are public: one built by hand gets the checks of `try_new` too
        Self::try_new(kind, &self.attribute, &self.op, &self.value)?;
        let name = self.attribute.as_str();
        safe(self)?;
        if is_one_of(name, PASSWORDS) {
            return Err(Error::refused(
                "attribute",
                Problem::Other,
                format!("`{name}` is a password: set the subscriber's password instead"),
            ));
        }
        if self.value.trim().is_empty() {
            return Err(Error::refused(
                "value",
                Problem::Required,
                format!("{name} needs a value"),
            ));
        }
        let check_only = is_one_of(name, COUNTERS)
            || name.eq_ignore_ascii_case("Simultaneous-Use")
            || name.eq_ignore_ascii_case("Auth-Type");
        let reply_only = is_one_of(name, REPLY_INTEGERS)
            || name.eq_ignore_ascii_case("Mikrotik-Rate-Limit")
            || name.eq_ignore_ascii_case("Framed-IP-Address");
        match kind {
            AttributeKind::Reply if check_only => return Err(wrong_kind(self, kind)),
            AttributeKind::Check if reply_only => return Err(wrong_kind(self, kind)),
            _ => {}
        }
        if is_one_of(name, COUNTERS) {
            set_only(self)?;
            // the counters read a signed 64-bit number
            return number(self, i64::MAX as u64);
        }
        if name.eq_ignore_ascii_case("Simultaneous-Use") {
            set_only(self)?;
            return number(self, u64::from(u32::MAX));
        }
        if name.eq_ignore_ascii_case("Auth-Type") {
            set_only(self)?;
            if !self.value.trim().eq_ignore_ascii_case("Reject") {
                return Err(Error::refused(
                    "value",
                    Problem::Unknown,
                    "Auth-Type may only be `Reject` (owums checks passwords itself)",
                ));
            }
            return Ok(());
        }
        if is_one_of(name, REPLY_INTEGERS) {
            return number(self, u64::from(u32::MAX));
        }
        if name.eq_ignore_ascii_case("Mikrotik-Rate-Limit") {
            let groups: Vec<&str> = self.value.split_whitespace().collect();
            if groups.is_empty() || groups.len() > 6 || !groups.iter().all(|g| rate_group(g)) {
                return Err(Error::refused(
                    "value",
                    Problem::BadFormat,
                    "Mikrotik-Rate-Limit must look like `2M/512k` (rx/tx rates with k, M or G, \
                     up to six space-separated groups)",
                ));
            }
            return Ok(());
        }
        if name.eq_ignore_ascii_case("Framed-IP-Address")
            && self.value.trim().parse::<std::net::Ipv4Addr>().is_err()
        {
            return Err(Error::refused(
                "value",
                Problem::BadFormat,
                format!(
                    "Framed-IP-Address must be an IPv4 address, not `{}`",
                    self.value
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(kind: AttributeKind, a: &str, op: &str, v: &str) -> bool {
        RadiusAttribute::validated(kind, a, op, v).is_ok()
    }

    fn field(kind: AttributeKind, a: &str, op: &str, v: &str) -> (&'static str, Problem) {
        match RadiusAttribute::validated(kind, a, op, v).unwrap_err() {
            Error::Invalid { field, problem, .. } => (field, problem),
            e => panic!("{e}"),
        }
    }

    use AttributeKind::{Check, Reply};

    #[test]
    fn counters_and_limits_are_positive_numbers_set_with_colon_equals() {
        assert!(ok(Check, "Max-Daily-Session", ":=", "10800"));
        assert!(ok(
            Check,
            "max-monthly-session-traffic",
            ":=",
            "3000000000000"
        ));
        assert_eq!(
            field(Check, "Max-Daily-Session", ":=", "3h"),
            ("value", Problem::BadFormat)
        );
        assert_eq!(
            field(Check, "Max-Daily-Session", ":=", "0"),
            ("value", Problem::OutOfRange)
        );
        assert_eq!(
            field(Check, "Max-Daily-Session", "==", "10"),
            ("operator", Problem::Unknown)
        );
        assert_eq!(
            field(Reply, "Max-Daily-Session", ":=", "10"),
            ("attribute", Problem::Other)
        );
        assert!(ok(Check, "Simultaneous-Use", ":=", "1"));
        assert_eq!(
            field(Check, "Simultaneous-Use", ":=", "-1"),
            ("value", Problem::BadFormat)
        );
    }

    #[test]
    fn timeouts_and_bandwidth() {
        assert!(ok(Reply, "Session-Timeout", "=", "3600"));
        assert!(ok(Reply, "Idle-Timeout", ":=", " 600 "));
        assert_eq!(
            field(Reply, "Session-Timeout", "=", "4294967296"),
            ("value", Problem::OutOfRange)
        );
        assert_eq!(
            field(Check, "Session-Timeout", ":=", "60"),
            ("attribute", Problem::Other)
        );
        assert!(ok(Reply, "WISPr-Bandwidth-Max-Down", "=", "2000000"));
        assert!(!ok(Reply, "ChilliSpot-Bandwidth-Max-Up", "=", "2M"));
        for good in ["2M/512k", "10M", "2M/1M 4M/2M 1M/512k 10/10 8 512k/128k"] {
            assert!(ok(Reply, "Mikrotik-Rate-Limit", "=", good), "{good}");
        }
        for bad in ["fast", "2M/", "/1M", "1 2 3 4 5 6 7", "2X/1M", ""] {
            assert!(!ok(Reply, "Mikrotik-Rate-Limit", "=", bad), "{bad}");
        }
        assert!(ok(Reply, "Framed-IP-Address", "=", "10.1.0.7"));
        assert_eq!(
            field(Reply, "Framed-IP-Address", "=", "10.1.0.300"),
            ("value", Problem::BadFormat)
        );
    }

    #[test]
    fn auth_type_passwords_and_unsafe_values() {
        assert!(ok(Check, "Auth-Type", ":=", "Reject"));
        assert_eq!(
            field(Check, "Auth-Type", ":=", "Accept"),
            ("value", Problem::Unknown)
        );
        assert_eq!(
            field(Check, "Cleartext-Password", ":=", "x"),
            ("attribute", Problem::Other)
        );
        assert!(ok(Reply, "Reply-Message", "=", "Welcome, it's gold"));
        assert!(ok(Check, "NAS-Identifier", "==", "hotspot-1"));
        for bad in ["`reboot`", "%{exec:/bin/true}", "\"quoted\"", "'quoted'"] {
            assert_eq!(
                field(Reply, "Reply-Message", "=", bad),
                ("value", Problem::BadFormat),
                "{bad}"
            );
        }
        assert_eq!(
            field(Reply, "Reply-Message", "=", "a\nb"),
            ("value", Problem::ControlCharacters)
        );
        assert_eq!(
            field(Reply, "Bad Name", "=", "x"),
            ("attribute", Problem::BadFormat)
        );
        assert_eq!(
            field(Reply, "Session-Timeout", "==", "1"),
            ("operator", Problem::Unknown)
        );
    }
}
