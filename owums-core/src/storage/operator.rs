//! The console's tables: `owums_operators`, their recovery codes, the audit log and the
//! first-run link.
//!
//! The rules (hashing, permissions, what is audited) are in
//! [`Operators`](crate::operator::Operators) and [`AuditLog`](crate::operator::AuditLog);
//! these are their statements, each change in one statement or transaction.

use chrono::NaiveDateTime;
use diesel::{
    BoolExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper,
};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::{Error, Result};
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::schema::{
    owums_audit_log, owums_operator_recovery_codes, owums_operator_setup, owums_operators,
};

/// A row of `owums_operators`.
#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = owums_operators)]
pub(crate) struct OperatorRow {
    pub(crate) id: String,
    pub(crate) username: String,
    pub(crate) password_hash: String,
    pub(crate) permissions: String,
    pub(crate) active: bool,
    pub(crate) notes: Option<String>,
    pub(crate) totp_secret: Option<String>,
    pub(crate) totp_enabled: bool,
    pub(crate) totp_last_step: Option<i64>,
    pub(crate) login_count: i64,
    pub(crate) current_login_at: Option<NaiveDateTime>,
    pub(crate) current_login_ip: Option<String>,
    pub(crate) last_login_at: Option<NaiveDateTime>,
    pub(crate) last_login_ip: Option<String>,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

/// One column (or pair) of an operator to change.
#[derive(Debug, Clone)]
pub(crate) enum OperatorField {
    PasswordHash(String),
    Permissions(String),
    Active(bool),
    Notes(Option<String>),
    /// The TOTP secret and whether it is confirmed (`None, false` removes the factor).
    Totp(Option<String>, bool),
}

/// A row of `owums_audit_log`, as read.
#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = owums_audit_log)]
pub(crate) struct AuditRow {
    pub(crate) id: i64,
    pub(crate) at: NaiveDateTime,
    pub(crate) operator_id: Option<String>,
    pub(crate) operator_username: String,
    pub(crate) action: String,
    pub(crate) target_kind: Option<String>,
    pub(crate) target_id: Option<String>,
    pub(crate) target_label: Option<String>,
    pub(crate) changes: String,
    pub(crate) client_ip: Option<String>,
}

/// A row of `owums_audit_log`, as written (the id is the database's).
#[derive(Debug, Clone, diesel::Insertable)]
#[diesel(table_name = owums_audit_log)]
pub(crate) struct NewAuditRow {
    pub(crate) at: NaiveDateTime,
    pub(crate) operator_id: Option<String>,
    pub(crate) operator_username: String,
    pub(crate) action: String,
    pub(crate) target_kind: Option<String>,
    pub(crate) target_id: Option<String>,
    pub(crate) target_label: Option<String>,
    pub(crate) changes: String,
    pub(crate) client_ip: Option<String>,
}

/// Which audit rows to read: every `Some` must match.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuditFilterRow {
    pub(crate) operator: Option<String>,
    pub(crate) action: Option<String>,
    pub(crate) target_kind: Option<String>,
    pub(crate) target_id: Option<String>,
    pub(crate) from: Option<NaiveDateTime>,
    pub(crate) to: Option<NaiveDateTime>,
}

/// The audit rows of `$f` as a boxed query (for whichever backend the connection is).
macro_rules! audit_query {
    ($f:expr) => {{
        let f: &AuditFilterRow = $f;
        let mut q = owums_audit_log::table.into_boxed();
        if let Some(v) = &f.operator {
            q = q.filter(owums_audit_log::operator_username.eq(v.clone()));
        }
        if let Some(v) = &f.action {
            q = q.filter(owums_audit_log::action.eq(v.clone()));
        }
        if let Some(v) = &f.target_kind {
            q = q.filter(owums_audit_log::target_kind.eq(v.clone()));
        }
        if let Some(v) = &f.target_id {
            q = q.filter(owums_audit_log::target_id.eq(v.clone()));
        }
        if let Some(v) = f.from {
            q = q.filter(owums_audit_log::at.ge(v));
        }
        if let Some(v) = f.to {
            q = q.filter(owums_audit_log::at.lt(v));
        }
        q
    }};
}

impl Store {
    /// Stores a new operator (a taken username is [`Error::Conflict`]).
    pub(crate) async fn insert_operator(&self, row: &OperatorRow) -> Result<()> {
        db_run!(self, untracked c => diesel::insert_into(owums_operators::table).values(row).execute(c).await?);
        Ok(())
    }

