//! Scheduled jobs: the housekeeping that OWUMS ran from cron (closing stale sessions,
//! deleting users who never verified, purging old rows), each run by one process at a time
//! under a database lease.
//!
//! The [`Housekeeper`] knows the jobs ([`Job`]), how often each runs and what each does.
//! The host calls [`Housekeeper::run_due`] regularly (`owums serve` every minute) and logs
//! the [`JobReport`]s; `owums housekeeping run-once` calls [`Housekeeper::run_all`]. A job's
//! lease (a row of `owums_job_leases`) is taken with one conditional `UPDATE`, so when
//! several processes share a database exactly one of them runs a due job, and a process
//! that dies holding a lease only delays the job until the lease expires.
//!
//! The one runtime setting jobs read, [`DISABLED_ACCOUNT_EXPIRE_DAYS`], is declared in
//! `jobs/housekeeping.rs` and listed with the others in `lib.rs`.

pub(crate) mod housekeeping;

pub use housekeeping::{
    DISABLED_ACCOUNT_EXPIRE_DAYS, Housekeeper, Job, JobReport, STALE_SESSION_DAYS,
};
