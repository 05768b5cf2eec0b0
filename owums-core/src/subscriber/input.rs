//! What a subscriber types: one set of rules for every entry point.
//!
//! Sign-up (the page and the JSON API), profile changes (the account page and the API) and
//! the operator's `owums user create` all check subscriber-supplied text here, so a value
//! one of them refuses is refused by all of them, and nothing reaches the database that a
//! column cannot hold:
//!
//! - each text field has a maximum length in characters that matches its column
//!   (`VARCHAR(n)` on PostgreSQL and MariaDB; a test reads the migrations to keep them equal);
//! - no control characters: C0 and C1 controls (NUL, ESC, CR, LF, TAB, DEL, …), the line and
//!   paragraph separators, and the bidirectional overrides that make text display in an
//!   order other than the stored one;
//! - surrounding whitespace is trimmed first, so a required field of spaces is empty.
//!
//! ```
//! use owums_core::subscriber::{TextField, clean_text};
//! use owums_core::Problem;
//! assert_eq!(clean_text(TextField::City, "  Roma ", true).unwrap(), "Roma");
//! assert_eq!(clean_text(TextField::City, " ", true).unwrap_err().problem, Problem::Required);
//! assert_eq!(
//!     clean_text(TextField::GivenName, "Ann\u{1b}[2Ja", true).unwrap_err().problem,
//!     Problem::ControlCharacters
//! );
//! assert_eq!(
//!     clean_text(TextField::Zip, &"1".repeat(21), false).unwrap_err().problem,
//!     Problem::TooLong { max: 20 }
//! );
//! ```

use chrono::{Datelike, NaiveDate};

use crate::error::{FieldError, Problem};

/// Most characters of a username (`owums_users.username`).
pub const MAX_USERNAME_LEN: usize = 64;
/// Most characters of an e-mail address (`owums_users.email`).
pub const MAX_EMAIL_LEN: usize = 254;
/// Most characters of a mobile number as typed (spaces, `+`, `00`); stored as E.164.
pub const MAX_MOBILE_INPUT_LEN: usize = 32;
/// Most characters of a verification method id (`owums_users.verification_method`).
pub const MAX_METHOD_LEN: usize = 32;
/// Most characters of a password.
pub const MAX_PASSWORD_LEN: usize = 128;
/// Most characters of operator notes on a subscriber (`owums_users.notes`).
pub const MAX_NOTES_LEN: usize = 2000;

/// A free-text field of a subscriber, with the length its column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    /// Given name, at most 100 characters.
    GivenName,
    /// Surname, at most 100 characters.
    Surname,
    /// Street address, at most 200 characters.
    Address,
    /// City, at most 100 characters.
    City,
    /// Postal code, at most 20 characters.
    Zip,
    /// Country, at most 100 characters.
    Country,
}

impl TextField {
    /// Every text field, in the order of the sign-up form.
    pub const ALL: [TextField; 6] = [
        TextField::GivenName,
        TextField::Surname,
        TextField::Address,
        TextField::City,
        TextField::Zip,
        TextField::Country,
    ];

    /// The field's name in forms, the API and error reports (`given_name`, `zip`).
    pub fn name(self) -> &'static str {
        match self {
            TextField::GivenName => "given_name",
            TextField::Surname => "surname",
            TextField::Address => "address",
            TextField::City => "city",
            TextField::Zip => "zip",
            TextField::Country => "country",
        }
    }

    /// The most characters the field holds (its column's width).
    pub const fn max_len(self) -> usize {
        match self {
            TextField::Address => 200,
            TextField::Zip => 20,
            _ => 100,
        }
    }
}

/// Whether `c` may not appear in subscriber text: a C0 or C1 control character, a line or
/// paragraph separator, or a bidirectional embedding, override or isolate.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks `value` of `field` (any field, by name, at most `max` characters): trimmed, not
/// empty when `required`, within `max`, without forbidden characters. Answers the trimmed
/// text.
///
/// # Errors
///
/// A [`FieldError`] with [`Problem::Required`], [`Problem::TooLong`] or
/// [`Problem::ControlCharacters`].
pub fn check_text(
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() && required {
        return Err(FieldError::new(field, Problem::Required, "is required"));
    }
    if value.chars().any(is_forbidden_char) {
        return Err(FieldError::new(
            field,
            Problem::ControlCharacters,
            "may not contain control characters",
        ));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            Problem::TooLong { max },
            format!("must be at most {max} characters long"),
        ));
    }
    Ok(value.to_owned())
}

