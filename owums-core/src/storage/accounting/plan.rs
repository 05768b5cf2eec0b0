//! What an accounting event does to `radacct`, written once for every backend: [`Plan::new`]
//! is a pure function from an [`AccountingEvent`] to the statements to run and their values.
//! The executors of `write.rs` run a plan: pipelined with other events' plans on PostgreSQL,
//! in a group's transaction on SQLite, one event at a time on MySQL and for NAS restarts.
//!
//! The semantics are FreeRADIUS' stock queries': idempotent on `acctuniqueid`; an
//! Interim-Update or Stop whose Start was lost creates the session; a late Start never
//! reopens a closed session; Accounting-On/Off closes the NAS's open sessions; and, as
//! openwisp-radius does, a Start may close the older open sessions of the same user and
//! device. Values are cut to the stock column widths, except `acctuniqueid`: an id longer
//! than the column is stored as a digest of the whole id ([`stored_unique_id`]), so two
//! sessions never meet in one row. Octet counters are clamped to
//! [`MAX_SESSION_OCTETS`](crate::accounting::MAX_SESSION_OCTETS).

use std::borrow::Cow;

use sha2::{Digest, Sha256};

use crate::accounting::check::clamp_octets;
use crate::accounting::{AccountingEvent, AcctStatus};
use crate::storage::sql::Val;

/// A statement of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// Inserts the session's row.
    Insert(Insert),
    /// Updates the session's row while it is open.
    Update(Update),
    /// Closes the user's other open sessions on the same device: stopped at their last
    /// update (else at this start), cause `Session-Timeout`.
    CloseOlder,
    /// Closes every open session of the NAS, started up to now.
    CloseNas,
    /// Records when the NAS restarted (`nasreload`).
    NasReload,
}

/// What an insert does to an existing row of the same `acctuniqueid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Insert {
    /// A Start: an open row of the same id takes the new start time, a closed one is left alone.
    Start,
    /// An Interim-Update whose Start was lost: an open row started session-time ago; an
    /// existing row is left alone.
    Open,
    /// A Stop whose Start was lost: a closed row; an existing row is left alone.
    Stopped,
}

/// What an update of an open session writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Update {
    /// Counters, session time, update time and framed address.
    Interim,
    /// Counters, session time (else the time since the start), stop time and cause.
    Stop,
}

/// One statement of a plan and when it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    /// The statement.
    pub(crate) op: Op,
    /// It runs only when the statement before it touched no row.
    pub(crate) otherwise: bool,
}

const fn run(op: Op) -> Step {
    Step {
        op,
        otherwise: false,
    }
}

const fn otherwise(op: Op) -> Step {
    Step {
        op,
        otherwise: true,
    }
}

/// A Start.
pub(crate) const START: &[Step] = &[run(Op::Insert(Insert::Start))];
/// A Start that closes the device's older sessions (the two commit together).
pub(crate) const START_CLOSING_OLDER: &[Step] =
    &[run(Op::Insert(Insert::Start)), run(Op::CloseOlder)];
/// An Interim-Update, creating the session when its Start was lost.
pub(crate) const INTERIM: &[Step] = &[
    run(Op::Update(Update::Interim)),
    otherwise(Op::Insert(Insert::Open)),
];
/// A Stop, creating the session when its Start was lost.
pub(crate) const STOP: &[Step] = &[
    run(Op::Update(Update::Stop)),
    otherwise(Op::Insert(Insert::Stopped)),
];
/// Accounting-On or -Off.
pub(crate) const NAS_RESTART: &[Step] = &[run(Op::CloseNas), run(Op::NasReload)];

/// Widths of the stock `radacct` text columns (MySQL and SQLite `varchar(n)`, in characters).
mod width {
    pub(super) const SESSION_ID: usize = 64;
    /// `acctuniqueid`: a longer id is stored as its digest, never cut (cutting made two
    /// sessions whose ids share a prefix one).
    pub(super) const UNIQUE_ID: usize = 32;
    pub(super) const USERNAME: usize = 64;
    pub(super) const REALM: usize = 64;
    pub(super) const NAS_PORT: usize = 32;
    pub(super) const STATION_ID: usize = 50;
    pub(super) const SHORT: usize = 32;
    pub(super) const CONNECT_INFO: usize = 128;
}

/// `s` cut to at most `max` characters.
pub(crate) fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    s.char_indices().nth(max).map_or(s, |(i, _)| &s[..i])
}

