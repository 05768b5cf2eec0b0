//! Runtime configuration keys (OWUMS' `configurations`): operators change them while the
//! server runs; they live in the database with defaults in code.
//!
//! owums has two kinds of configuration. Deployment settings (the database URL, the listen
//! address, SMTP) are read once at startup from files and the environment ([`crate::config`]).
//! Runtime settings are what an operator tunes while subscribers use the service: the texts
//! of e-mails, the default RADIUS group, whether the sign-up page shows a captcha, page
//! sizes. They are stored as text in `owums_settings`; a setting never stored has its
//! default from the code, so a fresh database works and an upgrade that adds a setting needs
//! no migration.
//!
//! ## How a setting is declared
//!
//! Each module declares the settings it reads as typed [`Key`] constants next to the code
//! that reads them (`subscriber/settings.rs`, `mail/settings.rs`, `jobs/housekeeping.rs`),
//! lists their definitions in a `SETTINGS` slice, and that slice is named once in the
//! crate's list of runtime settings in `lib.rs`. [`catalog`] walks that list: it is what an
//! operator's tool lists, and the only names [`Settings::set`] accepts.
//!
//! ```
//! use owums_core::settings::{Key, SettingKind};
//!
//! /// Whether new subscribers get a welcome SMS.
//! const WELCOME_SMS: Key<bool> = Key::flag("welcome_sms", "false", "SMS after sign-up");
//!
//! let def = WELCOME_SMS.def();
//! assert_eq!((def.name, def.kind, def.default), ("welcome_sms", SettingKind::Bool, "false"));
//! ```
//!
//! ## How a setting is read
//!
//! [`Settings::get`] takes a key and returns a value of its type: a stored value that is not
//! of the type (written by hand into the table) falls back to the default rather than
//! failing a sign-up. Reads go to the database each time, so a change takes effect on the
//! next request of every process; the reads are single-row lookups by primary key.
//!
//! ```no_run
//! use owums_core::{Settings, Store};
//! use owums_core::subscriber::{CAPTCHA_ENABLED, DEFAULT_RADIUS_GROUP};
//! # async fn demo(store: Store) -> owums_core::Result<()> {
//! let settings = Settings::new(store);
//! let group: String = settings.get(DEFAULT_RADIUS_GROUP).await?; // "Users" unless changed
//! settings.set("captcha_enabled", "false").await?;              // checked against its type
//! assert!(!settings.get(CAPTCHA_ENABLED).await?);
//! settings.reset("captcha_enabled").await?;                      // back to the default
//! # Ok(()) }
//! ```

use std::marker::PhantomData;

use crate::error::{Error, Result};
use crate::storage::Store;

/// The type of a setting's value: what [`Settings::set`] checks a new value against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    /// Free text; line breaks and tabs are allowed (templates), other control characters
    /// are not.
    Text,
    /// Text an operator writes for subscribers to read (the home page's instructions), in
    /// Markdown; pages render it with [`crate::richtext::markdown_to_html`], never as raw
    /// HTML.
    Markdown,
    /// `true` or `false`, exactly (no `yes`, no `1`).
    Bool,
    /// A whole number ≥ 0 that fits in 64 bits.
    Count,
}

impl SettingKind {
    /// The kind's name in listings: `text`, `markdown`, `bool` or `count`.
    pub fn as_str(self) -> &'static str {
        match self {
            SettingKind::Text => "text",
            SettingKind::Markdown => "markdown",
            SettingKind::Bool => "bool",
            SettingKind::Count => "count",
        }
    }
}

/// A known setting: its name, type, default and a one-line description.
///
/// Usually built through a typed [`Key`] and read back with [`Key::def`]; the untyped
/// constructors exist for settings whose names are computed, like the e-mail templates
/// (one per kind of mail and language).
#[derive(Debug, Clone, Copy)]
pub struct SettingDef {
    /// The setting's name: the row key in `owums_settings` and what operators refer to it
    /// by, snake_case.
    pub name: &'static str,
    /// The type every stored value must have.
    pub kind: SettingKind,
    /// The value when none is stored, as text; it must be of `kind` (a test checks every
    /// default of the catalogue).
    pub default: &'static str,
    /// What it does, in a few words, for listings of the settings.
    pub help: &'static str,
}

impl SettingDef {
    /// A free-text setting ([`SettingKind::Text`]).
    pub const fn text(name: &'static str, default: &'static str, help: &'static str) -> Self {
        SettingDef {
            name,
            kind: SettingKind::Text,
            default,
            help,
        }
    }