/// [`check_text`] for one of the subscriber's [`TextField`]s, with the field's own limit.
///
/// # Errors
///
/// As [`check_text`].
pub fn clean_text(field: TextField, value: &str, required: bool) -> Result<String, FieldError> {
    check_text(field.name(), value, field.max_len(), required)
}

/// Checks that a value the caller already trimmed or typed (an operator's notes, a
/// verification method id) has no forbidden characters and at most `max` characters;
/// `allow_line_breaks` lets notes keep their line breaks and tabs.
pub(crate) fn check_raw(
    field: &'static str,
    value: &str,
    max: usize,
    allow_line_breaks: bool,
) -> Result<(), FieldError> {
    let allowed = |c: char| allow_line_breaks && matches!(c, '\n' | '\r' | '\t');
    if value.chars().any(|c| is_forbidden_char(c) && !allowed(c)) {
        return Err(FieldError::new(
            field,
            Problem::ControlCharacters,
            "may not contain control characters",
        ));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            Problem::TooLong { max },
            format!("must be at most {max} characters long"),
        ));
    }
    Ok(())
}

/// Checks every subscriber-supplied value of `new` against the rules of this module (none
/// is required here: the operator's path leaves names and address empty when it has none;
/// sign-up decides what it requires before). The password is checked separately.
///
/// # Errors
///
/// [`Error::Fields`](crate::Error::Fields) listing every refused field.
pub(crate) fn check_new_user(new: &crate::subscriber::user::NewUser) -> crate::Result<()> {
    let mut errors = Vec::new();
    let values = [
        new.given_name.as_str(),
        new.surname.as_str(),
        new.address.as_str(),
        new.city.as_str(),
        new.zip.as_str(),
        new.country.as_str(),
    ];
    for (field, value) in TextField::ALL.into_iter().zip(values) {
        if let Err(e) = check_raw(field.name(), value, field.max_len(), false) {
            errors.push(e);
        }
    }
    let method = new.verification_method.as_str();
    if method.trim().is_empty() {
        errors.push(FieldError::new(
            "verification_method",
            Problem::Required,
            "is required",
        ));
    } else if let Err(e) = check_raw("verification_method", method, MAX_METHOD_LEN, false) {
        errors.push(e);
    }
    if let Err(e) = check_raw("locale", &new.locale, 8, false) {
        errors.push(e);
    }
    if let Some(notes) = &new.notes
        && let Err(e) = check_raw("notes", notes, MAX_NOTES_LEN, true)
    {
        errors.push(e);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(crate::Error::Fields(errors))
    }
}

/// Reads a birth date written `YYYY-MM-DD`, from 1900-01-01 to `today`.
///
/// # Errors
///
/// [`Problem::BadFormat`] for text that is not such a date, [`Problem::OutOfRange`] for a
/// date outside the range.
pub fn parse_birth_date(text: &str, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(d) if d.year() >= 1900 && d <= today => Ok(d),
        Ok(_) => Err(FieldError::new(
            "birth_date",
            Problem::OutOfRange,
            "must lie between 1900-01-01 and today",
        )),
        Err(_) => Err(FieldError::new(
            "birth_date",
            Problem::BadFormat,
            "is not a date written as YYYY-MM-DD",
        )),
    }
}

