//! `[web]`: the subscriber pages.
//!
//! How the pages of `owums serve` behave: their default language, cookies behind a proxy,
//! form size, the documents they show, session lifetime, the time zone of the times they
//! show, which optional sign-up fields they ask for, and how many attempts a client gets.

use serde::{Deserialize, Serialize};

/// `[web]`: the subscriber pages of the reference server.
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
    /// Largest form body accepted, in bytes (16 KiB by default, at least 1024); a larger
    /// one is refused before it is read.
    pub max_form_bytes: usize,
    /// Seconds a client has to send a whole request head (request line and headers), from
    /// the moment the server starts waiting for one (12 by default, at least 1); a
    /// connection that takes longer is closed. Keeps slow or stalled clients from holding
    /// connections open (slowloris); an idle keep-alive connection is closed after this too.
    pub header_read_timeout_seconds: u64,
    /// Folder with `<locale>-eula.html` / `<locale>-privacy.html` (or `eula.html`,
    /// `privacy.html`) shown instead of the built-in texts; empty: built-in texts.
    pub documents_dir: String,
    /// Minutes a browser session lives without being used (24 hours by default); each
    /// request moves the expiry forward. See
    /// [`WebSessions`](crate::subscriber::WebSessions).
    pub session_idle_minutes: u64,
    /// IANA time zone the pages show times in (`"Europe/Rome"`); times are stored in UTC.
    pub time_zone: String,
    /// Optional sign-up fields (`[web.signup]`).
    pub signup: SignupFields,
    /// Attempt limits (`[web.rate_limits]`).
    pub rate_limits: RateLimitsConfig,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            default_locale: "en".to_owned(),
            secure_cookies: false,
            trust_proxy_headers: false,
            max_form_bytes: 16 * 1024,
            header_read_timeout_seconds: 12,
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
///
/// All on by default, as OWUMS asked for them. A verification method may still require a
/// field switched off here (a card payment needs the address): the method's
/// [`required_fields`](crate::Verifier::required_fields) win.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignupFields {
    /// Ask for the birth date.
    pub birth_date: bool,
    /// Ask for the street address.
    pub address: bool,
    /// Ask for the city.
    pub city: bool,
    /// Ask for the postal code.
    pub zip: bool,
    /// Ask for the country.
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
///
/// Counted in each process's memory: behind a load balancer with several `owums serve`
/// processes, a client gets the limit once per process. A key that reached its limit is
/// refused until its window, opened at its first attempt, closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitsConfig {
    /// Window length in seconds (15 minutes by default), shared by every limit.
    pub window_seconds: u64,
    /// Login attempts per client address (through trusted proxies: see
    /// [`WebConfig::trust_proxy_headers`]).
    pub login_per_ip: u32,
    /// Login attempts per account, whatever the address: slows down guessing one
    /// subscriber's password from many addresses.
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
