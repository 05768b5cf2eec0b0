//! `/operator/audit` (operators_manager): the audit log with filters, and its CSV export
//! `/operator/audit.csv` with the same filters.

use chrono::{NaiveDate, TimeZone};
use minijinja::context;
use owums_core::operator::{AuditFilter, AuditLog, Permission};
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Data, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::Console;
use crate::pages::{Fail, Web};

/// Rows per page.
const PER_PAGE: i64 = 50;

/// The filters, as the form sends them (dates as `YYYY-MM-DD` in the pages' time zone).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Filters {
    #[serde(default)]
    operator: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    target_kind: String,
    #[serde(default)]
    target_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    page: Option<i64>,
}

impl Filters {
    /// The core's filter; a date that does not parse is refused (422).
    fn filter(&self, c: &Console) -> Result<AuditFilter, Fail> {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let day = |s: &str, next: bool| -> Result<Option<chrono::DateTime<chrono::Utc>>, Fail> {
            let Some(s) = text(s) else { return Ok(None) };
            let d = NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| {
                Fail::Status(StatusCode::UNPROCESSABLE_ENTITY, "console-audit-bad-date")
            })?;
            let d = if next { d.succ_opt().unwrap_or(d) } else { d };
            let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
            Ok(c.ctx
                .web
                .tz
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.to_utc()))
        };
        Ok(AuditFilter {
            operator: text(&self.operator),
            action: text(&self.action),
            target_kind: text(&self.target_kind),
            target_id: text(&self.target_id),
            from: day(&self.from, false)?,
            to: day(&self.to, true)?,
        })
    }

    /// The filters as a query string (for the pager and the CSV link).
    fn query(&self) -> String {
        let pairs = [
            ("operator", &self.operator),
            ("action", &self.action),
            ("target_kind", &self.target_kind),
            ("target_id", &self.target_id),
            ("from", &self.from),
            ("to", &self.to),
        ];
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        char::from(b).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect()
        };
        let kept: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect();
        kept.join("&")
    }
}

/// `GET /operator/audit`.
#[handler]
pub(crate) async fn log_page(req: &Request, web: Data<&Web>, q: Query<Filters>) -> Response {
    let c = Console::load(req, &web).await;
    let r = show(&c, &q).await;
    c.finish(r)
}

async fn show(c: &Console, q: &Filters) -> Result<Response, Fail> {
    c.require(Permission::OperatorsManager)?;
    let filter = q.filter(c)?;
    let log = AuditLog::new(c.ctx.web.state.store.clone());
    let page = log.query(&filter, q.page.unwrap_or(1), PER_PAGE).await?;
    let tz = c.ctx.web.tz;
    let rows: Vec<_> = page
        .rows
        .iter()
        .map(|r| {
            let changes: Vec<_> = r
                .changes
                .iter()
                .map(|ch| context! { field => ch.field.clone(), before => ch.before.clone(), after => ch.after.clone() })
                .collect();
            context! {
                at => r.at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string(),
                operator => r.operator_username.clone(),
                action => r.action.clone(),
                target => r.target.as_ref().map(|t| format!("{} {}", t.kind, t.label)),
                changes,
                ip => r.client_ip.clone(),
            }
        })
        .collect();
    let pages = (page.total + PER_PAGE - 1) / PER_PAGE;
    let query = q.query();
    c.render(
        StatusCode::OK,
        "console/audit.html",
        "console-audit-title",
        context! {
            rows,
            total => page.total,
            page => page.page,
            pages,
            query,
            f => context! {
                operator => q.operator.clone(), action => q.action.clone(),
                target_kind => q.target_kind.clone(), target_id => q.target_id.clone(),
                from => q.from.clone(), to => q.to.clone(),
            },
        },
    )
}

/// `GET /operator/audit.csv`: the rows of the filters (at most
/// [`MAX_EXPORT_ROWS`](owums_core::operator::MAX_EXPORT_ROWS)) as a CSV download.
#[handler]
pub(crate) async fn csv(req: &Request, web: Data<&Web>, q: Query<Filters>) -> Response {
    let c = Console::load(req, &web).await;
    let r = export(&c, &q).await;
    c.finish(r)
}

async fn export(c: &Console, q: &Filters) -> Result<Response, Fail> {
    c.require(Permission::OperatorsManager)?;
    let filter = q.filter(c)?;
    let text = AuditLog::new(c.ctx.web.state.store.clone())
        .csv(&filter)
        .await?;
    let mut resp = text.into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"owums-audit.csv\""),
    );
    Ok(resp)
}
