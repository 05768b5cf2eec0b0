//! Hand-written SQL for the FreeRADIUS tables whose column types differ per dialect
//! (`radacct`, `radpostauth`): one neutral template, rendered per backend.
//!
//! Templates name their parameters `{name}` and may use `EPOCH(column)` (the column as Unix
//! seconds) and `IP(column)` (an address column as text) and `INT64(column)` (an integer column as a signed
//! 64-bit value). How a parameter is written depends
//! on its [`Val`]: a [`Val::Time`] becomes a timestamp expression of the dialect.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use diesel::QueryResult;
use diesel::backend::Backend as DieselBackend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Nullable, Text, Untyped};
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::Store;
use super::conn::{Backend, again_if_rolled_back, db_run};
use crate::error::{Error, Result};

/// A parameter value: how it is bound depends on the variant and the backend.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    /// A text parameter, bound as text everywhere.
    Text(String),
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit integer or SQL `NULL`.
    NullInt(Option<i64>),
    /// Unix seconds, written as the dialect's timestamp (SQLite: an integer, as FreeRADIUS'
    /// accounting queries write it).
    Time(i64),
    /// Unix seconds, written as the dialect's timestamp (SQLite: `YYYY-MM-DD HH:MM:SS` text).
    DateTime(i64),
    /// An address for a NOT NULL address column.
    Ip(String),
    /// An address for a nullable address column ('' is NULL on PostgreSQL).
    IpOpt(String),
}

/// `EPOCH(col)`: a timestamp column as Unix seconds. On SQLite the column may hold an
/// integer (FreeRADIUS' accounting queries write epochs) or text (`CURRENT_TIMESTAMP`), so
/// both are read.
fn epoch(backend: Backend, col: &str) -> String {
    match backend {
        Backend::Postgres => format!("CAST(EXTRACT(EPOCH FROM {col}) AS BIGINT)"),
        Backend::Mysql => format!("CAST(UNIX_TIMESTAMP({col}) AS SIGNED)"),
        Backend::Sqlite => format!(
            "(CASE WHEN typeof({col}) IN ('integer', 'real') THEN CAST({col} AS INTEGER) \
             ELSE CAST(strftime('%s', {col}) AS INTEGER) END)"
        ),
    }
}

/// `INT64(col)`: an integer column as a signed 64-bit value, so one Rust type reads it on
/// every backend.
fn int64(backend: Backend, col: &str) -> String {
    match backend {
        Backend::Postgres => format!("CAST({col} AS BIGINT)"),
        Backend::Mysql => format!("CAST({col} AS SIGNED)"),
        Backend::Sqlite => format!("CAST({col} AS INTEGER)"),
    }
}

/// `IP(col)`: an address column as text, `''` for `NULL` (PostgreSQL's `inet` needs
/// `host()` to drop the prefix length).
fn ip(backend: Backend, col: &str) -> String {
    match backend {
        Backend::Postgres => format!("COALESCE(host({col}), '')"),
        _ => format!("COALESCE({col}, '')"),
    }
}