    /// The operator `id`, if any.
    pub(crate) async fn find_operator(&self, id: &str) -> Result<Option<OperatorRow>> {
        Ok(db_run!(self, read c => owums_operators::table
            .filter(owums_operators::id.eq(id))
            .select(OperatorRow::as_select())
            .first(c)
            .await
            .optional()?))
    }

    /// The operator called `username` (already lowercase), if any.
    pub(crate) async fn find_operator_by_username(
        &self,
        username: &str,
    ) -> Result<Option<OperatorRow>> {
        Ok(db_run!(self, read c => owums_operators::table
            .filter(owums_operators::username.eq(username))
            .select(OperatorRow::as_select())
            .first(c)
            .await
            .optional()?))
    }

    /// Every operator, by username.
    pub(crate) async fn list_operators(&self) -> Result<Vec<OperatorRow>> {
        Ok(db_run!(self, read c => owums_operators::table
            .order(owums_operators::username.asc())
            .select(OperatorRow::as_select())
            .load(c)
            .await?))
    }

    /// How many operators there are.
    pub(crate) async fn count_operators(&self) -> Result<i64> {
        Ok(db_run!(self, read c => owums_operators::table.count().get_result::<i64>(c).await?))
    }

    /// Changes one column of operator `id`; `false` when there is no such operator.
    pub(crate) async fn update_operator(
        &self,
        id: &str,
        now: NaiveDateTime,
        field: OperatorField,
    ) -> Result<bool> {
        let n = db_run!(self, untracked c => {
            let target = owums_operators::table.filter(owums_operators::id.eq(id));
            let at = owums_operators::updated_at.eq(now);
            match &field {
                OperatorField::PasswordHash(h) => diesel::update(target).set((owums_operators::password_hash.eq(h), at)).execute(c).await?,
                OperatorField::Permissions(p) => diesel::update(target).set((owums_operators::permissions.eq(p), at)).execute(c).await?,
                OperatorField::Active(a) => diesel::update(target).set((owums_operators::active.eq(a), at)).execute(c).await?,
                OperatorField::Notes(n) => diesel::update(target).set((owums_operators::notes.eq(n), at)).execute(c).await?,
                OperatorField::Totp(s, e) => diesel::update(target).set((owums_operators::totp_secret.eq(s), owums_operators::totp_enabled.eq(e), owums_operators::totp_last_step.eq(None::<i64>), at)).execute(c).await?,
            }
        });
        Ok(n > 0)
    }

    /// Records a login of operator `id` at `at` from `ip`: the current login becomes the
    /// last one and the count grows by one.
    pub(crate) async fn record_operator_login(
        &self,
        id: &str,
        at: NaiveDateTime,
        ip: &str,
    ) -> Result<()> {
        db_run!(self, untracked c => diesel::update(owums_operators::table.filter(owums_operators::id.eq(id)))
            .set((
                owums_operators::last_login_at.eq(owums_operators::current_login_at),
                owums_operators::last_login_ip.eq(owums_operators::current_login_ip),
                owums_operators::current_login_at.eq(Some(at)),
                owums_operators::current_login_ip.eq(Some(ip)),
                owums_operators::login_count.eq(owums_operators::login_count + 1i64),
            ))
            .execute(c)
            .await?);
        Ok(())
    }

    /// Records that the TOTP code of `step` was used by operator `id`: `false` (nothing
    /// written) when a code of that step or a later one was already accepted, so each code
    /// works once even under concurrent attempts.
    pub(crate) async fn claim_totp_step(&self, id: &str, step: i64) -> Result<bool> {
        let n = db_run!(self, untracked c => diesel::update(
                owums_operators::table
                    .filter(owums_operators::id.eq(id))
                    .filter(
                        owums_operators::totp_last_step
                            .is_null()
                            .or(owums_operators::totp_last_step.lt(step)),
                    ),
            )
            .set(owums_operators::totp_last_step.eq(Some(step)))
            .execute(c)
            .await?);
        Ok(n > 0)
    }

    /// Replaces the recovery codes of operator `id` by `hashes`, in one transaction.
    pub(crate) async fn replace_recovery_codes(
        &self,
        id: &str,
        hashes: &[String],
        now: NaiveDateTime,
    ) -> Result<()> {
        let rows: Vec<_> = hashes
            .iter()
            .map(|h| {
                (
                    owums_operator_recovery_codes::operator_id.eq(id.to_owned()),
                    owums_operator_recovery_codes::code_hash.eq(h.clone()),
                    owums_operator_recovery_codes::created_at.eq(now),
                )
            })
            .collect();
        db_run!(self, untracked c => {
            c.transaction::<_, Error, _>(async |c| {
                diesel::delete(owums_operator_recovery_codes::table.filter(owums_operator_recovery_codes::operator_id.eq(id)))
                    .execute(c)
                    .await?;
                // one by one: SQLite's batch insert needs a DEFAULT keyword it lacks
                for row in &rows {
                    diesel::insert_into(owums_operator_recovery_codes::table).values(row.clone()).execute(c).await?;
                }
                Ok(())
            })
            .await
        })
    }

