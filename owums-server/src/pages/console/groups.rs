//! `/operator/groups`: RADIUS groups with their check and reply items. Seeing them needs
//! radius_groups_viewer; creating, editing and deleting a group need radius_groups_creator,
//! _manager and _destroyer; its items follow the radius_checks_* and radius_replies_*
//! permissions (see [`super::radius_items`]). A group with members is deleted only after
//! a confirmation page that says how many; the group new subscribers join cannot be
//! deleted or renamed. Every change is audited and read by FreeRADIUS on the next request.

use minijinja::{Value, context};
use owums_core::operator::{AuditTarget, Permission};
use owums_core::radius::{GroupDetails, GroupUpdate, RadiusAdmin};
use owums_core::storage::NewGroup;
use owums_core::{AttributeKind, Error, ErrorKind, GroupName};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::Console;
use super::radius_items::{self, Owner};
use crate::pages::context::redirect;
use crate::pages::{Fail, Form, NOT_FOUND, Web};

pub(crate) fn admin(c: &Console) -> RadiusAdmin {
    RadiusAdmin::new(c.ctx.web.state.store.clone())
}

/// The group a path names (404 when the name cannot be one).
pub(crate) fn name_of(text: &str) -> Result<GroupName, Fail> {
    GroupName::try_new(text).map_err(|_| NOT_FOUND)
}

/// The translated message of a refused change, or the failure itself.
pub(crate) fn refusal(c: &Console, e: Error) -> Result<String, Fail> {
    if matches!(
        e.kind(),
        ErrorKind::Invalid | ErrorKind::Conflict | ErrorKind::NotFound
    ) {
        Ok(crate::error::answer(&c.ctx.tr, &e).message)
    } else {
        Err(e.into())
    }
}

/// `/operator/groups/<name>` (group names are letters, digits, `_`, `.` and `-`: safe in
/// a path as they are).
pub(crate) fn group_path(name: &str) -> String {
    format!("/operator/groups/{name}")
}

/// The audit target of group `name`.
pub(crate) fn target(name: &str) -> AuditTarget {
    AuditTarget {
        kind: "group".to_owned(),
        id: name.to_owned(),
        label: name.to_owned(),
    }
}

/// `GET /operator/groups`.
#[handler]
pub(crate) async fn list(req: &Request, web: Data<&Web>) -> Response {
    let c = Console::load(req, &web).await;
    let r = list_page(&c, StatusCode::OK, None, &Form::default()).await;
    c.finish(r)
}

async fn list_page(
    c: &Console,
    status: StatusCode,
    alert: Option<String>,
    form: &Form,
) -> Result<Response, Fail> {
    let op = c.require(Permission::RadiusGroupsViewer)?;
    let groups: Vec<Value> = admin(c)
        .list_groups()
        .await?
        .iter()
        .map(|g| {
            context! {
                name => g.name.as_str(),
                path => group_path(g.name.as_str()),
                priority => g.priority,
                notes => g.notes.clone(),
                checks => g.checks.iter().map(ToString::to_string).collect::<Vec<_>>(),
                replies => g.replies.iter().map(ToString::to_string).collect::<Vec<_>>(),
            }
        })
        .collect();
    let can_create = op
        .record
        .permissions
        .allows(Permission::RadiusGroupsCreator);
    c.render(
        status,
        "console/groups.html",
        "console-groups-title",
        context! {
            groups,
            can_create,
            alert,
            name => form.get("name"),
            priority => if form.get("priority").is_empty() { "1" } else { form.get("priority") },
            notes => form.get("notes"),
        },
    )
}

fn priority_of(text: &str) -> Result<i32, Error> {
    text.trim().parse::<i32>().map_err(|_| {
        Error::refused(
            "priority",
            owums_core::Problem::BadFormat,
            "must be a whole number",
        )
    })
}

/// `POST /operator/groups`: `name`, `priority`, `notes`.
#[handler]
pub(crate) async fn create(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let c = Console::load(req, &web).await;
    let r = do_create(&c, body).await;
    c.finish(r)
}

async fn do_create(c: &Console, body: Body) -> Result<Response, Fail> {
    c.require(Permission::RadiusGroupsCreator)?;
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let made = async {
        let name = GroupName::try_new(form.get("name"))?;
        let notes = form.get("notes");
        admin(c)
            .create_group(NewGroup {
                name,
                priority: priority_of(form.get("priority"))?,
                notes: (!notes.trim().is_empty()).then(|| notes.to_owned()),
                checks: Vec::new(),
                replies: Vec::new(),
            })
            .await
    }
    .await;
    match made {
        Ok((group, changes)) => {
            c.audit("group.create", Some(target(group.name.as_str())), changes)
                .await?;
            Ok(redirect(&group_path(group.name.as_str())))
        }
        Err(e) => {
            let alert = refusal(c, e)?;
            list_page(c, StatusCode::UNPROCESSABLE_ENTITY, Some(alert), &form).await
        }
    }
}

