//! Reads for the REST authorize: a user's RADIUS profile in one query, usage counters,
//! open sessions.
//!
//! Each read is one statement, because authorize runs on every Access-Request and its
//! latency is what a subscriber waits for at the captive portal. The SQL is written once
//! per dialect and kept prepared on each connection.

use std::sync::LazyLock;

use diesel::sql_types::{BigInt, Text};

use crate::error::Result;
use crate::ids::UserId;
use crate::storage::Store;
use crate::storage::conn::Backend;
use crate::storage::sql::Val;

/// Where a profile attribute comes from: FreeRADIUS' order of evaluation puts the user's
/// own items before their groups', and check items decide while reply items are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileSource {
    /// The user's own check items.
    UserCheck,
    /// The user's own reply items.
    UserReply,
    /// Check items of one of the user's groups.
    GroupCheck,
    /// Reply items of one of the user's groups.
    GroupReply,
}

/// One attribute of a user's RADIUS profile, as [`Store::radius_profile`] returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileAttribute {
    /// Where it comes from.
    pub source: ProfileSource,
    /// The group, for group items (empty otherwise).
    pub group: String,
    /// Attribute name.
    pub attribute: String,
    /// Operator (`:=`, `=`, `==`, `+=`, ...).
    pub op: String,
    /// Value, as stored (quotes are not added or removed).
    pub value: String,
}

#[derive(diesel::QueryableByName)]
struct ProfileRow {
    #[diesel(sql_type = BigInt)]
    kind: i64,
    #[diesel(sql_type = Text)]
    grp: String,
    #[diesel(sql_type = Text)]
    attribute: String,
    #[diesel(sql_type = Text)]
    op: String,
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(diesel::QueryableByName)]
struct IntRow {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

#[derive(diesel::QueryableByName)]
struct UsageRow {
    #[diesel(sql_type = BigInt)]
    session_time: i64,
    #[diesel(sql_type = BigInt)]
    octets: i64,
}

/// What a user used in a window, for the counters ([`crate::radius::Counter`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageSums {
    /// Seconds online in the window (sessions still open count up to their last
    /// Interim-Update); never negative.
    pub session_time: i64,
    /// Octets uploaded plus downloaded (`acctinputoctets + acctoutputoctets`, gigawords
    /// folded in when the row was written); never negative.
    pub octets: i64,
}

/// [`Store::usage_since`] for each dialect (PostgreSQL, MySQL, SQLite), written once.
///
/// The sums saturate at the largest signed 64-bit number instead of failing: they are
/// taken in a wider type (PostgreSQL `numeric`, MySQL `DECIMAL`, SQLite `REAL` — SQLite's
/// `SUM` of integers fails on overflow) and clamped to 0 ..= 2^63 − 1 before the cast, so
/// rows with absurd counters (written before the ceiling of
/// [`MAX_SESSION_OCTETS`](crate::accounting::MAX_SESSION_OCTETS), or by FreeRADIUS' own
/// SQL queries) reach the limit instead of answering a 500.
static USAGE: LazyLock<[String; 3]> = LazyLock::new(|| {
    [Backend::Postgres, Backend::Mysql, Backend::Sqlite].map(|b| {
        let wide = |col: &str| wide(b, col);
        format!(
            "SELECT {} AS session_time, {} AS octets FROM radacct WHERE username = {{user}} \
             AND EPOCH(acctstarttime) + {} > {{since}}",
            saturated(
                b,
                &format!(
                    "COALESCE(SUM({} - CASE WHEN EPOCH(acctstarttime) < {{since}} \
                     THEN {{since}} - EPOCH(acctstarttime) ELSE 0 END), 0)",
                    wide("acctsessiontime")
                )
            ),
            saturated(
                b,
                &format!(
                    "COALESCE(SUM({}), 0) + COALESCE(SUM({}), 0)",
                    wide("acctinputoctets"),
                    wide("acctoutputoctets")
                )
            ),
            wide("acctsessiontime"),
        )
    })
});

/// `col` in a type whose sums and additions do not overflow where 64-bit integers do.
fn wide(backend: Backend, col: &str) -> String {
    match backend {
        Backend::Postgres => format!("CAST({col} AS NUMERIC)"),
        Backend::Mysql => format!("CAST({col} AS DECIMAL(65))"),
        Backend::Sqlite => format!("CAST({col} AS REAL)"),
    }
}

/// A wide `expr` clamped to 0 ..= 2^63 − 1 and cast to a signed 64-bit integer (SQLite's
/// `CAST` of a `REAL` beyond the range saturates).
fn saturated(backend: Backend, expr: &str) -> String {
    match backend {
        Backend::Sqlite => {
            format!("CAST(MIN(MAX({expr}, 0), 9223372036854775807.0) AS INTEGER)")
        }
        b => format!(
            "CAST(LEAST(GREATEST({expr}, 0), 9223372036854775807) AS {})",
            int_type(b)
        ),
    }
}

#[derive(diesel::QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    value: String,
}

