//! `[portals.<name>]`: the access controllers owums is the captive portal of (see
//! `owums_core::portal`, which builds an adapter from each).

use std::collections::BTreeMap;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// `[portals.<name>]` tables, by name. The name is part of the login URL configured on the
/// controller (`/portal/<name>/login`); 1–32 of `a-z 0-9 _ -`.
///
/// ```toml
/// [portals.lobby]
/// kind = "coovachilli"
/// uamsecret = "testsecret"
/// nas_ids = ["lobby-ap"]
///
/// [portals.campus]
/// kind = "wili"
/// secret = "shared-secret"
/// ca_file = "/etc/owums/wili-ca.pem"
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PortalsConfig(pub BTreeMap<String, PortalConfig>);

/// One access controller family's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PortalConfig {
    /// CoovaChilli-style UAM (`kind = "coovachilli"`).
    Coovachilli(CoovaConfig),
    /// WILI-S extended UAM (`kind = "wili"`).
    Wili(WiliConfig),
}

/// Which controller family a portal speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortalKind {
    /// CoovaChilli and its relatives (ChilliSpot, the UAM of many OpenWrt hotspots).
    CoovaChilli,
    /// WILI-S access controllers.
    Wili,
}

impl PortalKind {
    /// The `kind` value in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CoovaChilli => "coovachilli",
            Self::Wili => "wili",
        }
    }
}

impl PortalConfig {
    /// The controller family.
    pub fn kind(&self) -> PortalKind {
        match self {
            Self::Coovachilli(_) => PortalKind::CoovaChilli,
            Self::Wili(_) => PortalKind::Wili,
        }
    }

    /// The NAS identifiers this portal serves (empty: any).
    pub fn nas_ids(&self) -> &[String] {
        match self {
            Self::Coovachilli(c) => &c.nas_ids,
            Self::Wili(c) => &c.nas_ids,
        }
    }

    /// The controller addresses (IPs or CIDR networks) this portal serves (empty: any).
    pub fn addresses(&self) -> &[String] {
        match self {
            Self::Coovachilli(c) => &c.addresses,
            Self::Wili(c) => &c.addresses,
        }
    }

    /// Checks the settings; the message names the key.
    pub fn validate(&self, name: &str) -> Result<(), String> {
        check_name_and_addresses(name, self.addresses())?;
        match self {
            Self::Coovachilli(c) => {
                if c.uamsecret.is_empty() && !c.allow_unsigned {
                    return Err(format!(
                        "portals.{name}.uamsecret: set the controller's uamsecret (or allow_unsigned = true to accept redirects anyone can forge)"
                    ));
                }
                Ok(())
            }
            Self::Wili(c) => {
                if c.secret.is_empty() {
                    return Err(format!(
                        "portals.{name}.secret: the shared secret configured on the controller is required"
                    ));
                }
                if !(1..=2).contains(&c.version) {
                    return Err(format!("portals.{name}.version: 1 or 2"));
                }
                if c.version == 1 && c.ca_file.is_empty() && c.certificate_sha256.is_empty() {
                    return Err(format!(
                        "portals.{name}: portal version 1 calls the controller over HTTPS; set ca_file (the CA that signed its certificate) or certificate_sha256 (its fingerprint) — owums never turns certificate checks off"
                    ));
                }
                if !c.certificate_sha256.is_empty()
                    && parse_fingerprint(&c.certificate_sha256).is_none()
                {
                    return Err(format!(
                        "portals.{name}.certificate_sha256: 64 hex digits (colons allowed), the SHA-256 of the controller's certificate"
                    ));
                }
                if c.login_format != LoginFormat::Username && c.domain.is_empty() {
                    return Err(format!(
                        "portals.{name}.domain: the WISP domain the login format {:?} adds",
                        c.login_format
                    ));
                }
                if c.timeout_seconds == 0 || c.timeout_seconds > 60 {
                    return Err(format!("portals.{name}.timeout_seconds: 1–60"));
                }
                Ok(())
            }
        }
    }
}

/// How the browser logs on at a CoovaChilli controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoovaLogon {
    /// A CHAP response (RADIUS gets CHAP-Password): needs FreeRADIUS to know the cleartext
    /// password (`[radius] password_format = "cleartext"`, or REST mode).
    Chap,
    /// The password encoded with the challenge (RADIUS gets User-Password): works with every
    /// password format. The default.
    #[default]
    Pap,
}

