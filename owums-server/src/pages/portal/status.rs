//! The portal's status page, the logoff, the WISPr smart-client logon and the RFC 8908 API.

use minijinja::context;
use owums_core::portal::captive::{CaptiveStatus, MEDIA_TYPE};
use owums_core::portal::wispr::{self, ResponseCode};
use owums_core::portal::{Answer, Arrival, Credentials, Figure, Outcome, SessionStatus, Step};
use owums_core::storage::RadAcctRecord;
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, IntoResponse, Request, Response, handler};

use super::{adapter, answer_message, authenticate, browser, refused, stored, with_policy};
use crate::pages::context::redirect;
use crate::pages::format;
use crate::pages::{Ctx, Fail, Form, Web};

/// `GET /portal/<name>/status`: the session's figures, with refresh and logout.
#[handler]
pub(crate) async fn show(req: &Request, web: Data<&Web>, Path(name): Path<String>) -> Response {
    let ctx = Ctx::load(req, &web).await;
    let r = status_page(&ctx, &name).await;
    ctx.finish(r)
}

async fn status_page(ctx: &Ctx, name: &str) -> Result<Response, Fail> {
    let adapter = adapter(ctx, name)?;
    let Some(arrival) = stored(ctx, name) else {
        return Err(Fail::Status(StatusCode::BAD_REQUEST, "portal-no-redirect"));
    };
    let username = ctx
        .user
        .as_ref()
        .map(|u| adapter.login_name(u.username.as_str()))
        .unwrap_or_default();
    let lang = ctx.tr.lang();
    let rows = match adapter.status(&arrival, &username).await {
        Ok(Step::Done(answer)) => match answer.outcome {
            Outcome::Status(status) => figures(&status, ctx),
            Outcome::NotLoggedOn => {
                return Ok(redirect(&format!("/portal/{name}/login")));
            }
            _ => {
                let (status, id) = answer_message(&answer);
                tracing::warn!(portal = %name, detail = %answer.detail, "captive portal: status refused");
                return Err(Fail::Status(status, id));
            }
        },
        // the controller is the browser's to ask: owums shows what accounting says
        Ok(Step::Browser(_)) => match arrival.client_ip {
            Some(ip) => match ctx.web.state.store.open_session_at(ip).await? {
                Some(session) => accounting(&session, lang, ctx),
                None => Vec::new(),
            },
            None => Vec::new(),
        },
        Err(e) => return Err(refused(name, &e)),
    };
    let page = ctx.render(
        StatusCode::OK,
        "portal/status.html",
        "portal-status-title",
        context! {
            portal => name,
            rows,
            original_url => &arrival.original_url,
        },
    )?;
    Ok(with_policy(page, arrival.controller.as_deref()))
}

fn row(ctx: &Ctx, label: &str, value: String) -> minijinja::Value {
    context! { label => ctx.tr.t(label), value }
}

/// A figure in words: `unlimited`, a duration, bytes, a bandwidth.
fn shown(figure: &Figure, ctx: &Ctx) -> Option<String> {
    let lang = ctx.tr.lang();
    Some(match figure {
        Figure::Unknown => return None,
        Figure::Unlimited => ctx.tr.t("portal-unlimited"),
        Figure::Seconds(s) => format::duration(i64::try_from(*s).unwrap_or(i64::MAX)),
        Figure::Bytes(b) => format::bytes(i64::try_from(*b).unwrap_or(i64::MAX), lang),
        Figure::BitsPerSecond(bps) => bandwidth(*bps, lang),
        Figure::Text(t) => t.clone(),
    })
}

/// A bandwidth in kbit/s or Mbit/s, whole numbers without decimals.
fn bandwidth(bps: u64, lang: &str) -> String {
    let (value, unit) = if bps >= 1_000_000 {
        (bps as f64 / 1e6, "Mbit/s")
    } else {
        (bps as f64 / 1e3, "kbit/s")
    };
    let places = if value.fract() == 0.0 { 0 } else { 1 };
    format!("{} {unit}", format::decimal(value, places, lang))
}

