//! `radacct`: the SQL accounting sink (FreeRADIUS' own query semantics: idempotent on
//! `acctuniqueid`, counters with gigawords folded, a Start closing the device's older
//! sessions) and reads of the sessions.

use std::sync::{Arc, LazyLock};

use diesel::sql_types::{BigInt, Nullable, Text};

use diesel_async::AsyncPgConnection;

use crate::accounting::{AccountingEvent, AccountingSink, AcctStatus};
use crate::error::{Error, Result};
use crate::storage::Store;
use crate::storage::accounting::acct_groups::Groups;
use crate::storage::conn::Backend;
use crate::storage::sql::{SqliteStatement, Val, pg_execute, pg_load};

/// One `radacct` row, with times as Unix seconds whatever the dialect stores.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct RadAcctRecord {
    /// `radacctid`.
    #[diesel(sql_type = BigInt)]
    pub radacctid: i64,
    /// `acctsessionid`.
    #[diesel(sql_type = Text)]
    pub acctsessionid: String,
    /// `acctuniqueid`.
    #[diesel(sql_type = Text)]
    pub acctuniqueid: String,
    /// `username`.
    #[diesel(sql_type = Text)]
    pub username: String,
    /// `nasipaddress`.
    #[diesel(sql_type = Text)]
    pub nasipaddress: String,
    /// `acctstarttime`.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub acctstarttime: Option<i64>,
    /// `acctupdatetime`.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub acctupdatetime: Option<i64>,
    /// `acctstoptime` (`None`: the session is open).
    #[diesel(sql_type = Nullable<BigInt>)]
    pub acctstoptime: Option<i64>,
    /// `acctsessiontime`, seconds.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub acctsessiontime: Option<i64>,
    /// `acctinputoctets`: uploaded by the user.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub acctinputoctets: Option<i64>,
    /// `acctoutputoctets`: downloaded by the user.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub acctoutputoctets: Option<i64>,
    /// `calledstationid`.
    #[diesel(sql_type = Text)]
    pub calledstationid: String,
    /// `callingstationid`.
    #[diesel(sql_type = Text)]
    pub callingstationid: String,
    /// `acctterminatecause`.
    #[diesel(sql_type = Text)]
    pub acctterminatecause: String,
    /// `framedipaddress`.
    #[diesel(sql_type = Text)]
    pub framedipaddress: String,
}

pub(super) const SELECT: &str = "SELECT INT64(radacctid) AS radacctid, acctsessionid, acctuniqueid, \
    COALESCE(username, '') AS username, IP(nasipaddress) AS nasipaddress, \
    EPOCH(acctstarttime) AS acctstarttime, EPOCH(acctupdatetime) AS acctupdatetime, \
    EPOCH(acctstoptime) AS acctstoptime, INT64(acctsessiontime) AS acctsessiontime, \
    INT64(acctinputoctets) AS acctinputoctets, INT64(acctoutputoctets) AS acctoutputoctets, COALESCE(calledstationid, '') AS calledstationid, \
    COALESCE(callingstationid, '') AS callingstationid, \
    COALESCE(acctterminatecause, '') AS acctterminatecause, IP(framedipaddress) AS framedipaddress \
    FROM radacct";

const COLUMNS: &str = "acctsessionid, acctuniqueid, username, realm, nasipaddress, nasportid, nasporttype, \
    acctstarttime, acctupdatetime, acctstoptime, acctsessiontime, acctauthentic, connectinfo_start, \
    connectinfo_stop, acctinputoctets, acctoutputoctets, calledstationid, callingstationid, \
    acctterminatecause, servicetype, framedprotocol, framedipaddress";

const VALUES: &str = "{sid}, {uid}, {user}, {realm}, {nas}, {port}, {port_type}, {start}, {now}, {stop}, \
    {session_time}, {authentic}, {connect_info}, '', {input}, {output}, {called}, {calling}, {cause}, \
    {service}, {protocol}, {framed}";

