//! `owums_rate_limits`: attempt counters shared by every `owums serve` process on the
//! database, one row per counted key, keyed by the key's SHA-256 (no address or account is
//! stored in clear).
//!
//! A window opens at a key's first attempt and closes `window` seconds later; counting an
//! attempt is one atomic statement (an upsert), so two processes counting the same key at
//! once never lose an attempt. Closed windows are swept by housekeeping
//! ([`Store::purge_rate_limits`]).

use diesel::sql_types::BigInt;

use super::Store;
use super::conn::Backend;
use super::sql::{SqliteStatement, Val};
use crate::error::{Error, Result};
use crate::subscriber::token;

/// One key's window after an attempt was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::QueryableByName)]
pub struct RateWindow {
    /// Attempts in the window, this one included.
    #[diesel(sql_type = BigInt)]
    pub hits: i64,
    /// When the window closes, in Unix seconds.
    #[diesel(sql_type = BigInt)]
    pub window_ends: i64,
}

/// PostgreSQL and SQLite: one upsert that answers the row.
const HIT: &str = "INSERT INTO owums_rate_limits (key_hash, hits, window_ends) \
     VALUES ({key}, 1, {ends}) \
     ON CONFLICT (key_hash) DO UPDATE SET \
     hits = CASE WHEN owums_rate_limits.window_ends <= {now} THEN 1 \
     ELSE owums_rate_limits.hits + 1 END, \
     window_ends = CASE WHEN owums_rate_limits.window_ends <= {now} THEN {ends} \
     ELSE owums_rate_limits.window_ends END \
     RETURNING hits, window_ends";

/// MariaDB/MySQL: the upsert (assignments run left to right: `hits` reads the old
/// `window_ends`), then the row, in one transaction that holds the row's lock.
const HIT_MYSQL: &str = "INSERT INTO owums_rate_limits (key_hash, hits, window_ends) \
     VALUES ({key}, 1, {ends}) \
     ON DUPLICATE KEY UPDATE \
     hits = IF(window_ends <= {now}, 1, hits + 1), \
     window_ends = IF(window_ends <= {now}, {ends}, window_ends)";

const READ: &str = "SELECT hits, window_ends FROM owums_rate_limits WHERE key_hash = {key}";

/// The stored form of a key: its SHA-256 in hex.
fn key_hash(key: &str) -> Val {
    Val::Text(token::digest(key))
}

impl Store {
    /// Counts one attempt of `key` at `now` (Unix seconds) in a window of `window` seconds
    /// (a new window when none is open) and answers the window.
    pub async fn hit_rate_limit(&self, key: &str, window: i64, now: i64) -> Result<RateWindow> {
        let vals = [
            ("key", key_hash(key)),
            ("ends", Val::Int(now.saturating_add(window.max(1)))),
            ("now", Val::Int(now)),
        ];
        let rows: Vec<RateWindow> = match self.backend() {
            Backend::Mysql => self.execute_then_load(HIT_MYSQL, READ, &vals).await?,
            Backend::Postgres | Backend::Sqlite => self.write_returning(HIT, &vals).await?,
        };
        rows.into_iter()
            .next()
            .ok_or_else(|| Error::Internal("the rate-limit upsert answered no row".to_owned()))
    }

    /// Counts one attempt of each of `keys` in turn, as [`Store::hit_rate_limit`] does, and
    /// stops after the first window `enough` (given its index and window) says ends the
    /// count: the windows counted, in order. On SQLite the count is one transaction.
    pub async fn hit_rate_limits(
        &self,
        keys: &[String],
        window: i64,
        now: i64,
        enough: impl Fn(usize, &RateWindow) -> bool + Send + 'static,
    ) -> Result<Vec<RateWindow>> {
        let vals = |key: &str| {
            [
                ("key", key_hash(key)),
                ("ends", Val::Int(now.saturating_add(window.max(1)))),
                ("now", Val::Int(now)),
            ]
        };
        if self.backend() != Backend::Sqlite {
            let mut windows = Vec::with_capacity(keys.len());
            for (i, key) in keys.iter().enumerate() {
                let w = self.hit_rate_limit(key, window, now).await?;
                windows.push(w);
                if enough(i, &w) {
                    break;
                }
            }
            return Ok(windows);
        }
        let hits = keys
            .iter()
            .map(|key| SqliteStatement::new(HIT, &vals(key)))
            .collect::<Result<Vec<_>>>()?;
        self.sqlite_transaction(move |c| {
            let mut windows = Vec::with_capacity(hits.len());
            for (i, hit) in hits.iter().enumerate() {
                let w = hit
                    .load::<RateWindow>(c)?
                    .into_iter()
                    .next()
                    .ok_or(diesel::result::Error::NotFound)?;
                windows.push(w);
                if enough(i, &w) {
                    break;
                }
            }
            Ok(windows)
        })
        .await
    }