    /// Uses up recovery code `hash` of operator `id`: `true` when it existed (and is now gone).
    pub(crate) async fn take_recovery_code(&self, id: &str, hash: &str) -> Result<bool> {
        let n = db_run!(self, untracked c => diesel::delete(
                owums_operator_recovery_codes::table
                    .filter(owums_operator_recovery_codes::operator_id.eq(id))
                    .filter(owums_operator_recovery_codes::code_hash.eq(hash)),
            )
            .execute(c)
            .await?);
        Ok(n > 0)
    }

    /// How many unused recovery codes operator `id` has.
    pub(crate) async fn count_recovery_codes(&self, id: &str) -> Result<i64> {
        Ok(db_run!(self, read c => owums_operator_recovery_codes::table
            .filter(owums_operator_recovery_codes::operator_id.eq(id))
            .count()
            .get_result::<i64>(c)
            .await?))
    }

    /// Replaces any first-run link by the one of `hash`, valid until `expires_at`.
    pub(crate) async fn replace_setup_link(
        &self,
        hash: &str,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> Result<()> {
        db_run!(self, untracked c => {
            c.transaction::<_, Error, _>(async |c| {
                diesel::delete(owums_operator_setup::table).execute(c).await?;
                diesel::insert_into(owums_operator_setup::table)
                    .values((
                        owums_operator_setup::token_hash.eq(hash),
                        owums_operator_setup::created_at.eq(now),
                        owums_operator_setup::expires_at.eq(expires_at),
                    ))
                    .execute(c)
                    .await?;
                Ok(())
            })
            .await
        })
    }

    /// Whether the first-run link of `hash` is live at `now` (and no operator exists yet).
    pub(crate) async fn setup_link_live(&self, hash: &str, now: NaiveDateTime) -> Result<bool> {
        let (links, operators) = db_run!(self, read c => {
            let links = owums_operator_setup::table
                .filter(owums_operator_setup::token_hash.eq(hash))
                .filter(owums_operator_setup::expires_at.gt(now))
                .count()
                .get_result::<i64>(c)
                .await?;
            let operators = owums_operators::table.count().get_result::<i64>(c).await?;
            (links, operators)
        });
        Ok(links > 0 && operators == 0)
    }

    /// Uses up the first-run link of `hash` and stores `row`, in one transaction: `false`
    /// (nothing stored) when the link is unknown, expired or used, or an operator exists.
    pub(crate) async fn create_first_operator(
        &self,
        hash: &str,
        now: NaiveDateTime,
        row: &OperatorRow,
    ) -> Result<bool> {
        db_run!(self, untracked c => {
            c.transaction::<_, Error, _>(async |c| {
                let taken = diesel::delete(
                    owums_operator_setup::table
                        .filter(owums_operator_setup::token_hash.eq(hash))
                        .filter(owums_operator_setup::expires_at.gt(now)),
                )
                .execute(c)
                .await?;
                let operators = owums_operators::table.count().get_result::<i64>(c).await?;
                if taken == 0 || operators > 0 {
                    return Ok(false);
                }
                diesel::insert_into(owums_operators::table).values(row).execute(c).await?;
                diesel::delete(owums_operator_setup::table).execute(c).await?;
                Ok(true)
            })
            .await
        })
    }

    /// Appends a row to the audit log.
    pub(crate) async fn insert_audit(&self, row: &NewAuditRow) -> Result<()> {
        db_run!(self, untracked c => diesel::insert_into(owums_audit_log::table).values(row).execute(c).await?);
        Ok(())
    }

    /// The audit rows of `filter`, newest first, `limit` of them from `offset`, and how many
    /// match in all.
    pub(crate) async fn query_audit(
        &self,
        filter: &AuditFilterRow,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<AuditRow>, i64)> {
        Ok(db_run!(self, read c => {
            let total = audit_query!(filter).count().get_result::<i64>(c).await?;
            let rows = audit_query!(filter)
                .order((owums_audit_log::at.desc(), owums_audit_log::id.desc()))
                .offset(offset)
                .limit(limit)
                .select(AuditRow::as_select())
                .load(c)
                .await?;
            (rows, total)
        }))
    }
}
