//! Plugin routes: every enabled verifier's [`routes`](owums_core::Verifier::routes), served
//! under `/plugins/<id>/…` through poem.
//!
//! The adapter is the only place where a plugin's framework-neutral handler meets poem. A
//! request is matched on the plugin id, then its exact path and method; its body is read up
//! to `[web] max_form_bytes` (a larger one is a translated 413 before the plugin sees it);
//! the handler gets the language, client address and (same-site requests only) logged-in
//! subscriber the pages would have. What the handler answers is sent back with the pages'
//! cookies and security headers; the outcome it reports is applied by the core first (a
//! failure there is the error page, never the plugin's "done"). A handler's error goes
//! through the server's one error map: translated, a 5xx logged with its cause and shown
//! as a generic message.

use std::collections::HashMap;
use std::sync::Arc;

use owums_core::{OutcomeHandler, PluginRequest, PluginRoute};
use poem::http::StatusCode;
use poem::{Body, Endpoint, Request, Response};

use crate::pages::{Ctx, Fail, Web};

/// The mounted routes of every enabled plugin.
#[derive(Clone)]
pub(crate) struct PluginRoutes {
    web: Web,
    routes: Arc<HashMap<&'static str, Vec<PluginRoute>>>,
}

impl PluginRoutes {
    /// The routes of the enabled verifiers of `web`'s state.
    pub(crate) fn new(web: Web) -> Self {
        let routes = web
            .state
            .verifiers
            .iter()
            .map(|v| (v.id(), v.routes()))
            .filter(|(_, r)| !r.is_empty())
            .collect();
        PluginRoutes {
            web,
            routes: Arc::new(routes),
        }
    }

    async fn answer(&self, mut req: Request) -> poem::Result<Response> {
        // nested under `/plugins`: the path here is `/<id>/<rest>`
        let path = req.uri().path().to_owned();
        let (id, rest) = path.trim_start_matches('/').split_once('/').map_or(
            (path.trim_start_matches('/'), String::from("/")),
            |(i, r)| (i, format!("/{r}")),
        );
        let Some((id, routes)) = self.routes.get_key_value(id) else {
            return Err(poem::error::NotFoundError.into());
        };
        let candidates: Vec<_> = routes.iter().filter(|r| r.path == rest).collect();
        if candidates.is_empty() {
            return Err(poem::error::NotFoundError.into());
        }
        let ctx = Ctx::load(&req, &self.web).await;
        let Some(route) = candidates
            .into_iter()
            .find(|r| r.method.as_str() == req.method().as_str())
        else {
            return Ok(ctx.finish(Err(Fail::Status(
                StatusCode::METHOD_NOT_ALLOWED,
                "error-not-found",
            ))));
        };
        let limit = self.web.config.max_form_bytes;
        let body = match req.take_body().into_bytes_limit(limit).await {
            Ok(b) => b,
            Err(poem::error::ReadBodyError::PayloadTooLarge) => {
                return Ok(ctx.finish(Err(Fail::Status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "error-too-large",
                ))));
            }
            Err(_) => {
                return Ok(ctx.finish(Err(Fail::Status(
                    StatusCode::BAD_REQUEST,
                    "error-bad-encoding",
                ))));
            }
        };
        let mut http = poem::http::Request::new(body);
        *http.method_mut() = req.method().clone();
        // the full URI as the client sent it (nesting stripped `/plugins`)
        let full = req
            .uri()
            .path_and_query()
            .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
        if let Ok(uri) = format!("/plugins{full}").parse() {
            *http.uri_mut() = uri;
        }
        *http.headers_mut() = req.headers().clone();
        let mut request = PluginRequest::new(http, &rest, ctx.tr.lang(), ctx.ip);
        if !ctx.is_cross_site()
            && let Some(user) = ctx.user.clone()
        {
            request = request.with_user(user);
        }
        let answered = match route.handler.call(request).await {
            Ok(a) => a,
            Err(e) => return Ok(ctx.finish(Err(Fail::Core(e)))),
        };
        if let Some(outcome) = answered.outcome
            && let Err(e) = self.web.state.subscribers.apply(id, outcome).await
        {
            return Ok(ctx.finish(Err(Fail::Core(e))));
        }
        let (parts, body) = answered.http.into_parts();
        let mut response = Response::builder()
            .status(parts.status)
            .version(parts.version)
            .body(Body::from(body));
        *response.headers_mut() = parts.headers;
        Ok(ctx.finish(Ok(response)))
    }
}

impl Endpoint for PluginRoutes {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        self.answer(req).await
    }
}
