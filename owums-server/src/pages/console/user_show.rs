//! `/operator/users/:id` (users_browser, or users_finder as in OWUMS): everything about one
//! subscriber: personal data, verification, logins, groups, per-user RADIUS items,
//! sessions, 14-day charts, the session open now, notes and the ID-card photos;
//! `/operator/users/:id/attachments/:kind` (users_browser) serves one photo.

use minijinja::{Value, context};
use owums_core::UserId;
use owums_core::operator::Permission;
use owums_core::storage::RadAcctRecord;
use owums_core::subscriber::{OperatorVerifications, SessionQuery};
use poem::http::{StatusCode, header};
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::Console;
use super::users::{admin, user_id};
use crate::pages::charts::{UsageCharts, usage_charts};
use crate::pages::format::{self, bytes, duration, epoch, shown_phone};
use crate::pages::signup::method_label;
use crate::pages::{Fail, NOT_FOUND, Web};

/// The page's parameters: the sessions' page, and what was just done.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ShowQuery {
    page: Option<u32>,
    done: Option<String>,
}

/// `GET /operator/users/:id`.
#[handler]
pub(crate) async fn show(
    req: &Request,
    web: Data<&Web>,
    id: Path<String>,
    q: Query<ShowQuery>,
) -> Response {
    let c = Console::load(req, &web).await;
    let r = show_page(&c, &id, &q).await;
    c.finish(r)
}

fn session_row(c: &Console, s: &RadAcctRecord) -> Value {
    let tz = c.ctx.web.tz;
    let lang = c.ctx.tr.lang();
    context! {
        start => epoch(s.acctstarttime, tz).map(Value::from),
        stop => epoch(s.acctstoptime, tz).map(Value::from),
        duration => duration(s.acctsessiontime.unwrap_or(0)),
        upload => bytes(s.acctinputoctets.unwrap_or(0), lang),
        download => bytes(s.acctoutputoctets.unwrap_or(0), lang),
        ip => s.framedipaddress.clone(),
        mac => s.callingstationid.clone(),
        nas => s.nasipaddress.clone(),
    }
}

