//! The password hashers: a few dedicated threads that compute argon2id, each reusing one
//! block of memory, so a burst of logins costs a bounded amount of memory that goes back to
//! the system once the burst is over.
//!
//! One argon2id computation needs its whole memory parameter as working memory (12 MiB with
//! [`hash_params`]; 19 MiB with the argon2 crate's defaults, which owums used first).
//! Computed on tokio's blocking pool, each hash ran on whichever of its threads was free
//! and allocated its memory there; glibc keeps freed memory of that size in the thread's
//! allocator arena, so after a burst every blocking thread that ever hashed held 19 MiB
//! for good (60 logins made 4 at a time left the server at 368 MiB). Here a
//! fixed set of threads ([`ServerConfig::password_hash_threads`], one per CPU by default)
//! takes the hashes from one queue, in order; each keeps its memory while hashes keep
//! coming and gives it back to the system after [`RELEASE_AFTER`] without work.
//!
//! The memory is allocated with a capacity above glibc's largest dynamic mmap threshold
//! (32 MiB on 64-bit systems, mallopt(3)), so the allocator maps it on its own and unmaps it
//! when freed, instead of keeping it in an arena. Only the blocks the parameters need are
//! ever touched, so the rest of the capacity costs address space, not memory.
//!
//! [`ServerConfig::password_hash_threads`]: crate::config::ServerConfig::password_hash_threads

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::error::{Error, Result};

/// How long a hashing thread keeps its memory without work before giving it back.
pub(crate) const RELEASE_AFTER: Duration = Duration::from_secs(2);

/// Blocks reserved per allocation at least: 33 MiB, above glibc's largest dynamic mmap
/// threshold (4 MiB × `sizeof(long)`), so every allocation is its own mapping.
const MAPPED_BLOCKS: usize = 33 * 1024;

/// Salt length of new hashes, in bytes (the PHC recommendation, as the argon2 crate uses).
const SALT_LEN: usize = 16;

/// The working memory of one hashing thread, reused from hash to hash.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    blocks: Vec<Block>,
}

impl Memory {
    /// At least `count` blocks: the ones held, or a fresh allocation when they are too few.
    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.blocks.len() < count {
            // free first: the old and the new block never both count
            self.blocks = Vec::new();
            let mut blocks = Vec::with_capacity(count.max(MAPPED_BLOCKS));
            blocks.resize(count, Block::new());
            self.blocks = blocks;
        }
        &mut self.blocks[..count]
    }

    /// Gives the memory back to the system.
    fn release(&mut self) {
        self.blocks = Vec::new();
    }

    /// Blocks held now (0 after [`Memory::release`]).
    pub(crate) fn held(&self) -> usize {
        self.blocks.len()
    }

    /// Where the blocks are, to tell whether two hashes used the same memory.
    #[cfg(test)]
    fn address(&self) -> usize {
        self.blocks.as_ptr() as usize
    }
}

/// Memory of a new hash, in KiB.
const HASH_MEMORY_KIB: u32 = 12 * 1024;
/// Passes over the memory of a new hash.
const HASH_PASSES: u32 = 3;

/// The argon2id parameters of new hashes: 12 MiB, three passes, one lane.
///
/// OWASP's Password Storage Cheat Sheet lists this among the configurations that give the
/// same defence as 19 MiB with two passes (the argon2 crate's default), trading memory for
/// a pass: about the same CPU time per hash, and 7 MiB less held by each hashing thread
/// while it works, which is what bounds the server's memory during a burst of logins.
/// Hashes stored with other parameters (the 19 MiB ones of earlier versions) keep working:
/// a PHC string carries its parameters and is verified with them.
pub(crate) fn hash_params() -> Params {
    Params::new(HASH_MEMORY_KIB, HASH_PASSES, 1, None).unwrap_or_default()
}

/// Hashes `password` with argon2id ([`hash_params`], a random salt) into a PHC string,
/// using `memory`.
pub(crate) fn hash_with(memory: &mut Memory, password: &[u8]) -> Result<String> {
    hash_with_params(memory, password, hash_params())
}

/// Hashes a generated voucher password with a cheap argon2id (1 MiB, one pass): its ~50
/// random bits, not the cost, are what protect it. Verification reads the parameters from
/// the PHC string, so such hashes verify like any other.
pub(crate) fn hash_voucher(memory: &mut Memory, password: &[u8]) -> Result<String> {
    let params =
        Params::new(1024, 1, 1, None).map_err(|e| Error::Internal(format!("argon2: {e}")))?;
    hash_with_params(memory, password, params)
}

