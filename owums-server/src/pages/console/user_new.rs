//! `/operator/users/new` (users_registrant): an operator creates a subscriber with a method
//! their `registrant_by_*` permissions allow — `none` (no identity check) or `id_card` (an
//! identity document checked at the desk, its photo uploaded or taken with a phone's
//! camera) — and gets the ticket to hand over ([`super::ticket`]).
//!
//! A method that asks for files (the ID card's photo) posts its form as
//! `multipart/form-data`, at most [`MAX_UPLOAD_BYTES`] in all (or the method's own file
//! limit, when larger; a larger body is a 413 page). The method checks what was
//! submitted ([`OperatorVerifications::prepare`]) before anything is written; the
//! subscriber, the record of the check and its files are then created in one transaction
//! ([`UserAdmin::create`]). A refusal re-renders the form with the reasons and creates
//! nothing.

use std::collections::BTreeMap;

use minijinja::{Value, context};
use owums_core::operator::{AuditTarget, Permission, Permissions};
use owums_core::plugin::{OperatorEvidence, OperatorInput, UploadedFile};
use owums_core::radius::RadiusAdmin;
use owums_core::subscriber::{
    DEFAULT_RADIUS_GROUP, METHOD_ID_CARD, METHOD_NONE, NewPassword, NewSubscriber,
    OperatorVerifications, UserAdmin,
};
use owums_core::{Error, FormField, FormFieldKind, GroupName, Settings};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use super::Console;
use super::ticket;
use super::upload::{Posted, read_posted};
use crate::pages::{Fail, Form, Web};

/// Largest `multipart/form-data` body the form takes by default: a phone's photo (the
/// ID-card plugin's own default limit is 10 MiB too) and the text fields. A method whose
/// file field takes more (`max_upload_bytes`) raises it: see [`upload_limit`].
pub(crate) const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024 + FORM_MARGIN;

/// Room for the text fields and the multipart framing next to the files.
const FORM_MARGIN: usize = 64 * 1024;

/// The largest body the form takes: [`MAX_UPLOAD_BYTES`], or more when a method's file
/// field allows a larger file.
fn upload_limit(c: &Console) -> usize {
    let ops = verifications(c);
    ops.methods()
        .iter()
        .flat_map(|m| ops.form(m, "en").unwrap_or_default())
        .filter_map(|f| f.max_bytes)
        .filter_map(|b| usize::try_from(b).ok())
        .map(|b| b.saturating_add(FORM_MARGIN))
        .fold(MAX_UPLOAD_BYTES, usize::max)
}

/// The form's reasons, by field name.
type Errors = BTreeMap<String, String>;

/// The methods the operator may create with, among those this server offers.
fn methods(c: &Console, held: &Permissions) -> Vec<&'static str> {
    let mut out = Vec::new();
    if held.allows(Permission::RegistrantByNothing) {
        out.push(METHOD_NONE);
    }
    if held.allows(Permission::RegistrantByIdCard)
        && verifications(c).methods().contains(&METHOD_ID_CARD)
    {
        out.push(METHOD_ID_CARD);
    }
    out
}

fn verifications(c: &Console) -> OperatorVerifications {
    let state = &c.ctx.web.state;
    OperatorVerifications::new(state.subscribers.clone(), state.verifiers.clone())
}

fn admin(c: &Console) -> UserAdmin {
    let state = &c.ctx.web.state;
    UserAdmin::new(
        state.subscribers.clone(),
        crate::pages::signup::country_code(&c.ctx.web, None),
    )
}

/// The method's own form fields (none for `none`).
fn plugin_form(c: &Console, method: &str) -> Vec<FormField> {
    if method == METHOD_NONE {
        return Vec::new();
    }
    verifications(c)
        .form(method, c.ctx.tr.lang())
        .unwrap_or_default()
}

/// `label` translated when it is a message id (plugins' labels are).
fn label(c: &Console, label: &str) -> String {
    if c.ctx.tr.has(label) {
        c.ctx.tr.t(label)
    } else {
        label.to_owned()
    }
}

/// `GET /operator/users/new` (`?method=`).
#[handler]
pub(crate) async fn show_form(req: &Request, web: Data<&Web>) -> Response {
    let c = Console::load(req, &web).await;
    let method = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("method=")))
        .unwrap_or("")
        .to_owned();
    let r = form_page(
        &c,
        StatusCode::OK,
        &method,
        &Form::default(),
        &Errors::new(),
        None,
    )
    .await;
    c.finish(r)
}

