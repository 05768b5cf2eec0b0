//! Captive portals: logging a subscriber onto the access controller they stand behind.
//!
//! A hotspot's access controller (AC) keeps a new device off the network and redirects its
//! first web request to a portal — owums' login page. What that redirect carries, and how
//! the portal then tells the controller "let this device on", differ from one controller
//! family to the next, so each family is one [`PortalAdapter`]:
//!
//! - [`coova`]: CoovaChilli-style UAM. The redirect names the controller (`uamip`,
//!   `uamport`), the device and a challenge, signed with an `md` checksum; the **browser**
//!   logs on at the controller with a CHAP response or a PAP password that owums computes
//!   from the `uamsecret`, so the secret never reaches the browser.
//! - [`wili`]: WILI-S extended UAM. The redirect is a URL template the operator filled with
//!   placeholders; in portal version 1 **owums** calls the controller over HTTPS with the
//!   shared secret and reads its XML answer; in version 2 the browser is sent back to the
//!   controller and returns with the result.
//!
//! Which adapter serves a request is configuration: `[portals.<name>]` in `owums.toml`
//! ([`PortalsConfig`]), matched by the portal name in the URL or by the NAS id and address
//! the redirect carries ([`Portals`]). An adapter for another family (a pfSense/OPNsense
//! zone, a MikroTik hotspot) implements the same trait and returns the same [`Step`]s; an
//! application adds it with [`Portals::with_adapter`], without any change here.
//!
//! [`captive`] builds the RFC 8908 Captive Portal API document; [`wispr`] writes the
//! WISPr 1.0 messages phones' built-in hotspot login reads.

pub mod captive;
pub mod coova;
mod registry;
pub mod wili;
pub mod wispr;

use std::fmt;
use std::net::IpAddr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use crate::config::portals::{
    CoovaConfig, CoovaLogon, LoginFormat, PortalConfig, PortalKind, PortalsConfig, WiliConfig,
};
pub use registry::Portals;

/// The redirect that brought a subscriber to the portal, as the server received it.
#[derive(Debug, Clone, Copy)]
pub struct Redirect<'a> {
    /// The request's raw query string, still percent-encoded (what follows `?`), exactly as
    /// the controller wrote it: checksums are computed over it.
    pub query: &'a str,
    /// The address the request came from (the device itself when nothing sits between it
    /// and owums; used only when the redirect names no client address).
    pub peer: Option<IpAddr>,
}

/// Where a subscriber stands: what the controller's redirect said about their device.
///
/// The server keeps it in the subscriber's web session between the login page and the
/// logon, and after verification to log them on without their typing the password again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrival {
    /// The configured portal (`[portals.<name>]`) that read the redirect.
    pub portal: String,
    /// What the controller says happened before this visit (CoovaChilli's `res`).
    pub state: ArrivalState,
    /// The device's IP address.
    pub client_ip: Option<IpAddr>,
    /// The device's MAC address, normalised to `AA-BB-CC-DD-EE-FF`.
    pub client_mac: Option<String>,
    /// The controller's NAS identifier.
    pub nas_id: Option<String>,
    /// Where the controller answers logons: `host:port` (CoovaChilli's `uamip:uamport`,
    /// WILI-S' `%nasip:%wanport`).
    pub controller: Option<String>,
    /// The controller's interface the device is on (WILI-S `%nasifc`), sent back on logon.
    pub interface: Option<String>,
    /// The page the subscriber first asked for, to send them on to once online.
    pub original_url: Option<String>,
    /// The browser language the controller saw.
    pub lang: Option<String>,
    /// CoovaChilli's logon challenge, 32 hex digits.
    pub challenge: Option<String>,
    /// The controller's session id for this device.
    pub session_id: Option<String>,
    /// The RADIUS Reply-Message the controller passed on (a failed logon's reason).
    pub reply: Option<String>,
}

/// What the controller says happened before this visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrivalState {
    /// Not logged on yet: show the login page.
    NotYet,
    /// Already logged on: show the status page.
    Already,
    /// The logon just succeeded.
    Success,
    /// The logon failed; CoovaChilli's reason (`reject`, `timeout`, `mtu`, `other`) when given.
    Failed(Option<String>),
    /// The subscriber just logged off.
    Logoff,
    /// The controller wants a splash page shown before anything else.
    Splash,
}

/// The credentials a subscriber typed (or owums holds for them right after verification).
#[derive(Clone)]
pub struct Credentials {
    /// The username as the controller must send it to RADIUS (a realm added if configured).
    pub username: String,
    /// The password in clear: the controller hands it to RADIUS.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"********")
            .finish()
    }
}

/// What a portal operation leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The adapter talked to the controller itself; this is what it answered.
    Done(Answer),
    /// The browser has to talk to the controller: send it there.
    Browser(BrowserRequest),
}

/// A request the subscriber's browser makes to the controller, because owums cannot reach
/// it (CoovaChilli's `/logon`, WILI-S portal version 2).
#[derive(Clone, PartialEq, Eq)]
pub struct BrowserRequest {
    /// `GET` (a redirect) or `POST` (a form the page submits by itself).
    pub method: BrowserMethod,
    /// The controller's URL; for `GET` the fields are already in its query.
    pub url: String,
    /// Form fields for `POST` (empty for `GET`).
    pub fields: Vec<(String, String)>,
}

