//! Values as people read them on the pages: numbers with the language's decimal separator,
//! byte counts in binary units, times in the display time zone with its name, phone numbers
//! in groups. Machine values (`datetime`, `tel:`) stay in their standard forms.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use minijinja::{Value, context};
use owums_core::PhoneNumber;

/// The decimal separator of language `lang`: a comma in Italian and Spanish, else a point.
pub(crate) fn decimal_separator(lang: &str) -> char {
    match lang {
        "it" | "es" => ',',
        _ => '.',
    }
}

/// `v` with `places` decimals and the separator of `lang` (no grouping of thousands).
pub(crate) fn decimal(v: f64, places: usize, lang: &str) -> String {
    let s = format!("{v:.places$}");
    match decimal_separator(lang) {
        '.' => s,
        sep => s.replace('.', &sep.to_string()),
    }
}

/// `v` with at most three decimals, trailing zeros dropped (axis labels: `0,25`, `2`).
pub(crate) fn short_number(v: f64, lang: &str) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    let s = if s == "-0" { "0" } else { s };
    match decimal_separator(lang) {
        '.' => s.to_owned(),
        sep => s.replace('.', &sep.to_string()),
    }
}

/// Binary units: 1 KiB = 1024 B, 1 MiB = 1024 KiB, …
const BYTE_UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];

/// A byte count in the largest binary unit that keeps it ≥ 1, one decimal (`50.0 MiB`,
/// `50,0 MiB` in Italian).
pub(crate) fn bytes(n: i64, lang: &str) -> String {
    let mut v = n.max(0) as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < BYTE_UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} B")
    } else {
        format!("{} {}", decimal(v, 1, lang), BYTE_UNITS[u])
    }
}

/// `H:MM:SS`.
pub(crate) fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// A time for people, `2026-01-15 11:00 CET`, and for machines (RFC 3339, in UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShownTime {
    /// Date and time in the display time zone, then the zone's abbreviation.
    pub(crate) text: String,
    /// The instant as RFC 3339 (`<time datetime>`).
    pub(crate) iso: String,
}

impl From<ShownTime> for Value {
    fn from(t: ShownTime) -> Value {
        context! { text => t.text, iso => t.iso }
    }
}

