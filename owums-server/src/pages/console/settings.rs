//! `/operator/settings` (configurations_manager): every runtime setting with its type,
//! default, current value and description; one page per setting to change it (checked
//! against its type, as `owums settings set` does) or put it back to its default. Markdown
//! settings show a preview rendered the way subscriber pages render them (no raw HTML).
//!
//! Every `owums serve` process reads settings from the database on each request, so a
//! change here is in effect everywhere from the next request on.

use minijinja::{Value, context};
use owums_core::Settings;
use owums_core::operator::{AuditTarget, Changes, Permission};
use owums_core::richtext::markdown_to_html;
use owums_core::settings::{SettingDef, SettingKind, setting_def};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::Console;
use super::groups::refusal;
use crate::pages::context::redirect;
use crate::pages::{Fail, Form, NOT_FOUND, Web};

fn settings(c: &Console) -> Settings {
    Settings::new(c.ctx.web.state.store.clone())
}

fn target(def: &SettingDef) -> AuditTarget {
    AuditTarget {
        kind: "setting".to_owned(),
        id: def.name.to_owned(),
        label: def.name.to_owned(),
    }
}

/// `text` cut to 40 characters for the list (`…` when cut).
fn short(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// `GET /operator/settings`.
#[handler]
pub(crate) async fn list(req: &Request, web: Data<&Web>) -> Response {
    let c = Console::load(req, &web).await;
    let r = list_page(&c).await;
    c.finish(r)
}

async fn list_page(c: &Console) -> Result<Response, Fail> {
    c.require(Permission::ConfigurationsManager)?;
    let rows: Vec<Value> = settings(c)
        .list()
        .await?
        .into_iter()
        .map(|(def, stored)| {
            context! {
                name => def.name,
                kind => def.kind.as_str(),
                default => short(def.default),
                value => short(stored.as_deref().unwrap_or(def.default)),
                changed => stored.is_some(),
                help => def.help,
            }
        })
        .collect();
    c.render(
        StatusCode::OK,
        "console/settings.html",
        "console-settings-title",
        context! { settings => rows },
    )
}

/// `GET /operator/settings/:name`.
#[handler]
pub(crate) async fn show(req: &Request, web: Data<&Web>, name: Path<String>) -> Response {
    let c = Console::load(req, &web).await;
    let saved = req.uri().query().is_some_and(|q| q.contains("saved=1"));
    let notice = saved.then(|| c.ctx.tr.t("console-setting-saved"));
    let r = match setting_def(&name) {
        Some(def) => edit_page(&c, def, StatusCode::OK, None, None, notice).await,
        None => Err(NOT_FOUND),
    };
    c.finish(r)
}

async fn edit_page(
    c: &Console,
    def: &'static SettingDef,
    status: StatusCode,
    typed: Option<&str>,
    alert: Option<String>,
    notice: Option<String>,
) -> Result<Response, Fail> {
    c.require(Permission::ConfigurationsManager)?;
    let stored = settings(c).text(def.name).await?;
    let value = typed.unwrap_or(&stored).to_owned();
    let preview = (def.kind == SettingKind::Markdown && !value.trim().is_empty())
        .then(|| Value::from_safe_string(markdown_to_html(&value)));
    c.render(
        status,
        "console/setting.html",
        "console-setting-title",
        context! {
            name => def.name,
            kind => def.kind.as_str(),
            default => def.default,
            help => def.help,
            value,
            preview,
            alert,
            notice,
        },
    )
}

/// `POST /operator/settings/:name`: `value` with `action` = `save`, or `action` = `reset`.
#[handler]
pub(crate) async fn change(
    req: &Request,
    web: Data<&Web>,
    name: Path<String>,
    body: Body,
) -> Response {
    let c = Console::load(req, &web).await;
    let r = match setting_def(&name) {
        Some(def) => do_change(&c, def, body).await,
        None => match c.require(Permission::ConfigurationsManager) {
            Ok(_) => Err(NOT_FOUND),
            Err(f) => Err(f),
        },
    };
    c.finish(r)
}

async fn do_change(c: &Console, def: &'static SettingDef, body: Body) -> Result<Response, Fail> {
    c.require(Permission::ConfigurationsManager)?;
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let s = settings(c);
    let before = s.text(def.name).await?;
    let reset = form.get("action") == "reset";
    // browsers send a textarea's line breaks as CR LF
    let value = form.get("value").replace("\r\n", "\n");
    let done = if reset {
        s.reset(def.name).await
    } else {
        s.set(def.name, &value).await
    };
    if let Err(e) = done {
        let alert = refusal(c, e)?;
        return edit_page(
            c,
            def,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&value),
            Some(alert),
            None,
        )
        .await;
    }
    let after = s.text(def.name).await?;
    let mut changes = Changes::default();
    changes.compare("value", Some(&before), Some(&after));
    let action = if reset {
        "setting.reset"
    } else {
        "setting.update"
    };
    if !changes.is_empty() {
        c.audit(action, Some(target(def)), changes).await?;
    }
    Ok(redirect(&format!(
        "/operator/settings/{}?saved=1",
        def.name
    )))
}
