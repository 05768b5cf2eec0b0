//! How the process keeps its memory small under load.
//!
//! Two things grew the resident size of a busy server beyond what the work needs:
//!
//! - **glibc's malloc arenas.** Every thread that allocates gets an arena of its own (up to
//!   eight per CPU), and an arena keeps the memory freed in it for later. With the database
//!   calls of SQLite running on tokio's blocking threads, a burst of requests left a few
//!   megabytes in each of dozens of arenas. [`limit_malloc_arenas`] caps them at
//!   [`MALLOC_ARENAS`], shared by all threads.
//! - **Blocking threads.** tokio starts a new blocking thread whenever none is free (up to
//!   512) and keeps it ten seconds; each costs a stack and its share of an arena. The
//!   blocking work here is SQLite calls (at most one per pooled connection at a time), the
//!   migrations and the captcha image, so [`BLOCKING_THREADS`] is plenty; more work waits
//!   for a free thread instead of starting one.
//!
//! The password hashes, the largest users of memory, run on threads of their own that
//! reuse one block each (see `owums_core::subscriber::set_password_hash_threads`).

/// Malloc arenas the process uses at most.
pub const MALLOC_ARENAS: i32 = 2;

/// Blocking threads tokio runs at most.
pub const BLOCKING_THREADS: usize = 32;

/// Caps glibc's malloc arenas at [`MALLOC_ARENAS`] (elsewhere: does nothing). Call it first
/// thing in `main`, before any thread starts.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: mallopt only sets a malloc parameter; it is called before any other thread
    // exists, and M_ARENA_MAX with a positive value is a documented, valid setting.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
    }
}
