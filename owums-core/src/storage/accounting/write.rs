//! The statements of an accounting [`Plan`] per dialect, and the executors that run a plan:
//! one event on its own on any backend ([`write_alone`]), pipelined on a shared PostgreSQL
//! connection ([`pg_write`]), bound ahead for a SQLite group's transaction ([`SqliteWrite`]).

use std::sync::{Arc, LazyLock};

use diesel::sql_types::BigInt;
use diesel_async::AsyncPgConnection;

use crate::error::Result;
use crate::storage::Store;
use crate::storage::accounting::plan::{Insert, Op, Plan, START_CLOSING_OLDER, Update};
use crate::storage::conn::Backend;
use crate::storage::sql::{SqliteStatement, pg_execute, pg_load};

const COLUMNS: &str = "acctsessionid, acctuniqueid, username, realm, nasipaddress, nasportid, nasporttype, \
    acctstarttime, acctupdatetime, acctstoptime, acctsessiontime, acctauthentic, connectinfo_start, \
    connectinfo_stop, acctinputoctets, acctoutputoctets, calledstationid, callingstationid, \
    acctterminatecause, servicetype, framedprotocol, framedipaddress";

const VALUES: &str = "{sid}, {uid}, {user}, {realm}, {nas}, {port}, {port_type}, {start}, {now}, {stop}, \
    {session_time}, {authentic}, {connect_info}, '', {input}, {output}, {called}, {calling}, {cause}, \
    {service}, {protocol}, {framed}";

/// The insert of `kind` on `backend`.
fn insert(backend: Backend, kind: Insert) -> String {
    let stop = if kind == Insert::Stopped {
        "{now}"
    } else {
        "NULL"
    };
    let values = VALUES.replace("{stop}", stop);
    let insert = format!("INSERT INTO radacct ({COLUMNS}) VALUES ({values})");
    match (backend, kind) {
        (Backend::Mysql, Insert::Start) => format!(
            "{insert} ON DUPLICATE KEY UPDATE \
             acctstarttime = IF(acctstoptime IS NULL, VALUES(acctstarttime), acctstarttime), \
             acctupdatetime = IF(acctstoptime IS NULL, VALUES(acctupdatetime), acctupdatetime), \
             connectinfo_start = IF(acctstoptime IS NULL, VALUES(connectinfo_start), connectinfo_start)"
        ),
        (Backend::Mysql, _) => insert.replacen("INSERT", "INSERT IGNORE", 1),
        (_, Insert::Start) => format!(
            "{insert} ON CONFLICT (acctuniqueid) DO UPDATE SET \
             acctstarttime = excluded.acctstarttime, acctupdatetime = excluded.acctupdatetime, \
             connectinfo_start = excluded.connectinfo_start WHERE radacct.acctstoptime IS NULL"
        ),
        (_, _) => format!("{insert} ON CONFLICT (acctuniqueid) DO NOTHING"),
    }
}

/// The inserts, rendered once: by backend (`Backend as usize`), then kind.
static INSERTS: LazyLock<[[String; 3]; 3]> = LazyLock::new(|| {
    [Backend::Sqlite, Backend::Postgres, Backend::Mysql]
        .map(|b| [Insert::Start, Insert::Open, Insert::Stopped].map(|k| insert(b, k)))
});

const CLOSE_OLDER: &str = "UPDATE radacct SET acctstoptime = COALESCE(acctupdatetime, {now}), \
    acctterminatecause = 'Session-Timeout' WHERE username = {user} \
    AND callingstationid = {calling} AND acctstoptime IS NULL AND acctuniqueid <> {uid}";

const INTERIM: &str = "UPDATE radacct SET acctupdatetime = {now}, acctsessiontime = {session_time}, \
    acctinputoctets = {input}, acctoutputoctets = {output}, framedipaddress = {framed} \
    WHERE acctuniqueid = {uid} AND acctstoptime IS NULL";

const STOP: &str = "UPDATE radacct SET acctstoptime = {now}, acctupdatetime = {now}, \
    acctsessiontime = COALESCE({session_time}, {now_epoch} - EPOCH(acctstarttime)), \
    acctinputoctets = {input}, acctoutputoctets = {output}, acctterminatecause = {cause}, \
    connectinfo_stop = {connect_info} WHERE acctuniqueid = {uid} AND acctstoptime IS NULL";

