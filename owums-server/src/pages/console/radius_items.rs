//! Check and reply items of a RADIUS group or of one subscriber, edited the same way for
//! both owners: add (radius_checks_creator / radius_replies_creator), change
//! (…_manager) and remove (…_destroyer); seeing them needs …_viewer. The group's items
//! are on its page; a subscriber's on `/operator/users/:id/radius`. Refused values come
//! back on the owner's page with the reason, nothing changed.

use minijinja::{Value, context};
use owums_core::operator::{AuditTarget, Permission, Permissions};
use owums_core::radius::RadiusAdmin;
use owums_core::storage::{AttributeItem, AttributeOwner};
use owums_core::{AttributeKind, Error, ErrorKind, GroupName, RadiusAttribute, UserId};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::Console;
use super::groups::{self, group_path, name_of, refusal};
use crate::pages::context::redirect;
use crate::pages::{Fail, Form, NOT_FOUND, Web};

/// Whose items.
#[derive(Debug, Clone)]
pub(crate) enum Owner {
    Group(GroupName),
    User(UserId),
}

impl Owner {
    fn storage(&self) -> AttributeOwner {
        match self {
            Owner::Group(g) => AttributeOwner::Group(g.clone()),
            Owner::User(u) => AttributeOwner::User(*u),
        }
    }

    /// The owner's page, where the forms post back to.
    fn page(&self) -> String {
        match self {
            Owner::Group(g) => group_path(g.as_str()),
            Owner::User(u) => format!("/operator/users/{u}/radius"),
        }
    }

    /// The prefix of the item forms' actions.
    fn items_path(&self, kind: AttributeKind) -> String {
        match self {
            Owner::Group(g) => format!("{}/items/{}", group_path(g.as_str()), kind.as_str()),
            Owner::User(u) => format!("/operator/users/{u}/radius/{}", kind.as_str()),
        }
    }

    fn target(&self) -> AuditTarget {
        match self {
            Owner::Group(g) => groups::target(g.as_str()),
            Owner::User(u) => AuditTarget {
                kind: "user".to_owned(),
                id: u.to_string(),
                label: u.to_string(),
            },
        }
    }

    fn audit_prefix(&self) -> &'static str {
        match self {
            Owner::Group(_) => "group",
            Owner::User(_) => "user",
        }
    }
}

/// What can be done with items of `kind`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Act {
    /// See them.
    View,
    /// Add one.
    Add,
    /// Change one.
    Change,
    /// Remove one.
    Remove,
}

/// The permission `act` on items of `kind` needs (the console's and the operator API's).
pub(crate) fn permission(kind: AttributeKind, act: Act) -> Permission {
    use Permission as P;
    match (kind, act) {
        (AttributeKind::Check, Act::View) => P::RadiusChecksViewer,
        (AttributeKind::Check, Act::Add) => P::RadiusChecksCreator,
        (AttributeKind::Check, Act::Change) => P::RadiusChecksManager,
        (AttributeKind::Check, Act::Remove) => P::RadiusChecksDestroyer,
        (AttributeKind::Reply, Act::View) => P::RadiusRepliesViewer,
        (AttributeKind::Reply, Act::Add) => P::RadiusRepliesCreator,
        (AttributeKind::Reply, Act::Change) => P::RadiusRepliesManager,
        (AttributeKind::Reply, Act::Remove) => P::RadiusRepliesDestroyer,
    }
}

fn kind_of(text: &str) -> Result<AttributeKind, Fail> {
    match text {
        "check" => Ok(AttributeKind::Check),
        "reply" => Ok(AttributeKind::Reply),
        _ => Err(NOT_FOUND),
    }
}

