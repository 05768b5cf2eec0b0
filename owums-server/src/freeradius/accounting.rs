//! `POST /api/v1/freeradius/accounting/`: Start, Interim-Update, Stop, Accounting-On/Off into
//! the accounting pipeline (`radacct` first), with openwisp-radius' answers: 201 for a Start,
//! 200 otherwise, empty bodies.

use chrono::{DateTime, Utc};
use owums_core::{AccountingEvent, AcctStatus};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use super::parse::Fields;
use super::{FreeradiusApi, empty, error, internal};

/// Octets plus gigawords, saturating (a 64-bit counter may arrive in `*_octets` already).
fn octets(f: &Fields, octets: &str, gigawords: &str) -> Result<u64, String> {
    let low = f.number(octets)?.unwrap_or(0);
    let high = f.number(gigawords)?.unwrap_or(0);
    Ok(high.saturating_mul(1 << 32).saturating_add(low))
}

/// `Event-Timestamp` as Unix seconds (a `data` template with `%{integer:Event-Timestamp}`)
/// or as rlm_rest prints a date (`Nov 22 2026 03:00:00 UTC`); `None` when absent or unreadable.
fn event_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = text.parse::<i64>() {
        return DateTime::from_timestamp(t, 0);
    }
    let text = text.strip_suffix(" UTC").unwrap_or(text);
    chrono::NaiveDateTime::parse_from_str(text, "%b %e %Y %H:%M:%S")
        .ok()
        .map(|t| t.and_utc())
}

/// The event a request describes; the error says which field is wrong.
fn event(f: &Fields, now: DateTime<Utc>) -> Result<AccountingEvent, String> {
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
    let event_time = event_time(f.text("event_timestamp")).unwrap_or(now);
    // storage cuts values to the column widths
    let text = |name: &str| f.text(name).to_owned();
    Ok(AccountingEvent {
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_timestamps() {
        assert_eq!(
            event_time("1700000000").map(|t| t.timestamp()),
            Some(1_700_000_000)
        );
        let t = event_time("Nov 14 2023 22:13:20 UTC").unwrap();
        assert_eq!(t.timestamp(), 1_700_000_000);
        assert_eq!(
            event_time("Nov  4 2023 22:13:20 UTC").map(|t| t.timestamp()),
            Some(1_699_136_000)
        );
        assert_eq!(event_time(""), None);
        assert_eq!(event_time("yesterday"), None);
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
    if let Err(err) = recorded {
        return internal(&api, &err);
    }
    if e.status == AcctStatus::Start {
        empty(StatusCode::CREATED)
    } else {
        empty(StatusCode::OK)
    }
}