/// The `acctuniqueid` stored for the session id `id`: `id` itself when it fits the stock
/// column (32 characters; FreeRADIUS' `acct_unique` makes 32 hex digits), else the first
/// 128 bits of the SHA-256 of the whole id in 32 lowercase hex digits. Start,
/// Interim-Update and Stop of one session meet in one row; two long ids that share a
/// prefix do not.
pub(crate) fn stored_unique_id(id: &str) -> Cow<'_, str> {
    if id.chars().count() <= width::UNIQUE_ID {
        return Cow::Borrowed(id);
    }
    use std::fmt::Write;
    let digest = Sha256::digest(id.as_bytes());
    Cow::Owned(
        digest
            .iter()
            .take(16)
            .fold(String::with_capacity(width::UNIQUE_ID), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            }),
    )
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The statements one event runs, with the values they read.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// The statements, in order.
    pub(crate) steps: &'static [Step],
    /// The values, by the names the statement templates use.
    pub(crate) vals: Vec<(&'static str, Val)>,
}

impl Plan {
    /// What `e` does; `close_older`: a Start closes the older open sessions of the same user
    /// and device (when both are known).
    pub(crate) fn new(e: &AccountingEvent, close_older: bool) -> Plan {
        let steps = match e.status {
            AcctStatus::Start
                if close_older && !e.username.is_empty() && !e.calling_station_id.is_empty() =>
            {
                START_CLOSING_OLDER
            }
            AcctStatus::Start => START,
            AcctStatus::InterimUpdate => INTERIM,
            AcctStatus::Stop => STOP,
            AcctStatus::AccountingOn | AcctStatus::AccountingOff => NAS_RESTART,
        };
        Plan {
            steps,
            vals: values(e),
        }
    }

    /// Whether this is a NAS restart rather than one session's event.
    pub(crate) fn restarts_nas(&self) -> bool {
        self.steps == NAS_RESTART
    }

    /// Whether every statement runs, and so they commit together (a Start closing older
    /// sessions, a NAS restart). An insert that runs only when an update touched nothing
    /// needs no transaction: both statements are idempotent.
    pub(crate) fn together(&self) -> bool {
        self.steps.len() > 1 && self.steps.iter().all(|s| !s.otherwise)
    }

    /// The text value named `name` ("" when there is none).
    fn text(&self, name: &str) -> &str {
        self.vals
            .iter()
            .find_map(|(n, v)| match v {
                Val::Text(s) | Val::Ip(s) if *n == name => Some(s.as_str()),
                _ => None,
            })
            .unwrap_or("")
    }

    /// The session's `acctuniqueid`, as written.
    pub(crate) fn unique_id(&self) -> &str {
        self.text("uid")
    }

    /// The steps to run, one after the other: see [`Steps`].
    pub(crate) fn steps(&self) -> Steps<'_> {
        Steps {
            plan: self,
            next: 0,
            last: None,
        }
    }

    /// Whether a stored session with this plan's `acctuniqueid` is this plan's session:
    /// the same session id, user and NAS (`row`: those of the stored row, as written).
    pub(crate) fn is_same_session(&self, row: (&str, &str, &str)) -> bool {
        row == (self.text("sid"), self.text("user"), self.text("nas"))
    }

    /// The error of a Start whose `acctuniqueid` names another session.
    pub(crate) fn another_session(&self) -> diesel::result::Error {
        let uid = self.unique_id();
        tracing::warn!(
            unique_id = %uid,
            nas = %self.text("nas"),
            "accounting Start refused: its acctuniqueid names another session"
        );
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            Box::new(format!("acctuniqueid {uid} names another session")),
        )
    }

    /// Logs what a statement that closes sessions closed.
    fn report(&self, op: Op, touched: usize) {
        match op {
            Op::CloseOlder if touched > 0 => {
                let username = self.text("user");
                // as sent by the NAS: Debug escapes what could forge a log line
                tracing::info!(
                    ?username,
                    closed = touched,
                    "older sessions of the device closed"
                );
            }
            Op::CloseNas => {
                let nas = self.text("nas");
                tracing::info!(
                    ?nas,
                    closed = touched,
                    "NAS restarted: open sessions closed"
                );
            }
            _ => {}
        }
    }
}

/// Runs a plan's steps in order: `next` gives the next statement due (its index in the
/// plan and what it is), `touched` takes the rows it touched.
///
/// Every executor drives its statements with it, so when a step runs is decided here only.
pub(crate) struct Steps<'a> {
    plan: &'a Plan,
    next: usize,
    last: Option<usize>,
}

