//! [`DevicePolicy`]: how a method that lets devices in by MAC authentication wants them
//! handled ([`Verifier::device_policy`](crate::Verifier::device_policy)).

use std::fmt;

/// The rules for subscribers' devices (MAC authentication), given by the one enabled method
/// that offers them (the `mac_address` plugin).
///
/// The host then shows a devices section on the account page and the console, takes
/// `owums user device …` on the command line, answers MAC authentication in REST mode and
/// turns it on in the SQL views. `password` is a secret: `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct DevicePolicy {
    /// The most devices one subscriber may register (at least 1).
    pub max_devices: u32,
    /// The password access controllers send with a device's MAC as User-Name (CoovaChilli's
    /// `macpasswd`); `None`: the MAC itself is the password, in any of its spellings.
    pub password: Option<String>,
}

impl fmt::Debug for DevicePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevicePolicy")
            .field("max_devices", &self.max_devices)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Default for DevicePolicy {
    /// Five devices, the MAC as password.
    fn default() -> Self {
        DevicePolicy {
            max_devices: 5,
            password: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DevicePolicy;

    #[test]
    fn debug_hides_the_password() {
        let p = DevicePolicy {
            max_devices: 2,
            password: Some("s3cret-macpasswd".to_owned()),
        };
        let shown = format!("{p:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("redacted"));
    }
}