/// The form for `method` (the first allowed when empty), with `form`'s values and `errors`.
async fn form_page(
    c: &Console,
    status: StatusCode,
    method: &str,
    form: &Form,
    errors: &Errors,
    alert: Option<String>,
) -> Result<Response, Fail> {
    let held = c
        .require(Permission::UsersRegistrant)?
        .record
        .permissions
        .clone();
    let allowed = methods(c, &held);
    let method = match allowed.iter().find(|m| **m == method) {
        Some(m) => *m,
        None if method.is_empty() && !allowed.is_empty() => allowed[0],
        None => return Err(Fail::Status(StatusCode::FORBIDDEN, "console-forbidden")),
    };
    let fields = plugin_form(c, method);
    let multipart = fields.iter().any(|f| f.kind == FormFieldKind::File);
    let plugin_fields: Vec<Value> = fields
        .iter()
        .map(|f| field_value(c, f, form, errors))
        .collect();
    let choices: Vec<Value> = allowed
        .iter()
        .map(|m| context! { name => *m, label => method_label(c, m), current => *m == method })
        .collect();
    let groups = if held.allows(Permission::UsersManager) {
        group_choices(c, form).await?
    } else {
        Vec::new()
    };
    let typed = form.get("password_mode") == "typed";
    c.render(
        status,
        "console/user_new.html",
        "console-user-new-title",
        context! {
            method,
            methods => choices,
            multipart,
            plugin_fields,
            groups,
            typed,
            values => form_values(form),
            errors => Value::from_pairs(errors.iter().map(|(k, v)| (k.clone(), v.clone()))),
            max_mb => upload_limit(c) / (1024 * 1024),
            alert,
        },
    )
}

fn method_label(c: &Console, method: &str) -> String {
    match method {
        METHOD_NONE => c.ctx.tr.t("console-method-none"),
        other => label(c, &format!("{other}-method")),
    }
}

/// The text fields shown again on a refused form (never the password).
fn form_values(form: &Form) -> Value {
    const KEPT: &[&str] = &[
        "username",
        "email",
        "mobile",
        "given_name",
        "surname",
        "birth_date",
        "address",
        "city",
        "zip",
        "country",
        "locale",
        "notes",
    ];
    Value::from_pairs(KEPT.iter().map(|k| (*k, form.get(k).to_owned())))
}

/// A plugin field as the template draws it.
fn field_value(c: &Console, f: &FormField, form: &Form, errors: &Errors) -> Value {
    let value = form.get(&f.name).to_owned();
    let choices: Vec<Value> = f
        .choices
        .iter()
        .map(|ch| {
            context! {
                value => ch.value.clone(),
                label => label(c, &ch.label),
                selected => ch.value == value,
            }
        })
        .collect();
    let control = match f.kind {
        FormFieldKind::Choice => "select",
        FormFieldKind::File => "file",
        FormFieldKind::Checkbox => "checkbox",
        other => other.input_type(),
    };
    let accept = if f.accept.is_empty() {
        "image/*".to_owned()
    } else {
        f.accept.join(",")
    };
    context! {
        name => f.name.clone(),
        label => label(c, &f.label),
        control,
        required => f.required,
        choices,
        accept,
        max_mb => f.max_bytes.map(|b| b.div_ceil(1024 * 1024)),
        value,
        error => errors.get(&f.name).cloned(),
    }
}

/// The groups as checkboxes: those ticked on the form, else the default group.
async fn group_choices(c: &Console, form: &Form) -> Result<Vec<Value>, Fail> {
    let store = c.ctx.web.state.store.clone();
    let default = Settings::new(store.clone())
        .get(DEFAULT_RADIUS_GROUP)
        .await
        .unwrap_or_default();
    let all = RadiusAdmin::new(store).list_groups().await?;
    let any_ticked = all
        .iter()
        .any(|g| form.checked(&format!("group_{}", g.name.as_str())));
    Ok(all
        .iter()
        .map(|g| {
            let name = g.name.as_str();
            let checked = if any_ticked {
                form.checked(&format!("group_{name}"))
            } else {
                name == default
            };
            context! { name, checked }
        })
        .collect())
}

/// `POST /operator/users/new`: creates the subscriber and shows the ticket.
#[handler]
pub(crate) async fn create(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let c = Console::load(req, &web).await;
    let r = do_create(&c, req, body).await;
    c.finish(r)
}

