//! Subscribers: the [`User`] trait, the stored [`UserRecord`] and its [`UserStatus`].
//!
//! [`NewUser`] is what registration takes; [`UserRecord`] is what every lookup returns. The
//! trait [`User`] is the narrow view plugins get, so a verifier can be tested with a
//! hand-made user and never depends on the stored shape.

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
    /// Derives the state from the stored flags (OWUMS' rules): inactive wins over
    /// everything, then verified, then "verified once" (disabled) versus never (unverified).
    ///
    /// ```
    /// use owums_core::UserStatus;
    /// let once = Some(chrono::Utc::now());
    /// assert_eq!(UserStatus::from_flags(false, None, true), UserStatus::Unverified);
    /// assert_eq!(UserStatus::from_flags(false, once, true), UserStatus::Disabled);
    /// assert_eq!(UserStatus::from_flags(true, once, false), UserStatus::Inactive);
    /// ```
    pub fn from_flags(verified: bool, verified_at: Option<DateTime<Utc>>, active: bool) -> Self {
        match (active, verified, verified_at) {
            (false, _, _) => UserStatus::Inactive,
            (true, true, _) => UserStatus::Verified,
            (true, false, Some(_)) => UserStatus::Disabled,
            (true, false, None) => UserStatus::Unverified,
        }
    }

    /// Lowercase name, as printed and serialised (`unverified`, `verified`, `disabled`,
    /// `inactive`).
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
    /// The verification method's plugin id (`sip`, `id_card`, …), or `none` for users an
    /// operator created verified.
    fn verification_method(&self) -> &str;
    /// The current state.
    fn status(&self) -> UserStatus;
    /// When the subscriber registered (the start of the verification countdown), if known.
    fn created_at(&self) -> Option<DateTime<Utc>> {
        None
    }
}

/// A stored subscriber (everything but the password hashes).
///
/// A snapshot: it is not updated when the row changes. Services return a fresh one after
/// each change. Use [`UserRecord::status`] rather than reading the flags, and
/// [`UserRecord::is_radius_valid`] to know whether FreeRADIUS accepts the subscriber.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The subscriber's permanent id.
    pub id: UserId,
    /// Username, lowercase, unique.
    pub username: Username,
    /// E-mail, unique when present.
    pub email: Option<Email>,
    /// Mobile number in E.164, unique when present.
    pub mobile: Option<PhoneNumber>,
    /// Given name (empty when the sign-up did not ask for it).
    pub given_name: String,
    /// Family name (empty when the sign-up did not ask for it).
    pub surname: String,
    /// Birth date, when asked for.
    pub birth_date: Option<NaiveDate>,
    /// Street address (empty when not asked for).
    pub address: String,
    /// City or town (empty when not asked for).
    pub city: String,
    /// Postal code, as typed (empty when not asked for).
    pub zip: String,
    /// Country, as typed (empty when not asked for); free text, not a code.
    pub country: String,
    /// Verification method: the id of the plugin that verifies this subscriber, or `none`.
    pub verification_method: String,
    /// Currently verified (see [`UserRecord::status`] for what the flags mean together).
    pub verified: bool,
    /// When first verified; kept when disabled ("was verified once").
    pub verified_at: Option<DateTime<Utc>>,
    /// Switched on (an operator may switch it off).
    pub active: bool,
    /// The EULA was accepted.
    pub eula_accepted: bool,
    /// The privacy policy was accepted.
    pub privacy_accepted: bool,
    /// Preferred language (`en`, `it`, `es`): of their mail, and of the pages when the
    /// browser names none.
    pub locale: String,
    /// Free text operators keep about the subscriber; never shown to them.
    pub notes: Option<String>,
    /// When the subscriber registered (the start of the verification countdown), UTC.
    pub created_at: DateTime<Utc>,
    /// When the row last changed (a state change, a profile edit, a password), UTC.
    pub updated_at: DateTime<Utc>,
}

impl UserRecord {
    /// Whether FreeRADIUS sees this user (verified, active, EULA accepted).
    pub fn is_radius_valid(&self) -> bool {
        self.verified && self.active && self.eula_accepted
    }

    /// The current state, from the stored flags.
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
///
/// Fill what the sign-up form asked for and leave the rest at its default (`..Default::default()`).
/// The service checks what types cannot: a username is required, the password must follow
/// the rules of [`validate_password`](crate::subscriber::validate_password) (at least
/// [`MIN_PASSWORD_LEN`](crate::subscriber::MIN_PASSWORD_LEN) characters, hard to guess), the
/// verification method must be given, and no text may hold control characters or exceed its
/// column.
///
/// Its `Debug` shows the password: do not log it.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// Username; required (an `Option` so that a form can be read into it before the
    /// service reports the missing field).
    pub username: Option<Username>,
    /// Password in clear (hashed by the service; never stored as given unless
    /// `password_format = "cleartext"`).
    pub password: String,
    /// E-mail address, unique among subscribers; needed for the mails and for password
    /// reset by e-mail.
    pub email: Option<Email>,
    /// Mobile number, unique among subscribers; needed by phone verification and password
    /// recovery by phone.
    pub mobile: Option<PhoneNumber>,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub surname: String,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Street address.
    pub address: String,
    /// City or town.
    pub city: String,
    /// Postal code.
    pub zip: String,
    /// Country, free text.
    pub country: String,
    /// Verification method (plugin id, or `none` for operator-created users); required.
    pub verification_method: String,
    /// The EULA was accepted; without it the subscriber never becomes a valid RADIUS user.
    pub eula_accepted: bool,
    /// The privacy policy was accepted.
    pub privacy_accepted: bool,
    /// Language (`en`, `it`, `es`); empty means `en`.
    pub locale: String,
    /// Free text for operators.
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
