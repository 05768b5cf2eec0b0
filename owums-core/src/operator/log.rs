//! [`AuditLog`]: who did what, on what, from where and when, with the fields changed.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::operator::{Changes, OperatorRecord};
use crate::storage::Store;
use crate::storage::operator::{AuditFilterRow, AuditRow, NewAuditRow};

/// Who wrote an audit row as operator username when no operator did (the command line).
pub const COMMAND_LINE: &str = "(command line)";

/// The most rows one CSV export holds (narrow the filters for more).
pub const MAX_EXPORT_ROWS: i64 = 100_000;

/// What an action was done on: a kind (`operator`, `user`, `group`), its id and a label
/// a person recognises (a username, a group name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditTarget {
    /// The kind of thing (`operator`, `user`, `group`, `setting`).
    pub kind: String,
    /// Its id.
    pub id: String,
    /// Its name at the time.
    pub label: String,
}

impl AuditTarget {
    /// The operator `op` as the target of an action.
    pub fn operator(op: &OperatorRecord) -> Self {
        AuditTarget {
            kind: "operator".to_owned(),
            id: op.id.to_string(),
            label: op.username.clone(),
        }
    }

    /// The subscriber `user` as the target of an action (labelled with the username, so
    /// the log still names them after a deletion).
    pub fn user(user: &crate::subscriber::UserRecord) -> Self {
        AuditTarget {
            kind: "user".to_owned(),
            id: user.id.to_string(),
            label: user.username.as_str().to_owned(),
        }
    }
}

/// One action to record.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// The operator who acted; `None` for the command line.
    pub operator: Option<(Uuid, String)>,
    /// What was done, a short dotted name (`operator.create`, `user.disable`).
    pub action: String,
    /// What it was done on, if anything.
    pub target: Option<AuditTarget>,
    /// The fields changed (never holding secrets: see [`Changes::secret`]).
    pub changes: Changes,
    /// The client's address, for actions from the console or the API.
    pub client_ip: Option<IpAddr>,
}

/// A row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Increasing id.
    pub id: i64,
    /// When (UTC, to the second).
    pub at: DateTime<Utc>,
    /// The operator, if they still exist under this id.
    pub operator_id: Option<Uuid>,
    /// Their username at the time, or [`COMMAND_LINE`].
    pub operator_username: String,
    /// What was done.
    pub action: String,
    /// On what.
    pub target: Option<AuditTarget>,
    /// The fields changed.
    pub changes: Changes,
    /// From which address.
    pub client_ip: Option<String>,
}

impl TryFrom<AuditRow> for AuditRecord {
    type Error = Error;
    fn try_from(r: AuditRow) -> Result<Self> {
        let target = match (r.target_kind, r.target_id) {
            (Some(kind), Some(id)) => Some(AuditTarget {
                kind,
                id,
                label: r.target_label.unwrap_or_default(),
            }),
            _ => None,
        };
        Ok(AuditRecord {
            id: r.id,
            at: r.at.and_utc(),
            operator_id: r.operator_id.and_then(|i| i.parse().ok()),
            operator_username: r.operator_username,
            action: r.action,
            target,
            changes: serde_json::from_str(&r.changes)
                .map_err(|e| Error::Internal(format!("audit row {}: {e}", r.id)))?,
            client_ip: r.client_ip,
        })
    }
}

/// Which rows to read: every field given must match; `from` is inclusive, `to` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The operator's username at the time.
    pub operator: Option<String>,
    /// The action (`operator.create`).
    pub action: Option<String>,
    /// The target's kind (`operator`, `user`).
    pub target_kind: Option<String>,
    /// The target's id.
    pub target_id: Option<String>,
    /// From this time on.
    pub from: Option<DateTime<Utc>>,
    /// Before this time.
    pub to: Option<DateTime<Utc>>,
}

/// One page of audit rows, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// The rows of this page.
    pub rows: Vec<AuditRecord>,
    /// How many rows match the filter in all.
    pub total: i64,
    /// The page (from 1).
    pub page: i64,
    /// Rows per page.
    pub per_page: i64,
}

