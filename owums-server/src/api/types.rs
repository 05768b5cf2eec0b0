//! Request and response bodies of the API.

use chrono::{DateTime, NaiveDate, Utc};
use owums_core::subscriber::{
    MAX_EMAIL_LEN, MAX_METHOD_LEN, MAX_MOBILE_INPUT_LEN, MAX_PASSWORD_LEN, MAX_USERNAME_LEN,
    MIN_PASSWORD_LEN, TextField,
};
use owums_core::{DayUsage, UserRecord};
use poem_openapi::{Enum, Object};

use super::input::{DateText, Flag, Text};

/// A username: 4–64 characters.
pub(crate) type UsernameText = Text<MAX_USERNAME_LEN, 4>;
/// A new password: 8–128 characters, hard to guess.
pub(crate) type NewPassword = Text<MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, true>;
/// A password as typed to prove who one is.
pub(crate) type CurrentPassword = Text<MAX_PASSWORD_LEN, 0, true>;
/// An e-mail address.
pub(crate) type EmailText = Text<MAX_EMAIL_LEN>;
/// Given name or surname.
pub(crate) type NameText = Text<{ TextField::GivenName.max_len() }>;
/// Street address.
pub(crate) type AddressText = Text<{ TextField::Address.max_len() }>;
/// City.
pub(crate) type CityText = Text<{ TextField::City.max_len() }>;
/// Postal code.
pub(crate) type ZipText = Text<{ TextField::Zip.max_len() }>;
/// Country.
pub(crate) type CountryText = Text<{ TextField::Country.max_len() }>;

/// `POST /account`: a new subscriber. Every text is trimmed; none may contain control
/// characters; a value of another JSON type than the schema's is refused (400) naming the
/// field.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct RegisterRequest {
    /// 4–64 of `a-z 0-9 _ . -` (case-insensitive).
    pub(crate) username: UsernameText,
    /// 8–128 characters, hard to guess: not a common password, a keyboard pattern, or
    /// built from the username, e-mail, names or mobile (zxcvbn score 3 or more).
    pub(crate) password: NewPassword,
    /// A self-service verification method enabled on this server (e.g. `sip`).
    pub(crate) verification_method: Text<MAX_METHOD_LEN>,
    /// E-mail address (required).
    pub(crate) email: Option<EmailText>,
    /// Mobile number, international, or national when the method has a country code
    /// (required by phone verification).
    pub(crate) mobile: Option<Text<MAX_MOBILE_INPUT_LEN>>,
    /// Given name (required).
    pub(crate) given_name: Option<NameText>,
    /// Surname (required).
    pub(crate) surname: Option<NameText>,
    /// Birth date `YYYY-MM-DD` (required when `[web.signup] birth_date` is on or the method
    /// needs it).
    pub(crate) birth_date: Option<DateText>,
    /// Street address (required when `[web.signup] address` is on or the method needs it).
    pub(crate) address: Option<AddressText>,
    /// City (required when `[web.signup] city` is on or the method needs the address).
    pub(crate) city: Option<CityText>,
    /// Postal code (required when `[web.signup] zip` is on or the method needs the address).
    pub(crate) zip: Option<ZipText>,
    /// Country (required when `[web.signup] country` is on or the method needs the address).
    pub(crate) country: Option<CountryText>,
    /// The EULA was accepted (must be true).
    pub(crate) eula_accepted: Flag,
    /// The privacy policy was accepted (must be true).
    pub(crate) privacy_accepted: Flag,
}

/// `POST /account/token`: credentials.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    /// Username (case-insensitive).
    pub(crate) username: UsernameText,
    /// Password.
    pub(crate) password: CurrentPassword,
}

/// A subscriber as they see themselves. A field without a value (no e-mail, no mobile, no
/// birth date, not verified yet) is absent, never `null`.
#[derive(Debug, Clone, Object)]
pub(crate) struct Profile {
    /// Id.
    pub(crate) id: String,
    /// Username (lowercase).
    pub(crate) username: String,
    /// E-mail (absent when there is none).
    #[oai(skip_serializing_if_is_none)]
    pub(crate) email: Option<String>,
    /// Mobile number (E.164; absent when there is none).
    #[oai(skip_serializing_if_is_none)]
    pub(crate) mobile: Option<String>,
    /// Given name (read-only).
    pub(crate) given_name: String,
    /// Surname (read-only).
    pub(crate) surname: String,
    /// Birth date (absent when not given).
    #[oai(skip_serializing_if_is_none)]
    pub(crate) birth_date: Option<NaiveDate>,
    /// Street address.
    pub(crate) address: String,
    /// City.
    pub(crate) city: String,
    /// Postal code.
    pub(crate) zip: String,
    /// Country.
    pub(crate) country: String,
    /// Verification method (read-only).
    pub(crate) verification_method: String,
    /// `unverified`, `verified`, `disabled` or `inactive`.
    pub(crate) status: String,
    /// When first verified (absent until then).
    #[oai(skip_serializing_if_is_none)]
    pub(crate) verified_at: Option<DateTime<Utc>>,
    /// Preferred language.
    pub(crate) locale: String,
    /// Registered.
    pub(crate) created_at: DateTime<Utc>,
}

impl From<&UserRecord> for Profile {
    fn from(u: &UserRecord) -> Self {
        Profile {
            id: u.id.to_string(),
            username: u.username.to_string(),
            email: u.email.as_ref().map(ToString::to_string),
            mobile: u.mobile.as_ref().map(ToString::to_string),
            given_name: u.given_name.clone(),
            surname: u.surname.clone(),
            birth_date: u.birth_date,
            address: u.address.clone(),
            city: u.city.clone(),
            zip: u.zip.clone(),
            country: u.country.clone(),
            verification_method: u.verification_method.clone(),
            status: u.status().as_str().to_owned(),
            verified_at: u.verified_at,
            locale: u.locale.clone(),
            created_at: u.created_at,
        }
    }
}

