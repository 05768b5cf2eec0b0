//! MAC authentication in the REST authorize: a `User-Name` that is a registered device's
//! MAC is decided as the device's owner ([`Authorizer::with_devices`]), as a roaming
//! device's is.

use chrono::{DateTime, Utc};

use super::{AuthorizeRequest, Authorizer, Decision, may_log_in};
use crate::error::Result;
use crate::ids::MacAddress;
use crate::radius::counter::CounterUsage;
use crate::radius::profile::rules;
use crate::subscriber::user::UserRecord;

impl Authorizer {
    /// The decision for a registered device (`User-Name` = its MAC), if devices are on and
    /// `name` is one; `None`: decide `name` as a login name.
    pub(super) async fn device_login(
        &self,
        req: &AuthorizeRequest,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Decision>> {
        let Some(devices) = &self.devices else {
            return Ok(None);
        };
        let Ok(mac) = MacAddress::parse(name) else {
            return Ok(None);
        };
        let Some(device) = devices.find(&mac).await? else {
            return Ok(None);
        };
        if !devices.password_matches(&mac, &req.password) {
            self.wrong.note(name, &req.password);
            return Ok(Some(Decision::Reject));
        }
        let Some(user) = self.store.find_user(device.user).await? else {
            return Ok(Some(Decision::Reject));
        };
        self.decide_for_owner(&user, req, now).await.map(Some)
    }

    /// The decision for `user`, the owner of the device that asks (by its MAC: a registered
    /// device, or a roaming one), read fresh from the database: refused unless they may log
    /// in and their voucher has not expired, else their profile and limits apply.
    pub(super) async fn decide_for_owner(
        &self,
        user: &UserRecord,
        req: &AuthorizeRequest,
        now: DateTime<Utc>,
    ) -> Result<Decision> {
        let (expires_at, _) = self.voucher_expiry(user).await?;
        if !may_log_in(user) || expires_at.is_some_and(|e| e <= now) {
            return Ok(Decision::Reject);
        }
        let rules = rules(&self.store.radius_profile(user.id).await?);
        let usage = CounterUsage::new(&self.store, user.username.as_str());
        self.decide(user, &rules, req, now, &usage).await
    }
}