    /// What a successful login changes, in one transaction: `clear`'s window is forgotten
    /// (the address's failures on the account) and one attempt is taken back from
    /// `forgive`'s (the login no longer counts against the address).
    pub async fn settle_login_limits(
        &self,
        clear: Option<&str>,
        forgive: Option<&str>,
    ) -> Result<()> {
        let mut templates = Vec::new();
        let mut vals = Vec::new();
        if let Some(key) = clear {
            templates.push("DELETE FROM owums_rate_limits WHERE key_hash = {clear}");
            vals.push(("clear", key_hash(key)));
        }
        if let Some(key) = forgive {
            templates.push(
                "UPDATE owums_rate_limits SET hits = hits - 1 WHERE key_hash = {forgive} AND hits > 0",
            );
            vals.push(("forgive", key_hash(key)));
        }
        if !templates.is_empty() {
            self.execute_sql_all(&templates, &vals).await?;
        }
        Ok(())
    }

    /// Deletes the windows closed at `now` (Unix seconds); returns how many.
    pub async fn purge_rate_limits(&self, now: i64) -> Result<usize> {
        self.execute_sql(
            "DELETE FROM owums_rate_limits WHERE window_ends <= {now}",
            &[("now", Val::Int(now))],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use crate::storage::scratch::sqlite_store;

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keys_are_counted_in_turn_until_one_is_enough() {
        let (store, _file) = sqlite_store("hits", 5000).await;
        let abc = keys(&["a", "b", "c"]);
        let all = store
            .hit_rate_limits(&abc, 60, 1000, |_, _| false)
            .await
            .unwrap();
        let hits: Vec<i64> = all.iter().map(|w| w.hits).collect();
        assert_eq!(hits, [1, 1, 1]);
        assert!(all.iter().all(|w| w.window_ends == 1060));
        // `b` says enough on its second hit: `c` is not counted
        let some = store
            .hit_rate_limits(&abc, 60, 1001, |i, w| i == 1 && w.hits >= 2)
            .await
            .unwrap();
        assert_eq!(some.iter().map(|w| w.hits).collect::<Vec<_>>(), [2, 2]);
        assert_eq!(store.hit_rate_limit("c", 60, 1002).await.unwrap().hits, 2);
        // the window of `a` closes at 1060: counted anew after it
        let later = store
            .hit_rate_limits(&keys(&["a"]), 60, 1060, |_, _| false)
            .await
            .unwrap();
        assert_eq!((later[0].hits, later[0].window_ends), (1, 1120));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_successful_login_clears_one_window_and_forgives_one_attempt() {
        let (store, _file) = sqlite_store("settle", 5000).await;
        let both = keys(&["pair", "ip"]);
        for now in 0..3 {
            store
                .hit_rate_limits(&both, 60, now, |_, _| false)
                .await
                .unwrap();
        }
        store
            .settle_login_limits(Some("pair"), Some("ip"))
            .await
            .unwrap();
        assert_eq!(
            store.hit_rate_limit("pair", 60, 5).await.unwrap().hits,
            1,
            "cleared"
        );
        assert_eq!(
            store.hit_rate_limit("ip", 60, 5).await.unwrap().hits,
            3,
            "3 - 1 + 1"
        );
        store.settle_login_limits(None, None).await.unwrap();
        store.settle_login_limits(None, Some("ip")).await.unwrap();
        assert_eq!(store.hit_rate_limit("ip", 60, 6).await.unwrap().hits, 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_at_once_take_turns_and_none_is_lost() {
        let (store, _file) = sqlite_store("turns", 5000).await;
        let counts = (0..40).map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.hit_rate_limit("k", 60, 10).await })
        });
        for c in counts {
            c.await.unwrap().unwrap();
        }
        assert_eq!(store.hit_rate_limit("k", 60, 10).await.unwrap().hits, 41);
    }
}