impl fmt::Debug for BrowserRequest {
    /// Shows the controller's address only: the URL and fields may carry a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = self.url.split('?').next().unwrap_or_default();
        f.debug_struct("BrowserRequest")
            .field("method", &self.method)
            .field("url", &base)
            .field("fields", &self.fields.len())
            .finish()
    }
}

/// How the browser is sent to the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserMethod {
    /// Follow a redirect.
    Get,
    /// Submit a form.
    Post,
}

/// What the controller answered, in terms a page can show and a log can explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The typed outcome.
    pub outcome: Outcome,
    /// RADIUS Reply-Messages the controller passed on, in order.
    pub messages: Vec<String>,
    /// The controller's own words (its status and description), for the operator's log.
    pub detail: String,
}

/// A portal operation's outcome, the same for every controller family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The device is on the network (`already`: it was before this logon).
    LoggedOn {
        /// The controller said the user was already logged on.
        already: bool,
    },
    /// The device is off the network.
    LoggedOff,
    /// The session's figures.
    Status(Box<SessionStatus>),
    /// The controller knows no session for this device.
    NotLoggedOn,
    /// RADIUS refused the username or password.
    WrongCredentials,
    /// RADIUS refused the subscriber for another reason (disabled, expired, over a limit):
    /// the messages say why.
    Refused,
    /// The controller has as many users as it allows.
    TooManyUsers,
    /// The controller could not do it for a reason of its own: owums' configuration (a bad
    /// shared secret, remote logon disabled), a parameter the redirect did not carry, or the
    /// controller's network or accounting. The subscriber is told to try again or ask for
    /// help; the operator's log says which.
    ControllerFailed(ControllerFault),
    /// A code this version of owums does not know (a newer controller firmware).
    Unknown(u32),
}

/// Why a controller could not do what owums asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControllerFault {
    /// The request was not checked.
    NotChecked,
    /// A parameter (the device's IP or MAC address, the username or password) was missing.
    MissingParameter,
    /// Remote logon is switched off on the controller.
    Disabled,
    /// The shared secret does not match the controller's.
    BadSecret,
    /// The controller's network or RADIUS connection failed.
    Network,
    /// The controller failed to start accounting.
    Accounting,
    /// The controller failed to log the user off.
    LogoffFailed,
    /// The controller gave no more precise reason.
    Other,
}

/// One session's figures as the controller reports them (WILI-S `<ppstatus>`, CoovaChilli
/// `/json/status`). Every figure is optional: controllers leave out what they do not know.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionStatus {
    /// The logged-on username.
    pub username: Option<String>,
    /// The device's IP address.
    pub ip: Option<String>,
    /// The device's MAC address.
    pub mac: Option<String>,
    /// How long the session has lasted.
    pub session_time: Figure,
    /// The controller's session id.
    pub session_id: Option<String>,
    /// Time since the device last sent a packet.
    pub idle_time: Figure,
    /// Bytes sent towards the device.
    pub output_bytes: Figure,
    /// Bytes the device sent.
    pub input_bytes: Figure,
    /// The WISP domain the user logged on with.
    pub domain: Option<String>,
    /// Bytes left in total before the session ends.
    pub remaining_bytes: Figure,
    /// Bytes left towards the device.
    pub remaining_output_bytes: Figure,
    /// Bytes left from the device.
    pub remaining_input_bytes: Figure,
    /// Upstream bandwidth limit.
    pub bandwidth_up: Figure,
    /// Downstream bandwidth limit.
    pub bandwidth_down: Figure,
    /// Time left before the session ends.
    pub remaining_time: Figure,
    /// Total bytes left (WILI-S entry 16).
    pub remaining_total_bytes: Figure,
}

/// One figure of a session, read from the controller's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Figure {
    /// The controller did not say.
    #[default]
    Unknown,
    /// No bound is active (`unlimited`, or a remaining figure of zero).
    Unlimited,
    /// A duration in seconds.
    Seconds(u64),
    /// A number of bytes.
    Bytes(u64),
    /// A bandwidth in bits per second.
    BitsPerSecond(u64),
    /// A value owums could not read, shown as the controller wrote it.
    Text(String),
}

