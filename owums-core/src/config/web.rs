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
    /// Treat the immediate peer as a trusted reverse proxy, whatever its address: believe
    /// its `X-Forwarded-Proto` and take the right-most `X-Forwarded-For` entry as the
    /// client. The older, coarser form of [`WebConfig::trusted_proxies`]: prefer listing
    /// the proxies' addresses there.
    pub trust_proxy_headers: bool,
    /// Addresses or networks (CIDR: `"10.0.0.0/8"`, `"::1/128"`, `"192.0.2.7"`) of the
    /// reverse proxies in front of the server. A request whose peer is one of them has its
    /// client address taken from `X-Forwarded-For`: the right-most entry that is not a
    /// trusted proxy, walking leftwards from the peer (entries further left are written by
    /// the client and never believed); its `X-Forwarded-Proto` is believed too. Empty (the
    /// default): the peer is the client.
    pub trusted_proxies: Vec<String>,
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
    /// The address subscribers reach this server at (`"https://wifi.example.org"`), for
    /// links that leave the page: what plugins put in mails and hand to payment or identity
    /// providers as callbacks ([`PluginContext::public_url`](crate::PluginContext::public_url)).
    /// Empty (the default): the `notifier_base_url` runtime setting, which the core's own
    /// mails use.
    pub public_url: String,
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
            trusted_proxies: Vec::new(),
            max_form_bytes: 16 * 1024,
            header_read_timeout_seconds: 12,
            documents_dir: String::new(),
            session_idle_minutes: 24 * 60,
            time_zone: "UTC".to_owned(),
            public_url: String::new(),
            signup: SignupFields::default(),
            rate_limits: RateLimitsConfig::default(),
        }
    }
}

impl WebConfig {
    /// The networks of [`WebConfig::trusted_proxies`]; an entry that is neither an address
    /// nor a CIDR network is an error naming it.
    pub fn trusted_networks(&self) -> crate::Result<Vec<ipnet::IpNet>> {
        self.trusted_proxies
            .iter()
            .map(|entry| {
                let text = entry.trim();
                text.parse::<ipnet::IpNet>()
                    .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| {
                        crate::Error::Config(format!(
                            "web.trusted_proxies: `{entry}` is not an address or a CIDR network \
                             (such as \"10.0.0.0/8\" or \"::1/128\")"
                        ))
                    })
            })
            .collect()
    }

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
/// Counted in the database (`owums_rate_limits`), so every `owums serve` process on the same
/// database shares them. A key that reached its limit is refused until its window, opened at
/// its first attempt, closes. Logins are limited per client address and per (account,
/// client address) pair, with a per-account backstop that never shuts out an address that
/// has not failed on the account (docs/configuration.md, "Login throttling").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitsConfig {
    /// Window length in seconds (15 minutes by default), shared by every limit.
    pub window_seconds: u64,
    /// Login attempts per client address (through trusted proxies: see
    /// [`WebConfig::trusted_proxies`]); a successful login takes its attempt back.
    pub login_per_ip: u32,
    /// Login attempts per account from one client address; a successful login from that
    /// address clears them. Guessing from one address stops here, while the owner (from
    /// any other address) still logs in.
    pub login_per_account: u32,
    /// Login attempts per account from all addresses together: past it, only addresses
    /// that have not tried this account in the window get their attempt (so the owner's
    /// right password still gets in during a distributed attack).
    pub login_per_account_total: u32,
    /// Sign-ups per client address.
    pub signup_per_ip: u32,
    /// Sign-up captcha pictures per client address (each new picture keeps its answer in a
    /// short-lived anonymous session, so a client that drops cookies makes one per fetch).
    pub captcha_per_ip: u32,
    /// Password-reset requests per client address.
    pub reset_per_ip: u32,
    /// Password-reset requests per account (by the account, however it was named:
    /// username or e-mail, any case).
    pub reset_per_account: u32,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        RateLimitsConfig {
            window_seconds: 900,
            login_per_ip: 30,
            login_per_account: 10,
            login_per_account_total: 100,
            signup_per_ip: 10,
            captcha_per_ip: 60,
            reset_per_ip: 10,
            reset_per_account: 5,
        }
    }
}
