//! HTTP routes a plugin contributes: framework-neutral handlers (`http` types) that the
//! host mounts under `/plugins/<id>/` and adapts to its web framework.
//!
//! A request reaches the handler as a [`PluginRequest`]: the `http` request (body read
//! up to the host's limit), the path below the plugin's prefix, the language of the person
//! sending it, their address, and the logged-in subscriber when the request came from the
//! host's own pages. The handler answers a [`PluginResponse`]: the `http` response and,
//! optionally, an [`Outcome`]. The host applies that outcome (the core decides what it
//! means, in one transaction) *before* it sends the response, so a page answering "you are
//! verified" is only shown once it is true. If applying fails, the person gets the host's
//! error page instead of the plugin's response.
//!
//! A handler that returns an error gets the host's translated error page, through the
//! host's one error map: a 4xx for the kinds that are the client's doing
//! ([`ErrorKind::Invalid`](crate::ErrorKind::Invalid), `NotFound`, `Unauthorized`,
//! `Conflict`), a 5xx for the rest, whose cause is logged and never shown. A path under
//! `/plugins/<id>/` that no route of the plugin has is the host's translated 404.

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::Result;
use crate::plugin::verifier::Outcome;
use crate::subscriber::user::UserRecord;

/// One request to a plugin route.
#[derive(Debug)]
#[non_exhaustive]
pub struct PluginRequest {
    /// The request as received (its URI is the full one, `/plugins/<id>/…?…`); the body is
    /// complete, at most the host's limit (`[web] max_form_bytes`).
    pub http: http::Request<Bytes>,
    /// The path below the plugin's prefix, e.g. `/callback`.
    pub path: String,
    /// The language of the person (`en`, `it`, `es`): the host's choice from the
    /// `?locale=` parameter, the locale cookie and session, and `Accept-Language`.
    pub locale: String,
    /// The client's address (through the host's trusted proxies).
    pub client: IpAddr,
    /// The logged-in subscriber, when the request carries a session and came from the
    /// host's own site (a cross-site request never gets one: a form posted from elsewhere
    /// cannot act for the person).
    pub user: Option<UserRecord>,
}

impl PluginRequest {
    /// A request as the host builds it (tests of a plugin build them the same way).
    pub fn new(http: http::Request<Bytes>, path: &str, locale: &str, client: IpAddr) -> Self {
        PluginRequest {
            http,
            path: path.to_owned(),
            locale: locale.to_owned(),
            client,
            user: None,
        }
    }

    /// The same request, sent by the logged-in `user`.
    pub fn with_user(mut self, user: UserRecord) -> Self {
        self.user = Some(user);
        self
    }

    /// The value of query parameter `name` (percent-decoded), if present.
    pub fn query(&self, name: &str) -> Option<String> {
        form_value(self.http.uri().query()?, name)
    }

    /// The value of field `name` of an `application/x-www-form-urlencoded` body.
    pub fn form(&self, name: &str) -> Option<String> {
        form_value(std::str::from_utf8(self.http.body()).ok()?, name)
    }
}

/// The value of `name` in `a=1&b=2` (with `+` and `%XX` decoded).
fn form_value(encoded: &str, name: &str) -> Option<String> {
    encoded.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k)? == name).then(|| decode(v)).flatten()
    })
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// What a plugin route answers: the response, and what the request proved.
#[derive(Debug)]
pub struct PluginResponse {
    /// The response sent to the client (after `outcome` was applied).
    pub http: http::Response<Bytes>,
    /// What the request proved; applied by the host before the response is sent.
    pub outcome: Option<Outcome>,
}

impl PluginResponse {
    /// `response`, proving nothing.
    pub fn new(http: http::Response<Bytes>) -> Self {
        PluginResponse {
            http,
            outcome: None,
        }
    }

    /// A `text/plain` answer with `status`.
    pub fn text(status: http::StatusCode, body: impl Into<String>) -> Self {
        Self::with_type(status, "text/plain; charset=utf-8", body.into())
    }

