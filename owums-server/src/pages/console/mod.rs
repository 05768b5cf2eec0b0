//! The operator console under `/operator`: login (with a second factor), the first-run
//! setup, and the layout and permission guard every console page uses.
//!
//! ## Writing a console page
//!
//! A handler loads a [`Console`] (the request's operator session, on top of the pages'
//! [`Ctx`]), asks it for the permission the route needs, and renders a template that
//! extends `console/base.html`:
//!
//! ```text
//! #[handler]
//! pub(crate) async fn groups(req: &Request, web: Data<&Web>) -> Response {
//!     let mut c = Console::load(req, &web).await;
//!     let r = show_groups(&mut c).await;
//!     c.finish(r)
//! }
//!
//! async fn show_groups(c: &mut Console) -> Result<Response, Fail> {
//!     let op = c.require(Permission::RadiusGroupsViewer)?; // login redirect, or a 403 page
//!     // … read what the page shows …
//!     c.render(StatusCode::OK, "console/groups.html", "console-menu-groups", context! { … })
//! }
//! ```
//!
//! - [`Console::require`] is the guard: no operator (or one still owing a second factor)
//!   is sent to the login; an operator without the permission gets the styled, translated
//!   403 page and the handler stops before changing anything. The check itself is
//!   [`Permissions::require`](owums_core::operator::Permissions::require), the one place
//!   the operator API's token check will call too.
//! - A form posts `csrf_token` = the template's `console_csrf`; call
//!   [`Console::check_csrf`] before acting on it.
//! - [`Console::audit`] writes what the action changed to the audit log with the operator
//!   and the client address.
//! - Templates get `operator` (username) and `menu` (the entries the operator's permissions
//!   allow), and `t(…)` for the messages of `locales/*/console.ftl`.
//!
//! The session is the operator's own (cookie [`COOKIE`], a server-side session of kind
//! `operator`), separate from a subscriber's. With the runtime setting
//! `operator_logout_on_ip_change` on (the default), a request from another address than
//! the login's ends it.

mod audit;
mod groups;
mod home;
mod login;
mod operators;
mod radius_items;
mod routes;
mod settings;
mod setup;
mod ticket;
mod tokens;
mod totp;
mod upload;
mod user_edit;
mod user_import;
mod user_new;
mod user_show;
mod users;
mod vouchers;

use minijinja::{Value, context};
use owums_core::Settings;
use owums_core::operator::settings::OPERATOR_LOGOUT_ON_IP_CHANGE;
use owums_core::operator::{
    AuditEntry, AuditLog, AuditTarget, Changes, MissingPermission, OperatorRecord, Operators,
    Permission,
};
use owums_core::subscriber::{WebSession, WebSessionKind};
use poem::http::StatusCode;
use poem::{Request, Response};

use super::cookies;
use super::{Ctx, Fail, Form, Web};

pub(crate) use radius_items::{Act as ItemAct, permission as item_permission};
pub(crate) use routes::mount;
pub(crate) use setup::announce_setup_link;

/// The console's session cookie.
pub(crate) const COOKIE: &str = "owums_operator";

/// Where an operator who must log in is sent.
const LOGIN: &str = "/operator/login";

/// What the session still waits for before the console opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Logged in.
    Ready,
    /// The password was right; the second-factor code is due.
    Code,
    /// The password was right; a second factor must be enrolled first
    /// (`operator_totp_required`).
    Enrol,
}

impl Stage {
    fn of(data: &serde_json::Value) -> Stage {
        match data.get("stage").and_then(|v| v.as_str()) {
            Some("ready") => Stage::Ready,
            Some("enrol") => Stage::Enrol,
            _ => Stage::Code,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Stage::Ready => "ready",
            Stage::Code => "code",
            Stage::Enrol => "enrol",
        }
    }
}

/// The console's menu: each entry with the permission that shows it.
const MENU: &[(&str, &str, Permission)] = &[
    (
        "/operator/users",
        "console-menu-users",
        Permission::UsersBrowser,
    ),
    (
        "/operator/users/find",
        "console-menu-users-find",
        Permission::UsersFinder,
    ),
    (
        "/operator/users/new",
        "console-menu-user-new",
        Permission::UsersRegistrant,
    ),
    (
        "/operator/vouchers",
        "console-menu-vouchers",
        Permission::UsersBrowser,
    ),
    (
        "/operator/groups",
        "console-menu-groups",
        Permission::RadiusGroupsViewer,
    ),
    (
        "/operator/settings",
        "console-menu-settings",
        Permission::ConfigurationsManager,
    ),
    (
        "/operator/operators",
        "console-menu-operators",
        Permission::OperatorsManager,
    ),
    (
        "/operator/audit",
        "console-menu-audit",
        Permission::OperatorsManager,
    ),
];

/// The operator a console request is made by.
#[derive(Debug, Clone)]
pub(crate) struct ConsoleOperator {
    /// The operator, as read at the start of this request.
    pub(crate) record: OperatorRecord,
    stage: Stage,
}

