//! Verification by an operator: a method whose proof is checked by a person (an identity
//! document shown at a desk) rather than by an event. The operator verifies the subscriber
//! through [`OperatorVerifications`], and the core records who verified whom, when, with
//! which method and what evidence, in the transaction that verifies them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::plugin::Verifier;
use crate::storage::subscriber::operator::OperatorVerificationRow;
use crate::subscriber::service::Subscribers;
use crate::subscriber::user::UserRecord;

/// Largest evidence accepted, as JSON text.
pub const MAX_EVIDENCE_BYTES: usize = 8 * 1024;

/// One verification done by an operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatorVerification {
    /// The subscriber verified.
    pub user: UserId,
    /// Their username at the time (the record outlives the account).
    pub username: String,
    /// Who verified them (the operator's login name).
    pub operator: String,
    /// The method (a verifier id whose [`Verifier::operator_verified`] is true).
    pub method: String,
    /// What the operator checked, as the method decides (document type and number, …).
    pub evidence: serde_json::Value,
    /// When.
    pub verified_at: DateTime<Utc>,
}

/// The service operators verify subscribers through.
///
/// ```no_run
/// use owums_core::subscriber::OperatorVerifications;
/// # async fn demo(ops: OperatorVerifications, user: owums_core::UserId) -> owums_core::Result<()> {
/// let evidence = serde_json::json!({ "document": "identity card", "number": "CA12345BB" });
/// let done = ops.verify("desk-mario", user, evidence).await?;
/// assert_eq!(done.method, "id_card");
/// assert_eq!(ops.history(user).await?.len(), 1);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct OperatorVerifications {
    subscribers: Subscribers,
    verifiers: Vec<Arc<dyn Verifier>>,
}

impl std::fmt::Debug for OperatorVerifications {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorVerifications")
            .finish_non_exhaustive()
    }
}

impl OperatorVerifications {
    /// The service over `subscribers`, accepting the methods among `verifiers` that
    /// operators verify with.
    pub fn new(subscribers: Subscribers, verifiers: Vec<Arc<dyn Verifier>>) -> Self {
        OperatorVerifications {
            subscribers,
            verifiers,
        }
    }

    /// `operator` verified `user` with the user's own method, having checked `evidence`:
    /// verifies (or re-enables) them and records it, in one transaction.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when the user's method is not one operators verify with, the
    /// operator's name is empty, or the evidence is not a JSON object or is larger than
    /// [`MAX_EVIDENCE_BYTES`]; [`Error::NotFound`](crate::ErrorKind::NotFound) for an
    /// unknown user; [`Error::InvalidTransition`] for an account an operator switched off.
    /// Nothing is written then.
    pub async fn verify(
        &self,
        operator: &str,
        user: UserId,
        evidence: serde_json::Value,
    ) -> Result<OperatorVerification> {
        let operator = operator.trim();
        if operator.is_empty() || operator.len() > 64 {
            return Err(Error::invalid(
                "operator",
                "must be 1 to 64 characters long",
            ));
        }
        if !evidence.is_object() {
            return Err(Error::invalid("evidence", "must be a JSON object"));
        }
        let text = evidence.to_string();
        if text.len() > MAX_EVIDENCE_BYTES {
            return Err(Error::invalid("evidence", "is too large"));
        }
        let found: UserRecord = self
            .subscribers
            .store()
            .find_user(user)
            .await?
            .ok_or_else(|| Error::not_found("user", user.to_string()))?;
        let method = &found.verification_method;
        if !self
            .verifiers
            .iter()
            .any(|v| v.id() == method && v.operator_verified())
        {
            return Err(Error::invalid(
                "verification_method",
                format!("`{method}` is not verified by operators"),
            ));
        }
        let now = crate::storage::now_utc();
        let row = OperatorVerificationRow {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user.to_string(),
            username: found.username.as_str().to_owned(),
            operator: operator.to_owned(),
            method: method.clone(),
            evidence: text,
            verified_at: now,
        };
        let record = OperatorVerification::try_from(row.clone())?;
        self.subscribers.verify_recording(user, Some(row)).await?;
        tracing::info!(%user, operator, method = %record.method, "verified by an operator");
        Ok(record)
    }

    /// Every operator verification of `user`, oldest first.
    ///
    /// # Errors
    ///
    /// A storage error.
    pub async fn history(&self, user: UserId) -> Result<Vec<OperatorVerification>> {
        self.subscribers.store().operator_verifications(user).await
    }
}