/// The user's own items first, then each group's in membership priority order. The `kind`
/// column says which of the four sources a row is (see [`ProfileSource`]).
const PROFILE: &str = "SELECT INT64(0) AS kind, INT64(0) AS prio, '' AS grp, attribute, op, value, INT64(id) AS id \
      FROM owums_radius_checks WHERE user_id = {id} \
    UNION ALL SELECT INT64(1), INT64(0), '', attribute, op, value, INT64(id) \
      FROM owums_radius_replies WHERE user_id = {id} \
    UNION ALL SELECT INT64(2), INT64(g.priority), g.group_name, c.attribute, c.op, c.value, INT64(c.id) \
      FROM owums_user_groups g JOIN radgroupcheck c ON c.groupname = g.group_name WHERE g.user_id = {id} \
    UNION ALL SELECT INT64(3), INT64(g.priority), g.group_name, r.attribute, r.op, r.value, INT64(r.id) \
      FROM owums_user_groups g JOIN radgroupreply r ON r.groupname = g.group_name WHERE g.user_id = {id} \
    ORDER BY 1, 2, 3, 7";

/// The dialect's name for a signed 64-bit integer in `CAST`.
fn int_type(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "BIGINT",
        Backend::Mysql => "SIGNED",
        Backend::Sqlite => "INTEGER",
    }
}

impl Store {
    /// The user's check and reply items, their own and their groups' (password rows included;
    /// the caller ignores them).
    ///
    /// In the order FreeRADIUS would evaluate them: the user's check items, their reply
    /// items, then each group's check and reply items by membership priority (lowest
    /// first), each source in insertion order. The user's state is not looked at: the
    /// caller decides whether the user may log in at all.
    pub async fn radius_profile(&self, user: UserId) -> Result<Vec<ProfileAttribute>> {
        let rows: Vec<ProfileRow> = self
            .load_sql(PROFILE, &[("id", Val::Text(user.to_string()))])
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| ProfileAttribute {
                source: match r.kind {
                    0 => ProfileSource::UserCheck,
                    1 => ProfileSource::UserReply,
                    2 => ProfileSource::GroupCheck,
                    _ => ProfileSource::GroupReply,
                },
                group: r.grp,
                attribute: r.attribute,
                // radgroup* `op` is CHAR(2): PostgreSQL pads `=` to `= `
                op: r.op.trim().to_owned(),
                value: r.value,
            })
            .collect())
    }

    async fn load_int(&self, sql: &str, vals: &[(&str, Val)]) -> Result<i64> {
        let rows: Vec<IntRow> = self.load_sql(sql, vals).await?;
        Ok(rows.first().map_or(0, |r| r.value))
    }

    /// Session time (seconds) and traffic (octets in + out) of `username`'s sessions that
    /// lasted past `since` (Unix seconds); a session that began before counts its time only
    /// from `since` on (rlm_sqlcounter's and openwisp-radius' queries, in one).
    pub async fn usage_since(&self, username: &str, since: i64) -> Result<UsageSums> {
        let sql = match self.backend() {
            Backend::Postgres => &USAGE[0],
            Backend::Mysql => &USAGE[1],
            Backend::Sqlite => &USAGE[2],
        };
        let vals = [
            ("user", Val::Text(username.to_owned())),
            ("since", Val::Int(since)),
        ];
        let rows: Vec<UsageRow> = self.load_sql(sql, &vals).await?;
        Ok(rows.first().map_or_else(UsageSums::default, |r| UsageSums {
            session_time: r.session_time.max(0),
            octets: r.octets.max(0),
        }))
    }

    /// Open sessions of `username`, not counting one from the same access point and device
    /// (a device re-authenticating where it already is).
    pub async fn open_sessions_elsewhere(
        &self,
        username: &str,
        called_station_id: &str,
        calling_station_id: &str,
    ) -> Result<i64> {
        let sql = format!(
            "SELECT CAST(COUNT(*) AS {t}) AS value FROM radacct WHERE username = {{user}} \
             AND acctstoptime IS NULL AND NOT (COALESCE(calledstationid, '') = {{called}} \
             AND COALESCE(callingstationid, '') = {{calling}})",
            t = int_type(self.backend())
        );
        let vals = [
            ("user", Val::Text(username.to_owned())),
            ("called", Val::Text(called_station_id.to_owned())),
            ("calling", Val::Text(calling_station_id.to_owned())),
        ];
        self.load_int(&sql, &vals).await
    }

    /// The username of the newest open session of the device with MAC address `mac`
    /// (lowercase, `:`-separated; stored ids with `-` or upper case match too).
    ///
    /// Used by MAC roaming (`[freeradius] mac_roaming`): a device already logged in at one
    /// access point is let in at the next one as the same subscriber.
    pub async fn open_session_user_by_mac(&self, mac: &str) -> Result<Option<String>> {
        let rows: Vec<TextRow> = self
            .load_sql(
                "SELECT username AS value FROM radacct WHERE acctstoptime IS NULL \
                 AND LOWER(REPLACE(callingstationid, '-', ':')) = {mac} \
                 ORDER BY radacctid DESC LIMIT 1",
                &[("mac", Val::Text(mac.to_owned()))],
            )
            .await?;
        Ok(rows.into_iter().next().map(|r| r.value))
    }
}
