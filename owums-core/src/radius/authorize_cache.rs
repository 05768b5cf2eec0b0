//! The cache of authorize reads; how fresh its answers are is documented on [`AuthorizeCache`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::radius::lru_table::LruTable;
use crate::storage::UsageSums;
use crate::subscriber::user::UserRecord;

/// The RADIUS profile of a user, ready to decide with: check items by lowercase attribute
/// and reply items in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Rules {
    pub(crate) checks: std::collections::HashMap<String, String>,
    pub(crate) replies: Vec<crate::radius::authorize::Reply>,
}

/// When a snapshot's reads began, in the two counts of changes that make it stale: this
/// process's writes ([`Store::user_writes`](crate::storage::Store::user_writes)) and the
/// database's generation of RADIUS profiles
/// ([`Store::radius_generation`](crate::storage::Store::radius_generation)), which operator
/// edits made by any process bump.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) writes: u64,
    pub(crate) generation: i64,
}

/// What one authorize read for a login name.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) user: UserRecord,
    pub(crate) hash: String,
    pub(crate) rules: Rules,
    /// Usage sums by window start, as the counters read them.
    pub(crate) usage: Vec<(i64, UsageSums)>,
    /// When its reads began, on the cache's clock.
    read_at: Instant,
    /// The counts of changes before the reads.
    stamp: Stamp,
    /// Someone is reading it again.
    refreshing: AtomicBool,
    /// When the user, a voucher, expires: the instant is kept, not a verdict, so an expiry
    /// that falls while the snapshot is cached is seen.
    pub(crate) expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// False for a voucher valid some days after a first use not seen yet: its expiry is
    /// unknown until accounting starts, so it is read on every request.
    pub(crate) cacheable: bool,
}

impl Snapshot {
    /// A snapshot of reads that began at `read_at` ([`AuthorizeCache::now`]) when the counts
    /// of changes were `stamp`.
    pub(crate) fn new(
        user: UserRecord,
        hash: String,
        rules: Rules,
        usage: Vec<(i64, UsageSums)>,
        read_at: Instant,
        stamp: Stamp,
    ) -> Self {
        Snapshot {
            user,
            hash,
            rules,
            usage,
            read_at,
            stamp,
            refreshing: AtomicBool::new(false),
            expires_at: None,
            cacheable: true,
        }
    }

    /// The snapshot of a voucher expiring at `expires_at`, `cacheable` or not.
    pub(crate) fn with_expiry(
        mut self,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
        cacheable: bool,
    ) -> Self {
        self.expires_at = expires_at;
        self.cacheable = cacheable;
        self
    }
}

pub use crate::radius::lru_table::CacheClock;

/// Recent authorize reads by login name. Cheap to share behind an `Arc`.
///
/// A short-lived cache of what an authorize reads from the database for one login name: the
/// user row with its password hash, the RADIUS profile (own and group items) and the usage
/// sums the counters read. A subscriber's device that authorizes again within the TTL (a
/// retry, a re-authentication, a second access point) is answered from memory.
///
/// How fresh an answer is:
/// - A write made through this process's [`Store`](crate::storage::Store) (or a clone) to
///   users, their RADIUS items, memberships or groups makes every entry stale at once
///   ([`Store::user_writes`](crate::storage::Store::user_writes)), so the API, the pages and
///   the housekeeping of `owums serve` take effect on the next request.
/// - Accounting that this process records for a name drops that name's entry (an
///   Accounting-On or -Off drops all): a device that stops and logs in again at once is
///   counted with its last session
///   ([`Authorizer::saw_accounting`](crate::radius::authorize::Authorizer::saw_accounting)).
/// - An operator's edit of groups or check and reply items
///   ([`RadiusAdmin`](crate::radius::RadiusAdmin)), made by any process (another `owums
///   serve`, the command line), bumps the database's generation of RADIUS profiles, which
///   every authorize compares with its entry's: such an edit is seen on the next request
///   (one small read per request while the cache is on).
/// - Another change made elsewhere (a user disabled by another `owums` process, SQL by hand)
///   and accounting recorded elsewhere reach authorize within the TTL. Accounting already lags by the NAS's interim
///   interval (minutes), so counters see usage at most that lag plus the TTL late.
/// - Unknown names and users who may not log in are not cached (a new or re-enabled user
///   can log in at once), and neither is the password check itself: a hit still checks the password against the cached hash,
///   through the [`CredentialCache`](crate::radius::credential_cache::CredentialCache).
/// - Open sessions (`Simultaneous-Use`) and MAC roaming are read on every request.
///
/// Concurrent requests for a name that is not cached wait for the first one's reads, and a
/// name asked for all the time is read again in the background past half the TTL: requests
/// in flight never all miss at once.
pub struct AuthorizeCache {
    ttl: Duration,
    clock: CacheClock,
    entries: LruTable<String, Arc<Snapshot>>,
    /// Names being read now, each with the lock their readers queue on.
    loading: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for AuthorizeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizeCache")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

impl AuthorizeCache {
    /// At most `capacity` login names, each answered from memory for `ttl` (capacity 0 or a
    /// zero TTL: nothing is cached).
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        let entries = LruTable::new(if ttl.is_zero() { 0 } else { capacity });
        AuthorizeCache {
            ttl,
            clock: Arc::new(Instant::now),
            entries,
            loading: Mutex::default(),
        }
    }

