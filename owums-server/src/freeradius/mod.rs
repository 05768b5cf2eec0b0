//! The REST API FreeRADIUS' `rlm_rest` calls (`POST /api/v1/freeradius/authorize/`,
//! `/postauth/`, `/accounting/`), answering as openwisp-radius does so that its documented
//! FreeRADIUS configuration works unchanged. On only when `freeradius.token` is set; every
//! request must come from `freeradius.allowed_hosts` with `Authorization: Bearer <token>`.

pub(crate) mod accounting;
mod authorize;
pub(crate) mod parse;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use owums_core::accounting::AccountingPipeline;
use owums_core::config::IpNet;
use owums_core::radius::AuthorizeCache;
use owums_core::radius::Authorizer;
use owums_core::radius::WrongPasswords;
use owums_core::radius::default_counters;
use owums_core::{AccountingSink, SqlAccountingSink, Store};
use poem::http::StatusCode;
use poem::{Body, Endpoint, EndpointExt, Request, Response, Route, post};
use subtle::ConstantTimeEq;

use crate::AppState;
use parse::Fields;

/// Largest request body accepted (rlm_rest sends well under 4 KiB).
const BODY_LIMIT: usize = 64 * 1024;
/// Wrong passwords noted for post-auth (`freeradius.postauth_keep_wrong_passwords`), and for
/// how long: FreeRADIUS' post-auth follows its authorize within the same request.
const WRONG_PASSWORD_NOTES: usize = 10_000;
const WRONG_PASSWORD_TTL: Duration = Duration::from_secs(60);

/// What the FreeRADIUS handlers share.
#[derive(Clone)]
pub(crate) struct FreeradiusApi {
    token: Arc<str>,
    networks: Arc<[IpNet]>,
    authorize_reject: bool,
    authorizer: Authorizer,
    /// What authorize found wrong; off unless `postauth_keep_wrong_passwords`.
    wrong_passwords: Arc<WrongPasswords>,
    accounting: Arc<dyn AccountingSink>,
    store: Store,
    /// FreeRADIUS logs our error messages: they are in English.
    english: crate::i18n::Translator,
}

impl FreeradiusApi {
    /// The API for `state`, or `None` when `freeradius.token` is empty.
    pub(crate) fn new(state: &AppState) -> anyhow::Result<Option<FreeradiusApi>> {
        let config = &state.config.freeradius;
        if !config.enabled() {
            return Ok(None);
        }
        let wrong_passwords = Arc::new(if config.postauth_keep_wrong_passwords {
            WrongPasswords::new(WRONG_PASSWORD_NOTES, WRONG_PASSWORD_TTL)
        } else {
            WrongPasswords::off()
        });
        let authorizer = Authorizer::new(
            state.store.clone(),
            state.subscribers.credential_cache().clone(),
            default_counters(&config.traffic_reply_attribute),
            config.mac_roaming,
        )
        .with_reads_cache(AuthorizeCache::new(
            config.authorize_cache_size,
            Duration::from_millis(config.authorize_cache_ms),
        ))
        .noting_wrong_passwords(wrong_passwords.clone());
        let authorizer = match &state.devices {
            Some(devices) => authorizer.with_devices(devices.clone()),
            None => authorizer,
        };
        let primary =
            Arc::new(SqlAccountingSink::new(state.store.clone()).closing_older_sessions());
        let accounting = AccountingPipeline::with_sinks(
            primary,
            &state.accounting_sinks,
            &state.config.accounting,
        );
        Ok(Some(FreeradiusApi {
            token: config.token.as_str().into(),
            networks: config.allowed_networks()?.into(),
            authorize_reject: config.authorize_reject,
            authorizer,
            wrong_passwords,
            accounting: Arc::new(accounting),
            store: state.store.clone(),
            english: crate::i18n::I18n::new()?.translator("en"),
        }))
    }

    /// The routes, to nest under `/api/v1/freeradius`.
    pub(crate) fn routes(self) -> impl Endpoint {
        Route::new()
            .at("/authorize/", post(authorize::authorize))
            .at("/authorize", post(authorize::authorize))
            .at("/postauth/", post(authorize::postauth))
            .at("/postauth", post(authorize::postauth))
            .at("/accounting/", post(accounting::accounting))
            .at("/accounting", post(accounting::accounting))
            .data(self)
    }

    /// `Ok` when the request comes from an allowed address with the token.
    fn check_access(&self, req: &Request) -> Result<(), Box<Response>> {
        let ip = req.remote_addr().as_socket_addr().map(|a| a.ip());
        if !ip.is_some_and(|ip: IpAddr| self.networks.iter().any(|n| n.contains(ip))) {
            return Err(Box::new(error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this address may not use the FreeRADIUS API",
            )));
        }
        let header = req
            .headers()
            .get(poem::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        // `Bearer <token>` or openwisp-radius' `Bearer <organization-uuid> <token>`
        let given = header
            .strip_prefix("Bearer ")
            .and_then(|rest| rest.split_whitespace().last())
            .unwrap_or_default();
        if bool::from(given.as_bytes().ct_eq(self.token.as_bytes())) {
            Ok(())
        } else {
            Err(Box::new(error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "missing or wrong FreeRADIUS API token",
            )))
        }
    }

    /// Checks access and reads the body's fields.
    async fn fields(&self, req: &Request, body: Body) -> Result<Fields, Box<Response>> {
        self.check_access(req)?;
        let bytes = body.into_bytes_limit(BODY_LIMIT).await.map_err(|e| {
            Box::new(match e {
                poem::error::ReadBodyError::PayloadTooLarge => error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    &format!("the body is larger than {BODY_LIMIT} bytes"),
                ),
                e => error(
                    StatusCode::BAD_REQUEST,
                    "invalid",
                    &format!("cannot read the body: {e}"),
                ),
            })
        })?;
        Fields::parse(&bytes).map_err(|m| Box::new(error(StatusCode::BAD_REQUEST, "invalid", &m)))
    }
}

/// A JSON error `{"error": {"kind": ..., "message": ...}}`.
pub(crate) fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    json(
        status,
        &serde_json::json!({ "error": { "kind": kind, "message": message } }),
    )
}

/// A 400 `invalid` for input the core refused ([`owums_core::Error::Invalid`]), naming the
/// field as the request names it (openwisp-radius' field names).
pub(crate) fn refused(e: &owums_core::Error) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid", &refusal(e))
}

/// The message of [`refused`]: "`field` reason".
pub(crate) fn refusal(e: &owums_core::Error) -> String {
    match e {
        owums_core::Error::Invalid { field, reason, .. } => {
            let field = match *field {
                "event_time" => "event_timestamp",
                "authentic" => "authentication",
                "connect_info" => "connection_info_start",
                other => other,
            };
            format!("`{field}` {reason}")
        }
        other => other.to_string(),
    }
}

/// The answer to a core error, from the server's one error map (FreeRADIUS reads the status;
/// the message is English, as FreeRADIUS logs it).
pub(crate) fn internal(api: &FreeradiusApi, e: &owums_core::Error) -> Response {
    let a = crate::error::answer(&api.english, e);
    error(a.status, a.kind, &a.message)
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(value.to_string())
}

/// An empty response.
pub(crate) fn empty(status: StatusCode) -> Response {
    Response::builder().status(status).finish()
}
