//! Usage counters enforced at authorize time in REST mode (what FreeRADIUS' `rlm_sqlcounter`
//! does in SQL mode): a check attribute of the user or their group sets the limit, the
//! counter measures what was used in the current window, and the rest goes back to the NAS
//! in a reply attribute. A limit already used up rejects the user with a message.
//!
//! A new counter is one small type: see [`Counter`].
//!
//! The counters of one request share a [`CounterUsage`]: the session time and the traffic of a
//! window are read in one query, once, however many counters look at that window. A counter
//! that needs something else reads it through [`CounterUsage::store`].

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, NaiveTime, TimeZone, Utc};

use crate::error::Result;
use crate::storage::{Store, UsageSums};

/// The usage of one user, as the counters of one authorize see it: each window's sums are
/// read from the database once and then shared.
///
/// Made by the authorizer for each request (seeded from the authorize cache when it has
/// the sums); a counter only calls [`CounterUsage::since`].
pub struct CounterUsage<'a> {
    store: &'a Store,
    username: &'a str,
    read: Mutex<Vec<(i64, UsageSums)>>,
}

impl std::fmt::Debug for CounterUsage<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CounterUsage")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl<'a> CounterUsage<'a> {
    /// The usage of `username`, read from `store` when asked (nothing is read until a
    /// counter asks).
    pub fn new(store: &'a Store, username: &'a str) -> Self {
        CounterUsage {
            store,
            username,
            read: Mutex::new(Vec::new()),
        }
    }

    /// The usage of `username` with the sums of some windows already known (from the
    /// authorize cache).
    pub(crate) fn with_known(
        store: &'a Store,
        username: &'a str,
        known: Vec<(i64, UsageSums)>,
    ) -> Self {
        CounterUsage {
            store,
            username,
            read: Mutex::new(known),
        }
    }

    /// The user (the subscriber's username, as `radacct` has it).
    pub fn username(&self) -> &str {
        self.username
    }

    /// The store, for a counter that reads something of its own.
    pub fn store(&self) -> &Store {
        self.store
    }

    /// Session time and traffic of the sessions that lasted past `since` (Unix seconds); a
    /// session that began before counts its time only from `since` on.
    ///
    /// Traffic is counted whole, even for a session that began before `since`: `radacct`
    /// has no per-window octets. The first call per `since` reads the database; later
    /// calls for the same `since` reuse the answer.
    pub async fn since(&self, since: i64) -> Result<UsageSums> {
        let known = self
            .read
            .lock()
            .ok()
            .and_then(|r| r.iter().find(|(s, _)| *s == since).map(|(_, u)| *u));
        if let Some(u) = known {
            return Ok(u);
        }
        let u = self.store.usage_since(self.username, since).await?;
        if let Ok(mut r) = self.read.lock() {
            r.push((since, u));
        }
        Ok(u)
    }
}

/// When a counter starts again from zero (windows are in UTC).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use owums_core::radius::CounterWindow;
/// let thursday = Utc.with_ymd_and_hms(2026, 11, 19, 15, 30, 0).unwrap();
/// let monday = Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap();
/// assert_eq!(CounterWindow::Weekly.window_start(thursday), monday.timestamp());
/// assert_eq!(CounterWindow::Never.window_start(thursday), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterWindow {
    /// Every day at 00:00.
    Daily,
    /// Every Monday at 00:00.
    Weekly,
    /// The first of every month at 00:00.
    Monthly,
    /// Never: everything ever used counts.
    Never,
}

impl CounterWindow {
    /// Start of the window that contains `now`, in Unix seconds (0 for
    /// [`CounterWindow::Never`]).
    pub fn window_start(self, now: DateTime<Utc>) -> i64 {
        let day = now.date_naive();
        let start = match self {
            CounterWindow::Daily => day,
            CounterWindow::Weekly => {
                day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()))
            }
            CounterWindow::Monthly => day.with_day(1).unwrap_or(day),
            CounterWindow::Never => return 0,
        };
        Utc.from_utc_datetime(&start.and_time(NaiveTime::MIN))
            .timestamp()
    }
}

/// One usage limit.
///
/// The authorizer looks for the counter's [`check_attribute`](Counter::check_attribute) in
/// the user's profile (their own or their groups' check items); a user without it
/// is not limited by this counter. With a limit `L` and usage `U` in the current window, a
/// user with `U >= L` is rejected with [`reply_message`](Counter::reply_message); otherwise
/// `L - U` goes in [`reply_attribute`](Counter::reply_attribute) (the smallest value wins
/// when several counters answer in the same attribute). The
/// [`Authorizer`](crate::radius::Authorizer) takes a list of counters: [`default_counters`]
/// and any of your own.
///
/// A new counter is one small type:
///
/// ```
/// use owums_core::radius::{Counter, CounterUsage, CounterWindow};
/// use owums_core::Result;
/// /// Session time since the start of the month (`Max-Monthly-Session` → `Session-Timeout`).
/// struct MonthlySession;
/// #[async_trait::async_trait]
/// impl Counter for MonthlySession {
///     fn check_attribute(&self) -> &str { "Max-Monthly-Session" }
///     fn reply_attribute(&self) -> &str { "Session-Timeout" }
///     fn reset(&self) -> CounterWindow { CounterWindow::Monthly }
///     fn reply_message(&self) -> &str { "Your maximum monthly usage time has been reached" }
///     async fn used(&self, usage: &CounterUsage<'_>, since: i64) -> Result<i64> {
///         Ok(usage.since(since).await?.session_time)
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait Counter: Send + Sync + 'static {
    /// The check attribute holding the limit (`Max-Daily-Session`), a whole number in the
    /// counter's unit.
    fn check_attribute(&self) -> &str;
    /// The reply attribute that gets what is left (`Session-Timeout`), so the NAS ends the
    /// session when the limit is reached.
    fn reply_attribute(&self) -> &str;
    /// When usage starts again from zero.
    fn reset(&self) -> CounterWindow;
    /// The `Reply-Message` when nothing is left.
    fn reply_message(&self) -> &str;
    /// What the user used since `since` (Unix seconds, the start of this counter's window),
    /// in the unit of the limit.
    async fn used(&self, usage: &CounterUsage<'_>, since: i64) -> Result<i64>;
}

