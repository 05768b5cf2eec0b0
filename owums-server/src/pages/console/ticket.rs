//! The ticket of a subscriber an operator created: a page with the username, the
//! password (shown only now: it is never stored in clear), the portal's address and a
//! note, printable as it is (the print stylesheet hides the console around it) or as a
//! PDF card (`POST /operator/users/:id/ticket.pdf`, users_registrant).
//!
//! The PDF form carries the password back in a hidden field: the server cannot read it
//! again. Neither page nor PDF is cached (`Cache-Control: no-store`), and the password is
//! never logged nor written to the audit log.

use minijinja::context;
use owums_core::UserRecord;
use owums_core::mail::NOTIFIER_BASE_URL;
use owums_core::operator::Permission;
use owums_core::{Settings, UserId};
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::Console;
use crate::pages::{Fail, Form, NOT_FOUND, Web};
use crate::print::{Ticket, TicketField, tickets_pdf};

/// The address subscribers log in at: `[web] public_url`, else the `notifier_base_url`
/// setting, without a trailing `/`.
pub(crate) async fn portal(c: &Console) -> String {
    let web = &c.ctx.web;
    let base = if web.state.config.web.public_url.is_empty() {
        Settings::new(web.state.store.clone())
            .get(NOTIFIER_BASE_URL)
            .await
            .unwrap_or_default()
    } else {
        web.state.config.web.public_url.clone()
    };
    base.trim_end_matches('/').to_owned()
}

/// The ticket page of `user` with `password`, right after creating them.
pub(crate) async fn page(c: &Console, user: &UserRecord, password: &str) -> Result<Response, Fail> {
    let portal = portal(c).await;
    let mut r = c.render(
        StatusCode::OK,
        "console/ticket.html",
        "console-ticket-title",
        context! {
            id => user.id.to_string(),
            username => user.username.as_str(),
            password,
            portal,
            note => c.ctx.tr.t("console-ticket-note"),
        },
    )?;
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("a header value"),
    );
    Ok(r)
}

/// `POST /operator/users/:id/ticket.pdf`: `password` (the one the ticket page showed).
#[handler]
pub(crate) async fn pdf(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let c = Console::load(req, &web).await;
    let r = make_pdf(&c, &id, body).await;
    c.finish(r)
}

async fn make_pdf(c: &Console, id: &str, body: Body) -> Result<Response, Fail> {
    c.require(Permission::UsersRegistrant)?;
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let id: UserId = id.parse().map_err(|_| NOT_FOUND)?;
    let user = c
        .ctx
        .web
        .state
        .store
        .find_user(id)
        .await?
        .ok_or(NOT_FOUND)?;
    let password = form.raw("password");
    if password.is_empty() || password.chars().count() > 128 {
        return Err(Fail::Status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "console-ticket-no-password",
        ));
    }
    let tr = &c.ctx.tr;
    let ticket = Ticket {
        heading: tr.t("console-ticket-heading"),
        fields: vec![
            TicketField {
                label: tr.t("field-username"),
                value: user.username.as_str().to_owned(),
                exact: true,
            },
            TicketField {
                label: tr.t("field-password"),
                value: password.to_owned(),
                exact: true,
            },
            TicketField {
                label: tr.t("console-ticket-portal"),
                value: portal(c).await,
                exact: false,
            },
        ],
        footer: tr.t("console-ticket-note"),
    };
    let bytes = tickets_pdf(&tr.t("console-ticket-title"), &[ticket]);
    let name = user.username.as_str();
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, "application/pdf")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"ticket-{name}.pdf\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(bytes))
}