    /// The same cache reading the time from `clock` (tests move it by hand instead of
    /// waiting for the TTL).
    pub fn with_clock(mut self, clock: CacheClock) -> Self {
        self.clock = clock;
        self
    }

    /// The time now, on the cache's clock.
    pub(crate) fn now(&self) -> Instant {
        (self.clock)()
    }

    /// How long ago `s`'s reads began.
    fn age(&self, s: &Snapshot) -> Duration {
        self.now().saturating_duration_since(s.read_at)
    }

    /// A cache that keeps nothing.
    pub fn off() -> Self {
        AuthorizeCache::new(0, Duration::ZERO)
    }

    /// The most login names it holds (0: off).
    pub fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    /// Whether it keeps anything.
    pub(crate) fn is_on(&self) -> bool {
        self.entries.is_on()
    }

    /// The snapshot of `name`, if younger than the TTL and nothing changed since its reads
    /// began (`stamp` is the counts of changes now).
    pub(crate) fn get(&self, name: &str, stamp: Stamp) -> Option<Arc<Snapshot>> {
        self.entries.with(|entries| {
            let fresh = entries
                .get(name)
                .filter(|s| s.stamp == stamp && self.age(s) < self.ttl)
                .cloned();
            if fresh.is_none() {
                entries.pop(name);
            }
            fresh
        })?
    }

    /// Whether the caller should read `seen` again now, in the background: past half its
    /// time, so that a name asked for all the time is read again before it expires (instead
    /// of every request in flight missing at once). True for one caller only.
    pub(crate) fn refresh_due(&self, seen: &Snapshot) -> bool {
        self.age(seen) >= self.ttl / 2 && !seen.refreshing.swap(true, Ordering::AcqRel)
    }

    /// Keeps `snapshot` for `name`.
    pub(crate) fn put(&self, name: &str, snapshot: Arc<Snapshot>) {
        self.entries
            .with(|entries| entries.put(name.to_owned(), snapshot));
    }

    /// The lock the readers of `name` queue on; give it back with [`AuthorizeCache::loaded`].
    pub(crate) fn loading(&self, name: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut loading = self.loading.lock().unwrap_or_else(PoisonError::into_inner);
        loading.entry(name.to_owned()).or_default().clone()
    }

    /// Done reading `name`: the lock goes when nobody else waits on it.
    pub(crate) fn loaded(&self, name: &str, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut loading = self.loading.lock().unwrap_or_else(PoisonError::into_inner);
        // this caller's handle and the table's: nobody else queued meanwhile
        if Arc::strong_count(&lock) <= 2 {
            loading.remove(name);
        }
    }

    /// Forgets what was read for `name`.
    pub fn forget(&self, name: &str) {
        self.entries.with(|entries| entries.pop(name));
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.entries.clear();
    }

    /// How many login names it holds now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{UserId, Username};

    fn user() -> UserRecord {
        let now = chrono::Utc::now();
        UserRecord {
            id: UserId::random(),
            username: Username::try_new("alice").unwrap(),
            email: None,
            mobile: None,
            given_name: String::new(),
            surname: String::new(),
            birth_date: None,
            address: String::new(),
            city: String::new(),
            zip: String::new(),
            country: String::new(),
            verification_method: "none".into(),
            verified: true,
            verified_at: Some(now),
            active: true,
            eula_accepted: true,
            privacy_accepted: true,
            locale: "en".into(),
            notes: None,
            created_at: now,
            updated_at: now,
        }
    }