impl Steps<'_> {
    /// The next statement to run, if any.
    pub(crate) fn next(&mut self) -> Option<(usize, Op)> {
        while let Some(step) = self.plan.steps.get(self.next) {
            let i = self.next;
            self.next += 1;
            if !step.otherwise || self.last == Some(0) {
                return Some((i, step.op));
            }
        }
        None
    }

    /// The statement last given by [`Steps::next`] touched `rows` rows.
    ///
    /// # Errors
    ///
    /// A Start that touched no row: its id names another session (the insert's conflict
    /// clause leaves a row of another session alone), so the event was not written. The
    /// error is a unique violation, [`Error::Conflict`](crate::Error::Conflict) once
    /// converted, so that the executor stops (and rolls back its transaction) and the NAS is
    /// not told it was recorded.
    pub(crate) fn touched(&mut self, rows: usize) -> diesel::QueryResult<()> {
        if let Some(step) = self
            .next
            .checked_sub(1)
            .and_then(|i| self.plan.steps.get(i))
        {
            if step.op == Op::Insert(Insert::Start) && rows == 0 {
                return Err(self.plan.another_session());
            }
            self.plan.report(step.op, rows);
        }
        self.last = Some(rows);
        Ok(())
    }
}

/// The values of `e` by template name, cut to the column widths.
fn values(e: &AccountingEvent) -> Vec<(&'static str, Val)> {
    let now = e.event_time.timestamp();
    let session = e.session_time.map(to_i64);
    let start = now - session.unwrap_or(0);
    let text = |s: &str, max: usize| Val::Text(clip(s, max).to_owned());
    let cause = match e.status {
        AcctStatus::AccountingOn | AcctStatus::AccountingOff if e.terminate_cause.is_empty() => {
            "NAS-Reboot"
        }
        _ => e.terminate_cause.as_str(),
    };
    let session_time = if e.status == AcctStatus::Start {
        Some(0)
    } else {
        session
    };
    vec![
        ("sid", text(&e.session_id, width::SESSION_ID)),
        (
            "uid",
            Val::Text(stored_unique_id(&e.unique_id).into_owned()),
        ),
        ("user", text(&e.username, width::USERNAME)),
        ("realm", text(&e.realm, width::REALM)),
        ("nas", Val::Ip(e.nas_ip_address.clone())),
        ("port", text(&e.nas_port_id, width::NAS_PORT)),
        ("port_type", text(&e.nas_port_type, width::SHORT)),
        ("start", Val::Time(start)),
        ("now", Val::Time(now)),
        ("now_epoch", Val::Int(now)),
        ("session_time", Val::NullInt(session_time)),
        ("authentic", text(&e.authentic, width::SHORT)),
        ("connect_info", text(&e.connect_info, width::CONNECT_INFO)),
        (
            "input",
            Val::Int(to_i64(clamp_octets(e, "input_octets", e.input_octets))),
        ),
        (
            "output",
            Val::Int(to_i64(clamp_octets(e, "output_octets", e.output_octets))),
        ),
        ("called", text(&e.called_station_id, width::STATION_ID)),
        ("calling", text(&e.calling_station_id, width::STATION_ID)),
        ("cause", text(cause, width::SHORT)),
        ("service", text(&e.service_type, width::SHORT)),
        ("protocol", text(&e.framed_protocol, width::SHORT)),
        ("framed", Val::IpOpt(e.framed_ip_address.clone())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(status: AcctStatus) -> AccountingEvent {
        let mut e = AccountingEvent::new(status, "u-1", "s-1", "alice", "10.0.0.1");
        e.event_time = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        e.calling_station_id = "AA-BB-CC-DD-EE-FF".into();
        e.session_time = Some(60);
        e
    }

    fn val<'a>(plan: &'a Plan, name: &str) -> &'a Val {
        &plan.vals.iter().find(|(n, _)| *n == name).unwrap().1
    }

    /// The statements `plan` runs when each touches the given number of rows.
    fn ran(plan: &Plan, rows: &[usize]) -> Vec<Op> {
        let mut steps = plan.steps();
        let mut ops = Vec::new();
        while let Some((i, op)) = steps.next() {
            assert_eq!(plan.steps[i].op, op);
            ops.push(op);
            steps.touched(rows[ops.len() - 1]).unwrap();
        }
        ops
    }

    #[test]
    fn a_start_inserts_and_may_close_the_device_s_older_sessions() {
        let start = event(AcctStatus::Start);
        let plan = Plan::new(&start, false);
        assert_eq!(plan.steps, START);
        assert_eq!(ran(&plan, &[1]), [Op::Insert(Insert::Start)]);
        assert!(matches!(val(&plan, "session_time"), Val::NullInt(Some(0))));
        assert!(matches!(val(&plan, "start"), Val::Time(1_699_999_940)));

        let plan = Plan::new(&start, true);
        assert_eq!(
            ran(&plan, &[1, 0]),
            [Op::Insert(Insert::Start), Op::CloseOlder]
        );
        let no_device = AccountingEvent {
            calling_station_id: String::new(),
            ..start.clone()
        };
        assert_eq!(Plan::new(&no_device, true).steps, START);
        let no_user = AccountingEvent {
            username: String::new(),
            ..start
        };
        assert_eq!(Plan::new(&no_user, true).steps, START);
    }

    #[test]
    fn a_start_that_touched_no_row_is_an_error() {
        let plan = Plan::new(&event(AcctStatus::Start), true);
        let mut steps = plan.steps();
        steps.next();
        let err = crate::Error::from(steps.touched(0).unwrap_err());
        assert_eq!(err.kind(), crate::ErrorKind::Conflict);
        assert!(plan.is_same_session(("s-1", "alice", "10.0.0.1")));
        assert!(!plan.is_same_session(("s-2", "alice", "10.0.0.1")));
    }

    #[test]
    fn an_update_inserts_only_when_it_found_no_open_session() {
        for (status, update, insert) in [
            (AcctStatus::InterimUpdate, Update::Interim, Insert::Open),
            (AcctStatus::Stop, Update::Stop, Insert::Stopped),
        ] {
            let plan = Plan::new(&event(status), true);
            assert_eq!(ran(&plan, &[1]), [Op::Update(update)], "{status:?}");
            assert_eq!(
                ran(&plan, &[0, 1]),
                [Op::Update(update), Op::Insert(insert)]
            );
            assert!(matches!(val(&plan, "session_time"), Val::NullInt(Some(60))));
            assert!(matches!(val(&plan, "now"), Val::Time(1_700_000_000)));
            assert!(!plan.restarts_nas());
        }
    }

    #[test]
    fn a_nas_restart_closes_its_sessions_and_is_recorded() {
        for status in [AcctStatus::AccountingOn, AcctStatus::AccountingOff] {
            let plan = Plan::new(&AccountingEvent::new(status, "", "", "", "10.0.0.1"), true);
            assert!(plan.restarts_nas());
            assert_eq!(ran(&plan, &[0, 1]), [Op::CloseNas, Op::NasReload]);
            assert!(matches!(val(&plan, "cause"), Val::Text(c) if c == "NAS-Reboot"));
        }
        let mut off = AccountingEvent::new(AcctStatus::AccountingOff, "", "", "", "10.0.0.1");
        off.terminate_cause = "Admin-Reboot".into();
        let plan = Plan::new(&off, false);
        assert!(matches!(val(&plan, "cause"), Val::Text(c) if c == "Admin-Reboot"));
    }

    #[test]
    fn values_are_cut_to_the_stock_column_widths() {
        let mut e = event(AcctStatus::Stop);
        e.unique_id = "u".repeat(40);
        e.username = "ä".repeat(70);
        e.connect_info = "c".repeat(200);
        e.called_station_id = "AA-AA-AA-AA-AA-AA:".to_owned() + &"x".repeat(60);
        e.terminate_cause = "User-Request".into();
        let plan = Plan::new(&e, false);
        let len = |name| match val(&plan, name) {
            Val::Text(s) => s.chars().count(),
            other => panic!("{other:?}"),
        };
        assert_eq!(plan.unique_id().len(), 32);
        assert_ne!(plan.unique_id(), "u".repeat(32), "a digest, not a cut");
        assert_eq!(len("user"), 64);
        assert_eq!(len("connect_info"), 128);
        assert_eq!(len("called"), 50);
        assert_eq!(len("cause"), 12, "what fits is kept whole");
        assert_eq!(clip("ab", 1), "a");
        assert_eq!(clip("日本", 5), "日本");
    }

    #[test]
    fn long_unique_ids_are_digested_whole() {
        let fitting = "0123456789abcdef0123456789abcdef";
        assert_eq!(stored_unique_id(fitting), fitting);
        assert_eq!(stored_unique_id("日".repeat(32).as_str()), "日".repeat(32));
        let prefix = "p".repeat(40);
        let (a, b) = (format!("{prefix}-a"), format!("{prefix}-b"));
        let (da, db) = (stored_unique_id(&a), stored_unique_id(&b));
        assert_ne!(da, db);
        assert_eq!(da.len(), 32);
        assert!(da.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(stored_unique_id(&a), da, "the same id, the same row");
        // Start, Interim-Update and Stop of one session write the same acctuniqueid
        for status in [
            AcctStatus::Start,
            AcctStatus::InterimUpdate,
            AcctStatus::Stop,
        ] {
            let mut e = event(status);
            e.unique_id.clone_from(&a);
            assert_eq!(Plan::new(&e, true).unique_id(), da);
        }
    }

    #[test]
    fn octets_are_clamped_to_the_session_ceiling() {
        let mut e = event(AcctStatus::Stop);
        e.input_octets = u64::MAX;
        e.output_octets = 7;
        let plan = Plan::new(&e, false);
        let ceiling = i64::try_from(crate::accounting::MAX_SESSION_OCTETS).unwrap();
        assert!(matches!(val(&plan, "input"), Val::Int(n) if *n == ceiling));
        assert!(matches!(val(&plan, "output"), Val::Int(7)));
    }
}