fn hash_with_params(memory: &mut Memory, password: &[u8], params: Params) -> Result<String> {
    let salt: [u8; SALT_LEN] = rand::random();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    argon2
        .hash_password_into_with_memory(
            password,
            &salt,
            &mut out,
            memory.blocks(params.block_count()),
        )
        .map_err(|e| Error::Internal(format!("argon2: {e}")))?;
    let phc = || -> std::result::Result<PasswordHash, argon2::password_hash::Error> {
        Ok(PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params)?,
            salt: Some(Salt::new(&salt)?),
            hash: Some(Output::new(&out)?),
        })
    };
    phc()
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("argon2: {e}")))
}

/// Whether `password` matches the argon2 PHC string `phc`, computed with `memory` under the
/// string's own algorithm, version and parameters; the outputs are compared in constant
/// time. A malformed string never matches.
pub(crate) fn verify_with(memory: &mut Memory, password: &[u8], phc: &str) -> bool {
    check_with(memory, password, phc).unwrap_or(false)
}

/// [`verify_with`], telling a malformed string (`None`: no hash was computed) from a
/// computed answer.
pub(crate) fn check_with(memory: &mut Memory, password: &[u8], phc: &str) -> Option<bool> {
    let hash = PasswordHash::new(phc).ok()?;
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return None;
    };
    let algorithm = Algorithm::try_from(hash.algorithm.as_str()).ok()?;
    let version = hash
        .version
        .map(Version::try_from)
        .transpose()
        .ok()?
        .unwrap_or_default();
    let params = Params::try_from(&hash).ok()?;
    let mut out = vec![0u8; expected.len()];
    let blocks = memory.blocks(params.block_count());
    let argon2 = Argon2::new(algorithm, version, params);
    argon2
        .hash_password_into_with_memory(password, salt, &mut out, blocks)
        .ok()?;
    // `Output`'s equality is constant-time
    Some(Output::new(&out).is_ok_and(|computed| &computed == expected))
}

type Job = Box<dyn FnOnce(&mut Memory) + Send>;

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a hashing thread does next.
enum Next {
    Run(Job),
    Release,
    Stop,
}

/// A fixed set of hashing threads fed from one queue.
///
/// The server uses one for the whole process ([`Hashers::global`]); the async password
/// functions queue their work there. Dropping a pool stops its threads once the queue is
/// empty.
pub(crate) struct Hashers {
    shared: Arc<Shared>,
    threads: usize,
}

impl std::fmt::Debug for Hashers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hashers")
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// Threads of the process-wide pool, set before its first use (0: one per CPU).
static GLOBAL_THREADS: OnceLock<usize> = OnceLock::new();
static GLOBAL: OnceLock<Hashers> = OnceLock::new();

/// One hashing thread per CPU.
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

/// Sets how many threads compute password hashes in this process (0: one per CPU).
///
/// Call it once at startup, before the first hash (`owums serve` does, from
/// [`ServerConfig::password_hash_threads`](crate::config::ServerConfig::password_hash_threads));
/// returns `false`, changing nothing, when the pool was already sized or started.
pub fn set_password_hash_threads(threads: usize) -> bool {
    GLOBAL.get().is_none() && GLOBAL_THREADS.set(threads).is_ok()
}

impl Hashers {
    /// Starts `threads` hashing threads (0: one per CPU) that release their memory after
    /// `release_after` without work.
    pub(crate) fn new(threads: usize, release_after: Duration) -> Hashers {
        let wanted = if threads == 0 {
            default_threads()
        } else {
            threads
        };
        let shared = Arc::new(Shared::default());
        let mut started = 0;
        for i in 0..wanted {
            let shared = shared.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("owums-hash-{i}"))
                .spawn(move || work(&shared, release_after));
            match spawned {
                Ok(_) => started += 1,
                Err(e) => tracing::error!(error = %e, "a password hashing thread did not start"),
            }
        }
        Hashers {
            shared,
            threads: started,
        }
    }

    /// The process-wide pool, started on first use with the size set by
    /// [`set_password_hash_threads`].
    pub(crate) fn global() -> &'static Hashers {
        GLOBAL
            .get_or_init(|| Hashers::new(GLOBAL_THREADS.get().copied().unwrap_or(0), RELEASE_AFTER))
    }

    /// Runs `work` on one of the threads with its memory and returns what it returned. A
    /// caller that stops waiting (a client that went away) takes its work off the queue.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T> {
        if self.threads == 0 {
            return Err(Error::Internal(
                "no password hashing thread is running".to_owned(),
            ));
        }
        let (done, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            if done.is_closed() {
                return;
            }
            let _ = done.send(work(memory));
        });
        self.shared.lock().jobs.push_back(job);
        self.shared.ready.notify_one();
        answer
            .await
            .map_err(|_| Error::Internal("password hashing failed".to_owned()))
    }
}

impl Drop for Hashers {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_all();
    }
}

