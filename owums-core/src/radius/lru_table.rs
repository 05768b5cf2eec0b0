//! A bounded least-recently-used table behind a lock, or nothing at all when its capacity
//! is 0: what the in-memory caches of authorize are built on.

use std::hash::Hash;
use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;

/// Where a cache reads the time: [`std::time::Instant::now`], or a clock a test moves.
pub type CacheClock = std::sync::Arc<dyn Fn() -> std::time::Instant + Send + Sync>;

/// At most `capacity` entries; with capacity 0 it keeps nothing and every call is a no-op.
///
/// One mutex over the whole table: the critical sections are a hash lookup and a list
/// splice, far shorter than the database reads they save.
pub(crate) struct LruTable<K: Hash + Eq, V>(Option<Mutex<LruCache<K, V>>>);

impl<K: Hash + Eq, V> LruTable<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        LruTable(NonZeroUsize::new(capacity).map(|c| Mutex::new(LruCache::new(c))))
    }

    /// Whether it keeps anything.
    pub(crate) fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// Runs `f` on the table; `None` when it is off (or its lock was poisoned).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut LruCache<K, V>) -> R) -> Option<R> {
        let mut table = self.0.as_ref()?.lock().ok()?;
        Some(f(&mut table))
    }

    /// The most entries it holds.
    pub(crate) fn capacity(&self) -> usize {
        self.with(|t| t.cap().get()).unwrap_or(0)
    }

    /// Entries held now.
    pub(crate) fn len(&self) -> usize {
        self.with(|t| t.len()).unwrap_or(0)
    }

    /// Forgets every entry.
    pub(crate) fn clear(&self) {
        self.with(LruCache::clear);
    }
}
