//! The sign-up captcha: a PNG picture whose answer is kept in the session (never sent to
//! the browser) and is good for one sign-up attempt.

use captcha::Captcha;
use captcha::filters::{Noise, Wave};
use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{Request, Response, handler};

use super::{Ctx, Fail, NOT_FOUND, Web};
use crate::ratelimit::{Action, Subject};

/// Session-data key of the expected answer.
pub(crate) const ANSWER: &str = "captcha";

/// `GET /account/captcha.png`: a new picture (and a new answer) each time.
#[handler]
pub(crate) async fn image(req: &Request, web: Data<&Web>) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = new_image(&mut ctx).await;
    ctx.finish(r)
}

async fn new_image(ctx: &mut Ctx) -> Result<Response, Fail> {
    let enabled = owums_core::Settings::new(ctx.web.state.store.clone())
        .flag("captcha_enabled")
        .await?;
    if !enabled {
        return Err(NOT_FOUND);
    }
    // each picture keeps its answer in a session: bounded per client address
    ctx.web
        .limiter
        .attempt(Action::Captcha, &[Subject::Ip(ctx.ip)])
        .await?;
    let (answer, png) = tokio::task::spawn_blocking(|| {
        let mut c = Captcha::new();
        c.add_chars(5)
            .apply_filter(Noise::new(0.2))
            .apply_filter(Wave::new(2.0, 12.0))
            .view(220, 90);
        (c.chars_as_string(), c.as_png())
    })
    .await
    .map_err(|e| owums_core::Error::Internal(format!("captcha: {e}")))?;
    let png = png.ok_or_else(|| owums_core::Error::Internal("captcha: no picture".into()))?;
    let mut data = ctx.data();
    data[ANSWER] = serde_json::Value::String(answer);
    ctx.set_data(data).await?;
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "image/png")
        .body(png))
}

/// Whether `typed` is the session's answer (case-insensitive); the answer is used up either way.
pub(crate) async fn check(ctx: &mut Ctx, typed: &str) -> Result<bool, Fail> {
    let mut data = ctx.data();
    let expected = data.get(ANSWER).and_then(|v| v.as_str()).map(str::to_owned);
    if let Some(obj) = data.as_object_mut()
        && obj.remove(ANSWER).is_some()
    {
        ctx.set_data(data).await?;
    }
    Ok(expected.is_some_and(|e| !typed.is_empty() && e.eq_ignore_ascii_case(typed.trim())))
}
