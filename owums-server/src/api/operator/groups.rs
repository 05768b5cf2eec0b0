//! `/operator/groups`: RADIUS groups, and the check and reply items of groups and (through
//! [`ItemOwner`]) of subscribers.

use owums_core::Error;
use owums_core::ids::{AttributeKind, GroupName, RadiusAttribute};
use owums_core::operator::{AuditTarget, Permission};
use owums_core::radius::{GroupUpdate, RadiusAdmin};
use owums_core::storage::{AttributeOwner, NewGroup};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use super::types::{
    Group, GroupChangeRequest, GroupDetailsBody, Item, ItemKind, ItemRequest, NewGroupRequest,
};
use super::{Answer, Call, OperatorTag, OperatorToken};
use crate::api::Api;
use crate::api::input::Mistakes;
use crate::pages::console::{ItemAct, item_permission};

#[derive(ApiResponse)]
enum GroupCreated {
    /// Made.
    #[oai(status = 201)]
    Created(Json<Group>),
}

#[derive(ApiResponse)]
enum ItemCreated {
    /// Added after the owner's other items.
    #[oai(status = 201)]
    Created(Json<Item>),
}

#[derive(ApiResponse)]
enum Deleted {
    /// Done.
    #[oai(status = 204)]
    NoContent,
}

/// The operator API's group operations.
#[derive(Debug)]
pub(crate) struct OperatorGroups;

fn admin(api: &Api) -> RadiusAdmin {
    RadiusAdmin::new(api.state.store.clone())
}

fn target(name: &str) -> AuditTarget {
    AuditTarget {
        kind: "group".to_owned(),
        id: name.to_owned(),
        label: name.to_owned(),
    }
}

/// `text` as a group name, refused as field `name`.
fn group_name_text(call: &Call, text: &str) -> Answer<GroupName> {
    GroupName::try_new(text.trim()).map_err(|e| match e {
        Error::Invalid {
            problem, reason, ..
        } => call.fail(&Error::refused("name", problem, reason)),
        other => call.fail(&other),
    })
}

/// The group of path parameter `name` (404 for a name no group can have).
fn group_name(call: &Call, name: &str) -> Answer<GroupName> {
    GroupName::try_new(name).map_err(|_| call.not_found())
}

fn kind_of(kind: ItemKind) -> AttributeKind {
    match kind {
        ItemKind::Checks => AttributeKind::Check,
        ItemKind::Replies => AttributeKind::Reply,
    }
}

/// Whose items an operation is about: a group or a subscriber.
pub(crate) trait ItemOwner {
    /// The permission that shows the owner.
    fn viewer(&self) -> Permission;
    /// The owner as stored, its audit target and the audit action's prefix; 404 when it
    /// does not exist.
    async fn resolve(
        &self,
        api: &Api,
        call: &Call,
    ) -> Answer<(AttributeOwner, AuditTarget, &'static str)>;
}

struct GroupOwner(String);

impl ItemOwner for GroupOwner {
    fn viewer(&self) -> Permission {
        Permission::RadiusGroupsViewer
    }

