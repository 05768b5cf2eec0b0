//! The JSON API under `/api/v1` (poem-openapi): for subscribers, register, log in and out,
//! my profile, my sessions and usage, verification status, password reset; for operators
//! (with an operator API token: the `operator` module), subscribers, RADIUS groups and
//! items, and operators. Its OpenAPI document is at `/api/v1/openapi.json` with a browsable
//! page at `/api/v1/docs`, both served by owums.

mod document;
mod endpoints;
mod error;
pub(crate) mod input;
pub(crate) mod operator;
pub(crate) mod types;

use std::net::IpAddr;
use std::sync::Arc;

use owums_core::subscriber::{WebSessionKind, WebSessions};
use poem::http::{StatusCode, header};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route};
use poem_openapi::OpenApiService;

use crate::AppState;
use crate::i18n::{self, I18n, Translator};
use crate::ratelimit::RateLimiter;

pub(crate) use error::ApiError;

/// Largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What the API's handlers share.
#[derive(Debug)]
pub(crate) struct ApiInner {
    pub(crate) state: AppState,
    pub(crate) i18n: I18n,
    pub(crate) sessions: WebSessions,
    pub(crate) limiter: RateLimiter,
}

/// Shared API state; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Api(Arc<ApiInner>);

impl std::ops::Deref for Api {
    type Target = ApiInner;
    fn deref(&self) -> &ApiInner {
        &self.0
    }
}

impl Api {
    fn new(state: &AppState, limiter: RateLimiter) -> Api {
        let web = &state.config.web;
        let idle = chrono::Duration::minutes(
            i64::try_from(web.session_idle_minutes).unwrap_or(i64::MAX / 120_000),
        );
        Api(Arc::new(ApiInner {
            state: state.clone(),
            i18n: I18n::new().expect("the embedded messages parse (a unit test checks them)"),
            sessions: WebSessions::new(state.store.clone())
                .with_idle_timeout(WebSessionKind::Web, idle),
            limiter,
        }))
    }

    /// The language of `req` when nothing is stored: `?locale=`, `Accept-Language`, default.
    pub(crate) fn translator(&self, req: &Request, stored: Option<&str>) -> Translator {
        let query = i18n::query_locale(req);
        let accept = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let lang = i18n::choose(
            query.as_deref(),
            stored,
            accept,
            &self.state.config.web.default_locale,
        );
        self.i18n.translator(lang)
    }

    /// The client's address (through the trusted proxies).
    pub(crate) fn client_ip(&self, req: &Request) -> IpAddr {
        crate::client::of(req).ip
    }

    /// Whether the request came over HTTPS (directly or, when trusted, through a proxy).
    pub(crate) fn https(&self, req: &Request) -> bool {
        self.state.config.web.secure_cookies || crate::client::of(req).https
    }
}

/// Every operation of the document: the subscribers' and the operators'.
type Operations = (
    endpoints::Endpoints,
    operator::OperatorUsers,
    operator::OperatorGroups,
    operator::OperatorStaff,
);

fn service() -> OpenApiService<Operations, ()> {
    OpenApiService::new(
        (
            endpoints::Endpoints,
            operator::OperatorUsers,
            operator::OperatorGroups,
            operator::OperatorStaff,
        ),
        "owums API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Self-service for subscribers: register, log in (bearer token or session cookie), \
         profile, sessions, usage, verification status and password reset. For operators, \
         under `/operator/`: subscribers, RADIUS groups with their check and reply items, \
         and operators, called with an operator API token made in the console (each \
         operation names the permission it needs: 403 without it). Errors are \
         `{\"error\": {\"kind\", \"message\"}}`, the message in the language of `?locale=`, \
         else `Accept-Language`, else the server's default (en, it, es).",
    )
    .server("/api/v1")
}

/// The OpenAPI document of the API, as served at `/api/v1/openapi.json`.
pub fn openapi_document() -> String {
    document_of(&service())
}

fn document_of(service: &OpenApiService<Operations, ()>) -> String {
    serde_json::to_string_pretty(&document::finish(&service.spec()))
        .expect("a JSON value serializes")
}

/// The paths the API answers besides its operations (GET only).
const EXTRA_PATHS: [&str; 3] = ["/openapi.json", "/docs", "/docs/"];

