//! `[plugins.mac_address]`: the plugin's settings.

use owums_core::plugin::{parse_settings, setting_error};
use owums_core::{DevicePolicy, Result};
use serde::Deserialize;

use crate::ID;

/// The longest `macpasswd`, in bytes (RADIUS carries at most 128 in User-Password).
pub const MAX_PASSWORD_BYTES: usize = 128;

/// The settings of `[plugins.mac_address]` in `plugins.toml`; every key is optional.
///
/// ```toml
/// [plugins.mac_address]
/// enabled = true
/// max_devices = 5            # devices one subscriber may register (1 to 100)
/// # macpasswd = "secret"     # the password the controller sends with the MAC
/// #                          # (CoovaChilli `macpasswd`); unset: the MAC itself
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MacAddressConfig {
    /// The most devices one subscriber may register (1 to 100).
    pub max_devices: u32,
    /// The password access controllers send with a device's MAC (CoovaChilli's
    /// `macpasswd`, 1 to 128 bytes without control characters); `None`: the MAC itself.
    pub macpasswd: Option<String>,
}

impl std::fmt::Debug for MacAddressConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MacAddressConfig")
            .field("max_devices", &self.max_devices)
            .field("macpasswd", &self.macpasswd.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Default for MacAddressConfig {
    fn default() -> Self {
        MacAddressConfig {
            max_devices: 5,
            macpasswd: None,
        }
    }
}

impl MacAddressConfig {
    /// Reads the settings from the plugin's table (as JSON).
    ///
    /// # Errors
    ///
    /// A configuration error naming the key (`plugins.mac_address: unknown field …`).
    pub fn from_json(settings: serde_json::Value) -> Result<Self> {
        parse_settings(ID, settings)
    }

    /// Checks every value.
    ///
    /// # Errors
    ///
    /// A configuration error naming the key (`plugins.mac_address.max_devices: …`); the
    /// message never repeats the password.
    pub fn validate(&self) -> Result<()> {
        if !(1..=100).contains(&self.max_devices) {
            return Err(setting_error(
                ID,
                "max_devices",
                "must be between 1 and 100",
            ));
        }
        if let Some(p) = &self.macpasswd
            && (p.is_empty() || p.len() > MAX_PASSWORD_BYTES || p.chars().any(char::is_control))
        {
            return Err(setting_error(
                ID,
                "macpasswd",
                format!("must be 1 to {MAX_PASSWORD_BYTES} bytes without control characters"),
            ));
        }
        Ok(())
    }

    /// The rules the host applies to devices.
    pub fn policy(&self) -> DevicePolicy {
        DevicePolicy {
            max_devices: self.max_devices,
            password: self.macpasswd.clone(),
        }
    }
}
