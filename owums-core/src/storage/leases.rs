//! `owums_job_leases`: one row per scheduled job; whoever holds an unexpired lease runs it.
//!
//! A lease is a holder name and an expiry. Taking it is a conditional `UPDATE` (free or
//! already ours), so two processes can never both hold one; releasing it records when the
//! job last finished, which decides when it is due again ([`crate::jobs`]). A holder that
//! dies leaves its lease to expire.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::{BoolExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;

use super::Store;
use super::conn::db_run;
use super::schema::owums_job_leases;
use super::subscriber::users::to_second;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::error::{Error, Result};

impl Store {
    /// Takes (or renews) the lease of `job` for `holder` until `now + ttl`, if nobody else
    /// holds an unexpired one. One `UPDATE`, so two processes can never both win.
    pub async fn try_acquire_lease(
        &self,
        job: &str,
        holder: &str,
        ttl: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let (now, until) = (to_second(now), to_second(now + ttl));
        let epoch = DateTime::<Utc>::UNIX_EPOCH.naive_utc();
        let acquired = db_run!(self, untracked c => {
            // Make sure the row exists (a lost race here is harmless: the row is there).
            let exists: Option<String> = owums_job_leases::table
                .filter(owums_job_leases::job.eq(job))
                .select(owums_job_leases::job)
                .first(c)
                .await
                .optional()?;
            if exists.is_none() {
                let inserted = diesel::insert_into(owums_job_leases::table)
                    .values((owums_job_leases::job.eq(job), owums_job_leases::expires_at.eq(epoch)))
                    .execute(c)
                    .await;
                match inserted {
                    Ok(_) | Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
                    Err(e) => return Err(Error::from(e)),
                }
            }
            diesel::update(
                owums_job_leases::table.filter(owums_job_leases::job.eq(job)).filter(
                    owums_job_leases::expires_at.le(now).or(owums_job_leases::holder.eq(holder)),
                ),
            )
            .set((
                owums_job_leases::holder.eq(holder),
                owums_job_leases::expires_at.eq(until),
                owums_job_leases::generation.eq(owums_job_leases::generation + 1),
            ))
            .execute(c)
            .await?
        });
        Ok(acquired == 1)
    }

    /// Gives the lease of `job` up (if `holder` has it), recording a finished run at `ran_at`.
    pub async fn release_lease(
        &self,
        job: &str,
        holder: &str,
        ran_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let epoch = DateTime::<Utc>::UNIX_EPOCH.naive_utc();
        db_run!(self, untracked c => {
            let q = owums_job_leases::table.filter(owums_job_leases::job.eq(job)).filter(owums_job_leases::holder.eq(holder));
            match ran_at {
                Some(t) => diesel::update(q)
                    .set((owums_job_leases::expires_at.eq(epoch), owums_job_leases::last_run_at.eq(to_second(t))))
                    .execute(c)
                    .await?,
                None => diesel::update(q).set(owums_job_leases::expires_at.eq(epoch)).execute(c).await?,
            }
        });
        Ok(())
    }

    /// When `job` last finished successfully, if ever.
    pub async fn job_last_run(&self, job: &str) -> Result<Option<DateTime<Utc>>> {
        let t: Option<Option<NaiveDateTime>> = db_run!(self, read c => owums_job_leases::table
            .filter(owums_job_leases::job.eq(job))
            .select(owums_job_leases::last_run_at)
            .first(c)
            .await
            .optional()?);
        Ok(t.flatten().map(|t| t.and_utc()))
    }
}