/// `INSERT` that leaves an existing row of the same `acctuniqueid` alone.
fn insert_ignore(backend: Backend, stopped: bool) -> String {
    let values = VALUES.replace("{stop}", if stopped { "{now}" } else { "NULL" });
    match backend {
        Backend::Mysql => format!("INSERT IGNORE INTO radacct ({COLUMNS}) VALUES ({values})"),
        _ => format!(
            "INSERT INTO radacct ({COLUMNS}) VALUES ({values}) ON CONFLICT (acctuniqueid) DO NOTHING"
        ),
    }
}

/// `INSERT` of a Start that refreshes the start time of an open row of the same id.
fn insert_start(backend: Backend) -> String {
    let values = VALUES.replace("{stop}", "NULL");
    match backend {
        Backend::Mysql => format!(
            "INSERT INTO radacct ({COLUMNS}) VALUES ({values}) ON DUPLICATE KEY UPDATE \
             acctstarttime = IF(acctstoptime IS NULL, VALUES(acctstarttime), acctstarttime), \
             acctupdatetime = IF(acctstoptime IS NULL, VALUES(acctupdatetime), acctupdatetime), \
             connectinfo_start = IF(acctstoptime IS NULL, VALUES(connectinfo_start), connectinfo_start)"
        ),
        _ => format!(
            "INSERT INTO radacct ({COLUMNS}) VALUES ({values}) ON CONFLICT (acctuniqueid) DO UPDATE SET \
             acctstarttime = excluded.acctstarttime, acctupdatetime = excluded.acctupdatetime, \
             connectinfo_start = excluded.connectinfo_start WHERE radacct.acctstoptime IS NULL"
        ),
    }
}

/// A device that starts a session has left its other open sessions of the same user: they
/// stop at their last update (else at this start) with cause `Session-Timeout`.
const CLOSE_OLDER: &str = "UPDATE radacct SET acctstoptime = COALESCE(acctupdatetime, {now}), \
    acctterminatecause = 'Session-Timeout' WHERE username = {user} \
    AND callingstationid = {calling} AND acctstoptime IS NULL AND acctuniqueid <> {uid}";

/// PostgreSQL: the Start and [`CLOSE_OLDER`] in one statement (one round trip, one commit);
/// the row is how many sessions were closed.
static START_CLOSING_OLDER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH closed AS ({CLOSE_OLDER} RETURNING 1), started AS ({}) \
         SELECT CAST(COUNT(*) AS BIGINT) AS closed FROM closed",
        insert_start(Backend::Postgres)
    )
});

#[derive(diesel::QueryableByName)]
struct ClosedRow {
    #[diesel(sql_type = BigInt)]
    closed: i64,
}

const INTERIM: &str = "UPDATE radacct SET acctupdatetime = {now}, acctsessiontime = {session_time}, \
    acctinputoctets = {input}, acctoutputoctets = {output}, framedipaddress = {framed} \
    WHERE acctuniqueid = {uid} AND acctstoptime IS NULL";

const STOP: &str = "UPDATE radacct SET acctstoptime = {now}, acctupdatetime = {now}, \
    acctsessiontime = COALESCE({session_time}, {now_epoch} - EPOCH(acctstarttime)), \
    acctinputoctets = {input}, acctoutputoctets = {output}, acctterminatecause = {cause}, \
    connectinfo_stop = {connect_info} WHERE acctuniqueid = {uid} AND acctstoptime IS NULL";

const NAS_RESTART: &str = "UPDATE radacct SET acctstoptime = {now}, acctupdatetime = {now}, \
    acctsessiontime = {now_epoch} - EPOCH(acctstarttime), acctterminatecause = {cause} \
    WHERE acctstoptime IS NULL AND nasipaddress = {nas} AND acctstarttime <= {now}";

