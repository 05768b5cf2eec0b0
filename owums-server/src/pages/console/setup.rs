//! The first run: `owums serve` on a database without operators prints a single-use link to
//! `/operator/setup/<token>`, where the first superadmin chooses a username and password.

use minijinja::context;
use owums_core::operator::settings::OPERATOR_TOTP_REQUIRED;
use owums_core::operator::{AuditTarget, Operators, SETUP_LINK_MINUTES};
use owums_core::{ErrorKind, Settings};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::{Console, Stage};
use crate::AppState;
use crate::pages::context::redirect;
use crate::pages::{Fail, Form, NOT_FOUND, Web};

/// When no operator exists: makes a new first-run link and logs it at WARN (the only way
/// into a new console; an earlier link stops working). Nothing once an operator exists.
pub(crate) async fn announce_setup_link(state: &AppState, listen: &str) {
    let ops = Operators::new(state.store.clone());
    match ops.start_setup((state.limit_clock)()).await {
        Ok(Some(token)) => {
            let port = listen.rsplit(':').next().unwrap_or("8080");
            let link = format!("http://127.0.0.1:{port}/operator/setup/{token}");
            tracing::warn!(
                %link,
                minutes = SETUP_LINK_MINUTES,
                "no operator yet: open this single-use link to create the first superadmin"
            );
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "the first-run link could not be made"),
    }
}

/// `GET /operator/setup/:token`.
#[handler]
pub(crate) async fn show_form(req: &Request, web: Data<&Web>, token: Path<String>) -> Response {
    let c = Console::load(req, &web).await;
    let r = show(&c, &token).await;
    c.finish(r)
}

async fn show(c: &Console, token: &str) -> Result<Response, Fail> {
    let ops = Operators::new(c.ctx.web.state.store.clone());
    if !ops.setup_link_live(token, c.now()).await? {
        return Err(NOT_FOUND);
    }
    page(c, StatusCode::OK, token, "", None)
}

fn page(
    c: &Console,
    status: StatusCode,
    token: &str,
    username: &str,
    alert: Option<String>,
) -> Result<Response, Fail> {
    c.render(
        status,
        "console/setup.html",
        "console-setup-title",
        context! { token, username, alert },
    )
}

/// `POST /operator/setup/:token`: `username`, `password`, `password_confirmation`.
#[handler]
pub(crate) async fn submit(
    req: &Request,
    web: Data<&Web>,
    token: Path<String>,
    body: Body,
) -> Response {
    let mut c = Console::load(req, &web).await;
    let r = create(&mut c, &token, body).await;
    c.finish(r)
}

async fn create(c: &mut Console, token: &str, body: Body) -> Result<Response, Fail> {
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let ops = Operators::new(c.ctx.web.state.store.clone());
    if !ops.setup_link_live(token, c.now()).await? {
        return Err(NOT_FOUND);
    }
    let username = form.get("username").to_lowercase();
    let password = form.raw("password");
    if password != form.raw("password_confirmation") {
        let alert = c.ctx.tr.t("console-setup-mismatch");
        return page(
            c,
            StatusCode::UNPROCESSABLE_ENTITY,
            token,
            &username,
            Some(alert),
        );
    }
    match ops.create_first(token, &username, password, c.now()).await {
        Ok((op, changes)) => {
            let required = Settings::new(c.ctx.web.state.store.clone())
                .get(OPERATOR_TOTP_REQUIRED)
                .await?;
            let stage = if required { Stage::Enrol } else { Stage::Ready };
            ops.record_login(op.id, &c.ctx.ip.to_string()).await?;
            let target = AuditTarget::operator(&op);
            c.log_in(op, stage).await?;
            c.audit("operator.setup", Some(target), changes).await?;
            Ok(redirect(if required {
                "/operator/totp"
            } else {
                "/operator"
            }))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Err(NOT_FOUND),
        Err(e) if matches!(e.kind(), ErrorKind::Invalid | ErrorKind::Conflict) => {
            let alert = crate::error::answer(&c.ctx.tr, &e).message;
            page(
                c,
                StatusCode::UNPROCESSABLE_ENTITY,
                token,
                &username,
                Some(alert),
            )
        }
        Err(e) => Err(e.into()),
    }
}