/// `t` in time zone `tz`.
pub(crate) fn time(t: DateTime<Utc>, tz: Tz) -> ShownTime {
    let local = t.with_timezone(&tz);
    ShownTime {
        text: local.format("%Y-%m-%d %H:%M %Z").to_string(),
        iso: t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

/// Seconds since 1970 (radacct times) in time zone `tz`.
pub(crate) fn epoch(t: Option<i64>, tz: Tz) -> Option<ShownTime> {
    t.and_then(|t| Utc.timestamp_opt(t, 0).single())
        .map(|t| time(t, tz))
}

/// Country codes of one digit (ITU-T E.164 assignments).
const CC1: &[&str] = &["1", "7"];
/// Country codes of two digits; every other country code has three.
const CC2: &[&str] = &[
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
    "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

/// An E.164 number for reading: `+`, the country code, then the rest in groups of three
/// from the left, a lone last digit joining the group before it (`+39 334 123 4567`,
/// `+44 770 090 0123`, `+1 202 555 0123`). No national conventions: the same rule for every
/// country. Anything that is not `+` and digits comes back unchanged.
pub(crate) fn phone(e164: &str) -> String {
    let Some(digits) = e164.strip_prefix('+') else {
        return e164.to_owned();
    };
    if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return e164.to_owned();
    }
    let cc_len = if CC1.contains(&&digits[..1]) {
        1
    } else if CC2.contains(&&digits[..2]) {
        2
    } else {
        3
    };
    let (cc, rest) = digits.split_at(cc_len);
    let mut groups: Vec<String> = rest
        .as_bytes()
        .chunks(3)
        .map(|g| String::from_utf8_lossy(g).into_owned())
        .collect();
    if groups.len() > 1 && groups.last().is_some_and(|g| g.len() == 1) {
        let lone = groups.pop().unwrap_or_default();
        if let Some(g) = groups.last_mut() {
            g.push_str(&lone);
        }
    }
    format!("+{cc} {}", groups.join(" "))
}

/// A number to call as the page shows it: grouped for reading and as a `tel:` value (E.164
/// when `written` reads as a number, read with `country_code` when national; else as written
/// without spaces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShownPhone {
    /// For people.
    pub(crate) text: String,
    /// For `tel:` links.
    pub(crate) tel: String,
}

impl From<ShownPhone> for Value {
    fn from(p: ShownPhone) -> Value {
        context! { text => p.text, tel => p.tel }
    }
}

/// `written` (E.164, international or national) for the page.
pub(crate) fn shown_phone(written: &str, country_code: Option<&str>) -> ShownPhone {
    match PhoneNumber::parse_with_country(written, country_code) {
        Ok(p) => ShownPhone {
            text: phone(p.as_str()),
            tel: p.as_str().to_owned(),
        },
        Err(_) => ShownPhone {
            text: written.trim().to_owned(),
            tel: written.chars().filter(|c| !c.is_whitespace()).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn numbers_use_the_language_separator() {
        assert_eq!(decimal(50.0, 1, "en"), "50.0");
        assert_eq!(decimal(50.0, 1, "it"), "50,0");
        assert_eq!(decimal(1.25, 2, "es"), "1,25");
        assert_eq!(short_number(0.25, "it"), "0,25");
        assert_eq!(short_number(2.0, "it"), "2");
        assert_eq!(short_number(2.5, "en"), "2.5");
        assert_eq!(short_number(0.0, "en"), "0");
    }

    #[test]
    fn bytes_are_binary_units() {
        assert_eq!(bytes(0, "en"), "0 B");
        assert_eq!(bytes(1023, "en"), "1023 B");
        assert_eq!(bytes(1024, "en"), "1.0 KiB");
        assert_eq!(bytes(50 * 1024 * 1024, "en"), "50.0 MiB");
        assert_eq!(bytes(50 * 1024 * 1024, "it"), "50,0 MiB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024 / 2, "es"), "1,5 GiB");
        assert_eq!(bytes(-5, "en"), "0 B");
    }

    #[test]
    fn times_carry_their_zone() {
        let t = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
        let rome: Tz = "Europe/Rome".parse().unwrap();
        assert_eq!(time(t, rome).text, "2026-01-15 11:00 CET");
        assert_eq!(time(t, rome).iso, "2026-01-15T10:00:00Z");
        let summer = Utc.with_ymd_and_hms(2026, 7, 15, 10, 0, 0).unwrap();
        assert_eq!(time(summer, rome).text, "2026-07-15 12:00 CEST");
        assert_eq!(time(t, chrono_tz::UTC).text, "2026-01-15 10:00 UTC");
        assert_eq!(
            epoch(Some(t.timestamp()), rome).unwrap().text,
            "2026-01-15 11:00 CET"
        );
        assert_eq!(duration(3725), "1:02:05");
    }

    #[test]
    fn phone_numbers_are_grouped_by_one_rule() {
        assert_eq!(phone("+393341234567"), "+39 334 123 4567");
        assert_eq!(phone("+39061234567"), "+39 061 234 567");
        assert_eq!(phone("+447700900123"), "+44 770 090 0123");
        assert_eq!(phone("+12025550123"), "+1 202 555 0123");
        assert_eq!(phone("+74951234567"), "+7 495 123 4567");
        assert_eq!(phone("+35312345678"), "+353 123 456 78");
        assert_eq!(phone("+3531234567"), "+353 123 4567");
        assert_eq!(phone("+41441234"), "+41 441 234");
        assert_eq!(phone("0612345"), "0612345");
        assert_eq!(phone("+39abc"), "+39abc");
    }

    #[test]
    fn numbers_to_call_keep_e164_for_tel() {
        let n = shown_phone("06 1234567", Some("39"));
        assert_eq!(n.tel, "+39061234567");
        assert_eq!(n.text, "+39 061 234 567");
        let n = shown_phone("+39 02 12345678", None);
        assert_eq!(n.tel, "+390212345678");
        assert_eq!(n.text, "+39 021 234 5678");
        let n = shown_phone("*123#", None);
        assert_eq!((n.text.as_str(), n.tel.as_str()), ("*123#", "*123#"));
    }
}
