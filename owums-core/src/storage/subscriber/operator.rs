//! `owums_operator_verifications`: who verified whom, when, with what evidence.

use chrono::{NaiveDateTime, TimeZone, Utc};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;

use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::schema::owums_operator_verifications;
use crate::subscriber::operator::OperatorVerification;

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
        let rows: Vec<OperatorVerificationRow> = db_run!(self, untracked c => owums_operator_verifications::table
            .filter(owums_operator_verifications::user_id.eq(&key))
            .order((owums_operator_verifications::verified_at.asc(), owums_operator_verifications::id.asc()))
            .load(c)
            .await?);
        rows.into_iter().map(TryFrom::try_from).collect()
    }
}