    async fn resolve(
        &self,
        api: &Api,
        call: &Call,
    ) -> Answer<(AttributeOwner, AuditTarget, &'static str)> {
        let name = group_name(call, &self.0)?;
        admin(api).group(&name).await.map_err(|e| call.fail(&e))?;
        Ok((AttributeOwner::Group(name), target(&self.0), "group"))
    }
}

/// `GET …/{kind}`: the owner's items of `kind`.
pub(crate) async fn list_items(
    api: &Api,
    req: &Request,
    auth: &OperatorToken,
    owner: &impl ItemOwner,
    kind: ItemKind,
) -> Answer<Json<Vec<Item>>> {
    let k = kind_of(kind);
    let needs = [owner.viewer(), item_permission(k, ItemAct::View)];
    let call = Call::new(api, req, auth, &needs).await?;
    let (stored, _, _) = owner.resolve(api, &call).await?;
    let items = admin(api)
        .items(&stored, k)
        .await
        .map_err(|e| call.fail(&e))?;
    Ok(Json(items.iter().map(Item::from).collect()))
}

/// `POST …/{kind}` (`item` none) or `PUT …/{kind}/{item}`: adds or replaces an item.
pub(crate) async fn save_item(
    api: &Api,
    req: &Request,
    auth: &OperatorToken,
    owner: &impl ItemOwner,
    kind: ItemKind,
    item: Option<i32>,
    body: ItemRequest,
) -> Answer<Item> {
    let k = kind_of(kind);
    let act = if item.is_some() {
        ItemAct::Change
    } else {
        ItemAct::Add
    };
    let needs = [owner.viewer(), item_permission(k, act)];
    let call = Call::new(api, req, auth, &needs).await?;
    let (stored, target, prefix) = owner.resolve(api, &call).await?;
    let mut m = Mistakes::default();
    let (name, op, value) = (
        m.text("attribute", &body.attribute),
        m.text("op", &body.op),
        m.text("value", &body.value),
    );
    m.check(&call.tr)?;
    let as_body = |e: Error| match e {
        // the body calls the operator `op`
        Error::Invalid {
            field: "operator",
            problem,
            reason,
        } => call.fail(&Error::refused("op", problem, reason)),
        other => call.fail(&other),
    };
    let attribute = RadiusAttribute::try_new(k, &name, &op, &value).map_err(as_body)?;
    let admin = admin(api);
    let changes = match item {
        Some(id) => admin.update_item(&stored, k, id, attribute).await,
        None => admin.add_item(&stored, k, attribute).await,
    }
    .map_err(as_body)?;
    let items = admin.items(&stored, k).await.map_err(|e| call.fail(&e))?;
    let saved = match item {
        Some(id) => items.iter().find(|i| i.id == id),
        None => items.last(),
    }
    .map(Item::from)
    .ok_or_else(|| call.not_found())?;
    let verb = if item.is_some() { "update" } else { "add" };
    let action = format!("{prefix}.{}.{verb}", k.as_str());
    call.audit(api, &action, target, changes).await?;
    Ok(saved)
}

/// `DELETE …/{kind}/{item}`.
pub(crate) async fn delete_item(
    api: &Api,
    req: &Request,
    auth: &OperatorToken,
    owner: &impl ItemOwner,
    kind: ItemKind,
    item: i32,
) -> Answer<()> {
    let k = kind_of(kind);
    let needs = [owner.viewer(), item_permission(k, ItemAct::Remove)];
    let call = Call::new(api, req, auth, &needs).await?;
    let (stored, target, prefix) = owner.resolve(api, &call).await?;
    let changes = admin(api)
        .remove_item(&stored, k, item)
        .await
        .map_err(|e| call.fail(&e))?;
    let action = format!("{prefix}.{}.remove", k.as_str());
    call.audit(api, &action, target, changes).await
}

#[OpenApi(tag = "OperatorTag::OperatorGroups")]
impl OperatorGroups {
    /// Every RADIUS group, by priority then name (`radius_groups_viewer`).
    #[oai(path = "/operator/groups", method = "get")]
    async fn list(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
    ) -> Answer<Json<Vec<Group>>> {
        let call = Call::new(&api, req, &auth, &[Permission::RadiusGroupsViewer]).await?;
        let groups = admin(&api).list_groups().await.map_err(|e| call.fail(&e))?;
        Ok(Json(groups.iter().map(Group::from).collect()))
    }

    /// Make a group (`radius_groups_creator`).
    #[oai(path = "/operator/groups", method = "post")]
    async fn create(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        body: Json<NewGroupRequest>,
    ) -> Answer<GroupCreated> {
        let call = Call::new(&api, req, &auth, &[Permission::RadiusGroupsCreator]).await?;
        let mut m = Mistakes::default();
        let name = m.text("name", &body.name);
        let notes = m.optional("notes", body.notes.as_ref());
        m.check(&call.tr)?;
        let name = group_name_text(&call, &name)?;
        let group = NewGroup {
            name,
            priority: body.priority.unwrap_or(1),
            notes,
            checks: Vec::new(),
            replies: Vec::new(),
        };
        let (made, changes) = admin(&api)
            .create_group(group)
            .await
            .map_err(|e| call.fail(&e))?;
        call.audit(&api, "group.create", target(made.name.as_str()), changes)
            .await?;
        Ok(GroupCreated::Created(Json(Group::from(&made))))
    }

    /// A group with its member count and items (`radius_groups_viewer`; the items with
    /// `radius_checks_viewer` / `radius_replies_viewer`).
    #[oai(path = "/operator/groups/:name", method = "get")]
    async fn show(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        name: Path<String>,
    ) -> Answer<Json<GroupDetailsBody>> {
        let call = Call::new(&api, req, &auth, &[Permission::RadiusGroupsViewer]).await?;
        let group = group_name(&call, &name)?;
        let d = admin(&api).group(&group).await.map_err(|e| call.fail(&e))?;
        Ok(Json(GroupDetailsBody::new(&d, &call.caller.permissions)))
    }

