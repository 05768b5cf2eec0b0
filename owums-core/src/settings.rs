//! Runtime configuration keys (OWUMS' `configurations`): operators change them while the
//! server runs; they live in the database with defaults in code.

use crate::error::{Error, Result};
use crate::storage::Store;

/// The type of a setting's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    /// Free text.
    Text,
    /// `true` or `false`.
    Bool,
    /// A whole number ≥ 0.
    Count,
}

/// A known setting.
#[derive(Debug, Clone, Copy)]
pub struct SettingDef {
    /// Key.
    pub name: &'static str,
    /// Value type.
    pub kind: SettingKind,
    /// Value when not stored.
    pub default: &'static str,
    /// What it does.
    pub help: &'static str,
}

const fn def(
    name: &'static str,
    kind: SettingKind,
    default: &'static str,
    help: &'static str,
) -> SettingDef {
    SettingDef {
        name,
        kind,
        default,
        help,
    }
}

/// Every runtime setting with its default.
pub const SETTINGS: &[SettingDef] = &[
    def(
        "default_radius_group",
        SettingKind::Text,
        "Users",
        "RADIUS group new subscribers join",
    ),
    def(
        "captcha_enabled",
        SettingKind::Bool,
        "true",
        "captcha on the sign-up page",
    ),
    def(
        "send_email_notification_to_users",
        SettingKind::Bool,
        "true",
        "new-account e-mail after verification",
    ),
    def(
        "disabled_account_expire_days",
        SettingKind::Count,
        "0",
        "days before disabled accounts are removed (0: never)",
    ),
    def(
        "default_radacct_results_per_page",
        SettingKind::Count,
        "20",
        "sessions per page",
    ),
    def(
        "default_user_search_results_per_page",
        SettingKind::Count,
        "20",
        "users per page in the console",
    ),
    def(
        "use_mobile_phone_as_username",
        SettingKind::Bool,
        "false",
        "username = mobile number for phone sign-ups",
    ),
    def(
        "notifier_base_url",
        SettingKind::Text,
        "http://127.0.0.1:8080",
        "public URL used in e-mail links",
    ),
    def(
        "custom_account_instructions_en",
        SettingKind::Text,
        "",
        "extra HTML on the home page in English",
    ),
    def(
        "custom_account_instructions_it",
        SettingKind::Text,
        "",
        "extra HTML on the home page in Italian (empty: the English one)",
    ),
    def(
        "custom_account_instructions_es",
        SettingKind::Text,
        "",
        "extra HTML on the home page in Spanish (empty: the English one)",
    ),
    def(
        "password_reset_from",
        SettingKind::Text,
        "no-reply@localhost",
        "From: of subscriber e-mails",
    ),
    def(
        "new_account_email_subject_en",
        SettingKind::Text,
        crate::mail::templates::NEW_ACCOUNT_SUBJECT_EN,
        "subject of the new-account mail in English (placeholders: see docs/mail.md)",
    ),
    def(
        "new_account_email_subject_it",
        SettingKind::Text,
        crate::mail::templates::NEW_ACCOUNT_SUBJECT_IT,
        "subject of the new-account mail in Italian (placeholders: see docs/mail.md)",
    ),
    def(
        "new_account_email_subject_es",
        SettingKind::Text,
        crate::mail::templates::NEW_ACCOUNT_SUBJECT_ES,
        "subject of the new-account mail in Spanish (placeholders: see docs/mail.md)",
    ),
    def(
        "new_account_email_body_en",
        SettingKind::Text,
        crate::mail::templates::NEW_ACCOUNT_BODY_EN,
        "body of the new-account mail in English (placeholders: see docs/mail.md)",
    ),
    def(
        "new_account_email_body_it",
        SettingKind::Text,
        crate::mail::templates::NEW_ACCOUNT_BODY_IT,
        "body of the new-account mail in Italian (placeholders: see docs/mail.md)",
    ),
    def(
        "new_account_email_body_es",
        SettingKind::Text,
        crate::mail::templates::NEW_ACCOUNT_BODY_ES,
        "body of the new-account mail in Spanish (placeholders: see docs/mail.md)",
    ),
    def(
        "password_reset_email_subject_en",
        SettingKind::Text,
        crate::mail::templates::PASSWORD_RESET_SUBJECT_EN,
        "subject of the password-reset mail in English (placeholders: see docs/mail.md)",
    ),
    def(
        "password_reset_email_subject_it",
        SettingKind::Text,
        crate::mail::templates::PASSWORD_RESET_SUBJECT_IT,
        "subject of the password-reset mail in Italian (placeholders: see docs/mail.md)",
    ),
    def(
        "password_reset_email_subject_es",
        SettingKind::Text,
        crate::mail::templates::PASSWORD_RESET_SUBJECT_ES,
        "subject of the password-reset mail in Spanish (placeholders: see docs/mail.md)",
    ),
    def(
        "password_reset_email_body_en",
        SettingKind::Text,
        crate::mail::templates::PASSWORD_RESET_BODY_EN,
        "body of the password-reset mail in English (placeholders: see docs/mail.md)",
    ),
    def(
        "password_reset_email_body_it",
        SettingKind::Text,
        crate::mail::templates::PASSWORD_RESET_BODY_IT,
        "body of the password-reset mail in Italian (placeholders: see docs/mail.md)",
    ),
    def(
        "password_reset_email_body_es",
        SettingKind::Text,
        crate::mail::templates::PASSWORD_RESET_BODY_ES,
        "body of the password-reset mail in Spanish (placeholders: see docs/mail.md)",
    ),
];

