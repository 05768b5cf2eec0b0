//! `/operator/users`: subscribers as operators manage them, and a subscriber's own check
//! and reply items.

use owums_core::ids::GroupName;
use owums_core::operator::{AuditTarget, Permission};
use owums_core::subscriber::{
    Found, METHOD_NONE, NewPassword, NewSubscriber, UserAdmin, UserEdit, UserQuery, UserSort,
    parse_birth_date,
};
use owums_core::{Error, UserId, UserRecord};
use poem::Request;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, OpenApi};

use super::groups::{ItemOwner, delete_item, list_items, save_item};
use super::types::{
    CreatedUser, GroupText, Item, ItemKind, ItemRequest, Membership, NewUserRequest, OperatorUser,
    UserChangeRequest, UserDetailsBody, UserList,
};
use super::{Answer, Call, OperatorTag, OperatorToken};
use crate::api::input::Mistakes;
use crate::api::types::SortOrder;
use crate::api::{Api, ApiError};

/// The user list's sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub(crate) enum UserSortKey {
    /// Registration time.
    RegisteredAt,
    /// Username.
    Username,
    /// Given name.
    GivenName,
    /// Surname.
    Surname,
    /// Country.
    Country,
    /// City.
    City,
    /// Verified or not.
    Verified,
    /// Active or not.
    Active,
}

impl From<UserSortKey> for UserSort {
    fn from(k: UserSortKey) -> Self {
        match k {
            UserSortKey::RegisteredAt => UserSort::RegisteredAt,
            UserSortKey::Username => UserSort::Username,
            UserSortKey::GivenName => UserSort::GivenName,
            UserSortKey::Surname => UserSort::Surname,
            UserSortKey::Country => UserSort::Country,
            UserSortKey::City => UserSort::City,
            UserSortKey::Verified => UserSort::Verified,
            UserSortKey::Active => UserSort::Active,
        }
    }
}

