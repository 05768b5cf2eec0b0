//! `owums_operator_verifications`: who verified whom, when, with what evidence; and
//! `owums_attachments`: the files (a document's photo) kept with a verification.

use chrono::{NaiveDateTime, TimeZone, Utc};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;

use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::schema::{owums_attachments, owums_operator_verifications};
use crate::subscriber::operator::{AttachmentInfo, OperatorVerification, StoredAttachment};

/// A row of `owums_operator_verifications`.
#[derive(Debug, Clone, diesel::Insertable, diesel::Queryable)]
#[diesel(table_name = owums_operator_verifications)]
pub(crate) struct OperatorVerificationRow {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) username: String,
    pub(crate) operator: String,
    pub(crate) method: String,
    pub(crate) evidence: String,
    pub(crate) verified_at: NaiveDateTime,
}

/// A row of `owums_attachments`.
#[derive(Clone, diesel::Insertable, diesel::Queryable)]
#[diesel(table_name = owums_attachments)]
pub(crate) struct AttachmentRow {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) verification_id: String,
    pub(crate) method: String,
    pub(crate) kind: String,
    pub(crate) content_type: String,
    pub(crate) content: Vec<u8>,
    pub(crate) created_at: NaiveDateTime,
}

impl std::fmt::Debug for AttachmentRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentRow")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("len", &self.content.len())
            .finish_non_exhaustive()
    }
}

/// What a verification by an operator writes besides the user's state: its history row and
/// the files kept with it.
#[derive(Debug, Clone)]
pub(crate) struct OperatorRecord {
    pub(crate) verification: OperatorVerificationRow,
    pub(crate) attachments: Vec<AttachmentRow>,
}

impl OperatorRecord {
    /// The record `verification` with `attachments` stored as its files (same user, method
    /// and time; time-ordered ids, so files of the same second still sort by age).
    pub(crate) fn new(
        verification: OperatorVerificationRow,
        attachments: Vec<crate::plugin::Attachment>,
    ) -> Self {
        let attachments = attachments
            .into_iter()
            .map(|a| AttachmentRow {
                id: uuid::Uuid::now_v7().to_string(),
                user_id: verification.user_id.clone(),
                verification_id: verification.id.clone(),
                method: verification.method.clone(),
                kind: a.kind,
                content_type: a.content_type,
                content: a.bytes,
                created_at: verification.verified_at,
            })
            .collect();
        OperatorRecord {
            verification,
            attachments,
        }
    }
}

impl AttachmentRow {
    /// What the row says about itself, without its content.
    fn info(&self) -> AttachmentInfo {
        AttachmentInfo {
            id: self.id.clone(),
            verification: self.verification_id.clone(),
            method: self.method.clone(),
            kind: self.kind.clone(),
            content_type: self.content_type.clone(),
            size: self.content.len(),
            created_at: Utc.from_utc_datetime(&self.created_at),
        }
    }
}

impl TryFrom<OperatorVerificationRow> for OperatorVerification {
    type Error = Error;
    fn try_from(r: OperatorVerificationRow) -> Result<Self> {
        let bad = |what: &str| Error::Internal(format!("operator verification {}: {what}", r.id));
        Ok(OperatorVerification {
            user: r.user_id.parse().map_err(|_| bad("user id"))?,
            username: r.username.clone(),
            operator: r.operator.clone(),
            method: r.method.clone(),
            evidence: serde_json::from_str(&r.evidence).map_err(|_| bad("evidence"))?,
            verified_at: Utc.from_utc_datetime(&r.verified_at),
        })
    }
}

impl Store {
    /// The operator verifications of `user`, oldest first.
    pub(crate) async fn operator_verifications(
        &self,
        user: UserId,
    ) -> Result<Vec<OperatorVerification>> {
        let key = user.to_string();
        let rows: Vec<OperatorVerificationRow> = db_run!(self, read c => owums_operator_verifications::table
            .filter(owums_operator_verifications::user_id.eq(&key))
            .order((owums_operator_verifications::verified_at.asc(), owums_operator_verifications::id.asc()))
            .load(c)
            .await?);
        rows.into_iter().map(TryFrom::try_from).collect()
    }

    /// The attachments of `user` (without their content), oldest first.
    pub(crate) async fn attachments(&self, user: UserId) -> Result<Vec<AttachmentInfo>> {
        let key = user.to_string();
        let rows: Vec<AttachmentRow> = db_run!(self, read c => owums_attachments::table
            .filter(owums_attachments::user_id.eq(&key))
            .order((owums_attachments::created_at.asc(), owums_attachments::id.asc()))
            .load(c)
            .await?);
        // a few rows of a few hundred KiB at most: loading the content to measure it is
        // cheaper than a length() that every backend spells differently
        Ok(rows.iter().map(AttachmentRow::info).collect())
    }

    /// The newest attachment of `kind` of `user`, with its content.
    pub(crate) async fn attachment(
        &self,
        user: UserId,
        kind: &str,
    ) -> Result<Option<StoredAttachment>> {
        let key = user.to_string();
        let row: Option<AttachmentRow> = db_run!(self, read c => owums_attachments::table
            .filter(owums_attachments::user_id.eq(&key))
            .filter(owums_attachments::kind.eq(kind))
            .order((owums_attachments::created_at.desc(), owums_attachments::id.desc()))
            .first(c)
            .await
            .optional()?);
        Ok(row.map(|r| StoredAttachment {
            info: r.info(),
            bytes: r.content,
        }))
    }
}
