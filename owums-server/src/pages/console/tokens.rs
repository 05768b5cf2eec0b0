//! `/operator/tokens`: an operator's API tokens — any logged-in operator makes tokens for
//! themselves (with a subset of their own permissions and an optional expiry; the secret is
//! shown once) and revokes them. An operator with `operators_manager` also sees everyone's
//! tokens and can revoke any of them. Every change is written to the audit log.

use minijinja::{Value, context};
use owums_core::operator::{
    AuditTarget, NewToken, OperatorToken, OperatorTokens, Operators, Permission, Permissions,
    Preset,
};
use owums_core::{Error, ErrorKind};
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::Console;
use crate::pages::context::redirect;
use crate::pages::{Fail, Form, NOT_FOUND, Web};

/// Expiries the form offers, in days (0: never).
const EXPIRY_DAYS: [i64; 5] = [90, 30, 7, 365, 0];

fn tokens(c: &Console) -> OperatorTokens {
    OperatorTokens::new(c.ctx.web.state.store.clone())
}

/// `GET /operator/tokens`.
#[handler]
pub(crate) async fn list(req: &Request, web: Data<&Web>) -> Response {
    let c = Console::load(req, &web).await;
    let r = page(&c, StatusCode::OK, None, None).await;
    c.finish(r)
}

/// The permissions as the preset they equal (`superadmin`), else their names.
fn described(p: &Permissions) -> String {
    Preset::ALL
        .iter()
        .rev()
        .find(|preset| preset.permissions() == *p)
        .map_or_else(
            || p.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "),
            |preset| format!("({})", preset.as_str()),
        )
}

fn row(c: &Console, t: &OperatorToken, owner: Option<&str>) -> Value {
    let when = |at: &chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&c.ctx.web.tz)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let state = t.state(c.now());
    context! {
        id => t.id.to_string(),
        name => t.name.clone(),
        owner,
        state => c.ctx.tr.t(&format!("console-token-{}", state.as_str())),
        live => state == owums_core::operator::TokenState::Live,
        permissions => described(&t.permissions),
        created => when(&t.created_at),
        expires => t.expires_at.as_ref().map(when),
        used => t.last_used.as_ref().map(|(at, ip)| format!("{} ({ip})", when(at))),
    }
}

async fn page(
    c: &Console,
    status: StatusCode,
    alert: Option<String>,
    name: Option<&str>,
) -> Result<Response, Fail> {
    let op = c.operator()?;
    let me = &op.record;
    let all = tokens(c);
    let mine: Vec<Value> = all
        .list(Some(me.id))
        .await?
        .iter()
        .map(|t| row(c, t, None))
        .collect();
    let others: Vec<Value> = if me.permissions.allows(Permission::OperatorsManager) {
        let names: std::collections::HashMap<_, _> = Operators::new(c.ctx.web.state.store.clone())
            .list()
            .await?
            .into_iter()
            .map(|o| (o.id, o.username))
            .collect();
        all.list(None)
            .await?
            .iter()
            .filter(|t| t.operator_id != me.id)
            .map(|t| row(c, t, names.get(&t.operator_id).map(String::as_str)))
            .collect()
    } else {
        Vec::new()
    };
    let held: Vec<&str> = Permission::ALL
        .iter()
        .filter(|p| me.permissions.allows(**p))
        .map(|p| p.as_str())
        .collect();
    let expiries: Vec<Value> = EXPIRY_DAYS
        .iter()
        .map(|d| {
            let label = if *d == 0 {
                c.ctx.tr.t("console-token-never")
            } else {
                c.ctx
                    .tr
                    .t_with("console-token-days", (("days", d.to_string()),))
            };
            context! { days => d, label }
        })
        .collect();
    c.render(
        status,
        "console/tokens.html",
        "console-tokens-title",
        context! { mine, others, held, expiries, name, alert },
    )
}

/// `POST /operator/tokens`: `name`, `expires_days` (0: never), `perm_<name>` for each
/// permission the token carries.
#[handler]
pub(crate) async fn create(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let c = Console::load(req, &web).await;
    let r = do_create(&c, body).await;
    c.finish(r)
}

async fn do_create(c: &Console, body: Body) -> Result<Response, Fail> {
    let op = c.operator()?.record.clone();
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let name = form.get("name");
    let permissions: Permissions = Permission::ALL
        .iter()
        .copied()
        .filter(|p| form.checked(&format!("perm_{}", p.as_str())))
        .collect();
    let days = match form.get("expires_days").trim().parse::<i64>() {
        Ok(d) if EXPIRY_DAYS.contains(&d) => d,
        _ => {
            let alert = c.ctx.tr.t("console-token-bad-expiry");
            return page(c, StatusCode::UNPROCESSABLE_ENTITY, Some(alert), Some(name)).await;
        }
    };
    let now = c.now();
    let new = NewToken {
        name: name.to_owned(),
        permissions,
        expires_at: (days > 0).then(|| now + chrono::Duration::days(days)),
    };
    match tokens(c).create(&op, new, now).await {
        Ok((secret, made, changes)) => {
            c.audit(
                "operator.token_create",
                Some(AuditTarget::operator(&op)),
                changes,
            )
            .await?;
            let mut response = c.render(
                StatusCode::OK,
                "console/token_shown.html",
                "console-token-shown-title",
                context! { secret, name => made.name },
            )?;
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            Ok(response)
        }
        Err(e) if e.kind() == ErrorKind::Invalid => {
            let alert = crate::error::answer(&c.ctx.tr, &e).message;
            page(c, StatusCode::UNPROCESSABLE_ENTITY, Some(alert), Some(name)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /operator/tokens/:id/revoke`: the operator's own token, or anyone's with
/// `operators_manager`.
#[handler]
pub(crate) async fn revoke(
    req: &Request,
    web: Data<&Web>,
    id: Path<String>,
    body: Body,
) -> Response {
    let c = Console::load(req, &web).await;
    let r = do_revoke(&c, &id, body).await;
    c.finish(r)
}

async fn do_revoke(c: &Console, id: &str, body: Body) -> Result<Response, Fail> {
    let me = c.operator()?.record.clone();
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let id: uuid::Uuid = id.parse().map_err(|_| NOT_FOUND)?;
    let all = tokens(c);
    let token = all
        .list(None)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(NOT_FOUND)?;
    if token.operator_id != me.id {
        c.require(Permission::OperatorsManager)?;
    }
    let owner = Operators::new(c.ctx.web.state.store.clone())
        .find(token.operator_id)
        .await?
        .ok_or(NOT_FOUND)?;
    match all.revoke(id, Some(owner.id), c.now()).await {
        Ok(changes) => {
            c.audit(
                "operator.token_revoke",
                Some(AuditTarget::operator(&owner)),
                changes,
            )
            .await?;
            Ok(redirect("/operator/tokens"))
        }
        Err(Error::NotFound { .. }) => Err(NOT_FOUND),
        Err(e) => Err(e.into()),
    }
}
