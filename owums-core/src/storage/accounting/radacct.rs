//! `radacct`: the SQL accounting sink (what each event does is its [`Plan`]: FreeRADIUS'
//! own query semantics, see `plan.rs`) and reads of the sessions.

use std::sync::Arc;

use diesel::sql_types::{BigInt, Nullable, Text};

use crate::accounting::{AccountingEvent, AccountingSink};
use crate::error::Result;
use crate::storage::Store;
use crate::storage::accounting::acct_groups::Groups;
use crate::storage::accounting::plan::{Plan, stored_unique_id};
use crate::storage::accounting::write::write_alone;
use crate::storage::conn::Backend;
use crate::storage::sql::Val;

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

/// The default [`AccountingSink`]: writes `radacct` the way FreeRADIUS' stock queries do.
/// An event out of the documented bounds is refused ([`AccountingEvent::check`]); an
/// `acctuniqueid` longer than 32 characters is stored as a digest of the whole id, and a
/// Start whose id names another session (a different session id, user or NAS) is refused
/// with [`Error::Conflict`](crate::Error::Conflict) instead of being lost. On
/// PostgreSQL and SQLite, the sessions' events that arrive together are written together
/// (one transaction; see `storage/accounting/acct_groups.rs`).
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
            .then(|| Arc::new(Groups::new(store.clone())));
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
        self
    }
}

#[async_trait::async_trait]
impl AccountingSink for SqlAccountingSink {
    async fn record(&self, e: &AccountingEvent) -> Result<()> {
        e.check()?;
        let plan = Plan::new(e, self.close_older);
        match &self.groups {
            Some(groups) if !plan.restarts_nas() => groups.record(Arc::new(plan)).await,
            _ => write_alone(&self.store, &plan).await,
        }
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

    /// The newest open session of the device at `ip` (`framedipaddress`): what a captive
    /// portal asks to learn whether a device is online.
    pub async fn open_session_at(&self, ip: std::net::IpAddr) -> Result<Option<RadAcctRecord>> {
        let q = format!(
            "{SELECT} WHERE framedipaddress = {{ip}} AND acctstoptime IS NULL ORDER BY acctstarttime DESC, radacctid DESC"
        );
        Ok(self
            .load_sql(&q, &[("ip", Val::Ip(ip.to_string()))])
            .await?
            .into_iter()
            .next())
    }

    /// The session with this unique id (`Acct-Unique-Session-Id` as the NAS sent it: an id
    /// longer than 32 characters is looked up by its stored digest).
    pub async fn radacct_by_unique_id(&self, unique_id: &str) -> Result<Option<RadAcctRecord>> {
        let q = format!("{SELECT} WHERE acctuniqueid = {{uid}}");
        let uid = stored_unique_id(unique_id).into_owned();
        Ok(self
            .load_sql(&q, &[("uid", Val::Text(uid))])
            .await?
            .into_iter()
            .next())
    }
}