/// Replaces `FUNC(col)` calls of a pseudo-function with `f(col)`; a name that is the tail
/// of a longer word (`XEPOCH(`) is left alone. Arguments may not contain parentheses.
fn expand(sql: &str, func: &str, f: impl Fn(&str) -> String) -> String {
    let pat = format!("{func}(");
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(i) = rest.find(&pat) {
        let boundary = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric();
        let after = &rest[i + pat.len()..];
        match (boundary, after.find(')')) {
            (true, Some(j)) => {
                out.push_str(&rest[..i]);
                out.push_str(&f(&after[..j]));
                rest = &after[j + 1..];
            }
            _ => {
                out.push_str(&rest[..i + pat.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A template rendered for one backend: the SQL around each parameter, and the parameters'
/// names in bind order (`segments` has one more element than `names`).
#[derive(Debug)]
pub(crate) struct Plan {
    segments: Vec<String>,
    names: Vec<String>,
    /// The kind of value each parameter was rendered for (its wrapping depends on it).
    kinds: Vec<u8>,
}

/// What decides how a parameter is written: values of one kind are wrapped alike.
fn kind(v: &Val) -> u8 {
    match v {
        Val::Text(_) => 0,
        Val::Int(_) | Val::NullInt(_) => 1,
        Val::Time(_) => 2,
        Val::DateTime(_) => 3,
        Val::Ip(_) => 4,
        Val::IpOpt(_) => 5,
    }
}

impl Plan {
    /// Renders `template` for `backend`.
    fn new(backend: Backend, template: &str, vals: &[(&str, Val)]) -> Result<Plan> {
        let sql = expand(template, "EPOCH", |c| epoch(backend, c));
        let sql = expand(&sql, "IP", |c| ip(backend, c));
        let sql = expand(&sql, "INT64", |c| int64(backend, c));
        let mut segments = Vec::new();
        let mut names = Vec::new();
        let mut kinds = Vec::new();
        let mut current = String::with_capacity(sql.len());
        let mut rest = sql.as_str();
        while let Some(i) = rest.find('{') {
            current.push_str(&rest[..i]);
            let end = rest[i..]
                .find('}')
                .ok_or_else(|| Error::Internal("unclosed placeholder".to_owned()))?
                + i;
            let name = &rest[i + 1..end];
            let val = vals
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v)
                .ok_or_else(|| Error::Internal(format!("no value for {{{name}}}")))?;
            // what goes around the placeholder, which the query builder writes
            let (before, after) = match (backend, val) {
                (Backend::Postgres, Val::Time(_) | Val::DateTime(_)) => ("to_timestamp(", ")"),
                (Backend::Mysql, Val::Time(_) | Val::DateTime(_)) => ("FROM_UNIXTIME(", ")"),
                (Backend::Sqlite, Val::DateTime(_)) => ("datetime(", ", 'unixepoch')"),
                (Backend::Postgres, Val::Ip(_)) => ("CAST(", " AS inet)"),
                (Backend::Postgres, Val::IpOpt(_)) => ("CAST(NULLIF(", ", '') AS inet)"),
                (Backend::Postgres, Val::Text(_)) => ("CAST(", " AS text)"),
                _ => ("", ""),
            };
            current.push_str(before);
            segments.push(std::mem::take(&mut current));
            current.push_str(after);
            names.push(name.to_owned());
            kinds.push(kind(val));
            rest = &rest[end + 1..];
        }
        current.push_str(rest);
        segments.push(current);
        Ok(Plan {
            segments,
            names,
            kinds,
        })
    }

    /// Whether `vals` has, for every parameter, a value of the kind this plan was rendered for.
    fn fits(&self, vals: &[(&str, Val)]) -> bool {
        self.names
            .iter()
            .zip(&self.kinds)
            .all(|(name, k)| vals.iter().any(|(n, v)| n == name && kind(v) == *k))
    }

    /// The values of `vals` in bind order.
    fn binds(&self, vals: &[(&str, Val)]) -> Result<Vec<Val>> {
        self.names
            .iter()
            .map(|name| {
                vals.iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| Error::Internal(format!("no value for {{{name}}}")))
            })
            .collect()
    }
}

/// Most distinct templates kept rendered; past it (a template built from data, which would
/// be a bug) they are rendered on every use instead of growing the table.
const MAX_PLANS: usize = 512;

/// Rendered templates of one backend, by template.
type Plans = Mutex<HashMap<String, Arc<Plan>>>;

/// Rendered templates, one table per backend: templates are constants, so these stay small.
static PLANS: LazyLock<[Plans; 3]> =
    LazyLock::new(|| std::array::from_fn(|_| Mutex::new(HashMap::new())));

/// The plan of `template` for `backend`, rendered once.
fn plan(backend: Backend, template: &str, vals: &[(&str, Val)]) -> Result<Arc<Plan>> {
    let plans = &PLANS[backend as usize];
    let cached = plans.lock().ok().and_then(|m| m.get(template).cloned());
    match cached {
        Some(p) if p.fits(vals) => return Ok(p),
        // the same template with another kind of value: rendered for this call only
        Some(_) => return Ok(Arc::new(Plan::new(backend, template, vals)?)),
        None => {}
    }
    let p = Arc::new(Plan::new(backend, template, vals)?);
    if let Ok(mut m) = plans.lock()
        && m.len() < MAX_PLANS
    {
        m.insert(template.to_owned(), p.clone());
    }
    Ok(p)
}

/// A rendered statement with its values. Unlike `diesel::sql_query`, the connection's
/// statement cache keeps it prepared (keyed by its SQL text), so running it again skips the
/// database's parse and plan.
pub(crate) struct Prepared<'a> {
    plan: &'a Plan,
    binds: &'a [Val],
}

impl QueryId for Prepared<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared<'_> {
    type SqlType = Untyped;
}

// synchronous diesel, for SQLite inside the blocking pool (`SqliteStatement`)
impl<Conn> diesel::RunQueryDsl<Conn> for Prepared<'_> {}

impl<DB> QueryFragment<DB> for Prepared<'_>
where
    DB: DieselBackend + HasSqlType<Text> + HasSqlType<BigInt>,
    str: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    Option<i64>: ToSql<Nullable<BigInt>, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        for (segment, val) in self.plan.segments.iter().zip(self.binds) {
            out.push_sql(segment);
            match val {
                Val::Text(s) | Val::Ip(s) | Val::IpOpt(s) => {
                    out.push_bind_param::<Text, str>(s.as_str())?;
                }
                Val::Int(i) | Val::Time(i) | Val::DateTime(i) => {
                    out.push_bind_param::<BigInt, i64>(i)?;
                }
                Val::NullInt(o) => out.push_bind_param::<Nullable<BigInt>, Option<i64>>(o)?,
            }
        }
        if let Some(last) = self.plan.segments.last() {
            out.push_sql(last);
        }
        Ok(())
    }
}

