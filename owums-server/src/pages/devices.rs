//! The devices section of the account page (MAC authentication, when an enabled method
//! offers it): the subscriber's registered devices, a form to add one and a button to
//! remove each.

use minijinja::{Value, context};
use owums_core::{Error, UserRecord};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use super::account::{Errors, not_ready, render};
use super::format;
use super::{Ctx, Fail, Form, Web};

/// The hidden field that marks a form as the devices form (so the profile form shows the
/// stored values meanwhile).
pub(crate) const MARK: &str = "device_form";

/// What the template's devices section shows; `None` when no method offers devices.
pub(crate) async fn section(
    ctx: &Ctx,
    user: &UserRecord,
    form: &Form,
) -> Result<Option<Value>, Fail> {
    let Some(devices) = &ctx.web.state.devices else {
        return Ok(None);
    };
    let list = devices.list(user.id).await?;
    let tz = ctx.web.tz;
    let max = devices.policy().max_devices;
    let items: Vec<Value> = list
        .iter()
        .map(|d| {
            context! {
                mac => d.mac.to_string(),
                label => d.label.clone(),
                added => Value::from(format::time(d.created_at, tz)),
            }
        })
        .collect();
    let posted = !form.get(MARK).is_empty();
    let shown = |name: &str| if posted { form.get(name) } else { "" }.to_owned();
    Ok(Some(context! {
        list => items,
        full => list.len() >= usize::try_from(max).unwrap_or(usize::MAX),
        limit => ctx.tr.t_with("account-devices-limit", (("max", i64::from(max)),)),
        mac => shown("mac"),
        label => shown("label"),
    }))
}

/// `POST /account/devices`: registers the device `mac` labelled `label`.
#[handler]
pub(crate) async fn add(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = change(&mut ctx, body, false).await;
    ctx.finish(r)
}

/// `POST /account/devices/remove`: removes the device `mac`.
#[handler]
pub(crate) async fn remove(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = change(&mut ctx, body, true).await;
    ctx.finish(r)
}

async fn change(ctx: &mut Ctx, body: Body, removing: bool) -> Result<Response, Fail> {
    let form = Form::read(body, ctx.web.config.max_form_bytes).await?;
    ctx.check_csrf(&form)?;
    let user = ctx.require_user()?;
    if let Some(r) = not_ready(ctx, &user) {
        return r;
    }
    let Some(devices) = ctx.web.state.devices.clone() else {
        return Err(Fail::Status(StatusCode::NOT_FOUND, "error-not-found"));
    };
    let done = if removing {
        devices.remove(user.id, form.get("mac")).await.map(|_| ())
    } else {
        devices
            .add(user.id, form.get("mac"), form.get("label"), None)
            .await
            .map(|_| ())
    };
    let notice = if removing {
        "account-device-removed"
    } else {
        "account-device-added"
    };
    match done {
        Ok(()) => {
            render(
                ctx,
                &user,
                "",
                StatusCode::OK,
                &Form::default(),
                &Errors::new(),
                Some(notice),
            )
            .await
        }
        Err(e @ (Error::Invalid { .. } | Error::NotFound { .. })) => {
            let answer = crate::error::answer(&ctx.tr, &e);
            let (status, field) = match e {
                Error::NotFound { .. } => (StatusCode::NOT_FOUND, "mac"),
                _ => (answer.status, answer.field.unwrap_or("mac")),
            };
            let mut errors = Errors::new();
            let key = if removing { "device_remove" } else { field };
            errors.insert(key, answer.message);
            render(ctx, &user, "", status, &form, &errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}