/// The 16 `<ppstatus>` entries, in the seed's order, those the controller gave.
fn figures(s: &SessionStatus, ctx: &Ctx) -> Vec<minijinja::Value> {
    let text = [
        ("portal-user", &s.username),
        ("portal-ip", &s.ip),
        ("portal-mac", &s.mac),
    ];
    let mut rows: Vec<_> = text
        .iter()
        .filter_map(|(l, v)| v.as_ref().map(|v| row(ctx, l, v.clone())))
        .collect();
    let numbers = [
        ("portal-session-time", &s.session_time),
        ("portal-idle-time", &s.idle_time),
        ("portal-output-bytes", &s.output_bytes),
        ("portal-input-bytes", &s.input_bytes),
    ];
    rows.extend(
        numbers
            .iter()
            .filter_map(|(l, f)| shown(f, ctx).map(|v| row(ctx, l, v))),
    );
    if let Some(id) = &s.session_id {
        rows.push(row(ctx, "portal-session-id", id.clone()));
    }
    if let Some(domain) = &s.domain {
        rows.push(row(ctx, "portal-domain", domain.clone()));
    }
    let rest = [
        ("portal-remaining-bytes", &s.remaining_bytes),
        ("portal-remaining-output", &s.remaining_output_bytes),
        ("portal-remaining-input", &s.remaining_input_bytes),
        ("portal-bandwidth-up", &s.bandwidth_up),
        ("portal-bandwidth-down", &s.bandwidth_down),
        ("portal-remaining-time", &s.remaining_time),
        ("portal-remaining-total", &s.remaining_total_bytes),
    ];
    rows.extend(
        rest.iter()
            .filter_map(|(l, f)| shown(f, ctx).map(|v| row(ctx, l, v))),
    );
    rows
}

/// What `radacct` says of the open session (as of the controller's last interim update).
fn accounting(s: &RadAcctRecord, lang: &str, ctx: &Ctx) -> Vec<minijinja::Value> {
    let mut rows = vec![
        row(ctx, "portal-user", s.username.clone()),
        row(ctx, "portal-ip", s.framedipaddress.clone()),
    ];
    if !s.callingstationid.is_empty() {
        rows.push(row(ctx, "portal-mac", s.callingstationid.clone()));
    }
    rows.push(row(
        ctx,
        "portal-session-time",
        format::duration(s.acctsessiontime.unwrap_or(0)),
    ));
    rows.push(row(
        ctx,
        "portal-output-bytes",
        format::bytes(s.acctoutputoctets.unwrap_or(0), lang),
    ));
    rows.push(row(
        ctx,
        "portal-input-bytes",
        format::bytes(s.acctinputoctets.unwrap_or(0), lang),
    ));
    rows
}

/// `POST /portal/<name>/logout`.
#[handler]
pub(crate) async fn log_off(
    req: &Request,
    web: Data<&Web>,
    Path(name): Path<String>,
    body: Body,
) -> Response {
    let ctx = Ctx::load(req, &web).await;
    let r = logoff(&ctx, &name, body).await;
    ctx.finish(r)
}

async fn logoff(ctx: &Ctx, name: &str, body: Body) -> Result<Response, Fail> {
    let adapter = adapter(ctx, name)?;
    let form = Form::read(body, ctx.web.config.max_form_bytes).await?;
    ctx.check_csrf(&form)?;
    let arrival: Arrival =
        stored(ctx, name).ok_or(Fail::Status(StatusCode::BAD_REQUEST, "portal-no-redirect"))?;
    let username = ctx
        .user
        .as_ref()
        .map(|u| adapter.login_name(u.username.as_str()))
        .unwrap_or_default();
    match adapter
        .logoff(&arrival, &username)
        .await
        .map_err(|e| refused(name, &e))?
    {
        Step::Browser(go) => browser(ctx, &go),
        Step::Done(answer) => logged_off(ctx, name, &answer),
    }
}

