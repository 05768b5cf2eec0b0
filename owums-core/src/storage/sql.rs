//! Hand-written SQL for the FreeRADIUS tables whose column types differ per dialect
//! (`radacct`, `radpostauth`): one neutral template, rendered per backend.
//!
//! Templates name their parameters `{name}` and may use `EPOCH(column)` (the column as Unix
//! seconds) and `IP(column)` (an address column as text) and `INT64(column)` (an integer column as a signed
//! 64-bit value). How a parameter is written depends
//! on its [`Val`]: a [`Val::Time`] becomes a timestamp expression of the dialect.

use diesel::backend::Backend as DieselBackend;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Nullable, Text};
use diesel_async::RunQueryDsl;

use super::Store;
use super::conn::{Backend, db_run};
use crate::error::{Error, Result};

/// A parameter value.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    Text(String),
    Int(i64),
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

fn int64(backend: Backend, col: &str) -> String {
    match backend {
        Backend::Postgres => format!("CAST({col} AS BIGINT)"),
        Backend::Mysql => format!("CAST({col} AS SIGNED)"),
        Backend::Sqlite => format!("CAST({col} AS INTEGER)"),
    }
}

fn ip(backend: Backend, col: &str) -> String {
    match backend {
        Backend::Postgres => format!("COALESCE(host({col}), '')"),
        _ => format!("COALESCE({col}, '')"),
    }
}

/// Replaces `FUNC(col)` calls of a pseudo-function.
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

/// Renders `template` for `backend`, returning the SQL and the values in bind order.
pub(crate) fn render(
    backend: Backend,
    template: &str,
    vals: &[(&str, Val)],
) -> Result<(String, Vec<Val>)> {
    let sql = expand(template, "EPOCH", |c| epoch(backend, c));
    let sql = expand(&sql, "IP", |c| ip(backend, c));
    let sql = expand(&sql, "INT64", |c| int64(backend, c));
    let mut out = String::with_capacity(sql.len() + 32);
    let mut binds = Vec::new();
    let mut rest = sql.as_str();
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let end = rest[i..]
            .find('}')
            .ok_or_else(|| Error::Internal("unclosed placeholder".to_owned()))?
            + i;
        let name = &rest[i + 1..end];
        let val = vals
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| Error::Internal(format!("no value for {{{name}}}")))?;
        binds.push(val.clone());
        let p = match backend {
            Backend::Postgres => format!("${}", binds.len()),
            _ => "?".to_owned(),
        };
        let text = match (backend, &val) {
            (Backend::Postgres, Val::Time(_) | Val::DateTime(_)) => format!("to_timestamp({p})"),
            (Backend::Mysql, Val::Time(_) | Val::DateTime(_)) => format!("FROM_UNIXTIME({p})"),
            (Backend::Sqlite, Val::DateTime(_)) => format!("datetime({p}, 'unixepoch')"),
            (Backend::Postgres, Val::Ip(_)) => format!("CAST({p} AS inet)"),
            (Backend::Postgres, Val::IpOpt(_)) => format!("CAST(NULLIF({p}, '') AS inet)"),
            (Backend::Postgres, Val::Text(_)) => format!("CAST({p} AS text)"),
            _ => p,
        };
        out.push_str(&text);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok((out, binds))
}

fn boxed<'f, DB>(sql: String, vals: &'f [Val]) -> BoxedSqlQuery<'f, DB, SqlQuery>
where
    DB: DieselBackend + HasSqlType<Text> + HasSqlType<BigInt> + 'f,
    &'f str: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    Option<i64>: ToSql<Nullable<BigInt>, DB>,
{
    let mut q = diesel::sql_query(sql).into_boxed::<DB>();
    for v in vals {
        q = match v {
            Val::Text(s) | Val::Ip(s) | Val::IpOpt(s) => q.bind::<Text, _>(s.as_str()),
            Val::Int(i) | Val::Time(i) | Val::DateTime(i) => q.bind::<BigInt, _>(*i),
            Val::NullInt(o) => q.bind::<Nullable<BigInt>, _>(*o),
        };
    }
    q
}

impl Store {
    /// Runs a statement template; returns the number of rows it touched.
    pub(crate) async fn execute_sql(&self, template: &str, vals: &[(&str, Val)]) -> Result<usize> {
        let (sql, binds) = render(self.backend(), template, vals)?;
        Ok(db_run!(self, c => boxed(sql, &binds).execute(c).await?))
    }

    /// Runs a query template and loads its rows.
    pub(crate) async fn load_sql<T>(&self, template: &str, vals: &[(&str, Val)]) -> Result<Vec<T>>
    where
        T: diesel::QueryableByName<diesel::sqlite::Sqlite>
            + diesel::QueryableByName<diesel::pg::Pg>
            + diesel::QueryableByName<diesel::mysql::Mysql>
            + Send
            + 'static,
    {
        let (sql, binds) = render(self.backend(), template, vals)?;
        Ok(db_run!(self, c => boxed(sql, &binds).load::<T>(c).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