/// Records when a NAS (re)started, as the stock `accounting-on` queries do.
fn nas_reload(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => {
            "INSERT INTO nasreload (nasipaddress, reloadtime) VALUES ({nas}, {now}) \
             ON CONFLICT (nasipaddress) DO UPDATE SET reloadtime = excluded.reloadtime"
        }
        Backend::Mysql => {
            "INSERT INTO nasreload (nasipaddress, reloadtime) VALUES ({nas}, {now}) \
             ON DUPLICATE KEY UPDATE reloadtime = VALUES(reloadtime)"
        }
        Backend::Sqlite => {
            "INSERT OR REPLACE INTO nasreload (nasipaddress, reloadtime) VALUES ({nas}, {now})"
        }
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn values(e: &AccountingEvent) -> Vec<(&'static str, Val)> {
    let now = e.event_time.timestamp();
    let session = e.session_time.map(to_i64);
    let start = now - session.unwrap_or(0);
    let text = |s: &str| Val::Text(s.to_owned());
    let cause = match e.status {
        AcctStatus::AccountingOn | AcctStatus::AccountingOff if e.terminate_cause.is_empty() => {
            "NAS-Reboot"
        }
        _ => e.terminate_cause.as_str(),
    };
    vec![
        ("sid", text(&e.session_id)),
        ("uid", text(&e.unique_id)),
        ("user", text(&e.username)),
        ("realm", text(&e.realm)),
        ("nas", Val::Ip(e.nas_ip_address.clone())),
        ("port", text(&e.nas_port_id)),
        ("port_type", text(&e.nas_port_type)),
        ("start", Val::Time(start)),
        ("now", Val::Time(now)),
        ("now_epoch", Val::Int(now)),
        (
            "session_time",
            Val::NullInt(if e.status == AcctStatus::Start {
                Some(0)
            } else {
                session
            }),
        ),
        ("authentic", text(&e.authentic)),
        ("connect_info", text(&e.connect_info)),
        ("input", Val::Int(to_i64(e.input_octets))),
        ("output", Val::Int(to_i64(e.output_octets))),
        ("called", text(&e.called_station_id)),
        ("calling", text(&e.calling_station_id)),
        ("cause", text(cause)),
        ("service", text(&e.service_type)),
        ("protocol", text(&e.framed_protocol)),
        ("framed", Val::IpOpt(e.framed_ip_address.clone())),
    ]
}

/// A Start, Interim-Update or Stop on a shared PostgreSQL connection: the same statements
/// as [`SqlAccountingSink`], pipelined with those of other events polled at the same time.
pub(super) async fn pg_write(
    conn: &AsyncPgConnection,
    e: &AccountingEvent,
    close_older: bool,
) -> Result<()> {
    let v = values(e);
    let pg = Backend::Postgres;
    let (first, otherwise) = match e.status {
        AcctStatus::Start
            if close_older && !e.username.is_empty() && !e.calling_station_id.is_empty() =>
        {
            let rows: Vec<ClosedRow> = pg_load(conn, &START_CLOSING_OLDER, &v).await?;
            log_closed(&e.username, rows.first().map_or(0, |r| r.closed));
            return Ok(());
        }
        AcctStatus::Start => (insert_start(pg), None),
        AcctStatus::InterimUpdate => (INTERIM.to_owned(), Some(insert_ignore(pg, false))),
        AcctStatus::Stop => (STOP.to_owned(), Some(insert_ignore(pg, true))),
        AcctStatus::AccountingOn | AcctStatus::AccountingOff => {
            return Err(Error::Internal(
                "a NAS restart is not written in a group".to_owned(),
            ));
        }
    };
    if pg_execute(conn, &first, &v).await? == 0
        && let Some(insert) = otherwise
    {
        pg_execute(conn, &insert, &v).await?;
    }
    Ok(())
}

/// The statements of a Start, Interim-Update or Stop on SQLite (the same as
/// [`SqlAccountingSink`]'s), bound ahead to run in a group's transaction on the blocking pool.
pub(super) enum SqliteWrite {
    /// A Start: the insert, and maybe the closing of the device's older sessions (its user
    /// name kept for the log).
    Start(Vec<SqliteStatement>, String),
    /// An update, and the insert to run when it touched no row.
    Otherwise(SqliteStatement, SqliteStatement),
}

impl SqliteWrite {
    pub(super) fn new(e: &AccountingEvent, close_older: bool) -> Result<SqliteWrite> {
        let v = values(e);
        let sqlite = Backend::Sqlite;
        let bound = |template: &str| SqliteStatement::new(template, &v);
        Ok(match e.status {
            AcctStatus::Start => {
                let mut all = vec![bound(&insert_start(sqlite))?];
                if close_older && !e.username.is_empty() && !e.calling_station_id.is_empty() {
                    all.push(bound(CLOSE_OLDER)?);
                }
                SqliteWrite::Start(all, e.username.clone())
            }
            AcctStatus::InterimUpdate => {
                SqliteWrite::Otherwise(bound(INTERIM)?, bound(&insert_ignore(sqlite, false))?)
            }
            AcctStatus::Stop => {
                SqliteWrite::Otherwise(bound(STOP)?, bound(&insert_ignore(sqlite, true))?)
            }
            AcctStatus::AccountingOn | AcctStatus::AccountingOff => {
                return Err(Error::Internal(
                    "a NAS restart is not written in a group".to_owned(),
                ));
            }
        })
    }

    pub(super) fn run(&self, conn: &mut diesel::SqliteConnection) -> diesel::QueryResult<()> {
        match self {
            SqliteWrite::Start(all, username) => {
                let mut touched = 0;
                for statement in all {
                    touched = statement.execute(conn)?;
                }
                if all.len() > 1 {
                    log_closed(username, i64::try_from(touched).unwrap_or(i64::MAX));
                }
            }
            SqliteWrite::Otherwise(update, insert) => {
                if update.execute(conn)? == 0 {
                    insert.execute(conn)?;
                }
            }
        }
        Ok(())
    }
}

fn log_closed(username: &str, closed: i64) {
    if closed > 0 {
        tracing::info!(%username, closed, "older sessions of the device closed");
    }
}

/// The default [`AccountingSink`]: writes `radacct` the way FreeRADIUS' stock queries do.
/// On PostgreSQL and SQLite, the sessions' events that arrive together are written together
/// (one transaction; see `storage/acct_groups.rs`).
#[derive(Debug, Clone)]
pub struct SqlAccountingSink {
    store: Store,
    close_older: bool,
    groups: Option<Arc<Groups>>,
}

impl SqlAccountingSink {
    /// A sink writing to `store`.
    pub fn new(store: Store) -> Self {
        let groups = matches!(store.backend(), Backend::Postgres | Backend::Sqlite)
            .then(|| Arc::new(Groups::new(store.clone(), false)));
        SqlAccountingSink {
            store,
            close_older: false,
            groups,
        }
    }

    /// Also closes, on a Start, the other open sessions of the same user and device (stop
    /// time: their last update, else the start; cause `Session-Timeout`), as openwisp-radius'
    /// REST accounting does: in the same statement or transaction as the Start.
    pub fn closing_older_sessions(mut self) -> Self {
        self.close_older = true;
        if self.groups.is_some() {
            self.groups = Some(Arc::new(Groups::new(self.store.clone(), true)));
        }
        self
    }
}

#[async_trait::async_trait]
impl AccountingSink for SqlAccountingSink {
    async fn record(&self, e: &AccountingEvent) -> Result<()> {
        let session = matches!(
            e.status,
            AcctStatus::Start | AcctStatus::InterimUpdate | AcctStatus::Stop
        );
        if let Some(groups) = self.groups.as_ref().filter(|_| session) {
            return groups.record(e).await;
        }
        let store = &self.store;
        let backend = store.backend();
        match e.status {
            AcctStatus::Start
                if !self.close_older
                    || e.username.is_empty()
                    || e.calling_station_id.is_empty() =>
            {
                store
                    .execute_sql(&insert_start(backend), &values(e))
                    .await?;
            }
            // MySQL only: PostgreSQL's and SQLite's sessions go through `groups` above
            AcctStatus::Start => {
                let touched = store
                    .execute_sql_all(&[&insert_start(backend), CLOSE_OLDER], &values(e))
                    .await?;
                let closed = touched.last().copied().unwrap_or(0);
                log_closed(&e.username, i64::try_from(closed).unwrap_or(i64::MAX));
            }
            AcctStatus::InterimUpdate => {
                let v = values(e);
                if store.execute_sql(INTERIM, &v).await? == 0 {
                    store
                        .execute_sql(&insert_ignore(backend, false), &v)
                        .await?;
                }
            }
            AcctStatus::Stop => {
                if store.execute_sql(STOP, &values(e)).await? == 0 {
                    store
                        .execute_sql(&insert_ignore(backend, true), &values(e))
                        .await?;
                }
            }
            AcctStatus::AccountingOn | AcctStatus::AccountingOff => {
                let v = values(e);
                let n = store.execute_sql(NAS_RESTART, &v).await?;
                store.execute_sql(nas_reload(backend), &v).await?;
                tracing::info!(nas = %e.nas_ip_address, closed = n, "NAS restarted: open sessions closed");
            }
        }
        Ok(())
    }
}

#[derive(diesel::QueryableByName)]
struct ReloadRow {
    #[diesel(sql_type = Nullable<BigInt>)]
    reloadtime: Option<i64>,
}

impl Store {
    /// When the NAS at `nas_ip_address` last (re)started (`nasreload`), in Unix seconds.
    pub async fn nas_reload_time(&self, nas_ip_address: &str) -> Result<Option<i64>> {
        let rows: Vec<ReloadRow> = self
            .load_sql(
                "SELECT EPOCH(reloadtime) AS reloadtime FROM nasreload WHERE IP(nasipaddress) = {nas}",
                &[("nas", Val::Text(nas_ip_address.to_owned()))],
            )
            .await?;
        Ok(rows.into_iter().next().and_then(|r| r.reloadtime))
    }

    /// Open sessions started since `since` (Unix seconds) whose Called-Station-Id is not
    /// converted yet (17 characters or fewer).
    pub async fn sessions_to_convert(&self, since: i64) -> Result<Vec<RadAcctRecord>> {
        let q = format!(
            "{SELECT} WHERE acctstoptime IS NULL AND acctstarttime >= {{since}} \
             AND LENGTH(COALESCE(calledstationid, '')) <= 17 ORDER BY radacctid"
        );
        self.load_sql(&q, &[("since", Val::Time(since))]).await
    }

    /// Sets the Called-Station-Id of one session.
    pub async fn set_called_station_id(&self, radacctid: i64, value: &str) -> Result<()> {
        self.execute_sql(
            "UPDATE radacct SET calledstationid = {value} WHERE radacctid = {id}",
            &[
                ("value", Val::Text(value.to_owned())),
                ("id", Val::Int(radacctid)),
            ],
        )
        .await?;
        Ok(())
    }

    /// The sessions of `username`, newest first.
    pub async fn radacct_for_user(&self, username: &str) -> Result<Vec<RadAcctRecord>> {
        let q = format!(
            "{SELECT} WHERE username = {{user}} ORDER BY acctstarttime DESC, radacctid DESC"
        );
        self.load_sql(&q, &[("user", Val::Text(username.to_owned()))])
            .await
    }

    /// The session with this unique id.
    pub async fn radacct_by_unique_id(&self, unique_id: &str) -> Result<Option<RadAcctRecord>> {
        let q = format!("{SELECT} WHERE acctuniqueid = {{uid}}");
        Ok(self
            .load_sql(&q, &[("uid", Val::Text(unique_id.to_owned()))])
            .await?
            .into_iter()
            .next())
    }
}
