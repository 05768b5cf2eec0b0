//! `[mail]`: the SMTP server subscriber e-mail goes through, and how the outbox retries.
//!
//! Mail is written to the outbox whatever this section says; `enabled` only decides
//! whether `owums serve` delivers it. See [`crate::mail`] for the whole path and
//! `docs/mail.md` for the operator's view.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTls {
    /// Plain SMTP (a relay on the same host or network).
    #[default]
    None,
    /// Plain connection upgraded with STARTTLS (usually port 587); fails if the server
    /// does not offer it.
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// `[mail]`: SMTP delivery of the outbox by [`Mailer`](crate::mail::Mailer).
///
/// Its `Debug` masks the password.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// `owums serve` delivers the outbox; when off, mail waits in the outbox.
    pub enabled: bool,
    /// SMTP server host name (checked against its certificate with TLS).
    pub host: String,
    /// SMTP server port (25 by default; 587 is usual with `starttls`, 465 with `tls`).
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub tls: MailTls,
    /// SMTP user (empty: no authentication).
    pub username: String,
    /// SMTP password (`password_file` reads it from a file).
    pub password: String,
    /// `From:` address (`Name <addr>` or `addr`); empty: the runtime setting
    /// `password_reset_from`.
    pub from: String,
    /// Seconds an SMTP connection or command may take.
    pub timeout_seconds: u64,
    /// Attempts before a mail is given up on (kept in the outbox, marked failed).
    pub max_attempts: u32,
    /// Seconds before the first retry; each further retry waits twice as long.
    pub retry_initial_seconds: u64,
    /// Longest wait between two retries, in seconds.
    pub retry_max_seconds: u64,
    /// Most mails sent per delivery run; the rest wait for the next run.
    pub batch_size: u32,
    /// Seconds between delivery runs.
    pub poll_seconds: u64,
    /// Days sent and failed mail stays in the outbox (0: forever).
    pub keep_days: u32,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            enabled: false,
            host: "localhost".to_owned(),
            port: 25,
            tls: MailTls::None,
            username: String::new(),
            password: String::new(),
            from: String::new(),
            timeout_seconds: 30,
            max_attempts: 10,
            retry_initial_seconds: 60,
            retry_max_seconds: 3600,
            batch_size: 20,
            poll_seconds: 10,
            keep_days: 30,
        }
    }
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("enabled", &self.enabled)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field(
                "password",
                &if self.password.is_empty() {
                    ""
                } else {
                    "********"
                },
            )
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl MailConfig {
    /// Checks the values that would only fail later, at the first delivery.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the `mail.` key: a host with spaces, port 0, a `from` that
    /// is not a mailbox, zero attempts, timeouts or batch sizes, or a first retry longer
    /// than the longest.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: String| Err(Error::Config(format!("mail.{what}")));
        if self.host.trim().is_empty() || self.host.contains(char::is_whitespace) {
            return bad(format!("host `{}` is not a host name", self.host));
        }
        if self.port == 0 {
            return bad("port must be 1 to 65535".to_owned());
        }
        // (the mailer parses it; without the storage stack nothing sends mail)
        #[cfg(feature = "server")]
        if !self.from.is_empty() && self.from.parse::<lettre::message::Mailbox>().is_err() {
            return bad(format!("from `{}` is not an e-mail address", self.from));
        }
        if self.max_attempts == 0 {
            return bad("max_attempts must be at least 1".to_owned());
        }
        if self.timeout_seconds == 0 || self.poll_seconds == 0 || self.batch_size == 0 {
            return bad(
                "timeout_seconds, poll_seconds and batch_size must be at least 1".to_owned(),
            );
        }
        if self.retry_initial_seconds > self.retry_max_seconds {
            return bad("retry_initial_seconds must not exceed retry_max_seconds".to_owned());
        }
        Ok(())
    }

    /// How long to wait after failed attempt number `attempts` (1 = the first).
    ///
    /// `retry_initial_seconds`, doubled for each further attempt, at most
    /// `retry_max_seconds`:
    ///
    /// ```
    /// use std::time::Duration;
    /// let mail = owums_core::config::MailConfig::default(); // 60 s, at most 1 hour
    /// assert_eq!(mail.retry_delay(1), Duration::from_secs(60));
    /// assert_eq!(mail.retry_delay(3), Duration::from_secs(240));
    /// assert_eq!(mail.retry_delay(9), Duration::from_secs(3600));
    /// ```
    pub fn retry_delay(&self, attempts: u32) -> std::time::Duration {
        let doublings = attempts.saturating_sub(1).min(32);
        let secs = self
            .retry_initial_seconds
            .saturating_mul(1u64 << doublings)
            .min(self.retry_max_seconds);
        std::time::Duration::from_secs(secs)
    }
}
