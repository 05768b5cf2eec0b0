//! What a NAS may send: the bounds every accounting event is held to before it is written
//! ([`AccountingEvent::check`]), and the check of one text value ([`check_nas_text`]) that
//! authorize and post-auth use too.
//!
//! A value out of bounds is refused with [`Error::Invalid`] naming the field, so nothing is
//! written, on every backend alike: without these checks a NUL byte failed PostgreSQL, a
//! session time of 2^63 seconds failed PostgreSQL and MariaDB, and an event time in the
//! year 5138 was stored on SQLite. Traffic counters are not refused but clamped (see
//! [`MAX_SESSION_OCTETS`]): a NAS that reports nonsense there still has its session
//! recorded.

use std::net::Ipv4Addr;

use crate::accounting::{AccountingEvent, AcctStatus};
use crate::error::{Error, Problem, Result};

/// The longest value of a RADIUS attribute, in bytes (RFC 2865 §5).
pub const MAX_ATTRIBUTE_BYTES: usize = 253;

/// The most one session's `Acct-Session-Time` may be: a RADIUS integer is 32 bits.
pub const MAX_SESSION_TIME: u64 = u32::MAX as u64;

/// The most octets one session may count in each direction (2^48, 256 TiB: more than
/// two days at 10 Gbit/s); more is clamped to it with a warning naming the NAS.
///
/// A 64-bit counter folded from `Acct-*-Gigawords` can reach 2^64 − 1, which no signed
/// 64-bit column holds and whose sums overflow. Clamped, 32 768 sessions of one user in
/// one counter window are needed before a sum of both directions reaches 2^64; the sums
/// the counters read saturate besides (see `Store::usage_since`).
pub const MAX_SESSION_OCTETS: u64 = 1 << 48;

/// The earliest event time accepted, in Unix seconds: 1970-01-02 00:00:00 UTC (a NAS
/// without a clock sends times near 0).
pub const EARLIEST_EVENT_TIME: i64 = 86_400;

/// The first event time refused, in Unix seconds: 2100-01-01 00:00:00 UTC.
pub const LATEST_EVENT_TIME: i64 = 4_102_444_800;

/// Checks one text value a NAS sent: no control characters (NUL, line breaks, ESC, DEL),
/// at most `max_chars` characters and at most [`MAX_ATTRIBUTE_BYTES`] bytes.
///
/// ```
/// use owums_core::accounting::check_nas_text;
/// assert!(check_nas_text("username", "alice", 64).is_ok());
/// assert!(check_nas_text("username", "al\0ice", 64).is_err());
/// assert!(check_nas_text("username", &"a".repeat(65), 64).is_err());
/// ```
pub fn check_nas_text(field: &'static str, value: &str, max_chars: usize) -> Result<()> {
    if value.chars().any(char::is_control) {
        return Err(Error::refused(
            field,
            Problem::ControlCharacters,
            "contains control characters",
        ));
    }
    let max = max_chars.min(MAX_ATTRIBUTE_BYTES);
    if value.len() > MAX_ATTRIBUTE_BYTES || value.chars().count() > max {
        return Err(Error::refused(
            field,
            Problem::TooLong { max },
            format!("must be at most {max} characters long"),
        ));
    }
    Ok(())
}

/// An IPv4 address (`NAS-IP-Address` and `Framed-IP-Address` are IPv4 attributes; the
/// stock MySQL columns hold 15 characters).
fn check_ipv4(field: &'static str, value: &str, required: bool) -> Result<()> {
    if value.is_empty() && !required {
        return Ok(());
    }
    if value.is_empty() {
        return Err(Error::refused(field, Problem::Required, "is required"));
    }
    value.parse::<Ipv4Addr>().map(|_| ()).map_err(|_| {
        Error::refused(
            field,
            Problem::BadFormat,
            format!("`{}` is not an IPv4 address", value.escape_debug()),
        )
    })
}