async fn show_page(c: &Console, id: &str, q: &ShowQuery) -> Result<Response, Fail> {
    let op = c.require_any(&[Permission::UsersBrowser, Permission::UsersFinder])?;
    let perms = op.record.permissions.clone();
    let id: UserId = user_id(id)?;
    let admin = admin(c);
    let tz = c.ctx.web.tz;
    let now = c.now().with_timezone(&tz).fixed_offset();
    let d = match admin.show(id, now).await {
        Ok(d) => d,
        Err(e) if e.kind() == owums_core::ErrorKind::NotFound => return Err(NOT_FOUND),
        Err(e) => return Err(e.into()),
    };
    let u = &d.user;
    let sessions = match q.page.filter(|p| *p > 1) {
        Some(page) => {
            let sq = SessionQuery {
                page,
                ..SessionQuery::default()
            };
            admin.subscribers().sessions(&u.username, sq).await?
        }
        None => d.sessions.clone(),
    };
    let pages = sessions.pages();
    let UsageCharts {
        traffic_title,
        traffic_chart,
        time_chart,
    } = usage_charts(&c.ctx.tr, &d.usage);
    let verification = d.verification.as_ref().map(|v| {
        let evidence: Vec<Value> = v
            .evidence
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| {
                        let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                        context! { key => k.clone(), value => v }
                    })
                    .collect()
            })
            .unwrap_or_default();
        context! {
            operator => v.operator.clone(),
            at => Value::from(format::time(v.verified_at, tz)),
            method => method_label(&c.ctx, &v.method),
            evidence,
        }
    });
    let photos: Vec<Value> = if perms.allows(Permission::UsersBrowser) {
        OperatorVerifications::new(
            c.ctx.web.state.subscribers.clone(),
            c.ctx.web.state.verifiers.clone(),
        )
        .attachments(id)
        .await?
        .iter()
        .map(|a| context! { kind => a.kind.clone(), at => Value::from(format::time(a.created_at, tz)) })
        .collect()
    } else {
        Vec::new()
    };
    let has_thumb = photos.iter().any(|p| {
        p.get_attr("kind")
            .ok()
            .and_then(|k| k.as_str().map(|k| k == "thumbnail"))
            == Some(true)
    });
    let attr = |a: &owums_core::RadiusAttribute| a.to_string();
    let notice = match q.done.as_deref() {
        Some("saved") => Some(c.ctx.tr.t("console-users-saved")),
        Some("disabled") => Some(c.ctx.tr.t("console-users-disabled")),
        Some("enabled") => Some(c.ctx.tr.t("console-users-enabled")),
        _ => None,
    };
    c.render(
        StatusCode::OK,
        "console/user.html",
        "console-user-title",
        context! {
            u => context! {
                id => u.id.to_string(),
                username => u.username.as_str(),
                given_name => u.given_name.clone(),
                surname => u.surname.clone(),
                email => u.email.as_ref().map(|e| e.as_str().to_owned()),
                mobile => u.mobile.as_ref().map(|m| Value::from(shown_phone(m.as_str(), None))),
                birth_date => u.birth_date.map(|b| b.format("%Y-%m-%d").to_string()),
                address => u.address.clone(),
                city => u.city.clone(),
                zip => u.zip.clone(),
                country => u.country.clone(),
                locale => u.locale.clone(),
                method => method_label(&c.ctx, &u.verification_method),
                status => c.ctx.tr.t(&format!("status-{}", u.status().as_str())),
                verified => u.verified,
                active => u.active,
                verified_at => u.verified_at.map(|t| Value::from(format::time(t, tz))),
                created_at => Value::from(format::time(u.created_at, tz)),
                notes => u.notes.clone(),
            },
            verification,
            web_logins => d.web_logins,
            radius_logins => d.radius_logins,
            groups => d.groups.iter().map(|(g, p)| context! { name => g.as_str(), priority => p }).collect::<Vec<_>>(),
            checks => d.checks.iter().map(attr).collect::<Vec<_>>(),
            replies => d.replies.iter().map(attr).collect::<Vec<_>>(),
            sessions => sessions.sessions.iter().map(|s| session_row(c, s)).collect::<Vec<_>>(),
            page => sessions.page,
            pages,
            online => d.online.as_ref().map(|s| session_row(c, s)),
            traffic_title,
            traffic_chart,
            time_chart,
            photos,
            has_thumb,
            notice,
            can_edit => perms.allows(Permission::UsersManager),
            can_delete => perms.allows(Permission::UsersDestroyer),
            can_create => perms.allows(Permission::UsersRegistrant),
        },
    )
}

/// `thumb=1` asks for the thumbnail.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PhotoQuery {
    thumb: Option<String>,
}

/// `GET /operator/users/:id/attachments/:kind` (`document`, `thumbnail`; `document?thumb=1`
/// is the thumbnail too): the newest file of that kind, never cached.
#[handler]
pub(crate) async fn attachment(
    req: &Request,
    web: Data<&Web>,
    Path((id, kind)): Path<(String, String)>,
    q: Query<PhotoQuery>,
) -> Response {
    let c = Console::load(req, &web).await;
    let r = photo(&c, &id, &kind, q.thumb.is_some()).await;
    c.finish(r)
}

async fn photo(c: &Console, id: &str, kind: &str, thumb: bool) -> Result<Response, Fail> {
    c.require(Permission::UsersBrowser)?;
    let id = user_id(id)?;
    if kind.is_empty()
        || kind.len() > 32
        || !kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err(NOT_FOUND);
    }
    let kind = if thumb { "thumbnail" } else { kind };
    let stored = OperatorVerifications::new(
        c.ctx.web.state.subscribers.clone(),
        c.ctx.web.state.verifiers.clone(),
    )
    .attachment(id, kind)
    .await?
    .ok_or(NOT_FOUND)?;
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, stored.info.content_type.clone())
        .header(header::CACHE_CONTROL, "private, no-store")
        .body(stored.bytes))
}
