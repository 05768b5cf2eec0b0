//! The account page: profile (e-mail, address and password editable), connections, 14-day
//! charts, and "disable my account".

use std::collections::BTreeMap;

use chrono::Utc;
use minijinja::{Value, context};
use owums_core::subscriber::{
    PasswordChange, PersonalData, ProfileUpdate, SessionQuery, SessionSort, TextField, clean_text,
};
use owums_core::{Email, Error, UserRecord, UserStatus};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use super::charts::{UsageCharts, usage_charts};
use super::context::redirect;
use super::format::{self, bytes, duration, epoch};
use super::signup::{check_new_password, method_label};
use super::{Ctx, Fail, Form, Web};

pub(super) type Errors = BTreeMap<&'static str, String>;

/// `GET /account` (`?sort=start|stop|upload|download&dir=asc|desc&page=N`).
#[handler]
pub(crate) async fn show(req: &Request, web: Data<&Web>) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let query = req.uri().query().unwrap_or_default().to_owned();
    let r = page(&mut ctx, &query).await;
    ctx.finish(r)
}

fn param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k == name).then_some(v)
    })
}

/// Where an account that is not verified belongs instead of the account page.
pub(super) fn not_ready(ctx: &Ctx, user: &UserRecord) -> Option<Result<Response, Fail>> {
    if user.status() == UserStatus::Verified {
        return None;
    }
    if ctx.self_service(&user.verification_method) {
        return Some(Ok(redirect("/account/verification")));
    }
    Some(ctx.message(
        StatusCode::FORBIDDEN,
        "account-title",
        "account-no-verification",
        None,
    ))
}

async fn page(ctx: &mut Ctx, query: &str) -> Result<Response, Fail> {
    let user = ctx.require_user()?;
    if let Some(r) = not_ready(ctx, &user) {
        return r;
    }
    if super::portal::pending::waiting(ctx)
        && let Some(arrival) = super::portal::arrived(ctx)
    {
        // verified just now, through a captive portal: go online first
        return Ok(redirect(&format!("/portal/{}/online", arrival.portal)));
    }
    let form = Form::parse(b"").unwrap_or_default();
    render(
        ctx,
        &user,
        query,
        StatusCode::OK,
        &form,
        &Errors::new(),
        None,
    )
    .await
}

