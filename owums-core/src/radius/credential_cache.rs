//! A bounded cache of recent successful password checks, so that a subscriber who logs in
//! again and again does not pay a full argon2id verification each time.
//!
//! - The key is an HMAC-SHA-256 of the username and the password under a random key made
//!   when the cache is created (one per process): the password itself is never kept, and
//!   the key cannot be recomputed outside the process.
//! - The value records the stored hash (PHC string) the password was checked against. A hit
//!   counts only when the hash the caller just read from the database is the same string, so
//!   a password change — by any process — misses the cache.
//! - Entries expire after a TTL and the least recently used ones are evicted past the size.
//!
//! Whether the user may log in at all (verified, active, not deleted) is not cached: the
//! caller reads the user row on every request and asks the cache only about the password.
//!
//! [`WrongPasswords`] is the other side, kept apart: the checks that failed, noted only so
//! that the post-auth log can tell a wrong password (which it may keep) from a correct one
//! (which it never keeps) without hashing again. It never lets a check be skipped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::radius::lru_table::{CacheClock, LruTable};

type Key = [u8; 32];

struct Entry {
    stored_hash: String,
    checked_at: Instant,
}

/// Recent successful `(username, password)` checks. Cheap to share behind an `Arc`.
///
/// Sized by `[freeradius] credential_cache_size` and `credential_cache_ttl_seconds`.
///
/// ```
/// use std::time::Duration;
/// use owums_core::radius::CredentialCache;
/// let cache = CredentialCache::new(10_000, Duration::from_secs(300));
/// let stored = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"; // as read from the user row
/// assert!(!cache.check("alice", "s3cret-pass", stored)); // miss: hash the password
/// cache.remember("alice", "s3cret-pass", stored);        // it matched
/// assert!(cache.check("alice", "s3cret-pass", stored));  // hit: no argon2id this time
/// assert!(!cache.check("alice", "s3cret-pass", "$argon2id$…new")); // password changed: miss
/// ```
pub struct CredentialCache {
    key: [u8; 32],
    ttl: Duration,
    entries: LruTable<Key, Entry>,
    clock: CacheClock,
}

impl std::fmt::Debug for CredentialCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialCache")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

