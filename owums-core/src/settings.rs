//! Runtime configuration keys (OWUMS' `configurations`): operators change them while the
//! server runs; they live in the database with defaults in code.

use std::marker::PhantomData;

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

impl SettingDef {
    /// A free-text setting.
    pub const fn text(name: &'static str, default: &'static str, help: &'static str) -> Self {
        SettingDef {
            name,
            kind: SettingKind::Text,
            default,
            help,
        }
    }

    /// A `true`/`false` setting.
    pub const fn flag(name: &'static str, default: &'static str, help: &'static str) -> Self {
        SettingDef {
            name,
            kind: SettingKind::Bool,
            default,
            help,
        }
    }

    /// A whole-number setting.
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
    /// The setting's definition: name, type, default and description.
    pub const fn def(&self) -> SettingDef {
        self.def
    }
}

impl Key<String> {
    /// A free-text setting.
    pub const fn text(name: &'static str, default: &'static str, help: &'static str) -> Self {
        Key {
            def: SettingDef::text(name, default, help),
            _value: PhantomData,
        }
    }
}

impl Key<bool> {
    /// A `true`/`false` setting.
    pub const fn flag(name: &'static str, default: &'static str, help: &'static str) -> Self {
        Key {
            def: SettingDef::flag(name, default, help),
            _value: PhantomData,
        }
    }
}

impl Key<u64> {
    /// A whole-number setting.
    pub const fn count(name: &'static str, default: &'static str, help: &'static str) -> Self {
        Key {
            def: SettingDef::count(name, default, help),
            _value: PhantomData,
        }
    }
}

/// A type a setting can hold: text, a flag or a count.
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

/// Every runtime setting, as the modules that read them declare them.
pub fn catalog() -> impl Iterator<Item = &'static SettingDef> {
    crate::RUNTIME_SETTINGS.iter().flat_map(|list| list.iter())
}

/// The definition of setting `name`.
pub fn setting_def(name: &str) -> Option<&'static SettingDef> {
    catalog().find(|d| d.name == name)
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

    /// The value of the setting `key` (its default when not stored, or when what is stored
    /// is not of its type).
    pub async fn get<T: SettingValue>(&self, key: Key<T>) -> Result<T> {
        let def = key.def();
        let stored = self.store.setting(def.name).await?;
        stored
            .as_deref()
            .and_then(T::from_setting)
            .or_else(|| T::from_setting(def.default))
            .ok_or_else(|| Error::Internal(format!("setting `{}` has a bad default", def.name)))
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
