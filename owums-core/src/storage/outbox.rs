//! `owums_mail_outbox`: e-mail waiting to be sent, sent, or given up on.
//!
//! A sender claims one due row at a time with a conditional `UPDATE` that names it in
//! `claimed_by` and moves `next_attempt_at` past a lease, so several processes never send
//! the same mail twice, and a mail whose sender died becomes due again when the lease ends.
//!
//! Rows are written by the transaction that causes the mail (a verification, a reset
//! request), read and updated by [`Mailer`](crate::mail::Mailer), and deleted by its purge
//! once sent or failed for long enough. Nothing here talks SMTP.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper};
use diesel_async::RunQueryDsl;

use super::Store;
use super::conn::db_run;
use super::schema::owums_mail_outbox;
use super::subscriber::users::to_second;
use crate::error::Result;
use crate::ids::Email;

/// An e-mail to put in the outbox (plain text), as
/// [`compose`](crate::mail::compose) makes it or an integrator writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// Who gets it.
    pub recipient: Email,
    /// Subject line; any line breaks or runs of spaces are folded into single spaces when
    /// it is queued, so a template cannot inject headers.
    pub subject: String,
    /// Plain-text body, sent as `text/plain`.
    pub body: String,
}

/// The row written for a [`NewMail`].
#[derive(Debug, Clone, diesel::Insertable)]
#[diesel(table_name = owums_mail_outbox)]
pub(crate) struct NewMailRow {
    id: String,
    recipient: String,
    subject: String,
    body: String,
    created_at: NaiveDateTime,
    next_attempt_at: NaiveDateTime,
    attempts: i32,
}

impl NewMailRow {
    /// The row for `mail`, due at once.
    pub(crate) fn new(mail: NewMail, now: DateTime<Utc>) -> NewMailRow {
        let now = to_second(now);
        NewMailRow {
            id: uuid::Uuid::new_v4().to_string(),
            recipient: mail.recipient.as_str().to_owned(),
            // A subject is one header line, whatever a template holds.
            subject: mail
                .subject
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            body: mail.body,
            created_at: now,
            next_attempt_at: now,
            attempts: 0,
        }
    }
}

/// Where a mail stands, as [`OutboxRecord::state`] derives it from the timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailState {
    /// Not sent yet; tried again at `next_attempt_at`.
    Pending,
    /// Accepted by the SMTP server.
    Sent,
    /// Given up on (rejected for good, or `max_attempts` reached); kept for the record.
    Failed,
}

/// A mail in the outbox, with its delivery history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRecord {
    /// A random UUID, also the local part of the mail's `Message-ID`.
    pub id: String,
    /// Recipient address, lowercase.
    pub recipient: String,
    /// Subject line, as sent.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it is (re)tried next, or until when a sender holds it.
    pub next_attempt_at: DateTime<Utc>,
    /// Delivery attempts made.
    pub attempts: u32,
    /// Why the last attempt failed, one line of at most 500 characters (the SMTP server's
    /// answer, or why the message could not be built).
    pub last_error: Option<String>,
    /// When the SMTP server accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// When owums gave up on it.
    pub failed_at: Option<DateTime<Utc>>,
}

impl OutboxRecord {
    /// Pending, sent or failed.
    pub fn state(&self) -> MailState {
        if self.sent_at.is_some() {
            MailState::Sent
        } else if self.failed_at.is_some() {
            MailState::Failed
        } else {
            MailState::Pending
        }
    }
}

#[derive(diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = owums_mail_outbox)]
struct MailRow {
    id: String,
    recipient: String,
    subject: String,
    body: String,
    created_at: NaiveDateTime,
    next_attempt_at: NaiveDateTime,
    attempts: i32,
    last_error: Option<String>,
    sent_at: Option<NaiveDateTime>,
    failed_at: Option<NaiveDateTime>,
}

impl From<MailRow> for OutboxRecord {
    fn from(r: MailRow) -> Self {
        OutboxRecord {
            id: r.id,
            recipient: r.recipient,
            subject: r.subject,
            body: r.body,
            created_at: r.created_at.and_utc(),
            next_attempt_at: r.next_attempt_at.and_utc(),
            attempts: u32::try_from(r.attempts).unwrap_or(0),
            last_error: r.last_error,
            sent_at: r.sent_at.map(|t| t.and_utc()),
            failed_at: r.failed_at.map(|t| t.and_utc()),
        }
    }
}

/// What became of one delivery attempt, as the mailer records it.
#[derive(Debug, Clone)]
pub(crate) enum AttemptResult {
    /// Accepted by the server.
    Sent,
    /// Failed; tried again at the given time.
    Retry(DateTime<Utc>, String),
    /// Failed for good.
    GiveUp(String),
}

impl Store {
    /// Puts one mail in the outbox, due at once; returns its id.
    ///
    /// For mail that is not part of a core transaction (an integrator's own notices); the
    /// core's own mails are inserted together with the change that causes them.
    pub async fn enqueue_mail(&self, mail: NewMail) -> Result<String> {
        let row = NewMailRow::new(mail, Utc::now());
        db_run!(self, untracked c => diesel::insert_into(owums_mail_outbox::table).values(&row).execute(c).await?);
        Ok(row.id)
    }

