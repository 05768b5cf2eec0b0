//! Password recovery by phone (OWUMS §3.2): give the account's mobile number, call one of the
//! numbers shown from it, then choose a new password once. The recovery ticket stays in the
//! server-side session; the page polls `/account/reset/phone/status.json` (or is refreshed).

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::context;
use owums_core::subscriber::{PhoneRecovery, RecoveryStatus, RecoveryTicket};
use owums_core::{Challenge, Error, PhoneNumber, RegistrationField, Verifier};
use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{Body, IntoResponse, Request, Response, handler};
use serde_json::json;

use super::context::redirect;
use super::signup::{check_new_password, country_code, mobile_hint};
use super::verification::shown_numbers;
use super::{Ctx, Fail, Form, Web};
use crate::ratelimit::{Action, Subject};

type Errors = BTreeMap<&'static str, String>;

/// Session-data key of the recovery under way: `{ticket, numbers, from}`.
const RECOVERY: &str = "phone_recovery";

/// Where the waiting page and the new-password form live.
const WAIT: &str = "/account/reset/phone/wait";

/// The phone method recovery calls through: the enabled `sip` verifier, else the first
/// self-service method that asks for a mobile number.
pub(crate) fn phone_method(web: &Web) -> Option<Arc<dyn Verifier>> {
    let verifiers = &web.state.verifiers;
    verifiers
        .iter()
        .find(|v| v.id() == "sip")
        .cloned()
        .or_else(|| {
            verifiers
                .iter()
                .find(|v| {
                    v.self_service() && v.required_fields().contains(&RegistrationField::Mobile)
                })
                .cloned()
        })
}

fn unavailable(ctx: &Ctx) -> Result<Response, Fail> {
    ctx.message(
        StatusCode::NOT_FOUND,
        "reset-phone-title",
        "reset-phone-unavailable",
        Some(("/account/reset", "reset-title")),
    )
}

/// `GET /account/reset/phone`.
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
    let Some(verifier) = phone_method(&ctx.web) else {
        return unavailable(ctx);
    };
    let hint = mobile_hint(ctx, country_code(&ctx.web, Some(&verifier)).as_deref());
    ctx.render(
        status,
        "reset_phone.html",
        "reset-phone-title",
        context! {
            form => context! { mobile => typed },
            errors => super::templates::map(errors),
            mobile_hint => hint,
        },
    )
}

/// `POST /account/reset/phone`: `mobile`.
#[handler]
pub(crate) async fn request(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = ask(&mut ctx, body).await;
    ctx.finish(r)
}

async fn ask(ctx: &mut Ctx, body: Body) -> Result<Response, Fail> {
    let form = Form::read(body, ctx.web.config.max_form_bytes).await?;
    ctx.check_csrf(&form)?;
    let Some(verifier) = phone_method(&ctx.web) else {
        return unavailable(ctx);
    };
    let typed = form.get("mobile").to_owned();
    let cc = country_code(&ctx.web, Some(&verifier));
    let mobile = match typed.as_str() {
        "" => Err("err-required"),
        t => PhoneNumber::parse_with_country(t, cc.as_deref()).map_err(|_| "err-mobile"),
    };
    let mobile = match mobile {
        Ok(m) => m,
        Err(id) => {
            let mut errors = Errors::new();
            errors.insert("mobile", ctx.tr.t(id));
            return show(ctx, StatusCode::UNPROCESSABLE_ENTITY, &typed, &errors).await;
        }
    };
    let account = ctx
        .web
        .state
        .subscribers
        .mobile_account_key(&mobile)
        .await?;
    ctx.web
        .limiter
        .attempt(
            Action::Reset,
            &[Subject::Ip(ctx.ip), Subject::Account(account)],
        )
        .await?;
    let recovery = PhoneRecovery::new(ctx.web.state.subscribers.clone());
    // answered before the pending recovery is written: a subscriber's number and a number
    // nobody has cost the same
    let asked = match recovery.request_later(&mobile, verifier.as_ref()).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "password recovery by phone did not start");
            return ctx.message(
                StatusCode::SERVICE_UNAVAILABLE,
                "reset-phone-title",
                "verify-start-failed",
                None,
            );
        }
    };
    let (numbers, from) = match asked.challenge {
        Challenge::CallNumber { numbers, from, .. } => (numbers, from),
        _ => (Vec::new(), None),
    };
    let mut data = ctx.data();
    data[RECOVERY] = json!({
        "ticket": asked.ticket.to_string(),
        "numbers": numbers,
        "from": from,
    });
    ctx.set_data(data).await?;
    Ok(redirect(WAIT))
}

/// The recovery under way in this session and where it stands.
async fn current(ctx: &Ctx) -> Result<Option<(serde_json::Value, RecoveryStatus)>, Fail> {
    let data = ctx.data();
    let Some(saved) = data.get(RECOVERY).cloned() else {
        return Ok(None);
    };
    let Some(Ok(ticket)) = saved["ticket"].as_str().map(str::parse::<RecoveryTicket>) else {
        return Ok(None);
    };
    let recovery = PhoneRecovery::new(ctx.web.state.subscribers.clone());
    let status = recovery.status(&ticket).await?;
    Ok(Some((saved, status)))
}