/// Why a portal request could not be served. Each is a page for the subscriber (in their
/// language) and a log line for the operator; none changes anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortalError {
    /// No `[portals.<name>]` serves this request.
    #[error("no portal is configured for this access controller")]
    NoPortal,
    /// The redirect's checksum does not match: it was changed on the way, or the secrets
    /// differ.
    #[error("the redirect's checksum does not match (tampered URL, or a different uamsecret)")]
    Tampered,
    /// The redirect lacks a parameter the adapter needs.
    #[error("the redirect lacks the parameter {0}")]
    MissingParameter(&'static str),
    /// A parameter is malformed or too long.
    #[error("the redirect's parameter {0} is malformed or too long")]
    BadParameter(&'static str),
    /// The controller could not be reached, or did not answer in time.
    #[error("the access controller could not be reached: {0}")]
    Unreachable(String),
    /// The controller's certificate is not the configured one.
    #[error("the access controller's certificate was refused: {0}")]
    Certificate(String),
    /// The controller answered something that is not its protocol.
    #[error("the access controller answered something unreadable: {0}")]
    Garbage(String),
}

/// One captive-portal protocol: how owums reads a controller's redirect and logs a
/// subscriber on, off, or asks for their session.
///
/// An operation either talks to the controller itself and returns [`Step::Done`], or —
/// when only the subscriber's browser can reach the controller — returns the request the
/// browser must make ([`Step::Browser`]).
#[async_trait]
pub trait PortalAdapter: Send + Sync + fmt::Debug {
    /// The configured name (`[portals.<name>]`).
    fn name(&self) -> &str;

    /// Reads the redirect that brought the subscriber; refuses one that is tampered with,
    /// lacks what the adapter needs, or carries oversized values.
    fn arrival(&self, redirect: &Redirect<'_>) -> Result<Arrival, PortalError>;

    /// Logs the subscriber's device on with these credentials.
    async fn logon(
        &self,
        arrival: &Arrival,
        credentials: &Credentials,
    ) -> Result<Step, PortalError>;

    /// Logs the device off.
    async fn logoff(&self, arrival: &Arrival, username: &str) -> Result<Step, PortalError>;

    /// Asks for the device's session.
    async fn status(&self, arrival: &Arrival, username: &str) -> Result<Step, PortalError>;

    /// The username as the controller must send it to RADIUS (WILI-S login formats).
    fn login_name(&self, username: &str) -> String {
        username.to_owned()
    }
}

/// A MAC address as a controller wrote it, in `AA-BB-CC-DD-EE-FF` form
/// ([`MacAddress`](crate::ids::MacAddress) reads every spelling controllers use).
pub(crate) fn normalise_mac(text: &str) -> Option<String> {
    crate::ids::MacAddress::parse(text)
        .ok()
        .map(|m| m.to_string())
}

/// The longest parameter value a redirect may carry (an original URL included).
pub const MAX_PARAMETER: usize = 2048;

/// Reads a query string's pairs, refusing values over [`MAX_PARAMETER`] and more than
/// 64 pairs.
pub(crate) fn query_pairs(query: &str) -> Result<Vec<(String, String)>, PortalError> {
    if query.len() > 32 * 1024 {
        return Err(PortalError::BadParameter("query"));
    }
    let mut pairs = Vec::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if pairs.len() == 64 || key.len() > 64 {
            return Err(PortalError::BadParameter("query"));
        }
        if value.len() > MAX_PARAMETER {
            return Err(PortalError::BadParameter(static_name(&key)));
        }
        pairs.push((key.into_owned(), value.into_owned()));
    }
    Ok(pairs)
}

/// The first value of `key`, trimmed; `None` when missing or empty.
pub(crate) fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Parameter names as `'static` for errors (unknown ones are named `parameter`).
fn static_name(key: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "res",
        "uamip",
        "uamport",
        "challenge",
        "called",
        "mac",
        "ip",
        "nasid",
        "sessionid",
        "userurl",
        "reply",
        "lang",
        "md",
        "clientip",
        "clientmac",
        "nasip",
        "wanport",
        "nasifc",
        "ourl",
        "clientlang",
        "reason",
    ];
    KNOWN
        .iter()
        .find(|k| **k == key)
        .copied()
        .unwrap_or("parameter")
}

/// An IP address parameter; a malformed one is refused.
pub(crate) fn ip_param(
    pairs: &[(String, String)],
    key: &'static str,
) -> Result<Option<IpAddr>, PortalError> {
    param(pairs, key)
        .map(|v| v.parse().map_err(|_| PortalError::BadParameter(key)))
        .transpose()
}

/// A short printable parameter (ids, interface names): at most 128 characters, no control
/// characters.
pub(crate) fn short_param(
    pairs: &[(String, String)],
    key: &'static str,
) -> Result<Option<String>, PortalError> {
    match param(pairs, key) {
        Some(v) if v.len() > 128 || v.chars().any(char::is_control) => {
            Err(PortalError::BadParameter(key))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

/// The page to send the subscriber on to: only an absolute `http(s)` URL.
pub(crate) fn web_url(value: &str) -> Option<String> {
    let web = value.starts_with("http://") || value.starts_with("https://");
    (web && !value.chars().any(char::is_control)).then(|| value.to_owned())
}

/// A `host:port` the controller answers at: an IP address (or a plain host name) and a
/// port.
pub(crate) fn controller_address(host: &str, port: &str) -> Option<String> {
    let port: u16 = port.parse().ok().filter(|p| *p != 0)?;
    let host_ok = host.parse::<IpAddr>().is_ok()
        || (!host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
    if !host_ok {
        return None;
    }
    Some(match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => format!("[{v6}]:{port}"),
        _ => format!("{host}:{port}"),
    })
}

#[cfg(test)]
mod coova_tests;
#[cfg(test)]
mod registry_tests;
#[cfg(test)]
mod wili_tests;