pub(super) async fn render(
    ctx: &Ctx,
    user: &UserRecord,
    query: &str,
    status: StatusCode,
    form: &Form,
    errors: &Errors,
    notice: Option<&str>,
) -> Result<Response, Fail> {
    let (sort, sort_name) = match param(query, "sort") {
        Some("stop") => (SessionSort::Stop, "stop"),
        Some("upload") => (SessionSort::Upload, "upload"),
        Some("download") => (SessionSort::Download, "download"),
        _ => (SessionSort::Start, "start"),
    };
    let descending = param(query, "dir") != Some("asc");
    let page_no = param(query, "page")
        .and_then(|p| p.parse::<u32>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let subscribers = &ctx.web.state.subscribers;
    let q = SessionQuery {
        sort,
        descending,
        page: page_no,
        per_page: None,
    };
    let list = subscribers.sessions(&user.username, q).await?;
    let tz = ctx.web.tz;
    let lang = ctx.tr.lang();
    let sessions: Vec<Value> = list
        .sessions
        .iter()
        .map(|s| {
            context! {
                start => epoch(s.acctstarttime, tz).map(Value::from),
                stop => epoch(s.acctstoptime, tz).map(Value::from),
                duration => duration(s.acctsessiontime.unwrap_or(0)),
                upload => bytes(s.acctinputoctets.unwrap_or(0), lang),
                download => bytes(s.acctoutputoctets.unwrap_or(0), lang),
                ip => s.framedipaddress.clone(),
            }
        })
        .collect();
    let dir = if descending { "desc" } else { "asc" };
    let columns: Vec<Value> = [
        ("col-start", Some("start")),
        ("col-stop", Some("stop")),
        ("col-duration", None),
        ("col-upload", Some("upload")),
        ("col-download", Some("download")),
        ("col-ip", None),
    ]
    .into_iter()
    .map(|(label, key)| {
        let current = key == Some(sort_name);
        context! {
            label => ctx.tr.t(label),
            sort => key,
            current,
            next_dir => if current && descending { "asc" } else { "desc" },
            aria => if descending { "descending" } else { "ascending" },
            arrow => if descending { "▼" } else { "▲" },
        }
    })
    .collect();
    let pages = list.pages();
    let usage = subscribers
        .usage(&user.username, Utc::now().with_timezone(&tz).fixed_offset())
        .await?;
    let UsageCharts {
        traffic_title,
        traffic_chart,
        time_chart,
    } = usage_charts(&ctx.tr, &usage);
    let field = |name: &str, stored: &str| -> String {
        if form.get("csrf_token").is_empty() || !form.get(super::devices::MARK).is_empty() {
            stored.to_owned()
        } else {
            form.get(name).to_owned()
        }
    };
    let devices = super::devices::section(ctx, user, form).await?;
    let values = context! {
        user => context! {
            username => user.username.as_str(),
            given_name => user.given_name.clone(),
            surname => user.surname.clone(),
            method => method_label(ctx, &user.verification_method),
            status => ctx.tr.t(&format!("status-{}", user.status().as_str())),
            created_at => Value::from(format::time(user.created_at, tz)),
            verified_at => user.verified_at.map(|t| Value::from(format::time(t, tz))),
            mobile => user.mobile.as_ref().map(|m| Value::from(format::shown_phone(m.as_str(), None))),
        },
        form => context! {
            email => field("email", user.email.as_ref().map_or("", |e| e.as_str())),
            address => field("address", &user.address),
            city => field("city", &user.city),
            zip => field("zip", &user.zip),
            country => field("country", &user.country),
        },
        errors => super::templates::map(errors),
        notice => notice.map(|n| ctx.tr.t(n)),
        sessions,
        columns,
        sort => sort_name,
        dir,
        page => list.page,
        pages,
        prev_page => (list.page > 1).then(|| list.page - 1),
        next_page => (u64::from(list.page) < pages).then(|| list.page + 1),
        traffic_title,
        traffic_chart,
        time_chart,
        zone => tz.name(),
        devices,
    };
    ctx.render(status, "account.html", "account-title", values)
}

/// `POST /account`: e-mail, address fields and (with the current one) the password.
#[handler]
pub(crate) async fn update(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = save(&mut ctx, body).await;
    ctx.finish(r)
}

async fn save(ctx: &mut Ctx, body: Body) -> Result<Response, Fail> {
    let form = Form::read(body, ctx.web.config.max_form_bytes).await?;
    ctx.check_csrf(&form)?;
    let user = ctx.require_user()?;
    if let Some(r) = not_ready(ctx, &user) {
        return r;
    }
    let mut errors = Errors::new();
    let mut change = ProfileUpdate::default();
    match Email::try_new(form.get("email")) {
        Ok(e) => change.email = Some(e),
        Err(_) if form.get("email").is_empty() => {
            errors.insert("email", ctx.tr.t("err-required"));
        }
        Err(_) => {
            errors.insert("email", ctx.tr.t("err-email"));
        }
    }
    // The core checks these again on save; checked here too so that every mistake of the
    // form is shown at once.
    for field in [
        TextField::Address,
        TextField::City,
        TextField::Zip,
        TextField::Country,
    ] {
        if let Err(e) = clean_text(field, form.get(field.name()), false) {
            errors.insert(field.name(), crate::error::field_message(&ctx.tr, &e));
        }
    }
    change.address = Some(form.get("address").to_owned());
    change.city = Some(form.get("city").to_owned());
    change.zip = Some(form.get("zip").to_owned());
    change.country = Some(form.get("country").to_owned());
    if !form.raw("password").is_empty() || !form.raw("current_password").is_empty() {
        let mut personal = PersonalData::of_user(&user);
        if let Some(email) = &change.email {
            personal = personal.and(PersonalData::new([email.as_str()]));
        }
        check_new_password(ctx, &form, &personal, &mut errors);
        if form.raw("current_password").is_empty() {
            errors.insert("current_password", ctx.tr.t("err-required"));
        }
        change.password = Some(PasswordChange {
            current: form.raw("current_password").to_owned(),
            new: form.raw("password").to_owned(),
        });
    }
    if errors.is_empty() {
        let subscribers = ctx.web.state.subscribers.clone();
        match subscribers
            .update_profile(user.id, change, ctx.token.as_deref())
            .await
        {
            Ok(updated) => {
                ctx.user = Some(updated.clone());
                let form = Form::default();
                return render(
                    ctx,
                    &updated,
                    "",
                    StatusCode::OK,
                    &form,
                    &errors,
                    Some("account-saved"),
                )
                .await;
            }
            Err(Error::Conflict { .. }) => {
                errors.insert("email", ctx.tr.t("err-taken-email"));
            }
            Err(e @ (Error::Fields(_) | Error::Invalid { .. })) => {
                let answer = crate::error::answer(&ctx.tr, &e);
                if answer.fields.is_empty() {
                    errors.insert(answer.field.unwrap_or("email"), answer.message);
                }
                for (field, message) in answer.fields {
                    errors.insert(field, message);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    render(
        ctx,
        &user,
        "",
        StatusCode::UNPROCESSABLE_ENTITY,
        &form,
        &errors,
        None,
    )
    .await
}

/// `POST /account/disable` with `confirm` ticked: the user becomes disabled (verifying again
/// re-enables) and is logged out.
#[handler]
pub(crate) async fn disable(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = disable_account(&mut ctx, body).await;
    ctx.finish(r)
}

async fn disable_account(ctx: &mut Ctx, body: Body) -> Result<Response, Fail> {
    let form = Form::read(body, ctx.web.config.max_form_bytes).await?;
    ctx.check_csrf(&form)?;
    let user = ctx.require_user()?;
    if let Some(r) = not_ready(ctx, &user) {
        return r;
    }
    if !form.checked("confirm") {
        let mut errors = Errors::new();
        errors.insert("confirm", ctx.tr.t("err-confirm-disable"));
        return render(
            ctx,
            &user,
            "",
            StatusCode::UNPROCESSABLE_ENTITY,
            &Form::default(),
            &errors,
            None,
        )
        .await;
    }
    ctx.web.state.subscribers.disable(user.id).await?;
    ctx.log_out().await?;
    ctx.message(
        StatusCode::OK,
        "account-disabled-title",
        "account-disabled-message",
        Some(("/account/login", "nav-login")),
    )
}
