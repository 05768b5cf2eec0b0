//! Accounting maintenance: closing stale sessions and deleting old rows (OWUMS'
//! `radius_accountings:cleanup_stale`, openwisp-radius' `cleanup_stale_radacct`,
//! `delete_old_radacct`, `delete_old_postauth`).

use crate::error::Result;
use crate::storage::Store;
use crate::storage::conn::Backend;
use crate::storage::sql::Val;

/// Terminate cause of a stale session whose length is known.
pub const STALE_RECALCULATED: &str = "OWUMS-Stale-Recalculated";
/// Terminate cause of a stale session without a length.
pub const STALE_INVALID: &str = "OWUMS-Stale-Invalid";

/// What [`Store::cleanup_stale_sessions`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StaleCleanup {
    /// Sessions closed at start + session time.
    pub recalculated: usize,
    /// Sessions without a session time, closed at their start.
    pub invalid: usize,
}

/// `acctstarttime` plus `acctsessiontime` seconds, in the dialect's time type.
fn start_plus_session_time(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "acctstarttime + acctsessiontime * INTERVAL '1 second'",
        Backend::Mysql => "DATE_ADD(acctstarttime, INTERVAL acctsessiontime SECOND)",
        Backend::Sqlite => "acctstarttime + acctsessiontime",
    }
}

