//! `POST /api/v1/freeradius/accounting/`: Start, Interim-Update, Stop, Accounting-On/Off into
//! the accounting pipeline (`radacct` first), with openwisp-radius' answers: 201 for a Start,
//! 200 otherwise, empty bodies.

use chrono::{DateTime, Utc};
use owums_core::{AccountingEvent, AcctStatus, ErrorKind};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use super::parse::Fields;
use super::{FreeradiusApi, empty, error, internal, refused};

/// Octets plus gigawords, saturating (a 64-bit counter may arrive in `*_octets` already;
/// storage clamps it to the per-session ceiling). Gigawords are a 32-bit RADIUS integer.
fn octets(f: &Fields, octets: &str, gigawords: &str) -> Result<u64, String> {
    let low = f.number(octets)?.unwrap_or(0);
    let high = f.number(gigawords)?.unwrap_or(0);
    if high > u64::from(u32::MAX) {
        return Err(format!(
            "`{gigawords}` = `{high}` is more than a 32-bit RADIUS integer ({})",
            u32::MAX
        ));
    }
    Ok(high.saturating_mul(1 << 32).saturating_add(low))
}

/// `Event-Timestamp` as Unix seconds (a `data` template with `%{integer:Event-Timestamp}`)
/// or as rlm_rest prints a date (`Nov 22 2026 03:00:00 UTC`); `None` when absent, or for a
/// date in another time zone than UTC (whose offset is not known here: the arrival time is
/// used). Anything else is refused; the range is checked by `AccountingEvent::check`.
fn event_time(text: &str) -> Result<Option<DateTime<Utc>>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let unreadable = || {
        format!(
            "`event_timestamp` = `{}` is neither Unix seconds nor a date like \
             `Nov 22 2026 03:00:00 UTC`",
            text.escape_debug()
        )
    };
    if let Ok(t) = text.parse::<i64>() {
        return DateTime::from_timestamp(t, 0)
            .map(Some)
            .ok_or_else(|| format!("`event_timestamp` = `{t}` is out of range"));
    }
    // `%b %e %Y %H:%M:%S %Z`: the zone is a word of letters (or an offset) at the end
    let (date, zone) = match text.rsplit_once(' ') {
        Some((d, z)) if z.chars().any(|c| c.is_ascii_alphabetic()) || z.starts_with(['+', '-']) => {
            (d, z)
        }
        _ => (text, "UTC"),
    };
    let t = chrono::NaiveDateTime::parse_from_str(date, "%b %e %Y %H:%M:%S")
        .map_err(|_| unreadable())?;
    Ok(matches!(zone, "UTC" | "GMT" | "Z").then(|| t.and_utc()))
}

