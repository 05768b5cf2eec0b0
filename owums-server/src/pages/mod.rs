//! The subscriber pages (HTML): home, sign-up, verification, login/logout, account and
//! password recovery; and the operator console (`console`, under `/operator`). Everything they need (templates, messages, CSS, JS) is embedded in the
//! binary; they work without JavaScript.

mod account;
mod assets;
mod captcha;
mod charts;
pub(crate) mod console;
pub(crate) mod context;
mod cookies;
mod devices;
pub(crate) mod form;
pub(crate) mod format;
mod home;
mod login;
mod phone_reset;
mod portal;
mod reset;
mod signup;
mod templates;
mod verification;

use std::sync::Arc;

use owums_core::config::WebConfig;
use owums_core::subscriber::{WebSessionKind, WebSessions};
use poem::http::StatusCode;
use poem::{Request, Response, Route, get, post};

use crate::AppState;
use crate::i18n::I18n;
use crate::ratelimit::RateLimiter;

pub(crate) use console::announce_setup_link;
pub(crate) use context::{Ctx, Fail};
pub(crate) use form::Form;

/// What the pages share; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Web(Arc<WebInner>);

#[derive(Debug)]
pub(crate) struct WebInner {
    pub(crate) state: AppState,
    pub(crate) i18n: I18n,
    pub(crate) templates: templates::Templates,
    pub(crate) limiter: RateLimiter,
    pub(crate) sessions: WebSessions,
    pub(crate) config: WebConfig,
    /// The time zone pages show times in (`[web] time_zone`).
    pub(crate) tz: chrono_tz::Tz,
}

impl std::ops::Deref for Web {
    type Target = WebInner;
    fn deref(&self) -> &WebInner {
        &self.0
    }
}

impl Web {
    /// The pages of `state`. Fails only if the embedded templates or messages are broken.
    pub(crate) fn new(state: &AppState, limiter: RateLimiter) -> anyhow::Result<Web> {
        let config = state.config.web.clone();
        let tz = config.display_time_zone()?;
        let idle = chrono::Duration::minutes(
            i64::try_from(config.session_idle_minutes).unwrap_or(i64::MAX / 120_000),
        );
        let sessions =
            WebSessions::new(state.store.clone()).with_idle_timeout(WebSessionKind::Web, idle);
        Ok(Web(Arc::new(WebInner {
            state: state.clone(),
            i18n: state.i18n.clone(),
            templates: templates::Templates::new()?,
            limiter,
            sessions,
            config,
            tz,
        })))
    }
}

/// Adds the pages to `route` (the endpoints need a [`Web`] in the request data).
pub(crate) fn mount(route: Route) -> Route {
    portal::mount(console::mount(route))
        .at("/", get(home::home))
        .at("/documents/:name", get(home::document))
        .at("/assets/:name", get(assets::asset))
        .at("/account", get(account::show).post(account::update))
        .at("/account/disable", post(account::disable))
        .at("/account/devices", post(devices::add))
        .at("/account/devices/remove", post(devices::remove))
        .at(
            "/account/signup",
            get(signup::show_form).post(signup::submit),
        )
        .at("/account/captcha.png", get(captcha::image))
        .at("/account/verification", get(verification::page))
        .at("/account/status.json", get(verification::status))
        .at("/account/login", get(login::show_form).post(login::submit))
        .at(
            "/account/logout",
            get(login::logout_form).post(login::logout),
        )
        .at("/account/reset", get(reset::show_form).post(reset::request))
        .at(
            "/account/reset/phone",
            get(phone_reset::show_form).post(phone_reset::request),
        )
        .at(
            "/account/reset/phone/wait",
            get(phone_reset::wait).post(phone_reset::save),
        )
        .at(
            "/account/reset/phone/status.json",
            get(phone_reset::poll_status),
        )
        .at(
            "/account/reset/:token",
            get(reset::new_password_form).post(reset::new_password),
        )
}

/// A status and message for a page that could not be shown.
pub(crate) const NOT_FOUND: Fail = Fail::Status(StatusCode::NOT_FOUND, "error-not-found");

/// Answers what no route matched: under `/api/` the API's JSON error envelope, elsewhere
/// the styled "page not found" in the visitor's language (poem's own answer would be a bare
/// `not found` text). Wraps the whole application; the FreeRADIUS endpoints pass straight
/// through.
pub(crate) async fn not_found<E: poem::Endpoint + ?Sized>(
    web: &Web,
    ep: &E,
    req: Request,
) -> poem::Result<Response> {
    if req.uri().path().starts_with("/api/v1/freeradius/") {
        return ep.call(req).await.map(poem::IntoResponse::into_response);
    }
    // what the answer needs, should nothing match: the request itself goes to the routes
    let mut probe = Request::builder().uri(req.uri().clone()).finish();
    *probe.headers_mut() = req.headers().clone();
    match ep.call(req).await {
        Err(e) if e.is::<poem::error::NotFoundError>() => {
            let path = probe.uri().path();
            if path == "/api" || path.starts_with("/api/") {
                let accept = probe
                    .headers()
                    .get(poem::http::header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok());
                let query = crate::i18n::query_locale(&probe);
                let lang =
                    crate::i18n::choose(query.as_deref(), None, accept, &web.config.default_locale);
                let tr = web.i18n.translator(lang);
                return Ok(crate::freeradius::error(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    &tr.t("api-not-found"),
                ));
            }
            let ctx = Ctx::load(&probe, web).await;
            Ok(ctx.finish(Err(Fail::Status(StatusCode::NOT_FOUND, "error-not-found"))))
        }
        other => other.map(poem::IntoResponse::into_response),
    }
}
