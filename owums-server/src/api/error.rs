//! The API's errors: `{"error": {"kind", "message"}}` with the right status, the message in
//! the request's language.

use owums_core::Error;
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

use crate::i18n::Translator;

/// What went wrong.
#[derive(Debug, Clone, Object)]
pub(crate) struct ErrorBody {
    /// A stable, machine-readable name (`invalid`, `conflict`, `unauthorized`, …).
    pub(crate) kind: String,
    /// For a human, in the request's language.
    pub(crate) message: String,
    /// The request field at fault, when there is one (the first, when there are several).
    #[oai(skip_serializing_if_is_none)]
    pub(crate) field: Option<String>,
    /// Every field at fault with its message, when a whole form was checked at once
    /// (registration): the first is `field` and `message`.
    #[oai(skip_serializing_if_is_none)]
    pub(crate) fields: Option<Vec<FieldProblem>>,
}

/// One refused field of a request checked as a whole.
#[derive(Debug, Clone, Object)]
pub(crate) struct FieldProblem {
    /// The request field.
    pub(crate) field: String,
    /// Why it was refused, in the request's language.
    pub(crate) message: String,
}

/// The body of every error answer.
#[derive(Debug, Clone, Object)]
pub(crate) struct ErrorEnvelope {
    /// The error.
    pub(crate) error: ErrorBody,
}

/// An error answer.
#[derive(Debug, ApiResponse)]
pub(crate) enum ApiError {
    /// The request is malformed (not JSON, wrong types, missing fields).
    #[oai(status = 400)]
    BadRequest(Json<ErrorEnvelope>),
    /// No valid credentials or token.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorEnvelope>),
    /// Not allowed (inactive account, unusable reset link).
    #[oai(status = 403)]
    Forbidden(Json<ErrorEnvelope>),
    /// Not found.
    #[oai(status = 404)]
    NotFound(Json<ErrorEnvelope>),
    /// A unique value (username, e-mail, mobile) is taken.
    #[oai(status = 409)]
    Conflict(Json<ErrorEnvelope>),
    /// The body is larger than the API accepts.
    #[oai(status = 413)]
    TooLarge(Json<ErrorEnvelope>),
    /// The body is not JSON (`Content-Type` other than `application/json`, or none).
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorEnvelope>),
    /// Well-formed, but a value is not acceptable.
    #[oai(status = 422)]
    Invalid(Json<ErrorEnvelope>),
    /// Too many attempts: try again after `Retry-After` seconds.
    #[oai(status = 429)]
    RateLimited(
        Json<ErrorEnvelope>,
        /// Seconds to wait.
        #[oai(header = "Retry-After")]
        u64,
    ),
    /// An internal error (logged on the server).
    #[oai(status = 500)]
    Internal(Json<ErrorEnvelope>),
}

/// The kind names of statuses that poem itself answers (parse errors, unknown routes).
pub(crate) fn kind_of_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        411 => "length_required",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "invalid",
        429 => "rate_limited",
        _ => "internal",
    }
}

fn envelope(kind: &str, message: String, field: Option<&str>) -> Json<ErrorEnvelope> {
    Json(ErrorEnvelope {
        error: ErrorBody {
            kind: kind.to_owned(),
            message,
            field: field.map(str::to_owned),
            fields: None,
        },
    })
}

impl ApiError {
    /// An error of `status` with message `id` of `tr` (and `kind`).
    pub(crate) fn new(tr: &Translator, status: StatusCode, kind: &str, id: &str) -> Self {
        Self::with_message(status, kind, tr.t(id), None)
    }

    /// An error of `status` with this message.
    pub(crate) fn with_message(
        status: StatusCode,
        kind: &str,
        message: String,
        field: Option<&str>,
    ) -> Self {
        let body = envelope(kind, message, field);
        match status.as_u16() {
            400 => ApiError::BadRequest(body),
            401 => ApiError::Unauthorized(body),
            403 => ApiError::Forbidden(body),
            404 => ApiError::NotFound(body),
            409 => ApiError::Conflict(body),
            413 => ApiError::TooLarge(body),
            415 => ApiError::UnsupportedMediaType(body),
            422 => ApiError::Invalid(body),
            _ => ApiError::Internal(body),
        }
    }

    /// A value the API refuses (422) in `field`.
    pub(crate) fn invalid(tr: &Translator, field: &str, id: &str) -> Self {
        Self::with_message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            tr.t(id),
            Some(field),
        )
    }

    /// Too many attempts.
    pub(crate) fn rate_limited(tr: &Translator, seconds: u64) -> Self {
        let message = tr.t_with("error-rate-limited", (("seconds", seconds.to_string()),));
        ApiError::RateLimited(envelope("rate_limited", message, None), seconds)
    }

    /// A core error, in the request's language (see [`crate::error::answer`]; a 5xx is
    /// logged there).
    pub(crate) fn from_core(tr: &Translator, e: &Error) -> Self {
        let a = crate::error::answer(tr, e);
        let mut error = Self::with_message(a.status, a.kind, a.message, a.field);
        if !a.fields.is_empty()
            && let ApiError::Invalid(body) | ApiError::Conflict(body) = &mut error
        {
            body.0.error.fields = Some(
                a.fields
                    .into_iter()
                    .map(|(field, message)| FieldProblem {
                        field: field.to_owned(),
                        message,
                    })
                    .collect(),
            );
        }
        error
    }
}
