//! PostgreSQL accounting in groups: the Starts, Interim-Updates and Stops that arrive while
//! earlier ones are being written go to the database together, in one transaction whose
//! statements are pipelined, so that PostgreSQL commits and wakes up once per group instead
//! of once per event. Each request still gets its answer only after its group committed.
//! A group that fails is written again one event at a time (every statement is idempotent),
//! so a bad event fails alone.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::Store;
use super::conn::{Pool, pool_error};
use crate::accounting::AccountingEvent;
use crate::error::{Error, Result};

/// Most events in one transaction.
const MAX_GROUP: usize = 64;
/// Groups written at once (each on its own connection).
const WRITERS: usize = 4;

struct Pending {
    event: AccountingEvent,
    done: oneshot::Sender<Result<()>>,
}

/// The queue of events waiting for a group, and the writers that empty it.
pub(crate) struct Groups {
    store: Store,
    close_older: bool,
    queue: Mutex<VecDeque<Pending>>,
    writers: Arc<Semaphore>,
}

impl std::fmt::Debug for Groups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Groups").finish_non_exhaustive()
    }
}

impl Groups {
    pub(crate) fn new(store: Store, close_older: bool) -> Self {
        Groups {
            store,
            close_older,
            queue: Mutex::default(),
            writers: Arc::new(Semaphore::new(WRITERS)),
        }
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, VecDeque<Pending>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes `event` with whatever else is waiting; returns once its group committed.
    pub(crate) async fn record(self: &Arc<Self>, event: &AccountingEvent) -> Result<()> {
        let (done, answer) = oneshot::channel();
        self.queue().push_back(Pending {
            event: event.clone(),
            done,
        });
        if let Ok(permit) = Arc::clone(&self.writers).try_acquire_owned() {
            // a task of its own: a request that goes away must not take others' events along
            tokio::spawn(Arc::clone(self).write_queue(permit));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(Error::Internal("the accounting writer stopped".to_owned())))
    }

    /// Writes groups until the queue is empty. A writer looks again after giving its permit
    /// back, so an event queued while every permit was taken is never left behind.
    async fn write_queue(self: Arc<Self>, permit: OwnedSemaphorePermit) {
        let mut permit = Some(permit);
        while permit.is_some() {
            loop {
                let group: Vec<Pending> = {
                    let mut queue = self.queue();
                    let n = queue.len().min(MAX_GROUP);
                    queue.drain(..n).collect()
                };
                if group.is_empty() {
                    break;
                }
                self.write(group).await;
            }
            permit = None;
            if !self.queue().is_empty() {
                permit = Arc::clone(&self.writers).try_acquire_owned().ok();
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
            let result = self.write_alone(&p.event).await;
            let _ = p.done.send(result);
        }
    }

    async fn write_alone(&self, event: &AccountingEvent) -> Result<()> {
        let conn = self.connection().await?;
        super::radacct::pg_write(&conn, event, self.close_older).await
    }

    async fn write_together(&self, group: &[Pending]) -> Result<()> {
        let mut conn = self.connection().await?;
        let close_older = self.close_older;
        conn.transaction::<_, Error, _>(async |conn| {
            let shared: &AsyncPgConnection = conn;
            let writes = group
                .iter()
                .map(|p| super::radacct::pg_write(shared, &p.event, close_older));
            futures_util::future::join_all(writes)
                .await
                .into_iter()
                .collect::<Result<Vec<()>>>()?;
            Ok(())
        })
        .await
    }

    async fn connection(&self) -> Result<Object<AsyncPgConnection>> {
        match &self.store.pool {
            Pool::Postgres(p) => p.get().await.map_err(pool_error),
            _ => Err(Error::Internal(
                "accounting groups are for PostgreSQL".to_owned(),
            )),
        }
    }
}