    /// A `text/html` answer with `status` (the plugin escapes what it puts in it).
    pub fn html(status: http::StatusCode, body: impl Into<String>) -> Self {
        Self::with_type(status, "text/html; charset=utf-8", body.into())
    }

    /// A 303 redirect to `location` (a path of the host, like `/account`, or a URL).
    pub fn redirect(location: &str) -> Self {
        let mut http = http::Response::new(Bytes::new());
        *http.status_mut() = http::StatusCode::SEE_OTHER;
        if let Ok(v) = http::HeaderValue::from_str(location) {
            http.headers_mut().insert(http::header::LOCATION, v);
        }
        Self::new(http)
    }

    fn with_type(status: http::StatusCode, content_type: &'static str, body: String) -> Self {
        let mut http = http::Response::new(Bytes::from(body));
        *http.status_mut() = status;
        http.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(content_type),
        );
        Self::new(http)
    }

    /// The same answer, reporting `outcome` (the host applies it before answering).
    pub fn with_outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = Some(outcome);
        self
    }
}

/// A framework-neutral HTTP handler a plugin contributes; the server adapts it.
///
/// Any `async` closure `Fn(PluginRequest) -> Result<PluginResponse>` is one:
///
/// ```
/// use owums_core::{PluginRequest, PluginResponse, PluginRoute};
/// let route = PluginRoute::new(http::Method::GET, "/hello", |req: PluginRequest| async move {
///     Ok(PluginResponse::text(http::StatusCode::OK, format!("hello ({})", req.locale)))
/// });
/// assert_eq!(route.path, "/hello");
/// ```
#[async_trait::async_trait]
pub trait PluginHandler: Send + Sync + 'static {
    /// Handles one request.
    ///
    /// # Errors
    ///
    /// Any [`Error`](crate::Error): the host answers its translated error page with the
    /// status of the error's kind, without the error's text.
    async fn call(&self, request: PluginRequest) -> Result<PluginResponse>;
}

#[async_trait::async_trait]
impl<F, Fut> PluginHandler for F
where
    F: Fn(PluginRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<PluginResponse>> + Send + 'static,
{
    async fn call(&self, request: PluginRequest) -> Result<PluginResponse> {
        self(request).await
    }
}

/// A route a plugin contributes, mounted under `/plugins/<id>/`.
#[derive(Clone)]
pub struct PluginRoute {
    /// HTTP method.
    pub method: http::Method,
    /// Path below the plugin's prefix, e.g. `/callback` (matched exactly; read parameters
    /// from the query or the body).
    pub path: String,
    /// The handler.
    pub handler: Arc<dyn PluginHandler>,
}

impl PluginRoute {
    /// A route answering `method` requests to `/plugins/<id><path>` with `handler`.
    pub fn new(method: http::Method, path: &str, handler: impl PluginHandler) -> Self {
        PluginRoute {
            method,
            path: path.to_owned(),
            handler: Arc::new(handler),
        }
    }
}

impl fmt::Debug for PluginRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginRoute")
            .field("method", &self.method)
            .field("path", &self.path)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn query_and_form_values_are_decoded() {
        let http = http::Request::builder()
            .uri("/plugins/x/cb?token=a%2Fb+c&empty=&flag")
            .body(Bytes::from_static(b"code=12+34&name=J%C3%BCrgen"))
            .unwrap();
        let req = PluginRequest::new(http, "/cb", "it", "127.0.0.1".parse().unwrap());
        assert_eq!(req.query("token").as_deref(), Some("a/b c"));
        assert_eq!(req.query("empty").as_deref(), Some(""));
        assert_eq!(req.query("flag").as_deref(), Some(""));
        assert_eq!(req.query("missing"), None);
        assert_eq!(req.form("code").as_deref(), Some("12 34"));
        assert_eq!(req.form("name").as_deref(), Some("Jürgen"));
    }

    #[test]
    fn broken_percent_escapes_are_no_value() {
        assert_eq!(form_value("a=%zz", "a"), None);
        assert_eq!(form_value("a=%4", "a"), None);
        assert_eq!(form_value("a=%C3", "a"), None);
    }
}
