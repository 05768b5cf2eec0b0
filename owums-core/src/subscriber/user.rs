//! Subscribers: the [`User`] trait, the stored [`UserRecord`] and its [`UserStatus`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{Email, PhoneNumber, UserId, Username};

/// Where a subscriber stands. A user is a valid RADIUS user iff [`UserStatus::Verified`]
/// and the EULA was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// New; verification pending (may expire).
    Unverified,
    /// Verified and active.
    Verified,
    /// Was verified; disabled by the user or an operator. Verifying again re-enables.
    Disabled,
    /// Switched off by an operator, whatever the verification state.
    Inactive,
}

impl UserStatus {
    /// Derives the state from the stored flags (OWUMS' rules).
    pub fn from_flags(verified: bool, verified_at: Option<DateTime<Utc>>, active: bool) -> Self {
        match (active, verified, verified_at) {
            (false, _, _) => UserStatus::Inactive,
            (true, true, _) => UserStatus::Verified,
            (true, false, Some(_)) => UserStatus::Disabled,
            (true, false, None) => UserStatus::Unverified,
        }
    }

    /// Lowercase name, as printed and serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Unverified => "unverified",
            UserStatus::Verified => "verified",
            UserStatus::Disabled => "disabled",
            UserStatus::Inactive => "inactive",
        }
    }
}

/// What a verifier or an integrator needs to know of a subscriber.
///
/// [`UserRecord`] implements it; tests and integrators can implement it for their own types:
///
/// ```
/// use owums_core::{User, UserId, UserStatus, Username};
/// struct Guest { id: UserId, name: Username }
/// impl User for Guest {
///     fn id(&self) -> UserId { self.id }
///     fn username(&self) -> &Username { &self.name }
///     fn email(&self) -> Option<&owums_core::Email> { None }
///     fn mobile(&self) -> Option<&owums_core::PhoneNumber> { None }
///     fn verification_method(&self) -> &str { "none" }
///     fn status(&self) -> UserStatus { UserStatus::Unverified }
/// }
/// let g = Guest { id: UserId::random(), name: Username::try_new("guest").unwrap() };
/// assert_eq!(g.status().as_str(), "unverified");
/// ```
pub trait User: Send + Sync {
    /// The subscriber's id.
    fn id(&self) -> UserId;
    /// The username (lowercase).
    fn username(&self) -> &Username;
    /// The e-mail address, if given.
    fn email(&self) -> Option<&Email>;
    /// The mobile number in E.164, if given.
    fn mobile(&self) -> Option<&PhoneNumber>;
    /// The verification method's plugin id (`sip`, `id_card`, …).
    fn verification_method(&self) -> &str;
    /// The current state.
    fn status(&self) -> UserStatus;
    /// When the subscriber registered (the start of the verification countdown), if known.
    fn created_at(&self) -> Option<DateTime<Utc>> {
        None
    }
}

/// A stored subscriber (everything but the password hashes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    /// Id.
    pub id: UserId,
    /// Username, lowercase, unique.
    pub username: Username,
    /// E-mail, unique when present.
    pub email: Option<Email>,
    /// Mobile number in E.164, unique when present.
    pub mobile: Option<PhoneNumber>,
    /// Given name.
    pub given_name: String,
    /// Surname.
    pub surname: String,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip: String,
    /// Country.
    pub country: String,
    /// Verification method (plugin id).
    pub verification_method: String,
    /// Currently verified.
    pub verified: bool,
    /// When first verified; kept when disabled ("was verified once").
    pub verified_at: Option<DateTime<Utc>>,
    /// Switched on (an operator may switch it off).
    pub active: bool,
    /// The EULA was accepted.
    pub eula_accepted: bool,
    /// The privacy policy was accepted.
    pub privacy_accepted: bool,
    /// Preferred language (`en`, `it`, `es`).
    pub locale: String,
    /// Operator notes.
    pub notes: Option<String>,
    /// Created (the start of the verification countdown).
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl UserRecord {
    /// Whether FreeRADIUS sees this user (verified, active, EULA accepted).
    pub fn is_radius_valid(&self) -> bool {
        self.verified && self.active && self.eula_accepted
    }

    /// The current state.
    pub fn status(&self) -> UserStatus {
        UserStatus::from_flags(self.verified, self.verified_at, self.active)
    }
}

impl User for UserRecord {
    fn id(&self) -> UserId {
        self.id
    }
    fn username(&self) -> &Username {
        &self.username
    }
    fn email(&self) -> Option<&Email> {
        self.email.as_ref()
    }
    fn mobile(&self) -> Option<&PhoneNumber> {
        self.mobile.as_ref()
    }
    fn verification_method(&self) -> &str {
        &self.verification_method
    }
    fn status(&self) -> UserStatus {
        UserRecord::status(self)
    }
    fn created_at(&self) -> Option<DateTime<Utc>> {
        Some(self.created_at)
    }
}

/// What is needed to register a subscriber.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// Username.
    pub username: Option<Username>,
    /// Password in clear (hashed by the service; never stored as given unless
    /// `password_format = "cleartext"`).
    pub password: String,
    /// E-mail.
    pub email: Option<Email>,
    /// Mobile number.
    pub mobile: Option<PhoneNumber>,
    /// Given name.
    pub given_name: String,
    /// Surname.
    pub surname: String,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip: String,
    /// Country.
    pub country: String,
    /// Verification method (plugin id, or `none` for operator-created users).
    pub verification_method: String,
    /// EULA accepted.
    pub eula_accepted: bool,
    /// Privacy policy accepted.
    pub privacy_accepted: bool,
    /// Language.
    pub locale: String,
    /// Operator notes.
    pub notes: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_from_flags() {
        let now = Some(Utc::now());
        assert_eq!(
            UserStatus::from_flags(false, None, true),
            UserStatus::Unverified
        );
        assert_eq!(
            UserStatus::from_flags(true, now, true),
            UserStatus::Verified
        );
        assert_eq!(
            UserStatus::from_flags(false, now, true),
            UserStatus::Disabled
        );
        assert_eq!(
            UserStatus::from_flags(true, now, false),
            UserStatus::Inactive
        );
    }
}
