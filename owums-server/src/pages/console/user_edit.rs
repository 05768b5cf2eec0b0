//! `/operator/users/:id/edit` (users_manager): every field of a subscriber, groups,
//! verified, active, notes and the password (typed or generated and shown once);
//! `/operator/users/:id/disable|enable` (users_manager); `/operator/users/:id/delete`
//! (users_destroyer, after a confirmation page). Every change is audited; RADIUS sees it
//! on the next Access-Request.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use minijinja::{Value, context};
use owums_core::operator::{AuditTarget, Permission};
use owums_core::radius::RadiusAdmin;
use owums_core::subscriber::{UserEdit, UserRecord, generate_password};
use owums_core::{ErrorKind, GroupName, UserId};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::Console;
use super::users::{admin, user_id};
use crate::pages::context::redirect;
use crate::pages::{Fail, Form, NOT_FOUND, Web};

/// The edited text fields: form name, label id.
const FIELDS: &[(&str, &str)] = &[
    ("username", "field-username"),
    ("email", "field-email"),
    ("mobile", "field-mobile"),
    ("given_name", "field-given-name"),
    ("surname", "field-surname"),
    ("birth_date", "field-birth-date"),
    ("address", "field-address"),
    ("city", "field-city"),
    ("zip", "field-zip"),
    ("country", "field-country"),
];

/// The languages a subscriber may prefer.
const LOCALES: &[&str] = &["en", "it", "es"];

async fn target(c: &Console, id: &str) -> Result<UserRecord, Fail> {
    let id: UserId = user_id(id)?;
    admin(c)
        .subscribers()
        .store()
        .find_user(id)
        .await?
        .ok_or(NOT_FOUND)
}

