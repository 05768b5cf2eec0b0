//! The operator console's reads and writes of `owums_users`: the filtered, sorted user
//! list with its trigram search, whole-record edits, and the web login counter.
//!
//! A search looks for text inside `search_key`, a column each backend generates from the
//! username, e-mail, mobile digits and both orders of the names (migration
//! `000011_user_admin`). SQLite answers it from an FTS5 trigram index, PostgreSQL from a
//! pg_trgm GIN index; MariaDB reads the column of every row (same results, slower).

use chrono::NaiveDate;
use diesel::dsl::sql;
use diesel::sql_types::{Bool, Integer, Text};
use diesel::{
    BoolExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper,
    TextExpressionMethods,
};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::{Error, Result};
use crate::ids::{GroupName, UserId};
use crate::storage::Store;
use crate::storage::conn::{Backend, db_run};
use crate::storage::radius::items::bump_generation;
use crate::storage::schema::{
    owums_attachments, owums_operator_verifications, owums_radius_generation, owums_user_groups,
    owums_users,
};
use crate::storage::subscriber::operator::OperatorRecord;
use crate::storage::subscriber::users::{Membership, NewUserRow, radius_password};
use crate::subscriber::admin::UserSort;
use crate::subscriber::user::UserRecord;

/// Which users a list shows: `terms` are texts of at least three characters (as typed,
/// spaces collapsed), a user matches when their search key contains any of them, ignoring
/// case (ASCII letters on SQLite, every letter elsewhere).
#[derive(Debug, Clone, Default)]
pub(crate) struct UserFilter {
    pub(crate) terms: Vec<String>,
    pub(crate) method: Option<String>,
    pub(crate) verified: Option<bool>,
    pub(crate) active: Option<bool>,
}

/// The columns an operator's edit writes: the whole editable record, computed by the
/// service from the row read in the same transaction.
#[derive(Debug, Clone, diesel::AsChangeset)]
#[diesel(table_name = owums_users, treat_none_as_null = true)]
pub(crate) struct UserEditRow {
    pub(crate) username: String,
    pub(crate) email: Option<String>,
    pub(crate) mobile: Option<String>,
    pub(crate) given_name: String,
    pub(crate) surname: String,
    pub(crate) birth_date: Option<NaiveDate>,
    pub(crate) address: String,
    pub(crate) city: String,
    pub(crate) zip: String,
    pub(crate) country: String,
    pub(crate) verified: bool,
    pub(crate) verified_at: Option<chrono::NaiveDateTime>,
    pub(crate) active: bool,
    pub(crate) locale: String,
    pub(crate) notes: Option<String>,
    pub(crate) updated_at: chrono::NaiveDateTime,
}

/// A new password, already hashed: the web hash and the RADIUS check `(attribute, value)`.
pub(crate) struct PasswordRows {
    pub(crate) hash: String,
    pub(crate) attribute: &'static str,
    pub(crate) radius: String,
}

/// The FTS5 query of `terms`: each a quoted phrase (a substring for the trigram
/// tokenizer, which ignores case), joined by `OR`.
fn fts_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// Most users a SQLite search reads from the trigram index before deciding the text is
/// common: up to it the page is made of those users; past it the page walks the sort
/// index and tests each row (a page of such a common text is found within a few thousand
/// rows), and the count is "more than [`COUNT_LIMIT`](crate::subscriber::COUNT_LIMIT)".
const PROBE: i64 = 5_000;

