//! `/operator/operators` (operators_manager): list, create, permissions, password and
//! second-factor resets, disable/enable, notes. `/operator/password`: any operator's own
//! password. Every change is written to the audit log.

use minijinja::{Value, context};
use owums_core::operator::{
    AuditTarget, Changes, OperatorRecord, Operators, Permission, Permissions, Preset,
    generate_password,
};
use owums_core::subscriber::WebSessions;
use owums_core::{Error, ErrorKind};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::Console;
use crate::pages::context::redirect;
use crate::pages::{Fail, Form, NOT_FOUND, Web};

fn ops(c: &Console) -> Operators {
    Operators::new(c.ctx.web.state.store.clone())
}

/// The permissions as checkboxes: name, description id and whether `held` has it.
fn checkboxes(held: &Permissions) -> Vec<Value> {
    Permission::ALL
        .iter()
        .map(|p| context! { name => p.as_str(), checked => held.allows(*p) })
        .collect()
}

/// The permissions ticked in `form` (`perm_<name>`).
fn ticked(form: &Form) -> Permissions {
    Permission::ALL
        .iter()
        .copied()
        .filter(|p| form.checked(&format!("perm_{}", p.as_str())))
        .collect()
}

fn row(op: &OperatorRecord) -> Value {
    context! {
        id => op.id.to_string(),
        username => op.username.clone(),
        active => op.active,
        totp => op.totp_enabled,
        logins => op.login_count,
        permissions => op.permissions.iter().count(),
        notes => op.notes.clone(),
    }
}

/// `GET /operator/operators`.
#[handler]
pub(crate) async fn list(req: &Request, web: Data<&Web>) -> Response {
    let c = Console::load(req, &web).await;
    let r = list_page(&c, StatusCode::OK, None, None).await;
    c.finish(r)
}

async fn list_page(
    c: &Console,
    status: StatusCode,
    alert: Option<String>,
    username: Option<&str>,
) -> Result<Response, Fail> {
    c.require(Permission::OperatorsManager)?;
    let all: Vec<Value> = ops(c).list().await?.iter().map(row).collect();
    let presets: Vec<&str> = Preset::ALL.iter().map(|p| p.as_str()).collect();
    c.render(
        status,
        "console/operators.html",
        "console-operators-title",
        context! {
            operators => all,
            presets,
            permissions => checkboxes(&Permissions::none()),
            username => username.unwrap_or(""),
            alert,
        },
    )
}

/// `POST /operator/operators`: `username`, `preset`, `perm_*` added to the preset's.
#[handler]
pub(crate) async fn create(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let c = Console::load(req, &web).await;
    let r = do_create(&c, body).await;
    c.finish(r)
}

