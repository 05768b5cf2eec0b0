//! Accounting in groups, on PostgreSQL and SQLite: the Starts, Interim-Updates and Stops
//! that arrive while earlier ones are being written go to the database together, in one
//! transaction, so the database commits once per group instead of once per event. Each
//! request still gets its answer only after its group committed. A group that fails is
//! written again one event at a time (every statement is idempotent), so a bad event fails
//! alone.
//!
//! PostgreSQL: the statements of a group are pipelined on one connection. Events go to one
//! of a few lanes by their session id, each lane with at most one group in flight: the
//! events of one session are written in order, and two groups never wait on each other's
//! rows of one session (which, pipelined, would deadlock until PostgreSQL's
//! `deadlock_timeout`).
//!
//! SQLite: one lane (SQLite has one writer), and a group runs in one `BEGIN IMMEDIATE`
//! transaction in one call on the blocking pool. Accounting writers no longer queue on
//! SQLite's lock, whose busy handler sleeps 1, 2, 5, 10 … ms between tries.

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::error::{Error, Result};
use crate::storage::Store;
use crate::storage::accounting::plan::Plan;
use crate::storage::accounting::write::{SqliteWrite, pg_write};
use crate::storage::conn::{Pool, pool_error};

/// Most events in one transaction.
const MAX_GROUP: usize = 64;
/// Lanes, so groups written at once (each on its own connection): one per CPU, 2 to 8. A
/// lane more than the database can run at once only makes the groups smaller; on 2 CPUs,
/// 2 lanes wrote accounting with 15-25 % less CPU per request than 4 (docs/benchmarks.md).
fn lanes() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

struct Pending {
    plan: Arc<Plan>,
    done: oneshot::Sender<Result<()>>,
}

/// The events at the front of `queue` that go in one group: at most [`MAX_GROUP`], and at
/// most one per session, since the statements of a group run pipelined, in no set order
/// when one event needs two (an Interim-Update and a Stop of a session whose Start was lost
/// must insert in the order they came).
fn next_group(queue: &mut VecDeque<Pending>) -> Vec<Pending> {
    let mut sessions = std::collections::HashSet::new();
    let n = queue
        .iter()
        .take(MAX_GROUP)
        .take_while(|p| sessions.insert(p.plan.unique_id()))
        .count();
    queue.drain(..n).collect()
}

/// Events waiting for a group, and the right to write the lane's next group.
struct Lane {
    queue: Mutex<VecDeque<Pending>>,
    writer: Arc<Semaphore>,
}

impl Lane {
    fn queue(&self) -> std::sync::MutexGuard<'_, VecDeque<Pending>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn try_write(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.writer).try_acquire_owned().ok()
    }
}

/// The lanes of events waiting for a group.
pub(crate) struct Groups {
    store: Store,
    lanes: Vec<Lane>,
}

impl std::fmt::Debug for Groups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Groups").finish_non_exhaustive()
    }
}

impl Groups {
    pub(crate) fn new(store: Store) -> Self {
        let lanes = match store.pool {
            Pool::Sqlite(_) => 1,
            _ => lanes(),
        };
        let lanes = (0..lanes)
            .map(|_| Lane {
                queue: Mutex::default(),
                writer: Arc::new(Semaphore::new(1)),
            })
            .collect();
        Groups { store, lanes }
    }

    /// Writes one session's `plan` with whatever else is waiting; returns once its group
    /// committed.
    pub(crate) async fn record(self: &Arc<Self>, plan: Arc<Plan>) -> Result<()> {
        let (done, answer) = oneshot::channel();
        let mut hasher = std::hash::DefaultHasher::new();
        plan.unique_id().hash(&mut hasher);
        let lanes = self.lanes.len() as u64;
        let lane = usize::try_from(hasher.finish() % lanes).unwrap_or(0);
        self.lanes[lane].queue().push_back(Pending { plan, done });
        if let Some(permit) = self.lanes[lane].try_write() {
            // a task of its own: a request that goes away must not take others' events along
            tokio::spawn(Arc::clone(self).write_lane(lane, permit));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(Error::Internal("the accounting writer stopped".to_owned())))
    }