impl CredentialCache {
    /// A cache of at most `capacity` entries valid for `ttl` (capacity 0: nothing is cached).
    /// Its HMAC key is random, made here: two caches never share keys.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        CredentialCache {
            key: rand::random(),
            ttl,
            entries: LruTable::new(capacity),
            clock: Arc::new(Instant::now),
        }
    }

    /// The same cache reading the time from `clock` (tests move it instead of sleeping).
    pub fn with_clock(mut self, clock: CacheClock) -> Self {
        self.clock = clock;
        self
    }

    /// The most entries it holds.
    pub fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    fn digest(&self, username: &str, password: &str) -> Key {
        digest(&self.key, username, password)
    }

    /// Whether `password` of `username` was found good against exactly `stored_hash` less
    /// than the TTL ago.
    pub fn check(&self, username: &str, password: &str, stored_hash: &str) -> bool {
        if !self.entries.is_on() {
            return false;
        }
        let key = self.digest(username, password);
        self.entries
            .with(|entries| {
                let found = entries.get(&key).map(|e| {
                    let same = bool::from(e.stored_hash.as_bytes().ct_eq(stored_hash.as_bytes()));
                    (
                        (self.clock)().saturating_duration_since(e.checked_at) < self.ttl,
                        same,
                    )
                });
                match found {
                    Some((true, same)) => same,
                    Some((false, _)) => {
                        entries.pop(&key);
                        false
                    }
                    None => false,
                }
            })
            .unwrap_or(false)
    }

    /// Records that `password` of `username` matched `stored_hash`; call it only after a
    /// real verification succeeded.
    pub fn remember(&self, username: &str, password: &str, stored_hash: &str) {
        if !self.entries.is_on() {
            return;
        }
        let entry = Entry {
            stored_hash: stored_hash.to_owned(),
            checked_at: (self.clock)(),
        };
        let key = self.digest(username, password);
        self.entries.with(|entries| entries.put(key, entry));
    }

    /// Forgets every entry of every user (e.g. after a bulk password change). Not needed
    /// after a single change: the stored hash no longer matches.
    pub fn clear(&self) {
        self.entries.clear();
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// HMAC-SHA-256 of `username`, a zero byte and `password` under `key`.
fn digest(key: &[u8; 32], username: &str, password: &str) -> Key {
    // The key is 32 bytes: HMAC accepts any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(username.as_bytes());
    mac.update(&[0]);
    mac.update(password.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Recent failed `(login name, password)` checks, for the post-auth log: authorize notes a
/// password it found wrong, and the log keeps a rejected password only when it finds that
/// note. Keyed like [`CredentialCache`] (an HMAC under a per-process key: no password is
/// held), bounded, and each note is used once.
pub struct WrongPasswords {
    key: [u8; 32],
    ttl: Duration,
    entries: LruTable<Key, Instant>,
}

impl std::fmt::Debug for WrongPasswords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WrongPasswords")
            .field("ttl", &self.ttl)
            .field("capacity", &self.entries.capacity())
            .finish_non_exhaustive()
    }
}

impl WrongPasswords {
    /// At most `capacity` notes, each valid for `ttl` (capacity 0: nothing is noted).
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        WrongPasswords {
            key: rand::random(),
            ttl,
            entries: LruTable::new(capacity),
        }
    }

    /// Nothing is ever noted.
    pub fn off() -> Self {
        Self::new(0, Duration::ZERO)
    }

    /// Whether it notes anything.
    pub fn is_on(&self) -> bool {
        self.entries.is_on()
    }

    /// Notes that `password` is not the password of `login` (or that there is no such login).
    pub fn note(&self, login: &str, password: &str) {
        if !self.entries.is_on() {
            return;
        }
        let key = digest(&self.key, login, password);
        self.entries
            .with(|entries| entries.put(key, Instant::now()));
    }

    /// Whether `password` of `login` was noted wrong less than the TTL ago; the note is used
    /// up. Nothing is hashed: a pair never noted (checked by another process, or too long ago)
    /// is not known to be wrong.
    pub fn take(&self, login: &str, password: &str) -> bool {
        if !self.entries.is_on() {
            return false;
        }
        let key = digest(&self.key, login, password);
        self.entries
            .with(|entries| entries.pop(&key))
            .flatten()
            .is_some_and(|at| at.elapsed() < self.ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_only_for_same_password_and_same_stored_hash() {
        let c = CredentialCache::new(10, Duration::from_secs(60));
        assert!(!c.check("alice", "pw1", "$h1"));
        c.remember("alice", "pw1", "$h1");
        assert!(c.check("alice", "pw1", "$h1"));
        assert!(!c.check("alice", "pw2", "$h1"), "other password");
        assert!(!c.check("bob", "pw1", "$h1"), "other user");
        assert!(!c.check("alice", "pw1", "$h2"), "password changed");
    }

    #[test]
    fn an_entry_lasts_exactly_its_ttl_on_the_caches_clock() {
        let now = Arc::new(std::sync::Mutex::new(Instant::now()));
        let read = now.clone();
        let c = CredentialCache::new(10, Duration::from_secs(60))
            .with_clock(Arc::new(move || *read.lock().unwrap()));
        c.remember("alice", "pw1", "$h1");
        let start = *now.lock().unwrap();
        *now.lock().unwrap() = start + Duration::from_secs(59);
        assert!(c.check("alice", "pw1", "$h1"), "59 s after: still good");
        *now.lock().unwrap() = start + Duration::from_secs(60);
        assert!(!c.check("alice", "pw1", "$h1"), "60 s after: expired");
        assert!(c.is_empty(), "the expired entry is dropped");
    }

    #[test]
    fn bounded_and_expiring() {
        let c = CredentialCache::new(2, Duration::from_secs(60));
        c.remember("a", "p", "h");
        c.remember("b", "p", "h");
        c.remember("c", "p", "h");
        assert_eq!(c.len(), 2);
        assert!(!c.check("a", "p", "h"), "least recently used evicted");
        let short = CredentialCache::new(2, Duration::ZERO);
        short.remember("a", "p", "h");
        assert!(!short.check("a", "p", "h"), "expired");
        assert!(short.is_empty(), "expired entry dropped");
        let off = CredentialCache::new(0, Duration::from_secs(60));
        off.remember("a", "p", "h");
        assert!(!off.check("a", "p", "h"));
    }

    #[test]
    fn wrong_password_notes_are_used_once_and_expire() {
        let w = WrongPasswords::new(2, Duration::from_secs(60));
        w.note("alice", "nope");
        assert!(!w.take("alice", "pw1"), "another password was not noted");
        assert!(!w.take("bob", "nope"), "another login was not noted");
        assert!(w.take("alice", "nope"));
        assert!(!w.take("alice", "nope"), "used up");
        let short = WrongPasswords::new(2, Duration::ZERO);
        short.note("alice", "nope");
        assert!(!short.take("alice", "nope"), "expired");
        let off = WrongPasswords::off();
        off.note("alice", "nope");
        assert!(!off.is_on() && !off.take("alice", "nope"));
    }

    #[test]
    fn keys_differ_between_caches() {
        let a = CredentialCache::new(1, Duration::from_secs(1));
        let b = CredentialCache::new(1, Duration::from_secs(1));
        assert_ne!(a.digest("u", "p"), b.digest("u", "p"));
        assert_ne!(a.digest("u", "p"), a.digest("u\0p", ""));
    }
}
