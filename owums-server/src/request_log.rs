//! The request log: one span per request with its method and path, and one line with the
//! status and duration, like poem's `Tracing` — but secrets never reach it. A reset link
//! (`/account/reset/<token>`), a token-shaped path segment and the values of secret query
//! parameters are written as `[redacted]`, and control characters a client put in the URL
//! are escaped, so no request can forge a log line.

use std::time::Instant;

use poem::{IntoResponse, Request, Response};
use tracing::Instrument;

/// Query parameters whose values are secrets.
const SECRET_PARAMS: &[&str] = &["token", "ticket", "password", "secret", "code", "key"];

const REDACTED: &str = "[redacted]";

/// Whether a path segment looks like a secret: long and made of hex digits, dots and dashes
/// (reset tokens, `user.secret` recovery tokens).
fn secret_shaped(segment: &str) -> bool {
    segment.len() >= 32
        && segment.chars().filter(char::is_ascii_hexdigit).count() >= 32
        && segment
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == '.' || c == '-')
}

/// The URI of a request as the log shows it: secrets replaced, control characters escaped.
pub(crate) fn loggable_uri(path: &str, query: Option<&str>) -> String {
    let mut out = String::with_capacity(path.len() + 16);
    let mut after_reset = false;
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if (after_reset && segment != "phone" && !segment.is_empty()) || secret_shaped(segment) {
            out.push_str(REDACTED);
        } else {
            out.push_str(segment);
        }
        after_reset = segment == "reset";
    }
    if let Some(q) = query {
        out.push('?');
        for (i, pair) in q.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            let name = pair.split('=').next().unwrap_or_default();
            if SECRET_PARAMS.iter().any(|s| name.eq_ignore_ascii_case(s)) {
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
            } else {
                out.push_str(pair);
            }
        }
    }
    out.chars().flat_map(char::escape_debug).collect::<String>()
}

/// Logs `req` and its answer around `next`; with INFO off it costs nothing.
pub(crate) async fn log<F, Fut>(req: Request, next: F) -> poem::Result<Response>
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = poem::Result<Response>>,
{
    if !tracing::enabled!(tracing::Level::INFO) {
        return next(req).await;
    }
    let uri = loggable_uri(req.uri().path(), req.uri().query());
    let span = tracing::info_span!(
        "request",
        client = %crate::client::of(&req).ip,
        method = %req.method(),
        uri = %uri,
    );
    async move {
        let started = Instant::now();
        let resp = match next(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        tracing::info!(status = %resp.status(), duration = ?started.elapsed(), "response");
        Ok(resp)
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_leave_the_logged_uri() {
        let token = "ab".repeat(32);
        assert_eq!(
            loggable_uri(&format!("/account/reset/{token}"), None),
            "/account/reset/[redacted]"
        );
        assert_eq!(
            loggable_uri("/account/reset/phone/wait", Some("locale=it")),
            "/account/reset/phone/wait?locale=it"
        );
        let recovery = format!("0c4b1c0e-3b1d-4c6e-9a1f-2f0a8f1e9d10.{token}");
        assert_eq!(
            loggable_uri(
                &format!("/x/{recovery}"),
                Some("ticket=abc&locale=es&Token=z")
            ),
            "/x/[redacted]?ticket=[redacted]&locale=es&Token=[redacted]"
        );
        assert_eq!(loggable_uri("/account/login", None), "/account/login");
        assert_eq!(loggable_uri("/a\nINFO forged", None), "/a\\nINFO forged");
    }
}
