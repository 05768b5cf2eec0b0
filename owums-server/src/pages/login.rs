//! Login and logout.

use minijinja::context;
use owums_core::ErrorKind;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use super::context::redirect;
use super::{Ctx, Fail, Form, Web};

/// `GET /account/login`.
#[handler]
pub(crate) async fn show_form(req: &Request, web: Data<&Web>) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = show(&mut ctx).await;
    ctx.finish(r)
}

async fn show(ctx: &mut Ctx) -> Result<Response, Fail> {
    if ctx.user.is_some() {
        return Ok(redirect("/account"));
    }
    ctx.render(
        StatusCode::OK,
        "login.html",
        "login-title",
        context! { form => context! { username => "" }, errors => context! {} },
    )
}

/// `POST /account/login`: `username` (any case), `password`.
#[handler]
pub(crate) async fn submit(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = log_in(&mut ctx, body).await;
    ctx.finish(r)
}

async fn log_in(ctx: &mut Ctx, body: Body) -> Result<Response, Fail> {
    let form = Form::read(body, ctx.web.config.max_form_bytes).await?;
    ctx.check_csrf(&form)?;
    let username = form.get("username").to_lowercase();
    let subscribers = ctx.web.state.subscribers.clone();
    let account = subscribers.login_account(&username).await?;
    let attempt = ctx.web.limiter.login(ctx.ip, account.key()).await?;
    match subscribers
        .authenticate_account(account, form.raw("password"))
        .await
    {
        Ok(user) => {
            ctx.web.limiter.login_succeeded(&attempt).await;
            ctx.log_in(user).await?;
            Ok(redirect("/account"))
        }
        Err(e) if e.kind() == ErrorKind::Unauthorized => ctx.render(
            StatusCode::UNAUTHORIZED,
            "login.html",
            "login-title",
            context! {
                form => context! { username },
                errors => context! {},
                alert => ctx.tr.t("login-failed"),
            },
        ),
        Err(e) => Err(e.into()),
    }
}

/// `GET /account/logout`: a button (logging out changes state, so it is a POST).
#[handler]
pub(crate) async fn logout_form(req: &Request, web: Data<&Web>) -> Response {
    let ctx = Ctx::load(req, &web).await;
    let r = if ctx.user.is_some() {
        ctx.render(StatusCode::OK, "logout.html", "logout-title", context! {})
    } else {
        Ok(redirect("/"))
    };
    ctx.finish(r)
}

/// `POST /account/logout`: deletes the session.
#[handler]
pub(crate) async fn logout(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = log_out(&mut ctx, body).await;
    ctx.finish(r)
}

async fn log_out(ctx: &mut Ctx, body: Body) -> Result<Response, Fail> {
    let form = Form::read(body, ctx.web.config.max_form_bytes).await?;
    ctx.check_csrf(&form)?;
    ctx.log_out().await?;
    Ok(redirect("/"))
}