/// The event a request describes; the error says which field is wrong.
pub(crate) fn event(f: &Fields, now: DateTime<Utc>) -> Result<AccountingEvent, String> {
    let status = AcctStatus::parse(f.text("status_type")).map_err(|_| {
        format!(
            "`status_type` = `{}` is not Start, Interim-Update, Stop, Accounting-On or Accounting-Off",
            f.text("status_type")
        )
    })?;
    let nas = f.ip("nas_ip_address")?;
    if nas.is_empty() {
        return Err("`nas_ip_address` is required".to_owned());
    }
    let session = matches!(
        status,
        AcctStatus::Start | AcctStatus::InterimUpdate | AcctStatus::Stop
    );
    if session && f.text("unique_id").is_empty() {
        return Err(
            "`unique_id` is required (Acct-Unique-Session-Id: run acct_unique in preacct)"
                .to_owned(),
        );
    }
    let event_time = event_time(f.text("event_timestamp"))?.unwrap_or(now);
    let text = |name: &str| f.text(name).to_owned();
    let e = AccountingEvent {
        status,
        session_id: text("session_id"),
        unique_id: text("unique_id"),
        username: text("username"),
        realm: text("realm"),
        nas_ip_address: nas,
        nas_port_id: text("nas_port_id"),
        nas_port_type: text("nas_port_type"),
        event_time,
        session_time: f.number("session_time")?,
        input_octets: octets(f, "input_octets", "input_gigawords")?,
        output_octets: octets(f, "output_octets", "output_gigawords")?,
        called_station_id: text("called_station_id"),
        calling_station_id: text("calling_station_id"),
        terminate_cause: text("terminate_cause"),
        service_type: text("service_type"),
        framed_protocol: text("framed_protocol"),
        framed_ip_address: f.ip("framed_ip_address")?,
        authentic: text("authentication"),
        connect_info: text("connection_info_start"),
    };
    // the bounds the core holds every event to (the SQL sink checks them again)
    e.check().map_err(|e| super::refusal(&e))?;
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<i64> {
        event_time(text).unwrap().map(|t| t.timestamp())
    }

    #[test]
    fn event_timestamps() {
        assert_eq!(at("1700000000"), Some(1_700_000_000));
        assert_eq!(at("Nov 14 2023 22:13:20 UTC"), Some(1_700_000_000));
        assert_eq!(at("Nov  4 2023 22:13:20 UTC"), Some(1_699_136_000));
        assert_eq!(at("Nov 14 2023 22:13:20"), Some(1_700_000_000));
        assert_eq!(at("Nov 14 2023 23:13:20 CET"), None, "zone unknown: now");
        assert_eq!(at(""), None);
        for bad in [
            "yesterday",
            "1e10",
            "Nov 99 2023 22:13:20 UTC",
            "99999999999999999999",
        ] {
            assert!(event_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn out_of_bounds_events_name_the_field() {
        let parse = |body: serde_json::Value| Fields::parse(body.to_string().as_bytes()).unwrap();
        let base = serde_json::json!({"status_type": "Stop", "unique_id": "u1",
            "nas_ip_address": "10.0.0.1", "event_timestamp": "1700000000"});
        let now = Utc::now();
        let long = "c".repeat(129);
        assert!(event(&parse(base.clone()), now).is_ok());
        for (field, value, named) in [
            ("event_timestamp", "99999999999", "`event_timestamp`"),
            ("event_timestamp", "-99999999999", "`event_timestamp`"),
            ("session_time", "9223372036854775808", "`session_time`"),
            ("input_gigawords", "4294967296", "`input_gigawords`"),
            ("username", "a\u{0}b", "`username`"),
            ("nas_ip_address", "::1", "`nas_ip_address`"),
            (
                "connection_info_start",
                long.as_str(),
                "`connection_info_start`",
            ),
        ] {
            let mut body = base.clone();
            body[field] = serde_json::json!(value);
            let m = event(&parse(body), now).unwrap_err();
            assert!(m.contains(named), "{field}: {m}");
        }
    }
}

/// Records one accounting request.
#[handler]
pub(crate) async fn accounting(req: &Request, body: Body, api: Data<&FreeradiusApi>) -> Response {
    let fields = match api.fields(req, body).await {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let e = match event(&fields, Utc::now()) {
        Ok(e) => e,
        Err(m) => return error(StatusCode::BAD_REQUEST, "invalid", &m),
    };
    let recorded = api.accounting.record(&e).await;
    api.authorizer.saw_accounting(&e);
    match recorded {
        Ok(()) => {}
        Err(err) if err.kind() == ErrorKind::Conflict => {
            return error(
                StatusCode::CONFLICT,
                "conflict",
                "`unique_id` names another session (another session_id, username or \
                 nas_ip_address): nothing was written",
            );
        }
        Err(err) if err.kind() == ErrorKind::Invalid => return refused(&err),
        Err(err) => return internal(&api, &err),
    }
    if e.status == AcctStatus::Start {
        empty(StatusCode::CREATED)
    } else {
        empty(StatusCode::OK)
    }
}
