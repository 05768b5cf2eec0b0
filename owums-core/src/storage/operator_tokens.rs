//! The operator API's tokens: `owums_operator_tokens`.
//!
//! The rules (the token's shape, its permissions, expiry and revocation) are in
//! [`OperatorTokens`](crate::operator::OperatorTokens); these are its statements.

use chrono::NaiveDateTime;
use diesel::{
    BoolExpressionMethods, ExpressionMethods, JoinOnDsl, OptionalExtension, QueryDsl,
    SelectableHelper,
};
use diesel_async::RunQueryDsl;

use crate::error::Result;
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::operator::OperatorRow;
use crate::storage::schema::{owums_operator_tokens, owums_operators};

/// A row of `owums_operator_tokens`.
#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = owums_operator_tokens)]
pub(crate) struct TokenRow {
    pub(crate) id: String,
    pub(crate) operator_id: String,
    pub(crate) name: String,
    pub(crate) token_hash: String,
    pub(crate) permissions: String,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) expires_at: Option<NaiveDateTime>,
    pub(crate) last_used_at: Option<NaiveDateTime>,
    pub(crate) last_used_ip: Option<String>,
    pub(crate) revoked_at: Option<NaiveDateTime>,
}

impl Store {
    /// Stores a new token.
    pub(crate) async fn insert_operator_token(&self, row: &TokenRow) -> Result<()> {
        db_run!(self, untracked c => diesel::insert_into(owums_operator_tokens::table).values(row).execute(c).await?);
        Ok(())
    }

    /// The tokens of operator `operator_id` (every operator's when `None`), newest first.
    pub(crate) async fn operator_tokens(&self, operator_id: Option<&str>) -> Result<Vec<TokenRow>> {
        Ok(db_run!(self, read c => {
            let mut q = owums_operator_tokens::table.into_boxed();
            if let Some(id) = operator_id {
                q = q.filter(owums_operator_tokens::operator_id.eq(id.to_owned()));
            }
            q.order((owums_operator_tokens::created_at.desc(), owums_operator_tokens::id.asc()))
                .select(TokenRow::as_select())
                .load(c)
                .await?
        }))
    }

    /// The token stored as `hash` with its operator, if any.
    pub(crate) async fn find_operator_token(
        &self,
        hash: &str,
    ) -> Result<Option<(TokenRow, OperatorRow)>> {
        Ok(db_run!(self, read c => owums_operator_tokens::table
            .inner_join(owums_operators::table.on(owums_operators::id.eq(owums_operator_tokens::operator_id)))
            .filter(owums_operator_tokens::token_hash.eq(hash))
            .select((TokenRow::as_select(), OperatorRow::as_select()))
            .first(c)
            .await
            .optional()?))
    }

    /// Notes that token `id` was used at `at` from `ip`.
    pub(crate) async fn touch_operator_token(
        &self,
        id: &str,
        at: NaiveDateTime,
        ip: &str,
    ) -> Result<()> {
        db_run!(self, untracked c => diesel::update(owums_operator_tokens::table.filter(owums_operator_tokens::id.eq(id)))
            .set((owums_operator_tokens::last_used_at.eq(Some(at)), owums_operator_tokens::last_used_ip.eq(Some(ip))))
            .execute(c)
            .await?);
        Ok(())
    }

    /// Revokes token `id` at `now` (only if it belongs to `operator_id`, when given): `false`
    /// when there is no such live token.
    pub(crate) async fn revoke_operator_token(
        &self,
        id: &str,
        operator_id: Option<&str>,
        now: NaiveDateTime,
    ) -> Result<bool> {
        let n = db_run!(self, untracked c => {
            let mut q = diesel::update(owums_operator_tokens::table)
                .filter(owums_operator_tokens::id.eq(id.to_owned()).and(owums_operator_tokens::revoked_at.is_null()))
                .into_boxed();
            if let Some(op) = operator_id {
                q = q.filter(owums_operator_tokens::operator_id.eq(op.to_owned()));
            }
            q.set(owums_operator_tokens::revoked_at.eq(Some(now))).execute(c).await?
        });
        Ok(n > 0)
    }
}