    /// Rename a group or change its priority or notes (`radius_groups_manager`).
    #[oai(path = "/operator/groups/:name", method = "patch")]
    async fn update(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        name: Path<String>,
        body: Json<GroupChangeRequest>,
    ) -> Answer<Json<Group>> {
        let call = Call::new(&api, req, &auth, &[Permission::RadiusGroupsManager]).await?;
        let group = group_name(&call, &name)?;
        let mut m = Mistakes::default();
        let new_name = m.optional("name", body.name.as_ref());
        let notes = m.optional("notes", body.notes.as_ref());
        m.check(&call.tr)?;
        let new_name = match new_name {
            Some(n) => Some(group_name_text(&call, &n)?),
            None => None,
        };
        let after = new_name.clone().unwrap_or_else(|| group.clone());
        let update = GroupUpdate {
            name: new_name,
            priority: body.priority,
            notes: notes.map(|n| (!n.trim().is_empty()).then_some(n)),
        };
        let admin = admin(&api);
        let changes = admin
            .update_group(&group, update)
            .await
            .map_err(|e| call.fail(&e))?;
        call.audit(&api, "group.update", target(after.as_str()), changes)
            .await?;
        let d = admin.group(&after).await.map_err(|e| call.fail(&e))?;
        Ok(Json(Group::from(&d.group)))
    }

    /// Delete a group with its items (`radius_groups_destroyer`). A group with members is
    /// refused (422) unless `force=true`, which removes the memberships too.
    #[oai(path = "/operator/groups/:name", method = "delete")]
    async fn delete(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        name: Path<String>,
        force: Query<Option<bool>>,
    ) -> Answer<Deleted> {
        let call = Call::new(&api, req, &auth, &[Permission::RadiusGroupsDestroyer]).await?;
        let group = group_name(&call, &name)?;
        let changes = admin(&api)
            .delete_group(&group, force.0.unwrap_or(false))
            .await
            .map_err(|e| call.fail(&e))?;
        call.audit(&api, "group.delete", target(group.as_str()), changes)
            .await?;
        Ok(Deleted::NoContent)
    }

    /// A group's check or reply items (`radius_groups_viewer` and `radius_checks_viewer` /
    /// `radius_replies_viewer`).
    #[oai(path = "/operator/groups/:name/:kind", method = "get")]
    async fn items(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        name: Path<String>,
        kind: Path<ItemKind>,
    ) -> Answer<Json<Vec<Item>>> {
        list_items(&api, req, &auth, &GroupOwner(name.0), kind.0).await
    }

    /// Add a check or reply item to a group (`radius_groups_viewer` and
    /// `radius_checks_creator` / `radius_replies_creator`). Takes effect on the next
    /// Access-Request of its members.
    #[oai(path = "/operator/groups/:name/:kind", method = "post")]
    async fn add_item(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        name: Path<String>,
        kind: Path<ItemKind>,
        body: Json<ItemRequest>,
    ) -> Answer<ItemCreated> {
        let owner = GroupOwner(name.0);
        let item = save_item(&api, req, &auth, &owner, kind.0, None, body.0).await?;
        Ok(ItemCreated::Created(Json(item)))
    }

    /// Change a group's item (`radius_groups_viewer` and `radius_checks_manager` /
    /// `radius_replies_manager`).
    #[oai(path = "/operator/groups/:name/:kind/:item", method = "put")]
    #[allow(clippy::too_many_arguments)] // what the operation reads, one argument each
    async fn update_item(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        name: Path<String>,
        kind: Path<ItemKind>,
        item: Path<i32>,
        body: Json<ItemRequest>,
    ) -> Answer<Json<Item>> {
        let owner = GroupOwner(name.0);
        let item = save_item(&api, req, &auth, &owner, kind.0, Some(item.0), body.0).await?;
        Ok(Json(item))
    }

    /// Remove a group's item (`radius_groups_viewer` and `radius_checks_destroyer` /
    /// `radius_replies_destroyer`).
    #[oai(path = "/operator/groups/:name/:kind/:item", method = "delete")]
    async fn remove_item(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        name: Path<String>,
        kind: Path<ItemKind>,
        item: Path<i32>,
    ) -> Answer<Deleted> {
        delete_item(&api, req, &auth, &GroupOwner(name.0), kind.0, item.0).await?;
        Ok(Deleted::NoContent)
    }
}