impl ConsoleOperator {
    /// Whether the operator holds `p` (the one check, shared with the operator API).
    pub(crate) fn require(&self, p: Permission) -> Result<(), Fail> {
        self.record.permissions.require(p).map_err(Fail::from)
    }
}

impl From<MissingPermission> for Fail {
    fn from(_: MissingPermission) -> Self {
        Fail::Status(StatusCode::FORBIDDEN, "console-forbidden")
    }
}

/// One console request: the pages' context plus the operator's session.
pub(crate) struct Console {
    /// The pages' context (language, client address, rendering, cookies).
    pub(crate) ctx: Ctx,
    /// The operator session's token, if live.
    token: Option<String>,
    session: Option<WebSession>,
    /// The operator, if logged in (or half-way: see [`Stage`]).
    pub(crate) operator: Option<ConsoleOperator>,
    /// The session was ended because the address changed.
    ended_by_ip_change: bool,
}

impl Console {
    /// Reads the operator session of `req`. Never fails: a broken database shows up when
    /// the page needs it.
    pub(crate) async fn load(req: &Request, web: &Web) -> Console {
        let mut c = Console {
            ctx: Ctx::load(req, web).await,
            token: None,
            session: None,
            operator: None,
            ended_by_ip_change: false,
        };
        let Some(token) = cookies::get(req, COOKIE) else {
            return c;
        };
        let session = match web.sessions.get(&token).await {
            Ok(Some(s)) if s.kind == WebSessionKind::Operator && s.operator_id.is_some() => s,
            Ok(_) => {
                c.clear_cookie();
                return c;
            }
            Err(e) => {
                tracing::warn!(error = %e, "operator session lookup failed");
                return c;
            }
        };
        let login_ip = session
            .data
            .get("ip")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        if login_ip != c.ctx.ip.to_string() && c.logout_on_ip_change().await {
            tracing::info!(client = %c.ctx.ip, "operator session ended: the address changed");
            if let Err(e) = web.sessions.delete(&token).await {
                tracing::warn!(error = %e, "ending the operator session failed");
            }
            c.clear_cookie();
            c.ended_by_ip_change = true;
            return c;
        }
        if let Err(e) = web.sessions.touch(&token, &session).await {
            tracing::warn!(error = %e, "operator session touch failed");
        }
        let ops = Operators::new(web.state.store.clone());
        let id = session.operator_id.unwrap_or_default();
        match ops.find(id).await {
            Ok(Some(record)) if record.active => {
                c.operator = Some(ConsoleOperator {
                    record,
                    stage: Stage::of(&session.data),
                });
                c.token = Some(token);
                c.session = Some(session);
            }
            Ok(_) => c.clear_cookie(),
            Err(e) => tracing::warn!(error = %e, "operator lookup failed"),
        }
        c
    }

    async fn logout_on_ip_change(&self) -> bool {
        Settings::new(self.ctx.web.state.store.clone())
            .get(OPERATOR_LOGOUT_ON_IP_CHANGE)
            .await
            .unwrap_or(true)
    }

    fn clear_cookie(&mut self) {
        let secure = self.ctx.secure();
        self.ctx
            .add_cookie(cookies::header(COOKIE, "", secure, Some(0)));
    }

    fn set_cookie(&mut self, token: &str) {
        let secure = self.ctx.secure();
        self.ctx
            .add_cookie(cookies::header(COOKIE, token, secure, None));
    }

    /// The logged-in operator, or the way to the login (or to the second factor still due).
    pub(crate) fn operator(&self) -> Result<&ConsoleOperator, Fail> {
        match &self.operator {
            Some(op) if op.stage == Stage::Ready => Ok(op),
            Some(op) if op.stage == Stage::Enrol => Err(Fail::Redirect("/operator/totp".into())),
            Some(_) => Err(Fail::Redirect("/operator/login/code".into())),
            None if self.ended_by_ip_change => Err(Fail::Redirect(format!("{LOGIN}?ended=ip"))),
            None => Err(Fail::Redirect(LOGIN.into())),
        }
    }

    /// The guard of a console route: the logged-in operator if they hold `p`; else a
    /// redirect to the login, or the 403 page.
    pub(crate) fn require(&self, p: Permission) -> Result<&ConsoleOperator, Fail> {
        let op = self.operator()?;
        op.require(p)?;
        Ok(op)
    }

    /// The guard of a route several permissions open: the logged-in operator if they hold
    /// any of `any` (OWUMS lets `users_finder` open a user as `users_browser` does).
    pub(crate) fn require_any(&self, any: &[Permission]) -> Result<&ConsoleOperator, Fail> {
        let op = self.operator()?;
        if any.iter().any(|p| op.record.permissions.allows(*p)) {
            Ok(op)
        } else {
            Err(Fail::Status(StatusCode::FORBIDDEN, "console-forbidden"))
        }
    }