/// Text a terminal shows as it is stored, never as commands: every control character (see
/// [`is_forbidden_char`]) is written as a Rust-style escape (`\u{1b}`, `\n`), and a
/// backslash as `\\` so an escape cannot be faked. For the command line's output of
/// subscriber-supplied values, which may predate these rules.
///
/// ```
/// use owums_core::subscriber::escape_for_terminal;
/// assert_eq!(escape_for_terminal("Anna\u{1b}[2J"), "Anna\\u{1b}[2J");
/// assert_eq!(escape_for_terminal("Zoë O'Brien"), "Zoë O'Brien");
/// ```
pub fn escape_for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\\' || is_forbidden_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The width of `column` in the `owums_users` table of a migration.
    fn width(sql: &str, column: &str) -> usize {
        let table = sql
            .split("CREATE TABLE owums_users")
            .nth(1)
            .expect("owums_users table");
        let line = table
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{column} ")))
            .unwrap_or_else(|| panic!("column {column}"));
        let n = line
            .split("VARCHAR(")
            .nth(1)
            .and_then(|r| r.split(')').next())
            .unwrap_or_else(|| panic!("{column} is not VARCHAR: {line}"));
        n.parse().unwrap()
    }

    #[test]
    fn limits_match_the_columns() {
        for sql in [
            include_str!("../../migrations/postgres/2026-11-22-000002_owums/up.sql"),
            include_str!("../../migrations/mysql/2026-11-22-000002_owums/up.sql"),
            include_str!("../../migrations/sqlite/2026-11-22-000002_owums/up.sql"),
        ] {
            for f in TextField::ALL {
                assert_eq!(width(sql, f.name()), f.max_len(), "{}", f.name());
            }
            assert_eq!(width(sql, "username"), MAX_USERNAME_LEN);
            assert_eq!(width(sql, "email"), MAX_EMAIL_LEN);
            assert_eq!(width(sql, "verification_method"), MAX_METHOD_LEN);
        }
    }

    #[test]
    fn text_rules() {
        assert_eq!(
            clean_text(TextField::City, " Roma ", false).unwrap(),
            "Roma"
        );
        assert_eq!(clean_text(TextField::City, "", false).unwrap(), "");
        for bad in [
            "a\u{0}b",
            "a\rb",
            "a\nb",
            "\u{1b}[31m",
            "a\u{202E}b",
            "a\u{85}b",
        ] {
            assert_eq!(
                clean_text(TextField::Surname, bad, false)
                    .unwrap_err()
                    .problem,
                Problem::ControlCharacters,
                "{bad:?}"
            );
        }
        let long = "é".repeat(101);
        assert_eq!(
            clean_text(TextField::GivenName, &long, true)
                .unwrap_err()
                .problem,
            Problem::TooLong { max: 100 }
        );
        assert!(clean_text(TextField::GivenName, &"é".repeat(100), true).is_ok());
        assert!(check_raw("notes", "line one\nline two\tx", MAX_NOTES_LEN, true).is_ok());
        assert!(check_raw("notes", "nul\u{0}", MAX_NOTES_LEN, true).is_err());
    }

    #[test]
    fn a_limit_is_the_last_length_allowed() {
        let at = "x".repeat(MAX_NOTES_LEN);
        assert!(check_raw("notes", &at, MAX_NOTES_LEN, true).is_ok());
        let over = "é".repeat(MAX_NOTES_LEN + 1);
        let e = check_raw("notes", &over, MAX_NOTES_LEN, true).unwrap_err();
        assert_eq!(e.problem, Problem::TooLong { max: MAX_NOTES_LEN });
    }

    #[test]
    fn birth_dates_from_1900_to_today() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            parse_birth_date(" 1990-05-17 ", today).unwrap(),
            day(1990, 5, 17)
        );
        assert_eq!(
            parse_birth_date("1900-01-01", today).unwrap(),
            day(1900, 1, 1)
        );
        assert_eq!(parse_birth_date("2026-12-04", today).unwrap(), today);
        for out in ["1899-12-31", "2026-12-05", "9999-01-01"] {
            let e = parse_birth_date(out, today).unwrap_err();
            assert_eq!(
                (e.field, e.problem),
                ("birth_date", Problem::OutOfRange),
                "{out}"
            );
        }
        for bad in ["17/05/1990", "1990-02-31", "", "yesterday"] {
            let e = parse_birth_date(bad, today).unwrap_err();
            assert_eq!(e.problem, Problem::BadFormat, "{bad}");
        }
    }

    #[test]
    fn a_new_user_is_checked_field_by_field() {
        let good = crate::subscriber::user::NewUser {
            given_name: "Anna".into(),
            city: "Roma".into(),
            verification_method: "none".into(),
            notes: Some("met at the desk\nsecond line".into()),
            ..Default::default()
        };
        assert!(check_new_user(&good).is_ok());
        let bad = crate::subscriber::user::NewUser {
            city: "Roma\u{1b}[2J".into(),
            zip: "1".repeat(21),
            verification_method: " ".into(),
            notes: Some("nul\u{0}".into()),
            ..good
        };
        let Err(crate::Error::Fields(errors)) = check_new_user(&bad) else {
            panic!("a bad new user is accepted");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["city", "zip", "verification_method", "notes"]);
        assert_eq!(errors[2].problem, Problem::Required);
    }

    #[test]
    fn terminal_escapes() {
        assert_eq!(escape_for_terminal("a\u{0}b\\n"), "a\\u{0}b\\\\n");
        assert_eq!(escape_for_terminal("x\r\ny"), "x\\r\\ny");
    }
}