#[derive(ApiResponse)]
enum UserCreated {
    /// Made: verified and active at once.
    #[oai(status = 201)]
    Created(Json<CreatedUser>),
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

/// The operator API's subscriber operations.
#[derive(Debug)]
pub(crate) struct OperatorUsers;

fn admin(api: &Api) -> UserAdmin {
    let state = &api.state;
    UserAdmin::new(
        state.subscribers.clone(),
        state.registrations.country_code(None),
    )
}

/// The subscriber of path parameter `id`.
async fn user(api: &Api, call: &Call, id: &str) -> Answer<UserRecord> {
    let Ok(id) = id.parse::<UserId>() else {
        return Err(call.not_found());
    };
    api.state
        .store
        .find_user(id)
        .await
        .map_err(|e| call.fail(&e))?
        .ok_or_else(|| call.not_found())
}

/// Group names as typed, each checked.
fn group_names(
    m: &mut Mistakes,
    groups: Option<&Vec<GroupText>>,
) -> Result<Option<Vec<GroupName>>, Error> {
    let Some(groups) = groups else {
        return Ok(None);
    };
    let mut names = Vec::with_capacity(groups.len());
    for g in groups {
        let text = m.text("groups", g);
        // not a string: `m` says so
        if g.get().is_ok() {
            names.push(GroupName::try_new(text.trim()).map_err(|_| {
                Error::refused(
                    "groups",
                    owums_core::Problem::BadFormat,
                    "is not a group name",
                )
            })?);
        }
    }
    Ok(Some(names))
}

#[OpenApi(tag = "OperatorTag::OperatorUsers")]
impl OperatorUsers {
    /// Browse or search subscribers (`users_browser`): `text` is a name fragment,
    /// username, e-mail or mobile in any written form (3–100 characters).
    #[oai(path = "/operator/users", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        #[oai(validator(max_length = 100))] text: Query<Option<String>>,
        #[oai(validator(max_length = 64))] method: Query<Option<String>>,
        verified: Query<Option<bool>>,
        active: Query<Option<bool>>,
        sort: Query<Option<UserSortKey>>,
        order: Query<Option<SortOrder>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))] page: Query<Option<u32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] per_page: Query<
            Option<u32>,
        >,
    ) -> Answer<Json<UserList>> {
        let call = Call::new(&api, req, &auth, &[Permission::UsersBrowser]).await?;
        let query = UserQuery {
            text: text.0.unwrap_or_default(),
            method: method.0,
            verified: verified.0,
            active: active.0,
            sort: sort.0.map(UserSort::from).unwrap_or_default(),
            descending: order.0.is_none_or(|o| o == SortOrder::Desc),
            page: page.0.unwrap_or(1),
            per_page: per_page.0,
        };
        let page = admin(&api)
            .browse(&query)
            .await
            .map_err(|e| call.fail(&e))?;
        Ok(Json(UserList::from(page)))
    }

    /// Find one subscriber by exact username, e-mail or mobile (`users_finder` or
    /// `users_browser`): 404 when nobody matches, 409 when several do.
    #[oai(path = "/operator/users/find", method = "get")]
    async fn find(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        #[oai(validator(min_length = 1, max_length = 100))] q: Query<String>,
    ) -> Answer<Json<OperatorUser>> {
        let any = [Permission::UsersFinder, Permission::UsersBrowser];
        let call = Call::new_any(&api, req, &auth, &[], &any).await?;
        match admin(&api).find(&q.0).await.map_err(|e| call.fail(&e))? {
            Found::One(u) => Ok(Json(OperatorUser::from(u.as_ref()))),
            Found::None => Err(call.not_found()),
            Found::Several => Err(ApiError::new(
                &call.tr,
                StatusCode::CONFLICT,
                "ambiguous",
                "api-operator-find-several",
            )),
        }
    }

    /// One subscriber with groups and login counts (`users_browser` or `users_finder`).
    #[oai(path = "/operator/users/:id", method = "get")]
    async fn show(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        id: Path<String>,
    ) -> Answer<Json<UserDetailsBody>> {
        let any = [Permission::UsersBrowser, Permission::UsersFinder];
        let call = Call::new_any(&api, req, &auth, &[], &any).await?;
        let u = user(&api, &call, &id).await?;
        let d = admin(&api)
            .show_utc(u.id)
            .await
            .map_err(|e| call.fail(&e))?;
        Ok(Json(UserDetailsBody {
            user: OperatorUser::from(&d.user),
            groups: d
                .groups
                .iter()
                .map(|(g, p)| Membership {
                    group: g.to_string(),
                    priority: *p,
                })
                .collect(),
            web_logins: d.web_logins,
            radius_logins: d.radius_logins,
            online: d.online.is_some(),
        }))
    }

    /// Make a subscriber, verified and active at once, with no identity check
    /// (`users_registrant` and `registrant_by_nothing`; choosing `groups` needs
    /// `users_manager`). Answers the password once: typed or generated. A subscriber
    /// verified by ID card is made in the console, where the document's photo is taken.
    #[oai(path = "/operator/users", method = "post")]
    async fn create(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        body: Json<NewUserRequest>,
    ) -> Answer<UserCreated> {
        let needs = [Permission::UsersRegistrant, Permission::RegistrantByNothing];
        let call = Call::new(&api, req, &auth, &needs).await?;
        let b = body.0;
        let mut m = Mistakes::default();
        let password = m.optional("password", b.password.as_ref());
        let weak = b
            .weak_password_ok
            .as_ref()
            .is_some_and(|f| m.flag("weak_password_ok", f));
        let birth = m.date("birth_date", b.birth_date.as_ref());
        let groups = group_names(&mut m, b.groups.as_ref());
        let new = NewSubscriber {
            username: m.text("username", &b.username),
            email: m.optional("email", b.email.as_ref()).unwrap_or_default(),
            mobile: m.optional("mobile", b.mobile.as_ref()).unwrap_or_default(),
            given_name: m
                .optional("given_name", b.given_name.as_ref())
                .unwrap_or_default(),
            surname: m
                .optional("surname", b.surname.as_ref())
                .unwrap_or_default(),
            address: m
                .optional("address", b.address.as_ref())
                .unwrap_or_default(),
            city: m.optional("city", b.city.as_ref()).unwrap_or_default(),
            zip: m.optional("zip", b.zip.as_ref()).unwrap_or_default(),
            country: m
                .optional("country", b.country.as_ref())
                .unwrap_or_default(),
            locale: m.optional("locale", b.locale.as_ref()).unwrap_or_default(),
            notes: m.optional("notes", b.notes.as_ref()).unwrap_or_default(),
            method: METHOD_NONE.to_owned(),
            password: password.map_or(NewPassword::Generated, NewPassword::Typed),
            weak_password_ok: weak,
            ..NewSubscriber::default()
        };
        m.check(&call.tr)?;
        let today = (api.state.limit_clock)().date_naive();
        let birth_date = match birth.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Some(
                parse_birth_date(t, today)
                    .map_err(|e| call.fail(&Error::refused(e.field, e.problem, e.reason)))?,
            ),
            None => None,
        };
        let groups = groups.map_err(|e| call.fail(&e))?.unwrap_or_default();
        let new = NewSubscriber {
            birth_date,
            groups,
            ..new
        };
        let op = &call.caller.operator;
        let created = admin(&api)
            .create(&op.username, &call.caller.permissions, new)
            .await
            .map_err(|e| call.fail(&e))?;
        call.audit(
            &api,
            "user.create",
            AuditTarget::user(&created.user),
            created.changes,
        )
        .await?;
        Ok(UserCreated::Created(Json(CreatedUser {
            user: OperatorUser::from(&created.user),
            password: created.password,
        })))
    }

    /// Change a subscriber (`users_manager`): any field, groups, verified, active. Takes
    /// effect on their next Access-Request.
    #[oai(path = "/operator/users/:id", method = "patch")]
    async fn update(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        id: Path<String>,
        body: Json<UserChangeRequest>,
    ) -> Answer<Json<OperatorUser>> {
        let call = Call::new(&api, req, &auth, &[Permission::UsersManager]).await?;
        let u = user(&api, &call, &id).await?;
        let b = body.0;
        let mut m = Mistakes::default();
        let weak = b
            .weak_password_ok
            .as_ref()
            .is_some_and(|f| m.flag("weak_password_ok", f));
        let verified = b.verified.as_ref().map(|f| m.flag("verified", f));
        let active = b.active.as_ref().map(|f| m.flag("active", f));
        let birth = m.optional("birth_date", b.birth_date.as_ref());
        let groups = group_names(&mut m, b.groups.as_ref());
        let edit = UserEdit {
            username: m.optional("username", b.username.as_ref()),
            email: m.optional("email", b.email.as_ref()),
            mobile: m.optional("mobile", b.mobile.as_ref()),
            given_name: m.optional("given_name", b.given_name.as_ref()),
            surname: m.optional("surname", b.surname.as_ref()),
            address: m.optional("address", b.address.as_ref()),
            city: m.optional("city", b.city.as_ref()),
            zip: m.optional("zip", b.zip.as_ref()),
            country: m.optional("country", b.country.as_ref()),
            locale: m.optional("locale", b.locale.as_ref()),
            notes: m.optional("notes", b.notes.as_ref()),
            password: m.optional("password", b.password.as_ref()),
            weak_password_ok: weak,
            verified,
            active,
            ..UserEdit::default()
        };
        m.check(&call.tr)?;
        let today = (api.state.limit_clock)().date_naive();
        let birth_date = match birth.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(t) => Some(Some(parse_birth_date(t, today).map_err(|e| {
                call.fail(&Error::refused(e.field, e.problem, e.reason))
            })?)),
        };
        let groups = groups.map_err(|e| call.fail(&e))?;
        let edit = UserEdit {
            birth_date,
            groups,
            ..edit
        };
        let (after, changes) = admin(&api)
            .update(u.id, edit)
            .await
            .map_err(|e| call.fail(&e))?;
        call.audit(&api, "user.update", AuditTarget::user(&after), changes)
            .await?;
        Ok(Json(OperatorUser::from(&after)))
    }

    /// Delete a subscriber with their sessions, items and memberships (`users_destroyer`).
    #[oai(path = "/operator/users/:id", method = "delete")]
    async fn delete(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        id: Path<String>,
    ) -> Answer<Deleted> {
        let call = Call::new(&api, req, &auth, &[Permission::UsersDestroyer]).await?;
        let u = user(&api, &call, &id).await?;
        let changes = admin(&api).delete(u.id).await.map_err(|e| call.fail(&e))?;
        call.audit(&api, "user.delete", AuditTarget::user(&u), changes)
            .await?;
        Ok(Deleted::NoContent)
    }

    /// Mark a subscriber verified (`users_manager`), as an operator who checked them.
    #[oai(path = "/operator/users/:id/verify", method = "post")]
    async fn verify(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        id: Path<String>,
    ) -> Answer<Json<OperatorUser>> {
        let call = Call::new(&api, req, &auth, &[Permission::UsersManager]).await?;
        let u = user(&api, &call, &id).await?;
        let edit = UserEdit {
            verified: Some(true),
            ..UserEdit::default()
        };
        let (after, changes) = admin(&api)
            .update(u.id, edit)
            .await
            .map_err(|e| call.fail(&e))?;
        call.audit(&api, "user.verify", AuditTarget::user(&after), changes)
            .await?;
        Ok(Json(OperatorUser::from(&after)))
    }

    /// Switch a subscriber off (`users_manager`): FreeRADIUS rejects them from their next
    /// Access-Request.
    #[oai(path = "/operator/users/:id/disable", method = "post")]
    async fn disable(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        id: Path<String>,
    ) -> Answer<Json<OperatorUser>> {
        switch(&api, req, &auth, &id, false).await
    }

    /// Switch a subscriber back on (`users_manager`).
    #[oai(path = "/operator/users/:id/enable", method = "post")]
    async fn enable(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        id: Path<String>,
    ) -> Answer<Json<OperatorUser>> {
        switch(&api, req, &auth, &id, true).await
    }

    /// A subscriber's own check or reply items (`users_browser` and
    /// `radius_checks_viewer` / `radius_replies_viewer`), read before their groups'.
    #[oai(path = "/operator/users/:id/:kind", method = "get")]
    async fn items(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        id: Path<String>,
        kind: Path<ItemKind>,
    ) -> Answer<Json<Vec<Item>>> {
        let owner = UserOwner(id.0);
        list_items(&api, req, &auth, &owner, kind.0).await
    }

    /// Add a check or reply item to a subscriber (`users_browser` and
    /// `radius_checks_creator` / `radius_replies_creator`).
    #[oai(path = "/operator/users/:id/:kind", method = "post")]
    async fn add_item(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        id: Path<String>,
        kind: Path<ItemKind>,
        body: Json<ItemRequest>,
    ) -> Answer<ItemCreated> {
        let owner = UserOwner(id.0);
        let item = save_item(&api, req, &auth, &owner, kind.0, None, body.0).await?;
        Ok(ItemCreated::Created(Json(item)))
    }

    /// Change a subscriber's item (`users_browser` and `radius_checks_manager` /
    /// `radius_replies_manager`).
    #[oai(path = "/operator/users/:id/:kind/:item", method = "put")]
    #[allow(clippy::too_many_arguments)] // what the operation reads, one argument each
    async fn update_item(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        id: Path<String>,
        kind: Path<ItemKind>,
        item: Path<i32>,
        body: Json<ItemRequest>,
    ) -> Answer<Json<Item>> {
        let owner = UserOwner(id.0);
        let item = save_item(&api, req, &auth, &owner, kind.0, Some(item.0), body.0).await?;
        Ok(Json(item))
    }

    /// Remove a subscriber's item (`users_browser` and `radius_checks_destroyer` /
    /// `radius_replies_destroyer`).
    #[oai(path = "/operator/users/:id/:kind/:item", method = "delete")]
    async fn remove_item(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        id: Path<String>,
        kind: Path<ItemKind>,
        item: Path<i32>,
    ) -> Answer<Deleted> {
        let owner = UserOwner(id.0);
        delete_item(&api, req, &auth, &owner, kind.0, item.0).await?;
        Ok(Deleted::NoContent)
    }
}

