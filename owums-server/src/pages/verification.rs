//! The verification page (what the user's verifier asks for, followed live) and
//! `/account/status.json` (OWUMS' shape).

use minijinja::context;
use owums_core::{Challenge, UserStatus};
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
    let mut view = registrations.view(&user).await?;
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
        match registrations.start(&user).await {
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
    let values = match challenge {
        Challenge::CallNumber { numbers, from, .. } => {
            let (numbers, from) = shown_numbers(&numbers, from.as_deref(), verifier.country_code());
            context! { kind => "call", numbers, from, remaining }
        }
        Challenge::Redirect { url } => context! { kind => "redirect", url, remaining },
        Challenge::Message { text } => context! { kind => "message", text, remaining },
        _ => return Ok(redirect("/account")),
    };
    ctx.render(StatusCode::OK, "verification.html", "verify-title", values)
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
