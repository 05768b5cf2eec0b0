//! Scheduled jobs: the housekeeping that OWUMS ran from cron (closing stale sessions,
//! deleting users who never verified, purging old rows), each run by one process at a time
//! under a database lease.

pub(crate) mod housekeeping;

pub use housekeeping::{
    DISABLED_ACCOUNT_EXPIRE_DAYS, Housekeeper, Job, JobReport, STALE_SESSION_DAYS,
};
