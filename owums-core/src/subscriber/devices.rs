//! Subscribers' devices for MAC authentication: [`Devices`], the one service the account
//! page, the console, the command line and the REST authorize use.
//!
//! A device is a MAC address a subscriber (or an operator for them) registered. An access
//! controller doing MAC authentication (CoovaChilli `macauth`) sends it as User-Name; the
//! device is let in as its owner, with the owner's replies and groups, while the owner is a
//! valid RADIUS user. What a device proves is only that a known MAC showed up: MACs are
//! not secret, so devices never verify anyone (docs/verifiers/mac-address.md).

use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;

use crate::error::{Error, Problem, Result};
use crate::ids::{MacAddress, UserId};
use crate::plugin::DevicePolicy;
use crate::storage::Store;
use crate::storage::subscriber::devices::{DeviceRow, Inserted, NewDeviceRow};
use crate::subscriber::input::check_text;

/// The longest device label, in characters.
pub const MAX_DEVICE_LABEL: usize = 64;

/// A registered device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its row id.
    pub id: i32,
    /// Whose it is.
    pub user: UserId,
    /// Its MAC address.
    pub mac: MacAddress,
    /// What its owner calls it ("my phone"); may be empty.
    pub label: String,
    /// When it was registered (UTC).
    pub created_at: DateTime<Utc>,
    /// The operator who registered it; `None`: the subscriber.
    pub created_by: Option<String>,
}

impl TryFrom<DeviceRow> for Device {
    type Error = Error;
    fn try_from(r: DeviceRow) -> Result<Self> {
        Ok(Device {
            id: r.id,
            user: r.user_id.parse()?,
            mac: MacAddress::parse(&r.mac)?,
            label: r.label,
            created_at: r.created_at.and_utc(),
            created_by: r.created_by,
        })
    }
}

/// Registers, lists and removes subscribers' devices under a [`DevicePolicy`]. Cheap to
/// clone.
#[derive(Clone)]
pub struct Devices {
    store: Store,
    policy: DevicePolicy,
}

impl std::fmt::Debug for Devices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devices")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// A label as stored: the rules of every subscriber-supplied text
/// ([`check_text`]: trimmed, at most [`MAX_DEVICE_LABEL`] characters, no control
/// characters), optional.
fn clean_label(label: &str) -> Result<String> {
    check_text("label", label, MAX_DEVICE_LABEL, false)
        .map_err(|e| Error::refused(e.field, e.problem, e.reason))
}

impl Devices {
    /// The devices of `store`'s subscribers under `policy`.
    pub fn new(store: Store, policy: DevicePolicy) -> Self {
        Devices { store, policy }
    }

    /// The rules devices follow.
    pub fn policy(&self) -> &DevicePolicy {
        &self.policy
    }

    /// Turns MAC authentication on in the views FreeRADIUS reads in SQL mode, with the
    /// policy's password: `owums serve` does it at start.
    ///
    /// # Errors
    ///
    /// A storage error.
    pub async fn publish(&self) -> Result<()> {
        self.store
            .set_device_auth(true, self.policy.password.as_deref())
            .await
    }

    /// Turns MAC authentication off in the SQL views (no method offers devices): registered
    /// devices stay, and are let in again once a method offers them.
    ///
    /// # Errors
    ///
    /// A storage error.
    pub async fn withdraw(store: &Store) -> Result<()> {
        store.set_device_auth(false, None).await
    }

    /// Registers the device `mac` (any spelling [`MacAddress::parse`] reads) for `user`,
    /// labelled `label`, by operator `by` (`None`: the subscriber).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] on field `mac` with [`Problem::BadFormat`] for a malformed MAC,
    /// [`Problem::Taken`] when the MAC is registered already (to anyone), or
    /// [`Problem::OutOfRange`] when `user` has [`DevicePolicy::max_devices`] devices; on
    /// field `label` for a bad label; [`Error::NotFound`] for an unknown user. Nothing is
    /// stored then.
    pub async fn add(
        &self,
        user: UserId,
        mac: &str,
        label: &str,
        by: Option<&str>,
    ) -> Result<Device> {
        let mac = MacAddress::parse(mac)?;
        let label = clean_label(label)?;
        let row = NewDeviceRow {
            user_id: user.to_string(),
            mac: mac.to_string(),
            label,
            created_at: Utc::now().naive_utc(),
            created_by: by.map(str::to_owned),
        };
        let max = i64::from(self.policy.max_devices);
        match self.store.insert_device(&row, max).await {
            Ok(Inserted::Done(stored)) => Device::try_from(stored),
            Ok(Inserted::NoUser) => Err(Error::not_found("user", user.to_string())),
            Ok(Inserted::Full) => Err(Error::refused(
                "mac",
                Problem::OutOfRange,
                format!(
                    "at most {} devices may be registered",
                    self.policy.max_devices
                ),
            )),
            Err(Error::Conflict { .. }) => Err(Error::refused(
                "mac",
                Problem::Taken,
                "is registered already",
            )),
            Err(e) => Err(e),
        }
    }

    /// The devices of `user`, oldest first.
    ///
    /// # Errors
    ///
    /// A storage error.
    pub async fn list(&self, user: UserId) -> Result<Vec<Device>> {
        self.store
            .devices_of(user)
            .await?
            .into_iter()
            .map(Device::try_from)
            .collect()
    }

    /// Removes `user`'s device `mac` (any spelling); the next Access-Request from it is
    /// rejected.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a malformed MAC; [`Error::NotFound`] when `user` has no such
    /// device.
    pub async fn remove(&self, user: UserId, mac: &str) -> Result<MacAddress> {
        let mac = MacAddress::parse(mac)?;
        if self.store.delete_device(user, &mac.to_string()).await? {
            Ok(mac)
        } else {
            Err(Error::not_found("device", mac.to_string()))
        }
    }

    /// The device with this MAC, whoever owns it.
    ///
    /// # Errors
    ///
    /// A storage error.
    pub async fn find(&self, mac: &MacAddress) -> Result<Option<Device>> {
        self.store
            .device_by_mac(&mac.to_string())
            .await?
            .map(Device::try_from)
            .transpose()
    }

    /// Whether `password` is what an access controller sends with device `mac`: the
    /// policy's password, or else the MAC itself in any spelling. Compared in constant time.
    pub fn password_matches(&self, mac: &MacAddress, password: &str) -> bool {
        match &self.policy.password {
            Some(expected) => bool::from(expected.as_bytes().ct_eq(password.as_bytes())),
            None => MacAddress::parse(password).is_ok_and(|p| p == *mac),
        }
    }
}
