//! CoovaChilli-style UAM: the redirect with its `md` checksum, and logon by CHAP or PAP
//! with the password encoded server-side under the `uamsecret`.
//!
//! The controller redirects a new device to `<uamserver>?res=notyet&uamip=…&uamport=…
//! &challenge=…&mac=…&ip=…&nasid=…&userurl=…&md=…`, where `md` is the upper-case hex MD5 of
//! everything before `&md=` followed by the `uamsecret`. The browser logs on at
//! `http://uamip:uamport/logon?username=…&response=…` (CHAP) or `&password=…` (PAP); the
//! controller sends RADIUS an Access-Request and redirects the browser back to the portal
//! with `res=success` or `res=failed`.
//!
//! Keys (`reference/peers-and-protocols.md` §5.3): `K = MD5(challenge ‖ uamsecret)`, or the
//! challenge itself without a secret; CHAP `response = MD5(ident ‖ password ‖ K)`; PAP
//! `password = P XOR K` with K repeated over the password.

use async_trait::async_trait;
use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

use super::{
    Arrival, ArrivalState, BrowserMethod, BrowserRequest, CoovaConfig, CoovaLogon, Credentials,
    PortalAdapter, PortalError, Redirect, Step, controller_address, ip_param, normalise_mac, param,
    query_pairs, short_param, web_url,
};

/// The upper-case hex MD5 of `url` followed by `secret`: CoovaChilli's `md`.
pub fn md_checksum(url: &str, secret: &str) -> String {
    let mut md5 = Md5::new();
    md5.update(url.as_bytes());
    md5.update(secret.as_bytes());
    hex_upper(&md5.finalize())
}

/// Checks the `md` at the end of a redirect's raw query.
///
/// `uamserver` is the portal URL as configured on the controller; the controller appended
/// `?` (or `&` when the URL already holds a query) and the parameters, then `&md=`.
pub fn check_md(uamserver: &str, query: &str, secret: &str) -> Result<(), PortalError> {
    let Some(at) = query.rfind("&md=") else {
        return Err(PortalError::MissingParameter("md"));
    };
    // an `md` of another length or with other characters cannot equal the checksum
    let (signed, md) = (&query[..at], &query[at + 4..]);
    let separator = if uamserver.contains('?') { '&' } else { '?' };
    let expected = md_checksum(&format!("{uamserver}{separator}{signed}"), secret);
    if bool::from(
        expected
            .as_bytes()
            .ct_eq(md.to_ascii_uppercase().as_bytes()),
    ) {
        Ok(())
    } else {
        Err(PortalError::Tampered)
    }
}