    fn stamp(writes: u64) -> Stamp {
        Stamp {
            writes,
            generation: 0,
        }
    }

    fn snapshot(writes: u64) -> Snapshot {
        Snapshot::new(
            user(),
            "hash".into(),
            Rules::default(),
            vec![],
            Instant::now(),
            stamp(writes),
        )
    }

    /// A clock that moves only when the test says, and the function that moves it.
    fn manual_clock() -> (CacheClock, impl Fn(Duration)) {
        let start = Instant::now();
        let offset = Arc::new(Mutex::new(Duration::ZERO));
        let read = offset.clone();
        let clock: CacheClock = Arc::new(move || start + *read.lock().unwrap());
        (clock, move |by| *offset.lock().unwrap() += by)
    }

    #[test]
    fn a_write_or_the_ttl_makes_an_entry_stale() {
        let (clock, advance) = manual_clock();
        let cache = AuthorizeCache::new(8, Duration::from_secs(60)).with_clock(clock);
        let at = |writes| {
            Arc::new(Snapshot {
                read_at: cache.now(),
                ..snapshot(writes)
            })
        };
        cache.put("alice", at(3));
        assert!(cache.get("alice", stamp(3)).is_some());
        assert!(cache.get("bob", stamp(3)).is_none());
        assert!(
            cache.get("alice", stamp(4)).is_none(),
            "a write since the reads"
        );
        cache.put("alice", at(3));
        let edited = Stamp {
            writes: 3,
            generation: 1,
        };
        assert!(
            cache.get("alice", edited).is_none(),
            "an edit elsewhere since the reads"
        );
        assert!(cache.is_empty(), "the stale entry is dropped");

        cache.put("alice", at(0));
        advance(Duration::from_secs(59));
        assert!(cache.get("alice", stamp(0)).is_some(), "within the TTL");
        advance(Duration::from_secs(1));
        assert!(cache.get("alice", stamp(0)).is_none(), "the TTL is up");
    }

    #[test]
    fn one_caller_reads_again_past_half_the_time() {
        let (clock, advance) = manual_clock();
        let cache = AuthorizeCache::new(8, Duration::from_secs(40)).with_clock(clock);
        cache.put(
            "alice",
            Arc::new(Snapshot {
                read_at: cache.now(),
                ..snapshot(0)
            }),
        );
        let seen = cache.get("alice", stamp(0)).unwrap();
        advance(Duration::from_secs(19));
        assert!(!cache.refresh_due(&seen), "fresh");
        advance(Duration::from_secs(1));
        assert!(cache.refresh_due(&seen));
        assert!(!cache.refresh_due(&seen), "one caller only");
    }

    #[test]
    fn readers_of_one_name_share_a_lock_that_goes_with_the_last() {
        let cache = AuthorizeCache::new(8, Duration::from_secs(60));
        let first = cache.loading("alice");
        let second = cache.loading("alice");
        assert!(Arc::ptr_eq(&first, &second));
        assert!(!Arc::ptr_eq(&first, &cache.loading("bob")));
        cache.loaded("alice", first);
        assert!(
            cache.loading.lock().unwrap().contains_key("alice"),
            "one still waits"
        );
        cache.loaded("alice", second);
        assert!(!cache.loading.lock().unwrap().contains_key("alice"));
    }

    #[test]
    fn off_keeps_nothing_and_size_is_bounded() {
        let off = AuthorizeCache::off();
        off.put("alice", Arc::new(snapshot(0)));
        assert!(off.get("alice", stamp(0)).is_none());
        assert!(!off.is_on());
        assert!(!AuthorizeCache::new(8, Duration::ZERO).is_on());

        let cache = AuthorizeCache::new(2, Duration::from_secs(60));
        for name in ["a", "b", "c"] {
            cache.put(name, Arc::new(snapshot(0)));
        }
        assert_eq!(cache.len(), 2);
        assert!(
            cache.get("a", stamp(0)).is_none(),
            "the least recently used went"
        );
    }
}