/// Deletes at most `{batch}` rows of `table` matching `condition` (by `key`).
fn delete_batch(backend: Backend, table: &str, key: &str, condition: &str) -> String {
    match backend {
        Backend::Mysql => format!("DELETE FROM {table} WHERE {condition} LIMIT {{batch}}"),
        _ => format!(
            "DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {condition} LIMIT {{batch}})"
        ),
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

impl Store {
    /// OWUMS' cleanup: sessions still open that started at least `older_than_days` days before
    /// `now` (Unix seconds) are closed at start + session time (`OWUMS-Stale-Recalculated`) or,
    /// when the session time is 0 or missing, at their start (`OWUMS-Stale-Invalid`).
    pub async fn cleanup_stale_sessions(
        &self,
        older_than_days: u32,
        now: i64,
    ) -> Result<StaleCleanup> {
        let cutoff = now - i64::from(older_than_days) * 86_400;
        let recalculated = format!(
            "UPDATE radacct SET acctstoptime = {}, acctterminatecause = {{cause}} \
             WHERE acctstoptime IS NULL AND acctstarttime <= {{cutoff}} AND acctsessiontime > 0",
            start_plus_session_time(self.backend())
        );
        let recalculated = self
            .execute_sql(
                &recalculated,
                &[
                    ("cause", Val::Text(STALE_RECALCULATED.to_owned())),
                    ("cutoff", Val::Time(cutoff)),
                ],
            )
            .await?;
        let invalid = self
            .execute_sql(
                "UPDATE radacct SET acctstoptime = acctstarttime, acctterminatecause = {cause} \
                 WHERE acctstoptime IS NULL AND acctstarttime <= {cutoff} \
                 AND (acctsessiontime IS NULL OR acctsessiontime = 0)",
                &[
                    ("cause", Val::Text(STALE_INVALID.to_owned())),
                    ("cutoff", Val::Time(cutoff)),
                ],
            )
            .await?;
        Ok(StaleCleanup {
            recalculated,
            invalid,
        })
    }

    /// openwisp-radius' variant: open sessions not updated (or, never updated, not started) for
    /// `hours` are closed now, with the session time up to now and cause `Session-Timeout`.
    pub async fn close_sessions_idle_for(&self, hours: u32, now: i64) -> Result<usize> {
        let cutoff = now - i64::from(hours) * 3_600;
        self.execute_sql(
            "UPDATE radacct SET acctsessiontime = {now_epoch} - EPOCH(acctstarttime), acctstoptime = {now}, \
             acctupdatetime = {now}, acctterminatecause = 'Session-Timeout' \
             WHERE acctstoptime IS NULL AND COALESCE(EPOCH(acctupdatetime), EPOCH(acctstarttime)) <= {cutoff}",
            &[("now_epoch", Val::Int(now)), ("now", Val::Time(now)), ("cutoff", Val::Int(cutoff))],
        )
        .await
    }

    async fn count_where(&self, table: &str, condition: &str, vals: &[(&str, Val)]) -> Result<u64> {
        let rows: Vec<Count> = self
            .load_sql(
                &format!("SELECT COUNT(*) AS n FROM {table} WHERE {condition}"),
                vals,
            )
            .await?;
        Ok(rows.first().map_or(0, |c| u64::try_from(c.n).unwrap_or(0)))
    }

    /// Deletes `table` rows matching `condition` in batches of `batch`, calling `progress` with
    /// the running total; returns how many were deleted.
    async fn delete_in_batches(
        &self,
        table: &str,
        key: &str,
        condition: &str,
        mut vals: Vec<(&str, Val)>,
        batch: u32,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<u64> {
        let total = self.count_where(table, condition, &vals).await?;
        let sql = delete_batch(self.backend(), table, key, condition);
        vals.push(("batch", Val::Int(i64::from(batch.max(1)))));
        let mut done = 0u64;
        progress(done, total);
        loop {
            let n = self.execute_sql(&sql, &vals).await?;
            if n == 0 {
                break;
            }
            done += n as u64;
            progress(done, total.max(done));
        }
        Ok(done)
    }

    /// How many rows [`Store::delete_radacct_older_than`] would delete now.
    pub async fn count_radacct_older_than(&self, days: u32, now: i64) -> Result<u64> {
        let (old, vals) = Old::Sessions.rows(days, now);
        self.count_where(old.table, old.condition, &vals).await
    }

    /// Deletes closed sessions that ended more than `days` days before `now`.
    pub async fn delete_radacct_older_than(
        &self,
        days: u32,
        now: i64,
        batch: u32,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<u64> {
        self.delete_old(Old::Sessions, days, now, batch, progress)
            .await
    }

    /// How many rows [`Store::delete_postauth_older_than`] would delete now.
    pub async fn count_postauth_older_than(&self, days: u32, now: i64) -> Result<u64> {
        let (old, vals) = Old::PostAuth.rows(days, now);
        self.count_where(old.table, old.condition, &vals).await
    }

    /// Deletes authentication log rows older than `days` days before `now`.
    pub async fn delete_postauth_older_than(
        &self,
        days: u32,
        now: i64,
        batch: u32,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<u64> {
        self.delete_old(Old::PostAuth, days, now, batch, progress)
            .await
    }

    async fn delete_old(
        &self,
        old: Old,
        days: u32,
        now: i64,
        batch: u32,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<u64> {
        let (old, vals) = old.rows(days, now);
        self.delete_in_batches(old.table, old.key, old.condition, vals, batch, progress)
            .await
    }
}

/// Old rows that housekeeping deletes.
#[derive(Debug, Clone, Copy)]
enum Old {
    /// Closed sessions that ended more than the days before now.
    Sessions,
    /// Authentication log rows older than the days before now.
    PostAuth,
}

/// Where old rows are and which they are.
struct OldRows {
    table: &'static str,
    key: &'static str,
    condition: &'static str,
}

impl Old {
    /// The rows older than `days` days before `now`, and the values their condition reads.
    fn rows(self, days: u32, now: i64) -> (OldRows, Vec<(&'static str, Val)>) {
        let cutoff = now - i64::from(days) * 86_400;
        match self {
            Old::Sessions => (
                OldRows {
                    table: "radacct",
                    key: "radacctid",
                    condition: "acctstoptime IS NOT NULL AND acctstoptime < {cutoff}",
                },
                vec![("cutoff", Val::Time(cutoff))],
            ),
            Old::PostAuth => (
                OldRows {
                    table: "radpostauth",
                    key: "id",
                    condition: "authdate < {cutoff}",
                },
                vec![("cutoff", Val::DateTime(cutoff))],
            ),
        }
    }
}