/// The text fields of an event, with the width of their `radacct` column in characters.
fn texts(e: &AccountingEvent) -> [(&'static str, &str, usize); 13] {
    [
        ("session_id", e.session_id.as_str(), 64),
        // longer ids are stored as a digest (see docs/freeradius.md)
        ("unique_id", e.unique_id.as_str(), MAX_ATTRIBUTE_BYTES),
        ("username", e.username.as_str(), 64),
        ("realm", e.realm.as_str(), 64),
        ("nas_port_id", e.nas_port_id.as_str(), 32),
        ("nas_port_type", e.nas_port_type.as_str(), 32),
        ("called_station_id", e.called_station_id.as_str(), 50),
        ("calling_station_id", e.calling_station_id.as_str(), 50),
        ("terminate_cause", e.terminate_cause.as_str(), 32),
        ("service_type", e.service_type.as_str(), 32),
        ("framed_protocol", e.framed_protocol.as_str(), 32),
        ("authentic", e.authentic.as_str(), 32),
        ("connect_info", e.connect_info.as_str(), 128),
    ]
}

impl AccountingEvent {
    /// Checks the event against the documented bounds; the error names the first field
    /// out of them ([`Error::Invalid`]). The SQL sink refuses an event that fails it, so
    /// nothing is written.
    ///
    /// - text: no control characters, no longer than its `radacct` column (`unique_id`:
    ///   [`MAX_ATTRIBUTE_BYTES`]; one longer than 32 characters is stored as a digest);
    /// - `unique_id` present for Start, Interim-Update and Stop; `nas_ip_address` an IPv4
    ///   address, `framed_ip_address` empty or one;
    /// - `event_time` from [`EARLIEST_EVENT_TIME`] to before [`LATEST_EVENT_TIME`];
    /// - `session_time` at most [`MAX_SESSION_TIME`], and not reaching back before
    ///   [`EARLIEST_EVENT_TIME`].
    ///
    /// Octet counters are never refused: storage clamps them to [`MAX_SESSION_OCTETS`].
    ///
    /// ```
    /// use owums_core::{AccountingEvent, AcctStatus};
    /// let mut e = AccountingEvent::new(AcctStatus::Start, "u1", "s1", "alice", "10.0.0.1");
    /// assert!(e.check().is_ok());
    /// e.session_time = Some(1 << 40);
    /// assert!(e.check().unwrap_err().to_string().contains("session_time"));
    /// ```
    pub fn check(&self) -> Result<()> {
        for (field, value, max) in texts(self) {
            check_nas_text(field, value, max)?;
        }
        let session = matches!(
            self.status,
            AcctStatus::Start | AcctStatus::InterimUpdate | AcctStatus::Stop
        );
        if session && self.unique_id.is_empty() {
            return Err(Error::refused(
                "unique_id",
                Problem::Required,
                "is required for Start, Interim-Update and Stop",
            ));
        }
        check_ipv4("nas_ip_address", &self.nas_ip_address, true)?;
        check_ipv4("framed_ip_address", &self.framed_ip_address, false)?;
        let t = self.event_time.timestamp();
        if !(EARLIEST_EVENT_TIME..LATEST_EVENT_TIME).contains(&t) {
            return Err(Error::refused(
                "event_time",
                Problem::OutOfRange,
                format!(
                    "{} is not between 1970-01-02 and 2100-01-01",
                    self.event_time.format("%Y-%m-%d %H:%M:%S UTC")
                ),
            ));
        }
        if let Some(s) = self.session_time {
            let since_earliest = u64::try_from(t - EARLIEST_EVENT_TIME).unwrap_or(0);
            if s > MAX_SESSION_TIME || s > since_earliest {
                return Err(Error::refused(
                    "session_time",
                    Problem::OutOfRange,
                    format!(
                        "{s} seconds is more than a RADIUS session time can be (at most \
                         {MAX_SESSION_TIME}, and not before 1970-01-02)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// `octets` clamped to [`MAX_SESSION_OCTETS`], with a warning naming the NAS when it was
/// above.
pub(crate) fn clamp_octets(e: &AccountingEvent, field: &'static str, octets: u64) -> u64 {
    if octets <= MAX_SESSION_OCTETS {
        return octets;
    }
    tracing::warn!(
        nas = %e.nas_ip_address.escape_debug(),
        unique_id = %e.unique_id.escape_debug(),
        field,
        octets,
        ceiling = MAX_SESSION_OCTETS,
        "accounting counter above the per-session ceiling: clamped"
    );
    MAX_SESSION_OCTETS
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn event_time_bounds() -> (DateTime<Utc>, DateTime<Utc>) {
        (
            DateTime::from_timestamp(EARLIEST_EVENT_TIME, 0).unwrap(),
            DateTime::from_timestamp(LATEST_EVENT_TIME, 0).unwrap(),
        )
    }

    fn event() -> AccountingEvent {
        let mut e = AccountingEvent::new(AcctStatus::Stop, "u1", "s1", "alice", "10.0.0.1");
        e.event_time = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        e
    }

    fn refused(e: &AccountingEvent) -> &'static str {
        match e.check() {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn what_a_nas_may_send() {
        assert!(event().check().is_ok());
        let mut e = event();
        // as long as the time since 1970-01-02 allows (never MAX_SESSION_TIME before 2106)
        e.session_time = Some(1_700_000_000 - 86_400);
        e.input_octets = u64::MAX;
        e.unique_id = "x".repeat(MAX_ATTRIBUTE_BYTES);
        e.framed_ip_address = "10.1.2.3".into();
        assert!(e.check().is_ok(), "octets are clamped, not refused");
        e.session_time = Some(1_700_000_000 - 86_400 + 1);
        assert_eq!(refused(&e), "session_time");
    }

    type Change = fn(&mut AccountingEvent);

    #[test]
    fn each_bound_names_its_field() {
        let cases: [(&str, Change); 12] = [
            ("username", |e| e.username = "a\0b".into()),
            ("username", |e| e.username = "a".repeat(65)),
            ("called_station_id", |e| e.called_station_id = "a\nb".into()),
            ("unique_id", |e| e.unique_id = "u".repeat(254)),
            ("unique_id", |e| e.unique_id = String::new()),
            ("nas_ip_address", |e| e.nas_ip_address = "::1".into()),
            ("nas_ip_address", |e| e.nas_ip_address = String::new()),
            ("framed_ip_address", |e| e.framed_ip_address = "x".into()),
            ("event_time", |e| {
                e.event_time = DateTime::from_timestamp(99_999_999_999, 0).unwrap();
            }),
            ("event_time", |e| {
                e.event_time = DateTime::from_timestamp(-99_999_999_999, 0).unwrap();
            }),
            ("session_time", |e| e.session_time = Some(1 << 63)),
            ("session_time", |e| e.session_time = Some(1_700_000_000)),
        ];
        for (field, change) in cases {
            let mut e = event();
            change(&mut e);
            assert_eq!(refused(&e), field, "{e:?}");
        }
        let (first, last) = event_time_bounds();
        for (t, ok) in [(first, true), (last, false)] {
            let mut e = event();
            e.event_time = t;
            e.session_time = None;
            assert_eq!(e.check().is_ok(), ok, "{t}");
        }
    }

    #[test]
    fn octets_are_clamped_to_the_ceiling() {
        let e = event();
        assert_eq!(clamp_octets(&e, "input_octets", 5), 5);
        assert_eq!(
            clamp_octets(&e, "input_octets", u64::MAX),
            MAX_SESSION_OCTETS
        );
        // 32 768 clamped sessions of both directions are needed to overflow a signed sum
        assert!(
            (MAX_SESSION_OCTETS * 2)
                .checked_mul(16_383)
                .is_some_and(|s| i64::try_from(s).is_ok())
        );
    }
}