/// The stored value of form field `name`.
fn stored(u: &UserRecord, name: &str) -> String {
    match name {
        "username" => u.username.as_str().to_owned(),
        "email" => u
            .email
            .as_ref()
            .map_or(String::new(), |e| e.as_str().to_owned()),
        "mobile" => u
            .mobile
            .as_ref()
            .map_or(String::new(), |m| m.as_str().to_owned()),
        "given_name" => u.given_name.clone(),
        "surname" => u.surname.clone(),
        "birth_date" => u
            .birth_date
            .map_or(String::new(), |d| d.format("%Y-%m-%d").to_string()),
        "address" => u.address.clone(),
        "city" => u.city.clone(),
        "zip" => u.zip.clone(),
        "country" => u.country.clone(),
        "locale" => u.locale.clone(),
        "notes" => u.notes.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// The form of `u`: the values sent in `form` when it was refused, else the stored ones.
async fn form_page(
    c: &Console,
    u: &UserRecord,
    form: Option<&Form>,
    errors: &BTreeMap<&'static str, String>,
    alert: Option<String>,
) -> Result<Response, Fail> {
    let value = |name: &str| form.map_or_else(|| stored(u, name), |f| f.get(name).to_owned());
    let fields: Vec<Value> = FIELDS
        .iter()
        .map(|(name, label)| {
            context! {
                name => *name, label => c.ctx.tr.t(label), value => value(name),
                kind => if *name == "birth_date" { "date" } else if *name == "email" { "email" } else { "text" },
            }
        })
        .collect();
    let member: Vec<String> = admin(c)
        .subscribers()
        .store()
        .user_groups(u.id)
        .await?
        .into_iter()
        .map(|(g, _)| g.as_str().to_owned())
        .collect();
    let groups: Vec<Value> = RadiusAdmin::new(c.ctx.web.state.store.clone())
        .list_groups()
        .await?
        .iter()
        .map(|g| {
            let name = g.name.as_str().to_owned();
            let checked = match form {
                Some(f) => f.checked(&format!("group_{name}")),
                None => member.contains(&name),
            };
            context! { name, checked }
        })
        .collect();
    let flag = |name: &str, now: bool| form.map_or(now, |f| f.checked(name));
    let status = if errors.is_empty() && alert.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    c.render(
        status,
        "console/user_edit.html",
        "console-user-edit-title",
        context! {
            id => u.id.to_string(),
            username => u.username.as_str(),
            fields,
            locales => LOCALES.to_vec(),
            locale => value("locale"),
            notes => value("notes"),
            groups,
            verified => flag("verified", u.verified),
            active => flag("active", u.active),
            errors => crate::pages::templates::map(errors),
            alert,
        },
    )
}

/// `GET /operator/users/:id/edit`.
#[handler]
pub(crate) async fn edit_form(req: &Request, web: Data<&Web>, id: Path<String>) -> Response {
    let c = Console::load(req, &web).await;
    let r = show_form(&c, &id).await;
    c.finish(r)
}

async fn show_form(c: &Console, id: &str) -> Result<Response, Fail> {
    c.require(Permission::UsersManager)?;
    let u = target(c, id).await?;
    form_page(c, &u, None, &BTreeMap::new(), None).await
}

/// `POST /operator/users/:id/edit`: the fields of [`FIELDS`], `locale`, `notes`,
/// `group_<name>`, `verified`, `active`, `password` or `generate`, `weak_password_ok`.
#[handler]
pub(crate) async fn edit(req: &Request, web: Data<&Web>, id: Path<String>, body: Body) -> Response {
    let c = Console::load(req, &web).await;
    let r = do_edit(&c, &id, body).await;
    c.finish(r)
}

async fn do_edit(c: &Console, id: &str, body: Body) -> Result<Response, Fail> {
    c.require(Permission::UsersManager)?;
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let u = target(c, id).await?;
    let mut errors: BTreeMap<&'static str, String> = BTreeMap::new();
    let birth = form.get("birth_date").trim();
    let birth_date = if birth.is_empty() {
        None
    } else if let Ok(d) = NaiveDate::parse_from_str(birth, "%Y-%m-%d") {
        Some(d)
    } else {
        errors.insert("birth_date", c.ctx.tr.t("console-users-bad-date"));
        None
    };
    let locale = form.get("locale");
    if !LOCALES.contains(&locale) {
        errors.insert("locale", c.ctx.tr.t("console-users-bad-locale"));
    }
    let all_groups = RadiusAdmin::new(c.ctx.web.state.store.clone())
        .list_groups()
        .await?;
    let groups: Vec<GroupName> = all_groups
        .iter()
        .filter(|g| form.checked(&format!("group_{}", g.name.as_str())))
        .map(|g| g.name.clone())
        .collect();
    let generated = form.checked("generate").then(generate_password);
    let typed = Some(form.raw("password").to_owned()).filter(|p| !p.is_empty());
    if generated.is_some() && typed.is_some() {
        errors.insert("password", c.ctx.tr.t("console-users-password-both"));
    }
    if !errors.is_empty() {
        return form_page(c, &u, Some(&form), &errors, None).await;
    }
    let text = |name: &str| Some(form.get(name).to_owned());
    let change = UserEdit {
        username: text("username"),
        email: text("email"),
        mobile: text("mobile"),
        given_name: text("given_name"),
        surname: text("surname"),
        birth_date: Some(birth_date),
        address: text("address"),
        city: text("city"),
        zip: text("zip"),
        country: text("country"),
        locale: text("locale"),
        notes: text("notes"),
        weak_password_ok: generated.is_some() || form.checked("weak_password_ok"),
        password: generated.clone().or(typed),
        groups: Some(groups),
        verified: Some(form.checked("verified")),
        active: Some(form.checked("active")),
    };
    match admin(c).update(u.id, change).await {
        Ok((after, changes)) => {
            if !changes.is_empty() {
                c.audit("user.update", Some(AuditTarget::user(&after)), changes)
                    .await?;
            }
            match generated {
                Some(password) => c.render(
                    StatusCode::OK,
                    "console/user_password.html",
                    "console-password-shown-title",
                    context! { id => after.id.to_string(), username => after.username.as_str(), password },
                ),
                None => Ok(redirect(&format!("/operator/users/{}?done=saved", after.id))),
            }
        }
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::Invalid | ErrorKind::Conflict | ErrorKind::NotFound
            ) =>
        {
            let answer = crate::error::answer(&c.ctx.tr, &e);
            let mut alert = None;
            if answer.fields.is_empty() {
                match answer.field {
                    Some(f) => {
                        errors.insert(f, answer.message);
                    }
                    None => alert = Some(answer.message),
                }
            } else {
                errors.extend(answer.fields);
            }
            form_page(c, &u, Some(&form), &errors, alert).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /operator/users/:id/disable`.
#[handler]
pub(crate) async fn disable(
    req: &Request,
    web: Data<&Web>,
    id: Path<String>,
    body: Body,
) -> Response {
    let c = Console::load(req, &web).await;
    let r = switch(&c, &id, body, false).await;
    c.finish(r)
}

/// `POST /operator/users/:id/enable`.
#[handler]
pub(crate) async fn enable(
    req: &Request,
    web: Data<&Web>,
    id: Path<String>,
    body: Body,
) -> Response {
    let c = Console::load(req, &web).await;
    let r = switch(&c, &id, body, true).await;
    c.finish(r)
}

async fn switch(c: &Console, id: &str, body: Body, on: bool) -> Result<Response, Fail> {
    c.require(Permission::UsersManager)?;
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let u = target(c, id).await?;
    let admin = admin(c);
    let (after, changes) = if on {
        admin.enable(u.id).await?
    } else {
        admin.disable(u.id).await?
    };
    if !changes.is_empty() {
        let action = if on { "user.enable" } else { "user.disable" };
        c.audit(action, Some(AuditTarget::user(&after)), changes)
            .await?;
    }
    let done = if on { "enabled" } else { "disabled" };
    Ok(redirect(&format!("/operator/users/{}?done={done}", u.id)))
}

/// `GET /operator/users/:id/delete`: the confirmation.
#[handler]
pub(crate) async fn delete_form(req: &Request, web: Data<&Web>, id: Path<String>) -> Response {
    let c = Console::load(req, &web).await;
    let r = confirm(&c, &id).await;
    c.finish(r)
}

async fn confirm(c: &Console, id: &str) -> Result<Response, Fail> {
    c.require(Permission::UsersDestroyer)?;
    let u = target(c, id).await?;
    c.render(
        StatusCode::OK,
        "console/user_confirm.html",
        "console-user-delete-title",
        context! { id => u.id.to_string(), username => u.username.as_str() },
    )
}

/// `POST /operator/users/:id/delete`.
#[handler]
pub(crate) async fn delete(
    req: &Request,
    web: Data<&Web>,
    id: Path<String>,
    body: Body,
) -> Response {
    let c = Console::load(req, &web).await;
    let r = do_delete(&c, &id, body).await;
    c.finish(r)
}

async fn do_delete(c: &Console, id: &str, body: Body) -> Result<Response, Fail> {
    c.require(Permission::UsersDestroyer)?;
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let u = target(c, id).await?;
    let changes = admin(c).delete(u.id).await?;
    c.audit("user.delete", Some(AuditTarget::user(&u)), changes)
        .await?;
    c.render(
        StatusCode::OK,
        "console/message.html",
        "console-user-deleted-title",
        context! { message => c.ctx.tr.t_with("console-users-deleted", (("name", u.username.as_str().to_owned()),)) },
    )
}