/// The template values of one kind of `owner`'s items, as `held` may see and edit them.
pub(crate) fn section(
    owner: &Owner,
    kind: AttributeKind,
    items: &[AttributeItem],
    held: &Permissions,
) -> Value {
    let visible = held.allows(permission(kind, Act::View));
    let items: Vec<Value> = if visible {
        items
            .iter()
            .map(|i| {
                context! {
                    id => i.id,
                    attribute => i.attribute.attribute.clone(),
                    op => i.attribute.op.clone(),
                    value => i.attribute.value.clone(),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    context! {
        kind => kind.as_str(),
        title => if kind == AttributeKind::Check { "console-items-checks" } else { "console-items-replies" },
        visible,
        items,
        ops => kind.operators().to_vec(),
        action => owner.items_path(kind),
        can_add => held.allows(permission(kind, Act::Add)),
        can_change => held.allows(permission(kind, Act::Change)),
        can_remove => held.allows(permission(kind, Act::Remove)),
    }
}

/// `POST …/items/:kind` (a group's) or `/operator/users/:id/radius/:kind`: adds
/// `attribute` `op` `value`.
#[handler]
pub(crate) async fn group_add(
    req: &Request,
    web: Data<&Web>,
    Path((name, kind)): Path<(String, String)>,
    body: Body,
) -> Response {
    let c = Console::load(req, &web).await;
    let r = match name_of(&name) {
        Ok(g) => change(&c, Owner::Group(g), &kind, None, Act::Add, body).await,
        Err(f) => Err(f),
    };
    c.finish(r)
}

/// `POST …/items/:kind/:item` (change) and `…/items/:kind/:item/remove` of a group.
#[handler]
pub(crate) async fn group_item(
    req: &Request,
    web: Data<&Web>,
    Path((name, kind, item, action)): Path<(String, String, String, String)>,
    body: Body,
) -> Response {
    let c = Console::load(req, &web).await;
    let r = match (name_of(&name), act_of(&action)) {
        (Ok(g), Ok(act)) => change(&c, Owner::Group(g), &kind, Some(&item), act, body).await,
        (Err(f), _) | (_, Err(f)) => Err(f),
    };
    c.finish(r)
}

/// `POST /operator/users/:id/radius/:kind`.
#[handler]
pub(crate) async fn user_add(
    req: &Request,
    web: Data<&Web>,
    Path((id, kind)): Path<(String, String)>,
    body: Body,
) -> Response {
    let c = Console::load(req, &web).await;
    let r = match id.parse::<UserId>() {
        Ok(u) => change(&c, Owner::User(u), &kind, None, Act::Add, body).await,
        Err(_) => Err(NOT_FOUND),
    };
    c.finish(r)
}

/// `POST /operator/users/:id/radius/:kind/:item/:action` (`change` or `remove`).
#[handler]
pub(crate) async fn user_item(
    req: &Request,
    web: Data<&Web>,
    Path((id, kind, item, action)): Path<(String, String, String, String)>,
    body: Body,
) -> Response {
    let c = Console::load(req, &web).await;
    let r = match (id.parse::<UserId>(), act_of(&action)) {
        (Ok(u), Ok(act)) => change(&c, Owner::User(u), &kind, Some(&item), act, body).await,
        (Err(_), _) => Err(NOT_FOUND),
        (_, Err(f)) => Err(f),
    };
    c.finish(r)
}

fn act_of(text: &str) -> Result<Act, Fail> {
    match text {
        "change" => Ok(Act::Change),
        "remove" => Ok(Act::Remove),
        _ => Err(NOT_FOUND),
    }
}

async fn change(
    c: &Console,
    owner: Owner,
    kind: &str,
    item: Option<&str>,
    act: Act,
    body: Body,
) -> Result<Response, Fail> {
    let kind = kind_of(kind)?;
    // the owner's page needs its viewer permission too
    match &owner {
        Owner::Group(_) => c.require(Permission::RadiusGroupsViewer)?,
        Owner::User(_) => c.require(Permission::UsersBrowser)?,
    };
    c.require(permission(kind, act))?;
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let item: Option<i32> = match item {
        Some(i) => Some(i.parse().map_err(|_| NOT_FOUND)?),
        None => None,
    };
    let admin = RadiusAdmin::new(c.ctx.web.state.store.clone());
    let stored = owner.storage();
    let attribute = || {
        RadiusAttribute::try_new(
            kind,
            form.get("attribute"),
            form.get("op"),
            form.get("value"),
        )
    };
    let done: Result<_, Error> = async {
        match (act, item) {
            (Act::Add, _) => admin.add_item(&stored, kind, attribute()?).await,
            (Act::Change, Some(id)) => admin.update_item(&stored, kind, id, attribute()?).await,
            (Act::Remove, Some(id)) => admin.remove_item(&stored, kind, id).await,
            _ => Err(Error::not_found("item", "")),
        }
    }
    .await;
    let verb = match act {
        Act::Add => "add",
        Act::Change => "update",
        Act::Remove => "remove",
        Act::View => "view",
    };
    match done {
        Ok(changes) => {
            if !changes.is_empty() {
                let action = format!("{}.{}.{verb}", owner.audit_prefix(), kind.as_str());
                c.audit(&action, Some(owner.target()), changes).await?;
            }
            Ok(redirect(&owner.page()))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Err(NOT_FOUND),
        Err(e) => {
            let alert = refusal(c, e)?;
            match &owner {
                Owner::Group(g) => {
                    groups::show_page(c, g.as_str(), StatusCode::UNPROCESSABLE_ENTITY, Some(alert))
                        .await
                }
                Owner::User(u) => {
                    user_page(c, *u, StatusCode::UNPROCESSABLE_ENTITY, Some(alert)).await
                }
            }
        }
    }
}

/// `GET /operator/users/:id/radius`: a subscriber's own check and reply items (read
/// before their groups' by FreeRADIUS).
#[handler]
pub(crate) async fn user_items(req: &Request, web: Data<&Web>, id: Path<String>) -> Response {
    let c = Console::load(req, &web).await;
    let r = match id.parse::<UserId>() {
        Ok(u) => user_page(&c, u, StatusCode::OK, None).await,
        Err(_) => Err(NOT_FOUND),
    };
    c.finish(r)
}

async fn user_page(
    c: &Console,
    id: UserId,
    status: StatusCode,
    alert: Option<String>,
) -> Result<Response, Fail> {
    let op = c.require(Permission::UsersBrowser)?;
    let held = op.record.permissions.clone();
    let user = c
        .ctx
        .web
        .state
        .store
        .find_user(id)
        .await?
        .ok_or(NOT_FOUND)?;
    let admin = RadiusAdmin::new(c.ctx.web.state.store.clone());
    let owner = Owner::User(id);
    let stored = owner.storage();
    let checks = admin.items(&stored, AttributeKind::Check).await?;
    let replies = admin.items(&stored, AttributeKind::Reply).await?;
    c.render(
        status,
        "console/user_radius.html",
        "console-user-radius-title",
        context! {
            id => id.to_string(),
            username => user.username.to_string(),
            checks => section(&owner, AttributeKind::Check, &checks, &held),
            replies => section(&owner, AttributeKind::Reply, &replies, &held),
            alert,
        },
    )
}
