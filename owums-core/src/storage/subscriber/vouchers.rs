//! The `owums_voucher_batches` and `owums_vouchers` tables: a batch is written in one
//! transaction with its users, their RADIUS passwords, memberships and voucher rows, with
//! multi-row inserts.
//!
//! A voucher's first use is not stored: it is the earliest `acctstarttime` of its username
//! in `radacct` (FreeRADIUS writes that table itself in SQL mode), read with the username
//! index.

use chrono::NaiveDateTime;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{ExpressionMethods, JoinOnDsl, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::{Error, Result};
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::schema::{
    owums_radius_checks, owums_user_groups, owums_users, owums_voucher_batches, owums_vouchers,
};
use crate::storage::sql::Val;
use crate::storage::subscriber::users::NewUserRow;

/// Rows per multi-row insert (well under every backend's limit of bound parameters).
const CHUNK: usize = 500;

/// A row of `owums_voucher_batches` (without its id).
#[derive(Debug, Clone, diesel::Insertable)]
#[diesel(table_name = owums_voucher_batches)]
pub(crate) struct NewBatchRow {
    pub(crate) name: String,
    pub(crate) prefix: String,
    pub(crate) group_name: String,
    pub(crate) password_length: i32,
    pub(crate) valid_until: Option<NaiveDateTime>,
    pub(crate) valid_days: Option<i32>,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) created_by: Option<String>,
}

/// A stored batch with its id.
#[derive(Debug, Clone, diesel::Queryable)]
pub(crate) struct BatchRow {
    pub(crate) id: i32,
    pub(crate) name: String,
    pub(crate) prefix: String,
    pub(crate) group_name: String,
    pub(crate) password_length: i32,
    pub(crate) valid_until: Option<NaiveDateTime>,
    pub(crate) valid_days: Option<i32>,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) created_by: Option<String>,
}

/// One voucher of a batch: its username and first use (Unix seconds).
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct VoucherUse {
    #[diesel(sql_type = Text)]
    pub(crate) username: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub(crate) first_used: Option<i64>,
}

/// A generated voucher ready to insert: the user row and its RADIUS password check item.
pub(crate) struct NewVoucher {
    pub(crate) user: NewUserRow,
    pub(crate) radius_value: String,
}

macro_rules! batch_columns {
    () => {
        (
            owums_voucher_batches::id,
            owums_voucher_batches::name,
            owums_voucher_batches::prefix,
            owums_voucher_batches::group_name,
            owums_voucher_batches::password_length,
            owums_voucher_batches::valid_until,
            owums_voucher_batches::valid_days,
            owums_voucher_batches::created_at,
            owums_voucher_batches::created_by,
        )
    };
}

/// Inserts `$rows` into `$table`: one multi-row statement (`multi`) or a statement a row.
macro_rules! insert_rows {
    (multi $c:expr, $table:expr, $rows:expr) => {
        diesel::insert_into($table)
            .values($rows)
            .execute($c)
            .await?;
    };
    (single $c:expr, $table:expr, $rows:expr) => {
        for row in $rows {
            diesel::insert_into($table).values(row).execute($c).await?;
        }
    };
}
pub(crate) use insert_rows;

/// The transaction of [`Store::insert_voucher_batch`] on connection `$c`.
macro_rules! write_batch {
    ($mode:ident $c:expr, $batch:expr, $attribute:expr, $vouchers:expr) => {
        $c.transaction::<_, Error, _>(async |c| {
            diesel::insert_into(owums_voucher_batches::table).values($batch).execute(c).await?;
            let id: i32 = owums_voucher_batches::table
                .filter(owums_voucher_batches::name.eq(&$batch.name))
                .select(owums_voucher_batches::id)
                .first(c)
                .await?;
            for chunk in $vouchers.chunks(CHUNK) {
                let users: Vec<&NewUserRow> = chunk.iter().map(|v| &v.user).collect();
                insert_rows!($mode c, owums_users::table, users);
                let checks: Vec<_> = chunk
                    .iter()
                    .map(|v| {
                        (
                            owums_radius_checks::user_id.eq(&v.user.id),
                            owums_radius_checks::attribute.eq($attribute),
                            owums_radius_checks::op.eq(":="),
                            owums_radius_checks::value.eq(&v.radius_value),
                        )
                    })
                    .collect();
                insert_rows!($mode c, owums_radius_checks::table, checks);
                let groups: Vec<_> = chunk
                    .iter()
                    .map(|v| {
                        (
                            owums_user_groups::user_id.eq(&v.user.id),
                            owums_user_groups::group_name.eq(&$batch.group_name),
                            owums_user_groups::priority.eq(1),
                        )
                    })
                    .collect();
                insert_rows!($mode c, owums_user_groups::table, groups);
                let rows: Vec<_> = chunk
                    .iter()
                    .map(|v| (owums_vouchers::user_id.eq(&v.user.id), owums_vouchers::batch_id.eq(id)))
                    .collect();
                insert_rows!($mode c, owums_vouchers::table, rows);
            }
            Ok(id)
        })
        .await
    };
}

