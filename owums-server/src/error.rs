//! The one map from a core error to an answer: its status, a stable kind name, the message
//! in the user's language and the field at fault. The JSON API, the pages and the FreeRADIUS
//! endpoints all answer from it, so a given failure says the same everywhere, and every 5xx
//! is logged here, once, with its whole cause chain (never the message shown to the user).

use owums_core::{Error, ErrorKind, FieldError, Problem, ResetLinkError, Weakness};
use poem::http::StatusCode;

use crate::i18n::Translator;

/// How to answer a failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The HTTP status.
    pub(crate) status: StatusCode,
    /// A stable, machine-readable name (`invalid`, `conflict`, `not_found`, …).
    pub(crate) kind: &'static str,
    /// For a human, in the request's language.
    pub(crate) message: String,
    /// The field at fault, as the API names it.
    pub(crate) field: Option<&'static str>,
    /// Every field at fault with its message, when a whole form was refused
    /// ([`Error::Fields`]); the first is `field` and `message`.
    pub(crate) fields: Vec<(&'static str, String)>,
}

/// The message saying why a field of a form checked as a whole (a registration) was
/// refused: the same words on the sign-up page and in the API.
pub(crate) fn field_message(tr: &Translator, f: &FieldError) -> String {
    match (f.field, f.problem) {
        ("password", _) => refusal(tr, f.field, f.problem, &f.reason),
        ("password_confirmation", _) => tr.t("err-password-mismatch"),
        ("verification_method", _) => tr.t("err-method"),
        ("eula_accepted", _) => tr.t("err-eula"),
        ("privacy_accepted", _) => tr.t("err-privacy"),
        (field @ ("username" | "email" | "mobile"), Problem::Taken) => {
            tr.t(&format!("err-taken-{field}"))
        }
        ("username", Problem::TooShort { .. } | Problem::TooLong { .. }) => {
            tr.t("err-username-length")
        }
        ("username", Problem::BadFormat) => tr.t("err-username-chars"),
        ("email", Problem::BadFormat) => tr.t("err-email"),
        ("mobile", Problem::Required) => tr.t("err-mobile-required"),
        ("mobile", Problem::BadFormat) => tr.t("err-mobile"),
        ("birth_date", Problem::BadFormat | Problem::OutOfRange) => tr.t("err-date"),
        (_, Problem::Required) => tr.t("err-required"),
        (_, Problem::TooLong { max }) => tr.t_with("err-too-long-max", (("max", max as i64),)),
        (_, Problem::ControlCharacters) => tr.t("err-control"),
        _ => refusal(tr, f.field, f.problem, &f.reason),
    }
}

/// Why a password is too easy to guess, in the user's language: the same sentence on every
/// page and in the API.
pub(crate) fn guessable(tr: &Translator, w: Weakness) -> String {
    let id = match w {
        Weakness::Personal => "password-weak-personal",
        Weakness::Common => "password-weak-common",
        Weakness::SimilarToCommon => "password-weak-similar",
        Weakness::KeyboardPattern => "password-weak-keyboard",
        Weakness::Repeats => "password-weak-repeats",
        Weakness::Sequence => "password-weak-sequence",
        Weakness::Dates => "password-weak-dates",
        Weakness::Word => "password-weak-word",
        Weakness::Names => "password-weak-names",
        _ => "password-weak-simple",
    };
    format!("{} {}", tr.t("password-guessable"), tr.t(id))
}

