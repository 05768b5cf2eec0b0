//! The verification page (what the user's verifier asks for, followed live) and
//! `/account/status.json` (OWUMS' shape).

use minijinja::context;
use owums_core::{Challenge, FormFieldKind, UserStatus};
use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Request, Response, handler};
use serde_json::json;

use super::context::redirect;
use super::format::{ShownPhone, shown_phone};
use super::{Ctx, Fail, Web};

/// `MM:SS`.
fn mm_ss(seconds: i64) -> String {
    format!("{:02}:{:02}", seconds / 60, seconds % 60)
}

/// `GET /account/verification`.
#[handler]
pub(crate) async fn page(req: &Request, web: Data<&Web>) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let expired = req.uri().query().is_some_and(|q| q.contains("expired=1"));
    let r = show(&mut ctx, expired).await;
    ctx.finish(r)
}

async fn show(ctx: &mut Ctx, expired: bool) -> Result<Response, Fail> {
    let Some(user) = ctx.user.clone() else {
        if expired {
            return ctx.message(
                StatusCode::GONE,
                "verify-title",
                "verify-expired",
                Some(("/account/signup", "nav-signup")),
            );
        }
        return Err(Fail::Redirect("/account/login".to_owned()));
    };
    if user.status() == UserStatus::Verified {
        return Ok(redirect("/account"));
    }
    let registrations = ctx.web.state.registrations.clone();
    let lang = ctx.tr.lang();
    let mut view = registrations.view(&user, lang).await?;
    let now = chrono::Utc::now();
    if view.is_expired(now) {
        return ctx.message(
            StatusCode::GONE,
            "verify-title",
            "verify-expired",
            Some(("/account/signup", "nav-signup")),
        );
    }
    let verifier = registrations
        .offered()
        .find(|v| v.id() == user.verification_method)
        .cloned();
    let Some(verifier) = verifier else {
        return ctx.message(
            StatusCode::OK,
            "verify-title",
            "account-no-verification",
            None,
        );
    };
    if !view.started {
        // The start at registration failed (or the account predates it): try once more.
        match registrations.start(&user, lang).await {
            Ok(v) => view = v,
            Err(e) => {
                tracing::warn!(error = %e, user = %user.username, "verification did not start");
            }
        }
    }
    let Some(challenge) = view.challenge.clone() else {
        return ctx.message(
            StatusCode::SERVICE_UNAVAILABLE,
            "verify-title",
            "verify-start-failed",
            None,
        );
    };
    let remaining = view.seconds_left(now).map(mm_ss).unwrap_or_default();
    let id = verifier.id();
    let text = |s: String| plugin_text(ctx, id, s);
    // a form on the page only ever posts to the method's own routes
    let own = |action: &str| action.starts_with(&format!("/plugins/{id}/"));
    let values = match challenge {
        Challenge::CallNumber {
            numbers,
            from,
            note,
            ..
        } => {
            let (numbers, from) = shown_numbers(&numbers, from.as_deref(), verifier.country_code());
            context! { kind => "call", numbers, from, note => note.map(text), remaining }
        }
        Challenge::Redirect { url } => context! { kind => "redirect", url, remaining },
        Challenge::EnterCode { action, label } if own(&action) => {
            let label = label.map_or_else(|| ctx.tr.t("verify-code-label"), text);
            context! { kind => "code", action, label, remaining }
        }
        // files only on operator forms: this page posts no multipart bodies
        Challenge::Form { action, fields }
            if own(&action) && fields.iter().all(|f| f.kind != FormFieldKind::File) =>
        {
            let fields: Vec<_> = fields
                .into_iter()
                .map(|f| {
                    let choices: Vec<_> = f
                        .choices
                        .into_iter()
                        .map(|c| context! { value => c.value, label => text(c.label) })
                        .collect();
                    context! {
                        name => f.name,
                        label => text(f.label),
                        input_type => f.kind.input_type(),
                        required => f.required,
                        choices,
                    }
                })
                .collect();
            context! { kind => "form", action, fields, remaining }
        }
        Challenge::WaitForOperator { note } => {
            context! { kind => "operator", note => note.map(text), remaining }
        }
        Challenge::Message { text: message } => {
            context! { kind => "message", text => text(message), remaining }
        }
        Challenge::Done => return Ok(redirect("/account")),
        other => {
            tracing::warn!(method = id, challenge = ?other, "a challenge the page cannot show");
            return ctx.message(
                StatusCode::SERVICE_UNAVAILABLE,
                "verify-title",
                "verify-start-failed",
                None,
            );
        }
    };
    ctx.render(StatusCode::OK, "verification.html", "verify-title", values)
}

/// A text of a challenge as shown: one of the method's own page strings (`<id>-…`)
/// translated, anything else as it is.
fn plugin_text(ctx: &Ctx, id: &str, text: String) -> String {
    if text.starts_with(&format!("{id}-")) && ctx.tr.has(&text) {
        ctx.tr.t(&text)
    } else {
        text
    }
}

/// The numbers to call and the number to call from, for the page: grouped for reading, E.164
/// in `tel:` links (national numbers read with `country_code`).
pub(crate) fn shown_numbers(
    numbers: &[String],
    from: Option<&str>,
    country_code: Option<&str>,
) -> (Vec<ShownPhone>, Option<ShownPhone>) {
    (
        numbers
            .iter()
            .map(|n| shown_phone(n, country_code))
            .collect(),
        from.filter(|f| !f.is_empty())
            .map(|f| shown_phone(f, country_code)),
    )
}

/// `GET /account/status.json`: `{"is_verified", "is_expired", "remaining_time": "MM:SS" | 0}`;
/// without a logged-in account (e.g. removed when it expired) it is expired.
#[handler]
pub(crate) async fn status(req: &Request, web: Data<&Web>) -> Response {
    let ctx = Ctx::load(req, &web).await;
    let body = match &ctx.user {
        None => json!({ "is_verified": false, "is_expired": true, "remaining_time": 0 }),
        Some(user) => {
            let left = ctx
                .web
                .state
                .registrations
                .deadline(user)
                .map(|d| (d - chrono::Utc::now()).num_seconds());
            let remaining = match left {
                Some(s) if s > 0 => json!(mm_ss(s)),
                _ => json!(0),
            };
            json!({
                "is_verified": user.verified,
                "is_expired": left.is_some_and(|s| s <= 0),
                "remaining_time": remaining,
            })
        }
    };
    ctx.finish(Ok(Json(body).into_response()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn minutes_and_seconds() {
        assert_eq!(super::mm_ss(299), "04:59");
        assert_eq!(super::mm_ss(5), "00:05");
        assert_eq!(super::mm_ss(600), "10:00");
    }
}