impl Store {
    /// Inserts a batch and its vouchers (users, RADIUS passwords as `attribute`, membership
    /// of the batch's group, voucher rows) in one transaction; returns the batch's id.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`] when the batch name or a username is taken; nothing is written.
    pub(crate) async fn insert_voucher_batch(
        &self,
        batch: &NewBatchRow,
        attribute: &str,
        vouchers: &[NewVoucher],
    ) -> Result<i32> {
        use crate::storage::conn::{Pool, pool_error};
        let _counted = self.user_write();
        match &self.pool {
            // diesel-async writes a multi-row insert on SQLite row by row; on SQLite, with
            // no round trips, rows in one transaction are as fast
            Pool::Sqlite(p) => {
                let c = &mut *p.write().await?;
                write_batch!(single c, batch, attribute, vouchers)
            }
            Pool::Postgres(p) => {
                let c = &mut *p.get().await.map_err(pool_error)?;
                write_batch!(multi c, batch, attribute, vouchers)
            }
            Pool::Mysql(p) => {
                let c = &mut *p.get().await.map_err(pool_error)?;
                write_batch!(multi c, batch, attribute, vouchers)
            }
        }
    }

    /// Every batch, by name.
    pub(crate) async fn voucher_batches(&self) -> Result<Vec<BatchRow>> {
        Ok(db_run!(self, read c => owums_voucher_batches::table
            .order(owums_voucher_batches::name.asc())
            .select(batch_columns!())
            .load(c)
            .await?))
    }

    /// The batch named `name`.
    pub(crate) async fn voucher_batch(&self, name: &str) -> Result<Option<BatchRow>> {
        Ok(db_run!(self, read c => owums_voucher_batches::table
            .filter(owums_voucher_batches::name.eq(name))
            .select(batch_columns!())
            .first(c)
            .await
            .optional()?))
    }

    /// The batch of the voucher `user_id` (`None`: not a voucher).
    pub(crate) async fn batch_of_voucher(&self, user_id: &str) -> Result<Option<BatchRow>> {
        Ok(db_run!(self, read c => owums_vouchers::table
            .inner_join(owums_voucher_batches::table.on(owums_voucher_batches::id.eq(owums_vouchers::batch_id)))
            .filter(owums_vouchers::user_id.eq(user_id))
            .select(batch_columns!())
            .first(c)
            .await
            .optional()?))
    }

    /// The vouchers of batch `batch_id` by username, with their first use.
    pub(crate) async fn voucher_uses(&self, batch_id: i32) -> Result<Vec<VoucherUse>> {
        self.load_sql(
            "SELECT u.username AS username, \
             (SELECT MIN(EPOCH(ra.acctstarttime)) FROM radacct ra WHERE ra.username = u.username) AS first_used \
             FROM owums_vouchers v JOIN owums_users u ON u.id = v.user_id \
             WHERE v.batch_id = {batch} ORDER BY u.username",
            &[("batch", Val::Int(i64::from(batch_id)))],
        )
        .await
    }

    /// The first use (Unix seconds) of `username`: its earliest accounting start.
    pub(crate) async fn first_use(&self, username: &str) -> Result<Option<i64>> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = Nullable<BigInt>)]
            value: Option<i64>,
        }
        let rows: Vec<Row> = self
            .load_sql(
                "SELECT MIN(EPOCH(acctstarttime)) AS value FROM radacct WHERE username = {user}",
                &[("user", Val::Text(username.to_owned()))],
            )
            .await?;
        Ok(rows.into_iter().next().and_then(|r| r.value))
    }
}