async fn do_create(c: &Console, req: &Request, body: Body) -> Result<Response, Fail> {
    let op = c.require(Permission::UsersRegistrant)?.record.clone();
    let Posted { form, files } = read_posted(c, req, body, upload_limit(c)).await?;
    c.check_csrf(&form)?;
    let method = form.get("method");
    if !methods(c, &op.permissions).contains(&method) {
        return Err(Fail::Status(StatusCode::FORBIDDEN, "console-forbidden"));
    }
    let mut errors = Errors::new();
    let evidence = if method == METHOD_NONE {
        None
    } else {
        match check_evidence(c, method, &form, files).await {
            Ok(e) => Some(e),
            Err(Refusal { field, message }) => {
                if let Some(field) = field {
                    errors.insert(field, message.clone());
                }
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return form_page(c, status, method, &form, &errors, Some(message)).await;
            }
        }
    };
    let new = match subscriber(c, &form, method, evidence).await? {
        Ok(new) => new,
        Err((field, message)) => {
            errors.insert(field.to_owned(), message.clone());
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return form_page(c, status, method, &form, &errors, Some(message)).await;
        }
    };
    match admin(c).create(&op.username, &op.permissions, new).await {
        Ok(created) => {
            let target = AuditTarget {
                kind: "user".to_owned(),
                id: created.user.id.to_string(),
                label: created.user.username.as_str().to_owned(),
            };
            c.audit("user.create", Some(target), created.changes)
                .await?;
            ticket::page(c, &created.user, &created.password).await
        }
        Err(e) if is_refusal(&e) => {
            let answer = crate::error::answer(&c.ctx.tr, &e);
            for (field, message) in &answer.fields {
                errors.insert((*field).to_owned(), message.clone());
            }
            if let Some(field) = answer.field {
                errors
                    .entry(field.to_owned())
                    .or_insert_with(|| answer.message.clone());
            }
            let status = if answer.status == StatusCode::CONFLICT {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            form_page(c, status, method, &form, &errors, Some(answer.message)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Refusals the operator can fix on the form (an unknown group among them).
fn is_refusal(e: &Error) -> bool {
    use owums_core::ErrorKind;
    matches!(
        e.kind(),
        ErrorKind::Invalid | ErrorKind::Conflict | ErrorKind::NotFound
    )
}

/// Why a method refused what the operator submitted.
struct Refusal {
    field: Option<String>,
    message: String,
}

/// The method's check of its form ([`OperatorVerifications::prepare`]): files over a
/// field's size refused here, the rest by the method, whose reasons are its message ids.
async fn check_evidence(
    c: &Console,
    method: &str,
    form: &Form,
    files: Vec<UploadedFile>,
) -> Result<OperatorEvidence, Refusal> {
    let fields = plugin_form(c, method);
    let mut input = OperatorInput::new(c.ctx.tr.lang());
    for f in &fields {
        if f.kind != FormFieldKind::File {
            input = input.with_field(&f.name, form.raw(&f.name));
        }
    }
    for file in files {
        let Some(f) = fields
            .iter()
            .find(|f| f.name == file.name && f.kind == FormFieldKind::File)
        else {
            continue;
        };
        let max = f.max_bytes.and_then(|b| usize::try_from(b).ok());
        if max.is_some_and(|max| file.bytes.len() > max) {
            return Err(Refusal {
                field: Some(f.name.clone()),
                message: c.ctx.tr.t("console-upload-too-large"),
            });
        }
        input = input.with_file(file);
    }
    verifications(c)
        .prepare(method, input)
        .await
        .map_err(|e| match &e {
            Error::Invalid { field, reason, .. } if c.ctx.tr.has(reason) => Refusal {
                field: Some((*field).to_owned()),
                message: c.ctx.tr.t(reason),
            },
            _ => {
                let answer = crate::error::answer(&c.ctx.tr, &e);
                Refusal {
                    field: answer.field.map(str::to_owned),
                    message: answer.message,
                }
            }
        })
}

/// The subscriber the form describes; a field the page itself reads (the birth date)
/// refused as `(field, message)`.
async fn subscriber(
    c: &Console,
    form: &Form,
    method: &str,
    evidence: Option<OperatorEvidence>,
) -> Result<Result<NewSubscriber, (&'static str, String)>, Fail> {
    let tr = &c.ctx.tr;
    let birth_date = match form.get("birth_date") {
        "" => None,
        text => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                let msg = tr.t_with("error-field-format", (("field", "birth_date"),));
                return Ok(Err(("birth_date", msg)));
            }
        },
    };
    let password = if form.get("password_mode") == "typed" {
        NewPassword::Typed(form.raw("password").to_owned())
    } else {
        NewPassword::Generated
    };
    let all = RadiusAdmin::new(c.ctx.web.state.store.clone())
        .list_groups()
        .await?;
    let groups: Vec<GroupName> = all
        .into_iter()
        .map(|g| g.name)
        .filter(|g| form.checked(&format!("group_{}", g.as_str())))
        .collect();
    let (evidence, attachments) = match evidence {
        Some(e) => (Some(e.evidence), e.attachments),
        None => (None, Vec::new()),
    };
    Ok(Ok(NewSubscriber {
        username: form.get("username").to_lowercase(),
        email: form.get("email").to_owned(),
        mobile: form.get("mobile").to_owned(),
        given_name: form.get("given_name").to_owned(),
        surname: form.get("surname").to_owned(),
        birth_date,
        address: form.get("address").to_owned(),
        city: form.get("city").to_owned(),
        zip: form.get("zip").to_owned(),
        country: form.get("country").to_owned(),
        locale: form.get("locale").to_owned(),
        notes: form.get("notes").to_owned(),
        method: method.to_owned(),
        evidence,
        attachments,
        password,
        weak_password_ok: false,
        groups,
    }))
}
