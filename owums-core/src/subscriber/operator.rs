//! Verification by an operator: a method whose proof is checked by a person (an identity
//! document shown at a desk) rather than by an event. The operator verifies the subscriber
//! through [`OperatorVerifications`], and the core records who verified whom, when, with
//! which method and what evidence, in the transaction that verifies them, together with the
//! files the method keeps (a document's photo and its thumbnail, [`Attachment`]).
//!
//! Attachments are personal data: they are deleted with the account (`ON DELETE CASCADE`),
//! while the verification record, which names the username, outlives it. Methods that keep
//! their users for legal records ([`Expiry::Deactivate`](crate::Expiry::Deactivate), the
//! ID card) are never deleted by housekeeping, only switched off, so their photos stay as
//! long as an operator does not delete the account on purpose.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::plugin::{OperatorEvidence, OperatorInput, Verifier};
use crate::storage::subscriber::operator::{OperatorRecord, OperatorVerificationRow};
use crate::subscriber::service::Subscribers;
use crate::subscriber::user::UserRecord;

pub use crate::plugin::operator_form::MAX_EVIDENCE_BYTES;

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

/// A file kept with a verification, without its content (see
/// [`OperatorVerifications::attachments`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    /// Its id.
    pub id: String,
    /// The id of the verification it was kept with.
    pub verification: String,
    /// The method that made it (`id_card`).
    pub method: String,
    /// What it is (`document`, `thumbnail`), as the method named it.
    pub kind: String,
    /// Its media type, to send with it.
    pub content_type: String,
    /// Its size in bytes.
    pub size: usize,
    /// When it was stored (the verification's time).
    pub created_at: DateTime<Utc>,
}

/// A file kept with a verification, with its content (see
/// [`OperatorVerifications::attachment`]).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    /// What it is.
    pub info: AttachmentInfo,
    /// The content.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for StoredAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredAttachment")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
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
    /// verifies (or re-enables) them and records it, in one transaction. For a method that
    /// keeps files, use [`verify_with`](Self::verify_with) (or [`prepare`](Self::prepare)
    /// and [`record`](Self::record)).
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
        self.record(operator, user, OperatorEvidence::new(evidence))
            .await
    }

    /// The methods operators verify with (the console offers these), in the order they
    /// were enabled.
    pub fn methods(&self) -> Vec<&'static str> {
        self.verifiers
            .iter()
            .filter(|v| v.operator_verified())
            .map(|v| v.id())
            .collect()
    }

    fn method(&self, method: &str) -> Result<&Arc<dyn Verifier>> {
        self.verifiers
            .iter()
            .find(|v| v.id() == method && v.operator_verified())
            .ok_or_else(|| {
                Error::invalid(
                    "verification_method",
                    format!("`{method}` is not verified by operators"),
                )
            })
    }

    /// The form an operator fills to verify with `method`, in the operator's language
    /// ([`Verifier::operator_form`]).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when `method` is not one operators verify with.
    pub fn form(&self, method: &str, locale: &str) -> Result<Vec<crate::FormField>> {
        Ok(self.method(method)?.operator_form(locale))
    }

    /// What `method` makes of what an operator submitted
    /// ([`Verifier::operator_evidence`], run on a blocking thread: decoding a photo is
    /// CPU-bound), checked against the limits the core stores within. Changes nothing: a
    /// console checks the input with it before it creates the subscriber, then
    /// [`record`](Self::record)s the result.
    ///
    /// # Errors
    ///
    /// The method's refusal ([`Error::Invalid`], whose reason may be a message id of the
    /// plugin), or [`Error::Invalid`] when `method` is not one operators verify with or its
    /// result breaks the limits of [`OperatorEvidence::check`].
    pub async fn prepare(&self, method: &str, input: OperatorInput) -> Result<OperatorEvidence> {
        let verifier = self.method(method)?.clone();
        let handle = tokio::runtime::Handle::current();
        let evidence =
            tokio::task::spawn_blocking(move || handle.block_on(verifier.operator_evidence(input)))
                .await
                .map_err(|e| Error::Internal(format!("operator evidence of {method}: {e}")))??;
        evidence.check()?;
        Ok(evidence)
    }

    /// `operator` verified `user` with the user's own method and `evidence` (from
    /// [`prepare`](Self::prepare)): verifies (or re-enables) them, records it and stores the
    /// attachments, in one transaction.
    ///
    /// # Errors
    ///
    /// As [`verify`](Self::verify), and [`Error::Invalid`] for evidence breaking the limits
    /// of [`OperatorEvidence::check`]. Nothing is written then.
    pub async fn record(
        &self,
        operator: &str,
        user: UserId,
        evidence: OperatorEvidence,
    ) -> Result<OperatorVerification> {
        let operator = operator.trim();
        if operator.is_empty() || operator.len() > 64 {
            return Err(Error::invalid(
                "operator",
                "must be 1 to 64 characters long",
            ));
        }
        evidence.check()?;
        let found: UserRecord = self
            .subscribers
            .store()
            .find_user(user)
            .await?
            .ok_or_else(|| Error::not_found("user", user.to_string()))?;
        let method = &found.verification_method;
        self.method(method)?;
        let now = crate::storage::now_utc();
        // time-ordered ids: records and attachments of the same second still sort by age
        let row = OperatorVerificationRow {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: user.to_string(),
            username: found.username.as_str().to_owned(),
            operator: operator.to_owned(),
            method: method.clone(),
            evidence: evidence.evidence.to_string(),
            verified_at: now,
        };
        let record = OperatorVerification::try_from(row.clone())?;
        let write = OperatorRecord::new(row, evidence.attachments);
        self.subscribers.verify_recording(user, Some(write)).await?;
        tracing::info!(%user, operator, method = %record.method, "verified by an operator");
        Ok(record)
    }

    /// [`prepare`](Self::prepare) with the user's own method, then [`record`](Self::record):
    /// `operator` verified `user` with what they submitted on the method's form.
    ///
    /// # Errors
    ///
    /// As [`prepare`](Self::prepare) and [`record`](Self::record); nothing is written when
    /// the method refuses the input.
    pub async fn verify_with(
        &self,
        operator: &str,
        user: UserId,
        input: OperatorInput,
    ) -> Result<OperatorVerification> {
        let found = self
            .subscribers
            .store()
            .find_user(user)
            .await?
            .ok_or_else(|| Error::not_found("user", user.to_string()))?;
        let evidence = self.prepare(&found.verification_method, input).await?;
        self.record(operator, user, evidence).await
    }

    /// The files kept with the verifications of `user` (without their content), oldest
    /// first. Personal data: a console shows them only to operators who may browse users.
    ///
    /// # Errors
    ///
    /// A storage error.
    pub async fn attachments(&self, user: UserId) -> Result<Vec<AttachmentInfo>> {
        self.subscribers.store().attachments(user).await
    }

    /// The newest file of `kind` (`document`, `thumbnail`) kept for `user`, with its
    /// content; `None` when there is none.
    ///
    /// # Errors
    ///
    /// A storage error.
    pub async fn attachment(&self, user: UserId, kind: &str) -> Result<Option<StoredAttachment>> {
        self.subscribers.store().attachment(user, kind).await
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