/// The name the API (and the forms) give to a core field.
pub(crate) fn field_name(field: &'static str) -> &'static str {
    match field {
        "e-mail" => "email",
        "current password" => "current_password",
        "username or e-mail" => "username_or_email",
        "birth date" => "birth_date",
        "verification method" => "verification_method",
        "reset link" | "reset token" => "token",
        "mobile" | "mobile number" | "phone number" => "mobile",
        other => other,
    }
}

/// The message id and arguments saying why a value was refused.
fn refusal(tr: &Translator, field: &'static str, problem: Problem, reason: &str) -> String {
    let name = field_name(field);
    match (name, problem) {
        ("current_password", Problem::Wrong) => tr.t("api-current-password-wrong"),
        ("mac", Problem::BadFormat) => tr.t("err-mac"),
        ("mac", Problem::Taken) => tr.t("err-taken-mac"),
        ("mac", Problem::OutOfRange) => tr.t("err-mac-limit"),
        ("password" | "new_password", Problem::TooShort { .. }) => tr.t("api-password-short"),
        ("password" | "new_password", Problem::TooLong { .. }) => tr.t("api-password-long"),
        ("password" | "new_password", Problem::Guessable(w)) => guessable(tr, w),
        ("password" | "new_password", Problem::ControlCharacters) => tr.t("api-password-control"),
        (_, Problem::Required) => tr.t_with("error-field-required", (("field", name),)),
        (_, Problem::TooShort { min }) => tr.t_with(
            "error-field-too-short",
            (("field", name), ("min", min as i64)),
        ),
        (_, Problem::TooLong { max }) => tr.t_with(
            "error-field-too-long",
            (("field", name), ("max", max as i64)),
        ),
        (_, Problem::ControlCharacters) => tr.t_with("error-field-control", (("field", name),)),
        (_, Problem::BadFormat) => tr.t_with("error-field-format", (("field", name),)),
        (_, Problem::OutOfRange) => tr.t_with("error-field-range", (("field", name),)),
        (_, Problem::Unknown) => tr.t_with("error-field-unknown", (("field", name),)),
        (_, Problem::Changed) => tr.t_with("error-field-changed", (("field", name),)),
        (_, Problem::Taken) => tr.t_with("api-conflict", (("field", name),)),
        (_, Problem::Mismatch) => tr.t("err-password-mismatch"),
        _ => tr.t_with(
            "api-invalid-field",
            (("field", name.to_owned()), ("reason", reason.to_owned())),
        ),
    }
}

/// The answer to `e`, in the language of `tr`. A 5xx is logged here with its cause chain.
pub(crate) fn answer(tr: &Translator, e: &Error) -> Answer {
    if let Error::Fields(list) = e {
        let fields: Vec<(&'static str, String)> = list
            .iter()
            .map(|f| (f.field, field_message(tr, f)))
            .collect();
        let (status, kind) = if e.kind() == ErrorKind::Conflict {
            (StatusCode::CONFLICT, "conflict")
        } else {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
        };
        let (field, message) = fields
            .first()
            .map_or((None, tr.t("error-internal")), |(f, m)| {
                (Some(*f), m.clone())
            });
        return Answer {
            status,
            kind,
            message,
            field,
            fields,
        };
    }
    let (status, kind, message, field) = match e {
        Error::ResetLink(problem) => {
            let (kind, id) = match problem {
                ResetLinkError::Unknown => ("reset_link_invalid", "api-reset-link-invalid"),
                ResetLinkError::Expired => ("reset_link_expired", "api-reset-link-expired"),
                ResetLinkError::Used => ("reset_link_used", "api-reset-link-used"),
            };
            (StatusCode::FORBIDDEN, kind, tr.t(id), Some("token"))
        }
        Error::Invalid {
            field,
            problem,
            reason,
        } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            refusal(tr, field, *problem, reason),
            Some(field_name(field)),
        ),
        Error::InvalidTransition { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_state",
            tr.t("api-invalid-state"),
            None,
        ),
        Error::Conflict { entity } => {
            let field = field_name(entity);
            (
                StatusCode::CONFLICT,
                "conflict",
                tr.t_with("api-conflict", (("field", field.to_owned()),)),
                Some(field),
            )
        }
        _ if e.kind() == ErrorKind::Unauthorized => (
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            tr.t("api-login-failed"),
            None,
        ),
        _ if e.kind() == ErrorKind::NotFound => (
            StatusCode::NOT_FOUND,
            "not_found",
            tr.t("api-not-found"),
            None,
        ),
        _ => {
            tracing::error!(error = %e.chain(), kind = ?e.kind(), "request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                tr.t("error-internal"),
                None,
            )
        }
    };
    Answer {
        status,
        kind,
        message,
        field,
        fields: Vec::new(),
    }
}
