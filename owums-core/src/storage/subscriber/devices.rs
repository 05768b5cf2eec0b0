//! The `owums_devices` table (subscribers' devices for MAC authentication) and the one row of
//! `owums_device_auth` the SQL views read (whether MAC authentication is on, and its
//! password).
//!
//! FreeRADIUS in SQL mode sees a change here on its next query (the views read these
//! tables); the REST authorize reads devices on every request. A change still bumps the
//! generation of RADIUS profiles, as every other change of who may log in does.

use chrono::NaiveDateTime;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::radius::items::bump_generation;
use crate::storage::schema::{
    owums_device_auth, owums_devices, owums_radius_generation, owums_users,
};

/// A stored device.
#[derive(Debug, Clone, diesel::Queryable)]
pub(crate) struct DeviceRow {
    pub(crate) id: i32,
    pub(crate) user_id: String,
    pub(crate) mac: String,
    pub(crate) label: String,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) created_by: Option<String>,
}

/// A device to insert.
#[derive(Debug, Clone, diesel::Insertable)]
#[diesel(table_name = owums_devices)]
pub(crate) struct NewDeviceRow {
    pub(crate) user_id: String,
    pub(crate) mac: String,
    pub(crate) label: String,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) created_by: Option<String>,
}

/// What [`Store::insert_device`] did.
#[derive(Debug)]
pub(crate) enum Inserted {
    /// The device is stored.
    Done(DeviceRow),
    /// The subscriber does not exist.
    NoUser,
    /// The subscriber already has the most devices allowed.
    Full,
}

macro_rules! device_columns {
    () => {
        (
            owums_devices::id,
            owums_devices::user_id,
            owums_devices::mac,
            owums_devices::label,
            owums_devices::created_at,
            owums_devices::created_by,
        )
    };
}

impl Store {
    /// Inserts `row` unless its subscriber already has `max` devices, in one transaction
    /// that locks the subscriber's row first, so two requests at once cannot both take the
    /// last place.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`] when the MAC is registered already (to anyone).
    pub(crate) async fn insert_device(&self, row: &NewDeviceRow, max: i64) -> Result<Inserted> {
        let inserted = db_run!(self, c => {
            c.transaction::<_, Error, _>(async |c| {
                let locked = diesel::update(owums_users::table.filter(owums_users::id.eq(&row.user_id)))
                    .set(owums_users::updated_at.eq(owums_users::updated_at))
                    .execute(c)
                    .await?;
                if locked == 0 {
                    return Ok(Inserted::NoUser);
                }
                let count: i64 = owums_devices::table
                    .filter(owums_devices::user_id.eq(&row.user_id))
                    .count()
                    .get_result(c)
                    .await?;
                if count >= max {
                    return Ok(Inserted::Full);
                }
                diesel::insert_into(owums_devices::table).values(row).execute(c).await?;
                bump_generation!(c);
                let stored: DeviceRow = owums_devices::table
                    .filter(owums_devices::mac.eq(&row.mac))
                    .select(device_columns!())
                    .first(c)
                    .await?;
                Ok(Inserted::Done(stored))
            })
            .await
        })?;
        Ok(inserted)
    }

    /// The devices of `user`, oldest first.
    pub(crate) async fn devices_of(&self, user: UserId) -> Result<Vec<DeviceRow>> {
        let key = user.to_string();
        Ok(db_run!(self, read c => owums_devices::table
            .filter(owums_devices::user_id.eq(&key))
            .order((owums_devices::created_at.asc(), owums_devices::id.asc()))
            .select(device_columns!())
            .load(c)
            .await?))
    }

    /// The device with MAC `mac` (as stored: `AA-BB-CC-DD-EE-FF`), whoever owns it.
    pub(crate) async fn device_by_mac(&self, mac: &str) -> Result<Option<DeviceRow>> {
        Ok(db_run!(self, read c => owums_devices::table
            .filter(owums_devices::mac.eq(mac))
            .select(device_columns!())
            .first(c)
            .await
            .optional()?))
    }

    /// Removes `user`'s device `mac`; false when they have no such device.
    pub(crate) async fn delete_device(&self, user: UserId, mac: &str) -> Result<bool> {
        let key = user.to_string();
        let removed = db_run!(self, c => {
            c.transaction::<_, Error, _>(async |c| {
                let n = diesel::delete(
                    owums_devices::table
                        .filter(owums_devices::user_id.eq(&key))
                        .filter(owums_devices::mac.eq(mac)),
                )
                .execute(c)
                .await?;
                if n > 0 {
                    bump_generation!(c);
                }
                Ok(n)
            })
            .await
        })?;
        Ok(removed > 0)
    }

    /// Turns MAC authentication in the SQL views on or off, with the password controllers
    /// send (`None`: the MAC itself).
    pub(crate) async fn set_device_auth(
        &self,
        enabled: bool,
        password: Option<&str>,
    ) -> Result<()> {
        db_run!(self, c => diesel::update(owums_device_auth::table.filter(owums_device_auth::id.eq(1)))
            .set((
                owums_device_auth::enabled.eq(enabled),
                owums_device_auth::password.eq(password),
            ))
            .execute(c)
            .await?);
        Ok(())
    }
}