fn gone(ctx: &Ctx, message: &str) -> Result<Response, Fail> {
    ctx.message(
        StatusCode::GONE,
        "reset-phone-title",
        message,
        Some(("/account/reset/phone", "reset-phone-again")),
    )
}

/// `GET /account/reset/phone/wait`: the numbers to call while pending, the new-password form
/// once the call came, or why the recovery is over.
#[handler]
pub(crate) async fn wait(req: &Request, web: Data<&Web>) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = show_wait(&mut ctx).await;
    ctx.finish(r)
}

async fn show_wait(ctx: &mut Ctx) -> Result<Response, Fail> {
    match current(ctx).await? {
        None => gone(ctx, "reset-phone-none"),
        Some((_, RecoveryStatus::Expired)) => gone(ctx, "reset-phone-expired"),
        Some((_, RecoveryStatus::Proven { .. })) => render_new(ctx, StatusCode::OK, &Errors::new()),
        Some((saved, RecoveryStatus::Pending { expires_in_seconds })) => {
            let numbers: Vec<String> = saved["numbers"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|n| n.as_str())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let method = phone_method(&ctx.web);
            let cc = country_code(&ctx.web, method.as_ref());
            let (numbers, from) = shown_numbers(&numbers, saved["from"].as_str(), cc.as_deref());
            // the method's own line about the call (`<id>-reset-note`), when it has one
            let note = method
                .map(|m| format!("{}-reset-note", m.id()))
                .filter(|id| ctx.tr.has(id))
                .map(|id| ctx.tr.t(&id));
            ctx.render(
                StatusCode::OK,
                "reset_phone_wait.html",
                "reset-phone-title",
                context! { numbers, from, note, remaining => mm_ss(expires_in_seconds) },
            )
        }
    }
}

fn render_new(ctx: &Ctx, status: StatusCode, errors: &Errors) -> Result<Response, Fail> {
    ctx.render(
        status,
        "reset_phone_password.html",
        "reset-new-title",
        context! { errors => super::templates::map(errors) },
    )
}

/// `POST /account/reset/phone/wait`: `password`, `password_confirmation`, once.
#[handler]
pub(crate) async fn save(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = save_new(&mut ctx, body).await;
    ctx.finish(r)
}

async fn save_new(ctx: &mut Ctx, body: Body) -> Result<Response, Fail> {
    let form = Form::read(body, ctx.web.config.max_form_bytes).await?;
    ctx.check_csrf(&form)?;
    ctx.web
        .limiter
        .attempt(Action::Reset, &[Subject::Ip(ctx.ip)])
        .await?;
    let token = match current(ctx).await? {
        None => return gone(ctx, "reset-phone-none"),
        Some((_, RecoveryStatus::Proven { token, .. })) => token,
        Some(_) => return gone(ctx, "reset-phone-expired"),
    };
    let personal = super::signup::personal_data(&ctx.web, token.user()).await?;
    let mut errors = Errors::new();
    check_new_password(ctx, &form, &personal, &mut errors);
    if !errors.is_empty() {
        return render_new(ctx, StatusCode::UNPROCESSABLE_ENTITY, &errors);
    }
    let recovery = PhoneRecovery::new(ctx.web.state.subscribers.clone());
    match recovery.reset_password(&token, form.raw("password")).await {
        Ok(_) => {
            let mut data = ctx.data();
            if let Some(d) = data.as_object_mut() {
                d.remove(RECOVERY);
            }
            ctx.set_data(data).await?;
            let owner = ctx.web.state.store.find_user(token.user()).await?;
            if let Some(owner) = owner
                && let Some(online) = super::portal::online_after_reset(
                    ctx,
                    owner.username.as_str(),
                    form.raw("password"),
                )
                .await
            {
                // reset on a captive portal: the device goes online with the new password
                return online;
            }
            ctx.message(
                StatusCode::OK,
                "reset-new-title",
                "reset-done",
                Some(("/account/login", "nav-login")),
            )
        }
        Err(Error::Unauthorized) => gone(ctx, "reset-phone-expired"),
        Err(e) => Err(e.into()),
    }
}

/// `GET /account/reset/phone/status.json`: `{"status": "pending" | "proven" | "expired" |
/// "none", "remaining_time": "MM:SS" | 0}`.
#[handler]
pub(crate) async fn poll_status(req: &Request, web: Data<&Web>) -> Response {
    let ctx = Ctx::load(req, &web).await;
    let r = match current(&ctx).await {
        Ok(now) => {
            let (status, left) = match now {
                None => ("none", None),
                Some((_, RecoveryStatus::Pending { expires_in_seconds })) => {
                    ("pending", Some(expires_in_seconds))
                }
                Some((_, RecoveryStatus::Proven { .. })) => ("proven", None),
                Some((_, RecoveryStatus::Expired)) => ("expired", None),
            };
            let remaining = left.map_or(json!(0), |s| json!(mm_ss(s)));
            Ok(Json(json!({ "status": status, "remaining_time": remaining })).into_response())
        }
        Err(f) => Err(f),
    };
    ctx.finish(r)
}

/// `MM:SS`.
fn mm_ss(seconds: u64) -> String {
    format!("{:02}:{:02}", seconds / 60, seconds % 60)
}