/// A row a query template loads, on whichever backend.
pub(crate) trait Row:
    diesel::QueryableByName<diesel::sqlite::Sqlite>
    + diesel::QueryableByName<diesel::pg::Pg>
    + diesel::QueryableByName<diesel::mysql::Mysql>
    + Send
    + 'static
{
}

impl<T> Row for T where
    T: diesel::QueryableByName<diesel::sqlite::Sqlite>
        + diesel::QueryableByName<diesel::pg::Pg>
        + diesel::QueryableByName<diesel::mysql::Mysql>
        + Send
        + 'static
{
}

impl Store {
    /// Runs a statement template; returns the number of rows it touched.
    pub(crate) async fn execute_sql(&self, template: &str, vals: &[(&str, Val)]) -> Result<usize> {
        let plan = plan(self.backend(), template, vals)?;
        let binds = plan.binds(vals)?;
        let (plan, binds) = (&plan, &binds);
        again_if_rolled_back!(db_run!(self, untracked c => Prepared { plan, binds }
            .execute(c)
            .await
            .map_err(Error::from)))
    }

    /// Runs statement templates in order in one transaction (all with the same values);
    /// returns the rows each touched.
    pub(crate) async fn execute_sql_all(
        &self,
        templates: &[&str],
        vals: &[(&str, Val)],
    ) -> Result<Vec<usize>> {
        let mut plans = Vec::with_capacity(templates.len());
        for template in templates {
            let plan = plan(self.backend(), template, vals)?;
            let binds = plan.binds(vals)?;
            plans.push((plan, binds));
        }
        if self.backend() == Backend::Sqlite {
            let statements = plans
                .into_iter()
                .map(|(plan, binds)| SqliteStatement { plan, binds })
                .collect::<Vec<_>>();
            return self
                .sqlite_transaction(move |c| statements.iter().map(|s| s.execute(c)).collect())
                .await;
        }
        let plans = &plans;
        again_if_rolled_back!(db_run!(self, untracked c => {
            c.transaction::<_, Error, _>(async |c| {
                let mut touched = Vec::with_capacity(plans.len());
                for (plan, binds) in plans {
                    touched.push(Prepared { plan, binds }.execute(c).await?);
                }
                Ok(touched)
            })
            .await
        }))
    }

