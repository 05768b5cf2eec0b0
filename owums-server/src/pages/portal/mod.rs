//! The captive-portal pages: where an access controller sends a new device
//! (`/portal/<name>/login`), the logon, the status page, the logoff, and the RFC 8908 API.
//!
//! The adapter of `[portals.<name>]` reads the controller's redirect; what it said (the
//! [`Arrival`]) is kept in the subscriber's web session under `portal`, so the form, the
//! status page and the logoff know which controller and device they are about. Credentials
//! are checked by owums first (a clear answer without bothering the controller), then the
//! adapter logs the device on: by calling the controller itself (WILI-S version 1) or by
//! sending the browser there (CoovaChilli, WILI-S version 2).

pub(crate) mod pending;
mod status;

use minijinja::context;
use owums_core::portal::{
    Answer, Arrival, ArrivalState, BrowserMethod, BrowserRequest, Credentials, Outcome,
    PortalAdapter, PortalError, Redirect, Step, wispr,
};
use owums_core::{ErrorKind, UserRecord};
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, Route, get, handler, post};
use std::sync::Arc;

use super::context::redirect;
use super::{Ctx, Fail, Form, Web};

/// Adds the portal pages.
pub(crate) fn mount(route: Route) -> Route {
    route
        .at("/portal/:name/login", get(arrive).post(log_on))
        .at(
            "/portal/:name/wispr",
            get(status::wispr_poll).post(status::wispr_logon),
        )
        .at("/portal/:name/status", get(status::show))
        .at("/portal/:name/logout", post(status::log_off))
        .at("/portal/:name/result", get(result))
        .at("/portal/:name/result/logoff", get(status::logoff_result))
        .at("/portal/:name/online", get(online))
        .at("/portal/:name/api", get(status::captive_api))
}

/// The session data key the arrival is kept under.
const KEY: &str = "portal";

/// The adapter of `name`, or the styled 404.
fn adapter(ctx: &Ctx, name: &str) -> Result<Arc<dyn PortalAdapter>, Fail> {
    ctx.web
        .state
        .portals
        .get(name)
        .ok_or(Fail::Status(StatusCode::NOT_FOUND, "portal-unknown"))
}

/// The arrival kept in the session for portal `name`.
fn stored(ctx: &Ctx, name: &str) -> Option<Arrival> {
    let data = ctx.data();
    let arrival: Arrival = serde_json::from_value(data.get(KEY)?.clone()).ok()?;
    (arrival.portal == name).then_some(arrival)
}

async fn keep(ctx: &mut Ctx, arrival: &Arrival) -> Result<(), Fail> {
    let mut data = ctx.data();
    data[KEY] = serde_json::to_value(arrival)
        .map_err(|e| Fail::Core(owums_core::Error::Internal(e.to_string())))?;
    ctx.set_data(data).await
}

/// Whether `arrival` only says that the device `kept` is about is online (`res=success`
/// or `already` from the same controller, for the same device and controller session):
/// what the session holds still serves the status page and the logout, so the logon's
/// last step writes nothing.
fn confirms(kept: Option<&Arrival>, arrival: &Arrival) -> bool {
    let logged_on = matches!(arrival.state, ArrivalState::Success | ArrivalState::Already);
    kept.is_some_and(|k| {
        logged_on
            && k.controller == arrival.controller
            && k.client_ip == arrival.client_ip
            && k.client_mac == arrival.client_mac
            && k.nas_id == arrival.nas_id
            && k.session_id == arrival.session_id
    })
}

/// A refused redirect or an unreachable controller: the subscriber's page, and the
/// operator's log line.
fn refused(portal: &str, error: &PortalError) -> Fail {
    tracing::warn!(%portal, %error, "captive portal: request refused");
    let (status, id) = match error {
        PortalError::NoPortal => (StatusCode::NOT_FOUND, "portal-unknown"),
        PortalError::Tampered => (StatusCode::BAD_REQUEST, "portal-tampered"),
        PortalError::MissingParameter(_) | PortalError::BadParameter(_) => {
            (StatusCode::BAD_REQUEST, "portal-bad-redirect")
        }
        PortalError::Unreachable(_) | PortalError::Certificate(_) | PortalError::Garbage(_) => {
            (StatusCode::BAD_GATEWAY, "portal-controller-failed")
        }
    };
    Fail::Status(status, id)
}