/// What a controller's logoff answer shows: "you are disconnected", or why not.
fn logged_off(ctx: &Ctx, name: &str, answer: &Answer) -> Result<Response, Fail> {
    match answer.outcome {
        Outcome::LoggedOff | Outcome::NotLoggedOn => ctx.message(
            StatusCode::OK,
            "portal-logged-off-title",
            "portal-logged-off",
            Some((&format!("/portal/{name}/login"), "portal-login-again")),
        ),
        _ => {
            tracing::warn!(portal = %name, detail = %answer.detail, "captive portal: logoff refused");
            let (status, id) = answer_message(answer);
            Err(Fail::Status(status, id))
        }
    }
}

/// `GET /portal/<name>/result/logoff?error=…`: a WILI-S controller (portal version 2) sends
/// the browser back with the logoff's result.
#[handler]
pub(crate) async fn logoff_result(
    req: &Request,
    web: Data<&Web>,
    Path(name): Path<String>,
) -> Response {
    let ctx = Ctx::load(req, &web).await;
    let r = read_logoff_result(&ctx, req, &name);
    ctx.finish(r)
}

fn read_logoff_result(ctx: &Ctx, req: &Request, name: &str) -> Result<Response, Fail> {
    adapter(ctx, name)?;
    let answer =
        owums_core::portal::wili::browser_logoff_result(req.uri().query().unwrap_or_default())
            .map_err(|e| refused(name, &e))?;
    logged_off(ctx, name, &answer)
}

/// `POST /portal/<name>/wispr`: a WISPr smart client's `UserName` and `Password`; the
/// answer is an `AuthenticationReply` in an HTML comment.
#[handler]
pub(crate) async fn wispr_logon(
    req: &Request,
    web: Data<&Web>,
    Path(name): Path<String>,
    body: Body,
) -> Response {
    let ctx = Ctx::load(req, &web).await;
    let reply = match smart_client(&ctx, &name, body).await {
        Ok(xml) => xml,
        Err(code) => wispr::authentication_reply(code, None, None, None),
    };
    wispr_page(&reply)
}

async fn smart_client(ctx: &Ctx, name: &str, body: Body) -> Result<String, ResponseCode> {
    let adapter = adapter(ctx, name).map_err(|_| ResponseCode::NoRealm)?;
    let arrival = stored(ctx, name).ok_or(ResponseCode::InternalError)?;
    let form = Form::read(body, ctx.web.config.max_form_bytes)
        .await
        .map_err(|_| ResponseCode::LoginFailed)?;
    let username = form.get("UserName").to_lowercase();
    let password = form.raw("Password").to_owned();
    let user = authenticate(ctx, &username, &password)
        .await
        .map_err(|_| ResponseCode::ServerError)?
        .ok_or(ResponseCode::LoginFailed)?;
    let credentials = Credentials {
        username: adapter.login_name(user.username.as_str()),
        password,
    };
    let base = ctx.web.state.portals.base_url();
    let status_url = format!("{base}/portal/{name}/status");
    match adapter.logon(&arrival, &credentials).await {
        Ok(Step::Browser(go)) => Ok(wispr::authentication_reply(
            ResponseCode::Pending,
            Some(&go.url),
            None,
            None,
        )),
        Ok(Step::Done(answer)) => Ok(match answer.outcome {
            Outcome::LoggedOn { .. } => wispr::authentication_reply(
                ResponseCode::LoginSucceeded,
                Some(&format!("{base}/portal/{name}/wispr")),
                Some(&status_url),
                None,
            ),
            _ => wispr::authentication_reply(
                ResponseCode::LoginFailed,
                None,
                None,
                answer.messages.first().map(String::as_str),
            ),
        }),
        Err(e) => {
            tracing::warn!(portal = %name, error = %e, "captive portal: smart-client logon failed");
            Err(ResponseCode::ServerError)
        }
    }
}