    /// Runs a statement template, then a query template, in one transaction (both with the
    /// same values), and loads the query's rows: MariaDB's stand-in for `RETURNING`.
    pub(crate) async fn execute_then_load<T: Row>(
        &self,
        statement: &str,
        query: &str,
        vals: &[(&str, Val)],
    ) -> Result<Vec<T>> {
        let (write, read) = (
            plan(self.backend(), statement, vals)?,
            plan(self.backend(), query, vals)?,
        );
        let (write_binds, read_binds) = (write.binds(vals)?, read.binds(vals)?);
        let (write, read) = (&write, &read);
        let (write_binds, read_binds) = (&write_binds, &read_binds);
        again_if_rolled_back!(db_run!(self, untracked c => {
            c.transaction::<_, Error, _>(async |c| {
                Prepared { plan: write, binds: write_binds }.execute(c).await?;
                Ok(Prepared { plan: read, binds: read_binds }.load::<T>(c).await?)
            })
            .await
        }))
    }

    /// Runs `work` in one immediate transaction on SQLite's writer connection, in one call on
    /// the blocking pool: statements that belong together cost one hand-off between threads
    /// instead of one each (and two more for `BEGIN` and `COMMIT`).
    pub(crate) async fn sqlite_transaction<R>(
        &self,
        work: impl FnOnce(&mut diesel::SqliteConnection) -> QueryResult<R> + Send + 'static,
    ) -> Result<R>
    where
        R: Send + 'static,
    {
        let super::conn::Pool::Sqlite(p) = &self.pool else {
            return Err(Error::Internal(
                "a SQLite transaction on another backend".to_owned(),
            ));
        };
        let mut conn = p.write().await?;
        Ok(conn
            .spawn_blocking(move |c| c.immediate_transaction(work))
            .await?)
    }

    /// Runs a query template and loads its rows.
    pub(crate) async fn load_sql<T: Row>(
        &self,
        template: &str,
        vals: &[(&str, Val)],
    ) -> Result<Vec<T>> {
        self.load_rows(false, template, vals).await
    }

    /// Runs a statement template that writes and answers rows (`… RETURNING`, PostgreSQL
    /// and SQLite) and loads them.
    pub(crate) async fn write_returning<T: Row>(
        &self,
        template: &str,
        vals: &[(&str, Val)],
    ) -> Result<Vec<T>> {
        self.load_rows(true, template, vals).await
    }

    async fn load_rows<T: Row>(
        &self,
        writes: bool,
        template: &str,
        vals: &[(&str, Val)],
    ) -> Result<Vec<T>> {
        let plan = plan(self.backend(), template, vals)?;
        let binds = plan.binds(vals)?;
        let q = Prepared {
            plan: &plan,
            binds: &binds,
        };
        Ok(if writes {
            db_run!(self, untracked c => q.load::<T>(c).await?)
        } else {
            db_run!(self, read c => q.load::<T>(c).await?)
        })
    }
}

/// Runs a statement template on a shared PostgreSQL connection: statements of futures
/// polled together are pipelined. Returns the rows it touched.
pub(crate) async fn pg_execute(
    mut conn: &diesel_async::AsyncPgConnection,
    template: &str,
    vals: &[(&str, Val)],
) -> Result<usize> {
    let plan = plan(Backend::Postgres, template, vals)?;
    let binds = plan.binds(vals)?;
    let q = Prepared {
        plan: &plan,
        binds: &binds,
    };
    Ok(q.execute(&mut conn).await?)
}

/// Runs a query template on a shared PostgreSQL connection (pipelined like
/// [`pg_execute`]) and loads its rows.
pub(crate) async fn pg_load<T>(
    mut conn: &diesel_async::AsyncPgConnection,
    template: &str,
    vals: &[(&str, Val)],
) -> Result<Vec<T>>
where
    T: diesel::QueryableByName<diesel::pg::Pg> + Send + 'static,
{
    let plan = plan(Backend::Postgres, template, vals)?;
    let binds = plan.binds(vals)?;
    let q = Prepared {
        plan: &plan,
        binds: &binds,
    };
    Ok(q.load::<T>(&mut conn).await?)
}