/// The audit log. Cheap to clone.
///
/// Services return the [`Changes`] they made; whoever called them on an operator's behalf
/// records them here with [`AuditLog::record`]. Rows are only ever added.
///
/// ```no_run
/// use owums_core::operator::{AuditEntry, AuditFilter, AuditLog, Changes};
/// # async fn demo(store: owums_core::Store) -> owums_core::Result<()> {
/// let log = AuditLog::new(store);
/// let mut changes = Changes::default();
/// changes.compare("active", Some(&true), Some(&false));
/// log.record(AuditEntry { operator: None, action: "user.disable".into(), target: None, changes, client_ip: None }).await?;
/// let page = log.query(&AuditFilter::default(), 1, 50).await?;
/// assert_eq!(page.rows[0].action, "user.disable");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AuditLog {
    store: Store,
}

fn filter_row(f: &AuditFilter) -> AuditFilterRow {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    AuditFilterRow {
        operator: text(&f.operator).map(|s| s.to_lowercase()),
        action: text(&f.action),
        target_kind: text(&f.target_kind),
        target_id: text(&f.target_id),
        from: f.from.map(crate::storage::to_second),
        to: f.to.map(crate::storage::to_second),
    }
}

impl AuditLog {
    /// The audit log of `store`.
    pub fn new(store: Store) -> Self {
        AuditLog { store }
    }

    /// Appends `entry`, stamped with the current time.
    pub async fn record(&self, entry: AuditEntry) -> Result<()> {
        let (operator_id, operator_username) = match entry.operator {
            Some((id, name)) => (Some(id.to_string()), name),
            None => (None, COMMAND_LINE.to_owned()),
        };
        let row = NewAuditRow {
            at: crate::storage::now_utc(),
            operator_id,
            operator_username,
            action: entry.action,
            target_kind: entry.target.as_ref().map(|t| t.kind.clone()),
            target_id: entry.target.as_ref().map(|t| t.id.clone()),
            target_label: entry
                .target
                .as_ref()
                .map(|t| t.label.chars().take(255).collect()),
            changes: serde_json::to_string(&entry.changes)
                .map_err(|e| Error::Internal(format!("audit changes: {e}")))?,
            client_ip: entry.client_ip.map(|ip| ip.to_string()),
        };
        self.store.insert_audit(&row).await
    }

    /// Page `page` (from 1) of the rows matching `filter`, `per_page` rows (1–500) a page.
    pub async fn query(&self, filter: &AuditFilter, page: i64, per_page: i64) -> Result<AuditPage> {
        let page = page.max(1);
        let per_page = per_page.clamp(1, 500);
        let (rows, total) = self
            .store
            .query_audit(&filter_row(filter), (page - 1) * per_page, per_page)
            .await?;
        Ok(AuditPage {
            rows: rows
                .into_iter()
                .map(AuditRecord::try_from)
                .collect::<Result<_>>()?,
            total,
            page,
            per_page,
        })
    }

    /// The rows matching `filter` (at most [`MAX_EXPORT_ROWS`], newest first) as CSV
    /// (RFC 4180: a header line, fields quoted where needed, CRLF line ends). Each change is
    /// `field: before → after`, separated by `; `. A field that a spreadsheet would take
    /// for a formula (starting with `=`, `+`, `-`, `@`) is prefixed with `'`.
    pub async fn csv(&self, filter: &AuditFilter) -> Result<String> {
        let (rows, _) = self
            .store
            .query_audit(&filter_row(filter), 0, MAX_EXPORT_ROWS)
            .await?;
        let mut out = String::from(
            "id,at,operator,action,target_kind,target_id,target,changes,client_ip\r\n",
        );
        for row in rows {
            let r = AuditRecord::try_from(row)?;
            let changes: Vec<String> = r
                .changes
                .iter()
                .map(|c| {
                    format!(
                        "{}: {} → {}",
                        c.field,
                        c.before.as_deref().unwrap_or("∅"),
                        c.after.as_deref().unwrap_or("∅")
                    )
                })
                .collect();
            let t = r.target.as_ref();
            let fields = [
                r.id.to_string(),
                r.at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                r.operator_username.clone(),
                r.action.clone(),
                t.map(|t| t.kind.clone()).unwrap_or_default(),
                t.map(|t| t.id.clone()).unwrap_or_default(),
                t.map(|t| t.label.clone()).unwrap_or_default(),
                changes.join("; "),
                r.client_ip.clone().unwrap_or_default(),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        Ok(out)
    }
}

/// One CSV field: quoted when it holds a comma, a quote or a line break (quotes doubled),
/// and defused when a spreadsheet would run it as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
    }
}