/// `GET /operator/groups/:name`.
#[handler]
pub(crate) async fn show(req: &Request, web: Data<&Web>, name: Path<String>) -> Response {
    let c = Console::load(req, &web).await;
    let r = show_page(&c, &name, StatusCode::OK, None).await;
    c.finish(r)
}

/// The group's page, with `alert` (a refused change) if any.
pub(crate) async fn show_page(
    c: &Console,
    name: &str,
    status: StatusCode,
    alert: Option<String>,
) -> Result<Response, Fail> {
    let op = c.require(Permission::RadiusGroupsViewer)?;
    let name = name_of(name)?;
    let details: GroupDetails = match admin(c).group(&name).await {
        Ok(d) => d,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(NOT_FOUND),
        Err(e) => return Err(e.into()),
    };
    let held = &op.record.permissions;
    let owner = Owner::Group(details.group.name.clone());
    c.render(
        status,
        "console/group.html",
        "console-group-title",
        context! {
            name => details.group.name.as_str(),
            path => group_path(details.group.name.as_str()),
            priority => details.group.priority,
            notes => details.group.notes.clone(),
            members => details.members,
            can_edit => held.allows(Permission::RadiusGroupsManager),
            can_delete => held.allows(Permission::RadiusGroupsDestroyer),
            checks => radius_items::section(&owner, AttributeKind::Check, &details.checks, held),
            replies => radius_items::section(&owner, AttributeKind::Reply, &details.replies, held),
            alert,
        },
    )
}

/// `POST /operator/groups/:name/edit`: `name`, `priority`, `notes`.
#[handler]
pub(crate) async fn edit(
    req: &Request,
    web: Data<&Web>,
    name: Path<String>,
    body: Body,
) -> Response {
    let c = Console::load(req, &web).await;
    let r = do_edit(&c, &name, body).await;
    c.finish(r)
}

async fn do_edit(c: &Console, name: &str, body: Body) -> Result<Response, Fail> {
    c.require(Permission::RadiusGroupsManager)?;
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let group = name_of(name)?;
    let done = async {
        let new_name = GroupName::try_new(form.get("name"))?;
        let notes = form.get("notes");
        let update = GroupUpdate {
            name: Some(new_name.clone()),
            priority: Some(priority_of(form.get("priority"))?),
            notes: Some((!notes.trim().is_empty()).then(|| notes.to_owned())),
        };
        let changes = admin(c).update_group(&group, update).await?;
        Ok::<_, Error>((new_name, changes))
    }
    .await;
    match done {
        Ok((new_name, changes)) => {
            if !changes.is_empty() {
                c.audit("group.update", Some(target(new_name.as_str())), changes)
                    .await?;
            }
            Ok(redirect(&group_path(new_name.as_str())))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Err(NOT_FOUND),
        Err(e) => {
            let alert = refusal(c, e)?;
            show_page(c, name, StatusCode::UNPROCESSABLE_ENTITY, Some(alert)).await
        }
    }
}

/// `GET /operator/groups/:name/delete`: the confirmation, with the number of members.
#[handler]
pub(crate) async fn confirm_delete(req: &Request, web: Data<&Web>, name: Path<String>) -> Response {
    let c = Console::load(req, &web).await;
    let r = confirm_page(&c, &name, StatusCode::OK, None).await;
    c.finish(r)
}

async fn confirm_page(
    c: &Console,
    name: &str,
    status: StatusCode,
    alert: Option<String>,
) -> Result<Response, Fail> {
    c.require(Permission::RadiusGroupsDestroyer)?;
    let group = name_of(name)?;
    let details = match admin(c).group(&group).await {
        Ok(d) => d,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(NOT_FOUND),
        Err(e) => return Err(e.into()),
    };
    c.render(
        status,
        "console/group_delete.html",
        "console-group-delete-title",
        context! {
            name => details.group.name.as_str(),
            path => group_path(details.group.name.as_str()),
            members => details.members,
            alert,
        },
    )
}

/// `POST /operator/groups/:name/delete`: `force` = 1 confirms deleting a group with members.
#[handler]
pub(crate) async fn delete(
    req: &Request,
    web: Data<&Web>,
    name: Path<String>,
    body: Body,
) -> Response {
    let c = Console::load(req, &web).await;
    let r = do_delete(&c, &name, body).await;
    c.finish(r)
}

async fn do_delete(c: &Console, name: &str, body: Body) -> Result<Response, Fail> {
    c.require(Permission::RadiusGroupsDestroyer)?;
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let group = name_of(name)?;
    match admin(c).delete_group(&group, form.checked("force")).await {
        Ok(changes) => {
            c.audit("group.delete", Some(target(group.as_str())), changes)
                .await?;
            Ok(redirect("/operator/groups"))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Err(NOT_FOUND),
        Err(e) => {
            let alert = refusal(c, e)?;
            confirm_page(c, name, StatusCode::UNPROCESSABLE_ENTITY, Some(alert)).await
        }
    }
}
