//! `POST /api/v1/freeradius/authorize/` and `/postauth/`.

use owums_core::accounting::check_nas_text;
use owums_core::radius::{AuthorizeRequest, Decision, ReplyValue, SIMULTANEOUS_USE_MESSAGE};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};
use serde_json::{Map, Value, json};

use super::{FreeradiusApi, empty, internal, refused};

/// Longest password kept in `radpostauth` for a rejected login (the column's size).
const POSTAUTH_PASS_MAX: usize = 64;
/// Longest `username` and `reply` of `radpostauth` (the stock columns' sizes).
const POSTAUTH_USERNAME_MAX: usize = 64;
const POSTAUTH_REPLY_MAX: usize = 32;

fn reject_body(message: Option<&str>) -> Value {
    let mut body = Map::new();
    body.insert("control:Auth-Type".to_owned(), json!("Reject"));
    if let Some(m) = message {
        body.insert("Reply-Message".to_owned(), json!(m));
    }
    Value::Object(body)
}

/// What openwisp-radius answers for each decision.
fn answer(api: &FreeradiusApi, decision: Decision) -> Response {
    match decision {
        Decision::Accept { replies, .. } => {
            let mut body = Map::new();
            body.insert("control:Auth-Type".to_owned(), json!("Accept"));
            for r in replies {
                let value = match r.value {
                    ReplyValue::Number(n) => json!(n),
                    ReplyValue::Text(mut v) if v.len() == 1 => {
                        json!({ "op": r.op, "value": v.pop().unwrap_or_default() })
                    }
                    ReplyValue::Text(v) => json!({ "op": r.op, "value": v }),
                };
                body.insert(r.attribute, value);
            }
            super::json(StatusCode::OK, &Value::Object(body))
        }
        Decision::Reject if api.authorize_reject => {
            super::json(StatusCode::UNAUTHORIZED, &reject_body(None))
        }
        // FreeRADIUS rejects for want of an Auth-Type
        Decision::Reject => empty(StatusCode::OK),
        Decision::Refused { message } => {
            let status = if api.authorize_reject {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::OK
            };
            super::json(status, &reject_body(message.as_deref()))
        }
        // 200, not 401: some NASes (pfSense) misread other codes
        Decision::QuotaReached { message } => {
            super::json(StatusCode::OK, &reject_body(Some(&message)))
        }
        Decision::SimultaneousUse => super::json(
            StatusCode::UNAUTHORIZED,
            &reject_body(Some(SIMULTANEOUS_USE_MESSAGE)),
        ),
    }
}

/// Decides an Access-Request.
#[handler]
pub(crate) async fn authorize(req: &Request, body: Body, api: Data<&FreeradiusApi>) -> Response {
    let fields = match api.fields(req, body).await {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let request = AuthorizeRequest {
        username: fields.text("username").to_owned(),
        password: fields.text("password").to_owned(),
        called_station_id: fields.text("called_station_id").to_owned(),
        calling_station_id: fields.text("calling_station_id").to_owned(),
    };
    if let Err(e) = request.check() {
        return refused(&e);
    }
    match api.authorizer.authorize(&request, chrono::Utc::now()).await {
        Ok(decision) => {
            tracing::debug!(username = ?request.username, ?decision, "authorize");
            answer(&api, decision)
        }
        Err(e) => internal(&api, &e),
    }
}

/// Logs an authentication result to `radpostauth`. No password is kept, except that of a
/// reject which authorize (in this process, moments ago) found wrong, when
/// `freeradius.postauth_keep_wrong_passwords` is on: a correct password — of a user refused
/// for being unverified, disabled or over a limit — is never kept. Nothing is hashed here.
#[handler]
pub(crate) async fn postauth(req: &Request, body: Body, api: Data<&FreeradiusApi>) -> Response {
    let fields = match api.fields(req, body).await {
        Ok(f) => f,
        Err(r) => return *r,
    };
    // rlm_rest's own encoding has no reply code: the shipped config puts it in the query
    // (URL-decoded: `?reply=Access%2DAccept` is an Access-Accept)
    let from_query = req
        .params::<std::collections::HashMap<String, String>>()
        .ok()
        .and_then(|mut q| q.remove("reply"))
        .unwrap_or_default();
    let reply = match fields.text("reply") {
        "" => from_query.trim(),
        r => r,
    };
    let request = AuthorizeRequest {
        username: fields.text("username").to_owned(),
        password: fields.text("password").to_owned(),
        called_station_id: fields.text("called_station_id").to_owned(),
        calling_station_id: fields.text("calling_station_id").to_owned(),
    };
    // `reply` is one of a few names: longer than its column is refused. A `User-Name`
    // longer than the column is cut (this is a log: refusing it would make FreeRADIUS turn
    // an Access-Accept into a reject)
    let checked = request
        .check()
        .and_then(|()| check_nas_text("reply", reply, POSTAUTH_REPLY_MAX));
    if let Err(e) = checked {
        return refused(&e);
    }
    let username: String = request
        .username
        .chars()
        .take(POSTAUTH_USERNAME_MAX)
        .collect();
    let password = request.password.as_str();
    // used up whatever the reply, so that it cannot outlive its request
    let wrong = api.wrong_passwords.take(&request.username, password);
    // a wrong password is kept for the operator's eyes only: cut to the column
    let pass: String = if wrong && reply != "Access-Accept" {
        password.chars().take(POSTAUTH_PASS_MAX).collect()
    } else {
        String::new()
    };
    match api
        .store
        .record_postauth(&username, &pass, reply, chrono::Utc::now().timestamp())
        .await
    {
        Ok(()) => empty(StatusCode::CREATED),
        Err(e) if e.kind() == owums_core::ErrorKind::Invalid => refused(&e),
        Err(e) => internal(&api, &e),
    }
}