/// The message id for a controller's answer that is not a success.
fn answer_message(answer: &Answer) -> (StatusCode, &'static str) {
    match answer.outcome {
        Outcome::WrongCredentials => (StatusCode::UNAUTHORIZED, "login-failed"),
        Outcome::Refused => (StatusCode::FORBIDDEN, "portal-refused"),
        Outcome::TooManyUsers => (StatusCode::SERVICE_UNAVAILABLE, "portal-too-many"),
        Outcome::NotLoggedOn => (StatusCode::CONFLICT, "portal-not-online"),
        _ => (StatusCode::BAD_GATEWAY, "portal-controller-failed"),
    }
}

/// `GET /portal/<name>/login?…`: the controller's redirect (or a return to the form).
#[handler]
pub(crate) async fn arrive(req: &Request, web: Data<&Web>, Path(name): Path<String>) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = arrival_page(&mut ctx, req, &name).await;
    ctx.finish(r)
}

async fn arrival_page(ctx: &mut Ctx, req: &Request, name: &str) -> Result<Response, Fail> {
    let adapter = adapter(ctx, name)?;
    let query = req.uri().query().unwrap_or_default();
    // the language links add `locale=` only: the page again, with what the session holds
    let only_locale = form_urlencoded::parse(query.as_bytes()).all(|(k, _)| k == "locale");
    let arrival = if only_locale {
        stored(ctx, name).ok_or(Fail::Status(StatusCode::BAD_REQUEST, "portal-no-redirect"))?
    } else {
        let arrival = adapter
            .arrival(&Redirect {
                query,
                peer: Some(ctx.ip),
            })
            .map_err(|e| refused(name, &e))?;
        if !confirms(stored(ctx, name).as_ref(), &arrival) {
            keep(ctx, &arrival).await?;
        }
        arrival
    };
    match &arrival.state {
        ArrivalState::Already | ArrivalState::Success => {
            Ok(redirect(&format!("/portal/{name}/status")))
        }
        ArrivalState::Failed(reason) => {
            let alert = match (&arrival.reply, reason.as_deref()) {
                (Some(reply), _) => format!("{} {reply}", ctx.tr.t("portal-failed")),
                (None, Some("reject")) => ctx.tr.t("login-failed"),
                _ => ctx.tr.t("portal-failed"),
            };
            form(ctx, &arrival, StatusCode::OK, "", Some(alert), None)
        }
        ArrivalState::Logoff => {
            let notice = ctx.tr.t("portal-logged-off");
            form(ctx, &arrival, StatusCode::OK, "", None, Some(notice))
        }
        ArrivalState::NotYet | ArrivalState::Splash => {
            form(ctx, &arrival, StatusCode::OK, "", None, None)
        }
    }
}

/// The login form, with the WISPr 1.0 message smart clients read.
fn form(
    ctx: &Ctx,
    arrival: &Arrival,
    status: StatusCode,
    username: &str,
    alert: Option<String>,
    notice: Option<String>,
) -> Result<Response, Fail> {
    let base = ctx.web.state.portals.base_url();
    let name = &arrival.portal;
    let wispr = wispr::redirect(
        &format!("{base}/portal/{name}/wispr"),
        None,
        &ctx.tr.t("site-name"),
    );
    let page = ctx.render(
        status,
        "portal/login.html",
        "portal-login-title",
        context! {
            portal => name,
            form => context! { username },
            errors => context! {},
            alert,
            notice,
            wispr,
        },
    )?;
    Ok(with_policy(page, arrival.controller.as_deref()))
}

/// The pages' policy, with forms allowed to lead to the controller: the login form and the
/// logout button are answered with a redirect there, and browsers hold a form's redirects
/// to the policy of the page that sent it.
pub(super) fn with_policy(mut page: Response, controller: Option<&str>) -> Response {
    let targets = controller
        .map(|c| format!(" http://{c} https://{c}"))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'{targets}; base-uri 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        page.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    page
}

/// `POST /portal/<name>/login`: `username`, `password`.
#[handler]
pub(crate) async fn log_on(
    req: &Request,
    web: Data<&Web>,
    Path(name): Path<String>,
    body: Body,
) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = logon(&mut ctx, &name, body).await;
    ctx.finish(r)
}

