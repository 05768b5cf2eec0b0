//! The statements of an accounting [`Plan`] per dialect, and the executors that run a plan:
//! one event on its own on any backend ([`write_alone`]), pipelined on a shared PostgreSQL
//! connection ([`pg_write`]), bound ahead for a SQLite group's transaction ([`SqliteWrite`]).

use std::sync::{Arc, LazyLock};

use diesel::sql_types::{BigInt, Text};
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
        // MySQL has no WHERE here: the row is left as it is unless it is this session's
        // and open; `write_alone` looks for another session's row first
        (Backend::Mysql, Insert::Start) => {
            let open = "acctstoptime IS NULL AND acctsessionid = VALUES(acctsessionid) \
                AND username = VALUES(username) AND nasipaddress = VALUES(nasipaddress)";
            format!(
                "{insert} ON DUPLICATE KEY UPDATE \
                 acctstarttime = IF({open}, VALUES(acctstarttime), acctstarttime), \
                 acctupdatetime = IF({open}, VALUES(acctupdatetime), acctupdatetime), \
                 connectinfo_start = IF({open}, VALUES(connectinfo_start), connectinfo_start)"
            )
        }
        (Backend::Mysql, _) => insert.replacen("INSERT", "INSERT IGNORE", 1),
        // a row of another session (another session id, user or NAS) is not touched: the
        // executor sees no row touched and refuses the Start (`Steps::touched`)
        (_, Insert::Start) => {
            let open = |col: &str| {
                format!(
                    "{col} = CASE WHEN radacct.acctstoptime IS NULL THEN excluded.{col} \
                     ELSE radacct.{col} END"
                )
            };
            format!(
                "{insert} ON CONFLICT (acctuniqueid) DO UPDATE SET {}, {}, {} \
                 WHERE radacct.acctsessionid = excluded.acctsessionid \
                 AND COALESCE(radacct.username, '') = COALESCE(excluded.username, '') \
                 AND radacct.nasipaddress = excluded.nasipaddress",
                open("acctstarttime"),
                open("acctupdatetime"),
                open("connectinfo_start")
            )
        }
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

/// [`CLOSE_OLDER`] on MySQL/MariaDB, held to the user's rows: on a young or freshly
/// analysed table InnoDB may scan every open session through the `acctstoptime` index
/// instead, locking each row it reads, so that concurrent Starts lock the open sessions in
/// different orders and deadlock (seen with eight devices logging on at once).
static MYSQL_CLOSE_OLDER: LazyLock<String> = LazyLock::new(|| {
    CLOSE_OLDER.replacen(
        "UPDATE radacct SET",
        "UPDATE radacct FORCE INDEX (username) SET",
        1,
    )
});

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
            Op::CloseOlder if backend == Backend::Mysql => &MYSQL_CLOSE_OLDER,
            Op::CloseOlder => CLOSE_OLDER,
            Op::CloseNas => CLOSE_NAS,
            Op::NasReload => nas_reload(backend),
        }
    }
}

/// PostgreSQL: [`START_CLOSING_OLDER`] in one statement (one round trip in a pipelined
/// group): older sessions are closed only when the Start wrote its row; the row says how
/// many rows each touched.
static PG_START_CLOSING_OLDER: LazyLock<String> = LazyLock::new(|| {
    let [start, close] = [START_CLOSING_OLDER[0].op, START_CLOSING_OLDER[1].op]
        .map(|op| op.template(Backend::Postgres));
    format!(
        "WITH started AS ({start} RETURNING 1), \
         closed AS ({close} AND EXISTS (SELECT 1 FROM started) RETURNING 1) \
         SELECT CAST((SELECT COUNT(*) FROM started) AS BIGINT) AS started, \
         CAST((SELECT COUNT(*) FROM closed) AS BIGINT) AS closed"
    )
});

#[derive(diesel::QueryableByName)]
struct StartedRow {
    #[diesel(sql_type = BigInt)]
    started: i64,
    #[diesel(sql_type = BigInt)]
    closed: i64,
}

/// The session id, user and NAS of the row of an `acctuniqueid`.
#[derive(diesel::QueryableByName)]
struct SessionRow {
    #[diesel(sql_type = Text)]
    sid: String,
    #[diesel(sql_type = Text)]
    user: String,
    #[diesel(sql_type = Text)]
    nas: String,
}

const SESSION_OF_UID: &str = "SELECT acctsessionid AS sid, COALESCE(username, '') AS user, \
    IP(nasipaddress) AS nas FROM radacct WHERE acctuniqueid = {uid}";

fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// Runs `plan` on its own, on any backend: statements that all run commit together, an insert
/// that runs when the update before it touched nothing is a statement of its own (both are
/// idempotent). What MySQL's accounting and every backend's NAS restarts go through.
pub(crate) async fn write_alone(store: &Store, plan: &Plan) -> Result<()> {
    let backend = store.backend();
    // MySQL cannot tell in its answer an insert from a row left alone: a Start looks first
    // whether its id names another session (its insert leaves such a row alone too)
    if backend == Backend::Mysql
        && plan.steps.first().map(|s| s.op) == Some(Op::Insert(Insert::Start))
    {
        let rows: Vec<SessionRow> = store.load_sql(SESSION_OF_UID, &plan.vals).await?;
        if let Some(r) = rows.first()
            && !plan.is_same_session((&r.sid, &r.user, &r.nas))
        {
            return Err(plan.another_session().into());
        }
    }
    let mut steps = plan.steps();
    if plan.together() {
        let templates: Vec<&str> = plan.steps.iter().map(|s| s.op.template(backend)).collect();
        let touched = store.execute_sql_all(&templates, &plan.vals).await?;
        for rows in touched {
            steps.next();
            steps.touched(rows)?;
        }
        return Ok(());
    }
    while let Some((_, op)) = steps.next() {
        steps.touched(store.execute_sql(op.template(backend), &plan.vals).await?)?;
    }
    Ok(())
}

/// Runs `plan` on a shared PostgreSQL connection: its statements are pipelined with those of
/// the other events polled at the same time.
pub(crate) async fn pg_write(conn: &AsyncPgConnection, plan: &Plan) -> Result<()> {
    let mut steps = plan.steps();
    if plan.steps == START_CLOSING_OLDER {
        let rows: Vec<StartedRow> = pg_load(conn, &PG_START_CLOSING_OLDER, &plan.vals).await?;
        let (started, closed) = rows.first().map_or((0, 0), |r| (r.started, r.closed));
        steps.next();
        steps.touched(count(started))?;
        steps.next();
        steps.touched(count(closed))?;
        return Ok(());
    }
    while let Some((_, op)) = steps.next() {
        steps.touched(pg_execute(conn, op.template(Backend::Postgres), &plan.vals).await?)?;
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
            steps.touched(self.statements[i].execute(conn)?)?;
        }
        Ok(())
    }
}
