//! `/operator/vouchers`: voucher batches. The list and each batch's view (which vouchers
//! are unused, used or expired) need users_browser; generating a batch creates accounts
//! with no identity check, so it needs users_registrant and registrant_by_nothing.
//!
//! Passwords are known only while a batch is generated (the database keeps hashes), so the
//! generating request answers with the printable sheet itself: a page with a print
//! stylesheet, or the PDF (ten cards per A4 page). Nothing else ever shows them again.

use minijinja::{Value, context};
use owums_core::operator::{AuditTarget, Permission};
use owums_core::radius::{BatchSummary, Generated, Validity, VoucherRequest, Vouchers};
use owums_core::{Error, ErrorKind, GroupName, Problem};
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::Console;
use super::groups::refusal;
use super::ticket::portal;
use crate::pages::{Fail, Form, NOT_FOUND, Web};
use crate::print::{Ticket, TicketField, tickets_pdf};

/// The most vouchers one console request generates (the command line makes more).
const MAX_FROM_CONSOLE: usize = 2_000;

fn vouchers(c: &Console) -> Vouchers {
    let web = &c.ctx.web.state;
    Vouchers::new(web.store.clone(), web.config.radius.password_format)
}

fn validity_text(c: &Console, v: Validity) -> String {
    match v {
        Validity::Until(d) => c
            .ctx
            .tr
            .t_with("console-vouchers-until", (("date", d.to_string()),)),
        Validity::Days(n) => c
            .ctx
            .tr
            .t_with("console-vouchers-days", (("days", i64::from(n)),)),
    }
}

/// `/operator/vouchers/<name>`, the name percent-encoded (batch names are free text).
fn batch_path(name: &str) -> String {
    let mut p = String::from("/operator/vouchers/");
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            p.push(char::from(byte));
        } else {
            p.push_str(&format!("%{byte:02X}"));
        }
    }
    p
}

fn summary(c: &Console, b: &BatchSummary) -> Value {
    context! {
        name => b.name.clone(),
        path => batch_path(&b.name),
        prefix => b.prefix.clone(),
        group => b.group.clone(),
        validity => validity_text(c, b.validity),
        created_at => b.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        created_by => b.created_by.clone(),
        unused => b.unused,
        used => b.used,
        expired => b.expired,
    }
}

/// `GET /operator/vouchers`.
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
    let op = c.require(Permission::UsersBrowser)?;
    let held = &op.record.permissions;
    let batches: Vec<Value> = vouchers(c)
        .list()
        .await?
        .iter()
        .map(|b| summary(c, b))
        .collect();
    let groups: Vec<String> = super::groups::admin(c)
        .list_groups()
        .await?
        .into_iter()
        .map(|g| g.name.as_str().to_owned())
        .collect();
    let or = |name: &str, default: &str| {
        let v = form.get(name);
        if v.is_empty() {
            default.to_owned()
        } else {
            v.to_owned()
        }
    };
    c.render(
        status,
        "console/vouchers.html",
        "console-vouchers-title",
        context! {
            batches,
            groups,
            can_generate => held.allows(Permission::UsersRegistrant)
                && held.allows(Permission::RegistrantByNothing),
            max => MAX_FROM_CONSOLE,
            alert,
            batch => form.get("batch"),
            count => or("count", "10"),
            prefix => or("prefix", "wifi"),
            length => or("length", "8"),
            group => form.get("group"),
            validity => or("validity", "days"),
            days => or("days", "1"),
            until => form.get("until"),
        },
    )
}

fn number(form: &Form, field: &'static str) -> Result<usize, Error> {
    form.get(field)
        .trim()
        .parse()
        .map_err(|_| Error::refused(field, Problem::BadFormat, "must be a whole number"))
}

/// The request the generate form describes.
fn request(c: &Console, form: &Form) -> Result<VoucherRequest, Error> {
    let count = number(form, "count")?;
    if count > MAX_FROM_CONSOLE {
        return Err(Error::refused(
            "count",
            Problem::OutOfRange,
            format!(
                "at most {MAX_FROM_CONSOLE} from the console (`owums voucher generate` makes more)"
            ),
        ));
    }
    let validity = if form.get("validity") == "until" {
        let date = form.get("until").trim().parse().map_err(|_| {
            Error::refused("until", Problem::BadFormat, "must be a date (YYYY-MM-DD)")
        })?;
        Validity::Until(date)
    } else {
        let days = number(form, "days")?;
        Validity::Days(u32::try_from(days).unwrap_or(u32::MAX))
    };
    Ok(VoucherRequest {
        batch: form.get("batch").trim().to_owned(),
        count,
        prefix: form.get("prefix").trim().to_owned(),
        length: number(form, "length")?,
        group: GroupName::try_new(form.get("group"))?,
        validity,
        created_by: c.operator.as_ref().map(|o| o.record.username.clone()),
    })
}

