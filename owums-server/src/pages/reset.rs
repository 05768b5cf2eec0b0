//! Password recovery by e-mail: ask for a link (same answer whether or not the account
//! exists), then choose a new password through the link (once, for a short time).

use std::collections::BTreeMap;

use minijinja::context;
use owums_core::subscriber::ResetLinkError;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::signup::check_new_password;
use super::{Ctx, Fail, Form, Web};
use crate::ratelimit::{Action, Subject};

type Errors = BTreeMap<&'static str, String>;

/// `GET /account/reset`.
#[handler]
pub(crate) async fn show_form(req: &Request, web: Data<&Web>) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = show(&mut ctx, StatusCode::OK, "", &Errors::new()).await;
    ctx.finish(r)
}

async fn show(
    ctx: &mut Ctx,
    status: StatusCode,
    typed: &str,
    errors: &Errors,
) -> Result<Response, Fail> {
    ctx.render(
        status,
        "reset_request.html",
        "reset-title",
        context! {
            form => context! { username_or_email => typed },
            errors => super::templates::map(errors),
            phone_recovery => super::phone_reset::phone_method(&ctx.web).is_some(),
        },
    )
}

/// `POST /account/reset`: `username_or_email`.
#[handler]
pub(crate) async fn request(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = ask(&mut ctx, body).await;
    ctx.finish(r)
}

async fn ask(ctx: &mut Ctx, body: Body) -> Result<Response, Fail> {
    let form = Form::read(body, ctx.web.config.max_form_bytes).await?;
    ctx.check_csrf(&form)?;
    let typed = form.get("username_or_email").to_owned();
    if typed.is_empty() {
        let mut errors = Errors::new();
        errors.insert("username_or_email", ctx.tr.t("err-required"));
        return show(ctx, StatusCode::UNPROCESSABLE_ENTITY, &typed, &errors).await;
    }
    if let Err(e) = owums_core::subscriber::check_text(
        "username_or_email",
        &typed,
        owums_core::subscriber::MAX_EMAIL_LEN,
        true,
    ) {
        let mut errors = Errors::new();
        errors.insert(
            "username_or_email",
            crate::error::field_message(&ctx.tr, &e),
        );
        return show(ctx, StatusCode::UNPROCESSABLE_ENTITY, &typed, &errors).await;
    }
    // the same work whether or not the account exists: one lookup for the limit, and the
    // link and its mail made on a task of their own
    let subscribers = ctx.web.state.subscribers.clone();
    let account = subscribers.account_key(&typed).await?;
    ctx.web
        .limiter
        .attempt(
            Action::Reset,
            &[Subject::Ip(ctx.ip), Subject::Account(account)],
        )
        .await?;
    subscribers.request_password_reset_later(&typed, Some(ctx.tr.lang()))?;
    ctx.message(StatusCode::OK, "reset-title", "reset-sent", None)
}

fn link_problem(ctx: &Ctx, e: &owums_core::Error) -> Option<Result<Response, Fail>> {
    let id = match ResetLinkError::of(e)? {
        ResetLinkError::Unknown => "reset-invalid-link",
        ResetLinkError::Expired => "reset-expired-link",
        ResetLinkError::Used => "reset-used-link",
    };
    Some(ctx.message(
        StatusCode::GONE,
        "reset-new-title",
        id,
        Some(("/account/reset", "reset-title")),
    ))
}

/// `GET /account/reset/<token>`: the new-password form, or why the link does not work.
#[handler]
pub(crate) async fn new_password_form(
    req: &Request,
    web: Data<&Web>,
    Path(token): Path<String>,
) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = show_new(&mut ctx, &token).await;
    ctx.finish(r)
}

async fn show_new(ctx: &mut Ctx, token: &str) -> Result<Response, Fail> {
    if let Err(e) = ctx.web.state.subscribers.check_reset_token(token).await {
        return link_problem(ctx, &e).unwrap_or(Err(e.into()));
    }
    render_new(ctx, StatusCode::OK, token, &Errors::new()).await
}

async fn render_new(
    ctx: &mut Ctx,
    status: StatusCode,
    token: &str,
    errors: &Errors,
) -> Result<Response, Fail> {
    ctx.render(
        status,
        "reset_form.html",
        "reset-new-title",
        context! { token, errors => super::templates::map(errors) },
    )
}

/// `POST /account/reset/<token>`: `password`, `password_confirmation`.
#[handler]
pub(crate) async fn new_password(
    req: &Request,
    web: Data<&Web>,
    Path(token): Path<String>,
    body: Body,
) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = save_new(&mut ctx, &token, body).await;
    ctx.finish(r)
}

async fn save_new(ctx: &mut Ctx, token: &str, body: Body) -> Result<Response, Fail> {
    let form = Form::read(body, ctx.web.config.max_form_bytes).await?;
    ctx.check_csrf(&form)?;
    ctx.web
        .limiter
        .attempt(Action::Reset, &[Subject::Ip(ctx.ip)])
        .await?;
    let subscribers = ctx.web.state.subscribers.clone();
    let owner = match subscribers.check_reset_token(token).await {
        Ok(id) => id,
        Err(e) => return link_problem(ctx, &e).unwrap_or(Err(e.into())),
    };
    let personal = super::signup::personal_data(&ctx.web, owner).await?;
    let mut errors = Errors::new();
    check_new_password(ctx, &form, &personal, &mut errors);
    if !errors.is_empty() {
        return render_new(ctx, StatusCode::UNPROCESSABLE_ENTITY, token, &errors).await;
    }
    match subscribers
        .reset_password(token, form.raw("password"))
        .await
    {
        Ok(_) => ctx.message(
            StatusCode::OK,
            "reset-new-title",
            "reset-done",
            Some(("/account/login", "nav-login")),
        ),
        Err(e) => link_problem(ctx, &e).unwrap_or(Err(e.into())),
    }
}