/// The API's routes, to be nested at `/api/v1`.
pub(crate) fn routes(state: &AppState, limiter: RateLimiter) -> impl Endpoint + use<> {
    let api = Api::new(state, limiter);
    let service = service();
    let spec = document_of(&service);
    // The browsable page embeds the document: the exact one, not the generator's.
    let html = service.swagger_ui_html().replace(&service.spec(), &spec);
    let allow = Arc::new(document::AllowTable::new(
        &serde_json::from_str(&spec).expect("the document is JSON"),
        &EXTRA_PATHS,
    ));
    let json = move |_: Request| {
        Response::builder()
            .content_type("application/json")
            .body(spec.clone())
    };
    let html: Arc<str> = html.into();
    let page = move || {
        let html = html.clone();
        poem::get(poem::endpoint::make_sync(move |_| {
            poem::web::Html(html.to_string())
        }))
    };
    Route::new()
        .at("/openapi.json", poem::get(poem::endpoint::make_sync(json)))
        .at("/docs", page())
        .at("/docs/", page())
        .nest("/", service)
        .with(poem::middleware::CookieJarManager::new())
        .data(api.clone())
        .around(move |ep, req| {
            let (api, allow) = (api.clone(), allow.clone());
            async move { Ok(guard(&api, &allow, ep.as_ref(), req).await) }
        })
}

/// Limits the body size, and turns every error poem itself answers (malformed JSON, missing
/// fields, bad parameters, missing credentials, unknown routes) into the API's error shape.
async fn guard<E: Endpoint + ?Sized>(
    api: &Api,
    allow: &document::AllowTable,
    ep: &E,
    mut req: Request,
) -> Response {
    let tr = api.translator(&req, None);
    let path = req.uri().path().to_owned();
    let too_large = || {
        ApiError::with_message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            tr.t_with("api-too-large", (("bytes", MAX_BODY_BYTES.to_string()),)),
            None,
        )
        .into_response()
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return too_large();
    }
    match req.take_body().into_bytes_limit(MAX_BODY_BYTES).await {
        Ok(bytes) => {
            if let Some(field) = null_field(&req, &bytes) {
                let message = tr.t_with("api-field-null", (("field", field.clone()),));
                return ApiError::with_message(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    message,
                    Some(&field),
                )
                .into_response();
            }
            req.set_body(bytes)
        }
        Err(poem::error::ReadBodyError::PayloadTooLarge) => return too_large(),
        Err(_) => {
            return ApiError::new(&tr, StatusCode::BAD_REQUEST, "bad_request", "api-bad-body")
                .into_response();
        }
    }
    let resp = match ep.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    let resp = challenge(resp);
    let status = resp.status();
    let json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if (status.is_client_error() || status.is_server_error()) && !json {
        let (parts, body) = resp.into_parts();
        let detail = body.into_string().await.unwrap_or_default();
        let kind = error::kind_of_status(status);
        let id = match status.as_u16() {
            400 => "api-bad-request",
            401 => "api-unauthenticated",
            404 => "api-not-found",
            405 => "api-method-not-allowed",
            415 => "api-unsupported-media-type",
            _ => "error-internal",
        };
        if status.is_server_error() {
            tracing::error!(%status, %detail, "API request failed");
        }
        // poem names a query parameter it could not read: say which, and name it as `field`.
        let field = (status == StatusCode::BAD_REQUEST)
            .then(|| parameter_of(&detail))
            .flatten();
        let mut message = match field {
            Some(name) => tr.t_with("api-bad-parameter", (("field", name),)),
            None => tr.t(id),
        };
        if status == StatusCode::BAD_REQUEST && !detail.is_empty() {
            message = format!(
                "{message} ({})",
                detail.chars().take(300).collect::<String>()
            );
        }
        let mut out = ApiError::with_message(status, kind, message, field).into_response();
        out.set_status(status);
        if let Some(allow) = parts.headers.get(header::ALLOW) {
            out.headers_mut().insert(header::ALLOW, allow.clone());
        } else if status == StatusCode::METHOD_NOT_ALLOWED
            && let Some(methods) = allow.allow(&path)
            && let Ok(value) = header::HeaderValue::from_str(methods)
        {
            out.headers_mut().insert(header::ALLOW, value);
        }
        return challenge(out);
    }
    resp
}

/// A 401 says how to authenticate (RFC 6750): with a bearer token.
fn challenge(mut resp: Response) -> Response {
    if resp.status() == StatusCode::UNAUTHORIZED
        && !resp.headers().contains_key(header::WWW_AUTHENTICATE)
    {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"owums\""),
        );
    }
    resp
}

/// The first field of a JSON object body whose value is `null`: no field of the API takes
/// `null` (an optional field is left out), so a `null` is refused rather than read as
/// "absent" — a client that means "remove this" learns that it must send `""`.
fn null_field(req: &Request, body: &[u8]) -> Option<String> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json || !body.contains(&b'n') {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value
        .as_object()?
        .iter()
        .find(|(_, v)| v.is_null())
        .map(|(k, _)| k.chars().take(64).collect())
}

/// The parameter named by poem's "failed to parse parameter `page`: …".
fn parameter_of(detail: &str) -> Option<&str> {
    let rest = detail.strip_prefix("failed to parse parameter `")?;
    rest.split_once('`').map(|(name, _)| name)
}