/// What is left of the session, when the controller can be asked (a WILI-S controller owums
/// calls, for the device whose arrival this browser's session holds).
async fn remaining(ctx: &Ctx, name: &str, username: &str) -> (Option<u64>, Option<u64>) {
    let (Some(adapter), Some(arrival)) = (ctx.web.state.portals.get(name), stored(ctx, name))
    else {
        return (None, None);
    };
    let Ok(Step::Done(answer)) = adapter
        .status(&arrival, &adapter.login_name(username))
        .await
    else {
        return (None, None);
    };
    let Outcome::Status(status) = answer.outcome else {
        return (None, None);
    };
    let seconds = match status.remaining_time {
        Figure::Seconds(s) => Some(s),
        _ => None,
    };
    let bytes = match (&status.remaining_total_bytes, &status.remaining_bytes) {
        (Figure::Bytes(b), _) | (_, Figure::Bytes(b)) => Some(*b),
        _ => None,
    };
    (seconds, bytes)
}

/// `GET /portal/<name>/wispr`: a smart client polls the result of its logon
/// (`AuthenticationPollReply`): online when accounting holds an open session for its address.
#[handler]
pub(crate) async fn wispr_poll(
    req: &Request,
    web: Data<&Web>,
    Path(name): Path<String>,
) -> Response {
    let ctx = Ctx::load(req, &web).await;
    let base = web.state.portals.base_url();
    let reply = if web.state.portals.get(&name).is_none() {
        wispr::poll_reply(ResponseCode::NoRealm, None, None, None)
    } else {
        match web.state.store.open_session_at(ctx.ip).await {
            Ok(Some(_)) => {
                let status = format!("{base}/portal/{name}/status");
                wispr::poll_reply(
                    ResponseCode::LoginSucceeded,
                    Some(&status),
                    Some(&status),
                    None,
                )
            }
            Ok(None) => wispr::poll_reply(ResponseCode::LoggedOff, None, None, None),
            Err(e) => {
                tracing::warn!(error = %e, "captive portal: WISPr poll: accounting lookup failed");
                wispr::poll_reply(ResponseCode::ServerError, None, None, None)
            }
        }
    };
    wispr_page(&reply)
}

/// A WISPr message in an HTML page, not cached.
fn wispr_page(reply: &str) -> Response {
    let page = format!(
        "<!doctype html><html><head><title>WISPr</title></head><body>\n{reply}\n</body></html>"
    );
    let mut response = poem::web::Html(page).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        poem::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// `GET /portal/<name>/api`: the RFC 8908 Captive Portal API for the device asking (by
/// its address): captive unless accounting holds an open session for it.
#[handler]
pub(crate) async fn captive_api(
    req: &Request,
    web: Data<&Web>,
    Path(name): Path<String>,
) -> Response {
    let ctx = Ctx::load(req, &web).await;
    if web.state.portals.get(&name).is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let session = match web.state.store.open_session_at(ctx.ip).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "captive portal API: accounting lookup failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let base = web.state.portals.base_url();
    let (seconds_remaining, bytes_remaining) = match &session {
        Some(open) => remaining(&ctx, &name, &open.username).await,
        None => (None, None),
    };
    let document = CaptiveStatus {
        captive: session.is_none(),
        user_portal_url: Some(format!("{base}/portal/{name}/login")),
        venue_info_url: None,
        can_extend_session: session.as_ref().map(|_| false),
        seconds_remaining,
        bytes_remaining,
    };
    let body = serde_json::to_string(&document).unwrap_or_else(|_| "{\"captive\":true}".into());
    Response::builder()
        .header(header::CONTENT_TYPE, MEDIA_TYPE)
        .header(header::CACHE_CONTROL, "private, no-store")
        .body(body)
}