/// A SQLite statement rendered and bound ahead, to run on a connection inside the blocking
/// pool (several statements in one hop and one transaction).
pub(crate) struct SqliteStatement {
    plan: Arc<Plan>,
    binds: Vec<Val>,
}

impl SqliteStatement {
    pub(crate) fn new(template: &str, vals: &[(&str, Val)]) -> Result<SqliteStatement> {
        let plan = plan(Backend::Sqlite, template, vals)?;
        let binds = plan.binds(vals)?;
        Ok(SqliteStatement { plan, binds })
    }

    /// Runs it; returns the rows it touched.
    pub(crate) fn execute(&self, conn: &mut diesel::SqliteConnection) -> QueryResult<usize> {
        let q = Prepared {
            plan: &self.plan,
            binds: &self.binds,
        };
        diesel::RunQueryDsl::execute(q, conn)
    }

    /// Runs it and loads the rows it answers.
    pub(crate) fn load<T>(&self, conn: &mut diesel::SqliteConnection) -> QueryResult<Vec<T>>
    where
        T: diesel::QueryableByName<diesel::sqlite::Sqlite> + 'static,
    {
        let q = Prepared {
            plan: &self.plan,
            binds: &self.binds,
        };
        diesel::RunQueryDsl::load(q, conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole SQL text as the query builder writes it, and the binds.
    fn render(
        backend: Backend,
        template: &str,
        vals: &[(&str, Val)],
    ) -> Result<(String, Vec<Val>)> {
        let plan = Plan::new(backend, template, vals)?;
        let binds = plan.binds(vals)?;
        let mut sql = String::new();
        for (i, segment) in plan.segments.iter().enumerate() {
            sql.push_str(segment);
            if i + 1 < plan.segments.len() {
                match backend {
                    Backend::Postgres => sql.push_str(&format!("${}", i + 1)),
                    _ => sql.push('?'),
                }
            }
        }
        Ok((sql, binds))
    }

    #[test]
    fn a_template_used_with_another_kind_of_value_is_rendered_for_it() {
        let t = "SELECT {x} AS kinds_test";
        let time = plan(Backend::Postgres, t, &[("x", Val::Time(1))]).unwrap();
        let int = plan(Backend::Postgres, t, &[("x", Val::Int(1))]).unwrap();
        assert_eq!(time.segments[0], "SELECT to_timestamp(");
        assert_eq!(int.segments[0], "SELECT ");
        let again = plan(Backend::Postgres, t, &[("x", Val::Time(2))]).unwrap();
        assert!(Arc::ptr_eq(&time, &again), "the first rendering is kept");
    }

    #[test]
    fn renders_per_dialect() {
        let t = "UPDATE radacct SET acctstoptime = {t}, acctsessiontime = {n} - EPOCH(acctstarttime) WHERE nasipaddress = {ip} AND x = {t}";
        let v = [
            ("t", Val::Time(5)),
            ("n", Val::Int(5)),
            ("ip", Val::Ip("10.0.0.1".into())),
        ];
        let (pg, b) = render(Backend::Postgres, t, &v).unwrap();
        assert_eq!(
            pg,
            "UPDATE radacct SET acctstoptime = to_timestamp($1), acctsessiontime = $2 - CAST(EXTRACT(EPOCH FROM acctstarttime) AS BIGINT) WHERE nasipaddress = CAST($3 AS inet) AND x = to_timestamp($4)"
        );
        assert_eq!(b.len(), 4);
        let (my, _) = render(Backend::Mysql, t, &v).unwrap();
        assert!(my.starts_with("UPDATE radacct SET acctstoptime = FROM_UNIXTIME(?), acctsessiontime = ? - CAST(UNIX_TIMESTAMP(acctstarttime) AS SIGNED)"));
        let (lite, _) = render(Backend::Sqlite, t, &v).unwrap();
        assert!(
            lite.contains(
                "acctstoptime = ?, acctsessiontime = ? - (CASE WHEN typeof(acctstarttime)"
            ),
            "{lite}"
        );
        assert!(render(Backend::Sqlite, "{missing}", &v).is_err());
    }
}