async fn switch(
    api: &Api,
    req: &Request,
    auth: &OperatorToken,
    id: &str,
    on: bool,
) -> Answer<Json<OperatorUser>> {
    let call = Call::new(api, req, auth, &[Permission::UsersManager]).await?;
    let u = user(api, &call, id).await?;
    let admin = admin(api);
    let (after, changes) = if on {
        admin.enable(u.id).await
    } else {
        admin.disable(u.id).await
    }
    .map_err(|e| call.fail(&e))?;
    let action = if on { "user.enable" } else { "user.disable" };
    call.audit(api, action, AuditTarget::user(&after), changes)
        .await?;
    Ok(Json(OperatorUser::from(&after)))
}

/// A subscriber as the owner of items (path parameter `id`).
struct UserOwner(String);

impl ItemOwner for UserOwner {
    fn viewer(&self) -> Permission {
        Permission::UsersBrowser
    }

    async fn resolve(
        &self,
        api: &Api,
        call: &Call,
    ) -> Answer<(
        owums_core::storage::AttributeOwner,
        AuditTarget,
        &'static str,
    )> {
        let u = user(api, call, &self.0).await?;
        Ok((
            owums_core::storage::AttributeOwner::User(u.id),
            AuditTarget::user(&u),
            "user",
        ))
    }
}