    /// A rich-text setting in Markdown ([`SettingKind::Markdown`]).
    pub const fn markdown(name: &'static str, default: &'static str, help: &'static str) -> Self {
        SettingDef {
            name,
            kind: SettingKind::Markdown,
            default,
            help,
        }
    }

    /// A `true`/`false` setting ([`SettingKind::Bool`]); `default` is `"true"` or `"false"`.
    pub const fn flag(name: &'static str, default: &'static str, help: &'static str) -> Self {
        SettingDef {
            name,
            kind: SettingKind::Bool,
            default,
            help,
        }
    }

    /// A whole-number setting ([`SettingKind::Count`]); `default` is written in digits.
    pub const fn count(name: &'static str, default: &'static str, help: &'static str) -> Self {
        SettingDef {
            name,
            kind: SettingKind::Count,
            default,
            help,
        }
    }
}

/// A typed key of a runtime setting: the module that reads a setting declares it as a
/// `Key<String>`, `Key<bool>` or `Key<u64>` constant next to the code that uses it, and
/// reads it with [`Settings::get`], which cannot mix up the type.
///
/// Keys are `const`, so a module's list of definitions can be built at compile time from
/// them (`const SETTINGS: &[SettingDef] = &[MY_KEY.def()]`). The type parameter only marks
/// what [`Settings::get`] returns; a key holds no value.
#[derive(Debug)]
pub struct Key<T> {
    def: SettingDef,
    _value: PhantomData<fn() -> T>,
}

impl<T> Clone for Key<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Key<T> {}

impl<T> Key<T> {
    /// The setting's definition: name, type, default and description (usable in `const`).
    pub const fn def(&self) -> SettingDef {
        self.def
    }
}

impl Key<String> {
    /// A free-text setting, read as a `String`.
    pub const fn text(name: &'static str, default: &'static str, help: &'static str) -> Self {
        Key {
            def: SettingDef::text(name, default, help),
            _value: PhantomData,
        }
    }
}

impl Key<String> {
    /// A rich-text setting in Markdown, read as a `String` (render it with
    /// [`crate::richtext::markdown_to_html`]).
    pub const fn markdown(name: &'static str, default: &'static str, help: &'static str) -> Self {
        Key {
            def: SettingDef::markdown(name, default, help),
            _value: PhantomData,
        }
    }
}

impl Key<bool> {
    /// A `true`/`false` setting, read as a `bool`.
    pub const fn flag(name: &'static str, default: &'static str, help: &'static str) -> Self {
        Key {
            def: SettingDef::flag(name, default, help),
            _value: PhantomData,
        }
    }
}

impl Key<u64> {
    /// A whole-number setting, read as a `u64`.
    pub const fn count(name: &'static str, default: &'static str, help: &'static str) -> Self {
        Key {
            def: SettingDef::count(name, default, help),
            _value: PhantomData,
        }
    }
}

/// A type a setting can hold: text (plain or Markdown), a flag or a count.
///
/// Implemented for `String`, `bool` and `u64`, the three [`SettingKind`]s; [`Key`] has a
/// constructor for each.
pub trait SettingValue: Sized {
    /// Reads the value from its stored text; `None` when the text is not of this type.
    fn from_setting(text: &str) -> Option<Self>;
}

