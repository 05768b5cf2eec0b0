//! `/operator/users/import`: the batch import of a CSV file from the console, the same
//! service as `owums user import` ([`UserAdmin::import`]) with the operator's permissions
//! (users_registrant and registrant_by_nothing; the `groups`, `verified` and `active`
//! columns also need users_manager). The answer is the report: how many rows were stored,
//! every refused row with its line and reason in the operator's language, and the
//! passwords owums generated, shown once.

use minijinja::{Value, context};
use owums_core::FieldError;
use owums_core::operator::{AuditTarget, Changes, Permission};
use owums_core::subscriber::{ImportOptions, MAX_IMPORT_BYTES};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use super::Console;
use super::groups::refusal;
use super::upload::{Posted, read_posted};
use super::users::admin;
use crate::pages::{Fail, Web};

/// Room for the other fields and the multipart framing next to the file.
const FRAMING: usize = 64 * 1024;

/// `GET /operator/users/import`.
#[handler]
pub(crate) async fn show(req: &Request, web: Data<&Web>) -> Response {
    let c = Console::load(req, &web).await;
    let r = form_page(&c, StatusCode::OK, None);
    c.finish(r)
}

fn form_page(c: &Console, status: StatusCode, alert: Option<String>) -> Result<Response, Fail> {
    c.require(Permission::UsersRegistrant)?;
    c.require(Permission::RegistrantByNothing)?;
    c.render(
        status,
        "console/user_import.html",
        "console-import-title",
        context! {
            columns => owums_core::subscriber::IMPORT_COLUMNS.join(", "),
            max_mb => MAX_IMPORT_BYTES / (1024 * 1024),
            max_rows => owums_core::subscriber::MAX_IMPORT_ROWS,
            alert,
        },
    )
}

/// `POST /operator/users/import`: `file` (multipart), `dry_run`, `weak_password_ok`.
#[handler]
pub(crate) async fn upload(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let c = Console::load(req, &web).await;
    let r = do_upload(&c, req, body).await;
    c.finish(r)
}

async fn do_upload(c: &Console, req: &Request, body: Body) -> Result<Response, Fail> {
    c.require(Permission::UsersRegistrant)?;
    let op = c.require(Permission::RegistrantByNothing)?.record.clone();
    let Posted { form, files } = read_posted(c, req, body, MAX_IMPORT_BYTES + FRAMING).await?;
    c.check_csrf(&form)?;
    let Some(file) = files
        .iter()
        .find(|f| f.name == "file" && !f.bytes.is_empty())
    else {
        let alert = c.ctx.tr.t("console-import-no-file");
        return form_page(c, StatusCode::UNPROCESSABLE_ENTITY, Some(alert));
    };
    let options = ImportOptions {
        dry_run: form.checked("dry_run"),
        weak_passwords_ok: form.checked("weak_password_ok"),
    };
    let report = match admin(c).import(&op.permissions, &file.bytes, options).await {
        Ok(r) => r,
        Err(e) => {
            let alert = refusal(c, e)?;
            return form_page(c, StatusCode::UNPROCESSABLE_ENTITY, Some(alert));
        }
    };
    if report.imported > 0 {
        let mut changes = Changes::default();
        changes.created("rows", &report.rows);
        changes.created("imported", &report.imported);
        changes.created("refused", &report.rejected_lines().len());
        let target = AuditTarget {
            kind: "import".to_owned(),
            id: String::new(),
            label: format!("{} rows", report.rows),
        };
        c.audit("user.import", Some(target), changes).await?;
    }
    let tr = &c.ctx.tr;
    let rejected: Vec<Value> = report
        .rejected
        .iter()
        .map(|r| {
            let reason = crate::error::field_message(
                tr,
                &FieldError::new(r.field, r.problem, r.reason.clone()),
            );
            context! { line => r.line, field => r.field, reason }
        })
        .collect();
    let generated: Vec<Value> = report
        .generated
        .iter()
        .map(|g| context! { line => g.line, username => g.username.clone(), password => g.password.clone() })
        .collect();
    let mut response = c.render(
        StatusCode::OK,
        "console/user_import_report.html",
        "console-import-report-title",
        context! {
            rows => report.rows,
            imported => report.imported,
            valid => report.valid,
            refused => report.rejected_lines().len(),
            dry_run => report.dry_run,
            rejected,
            generated,
            csv => (!report.generated.is_empty()).then(|| report.passwords_csv()),
        },
    )?;
    response.headers_mut().insert(
        poem::http::header::CACHE_CONTROL,
        poem::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}