/// The definition of setting `name`.
pub fn setting_def(name: &str) -> Option<&'static SettingDef> {
    SETTINGS.iter().find(|d| d.name == name)
}

fn check(def: &SettingDef, value: &str) -> Result<()> {
    let ok = match def.kind {
        SettingKind::Text => !value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t'),
        SettingKind::Bool => matches!(value, "true" | "false"),
        SettingKind::Count => value.parse::<u64>().is_ok(),
    };
    if ok {
        Ok(())
    } else {
        let want = match def.kind {
            SettingKind::Text => "text without control characters",
            SettingKind::Bool => "`true` or `false`",
            SettingKind::Count => "a whole number",
        };
        Err(Error::invalid(
            "setting",
            format!("`{}` must be {want}", def.name),
        ))
    }
}

/// Typed access to the runtime settings.
#[derive(Debug, Clone)]
pub struct Settings {
    store: Store,
}

impl Settings {
    /// Settings stored in `store`.
    pub fn new(store: Store) -> Self {
        Settings { store }
    }

    fn known(name: &str) -> Result<&'static SettingDef> {
        setting_def(name)
            .ok_or_else(|| Error::invalid("setting", format!("`{name}` is not a known setting")))
    }

    /// The value of `name` as text (the default when not stored).
    pub async fn text(&self, name: &str) -> Result<String> {
        let def = Self::known(name)?;
        Ok(self
            .store
            .setting(name)
            .await?
            .unwrap_or_else(|| def.default.to_owned()))
    }

    /// The value of a boolean setting.
    pub async fn flag(&self, name: &str) -> Result<bool> {
        Ok(self.text(name).await? == "true")
    }

    /// The value of a count setting.
    pub async fn count(&self, name: &str) -> Result<u64> {
        let def = Self::known(name)?;
        let v = self.text(name).await?;
        Ok(v.parse()
            .unwrap_or_else(|_| def.default.parse().unwrap_or(0)))
    }

    /// Stores a new value after checking it against the setting's type.
    pub async fn set(&self, name: &str, value: &str) -> Result<()> {
        check(Self::known(name)?, value)?;
        self.store.put_setting(name, value).await
    }

    /// Forgets the stored value, so the default applies.
    pub async fn reset(&self, name: &str) -> Result<()> {
        Self::known(name)?;
        self.store.delete_setting(name).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_have_their_type() {
        for d in SETTINGS {
            check(d, d.default).unwrap();
        }
        assert!(check(setting_def("captcha_enabled").unwrap(), "yes").is_err());
        assert!(check(setting_def("disabled_account_expire_days").unwrap(), "-1").is_err());
    }
}