    /// The newest `limit` mails, newest first, in any state (for an operator's view or a
    /// test).
    pub async fn outbox(&self, limit: i64) -> Result<Vec<OutboxRecord>> {
        let rows: Vec<MailRow> = db_run!(self, read c => owums_mail_outbox::table
            .order((owums_mail_outbox::created_at.desc(), owums_mail_outbox::id.asc()))
            .limit(limit)
            .select(MailRow::as_select())
            .load(c)
            .await?);
        Ok(rows.into_iter().map(OutboxRecord::from).collect())
    }

    /// The mail with this id; `None` when unknown or already purged.
    pub async fn find_mail(&self, id: &str) -> Result<Option<OutboxRecord>> {
        let row: Option<MailRow> = db_run!(self, read c => owums_mail_outbox::table
            .filter(owums_mail_outbox::id.eq(id))
            .select(MailRow::as_select())
            .first(c)
            .await
            .optional()?);
        Ok(row.map(OutboxRecord::from))
    }

    /// Ids of up to `limit` mails due at `now`, oldest first.
    pub(crate) async fn due_mail_ids(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<String>> {
        let now = to_second(now);
        Ok(db_run!(self, read c => owums_mail_outbox::table
            .filter(owums_mail_outbox::sent_at.is_null())
            .filter(owums_mail_outbox::failed_at.is_null())
            .filter(owums_mail_outbox::next_attempt_at.le(now))
            .order((owums_mail_outbox::next_attempt_at.asc(), owums_mail_outbox::created_at.asc()))
            .limit(limit)
            .select(owums_mail_outbox::id)
            .load(c)
            .await?))
    }

    /// Claims mail `id` for `holder` until `until` if it is still due at `now`: one
    /// conditional `UPDATE`, so of several processes exactly one gets it.
    pub(crate) async fn claim_mail(
        &self,
        id: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<OutboxRecord>> {
        let (now, until) = (to_second(now), to_second(until));
        let n = db_run!(self, untracked c => diesel::update(
            owums_mail_outbox::table
                .filter(owums_mail_outbox::id.eq(id))
                .filter(owums_mail_outbox::sent_at.is_null())
                .filter(owums_mail_outbox::failed_at.is_null())
                .filter(owums_mail_outbox::next_attempt_at.le(now)),
        )
        .set((
            owums_mail_outbox::claimed_by.eq(holder),
            owums_mail_outbox::next_attempt_at.eq(until),
        ))
        .execute(c)
        .await?);
        if n == 1 {
            self.find_mail(id).await
        } else {
            Ok(None)
        }
    }

    /// Records one attempt at mail `id` by `holder`. `false` when `holder` no longer held it.
    pub(crate) async fn record_mail_attempt(
        &self,
        id: &str,
        holder: &str,
        now: DateTime<Utc>,
        result: &AttemptResult,
    ) -> Result<bool> {
        let now = to_second(now);
        let n = db_run!(self, untracked c => {
            let q = owums_mail_outbox::table
                .filter(owums_mail_outbox::id.eq(id))
                .filter(owums_mail_outbox::claimed_by.eq(holder))
                .filter(owums_mail_outbox::sent_at.is_null())
                .filter(owums_mail_outbox::failed_at.is_null());
            let attempts = owums_mail_outbox::attempts.eq(owums_mail_outbox::attempts + 1);
            let unclaim = owums_mail_outbox::claimed_by.eq(None::<String>);
            match result {
                AttemptResult::Sent => diesel::update(q)
                    .set((attempts, unclaim, owums_mail_outbox::sent_at.eq(now)))
                    .execute(c)
                    .await?,
                AttemptResult::Retry(at, error) => diesel::update(q)
                    .set((
                        attempts,
                        unclaim,
                        owums_mail_outbox::last_error.eq(error),
                        owums_mail_outbox::next_attempt_at.eq(to_second(*at)),
                    ))
                    .execute(c)
                    .await?,
                AttemptResult::GiveUp(error) => diesel::update(q)
                    .set((
                        attempts,
                        unclaim,
                        owums_mail_outbox::last_error.eq(error),
                        owums_mail_outbox::failed_at.eq(now),
                    ))
                    .execute(c)
                    .await?,
            }
        });
        Ok(n == 1)
    }

    /// Deletes sent and failed mail finished before `cutoff`; returns how many.
    pub(crate) async fn purge_outbox(&self, cutoff: DateTime<Utc>) -> Result<usize> {
        let cutoff = to_second(cutoff);
        Ok(db_run!(self, untracked c => {
            let sent = diesel::delete(owums_mail_outbox::table.filter(owums_mail_outbox::sent_at.le(cutoff)))
                .execute(c)
                .await?;
            let failed = diesel::delete(owums_mail_outbox::table.filter(owums_mail_outbox::failed_at.le(cutoff)))
                .execute(c)
                .await?;
            sent + failed
        }))
    }
}
