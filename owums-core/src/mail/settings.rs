//! The runtime settings of subscriber e-mail: whether it is sent, who it is from, the base
//! of its links, and the texts of its templates in each language (see docs/mail.md).

use crate::mail::templates as t;
use crate::settings::{Key, SettingDef};

/// Whether the new-account mail is sent after verification (on by default). Off: the
/// mail is not even queued.
pub const SEND_EMAIL_NOTIFICATION_TO_USERS: Key<bool> = Key::flag(
    "send_email_notification_to_users",
    "true",
    "new-account e-mail after verification",
);
/// The public URL links in e-mails start with: where subscribers reach the pages
/// (`https://wifi.example.org`). A value without a scheme gets `https://`; a trailing `/`
/// is dropped. The default only suits a test on one machine.
pub const NOTIFIER_BASE_URL: Key<String> = Key::text(
    "notifier_base_url",
    "http://127.0.0.1:8080",
    "public URL used in e-mail links",
);
/// The `From:` of subscriber e-mails, when `[mail] from` is empty: an address or
/// `Name <address>`. A value that is not a mailbox makes every delivery fail (and retry)
/// until it is fixed.
pub const PASSWORD_RESET_FROM: Key<String> = Key::text(
    "password_reset_from",
    "no-reply@localhost",
    "From: of subscriber e-mails",
);

/// The definition of one template text: its name, its default and what it is, with a
/// pointer to the placeholders' documentation.
macro_rules! template {
    ($name:literal, $default:expr, $what:literal) => {
        SettingDef::text(
            $name,
            $default,
            concat!($what, " (placeholders: see docs/mail.md)"),
        )
    };
}

/// The settings this module reads: the three above and the template texts, whose names
/// [`crate::mail::MailKind`] builds per language.
pub(crate) const SETTINGS: &[SettingDef] = &[
    SEND_EMAIL_NOTIFICATION_TO_USERS.def(),
    NOTIFIER_BASE_URL.def(),
    PASSWORD_RESET_FROM.def(),
    template!(
        "new_account_email_subject_en",
        t::NEW_ACCOUNT_SUBJECT_EN,
        "subject of the new-account mail in English"
    ),
    template!(
        "new_account_email_subject_it",
        t::NEW_ACCOUNT_SUBJECT_IT,
        "subject of the new-account mail in Italian"
    ),
    template!(
        "new_account_email_subject_es",
        t::NEW_ACCOUNT_SUBJECT_ES,
        "subject of the new-account mail in Spanish"
    ),
    template!(
        "new_account_email_body_en",
        t::NEW_ACCOUNT_BODY_EN,
        "body of the new-account mail in English"
    ),
    template!(
        "new_account_email_body_it",
        t::NEW_ACCOUNT_BODY_IT,
        "body of the new-account mail in Italian"
    ),
    template!(
        "new_account_email_body_es",
        t::NEW_ACCOUNT_BODY_ES,
        "body of the new-account mail in Spanish"
    ),
    template!(
        "password_reset_email_subject_en",
        t::PASSWORD_RESET_SUBJECT_EN,
        "subject of the password-reset mail in English"
    ),
    template!(
        "password_reset_email_subject_it",
        t::PASSWORD_RESET_SUBJECT_IT,
        "subject of the password-reset mail in Italian"
    ),
    template!(
        "password_reset_email_subject_es",
        t::PASSWORD_RESET_SUBJECT_ES,
        "subject of the password-reset mail in Spanish"
    ),
    template!(
        "password_reset_email_body_en",
        t::PASSWORD_RESET_BODY_EN,
        "body of the password-reset mail in English"
    ),
    template!(
        "password_reset_email_body_it",
        t::PASSWORD_RESET_BODY_IT,
        "body of the password-reset mail in Italian"
    ),
    template!(
        "password_reset_email_body_es",
        t::PASSWORD_RESET_BODY_ES,
        "body of the password-reset mail in Spanish"
    ),
];