async fn logon(ctx: &mut Ctx, name: &str, body: Body) -> Result<Response, Fail> {
    let adapter = adapter(ctx, name)?;
    let form_data = Form::read(body, ctx.web.config.max_form_bytes).await?;
    ctx.check_csrf(&form_data)?;
    let arrival =
        stored(ctx, name).ok_or(Fail::Status(StatusCode::BAD_REQUEST, "portal-no-redirect"))?;
    let username = form_data.get("username").to_lowercase();
    let password = form_data.raw("password").to_owned();
    let Some(user) = authenticate(ctx, &username, &password).await? else {
        let alert = ctx.tr.t("login-failed");
        return form(
            ctx,
            &arrival,
            StatusCode::UNAUTHORIZED,
            &username,
            Some(alert),
            None,
        );
    };
    ctx.log_in(user.clone()).await?;
    go_online(ctx, &adapter, &arrival, user.username.as_str(), password).await
}

/// Logs the device on at the controller with the subscriber's username and password.
async fn go_online(
    ctx: &Ctx,
    adapter: &Arc<dyn PortalAdapter>,
    arrival: &Arrival,
    username: &str,
    password: String,
) -> Result<Response, Fail> {
    let credentials = Credentials {
        username: adapter.login_name(username),
        password,
    };
    let step = adapter
        .logon(arrival, &credentials)
        .await
        .map_err(|e| refused(&arrival.portal, &e))?;
    match step {
        Step::Browser(go) => Ok(browser(ctx, &go)?),
        Step::Done(answer) => after_logon(ctx, arrival, &answer, username),
    }
}

/// The arrival kept in the session, whichever portal it came through.
pub(crate) fn arrived(ctx: &Ctx) -> Option<Arrival> {
    serde_json::from_value(ctx.data().get(KEY)?.clone()).ok()
}

/// Logs the subscriber's device on right after they changed their password, when they
/// came through a captive portal (a password reset done on the portal); `None` otherwise.
pub(crate) async fn online_after_reset(
    ctx: &Ctx,
    username: &str,
    password: &str,
) -> Option<Result<Response, Fail>> {
    let arrival = arrived(ctx)?;
    let adapter = ctx.web.state.portals.get(&arrival.portal)?;
    Some(go_online(ctx, &adapter, &arrival, username, password.to_owned()).await)
}

/// `GET /portal/<name>/online`: right after verification, logs the subscriber's device on
/// with the password they typed at sign-up (sealed in their session until now).
#[handler]
pub(crate) async fn online(req: &Request, web: Data<&Web>, Path(name): Path<String>) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = go_online_now(&mut ctx, &name).await;
    ctx.finish(r)
}

async fn go_online_now(ctx: &mut Ctx, name: &str) -> Result<Response, Fail> {
    let adapter = adapter(ctx, name)?;
    let user = ctx.require_user()?;
    let arrival =
        stored(ctx, name).ok_or(Fail::Status(StatusCode::BAD_REQUEST, "portal-no-redirect"))?;
    if user.status() != owums_core::UserStatus::Verified {
        return Ok(redirect("/account/verification"));
    }
    match pending::take(ctx).await? {
        Some(password) => {
            go_online(ctx, &adapter, &arrival, user.username.as_str(), password).await
        }
        // nothing kept (another browser, expired): the form, username filled in
        None => form(
            ctx,
            &arrival,
            StatusCode::OK,
            user.username.as_str(),
            None,
            None,
        ),
    }
}

