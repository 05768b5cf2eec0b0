//! `/operator/users` (users_browser): the subscriber list with a search, filters, sort and
//! pages; `/operator/users/find` (users_finder or users_browser): open the one subscriber
//! whose username, e-mail or mobile is exactly the text typed (OWUMS' "find user").

use minijinja::{Value, context};
use owums_core::UserId;
use owums_core::operator::Permission;
use owums_core::subscriber::{COUNT_LIMIT, Found, UserAdmin, UserQuery, UserRecord, UserSort};
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::Console;
use crate::pages::context::redirect;
use crate::pages::format::{self, shown_phone};
use crate::pages::signup::method_label;
use crate::pages::{Fail, Web};

/// The service the user pages use.
pub(super) fn admin(c: &Console) -> UserAdmin {
    let state = &c.ctx.web.state;
    UserAdmin::new(
        state.subscribers.clone(),
        state.registrations.country_code(None),
    )
}

/// The subscriber with id `id` (text of the path), or 404.
pub(super) fn user_id(id: &str) -> Result<UserId, Fail> {
    id.parse().map_err(|_| crate::pages::NOT_FOUND)
}

/// The list's parameters, as the form sends them.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    verified: String,
    #[serde(default)]
    active: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
    #[serde(default)]
    page: String,
}

fn yes_no(v: &str) -> Option<bool> {
    match v {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// `text` percent-encoded for a query string.
pub(super) fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl ListQuery {
    fn query(&self) -> UserQuery {
        let sort = UserSort::parse(&self.sort).unwrap_or_default();
        UserQuery {
            text: self.q.clone(),
            method: Some(self.method.trim().to_owned()).filter(|m| !m.is_empty()),
            verified: yes_no(&self.verified),
            active: yes_no(&self.active),
            sort,
            descending: match self.dir.as_str() {
                "asc" => false,
                "desc" => true,
                _ => sort == UserSort::RegisteredAt,
            },
            page: self.page.parse().unwrap_or(1),
            per_page: None,
        }
    }

    /// The filters without sort and page, as a query string.
    fn filters(&self) -> String {
        [
            ("q", &self.q),
            ("method", &self.method),
            ("verified", &self.verified),
            ("active", &self.active),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// A subscriber as a row of the list.
fn row(c: &Console, u: &UserRecord) -> Value {
    let tz = c.ctx.web.tz;
    context! {
        id => u.id.to_string(),
        username => u.username.as_str(),
        name => format!("{} {}", u.given_name, u.surname).trim().to_owned(),
        email => u.email.as_ref().map(|e| e.as_str().to_owned()),
        mobile => u.mobile.as_ref().map(|m| Value::from(shown_phone(m.as_str(), None))),
        method => method_label(&c.ctx, &u.verification_method),
        verified => u.verified,
        active => u.active,
        city => u.city.clone(),
        country => u.country.clone(),
        registered => Value::from(format::time(u.created_at, tz)),
    }
}

/// `GET /operator/users`.
#[handler]
pub(crate) async fn list(req: &Request, web: Data<&Web>, q: Query<ListQuery>) -> Response {
    let c = Console::load(req, &web).await;
    let r = list_page(&c, &q).await;
    c.finish(r)
}

async fn list_page(c: &Console, q: &ListQuery) -> Result<Response, Fail> {
    c.require(Permission::UsersBrowser)?;
    let query = q.query();
    let (status, alert, page) = match admin(c).browse(&query).await {
        Ok(page) => (StatusCode::OK, None, Some(page)),
        Err(e) if e.kind() == owums_core::ErrorKind::Invalid => {
            let alert = crate::error::answer(&c.ctx.tr, &e).message;
            (StatusCode::UNPROCESSABLE_ENTITY, Some(alert), None)
        }
        Err(e) => return Err(e.into()),
    };
    let users: Vec<Value> = page
        .as_ref()
        .map(|p| p.users.iter().map(|u| row(c, u)).collect())
        .unwrap_or_default();
    let filters = q.filters();
    let dir = if query.descending { "desc" } else { "asc" };
    let sorts: Vec<Value> = UserSort::ALL
        .iter()
        .map(|s| {
            context! {
                key => s.as_str(),
                label => c.ctx.tr.t(&format!("console-users-sort-{}", s.as_str())),
                selected => *s == query.sort,
            }
        })
        .collect();
    let methods: Vec<Value> = c
        .ctx
        .web
        .state
        .verifiers
        .iter()
        .map(|v| v.id())
        .chain(std::iter::once("none"))
        .map(|id| context! { id, label => method_label(&c.ctx, id), selected => q.method == id })
        .collect();
    let (total, more, page_no, pages) = page
        .as_ref()
        .map_or((0, false, 1, 1), |p| (p.total, p.more, p.page, p.pages()));
    let base = format!(
        "/operator/users?{filters}{}sort={}&dir={dir}",
        if filters.is_empty() { "" } else { "&" },
        query.sort.as_str()
    );
    c.render(
        status,
        "console/users.html",
        "console-users-title",
        context! {
            users,
            alert,
            f => context! {
                q => q.q.clone(), method => q.method.clone(), verified => q.verified.clone(),
                active => q.active.clone(), dir,
            },
            sorts,
            methods,
            total,
            more,
            limit => COUNT_LIMIT,
            page => page_no,
            pages,
            base,
            can_create => c.operator()?.record.permissions.allows(Permission::UsersRegistrant),
        },
    )
}

/// The find form's parameter.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FindQuery {
    q: Option<String>,
}

/// `GET /operator/users/find?q=…`: the form, or the one subscriber found.
#[handler]
pub(crate) async fn find(req: &Request, web: Data<&Web>, q: Query<FindQuery>) -> Response {
    let c = Console::load(req, &web).await;
    let r = find_page(&c, q.q.as_deref()).await;
    c.finish(r)
}

async fn find_page(c: &Console, text: Option<&str>) -> Result<Response, Fail> {
    c.require_any(&[Permission::UsersFinder, Permission::UsersBrowser])?;
    let (status, alert) = match text {
        None => (StatusCode::OK, None),
        Some(text) => match admin(c).find(text).await {
            Ok(Found::One(u)) => return Ok(redirect(&format!("/operator/users/{}", u.id))),
            Ok(Found::None) => (
                StatusCode::NOT_FOUND,
                Some(c.ctx.tr.t("console-users-find-none")),
            ),
            Ok(Found::Several) => (
                StatusCode::CONFLICT,
                Some(c.ctx.tr.t("console-users-find-several")),
            ),
            Err(e) if e.kind() == owums_core::ErrorKind::Invalid => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(crate::error::answer(&c.ctx.tr, &e).message),
            ),
            Err(e) => return Err(e.into()),
        },
    };
    c.render(
        status,
        "console/users_find.html",
        "console-users-find-title",
        context! { q => text.unwrap_or(""), alert },
    )
}