/// `kind = "coovachilli"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoovaConfig {
    /// The controller's `uamsecret`: checks the redirect's `md` and keys the CHAP/PAP
    /// encoding. Empty: redirects are not signed (only with `allow_unsigned = true`).
    pub uamsecret: String,
    /// Accept a controller without a `uamsecret`: its redirects are unsigned, so anyone can
    /// forge one (false by default).
    pub allow_unsigned: bool,
    /// CHAP or PAP (the default).
    pub logon: CoovaLogon,
    /// The `uamserver` exactly as configured on the controller — the start of the URL the
    /// `md` checksum covers. Empty: the public URL of owums followed by
    /// `/portal/<name>/login`.
    pub uamserver: String,
    /// NAS identifiers this portal serves (`nasid`); empty: any.
    pub nas_ids: Vec<String>,
    /// Controller addresses (`uamip`) this portal serves; empty: any.
    pub addresses: Vec<String>,
    /// The controller's address as the browser reaches it for `/logon` when it differs from
    /// `uamip:uamport` (empty: from the redirect).
    pub uam_address: String,
}

impl Default for CoovaConfig {
    fn default() -> Self {
        Self {
            uamsecret: String::new(),
            allow_unsigned: false,
            logon: CoovaLogon::Pap,
            uamserver: String::new(),
            nas_ids: Vec::new(),
            addresses: Vec::new(),
            uam_address: String::new(),
        }
    }
}

/// How a WILI-S controller expects the username (its per-domain AAA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LoginFormat {
    /// `username` as typed.
    #[default]
    #[serde(rename = "username")]
    Username,
    /// `username@WISPdomain`.
    #[serde(rename = "username@domain")]
    UserAtDomain,
    /// `WISPdomain/username`.
    #[serde(rename = "domain/username")]
    DomainSlashUser,
}

/// `kind = "wili"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WiliConfig {
    /// The shared secret configured on the controller for remote authentication.
    pub secret: String,
    /// Portal version: 1 (owums calls the controller) or 2 (the browser goes back to it).
    pub version: u8,
    /// Where owums connects to call the controller when that differs from the redirect's
    /// `%nasip:%wanport` (the controller behind NAT: the masquerading router's
    /// `host:port`). The `Host` header stays `%nasip:%wanport`, as the seed requires.
    pub connect: String,
    /// PEM file of the CA that signed the controller's certificate.
    pub ca_file: String,
    /// Or the SHA-256 fingerprint of the controller's certificate (hex, colons allowed).
    pub certificate_sha256: String,
    /// The name the controller's certificate is checked against with `ca_file` when it is
    /// not the address owums connects to (e.g. `wilibox.domain.com`).
    pub tls_name: String,
    /// `username`, `username@domain` or `domain/username`.
    pub login_format: LoginFormat,
    /// The WISP domain for the login formats that add one.
    pub domain: String,
    /// Seconds to wait for the controller (5 by default, 1–60).
    pub timeout_seconds: u64,
    /// NAS identifiers this portal serves (`%nasid`); empty: any.
    pub nas_ids: Vec<String>,
    /// Controller addresses (`%nasip`) this portal serves; empty: any.
    pub addresses: Vec<String>,
}

impl Default for WiliConfig {
    fn default() -> Self {
        Self {
            secret: String::new(),
            version: 1,
            connect: String::new(),
            ca_file: String::new(),
            certificate_sha256: String::new(),
            tls_name: String::new(),
            login_format: LoginFormat::Username,
            domain: String::new(),
            timeout_seconds: 5,
            nas_ids: Vec::new(),
            addresses: Vec::new(),
        }
    }
}

/// Checks what every portal has, whichever family: its name (1–32 of `a-z 0-9 _ -`, as it
/// is part of its login URL) and its `addresses` (IP addresses or networks).
pub fn check_name_and_addresses(name: &str, addresses: &[String]) -> Result<(), String> {
    let valid_name = !name.is_empty()
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !valid_name {
        return Err(format!(
            "portals.{name}: a portal's name is 1–32 of a-z 0-9 _ - (it is part of its login URL)"
        ));
    }
    for address in addresses {
        if address.parse::<IpNet>().is_err() && address.parse::<std::net::IpAddr>().is_err() {
            return Err(format!(
                "portals.{name}.addresses: {address:?} is not an IP address or network"
            ));
        }
    }
    Ok(())
}

/// A certificate fingerprint from hex (colons and spaces allowed).
pub fn parse_fingerprint(text: &str) -> Option<[u8; 32]> {
    let hex: String = text.chars().filter(|c| !matches!(c, ':' | ' ')).collect();
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}