/// Checks the subscriber's password under the login rate limits; `None` when wrong.
pub(super) async fn authenticate(
    ctx: &Ctx,
    username: &str,
    password: &str,
) -> Result<Option<UserRecord>, Fail> {
    let subscribers = ctx.web.state.subscribers.clone();
    let account = subscribers.login_account(username).await?;
    let attempt = ctx.web.limiter.login(ctx.ip, account.key()).await?;
    match subscribers.authenticate_account(account, password).await {
        Ok(user) => {
            ctx.web.limiter.login_succeeded(&attempt).await;
            Ok(Some(user))
        }
        Err(e) if e.kind() == ErrorKind::Unauthorized => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What a controller's logon answer shows: the status page, or the form with why not.
fn after_logon(
    ctx: &Ctx,
    arrival: &Arrival,
    answer: &Answer,
    username: &str,
) -> Result<Response, Fail> {
    if let Outcome::LoggedOn { .. } = answer.outcome {
        return Ok(redirect(&format!("/portal/{}/status", arrival.portal)));
    }
    tracing::warn!(
        portal = %arrival.portal,
        outcome = ?answer.outcome,
        detail = %answer.detail,
        "captive portal: the controller did not log the subscriber on"
    );
    let (status, id) = answer_message(answer);
    let mut alert = ctx.tr.t(id);
    for message in &answer.messages {
        alert.push(' ');
        alert.push_str(message);
    }
    form(ctx, arrival, status, username, Some(alert), None)
}

/// Sends the browser to the controller: a redirect, or a form the page submits itself.
/// The answer's policy lets forms go to the controller's origin.
pub(super) fn browser(ctx: &Ctx, go: &BrowserRequest) -> Result<Response, Fail> {
    let origin = origin(&go.url);
    let response = match go.method {
        BrowserMethod::Get => redirect(&go.url),
        BrowserMethod::Post => {
            let fields: Vec<_> = go
                .fields
                .iter()
                .map(|(k, v)| context! { name => k, value => v })
                .collect();
            ctx.render(
                StatusCode::OK,
                "portal/go.html",
                "portal-go-title",
                context! { action => &go.url, fields },
            )?
        }
    };
    let host = origin.split_once("://").map_or("", |(_, h)| h);
    Ok(with_policy(response, Some(host)))
}

/// `scheme://host:port` of a URL.
pub(super) fn origin(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    format!("{scheme}://{host}")
}

/// `GET /portal/<name>/result?error=…`: a WILI-S controller (portal version 2) sends the
/// browser back with the logon's result.
#[handler]
pub(crate) async fn result(req: &Request, web: Data<&Web>, Path(name): Path<String>) -> Response {
    let ctx = Ctx::load(req, &web).await;
    let r = read_result(&ctx, req, &name);
    ctx.finish(r)
}

fn read_result(ctx: &Ctx, req: &Request, name: &str) -> Result<Response, Fail> {
    adapter(ctx, name)?;
    let arrival =
        stored(ctx, name).ok_or(Fail::Status(StatusCode::BAD_REQUEST, "portal-no-redirect"))?;
    let answer = owums_core::portal::wili::browser_result(req.uri().query().unwrap_or_default())
        .map_err(|e| refused(name, &e))?;
    let username = ctx
        .user
        .as_ref()
        .map(|u| u.username.as_str().to_owned())
        .unwrap_or_default();
    after_logon(ctx, &arrival, &answer, &username)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrival(state: ArrivalState, challenge: &str, session: &str) -> Arrival {
        Arrival {
            portal: "lobby".into(),
            state,
            client_ip: Some("10.1.0.7".parse().unwrap()),
            client_mac: Some("AA-BB-CC-00-00-01".into()),
            nas_id: Some("lobby-ap".into()),
            controller: Some("10.1.0.1:3990".into()),
            interface: None,
            original_url: None,
            lang: None,
            challenge: Some(challenge.into()),
            session_id: Some(session.into()),
            reply: None,
        }
    }

    #[test]
    fn only_a_logged_on_return_of_the_same_device_is_not_written_again() {
        let kept = arrival(ArrivalState::NotYet, "00aa", "s1");
        // success with a new challenge: what the session holds still serves
        assert!(confirms(
            Some(&kept),
            &arrival(ArrivalState::Success, "00bb", "s1")
        ));
        assert!(confirms(
            Some(&kept),
            &arrival(ArrivalState::Already, "00cc", "s1")
        ));
        // not logged on: its challenge is the one the next logon needs
        for state in [
            ArrivalState::NotYet,
            ArrivalState::Logoff,
            ArrivalState::Splash,
        ] {
            assert!(!confirms(Some(&kept), &arrival(state, "00bb", "s1")));
        }
        assert!(!confirms(
            Some(&kept),
            &arrival(ArrivalState::Failed(None), "00bb", "s1")
        ));
        // another controller session, another device, or nothing kept
        assert!(!confirms(
            Some(&kept),
            &arrival(ArrivalState::Success, "00bb", "s2")
        ));
        let mut other = arrival(ArrivalState::Success, "00bb", "s1");
        other.client_mac = Some("AA-BB-CC-00-00-02".into());
        assert!(!confirms(Some(&kept), &other));
        let mut other = arrival(ArrivalState::Success, "00bb", "s1");
        other.controller = Some("10.9.0.1:3990".into());
        assert!(!confirms(Some(&kept), &other));
        assert!(!confirms(
            None,
            &arrival(ArrivalState::Success, "00bb", "s1")
        ));
    }
}
