//! `/operator/login` (password, then the second-factor code when enrolled) and
//! `/operator/logout`.

use minijinja::context;
use owums_core::operator::Operators;
use owums_core::operator::settings::OPERATOR_TOTP_REQUIRED;
use owums_core::{ErrorKind, Settings};
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{Body, Request, Response, handler};
use serde::Deserialize;

use super::{Console, Stage};
use crate::pages::context::redirect;
use crate::pages::{Fail, Form, Web};

/// Why the login page is shown (`?ended=ip`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Shown {
    ended: Option<String>,
}

/// `GET /operator/login`.
#[handler]
pub(crate) async fn show_form(req: &Request, web: Data<&Web>, q: Query<Shown>) -> Response {
    let c = Console::load(req, &web).await;
    let r = if c.operator().is_ok() {
        Ok(redirect("/operator"))
    } else {
        let notice = (q.ended.as_deref() == Some("ip")).then(|| c.ctx.tr.t("console-ended-ip"));
        login_page(&c, StatusCode::OK, "", None, notice)
    };
    c.finish(r)
}

fn login_page(
    c: &Console,
    status: StatusCode,
    username: &str,
    alert: Option<String>,
    notice: Option<String>,
) -> Result<Response, Fail> {
    c.render(
        status,
        "console/login.html",
        "console-login-title",
        context! { username, alert, notice },
    )
}

/// `POST /operator/login`: `username`, `password`.
#[handler]
pub(crate) async fn submit(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let mut c = Console::load(req, &web).await;
    let r = log_in(&mut c, body).await;
    c.finish(r)
}

async fn log_in(c: &mut Console, body: Body) -> Result<Response, Fail> {
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let username = form.get("username").to_lowercase();
    let limiter = c.ctx.web.limiter.clone();
    let attempt = limiter
        .login(c.ctx.ip, &format!("operator:{username}"))
        .await?;
    let ops = Operators::new(c.ctx.web.state.store.clone());
    match ops.authenticate(&username, form.raw("password")).await {
        Ok(op) => {
            limiter.login_succeeded(&attempt).await;
            let required = Settings::new(c.ctx.web.state.store.clone())
                .get(OPERATOR_TOTP_REQUIRED)
                .await?;
            let stage = if op.totp_enabled {
                Stage::Code
            } else if required {
                Stage::Enrol
            } else {
                Stage::Ready
            };
            if stage != Stage::Code {
                ops.record_login(op.id, &c.ctx.ip.to_string()).await?;
            }
            c.log_in(op, stage).await?;
            Ok(redirect(match stage {
                Stage::Ready => "/operator",
                Stage::Code => "/operator/login/code",
                Stage::Enrol => "/operator/totp",
            }))
        }
        Err(e) if e.kind() == ErrorKind::Unauthorized => {
            let alert = c.ctx.tr.t("console-login-failed");
            login_page(c, StatusCode::UNAUTHORIZED, &username, Some(alert), None)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /operator/login/code`: the second-factor step.
#[handler]
pub(crate) async fn code_form(req: &Request, web: Data<&Web>) -> Response {
    let c = Console::load(req, &web).await;
    let r = match c.operator.as_ref().map(|o| o.stage) {
        Some(Stage::Code) => code_page(&c, StatusCode::OK, None),
        Some(_) => Ok(redirect("/operator")),
        None => Ok(redirect("/operator/login")),
    };
    c.finish(r)
}

fn code_page(c: &Console, status: StatusCode, alert: Option<String>) -> Result<Response, Fail> {
    c.render(
        status,
        "console/code.html",
        "console-code-title",
        context! { alert },
    )
}

/// `POST /operator/login/code`: `code` (of the app, or a recovery code).
#[handler]
pub(crate) async fn code_submit(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let mut c = Console::load(req, &web).await;
    let r = check_code(&mut c, body).await;
    c.finish(r)
}

async fn check_code(c: &mut Console, body: Body) -> Result<Response, Fail> {
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let Some(op) = c.operator.clone().filter(|o| o.stage == Stage::Code) else {
        return Ok(redirect("/operator/login"));
    };
    let limiter = c.ctx.web.limiter.clone();
    let attempt = limiter
        .login(c.ctx.ip, &format!("operator-code:{}", op.record.id))
        .await?;
    let ops = Operators::new(c.ctx.web.state.store.clone());
    if ops
        .check_second_factor(op.record.id, form.get("code"), c.now())
        .await?
    {
        limiter.login_succeeded(&attempt).await;
        ops.record_login(op.record.id, &c.ctx.ip.to_string())
            .await?;
        c.advance(Stage::Ready).await?;
        Ok(redirect("/operator"))
    } else {
        let alert = c.ctx.tr.t("console-code-failed");
        code_page(c, StatusCode::UNAUTHORIZED, Some(alert))
    }
}

/// `POST /operator/logout`.
#[handler]
pub(crate) async fn logout(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let mut c = Console::load(req, &web).await;
    let r = log_out(&mut c, body).await;
    c.finish(r)
}

async fn log_out(c: &mut Console, body: Body) -> Result<Response, Fail> {
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    c.log_out().await?;
    Ok(redirect("/operator/login"))
}