impl SettingValue for String {
    fn from_setting(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
}

impl SettingValue for bool {
    fn from_setting(text: &str) -> Option<Self> {
        match text {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

impl SettingValue for u64 {
    fn from_setting(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// Every runtime setting, as the modules that read them declare them, module by module in
/// declaration order.
///
/// ```
/// let names: Vec<&str> = owums_core::settings::catalog().map(|d| d.name).collect();
/// assert!(names.contains(&"default_radius_group"));
/// assert!(names.contains(&"password_reset_email_body_it"));
/// ```
pub fn catalog() -> impl Iterator<Item = &'static SettingDef> {
    crate::RUNTIME_SETTINGS.iter().flat_map(|list| list.iter())
}

/// The definition of setting `name`; `None` when no module declares it.
pub fn setting_def(name: &str) -> Option<&'static SettingDef> {
    catalog().find(|d| d.name == name)
}

/// The longest value a setting may hold, in bytes (what every backend's column takes).
pub const MAX_SETTING_BYTES: usize = 60_000;

fn check(def: &SettingDef, value: &str) -> Result<()> {
    if value.len() > MAX_SETTING_BYTES {
        return Err(Error::refused(
            "setting",
            crate::error::Problem::TooLong {
                max: MAX_SETTING_BYTES,
            },
            format!(
                "`{}` must be at most {MAX_SETTING_BYTES} bytes long",
                def.name
            ),
        ));
    }
    let ok = match def.kind {
        SettingKind::Text | SettingKind::Markdown => !value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t'),
        SettingKind::Bool => matches!(value, "true" | "false"),
        SettingKind::Count => value.parse::<u64>().is_ok(),
    };
    if ok {
        Ok(())
    } else {
        let want = match def.kind {
            SettingKind::Text | SettingKind::Markdown => "text without control characters",
            SettingKind::Bool => "`true` or `false`",
            SettingKind::Count => "a whole number",
        };
        Err(Error::invalid(
            "setting",
            format!("`{}` must be {want}", def.name),
        ))
    }
}

/// Typed access to the runtime settings stored in a [`Store`].
///
/// Cheap to create and clone (it holds a clone of the store); services make one when they
/// need a value. Nothing is cached: every read sees what another process wrote last.
#[derive(Debug, Clone)]
pub struct Settings {
    store: Store,
}

impl Settings {
    /// The settings stored in `store`.
    pub fn new(store: Store) -> Self {
        Settings { store }
    }

    fn known(name: &str) -> Result<&'static SettingDef> {
        setting_def(name)
            .ok_or_else(|| Error::invalid("setting", format!("`{name}` is not a known setting")))
    }

    /// The value of the setting `key` (its default when not stored, or when what is stored
    /// is not of its type).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the database cannot be read; [`Error::Internal`] if the
    /// key's own default is not of its type (a bug the catalogue test catches).
    pub async fn get<T: SettingValue>(&self, key: Key<T>) -> Result<T> {
        let def = key.def();
        let stored = self.store.setting(def.name).await?;
        stored
            .as_deref()
            .and_then(T::from_setting)
            .or_else(|| T::from_setting(def.default))
            .ok_or_else(|| Error::Internal(format!("setting `{}` has a bad default", def.name)))
    }

    /// The value of `name` as text (the default when not stored), for settings whose names
    /// are computed at run time (the mail templates) and for listing.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when no module declares `name`.
    pub async fn text(&self, name: &str) -> Result<String> {
        let def = Self::known(name)?;
        Ok(self
            .store
            .setting(name)
            .await?
            .unwrap_or_else(|| def.default.to_owned()))
    }

    /// The value of a boolean setting by name: `true` only when it reads `true`. Prefer
    /// [`Settings::get`] with a `Key<bool>`.
    pub async fn flag(&self, name: &str) -> Result<bool> {
        Ok(self.text(name).await? == "true")
    }

    /// The value of a count setting by name (the default when what is stored is not a
    /// number). Prefer [`Settings::get`] with a `Key<u64>`.
    pub async fn count(&self, name: &str) -> Result<u64> {
        let def = Self::known(name)?;
        let v = self.text(name).await?;
        Ok(v.parse()
            .unwrap_or_else(|_| def.default.parse().unwrap_or(0)))
    }

    /// Stores a new value after checking it against the setting's type; every process sees
    /// it on its next read.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when `name` is unknown or `value` is not of its type (`yes` for a
    /// flag, `-1` for a count); nothing is stored then.
    pub async fn set(&self, name: &str, value: &str) -> Result<()> {
        check(Self::known(name)?, value)?;
        self.store.put_setting(name, value).await
    }

    /// Forgets the stored value, so the default applies again (also to later releases that
    /// change the default). Resetting a setting that was never stored is not an error.
    pub async fn reset(&self, name: &str) -> Result<()> {
        Self::known(name)?;
        self.store.delete_setting(name).await.map(|_| ())
    }

    /// Every setting of the catalogue with the value stored for it (`None`: the default
    /// applies), in catalogue order: what an operator's listing shows.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the database cannot be read.
    pub async fn list(&self) -> Result<Vec<(&'static SettingDef, Option<String>)>> {
        let mut out = Vec::new();
        for def in catalog() {
            out.push((def, self.store.setting(def.name).await?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_have_their_type() {
        for d in catalog() {
            check(d, d.default).unwrap();
        }
        assert!(check(setting_def("captcha_enabled").unwrap(), "yes").is_err());
        assert!(check(setting_def("disabled_account_expire_days").unwrap(), "-1").is_err());
    }

    #[test]
    fn every_name_is_declared_once() {
        let mut names: Vec<_> = catalog().map(|d| d.name).collect();
        let all = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all);
        assert!(all >= 24, "{all} settings");
    }
}