    /// The form must come from this site and carry the CSRF token of the operator's session
    /// (before login: the anonymous double-submit cookie's).
    pub(crate) fn check_csrf(&self, form: &Form) -> Result<(), Fail> {
        if self.ctx.is_cross_site() {
            return Err(Fail::Status(StatusCode::FORBIDDEN, "error-cross-site"));
        }
        let sent = form.raw("csrf_token");
        let ok = match &self.session {
            Some(s) => cookies::same_token(&s.csrf_token, sent),
            None => self.ctx.anon_csrf_matches(sent),
        };
        if ok {
            Ok(())
        } else {
            Err(Fail::Status(StatusCode::FORBIDDEN, "error-csrf"))
        }
    }

    /// The CSRF token of this answer's forms.
    fn csrf(&self) -> String {
        match &self.session {
            Some(s) => s.csrf_token.clone(),
            None => self.ctx.anon_csrf_token(),
        }
    }

    /// Logs `op` in from this request's address: a new session (any earlier one of this
    /// browser ends), at `stage`.
    pub(crate) async fn log_in(&mut self, op: OperatorRecord, stage: Stage) -> Result<(), Fail> {
        let web = self.ctx.web.clone();
        if let Some(old) = self.token.take() {
            web.sessions.delete(&old).await?;
        }
        let data = serde_json::json!({ "ip": self.ctx.ip.to_string(), "stage": stage.as_str() });
        let (token, session) = web.sessions.log_in_operator(op.id, &data).await?;
        self.set_cookie(token.as_str());
        self.token = Some(token.as_str().to_owned());
        self.session = Some(session);
        self.operator = Some(ConsoleOperator { record: op, stage });
        Ok(())
    }

    /// Moves a half-way session on to `stage` with a new token (the one that only knew the
    /// password stops working).
    pub(crate) async fn advance(&mut self, stage: Stage) -> Result<(), Fail> {
        let web = self.ctx.web.clone();
        let Some(old) = self.token.take() else {
            return Err(Fail::Redirect(LOGIN.into()));
        };
        let Some((token, mut session)) = web.sessions.rotate(&old).await? else {
            return Err(Fail::Redirect(LOGIN.into()));
        };
        let mut data = session.data.clone();
        data["stage"] = serde_json::Value::from(stage.as_str());
        web.sessions.set_data(token.as_str(), &data).await?;
        session.data = data;
        self.set_cookie(token.as_str());
        self.token = Some(token.as_str().to_owned());
        self.session = Some(session);
        if let Some(op) = &mut self.operator {
            op.stage = stage;
        }
        Ok(())
    }

    /// Ends the operator's session and clears the cookie.
    pub(crate) async fn log_out(&mut self) -> Result<(), Fail> {
        if let Some(t) = self.token.take() {
            self.ctx.web.sessions.delete(&t).await?;
        }
        self.session = None;
        self.operator = None;
        self.clear_cookie();
        Ok(())
    }

    /// The session token (to keep it when the operator's other sessions end).
    pub(crate) fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Writes `action` on `target` with `changes` to the audit log, as done by the
    /// logged-in operator from this request's address.
    pub(crate) async fn audit(
        &self,
        action: &str,
        target: Option<AuditTarget>,
        changes: Changes,
    ) -> Result<(), Fail> {
        let operator = self
            .operator
            .as_ref()
            .map(|o| (o.record.id, o.record.username.clone()));
        AuditLog::new(self.ctx.web.state.store.clone())
            .record(AuditEntry {
                operator,
                action: action.to_owned(),
                target,
                changes,
                client_ip: Some(self.ctx.ip),
            })
            .await?;
        Ok(())
    }

    /// The time of the console's clock (tests move it).
    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (self.ctx.web.state.limit_clock)()
    }

    /// Renders console template `name` with `title` (a message id) and `values`, plus the
    /// operator's name and menu and the forms' CSRF token.
    pub(crate) fn render(
        &self,
        status: StatusCode,
        name: &str,
        title: &str,
        values: Value,
    ) -> Result<Response, Fail> {
        let ready = self.operator.as_ref().filter(|o| o.stage == Stage::Ready);
        let menu: Vec<Value> = ready
            .map(|op| {
                MENU.iter()
                    .filter(|(_, _, p)| op.record.permissions.allows(*p))
                    .map(|(href, id, _)| {
                        // constants of this module: no escaping (minijinja would escape `/`)
                        let href = Value::from_safe_string((*href).to_owned());
                        context! { href, text => self.ctx.tr.t(id) }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let values = context! {
            console_csrf => self.csrf(),
            operator => self.operator.as_ref().map(|o| o.record.username.clone()),
            logged_in_operator => ready.is_some(),
            menu,
            ..values
        };
        self.ctx.render(status, name, title, values)
    }

    /// The response for `result`: failures as console pages (the 403 in the console's
    /// layout), with the cookies and security headers.
    pub(crate) fn finish(self, result: Result<Response, Fail>) -> Response {
        let result = match result {
            Err(Fail::Status(status, id)) => self.render(
                status,
                "console/message.html",
                if status == StatusCode::FORBIDDEN {
                    "console-forbidden-title"
                } else {
                    "error-title"
                },
                context! { alert => self.ctx.tr.t(id) },
            ),
            other => other,
        };
        self.ctx.finish(result)
    }
}