    /// Writes a lane's groups until its queue is empty. The writer looks again after giving
    /// its permit back, so an event queued while the permit was taken is never left behind.
    async fn write_lane(self: Arc<Self>, lane: usize, permit: OwnedSemaphorePermit) {
        let lane = &self.lanes[lane];
        let mut permit = Some(permit);
        while permit.is_some() {
            loop {
                let group = next_group(&mut lane.queue());
                if group.is_empty() {
                    break;
                }
                self.write(group).await;
            }
            permit = None;
            if !lane.queue().is_empty() {
                permit = lane.try_write();
            }
        }
    }

    async fn write(&self, group: Vec<Pending>) {
        if group.len() > 1 {
            match self.write_together(&group).await {
                Ok(()) => {
                    for p in group {
                        let _ = p.done.send(Ok(()));
                    }
                    return;
                }
                Err(e) => {
                    tracing::debug!(error = %e, events = group.len(), "accounting group failed; one at a time")
                }
            }
        }
        for p in group {
            let result = self.write_alone(&p.plan).await;
            let _ = p.done.send(result);
        }
    }

    async fn write_alone(&self, plan: &Arc<Plan>) -> Result<()> {
        match &self.store.pool {
            Pool::Postgres(_) => {
                let conn = self.pg_connection().await?;
                pg_write(&conn, plan).await
            }
            Pool::Sqlite(_) => self.write_sqlite(vec![SqliteWrite::new(plan)?]).await,
            Pool::Mysql(_) => Err(not_grouped()),
        }
    }

    async fn write_together(&self, group: &[Pending]) -> Result<()> {
        match &self.store.pool {
            Pool::Postgres(_) => {
                let mut conn = self.pg_connection().await?;
                conn.transaction::<_, Error, _>(async |conn| {
                    let shared: &AsyncPgConnection = conn;
                    let writes = group.iter().map(|p| pg_write(shared, &p.plan));
                    futures_util::future::join_all(writes)
                        .await
                        .into_iter()
                        .collect::<Result<Vec<()>>>()?;
                    Ok(())
                })
                .await
            }
            Pool::Sqlite(_) => {
                let writes = group
                    .iter()
                    .map(|p| SqliteWrite::new(&p.plan))
                    .collect::<Result<Vec<_>>>()?;
                self.write_sqlite(writes).await
            }
            Pool::Mysql(_) => Err(not_grouped()),
        }
    }

    /// A connection of the store's accounting pool (custom plans; see
    /// `conn::POSTGRES_ACCOUNTING_SETUP`).
    async fn pg_connection(&self) -> Result<Object<AsyncPgConnection>> {
        let pool = self
            .store
            .accounting_pool
            .as_ref()
            .ok_or_else(not_grouped)?;
        pool.get().await.map_err(pool_error)
    }

    /// Runs `writes` in order in one transaction, in one call on the blocking pool.
    async fn write_sqlite(&self, writes: Vec<SqliteWrite>) -> Result<()> {
        let Pool::Sqlite(p) = &self.store.pool else {
            return Err(not_grouped());
        };
        let mut conn = p.write().await?;
        // what the writes log goes where the caller's log goes, not to the global default
        let log = tracing::dispatcher::get_default(Clone::clone);
        conn.spawn_blocking(move |conn| {
            tracing::dispatcher::with_default(&log, || {
                conn.immediate_transaction(|conn| writes.iter().try_for_each(|w| w.run(conn)))
            })
        })
        .await?;
        Ok(())
    }
}

fn not_grouped() -> Error {
    Error::Internal("accounting groups are for PostgreSQL and SQLite".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounting::{AccountingEvent, AcctStatus};

    #[test]
    fn a_group_holds_one_event_per_session() {
        let mut queue: VecDeque<Pending> = ["a", "b", "a", "c"]
            .into_iter()
            .map(|uid| Pending {
                plan: Arc::new(Plan::new(
                    &AccountingEvent::new(AcctStatus::InterimUpdate, uid, uid, "u", "10.0.0.1"),
                    false,
                )),
                done: oneshot::channel().0,
            })
            .collect();
        let ids = |g: Vec<Pending>| -> Vec<String> {
            g.iter().map(|p| p.plan.unique_id().to_owned()).collect()
        };
        assert_eq!(ids(next_group(&mut queue)), ["a", "b"]);
        assert_eq!(ids(next_group(&mut queue)), ["a", "c"]);
        assert!(next_group(&mut queue).is_empty());
    }
}
