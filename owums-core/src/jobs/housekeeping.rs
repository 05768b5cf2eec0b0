//! The housekeeping jobs (OWUMS' HouseKeeperWorker): expire unfinished registrations, remove
//! long-disabled accounts, close stale accounting sessions. Each job runs under a database
//! lease, so several `owums serve` processes never run one twice at once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::accounting::access_point::{AccessPointLookup, convert_called_station_ids};
use crate::error::Result;
use crate::plugin::verifier::{Expiry, Verifier};
use crate::settings::{Key, SettingDef, Settings};
use crate::storage::Store;

/// A scheduled job: what it does, how often it runs ([`Job::every`]) and the name of its
/// lease ([`Job::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Unverified users whose method's expiry has passed are deleted or switched off (every minute).
    ExpireUnverified,
    /// Accounts disabled for `disabled_account_expire_days` are removed (daily; 0 = never).
    RemoveDisabledAccounts,
    /// Sessions open for 3 days are closed (daily, OWUMS' cleanup_stale).
    CleanupStaleSessions,
    /// Called-Station-Id of open sessions rewritten to `AP-MAC:original` (every 5 minutes,
    /// when an access-point lookup is configured).
    ConvertCalledStationIds,
    /// Expired web and API sessions are deleted, and closed rate-limit windows (hourly).
    PurgeExpiredSessions,
}

impl Job {
    /// Every job, in the order a run goes through them.
    pub const ALL: [Job; 5] = [
        Job::ExpireUnverified,
        Job::RemoveDisabledAccounts,
        Job::CleanupStaleSessions,
        Job::ConvertCalledStationIds,
        Job::PurgeExpiredSessions,
    ];

    /// Stable name: the key of its lease row and the name in logs. Never rename one: the
    /// lease of the old name would be forgotten and the job run again at once.
    ///
    /// ```
    /// use owums_core::jobs::Job;
    /// assert_eq!(Job::PurgeExpiredSessions.name(), "purge_expired_sessions");
    /// assert_eq!(Job::ExpireUnverified.every().as_secs(), 60);
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Job::ExpireUnverified => "expire_unverified",
            Job::RemoveDisabledAccounts => "remove_disabled_accounts",
            Job::CleanupStaleSessions => "cleanup_stale_radacct",
            Job::ConvertCalledStationIds => "convert_called_station_id",
            Job::PurgeExpiredSessions => "purge_expired_sessions",
        }
    }

    /// How often it runs: due again this long after its last successful run.
    pub fn every(self) -> Duration {
        match self {
            Job::ExpireUnverified => Duration::from_secs(60),
            Job::ConvertCalledStationIds => Duration::from_secs(300),
            Job::PurgeExpiredSessions => Duration::from_secs(3600),
            Job::RemoveDisabledAccounts | Job::CleanupStaleSessions => Duration::from_secs(86_400),
        }
    }

    fn lease(self) -> chrono::Duration {
        match self {
            Job::ExpireUnverified => chrono::Duration::minutes(5),
            Job::ConvertCalledStationIds => chrono::Duration::minutes(10),
            _ => chrono::Duration::hours(1),
        }
    }
}

/// What one job did, for a log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobReport {
    /// The job that ran (or was skipped).
    pub job: Job,
    /// What it did, for a log line; `None` when another process held its lease.
    pub summary: Option<String>,
}

/// Runs the housekeeping jobs.
///
/// It needs the enabled verifiers, because what happens to subscribers who never finish
/// verifying is each method's decision ([`Verifier::expiry`]): deleted, switched off, or
/// kept. Each housekeeper has its own lease-holder name (process id and a random part).
///
/// ```no_run
/// use owums_core::jobs::Housekeeper;
/// # async fn demo(store: owums_core::Store, verifiers: Vec<std::sync::Arc<dyn owums_core::Verifier>>) -> owums_core::Result<()> {
/// let housekeeper = Housekeeper::new(store, verifiers);
/// for report in housekeeper.run_due(chrono::Utc::now()).await? {
///     match report.summary {
///         Some(done) => println!("{}: {done}", report.job.name()),
///         None => println!("{}: another process has it", report.job.name()),
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Housekeeper {
    store: Store,
    verifiers: Vec<Arc<dyn Verifier>>,
    lookup: Option<Arc<dyn AccessPointLookup>>,
    holder: String,
}

impl std::fmt::Debug for Housekeeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Housekeeper")
            .field("holder", &self.holder)
            .finish()
    }
}

/// Days after which a disabled account is removed (0, the default: never).
///
/// Counted from the account's last change. Accounts of a method that keeps its users
/// ([`Expiry::Deactivate`], e.g. card payments kept for legal records) are switched off
/// instead of deleted.
pub const DISABLED_ACCOUNT_EXPIRE_DAYS: Key<u64> = Key::count(
    "disabled_account_expire_days",
    "0",
    "days before disabled accounts are removed (0: never)",
);

/// The settings this module reads, listed in the crate's catalogue of runtime settings.
pub(crate) const SETTINGS: &[SettingDef] = &[DISABLED_ACCOUNT_EXPIRE_DAYS.def()];

/// Days after which an open session is stale for [`Job::CleanupStaleSessions`]: a NAS that
/// rebooted or lost its Stop leaves sessions open forever, which would count against
/// `Simultaneous-Use` and usage limits.
pub const STALE_SESSION_DAYS: u32 = 3;

