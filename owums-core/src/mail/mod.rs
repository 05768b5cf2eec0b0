//! Subscriber e-mail: the new-account notification and the password-reset mail, written to
//! an outbox in the database by the transaction that causes them and delivered over SMTP by
//! a [`Mailer`] (`owums serve` runs one), with retries. A broken SMTP server therefore never
//! fails a registration or a reset request, and no mail is lost. See `docs/mail.md`.

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
