//! The operator API under `/api/v1/operator`: subscribers, RADIUS groups with their check
//! and reply items, a subscriber's own items, and operators — what the console does, for
//! scripts and integrations.
//!
//! Every operation is called with an operator API token (`Authorization: Bearer
//! owums_op_…`, made and revoked in the console or with `owums operator token`) and checks
//! the permission it needs with [`Permissions::require`], the console's check: a token
//! counts with the permissions it was given that its operator still holds. No token, or a
//! revoked or expired one, is 401 (with `WWW-Authenticate`); a missing permission is 403
//! naming it, before anything is read or changed. Every change is written to the audit log
//! as the token's operator, from the client's address, with the token's name
//! (`api_token`).

mod groups;
mod staff;
pub(crate) mod types;
mod users;

use owums_core::Error;
use owums_core::operator::{
    AuditEntry, AuditLog, AuditTarget, Changes, OperatorTokens, Permission, TokenCaller,
};
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::auth::Bearer;
use poem_openapi::{SecurityScheme, Tags};

pub(crate) use groups::OperatorGroups;
pub(crate) use staff::OperatorStaff;
pub(crate) use users::OperatorUsers;

use super::{Api, ApiError};
use crate::i18n::Translator;

/// An operator API token (`owums_op_` and 64 hex digits), made in the console's "API
/// tokens" page.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "owums_op_…")]
pub(crate) struct OperatorToken(Bearer);

#[derive(Tags)]
pub(crate) enum OperatorTag {
    /// Subscribers, as operators manage them.
    OperatorUsers,
    /// RADIUS groups and their check and reply items.
    OperatorGroups,
    /// Operators and the caller's own token.
    Operators,
}

type Answer<T> = Result<T, ApiError>;

/// One authorised operator API request.
pub(crate) struct Call {
    /// Who, with what permissions.
    pub(crate) caller: TokenCaller,
    /// The request's language.
    pub(crate) tr: Translator,
    ip: std::net::IpAddr,
}

impl Call {
    /// The caller of `req` if its token is live and allows every permission of `needs`;
    /// 401 or 403 otherwise.
    pub(crate) async fn new(
        api: &Api,
        req: &Request,
        auth: &OperatorToken,
        needs: &[Permission],
    ) -> Answer<Call> {
        Self::new_any(api, req, auth, needs, &[]).await
    }

    /// As [`Call::new`], and the token must also allow one of `any` (when not empty).
    pub(crate) async fn new_any(
        api: &Api,
        req: &Request,
        auth: &OperatorToken,
        needs: &[Permission],
        any: &[Permission],
    ) -> Answer<Call> {
        let tr = api.translator(req, None);
        let ip = api.client_ip(req);
        let now = (api.state.limit_clock)();
        let caller = match OperatorTokens::new(api.state.store.clone())
            .authenticate(&auth.0.token, &ip.to_string(), now)
            .await
        {
            Ok(c) => c,
            Err(Error::Unauthorized) => {
                return Err(ApiError::new(
                    &tr,
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "api-operator-token-invalid",
                ));
            }
            Err(e) => return Err(ApiError::from_core(&tr, &e)),
        };
        let forbidden = |p: &str| {
            ApiError::with_message(
                StatusCode::FORBIDDEN,
                "forbidden",
                tr.t_with("api-operator-forbidden", (("permission", p.to_owned()),)),
                None,
            )
        };
        for p in needs {
            if caller.permissions.require(*p).is_err() {
                return Err(forbidden(p.as_str()));
            }
        }
        if !any.is_empty() && !any.iter().any(|p| caller.permissions.allows(*p)) {
            let names: Vec<&str> = any.iter().map(|p| p.as_str()).collect();
            return Err(forbidden(&names.join(" | ")));
        }
        Ok(Call { caller, tr, ip })
    }

    /// A core error in the request's language.
    pub(crate) fn fail(&self, e: &Error) -> ApiError {
        ApiError::from_core(&self.tr, e)
    }

    /// 404 for a path naming nothing.
    pub(crate) fn not_found(&self) -> ApiError {
        ApiError::new(
            &self.tr,
            StatusCode::NOT_FOUND,
            "not_found",
            "api-not-found",
        )
    }

    /// Writes `action` on `target` to the audit log as the token's operator (nothing when
    /// `changes` is empty).
    pub(crate) async fn audit(
        &self,
        api: &Api,
        action: &str,
        target: AuditTarget,
        mut changes: Changes,
    ) -> Answer<()> {
        if changes.is_empty() {
            return Ok(());
        }
        changes.created("api_token", &self.caller.token.name);
        let op = &self.caller.operator;
        AuditLog::new(api.state.store.clone())
            .record(AuditEntry {
                operator: Some((op.id, op.username.clone())),
                action: action.to_owned(),
                target: Some(target),
                changes,
                client_ip: Some(self.ip),
            })
            .await
            .map_err(|e| self.fail(&e))
    }
}