async fn do_create(c: &Console, body: Body) -> Result<Response, Fail> {
    c.require(Permission::OperatorsManager)?;
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let username = form.get("username").to_lowercase();
    let mut set = match form.get("preset").parse::<Preset>() {
        Ok(p) => p.permissions(),
        Err(_) => Permissions::none(),
    };
    for p in ticked(&form).iter() {
        set.insert(p);
    }
    let password = generate_password();
    match ops(c).create(&username, &password, set).await {
        Ok((op, changes)) => {
            c.audit("operator.create", Some(AuditTarget::operator(&op)), changes)
                .await?;
            shown_once(c, &op, &password)
        }
        Err(e) if matches!(e.kind(), ErrorKind::Invalid | ErrorKind::Conflict) => {
            let alert = crate::error::answer(&c.ctx.tr, &e).message;
            list_page(
                c,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(alert),
                Some(&username),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The page that shows a generated password, once.
fn shown_once(c: &Console, op: &OperatorRecord, password: &str) -> Result<Response, Fail> {
    c.render(
        StatusCode::OK,
        "console/password_shown.html",
        "console-password-shown-title",
        context! { id => op.id.to_string(), username => op.username.clone(), password },
    )
}

async fn target(c: &Console, id: &str) -> Result<OperatorRecord, Fail> {
    let id = id.parse().map_err(|_| NOT_FOUND)?;
    ops(c).find(id).await?.ok_or(NOT_FOUND)
}

/// `GET /operator/operators/:id`.
#[handler]
pub(crate) async fn show(req: &Request, web: Data<&Web>, id: Path<String>) -> Response {
    let c = Console::load(req, &web).await;
    let r = show_page(&c, &id, StatusCode::OK, None, None).await;
    c.finish(r)
}

async fn show_page(
    c: &Console,
    id: &str,
    status: StatusCode,
    notice: Option<String>,
    alert: Option<String>,
) -> Result<Response, Fail> {
    c.require(Permission::OperatorsManager)?;
    let op = target(c, id).await?;
    c.render(
        status,
        "console/operator.html",
        "console-operator-title",
        context! {
            op => row(&op),
            permissions => checkboxes(&op.permissions),
            notice,
            alert,
        },
    )
}

/// `POST /operator/operators/:id/:action`: `permissions` (`perm_*`), `password` (reset to
/// a generated one), `totp` (reset), `active` (`active` = 1 or absent), `notes`.
#[handler]
pub(crate) async fn change(
    req: &Request,
    web: Data<&Web>,
    Path((id, action)): Path<(String, String)>,
    body: Body,
) -> Response {
    let c = Console::load(req, &web).await;
    let r = do_change(&c, &id, &action, body).await;
    c.finish(r)
}

async fn do_change(c: &Console, id: &str, action: &str, body: Body) -> Result<Response, Fail> {
    let me = c.require(Permission::OperatorsManager)?.record.id;
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let op = target(c, id).await?;
    let ops = ops(c);
    let lockout = Some(c.ctx.tr.t("console-operators-self"));
    let (name, changes): (&str, Changes) = match action {
        "permissions" => {
            let set = ticked(&form);
            if op.id == me && !set.allows(Permission::OperatorsManager) {
                return show_page(c, id, StatusCode::UNPROCESSABLE_ENTITY, None, lockout).await;
            }
            (
                "operator.permissions",
                ops.set_permissions(op.id, set).await?,
            )
        }
        "password" => {
            let password = generate_password();
            let changes = ops.set_password(op.id, &password).await?;
            end_sessions(c, &op).await?;
            c.audit(
                "operator.password_reset",
                Some(AuditTarget::operator(&op)),
                changes,
            )
            .await?;
            return shown_once(c, &op, &password);
        }
        "totp" => ("operator.totp_reset", ops.reset_totp(op.id).await?),
        "active" => {
            let active = form.checked("active");
            if op.id == me && !active {
                return show_page(c, id, StatusCode::UNPROCESSABLE_ENTITY, None, lockout).await;
            }
            let name = if active {
                "operator.enable"
            } else {
                "operator.disable"
            };
            (name, ops.set_active(op.id, active).await?)
        }
        "notes" => match ops.set_notes(op.id, Some(form.get("notes"))).await {
            Ok(changes) => ("operator.notes", changes),
            Err(e) if e.kind() == ErrorKind::Invalid => {
                let alert = crate::error::answer(&c.ctx.tr, &e).message;
                return show_page(c, id, StatusCode::UNPROCESSABLE_ENTITY, None, Some(alert)).await;
            }
            Err(e) => return Err(e.into()),
        },
        _ => return Err(NOT_FOUND),
    };
    if !changes.is_empty() {
        c.audit(name, Some(AuditTarget::operator(&op)), changes)
            .await?;
    }
    Ok(redirect(&format!("/operator/operators/{}", op.id)))
}

/// Ends every session of `op` but this request's.
async fn end_sessions(c: &Console, op: &OperatorRecord) -> Result<(), Fail> {
    WebSessions::new(c.ctx.web.state.store.clone())
        .delete_for_operator(op.id, c.token())
        .await?;
    Ok(())
}

/// `GET /operator/password`: the operator's own password.
#[handler]
pub(crate) async fn own_form(req: &Request, web: Data<&Web>) -> Response {
    let c = Console::load(req, &web).await;
    let r = own_page(&c, StatusCode::OK, None, None);
    c.finish(r)
}

fn own_page(
    c: &Console,
    status: StatusCode,
    notice: Option<String>,
    alert: Option<String>,
) -> Result<Response, Fail> {
    c.operator()?;
    c.render(
        status,
        "console/password.html",
        "console-password-title",
        context! { notice, alert },
    )
}

/// `POST /operator/password`: `current_password`, `password`, `password_confirmation`.
#[handler]
pub(crate) async fn own_change(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let c = Console::load(req, &web).await;
    let r = do_own_change(&c, body).await;
    c.finish(r)
}

async fn do_own_change(c: &Console, body: Body) -> Result<Response, Fail> {
    let op = c.operator()?.record.clone();
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let ops = ops(c);
    let refuse = |id: &str| {
        own_page(
            c,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(c.ctx.tr.t(id)),
        )
    };
    if !ops
        .check_password(op.id, form.raw("current_password"))
        .await?
    {
        return refuse("console-password-wrong");
    }
    if form.raw("password") != form.raw("password_confirmation") {
        return refuse("console-setup-mismatch");
    }
    match ops.set_password(op.id, form.raw("password")).await {
        Ok(changes) => {
            end_sessions(c, &op).await?;
            c.audit(
                "operator.password",
                Some(AuditTarget::operator(&op)),
                changes,
            )
            .await?;
            own_page(
                c,
                StatusCode::OK,
                Some(c.ctx.tr.t("console-password-changed")),
                None,
            )
        }
        Err(e @ Error::Invalid { .. }) | Err(e @ Error::Fields(_)) => {
            let alert = crate::error::answer(&c.ctx.tr, &e).message;
            own_page(c, StatusCode::UNPROCESSABLE_ENTITY, None, Some(alert))
        }
        Err(e) => Err(e.into()),
    }
}