/// The challenge's 16 bytes from its 32 hex digits.
pub fn parse_challenge(hex: &str) -> Option<[u8; 16]> {
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The key CHAP and PAP use: `MD5(challenge ‖ uamsecret)`, or the challenge itself when
/// there is no secret.
pub fn logon_key(challenge: &[u8; 16], uamsecret: &str) -> [u8; 16] {
    if uamsecret.is_empty() {
        return *challenge;
    }
    let mut md5 = Md5::new();
    md5.update(challenge);
    md5.update(uamsecret.as_bytes());
    md5.finalize().into()
}

/// The CHAP `response` (lower-case hex) for `/logon`: `MD5(ident ‖ password ‖ key)`.
pub fn chap_response(key: &[u8; 16], password: &str, ident: u8) -> String {
    let mut md5 = Md5::new();
    md5.update([ident]);
    md5.update(password.as_bytes());
    md5.update(key);
    hex_lower(&md5.finalize())
}

/// The PAP `password` (lower-case hex) for `/logon`: each password byte XOR the key, the key
/// repeated over passwords longer than 16 bytes (as `chilli_response -pap` does).
pub fn pap_password(key: &[u8; 16], password: &str) -> String {
    let bytes: Vec<u8> = password
        .bytes()
        .enumerate()
        .map(|(i, b)| b ^ key[i % 16])
        .collect();
    hex_lower(&bytes)
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// A CoovaChilli-style controller.
#[derive(Debug)]
pub struct CoovaAdapter {
    name: String,
    config: CoovaConfig,
    /// The `uamserver` the `md` covers.
    uamserver: String,
}

impl CoovaAdapter {
    /// The adapter for `[portals.<name>]`; `uamserver` is the login URL the controller is
    /// configured with (used when the configuration names none).
    pub fn new(name: &str, config: CoovaConfig, uamserver: String) -> Self {
        let uamserver = if config.uamserver.is_empty() {
            uamserver
        } else {
            config.uamserver.clone()
        };
        Self {
            name: name.to_owned(),
            config,
            uamserver,
        }
    }

    /// The URL the controller's `uamserver` option must hold.
    pub fn uamserver(&self) -> &str {
        &self.uamserver
    }

    fn base(&self, arrival: &Arrival) -> Result<String, PortalError> {
        if !self.config.uam_address.is_empty() {
            return Ok(format!("http://{}", self.config.uam_address));
        }
        arrival
            .controller
            .as_ref()
            .map(|c| format!("http://{c}"))
            .ok_or(PortalError::MissingParameter("uamip"))
    }
}

/// Reads `res` (and `reason` for `failed`).
fn state(pairs: &[(String, String)]) -> Result<ArrivalState, PortalError> {
    Ok(match param(pairs, "res").unwrap_or("notyet") {
        "notyet" | "wispr" | "smartclient" | "popup1" | "popup2" | "popup3" => ArrivalState::NotYet,
        "already" => ArrivalState::Already,
        "success" => ArrivalState::Success,
        "failed" => ArrivalState::Failed(
            param(pairs, "reason")
                .filter(|r| matches!(*r, "reject" | "timeout" | "mtu" | "other"))
                .map(str::to_owned),
        ),
        "logoff" => ArrivalState::Logoff,
        "splash" => ArrivalState::Splash,
        _ => return Err(PortalError::BadParameter("res")),
    })
}

#[async_trait]
impl PortalAdapter for CoovaAdapter {
    fn name(&self) -> &str {
        &self.name
    }

    fn arrival(&self, redirect: &Redirect<'_>) -> Result<Arrival, PortalError> {
        let pairs = query_pairs(redirect.query)?;
        if !self.config.uamsecret.is_empty() {
            check_md(&self.uamserver, redirect.query, &self.config.uamsecret)?;
        }
        let state = state(&pairs)?;
        let uamip = param(&pairs, "uamip").ok_or(PortalError::MissingParameter("uamip"))?;
        let uamport = param(&pairs, "uamport").ok_or(PortalError::MissingParameter("uamport"))?;
        let controller =
            controller_address(uamip, uamport).ok_or(PortalError::BadParameter("uamip"))?;
        let challenge = match param(&pairs, "challenge") {
            Some(c) if parse_challenge(c).is_some() => Some(c.to_ascii_lowercase()),
            Some(_) => return Err(PortalError::BadParameter("challenge")),
            None if state == ArrivalState::NotYet => {
                return Err(PortalError::MissingParameter("challenge"));
            }
            None => None,
        };
        let client_mac = match param(&pairs, "mac") {
            Some(m) => Some(normalise_mac(m).ok_or(PortalError::BadParameter("mac"))?),
            None => None,
        };
        let reply = param(&pairs, "reply")
            .filter(|r| r.len() <= 253)
            .map(|r| r.chars().filter(|c| !c.is_control()).collect());
        Ok(Arrival {
            portal: self.name.clone(),
            state,
            client_ip: ip_param(&pairs, "ip")?.or(redirect.peer),
            client_mac,
            nas_id: short_param(&pairs, "nasid")?,
            controller: Some(controller),
            interface: None,
            original_url: param(&pairs, "userurl").and_then(web_url),
            lang: short_param(&pairs, "lang")?,
            challenge,
            session_id: short_param(&pairs, "sessionid")?,
            reply,
        })
    }

    async fn logon(
        &self,
        arrival: &Arrival,
        credentials: &Credentials,
    ) -> Result<Step, PortalError> {
        let challenge = arrival
            .challenge
            .as_deref()
            .and_then(parse_challenge)
            .ok_or(PortalError::MissingParameter("challenge"))?;
        let key = logon_key(&challenge, &self.config.uamsecret);
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("username", &credentials.username);
        match self.config.logon {
            CoovaLogon::Chap => {
                query.append_pair("response", &chap_response(&key, &credentials.password, 0))
            }
            CoovaLogon::Pap => {
                query.append_pair("password", &pap_password(&key, &credentials.password))
            }
        };
        if let Some(url) = &arrival.original_url {
            query.append_pair("userurl", url);
        }
        if let Some(lang) = &arrival.lang {
            query.append_pair("lang", lang);
        }
        Ok(Step::Browser(BrowserRequest {
            method: BrowserMethod::Get,
            url: format!("{}/logon?{}", self.base(arrival)?, query.finish()),
            fields: Vec::new(),
        }))
    }

    async fn logoff(&self, arrival: &Arrival, _username: &str) -> Result<Step, PortalError> {
        Ok(Step::Browser(BrowserRequest {
            method: BrowserMethod::Get,
            url: format!("{}/logoff", self.base(arrival)?),
            fields: Vec::new(),
        }))
    }

    async fn status(&self, arrival: &Arrival, _username: &str) -> Result<Step, PortalError> {
        Ok(Step::Browser(BrowserRequest {
            method: BrowserMethod::Get,
            url: format!("{}/json/status", self.base(arrival)?),
            fields: Vec::new(),
        }))
    }
}