/// One hashing thread: runs jobs as they come, releases its memory when idle, stops when
/// its pool is dropped and the queue is empty.
fn work(shared: &Shared, release_after: Duration) {
    let mut memory = Memory::default();
    loop {
        let next = {
            let mut queue = shared.lock();
            loop {
                if let Some(job) = queue.jobs.pop_front() {
                    break Next::Run(job);
                }
                if queue.closed {
                    break Next::Stop;
                }
                if memory.held() == 0 {
                    queue = shared
                        .ready
                        .wait(queue)
                        .unwrap_or_else(PoisonError::into_inner);
                    continue;
                }
                let (q, waited) = shared
                    .ready
                    .wait_timeout(queue, release_after)
                    .unwrap_or_else(PoisonError::into_inner);
                queue = q;
                if waited.timed_out() && queue.jobs.is_empty() {
                    break Next::Release;
                }
            }
        };
        match next {
            // a panicking job drops its answer (the caller gets an error); the thread and
            // its memory stay
            Next::Run(job) => {
                let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut memory)));
            }
            Next::Release => memory.release(),
            Next::Stop => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn hashes_are_phc_strings_the_argon2_crate_verifies_and_vice_versa() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let mut memory = Memory::default();
        let ours = hash_with(&mut memory, b"s3cret-pass").unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=12288,t=3,p=1$"),
            "{ours}"
        );
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"s3cret-pass", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"s3cret-pasS", &parsed)
                .is_err()
        );
        let theirs = Argon2::default()
            .hash_password(b"s3cret-pass")
            .unwrap()
            .to_string();
        assert!(verify_with(&mut memory, b"s3cret-pass", &theirs));
        assert!(!verify_with(&mut memory, b"s3cret-pasS", &theirs));
        // other parameters and argon2i/argon2d are verified with their own settings
        let light = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x10,
            Params::new(64, 3, 2, Some(24)).unwrap(),
        )
        .hash_password(b"pw-123456")
        .unwrap()
        .to_string();
        assert!(light.starts_with("$argon2i$"), "{light}");
        assert!(verify_with(&mut memory, b"pw-123456", &light));
        assert!(!verify_with(&mut memory, b"pw-123457", &light));
        for bad in [
            "",
            "garbage",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ",
            "$6$saltsalt$x",
        ] {
            assert!(!verify_with(&mut memory, b"pw", bad), "{bad}");
        }
    }

    #[test]
    fn the_stand_in_hash_of_unknown_accounts_costs_what_a_new_hash_costs() {
        let dummy = PasswordHash::new(crate::subscriber::service::DUMMY_HASH).unwrap();
        let (dummy, new) = (Params::try_from(&dummy).unwrap(), hash_params());
        assert_eq!(
            (dummy.m_cost(), dummy.t_cost(), dummy.p_cost()),
            (new.m_cost(), new.t_cost(), new.p_cost())
        );
        assert_eq!(hash_params().m_cost(), 12 * 1024);
        assert_eq!(hash_params().t_cost(), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn hashes_run_on_the_pool_threads_only() {
        let pool = Arc::new(Hashers::new(3, RELEASE_AFTER));
        let stored = hash_with(&mut Memory::default(), b"correct horse").unwrap();
        let checks: Vec<_> = (0..32)
            .map(|i| {
                let (pool, stored) = (pool.clone(), stored.clone());
                tokio::spawn(async move {
                    let pw: &[u8] = if i % 2 == 0 {
                        b"correct horse"
                    } else {
                        b"wrong"
                    };
                    pool.run(move |memory| {
                        (
                            verify_with(memory, pw, &stored),
                            std::thread::current().id(),
                            std::thread::current().name().map(str::to_owned),
                        )
                    })
                    .await
                    .unwrap()
                })
            })
            .collect();
        let mut threads = HashSet::new();
        for (i, check) in checks.into_iter().enumerate() {
            let (matched, id, name) = check.await.unwrap();
            assert_eq!(matched, i % 2 == 0, "check {i}");
            assert!(name.is_some_and(|n| n.starts_with("owums-hash-")));
            threads.insert(id);
        }
        assert!(
            !threads.is_empty() && threads.len() <= 3,
            "32 hashes ran on {} threads",
            threads.len()
        );
    }

    #[tokio::test]
    async fn a_thread_reuses_its_memory_then_gives_it_back_when_idle() {
        let pool = Hashers::new(1, Duration::from_millis(20));
        let mut addresses = HashSet::new();
        for _ in 0..4 {
            let (address, held) = pool
                .run(|memory| {
                    hash_with(memory, b"pw-123456").unwrap();
                    (memory.address(), memory.held())
                })
                .await
                .unwrap();
            assert_eq!(held, hash_params().block_count());
            addresses.insert(address);
        }
        assert_eq!(addresses.len(), 1, "one block of memory for every hash");
        // idle: the memory goes back (polled, bounded: the thread wakes after 20 ms)
        let mut released = false;
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(25)).await;
            if pool.run(|memory| memory.held()).await.unwrap() == 0 {
                released = true;
                break;
            }
        }
        assert!(released, "the idle thread kept its memory");
    }
}
