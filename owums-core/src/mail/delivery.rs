//! Sending the outbox over SMTP (lettre), with retries and exponential backoff.
//!
//! A [`Mailer`] does one delivery run per call of [`Mailer::deliver_due`]; the loop that
//! calls it (every `poll_seconds`) is the host's (`owums-server/src/mail.rs`). Each mail is
//! claimed under a lease before it is sent, so several processes may run mailers on one
//! database, and a mail whose sender died mid-way is tried again when the lease ends. Each
//! outbox row gets one `Message-ID`, so the rare mail sent twice (a crash between the SMTP
//! answer and its recording) shows as one message in the recipient's client.

use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailConfig, MailTls};
use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::storage::{AttemptResult, OutboxRecord, Store};

/// What one delivery run did, for a log line (`owums serve` logs runs that did anything).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Mails the SMTP server accepted.
    pub sent: usize,
    /// Mails that failed and will be tried again.
    pub retrying: usize,
    /// Mails given up on in this run.
    pub failed: usize,
}

impl DeliveryReport {
    /// Mails attempted in this run (sent, retrying and failed together).
    pub fn attempted(&self) -> usize {
        self.sent + self.retrying + self.failed
    }
}

/// Sends due outbox mail through the SMTP server of a [`MailConfig`]. Several mailers (in
/// several processes) may run against one database: each mail is claimed by one of them.
///
/// Cheap to clone; the SMTP transport keeps its own connection pool.
///
/// ```no_run
/// use owums_core::{config::MailConfig, mail::Mailer, Store};
/// # async fn demo(store: Store) -> owums_core::Result<()> {
/// let config = MailConfig { enabled: true, host: "smtp.example.org".into(), ..Default::default() };
/// let mailer = Mailer::new(store, &config)?;
/// let report = mailer.deliver_due(config.batch_size as usize).await?;
/// println!("sent {}, retrying {}, given up {}", report.sent, report.retrying, report.failed);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Mailer {
    store: Store,
    config: MailConfig,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    holder: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("config", &self.config)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

/// One line, at most 500 characters: what goes in `last_error` and the log.
fn one_line(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    flat.chars().take(500).collect()
}