const CLOSE_NAS: &str = "UPDATE radacct SET acctstoptime = {now}, acctupdatetime = {now}, \
    acctsessiontime = {now_epoch} - EPOCH(acctstarttime), acctterminatecause = {cause} \
    WHERE acctstoptime IS NULL AND nasipaddress = {nas} AND acctstarttime <= {now}";

/// When a NAS (re)started, as the stock `accounting-on` queries record it.
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

impl Op {
    /// The statement template of this step on `backend`.
    pub(crate) fn template(self, backend: Backend) -> &'static str {
        match self {
            Op::Insert(kind) => &INSERTS[backend as usize][kind as usize],
            Op::Update(Update::Interim) => INTERIM,
            Op::Update(Update::Stop) => STOP,
            Op::CloseOlder => CLOSE_OLDER,
            Op::CloseNas => CLOSE_NAS,
            Op::NasReload => nas_reload(backend),
        }
    }
}

/// PostgreSQL: [`START_CLOSING_OLDER`] in one statement (one round trip in a pipelined
/// group); the row is how many older sessions were closed.
static PG_START_CLOSING_OLDER: LazyLock<String> = LazyLock::new(|| {
    let [start, close] = [START_CLOSING_OLDER[0].op, START_CLOSING_OLDER[1].op]
        .map(|op| op.template(Backend::Postgres));
    format!(
        "WITH closed AS ({close} RETURNING 1), started AS ({start}) \
         SELECT CAST(COUNT(*) AS BIGINT) AS closed FROM closed"
    )
});

#[derive(diesel::QueryableByName)]
struct ClosedRow {
    #[diesel(sql_type = BigInt)]
    closed: i64,
}

/// Runs `plan` on its own, on any backend: statements that all run commit together, an insert
/// that runs when the update before it touched nothing is a statement of its own (both are
/// idempotent). What MySQL's accounting and every backend's NAS restarts go through.
pub(crate) async fn write_alone(store: &Store, plan: &Plan) -> Result<()> {
    let backend = store.backend();
    let mut steps = plan.steps();
    if plan.together() {
        let templates: Vec<&str> = plan.steps.iter().map(|s| s.op.template(backend)).collect();
        let touched = store.execute_sql_all(&templates, &plan.vals).await?;
        for rows in touched {
            steps.next();
            steps.touched(rows);
        }
        return Ok(());
    }
    while let Some((_, op)) = steps.next() {
        steps.touched(store.execute_sql(op.template(backend), &plan.vals).await?);
    }
    Ok(())
}

/// Runs `plan` on a shared PostgreSQL connection: its statements are pipelined with those of
/// the other events polled at the same time.
pub(crate) async fn pg_write(conn: &AsyncPgConnection, plan: &Plan) -> Result<()> {
    let mut steps = plan.steps();
    if plan.steps == START_CLOSING_OLDER {
        let rows: Vec<ClosedRow> = pg_load(conn, &PG_START_CLOSING_OLDER, &plan.vals).await?;
        let closed = rows.first().map_or(0, |r| r.closed);
        // the Start (its count is not returned, and nothing depends on it), then the closing
        steps.next();
        steps.touched(1);
        steps.next();
        steps.touched(usize::try_from(closed).unwrap_or(0));
        return Ok(());
    }
    while let Some((_, op)) = steps.next() {
        steps.touched(pg_execute(conn, op.template(Backend::Postgres), &plan.vals).await?);
    }
    Ok(())
}

/// A plan's SQLite statements, bound ahead to run in a group's transaction on the blocking
/// pool.
pub(crate) struct SqliteWrite {
    plan: Arc<Plan>,
    statements: Vec<SqliteStatement>,
}

impl SqliteWrite {
    /// Binds every statement of `plan`.
    pub(crate) fn new(plan: &Arc<Plan>) -> Result<SqliteWrite> {
        let statements = plan
            .steps
            .iter()
            .map(|s| SqliteStatement::new(s.op.template(Backend::Sqlite), &plan.vals))
            .collect::<Result<_>>()?;
        Ok(SqliteWrite {
            plan: Arc::clone(plan),
            statements,
        })
    }

    /// Runs the statements due.
    pub(crate) fn run(&self, conn: &mut diesel::SqliteConnection) -> diesel::QueryResult<()> {
        let mut steps = self.plan.steps();
        while let Some((i, _)) = steps.next() {
            steps.touched(self.statements[i].execute(conn)?);
        }
        Ok(())
    }
}