/// `POST /operator/vouchers`: generates a batch and answers with its sheet (`output` =
/// `page` or `pdf`).
#[handler]
pub(crate) async fn generate(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let c = Console::load(req, &web).await;
    let r = do_generate(&c, body).await;
    c.finish(r)
}

async fn do_generate(c: &Console, body: Body) -> Result<Response, Fail> {
    c.require(Permission::UsersRegistrant)?;
    c.require(Permission::RegistrantByNothing)?;
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let made = match request(c, &form) {
        Ok(r) => vouchers(c).generate(&r).await,
        Err(e) => Err(e),
    };
    let generated = match made {
        Ok(g) => g,
        Err(e) => {
            let alert = refusal(c, e)?;
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return list_page(c, status, Some(alert), &form).await;
        }
    };
    let target = AuditTarget {
        kind: "voucher_batch".to_owned(),
        id: generated.batch.name.clone(),
        label: generated.batch.name.clone(),
    };
    c.audit("voucher.generate", Some(target), generated.changes.clone())
        .await?;
    if form.get("output") == "pdf" {
        sheet_pdf(c, &generated).await
    } else {
        sheet_page(c, &generated).await
    }
}

async fn sheet_page(c: &Console, g: &Generated) -> Result<Response, Fail> {
    let cards: Vec<Value> = g
        .vouchers
        .iter()
        .map(|(u, p)| context! { username => u.clone(), password => p.clone() })
        .collect();
    let response = c.render(
        StatusCode::OK,
        "console/voucher_sheet.html",
        "console-vouchers-sheet-title",
        context! {
            batch => summary(c, &g.batch),
            cards,
            portal => portal(c).await,
        },
    )?;
    Ok(no_store(response))
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}

async fn sheet_pdf(c: &Console, g: &Generated) -> Result<Response, Fail> {
    let tr = &c.ctx.tr;
    let footer = format!(
        "{} · {}",
        portal(c).await,
        validity_text(c, g.batch.validity)
    );
    let tickets: Vec<Ticket> = g
        .vouchers
        .iter()
        .map(|(u, p)| Ticket {
            heading: g.batch.name.clone(),
            fields: vec![
                TicketField {
                    label: tr.t("field-username"),
                    value: u.clone(),
                    exact: true,
                },
                TicketField {
                    label: tr.t("field-password"),
                    value: p.clone(),
                    exact: true,
                },
            ],
            footer: footer.clone(),
        })
        .collect();
    let bytes = tickets_pdf(&g.batch.name, &tickets);
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, "application/pdf")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"vouchers-{}.pdf\"", g.batch.name),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(bytes))
}

/// `GET /operator/vouchers/:batch`: the batch and each voucher's state.
#[handler]
pub(crate) async fn show(req: &Request, web: Data<&Web>, name: Path<String>) -> Response {
    let c = Console::load(req, &web).await;
    let r = show_page(&c, &name).await;
    c.finish(r)
}

async fn show_page(c: &Console, name: &str) -> Result<Response, Fail> {
    c.require(Permission::UsersBrowser)?;
    let (batch, all) = match vouchers(c).show(name).await {
        Ok(found) => found,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(NOT_FOUND),
        Err(e) => return Err(e.into()),
    };
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
    };
    let rows: Vec<Value> = all
        .iter()
        .map(|v| {
            context! {
                username => v.username.clone(),
                state => c.ctx.tr.t(&format!("console-voucher-{}", v.state.as_str())),
                first_used => when(v.first_used),
                expires_at => when(v.expires_at),
            }
        })
        .collect();
    c.render(
        StatusCode::OK,
        "console/voucher_batch.html",
        "console-voucher-batch-title",
        context! { batch => summary(c, &batch), vouchers => rows },
    )
}
