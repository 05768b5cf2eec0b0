//! A subscriber's own accounting: their sessions page by page, and the raw rows of their
//! recent sessions that the per-day usage is computed from.

use diesel::sql_types::{BigInt, Nullable};

use crate::error::Result;
use crate::storage::Store;
use crate::storage::accounting::radacct::{RadAcctRecord, SELECT};
use crate::storage::sql::Val;
use crate::subscriber::account::SessionSort;

/// Start, stop and counters of one session (times in Unix seconds).
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct UsageRow {
    #[diesel(sql_type = Nullable<BigInt>)]
    pub(crate) start: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub(crate) stop: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub(crate) input: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub(crate) output: Option<i64>,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn order_by(sort: SessionSort, descending: bool) -> String {
    let dir = if descending { "DESC" } else { "ASC" };
    let column = match sort {
        SessionSort::Start => "acctstarttime",
        SessionSort::Upload => "acctinputoctets",
        SessionSort::Download => "acctoutputoctets",
        // Open sessions have no stop time: they sort as the latest, the same on every dialect.
        SessionSort::Stop => {
            return format!(
                "ORDER BY CASE WHEN acctstoptime IS NULL THEN 1 ELSE 0 END {dir}, \
                 acctstoptime {dir}, radacctid {dir}"
            );
        }
    };
    format!("ORDER BY {column} {dir}, radacctid {dir}")
}

impl Store {
    /// The sessions of `username` sorted by `sort`, `limit` from `offset`.
    pub async fn radacct_page(
        &self,
        username: &str,
        sort: SessionSort,
        descending: bool,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<RadAcctRecord>> {
        // Numbers are ours, not the client's text: written inline, as every dialect accepts.
        let q = format!(
            "{SELECT} WHERE username = {{user}} {} LIMIT {limit} OFFSET {offset}",
            order_by(sort, descending)
        );
        self.load_sql(&q, &[("user", Val::Text(username.to_owned()))])
            .await
    }

    /// How many sessions `username` has.
    pub async fn radacct_count(&self, username: &str) -> Result<u64> {
        let rows: Vec<Count> = self
            .load_sql(
                "SELECT COUNT(*) AS n FROM radacct WHERE username = {user}",
                &[("user", Val::Text(username.to_owned()))],
            )
            .await?;
        Ok(rows.first().map_or(0, |r| u64::try_from(r.n).unwrap_or(0)))
    }

    /// Sessions of `username` started at or after `since` (Unix seconds).
    pub(crate) async fn usage_rows(&self, username: &str, since: i64) -> Result<Vec<UsageRow>> {
        self.load_sql(
            "SELECT EPOCH(acctstarttime) AS start, EPOCH(acctstoptime) AS stop, \
             INT64(acctinputoctets) AS input, INT64(acctoutputoctets) AS output \
             FROM radacct WHERE username = {user} AND acctstarttime >= {since}",
            &[
                ("user", Val::Text(username.to_owned())),
                ("since", Val::Time(since)),
            ],
        )
        .await
    }
}
