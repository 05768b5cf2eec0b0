//! Security headers on every answer of the server — pages, 404s, the JSON API and its
//! document viewer, assets, `/healthz` and the FreeRADIUS endpoints — whoever produced it.
//! A handler that sets one of them (the pages set a stricter CSP) keeps its own.

use poem::http::{HeaderMap, HeaderValue, header};
use poem::{IntoResponse, Request, Response};

/// What may run or load on an answer that is not a page: nothing, and no framing.
const CSP_NONE: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The API's document viewer (`/api/v1/docs`) ships its script and style inline.
const CSP_DOCS: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; \
     base-uri 'none'";

/// One year, as browsers' preload lists expect.
const HSTS: &str = "max-age=31536000";

fn set_default(headers: &mut HeaderMap, name: header::HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// Runs `next` on `req` and adds the security headers its answer lacks.
pub(crate) async fn secure<F, Fut>(req: Request, next: F) -> poem::Result<Response>
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = poem::Result<Response>>,
{
    // directly, or as a trusted proxy says
    let https = crate::client::of(&req).https;
    let path = req.uri().path();
    let docs = path.starts_with("/api/v1/docs");
    let api = path == "/api" || path.starts_with("/api/");
    let mut resp = match next(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    let headers = resp.headers_mut();
    set_default(
        headers,
        header::CONTENT_SECURITY_POLICY,
        if docs { CSP_DOCS } else { CSP_NONE },
    );
    set_default(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_default(headers, header::REFERRER_POLICY, "same-origin");
    if api {
        // tokens, personal data and reset links: nothing of the API is kept by caches
        set_default(headers, header::CACHE_CONTROL, "no-store");
    }
    if https {
        set_default(headers, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    Ok(resp)
}