/// `Max-Daily-Session` (seconds) → `Session-Timeout`: connection time per UTC day.
#[derive(Debug, Clone, Copy, Default)]
pub struct DailySessionCounter;

#[async_trait::async_trait]
impl Counter for DailySessionCounter {
    fn check_attribute(&self) -> &str {
        "Max-Daily-Session"
    }
    fn reply_attribute(&self) -> &str {
        "Session-Timeout"
    }
    fn reset(&self) -> CounterWindow {
        CounterWindow::Daily
    }
    fn reply_message(&self) -> &str {
        "Your maximum daily usage time has been reached"
    }
    async fn used(&self, usage: &CounterUsage<'_>, since: i64) -> Result<i64> {
        Ok(usage.since(since).await?.session_time)
    }
}

/// `Max-Daily-Session-Traffic` (octets) → the traffic reply attribute: upload plus
/// download per UTC day.
#[derive(Debug, Clone)]
pub struct DailyTrafficCounter {
    /// Reply attribute (`CoovaChilli-Max-Total-Octets` by default).
    pub reply_attribute: String,
}

#[async_trait::async_trait]
impl Counter for DailyTrafficCounter {
    fn check_attribute(&self) -> &str {
        "Max-Daily-Session-Traffic"
    }
    fn reply_attribute(&self) -> &str {
        &self.reply_attribute
    }
    fn reset(&self) -> CounterWindow {
        CounterWindow::Daily
    }
    fn reply_message(&self) -> &str {
        "Your maximum daily usage traffic has been reached"
    }
    async fn used(&self, usage: &CounterUsage<'_>, since: i64) -> Result<i64> {
        Ok(usage.since(since).await?.octets)
    }
}

/// `Max-Monthly-Session-Traffic` (octets) → the traffic reply attribute: upload plus
/// download per calendar month (UTC).
#[derive(Debug, Clone)]
pub struct MonthlyTrafficCounter {
    /// Reply attribute (`CoovaChilli-Max-Total-Octets` by default).
    pub reply_attribute: String,
}

#[async_trait::async_trait]
impl Counter for MonthlyTrafficCounter {
    fn check_attribute(&self) -> &str {
        "Max-Monthly-Session-Traffic"
    }
    fn reply_attribute(&self) -> &str {
        &self.reply_attribute
    }
    fn reset(&self) -> CounterWindow {
        CounterWindow::Monthly
    }
    fn reply_message(&self) -> &str {
        "Your maximum monthly usage traffic has been reached"
    }
    async fn used(&self, usage: &CounterUsage<'_>, since: i64) -> Result<i64> {
        Ok(usage.since(since).await?.octets)
    }
}

/// What is left of `limit` after `used`, saturating: never wraps or panics, whatever the
/// limit (a check item may hold any 64-bit number) and whatever the usage (a sum that
/// saturated at `i64::MAX`). Zero or less means the limit is reached.
///
/// ```
/// use owums_core::radius::remaining;
/// assert_eq!(remaining(3_000, 1_000), 2_000);
/// assert_eq!(remaining(-5, i64::MAX), i64::MIN);
/// assert!(remaining(3_000_000_000, i64::MAX) <= 0);
/// ```
pub fn remaining(limit: i64, used: i64) -> i64 {
    limit.saturating_sub(used)
}

/// The built-in counters, traffic ones answering in `traffic_reply_attribute`
/// (`[freeradius] traffic_reply_attribute`).
///
/// ```
/// let counters = owums_core::radius::default_counters("CoovaChilli-Max-Total-Octets");
/// let limits: Vec<&str> = counters.iter().map(|c| c.check_attribute()).collect();
/// assert_eq!(limits, ["Max-Daily-Session", "Max-Daily-Session-Traffic", "Max-Monthly-Session-Traffic"]);
/// ```
pub fn default_counters(traffic_reply_attribute: &str) -> Vec<Arc<dyn Counter>> {
    vec![
        Arc::new(DailySessionCounter),
        Arc::new(DailyTrafficCounter {
            reply_attribute: traffic_reply_attribute.to_owned(),
        }),
        Arc::new(MonthlyTrafficCounter {
            reply_attribute: traffic_reply_attribute.to_owned(),
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_saturates() {
        assert_eq!(remaining(10, 3), 7);
        assert_eq!(remaining(10, 10), 0);
        assert_eq!(remaining(i64::MAX, 0), i64::MAX);
        assert_eq!(remaining(i64::MIN, 1), i64::MIN);
        assert_eq!(remaining(-1, i64::MAX), i64::MIN);
        assert_eq!(remaining(0, i64::MIN), i64::MAX);
        assert!(remaining(3_000_000_000, i64::MAX) < 0);
    }

    #[test]
    fn windows() {
        let now = Utc.with_ymd_and_hms(2026, 11, 19, 15, 30, 0).unwrap(); // a Thursday
        let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap().timestamp();
        assert_eq!(CounterWindow::Daily.window_start(now), at(2026, 11, 19));
        assert_eq!(CounterWindow::Weekly.window_start(now), at(2026, 11, 16));
        assert_eq!(CounterWindow::Monthly.window_start(now), at(2026, 11, 1));
        assert_eq!(CounterWindow::Never.window_start(now), 0);
    }
}