impl Housekeeper {
    /// A housekeeper for `store`, knowing the enabled verifiers (their expiry rules).
    /// Unverified users of a method not in `verifiers` are left alone.
    pub fn new(store: Store, verifiers: Vec<Arc<dyn Verifier>>) -> Self {
        let holder = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        Housekeeper {
            store,
            verifiers,
            lookup: None,
            holder,
        }
    }

    /// Also converts Called-Station-Id with this access-point lookup
    /// ([`Job::ConvertCalledStationIds`]); without one that job does nothing.
    pub fn with_access_point_lookup(mut self, lookup: Arc<dyn AccessPointLookup>) -> Self {
        self.lookup = Some(lookup);
        self
    }

    /// Runs the jobs that are due at `now` (not run within their period) and whose lease it gets.
    ///
    /// A job whose lease another process holds gets a report with no summary. A job that
    /// fails releases its lease without recording a run, so it is due again at the next
    /// call.
    ///
    /// # Errors
    ///
    /// The first job's failure (the later jobs of this call do not run), or a storage
    /// error taking or releasing a lease.
    pub async fn run_due(&self, now: DateTime<Utc>) -> Result<Vec<JobReport>> {
        let mut reports = Vec::new();
        for job in Job::ALL {
            let period = chrono::Duration::from_std(job.every()).unwrap_or_default();
            let due = self
                .store
                .job_last_run(job.name())
                .await?
                .is_none_or(|t| t + period <= now);
            if due {
                reports.push(self.run(job, now).await?);
            }
        }
        Ok(reports)
    }

    /// Runs every job now (`owums housekeeping run-once`), each under its lease, whether due
    /// or not.
    pub async fn run_all(&self, now: DateTime<Utc>) -> Result<Vec<JobReport>> {
        let mut reports = Vec::new();
        for job in Job::ALL {
            reports.push(self.run(job, now).await?);
        }
        Ok(reports)
    }

    async fn run(&self, job: Job, now: DateTime<Utc>) -> Result<JobReport> {
        if !self
            .store
            .try_acquire_lease(job.name(), &self.holder, job.lease(), now)
            .await?
        {
            return Ok(JobReport { job, summary: None });
        }
        let result = self.work(job, now).await;
        let ran_at = result.is_ok().then_some(now);
        self.store
            .release_lease(job.name(), &self.holder, ran_at)
            .await?;
        Ok(JobReport {
            job,
            summary: Some(result?),
        })
    }

    async fn work(&self, job: Job, now: DateTime<Utc>) -> Result<String> {
        match job {
            Job::ExpireUnverified => {
                let (mut deleted, mut deactivated) = (0, 0);
                for v in &self.verifiers {
                    match v.expiry() {
                        Expiry::Delete(after) => {
                            let cutoff =
                                now - chrono::Duration::from_std(after).unwrap_or_default();
                            deleted += self.store.expire_unverified(v.id(), cutoff, true).await?;
                        }
                        Expiry::Deactivate(after) => {
                            let cutoff =
                                now - chrono::Duration::from_std(after).unwrap_or_default();
                            deactivated +=
                                self.store.expire_unverified(v.id(), cutoff, false).await?;
                        }
                        Expiry::Never => {}
                    }
                }
                Ok(format!("deleted {deleted}, deactivated {deactivated}"))
            }
            Job::RemoveDisabledAccounts => {
                let days = Settings::new(self.store.clone())
                    .get(DISABLED_ACCOUNT_EXPIRE_DAYS)
                    .await?;
                if days == 0 {
                    return Ok("off (disabled_account_expire_days = 0)".to_owned());
                }
                let cutoff =
                    now - chrono::Duration::days(i64::try_from(days).unwrap_or(i64::MAX / 86_400));
                let keep: Vec<&str> = self
                    .verifiers
                    .iter()
                    .filter(|v| matches!(v.expiry(), Expiry::Deactivate(_)))
                    .map(|v| v.id())
                    .collect();
                let (deleted, deactivated) = self.store.remove_disabled(cutoff, &keep).await?;
                Ok(format!("deleted {deleted}, deactivated {deactivated}"))
            }
            Job::ConvertCalledStationIds => {
                let Some(lookup) = &self.lookup else {
                    return Ok("off (no access-point lookup configured)".to_owned());
                };
                let done = convert_called_station_ids(
                    &self.store,
                    lookup.as_ref(),
                    now.timestamp(),
                    &mut |_, _| {},
                )
                .await?;
                Ok(format!(
                    "converted {}, unknown {}",
                    done.converted, done.unknown
                ))
            }
            Job::PurgeExpiredSessions => {
                let n = crate::subscriber::web_session::WebSessions::new(self.store.clone())
                    .purge_expired(now)
                    .await?;
                let windows = self.store.purge_rate_limits(now.timestamp()).await?;
                Ok(format!("deleted {n}, closed rate-limit windows {windows}"))
            }
            Job::CleanupStaleSessions => {
                let done = self
                    .store
                    .cleanup_stale_sessions(STALE_SESSION_DAYS, now.timestamp())
                    .await?;
                Ok(format!(
                    "{} {}, {} {}",
                    crate::storage::STALE_RECALCULATED,
                    done.recalculated,
                    crate::storage::STALE_INVALID,
                    done.invalid
                ))
            }
        }
    }
}