#[derive(diesel::QueryableByName)]
struct Probe {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// How a SQLite search runs.
enum SqlitePlan {
    /// Nobody matches.
    Empty,
    /// From the trigram index (at most [`PROBE`] users match).
    Index,
    /// Down the sort index, each row tested (more than [`PROBE`] users match).
    Scan,
}

/// `term` as a `LIKE` pattern for "contains" (backslash escapes `%`, `_` and itself, the
/// default escape of PostgreSQL and MariaDB).
fn contains_pattern(term: &str) -> String {
    let mut p = String::with_capacity(term.len() + 2);
    p.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

const FTS_FILTER: &str = "owums_users.id IN (SELECT s.user_id FROM owums_users_search_ids s \
     WHERE s.id IN (SELECT rowid FROM owums_users_search WHERE owums_users_search MATCH ";

/// The test of each candidate row: its key contains one of the (up to three) patterns.
const SQLITE_TEST: &str = "(owums_users.search_key LIKE ";

impl Store {
    /// The users `filter` selects, sorted by `sort` (ties by id, the same way), `limit`
    /// from `offset`; and how many there are, counted up to `count_cap + 1`.
    pub(crate) async fn search_users(
        &self,
        filter: &UserFilter,
        sort: UserSort,
        descending: bool,
        offset: i64,
        limit: i64,
        count_cap: i64,
    ) -> Result<(Vec<UserRecord>, i64)> {
        let sqlite = self.backend() == Backend::Sqlite;
        let fts = fts_query(&filter.terms);
        let plan = if sqlite && !filter.terms.is_empty() {
            self.sqlite_plan(&fts).await?
        } else {
            SqlitePlan::Index
        };
        if matches!(plan, SqlitePlan::Empty) {
            return Ok((Vec::new(), 0));
        }
        let scan = matches!(plan, SqlitePlan::Scan);
        // SQLite's LIKE ignores the case of ASCII letters only, as its lower() built the key.
        let patterns: Vec<String> = filter
            .terms
            .iter()
            .map(|t| {
                contains_pattern(&if sqlite {
                    t.to_ascii_lowercase()
                } else {
                    t.to_lowercase()
                })
            })
            .collect();
        // An e-mail's domain is shared by many users (every trigram of `example.org` is in
        // most keys): PostgreSQL's trigram index reads the part up to the `@` only.
        let index_patterns: Vec<String> = filter
            .terms
            .iter()
            .zip(&patterns)
            .map(|(t, full)| match t.to_lowercase().split_once('@') {
                Some((local, _)) if local.chars().count() >= 3 => {
                    contains_pattern(&format!("{local}@"))
                }
                _ => full.clone(),
            })
            .collect();
        let p = |i: usize| {
            patterns
                .get(i)
                .or_else(|| patterns.get(..1).and_then(<[String]>::last))
                .cloned()
                .unwrap_or_default()
        };
        let (p0, p1, p2) = (p(0), p(1), p(2));
        let (rows, count): (Vec<NewUserRow>, usize) = db_run!(self, read c => {
            macro_rules! filtered {
                () => {{
                    let mut q = owums_users::table.into_boxed();
                    if let Some(m) = &filter.method {
                        q = q.filter(owums_users::verification_method.eq(m));
                    }
                    if let Some(v) = filter.verified {
                        q = q.filter(owums_users::verified.eq(v));
                    }
                    if let Some(a) = filter.active {
                        q = q.filter(owums_users::active.eq(a));
                    }
                    if sqlite && !filter.terms.is_empty() && !scan {
                        q = q.filter(sql::<Bool>(FTS_FILTER).bind::<Text, _>(&fts).sql("))"));
                    } else if sqlite && scan {
                        q = q.filter(
                            sql::<Bool>(SQLITE_TEST)
                                .bind::<Text, _>(&p0)
                                .sql(" ESCAPE '\\' OR owums_users.search_key LIKE ")
                                .bind::<Text, _>(&p1)
                                .sql(" ESCAPE '\\' OR owums_users.search_key LIKE ")
                                .bind::<Text, _>(&p2)
                                .sql(" ESCAPE '\\')"),
                        );
                    } else {
                        let k = owums_users::search_key;
                        // the index reads `idx`; `concat(…)` (which no index answers)
                        // tests the whole pattern on each row it finds
                        macro_rules! term {
                            ($i:expr) => {
                                k.like(&index_patterns[$i]).and(
                                    sql::<Bool>("concat(owums_users.search_key, '') LIKE ")
                                        .bind::<Text, _>(&patterns[$i]),
                                )
                            };
                        }
                        q = match patterns.len() {
                            0 => q,
                            1 => q.filter(term!(0)),
                            2 => q.filter(term!(0).or(term!(1))),
                            _ => q.filter(term!(0).or(term!(1)).or(term!(2))),
                        };
                    }
                    q
                }};
            }
            // a common text (more users than PROBE) counts as "more than count_cap"
            let counted: Vec<i32> = if scan {
                vec![1; usize::try_from(count_cap + 1).unwrap_or(0)]
            } else {
                filtered!()
                    .select(sql::<Integer>("1"))
                    .limit(count_cap + 1)
                    .load(c)
                    .await?
            };
            let q = filtered!();
            macro_rules! by {
                ($col:expr) => {
                    if descending {
                        q.order_by($col.desc()).then_order_by(owums_users::id.desc())
                    } else {
                        q.order_by($col.asc()).then_order_by(owums_users::id.asc())
                    }
                };
            }
            let q = match sort {
                UserSort::RegisteredAt => by!(owums_users::created_at),
                UserSort::Username => by!(owums_users::username),
                UserSort::GivenName => by!(owums_users::given_name),
                UserSort::Surname => by!(owums_users::surname),
                UserSort::Country => by!(owums_users::country),
                UserSort::City => by!(owums_users::city),
                UserSort::Verified => by!(owums_users::verified),
                UserSort::Active => by!(owums_users::active),
            };
            let rows: Vec<NewUserRow> = q
                .select(NewUserRow::as_select())
                .offset(offset)
                .limit(limit)
                .load(c)
                .await?;
            (rows, counted.len())
        });
        let users = rows
            .into_iter()
            .map(UserRecord::try_from)
            .collect::<Result<Vec<_>>>()?;
        Ok((users, i64::try_from(count).unwrap_or(i64::MAX)))
    }

    /// Inserts a user created by an operator, their RADIUS password, memberships and (for
    /// a method operators verify) the record of the operator's check with its files, in one
    /// transaction.
    pub(crate) async fn insert_user_recording(
        &self,
        row: NewUserRow,
        radius: (&str, &str),
        groups: &[(GroupName, i32)],
        record: Option<OperatorRecord>,
    ) -> Result<UserRecord> {
        let id = row.id.clone();
        db_run!(self, c => {
            c.transaction::<_, Error, _>(async |c| {
                diesel::insert_into(owums_users::table).values(&row).execute(c).await?;
                radius_password!(insert c, &id, radius.0, radius.1);
                for (group, priority) in groups {
                    let m = Membership { user_id: &id, group_name: group.as_str(), priority: *priority };
                    diesel::insert_into(owums_user_groups::table).values(&m).execute(c).await?;
                }
                if let Some(record) = &record {
                    diesel::insert_into(owums_operator_verifications::table).values(&record.verification).execute(c).await?;
                    for attachment in &record.attachments {
                        diesel::insert_into(owums_attachments::table).values(attachment).execute(c).await?;
                    }
                }
                Ok(())
            })
            .await
        })?;
        self.find_user(id.parse()?)
            .await?
            .ok_or_else(|| Error::Internal("inserted user vanished".to_owned()))
    }

    /// Rewrites `id`'s editable columns with what `edit` computes from the row as read in
    /// the same transaction; replaces the memberships with `groups` and the passwords with
    /// `password` when given, and moves the RADIUS profile generation on (so every process's
    /// authorize cache drops what it holds). Returns the user before and after, or `None`
    /// if `id` is gone.
    pub(crate) async fn edit_user(
        &self,
        id: UserId,
        edit: impl Fn(&UserRecord) -> Result<UserEditRow> + Send + Sync,
        groups: Option<&[(GroupName, i32)]>,
        password: Option<&PasswordRows>,
    ) -> Result<Option<(UserRecord, UserRecord)>> {
        let key = id.to_string();
        let found: Option<NewUserRow> = db_run!(self, c => {
            c.transaction::<_, Error, _>(async |c| {
                // Write first, so the row is locked (and SQLite's write lock taken) before the read.
                diesel::update(owums_users::table.filter(owums_users::id.eq(&key)))
                    .set(owums_users::updated_at.eq(owums_users::updated_at))
                    .execute(c)
                    .await?;
                let row: Option<NewUserRow> = owums_users::table
                    .filter(owums_users::id.eq(&key))
                    .select(NewUserRow::as_select())
                    .first(c)
                    .await
                    .optional()?;
                let Some(row) = row else { return Ok(None) };
                let before = UserRecord::try_from(row.clone())?;
                let change = edit(&before)?;
                diesel::update(owums_users::table.filter(owums_users::id.eq(&key)))
                    .set(&change)
                    .execute(c)
                    .await?;
                if let Some(p) = password {
                    diesel::update(owums_users::table.filter(owums_users::id.eq(&key)))
                        .set(owums_users::password_hash.eq(&p.hash))
                        .execute(c)
                        .await?;
                    radius_password!(replace c, &key, p.attribute, &p.radius);
                }
                if let Some(groups) = groups {
                    diesel::delete(owums_user_groups::table.filter(owums_user_groups::user_id.eq(&key)))
                        .execute(c)
                        .await?;
                    for (group, priority) in groups {
                        let m = Membership { user_id: &key, group_name: group.as_str(), priority: *priority };
                        diesel::insert_into(owums_user_groups::table).values(&m).execute(c).await?;
                    }
                }
                // Every process's authorize cache sees the edit on its next request.
                bump_generation!(c);
                Ok(Some(row))
            })
            .await
        })?;
        let Some(before) = found else { return Ok(None) };
        let before = UserRecord::try_from(before)?;
        let after = self
            .find_user(id)
            .await?
            .ok_or_else(|| Error::Internal("edited user vanished".to_owned()))?;
        Ok(Some((before, after)))
    }

    /// How SQLite should search for the FTS5 query `fts`: one read of the trigram index,
    /// stopped past [`PROBE`] users.
    async fn sqlite_plan(&self, fts: &str) -> Result<SqlitePlan> {
        let q = format!(
            "SELECT count(*) AS n FROM (SELECT rowid FROM owums_users_search \
             WHERE owums_users_search MATCH ? LIMIT {})",
            PROBE + 1
        );
        let rows: Vec<Probe> = db_run!(self, read c => diesel::sql_query(q.as_str())
            .bind::<Text, _>(fts)
            .load(c)
            .await?);
        let n = <[Probe]>::first(&rows).map_or(0, |r| r.n);
        Ok(match n {
            0 => SqlitePlan::Empty,
            n if n <= PROBE => SqlitePlan::Index,
            _ => SqlitePlan::Scan,
        })
    }

    /// Counts one web login of `id` (authorize never reads the counter: untracked).
    pub(crate) async fn count_web_login(&self, id: UserId) -> Result<()> {
        let key = id.to_string();
        db_run!(self, untracked c => diesel::update(owums_users::table.filter(owums_users::id.eq(&key)))
            .set(owums_users::web_logins.eq(owums_users::web_logins + 1))
            .execute(c)
            .await?);
        Ok(())
    }

    /// How many times `id` logged in on the web pages (0 for an unknown id).
    pub(crate) async fn web_logins(&self, id: UserId) -> Result<u64> {
        let key = id.to_string();
        let n: Option<i32> = db_run!(self, read c => owums_users::table
            .filter(owums_users::id.eq(&key))
            .select(owums_users::web_logins)
            .first(c)
            .await
            .optional()?);
        Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_wildcards() {
        assert_eq!(contains_pattern("a_b%c\\"), "%a\\_b\\%c\\\\%");
    }

    #[test]
    fn terms_are_quoted_phrases() {
        let q = fts_query(&["ab\"c".to_owned(), "xyz".to_owned()]);
        assert_eq!(q, "\"ab\"\"c\" OR \"xyz\"");
    }
}
