//! `[web]`: the subscriber pages.

use serde::{Deserialize, Serialize};

/// `[web]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Language when neither the URL, the session nor the browser names a supported one
    /// (`en`, `it`, `es`).
    pub default_locale: String,
    /// Always mark cookies `Secure`. When off they are `Secure` only on HTTPS requests.
    pub secure_cookies: bool,
    /// Believe `X-Forwarded-Proto` (a reverse proxy terminates TLS) and `X-Forwarded-For`
    /// (the client address for rate limits).
    pub trust_proxy_headers: bool,
    /// Largest form body accepted, in bytes.
    pub max_form_bytes: usize,
    /// Folder with `<locale>-eula.html` / `<locale>-privacy.html` (or `eula.html`,
    /// `privacy.html`) shown instead of the built-in texts; empty: built-in texts.
    pub documents_dir: String,
    /// Minutes a browser session lives without being used.
    pub session_idle_minutes: u64,
    /// IANA time zone the pages show times in (`"Europe/Rome"`); times are stored in UTC.
    pub time_zone: String,
    /// Optional sign-up fields.
    pub signup: SignupFields,
    /// Attempt limits.
    pub rate_limits: RateLimitsConfig,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            default_locale: "en".to_owned(),
            secure_cookies: false,
            trust_proxy_headers: false,
            max_form_bytes: 16 * 1024,
            documents_dir: String::new(),
            session_idle_minutes: 24 * 60,
            time_zone: "UTC".to_owned(),
            signup: SignupFields::default(),
            rate_limits: RateLimitsConfig::default(),
        }
    }
}

impl WebConfig {
    /// The time zone of [`WebConfig::time_zone`], or an error naming the key and the value.
    pub fn display_time_zone(&self) -> crate::Result<chrono_tz::Tz> {
        self.time_zone.trim().parse::<chrono_tz::Tz>().map_err(|_| {
            crate::Error::Config(format!(
                "web.time_zone `{}` is not an IANA time zone name (such as \"UTC\" or \"Europe/Rome\")",
                self.time_zone
            ))
        })
    }
}

/// `[web.signup]`: which optional fields the sign-up form shows (and then requires).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignupFields {
    /// Birth date.
    pub birth_date: bool,
    /// Street address.
    pub address: bool,
    /// City.
    pub city: bool,
    /// Postal code.
    pub zip: bool,
    /// Country.
    pub country: bool,
}

impl Default for SignupFields {
    fn default() -> Self {
        SignupFields {
            birth_date: true,
            address: true,
            city: true,
            zip: true,
            country: true,
        }
    }
}

/// `[web.rate_limits]`: attempts allowed per window; 0 switches a limit off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitsConfig {
    /// Window length in seconds.
    pub window_seconds: u64,
    /// Login attempts per client address.
    pub login_per_ip: u32,
    /// Login attempts per account.
    pub login_per_account: u32,
    /// Sign-ups per client address.
    pub signup_per_ip: u32,
    /// Password-reset requests per client address.
    pub reset_per_ip: u32,
    /// Password-reset requests per account.
    pub reset_per_account: u32,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        RateLimitsConfig {
            window_seconds: 900,
            login_per_ip: 30,
            login_per_account: 10,
            signup_per_ip: 10,
            reset_per_ip: 10,
            reset_per_account: 5,
        }
    }
}
