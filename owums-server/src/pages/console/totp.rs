//! `/operator/totp`: enrolling the second factor (a QR code drawn by owums, confirmed with a
//! code, ten recovery codes shown once).

use minijinja::context;
use owums_core::operator::{AuditTarget, Operators, otpauth_uri};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use super::{Console, Stage};
use crate::pages::context::redirect;
use crate::pages::{Fail, Form, Web};

/// The operator enrolling: logged in, or half-way because the factor is required.
fn enrolling(c: &Console) -> Result<owums_core::operator::OperatorRecord, Fail> {
    match &c.operator {
        Some(op) if op.stage == Stage::Enrol => Ok(op.record.clone()),
        _ => c.operator().map(|op| op.record.clone()),
    }
}

/// `GET /operator/totp`.
#[handler]
pub(crate) async fn show(req: &Request, web: Data<&Web>) -> Response {
    let c = Console::load(req, &web).await;
    let r = page(&c, StatusCode::OK, None).await;
    c.finish(r)
}

async fn page(c: &Console, status: StatusCode, alert: Option<String>) -> Result<Response, Fail> {
    let op = enrolling(c)?;
    let ops = Operators::new(c.ctx.web.state.store.clone());
    if op.totp_enabled {
        let left = ops.recovery_codes_left(op.id).await?;
        return c.render(
            status,
            "console/totp.html",
            "console-totp-title",
            context! { enrolled => true, left },
        );
    }
    let secret = match ops.pending_totp(op.id).await? {
        Some(s) => s,
        None => ops.begin_totp(op.id).await?,
    };
    let uri = otpauth_uri(&c.ctx.tr.t("site-name"), &op.username, &secret);
    let qr = qr_svg(&uri)?;
    c.render(
        status,
        "console/totp.html",
        "console-totp-title",
        context! { enrolled => false, secret, qr => minijinja::Value::from_safe_string(qr), alert },
    )
}

/// `text` as a QR code, drawn as an SVG path (one unit a module, a 4-module quiet zone).
fn qr_svg(text: &str) -> Result<String, Fail> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| Fail::Core(owums_core::Error::Internal(format!("QR code: {e}"))))?;
    let width = code.width();
    let mut path = String::new();
    for y in 0..width {
        for x in 0..width {
            if code[(x, y)] == qrcode::Color::Dark {
                path.push_str(&format!("M{} {}h1v1h-1z", x + 4, y + 4));
            }
        }
    }
    let size = width + 8;
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="240" height="240" role="img" aria-labelledby="qr-label" shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

/// `POST /operator/totp`: `code`.
#[handler]
pub(crate) async fn confirm(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let mut c = Console::load(req, &web).await;
    let r = enrol(&mut c, body).await;
    c.finish(r)
}

async fn enrol(c: &mut Console, body: Body) -> Result<Response, Fail> {
    let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
    c.check_csrf(&form)?;
    let op = enrolling(c)?;
    if op.totp_enabled {
        return Ok(redirect("/operator/totp"));
    }
    let ops = Operators::new(c.ctx.web.state.store.clone());
    match ops.confirm_totp(op.id, form.get("code"), c.now()).await {
        Ok((codes, changes)) => {
            if c.operator.as_ref().is_some_and(|o| o.stage == Stage::Enrol) {
                ops.record_login(op.id, &c.ctx.ip.to_string()).await?;
                c.advance(Stage::Ready).await?;
            }
            c.audit(
                "operator.totp_enrol",
                Some(AuditTarget::operator(&op)),
                changes,
            )
            .await?;
            c.render(
                StatusCode::OK,
                "console/recovery_codes.html",
                "console-recovery-title",
                context! { codes },
            )
        }
        Err(e) if e.kind() == owums_core::ErrorKind::Invalid => {
            let alert = c.ctx.tr.t("console-code-failed");
            page(c, StatusCode::UNPROCESSABLE_ENTITY, Some(alert)).await
        }
        Err(e) => Err(e.into()),
    }
}