/// A session token and whose it is.
#[derive(Debug, Clone, Object)]
pub(crate) struct TokenResponse {
    /// Send it as `Authorization: Bearer <token>`.
    pub(crate) token: String,
    /// Expires unless used before.
    pub(crate) expires_at: DateTime<Utc>,
    /// The subscriber.
    pub(crate) user: Profile,
}

/// `PATCH /account`: fields to change; absent fields stay as they are. Names, username and
/// method are read-only: sending them is an error. The same text rules as registration.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct ProfileChangeRequest {
    /// New e-mail.
    pub(crate) email: Option<EmailText>,
    /// Street address.
    pub(crate) address: Option<AddressText>,
    /// City.
    pub(crate) city: Option<CityText>,
    /// Postal code.
    pub(crate) zip: Option<ZipText>,
    /// Country.
    pub(crate) country: Option<CountryText>,
    /// Birth date `YYYY-MM-DD`.
    pub(crate) birth_date: Option<DateText>,
    /// The password now (needed to set a new one).
    pub(crate) current_password: Option<CurrentPassword>,
    /// New password (the rules of registration); other sessions of the account end.
    pub(crate) new_password: Option<NewPassword>,
}

/// Sort key of the session list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub(crate) enum SortKey {
    /// Start time.
    Start,
    /// Stop time (open sessions count as the latest).
    Stop,
    /// Octets uploaded.
    Upload,
    /// Octets downloaded.
    Download,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub(crate) enum SortOrder {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// One accounting session.
#[derive(Debug, Clone, Object)]
pub(crate) struct AcctSession {
    /// `radacctid`.
    pub(crate) id: i64,
    /// Started (absent when the NAS did not say).
    #[oai(skip_serializing_if_is_none)]
    pub(crate) start: Option<DateTime<Utc>>,
    /// Stopped; absent while online.
    #[oai(skip_serializing_if_is_none)]
    pub(crate) stop: Option<DateTime<Utc>>,
    /// Still open.
    pub(crate) online: bool,
    /// Seconds connected (so far).
    pub(crate) seconds: i64,
    /// Octets uploaded (`acctinputoctets`).
    pub(crate) upload_octets: i64,
    /// Octets downloaded (`acctoutputoctets`).
    pub(crate) download_octets: i64,
    /// The device's MAC (`callingstationid`).
    pub(crate) calling_station_id: String,
    /// The access point (`calledstationid`).
    pub(crate) called_station_id: String,
    /// Address given to the device.
    pub(crate) framed_ip_address: String,
    /// Why it ended.
    pub(crate) terminate_cause: String,
}

/// A page of sessions.
#[derive(Debug, Clone, Object)]
pub(crate) struct SessionList {
    /// This page, from 1.
    pub(crate) page: u32,
    /// Page size.
    pub(crate) per_page: u32,
    /// Number of pages.
    pub(crate) pages: u64,
    /// Sessions in all pages.
    pub(crate) total: u64,
    /// The sessions on this page.
    pub(crate) sessions: Vec<AcctSession>,
}

/// Usage of one day.
#[derive(Debug, Clone, Object)]
pub(crate) struct Day {
    /// The day (UTC).
    pub(crate) date: NaiveDate,
    /// Seconds connected, by sessions started that day.
    pub(crate) seconds: u64,
    /// Octets uploaded.
    pub(crate) upload_octets: u64,
    /// Octets downloaded.
    pub(crate) download_octets: u64,
}

impl From<DayUsage> for Day {
    fn from(d: DayUsage) -> Self {
        Day {
            date: d.date,
            seconds: d.seconds,
            upload_octets: d.input_octets,
            download_octets: d.output_octets,
        }
    }
}

/// Connection time and traffic: today and the last 14 days.
#[derive(Debug, Clone, Object)]
pub(crate) struct UsageReport {
    /// Today so far.
    pub(crate) today: Day,
    /// 14 days, oldest first, today last; days without traffic are zeros.
    pub(crate) days: Vec<Day>,
}

/// Where verification stands (OWUMS' `status.json`, plus what to do next).
#[derive(Debug, Clone, Object)]
pub(crate) struct VerificationStatus {
    /// Verified.
    pub(crate) is_verified: bool,
    /// The time to verify ran out.
    pub(crate) is_expired: bool,
    /// Time left as `"MM:SS"`, or `0` when there is none.
    pub(crate) remaining_time: serde_json::Value,
    /// `unverified`, `verified`, `disabled` or `inactive`.
    pub(crate) status: String,
    /// The verification method.
    pub(crate) verification_method: String,
    /// What to do next, from the method (`call_number`, `redirect`, `enter_code`, `form`,
    /// `wait_for_operator`, `message`, `done`); absent when the method is not available
    /// here.
    #[oai(skip_serializing_if_is_none)]
    pub(crate) challenge: Option<serde_json::Value>,
}

/// `POST /account/password/reset`.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct ResetRequest {
    /// Username or e-mail address.
    pub(crate) username_or_email: EmailText,
}

/// `POST /account/password/reset/confirm`.
#[derive(Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct ResetConfirm {
    /// The token from the link in the e-mail.
    pub(crate) token: Text<128>,
    /// The new password (the rules of registration).
    pub(crate) new_password: NewPassword,
}

impl std::fmt::Debug for ResetConfirm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetConfirm(..)")
    }
}

/// A short confirmation, in the request's language.
#[derive(Debug, Clone, Object)]
pub(crate) struct Message {
    /// The text.
    pub(crate) message: String,
}
