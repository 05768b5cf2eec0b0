//! Subscriber e-mail: the new-account notification and the password-reset mail, written to
//! an outbox in the database by the transaction that causes them and delivered over SMTP by
//! a [`Mailer`] (`owums serve` runs one), with retries. A broken SMTP server therefore never
//! fails a registration or a reset request, and no mail is lost. See `docs/mail.md`.
//!
//! ## The path of a mail
//!
//! 1. **Compose.** [`compose`] picks the subject and body of a [`MailKind`] in the
//!    subscriber's language ([`mail_locale`]) from the runtime settings, and fills the
//!    placeholders ([`render`], [`MailVars`]) with the subscriber's names and links built
//!    from [`NOTIFIER_BASE_URL`].
//! 2. **Queue.** The service that causes the mail writes it to `owums_mail_outbox` in the
//!    same transaction as the change itself: the first verification of a subscriber queues
//!    the new-account mail, a reset request queues the link. If the transaction rolls
//!    back, no mail goes out; if it commits, the mail will.
//! 3. **Deliver.** A [`Mailer`] claims due mails one at a time (so several processes never
//!    send one twice), sends them over SMTP, and records each attempt: sent, retry later
//!    (with exponential backoff), or given up after `max_attempts`. `owums serve` runs one
//!    every `poll_seconds` when `[mail] enabled = true`; until then mail waits.
//! 4. **Purge.** [`Mailer::purge`] deletes sent and failed mail after `keep_days`.
//!
//! The texts and the sender are runtime settings declared in `mail/settings.rs`
//! ([`SEND_EMAIL_NOTIFICATION_TO_USERS`], [`NOTIFIER_BASE_URL`], [`PASSWORD_RESET_FROM`]
//! and one subject and body per kind and language); the SMTP server is deployment
//! configuration ([`MailConfig`](crate::config::MailConfig)).

mod delivery;
pub(crate) mod settings;
pub mod templates;

pub use delivery::{DeliveryReport, Mailer};
pub use settings::{NOTIFIER_BASE_URL, PASSWORD_RESET_FROM, SEND_EMAIL_NOTIFICATION_TO_USERS};
pub use templates::{MAIL_LOCALES, MailKind, MailVars, compose, mail_locale, render};

use crate::error::Result;
use crate::settings::Settings;
use crate::storage::{NewMailRow, Store};
use crate::subscriber::user::UserRecord;

/// The new-account mail `user` gets when verified for the first time, if they get one:
/// `send_email_notification_to_users` is on, they were never verified and have an e-mail.
///
/// Called by the verification transition before its transaction, which then inserts the
/// row; re-enabling a disabled subscriber (verified before) sends nothing.
pub(crate) async fn new_account_mail(
    store: &Store,
    user: &UserRecord,
) -> Result<Option<NewMailRow>> {
    if user.verified_at.is_some() || user.email.is_none() {
        return Ok(None);
    }
    let settings = Settings::new(store.clone());
    if !settings.get(SEND_EMAIL_NOTIFICATION_TO_USERS).await? {
        return Ok(None);
    }
    let mail = compose(&settings, MailKind::NewAccount, user, &user.locale, None).await?;
    Ok(mail.map(|m| NewMailRow::new(m, chrono::Utc::now())))
}