impl Mailer {
    /// A mailer for `config` (no connection is made until there is mail to send).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `config` does not validate or the TLS setup for the host
    /// cannot be built.
    pub fn new(store: Store, config: &MailConfig) -> Result<Mailer> {
        config.validate()?;
        let builder = match config.tls {
            MailTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
            MailTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                .map_err(|e| Error::Config(format!("mail.tls: {}", one_line(&e.to_string()))))?,
            MailTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)
                .map_err(|e| Error::Config(format!("mail.tls: {}", one_line(&e.to_string()))))?,
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(Duration::from_secs(config.timeout_seconds)));
        if !config.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                config.username.clone(),
                config.password.clone(),
            ));
        }
        Ok(Mailer {
            store,
            config: config.clone(),
            transport: builder.build(),
            holder: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
        })
    }

    /// Sends up to `batch` mails that are due now; see [`Mailer::deliver_due_at`].
    pub async fn deliver_due(&self, batch: usize) -> Result<DeliveryReport> {
        self.deliver_due_at(Utc::now(), batch).await
    }

    /// Sends up to `batch` mails due at `now`. Each is claimed first (so no other mailer
    /// sends it), then sent; a failure is recorded with its error and retried after
    /// `retry_initial_seconds · 2^(attempts−1)` (at most `retry_max_seconds`), until
    /// `max_attempts` attempts have failed: then the mail is kept, marked failed.
    ///
    /// An SMTP failure is not an error of this call: it is recorded on the mail and counted
    /// in the report. A mail whose recipient is not a valid address is given up at once.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the outbox cannot be read or an attempt cannot be recorded.
    pub async fn deliver_due_at(&self, now: DateTime<Utc>, batch: usize) -> Result<DeliveryReport> {
        let mut report = DeliveryReport::default();
        let limit = i64::try_from(batch).unwrap_or(i64::MAX);
        let ids = self.store.due_mail_ids(now, limit).await?;
        if ids.is_empty() {
            return Ok(report);
        }
        let from = self.from().await;
        let lease = chrono::Duration::seconds(
            i64::try_from(self.config.timeout_seconds.saturating_mul(10).max(300)).unwrap_or(300),
        );
        for id in ids {
            let Some(mail) = self
                .store
                .claim_mail(&id, &self.holder, now, now + lease)
                .await?
            else {
                continue; // another mailer got it
            };
            let result = match &from {
                Ok(from) => self.attempt(from, &mail, now).await,
                Err(e) => self.failure(&mail, now, e.clone()),
            };
            match &result {
                AttemptResult::Sent => report.sent += 1,
                AttemptResult::Retry(at, error) => {
                    tracing::warn!(mail = %mail.id, attempts = mail.attempts + 1, retry_at = %at, %error, "mail not sent");
                    report.retrying += 1;
                }
                AttemptResult::GiveUp(error) => {
                    tracing::error!(mail = %mail.id, attempts = mail.attempts + 1, %error, "mail given up");
                    report.failed += 1;
                }
            }
            if !self
                .store
                .record_mail_attempt(&mail.id, &self.holder, now, &result)
                .await?
            {
                tracing::warn!(mail = %mail.id, "mail lease lost before its attempt was recorded");
            }
        }
        Ok(report)
    }

    /// Deletes what is no longer needed at `now`: sent and failed mail older than
    /// `keep_days` (unless 0), and reset links that expired or were used a day ago or more.
    /// Returns `(mails, links)` deleted.
    pub async fn purge(&self, now: DateTime<Utc>) -> Result<(usize, usize)> {
        let mails = if self.config.keep_days == 0 {
            0
        } else {
            let cutoff = now - chrono::Duration::days(i64::from(self.config.keep_days));
            self.store.purge_outbox(cutoff).await?
        };
        let links = self
            .store
            .purge_password_resets(now - chrono::Duration::days(1))
            .await?;
        Ok((mails, links))
    }

    /// The `From:` mailbox: `[mail] from`, else the runtime setting `password_reset_from`.
    async fn from(&self) -> std::result::Result<Mailbox, String> {
        let text = if self.config.from.is_empty() {
            Settings::new(self.store.clone())
                .get(crate::mail::PASSWORD_RESET_FROM)
                .await
                .map_err(|e| e.to_string())?
        } else {
            self.config.from.clone()
        };
        text.parse::<Mailbox>()
            .map_err(|e| format!("the sender address `{text}` is not valid: {e}"))
    }

    fn failure(&self, mail: &OutboxRecord, now: DateTime<Utc>, error: String) -> AttemptResult {
        let attempts = mail.attempts.saturating_add(1);
        if attempts >= self.config.max_attempts {
            return AttemptResult::GiveUp(error);
        }
        let delay = chrono::Duration::from_std(self.config.retry_delay(attempts))
            .unwrap_or(chrono::Duration::hours(1));
        AttemptResult::Retry(now + delay, error)
    }

    async fn attempt(
        &self,
        from: &Mailbox,
        mail: &OutboxRecord,
        now: DateTime<Utc>,
    ) -> AttemptResult {
        let to: Mailbox = match mail.recipient.parse() {
            Ok(to) => to,
            Err(e) => return AttemptResult::GiveUp(format!("recipient address not valid: {e}")),
        };
        // One Message-ID per outbox row: should a mail ever go out twice (a sender dying
        // between the SMTP reply and recording it), mail clients see one message.
        let message = Message::builder()
            .message_id(Some(format!("<{}@{}>", mail.id, from.email.domain())))
            .from(from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone());
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                return AttemptResult::GiveUp(one_line(&format!("cannot build the message: {e}")));
            }
        };
        match self.transport.send(message).await {
            Ok(_) => {
                tracing::info!(mail = %mail.id, "mail sent");
                AttemptResult::Sent
            }
            Err(e) => self.failure(
                mail,
                now,
                one_line(&format!(
                    "SMTP {}:{}: {e}",
                    self.config.host, self.config.port
                )),
            ),
        }
    }
}
