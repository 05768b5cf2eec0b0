//! `[freeradius]` (the REST API FreeRADIUS' `rlm_rest` calls) and `[accounting]` (where
//! accounting events go besides `radacct`).
//!
//! Neither matters in SQL mode, where FreeRADIUS reads and writes the database itself.
//! In REST mode these keys decide who may call the endpoints, how authorize answers, how
//! long its caches keep what they read ([`crate::radius`]), and which secondary sinks get a
//! copy of every accounting event ([`crate::accounting::AccountingPipeline`]).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// `[freeradius]`: the REST API for FreeRADIUS' `rlm_rest`. Off while `token` is empty.
///
/// Its `Debug` masks the token.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FreeradiusConfig {
    /// The bearer token FreeRADIUS sends (`Authorization: Bearer <token>`, or openwisp-radius'
    /// `Bearer <organization-uuid> <token>`). Empty: the endpoints do not exist.
    pub token: String,
    /// Addresses allowed to call the API: IPs or CIDRs (the local host by default). A
    /// request from elsewhere is refused before its token is looked at.
    pub allowed_hosts: Vec<String>,
    /// Reply attribute that carries the remaining traffic of a traffic counter
    /// (`CoovaChilli-Max-Total-Octets` by default; use your NAS's own).
    pub traffic_reply_attribute: String,
    /// A username that is the MAC address of a device with an open session logs in as that
    /// session's user, without a password (openwisp-radius' MAC roaming).
    pub mac_roaming: bool,
    /// Answer a failed authorize with 401 `{"control:Auth-Type": "Reject"}` instead of
    /// 200 with an empty body (openwisp-radius' `API_AUTHORIZE_REJECT`).
    pub authorize_reject: bool,
    /// Entries in the cache of recent successful password checks (0: no cache); see
    /// [`CredentialCache`](crate::radius::CredentialCache).
    pub credential_cache_size: usize,
    /// Seconds a cached password check stays valid (300 by default). A password change
    /// invalidates it at once whatever this says.
    pub credential_cache_ttl_seconds: u64,
    /// Login names whose authorize reads (user, RADIUS profile, usage) are kept (0: none);
    /// see [`AuthorizeCache`](crate::radius::AuthorizeCache).
    pub authorize_cache_size: usize,
    /// Milliseconds authorize answers a login name from those reads (0: none). Changes made
    /// by other processes and new accounting reach authorize within this time.
    pub authorize_cache_ms: u64,
    /// Keep in `radpostauth` the password of a reject when authorize found it wrong (never a
    /// correct one, whatever else refused the user). Off: no password is ever kept.
    pub postauth_keep_wrong_passwords: bool,
}

impl Default for FreeradiusConfig {
    fn default() -> Self {
        FreeradiusConfig {
            token: String::new(),
            allowed_hosts: vec!["127.0.0.1/32".to_owned(), "::1/128".to_owned()],
            traffic_reply_attribute: "CoovaChilli-Max-Total-Octets".to_owned(),
            mac_roaming: false,
            authorize_reject: false,
            credential_cache_size: 10_000,
            credential_cache_ttl_seconds: 300,
            authorize_cache_size: 10_000,
            authorize_cache_ms: 1_000,
            postauth_keep_wrong_passwords: false,
        }
    }
}

impl std::fmt::Debug for FreeradiusConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FreeradiusConfig")
            .field(
                "token",
                &if self.token.is_empty() {
                    ""
                } else {
                    "********"
                },
            )
            .field("allowed_hosts", &self.allowed_hosts)
            .field("traffic_reply_attribute", &self.traffic_reply_attribute)
            .field("mac_roaming", &self.mac_roaming)
            .field("authorize_reject", &self.authorize_reject)
            .field("credential_cache_size", &self.credential_cache_size)
            .field(
                "credential_cache_ttl_seconds",
                &self.credential_cache_ttl_seconds,
            )
            .field("authorize_cache_size", &self.authorize_cache_size)
            .field("authorize_cache_ms", &self.authorize_cache_ms)
            .field(
                "postauth_keep_wrong_passwords",
                &self.postauth_keep_wrong_passwords,
            )
            .finish()
    }
}

impl FreeradiusConfig {
    /// Whether the REST API is on (a token is set).
    pub fn enabled(&self) -> bool {
        !self.token.is_empty()
    }

    /// The allowed networks, parsed.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the first entry that is not an address or a CIDR.
    pub fn allowed_networks(&self) -> Result<Vec<IpNet>> {
        self.allowed_hosts.iter().map(|h| IpNet::parse(h)).collect()
    }

    pub(crate) fn validate(&self) -> Result<()> {
        self.allowed_networks()?;
        if self.enabled() && self.token.chars().any(char::is_whitespace) {
            return Err(Error::Config(
                "freeradius.token may not contain spaces".to_owned(),
            ));
        }
        if self.traffic_reply_attribute.trim().is_empty() {
            return Err(Error::Config(
                "freeradius.traffic_reply_attribute may not be empty".to_owned(),
            ));
        }
        Ok(())
    }
}

/// An IP network (`10.0.0.0/8`, `::1/128`; a bare address is a single host).
///
/// ```
/// use owums_core::config::IpNet;
/// let lan = IpNet::parse("10.1.0.0/16")?;
/// assert!(lan.contains("10.1.200.3".parse().unwrap()));
/// assert!(!lan.contains("10.2.0.1".parse().unwrap()));
/// // An IPv4 client seen on a dual-stack socket still matches an IPv4 network.
/// assert!(IpNet::parse("127.0.0.1")?.contains("::ffff:127.0.0.1".parse().unwrap()));
/// # Ok::<(), owums_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses `address[/prefix]`; bits of the address beyond the prefix are ignored.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] (it reads `freeradius.allowed_hosts`) for anything else, or a
    /// prefix longer than the address.
    pub fn parse(s: &str) -> Result<IpNet> {
        let bad = || {
            Error::Config(format!(
                "freeradius.allowed_hosts: `{s}` is not an IP address or CIDR"
            ))
        };
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(bad());
        }
        Ok(IpNet { addr, prefix })
    }

    /// Whether `ip` is inside this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_eq(
                u128::from(net.to_bits()),
                u128::from(ip.to_bits()),
                32,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(net.to_bits(), ip.to_bits(), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_eq(a: u128, b: u128, bits: u8, prefix: u8) -> bool {
    let shift = u32::from(bits - prefix);
    if shift >= 128 {
        return true;
    }
    (a >> shift) == (b >> shift)
}

/// `[accounting]`: secondary sinks that receive every accounting event after `radacct`.
///
/// A secondary sink never delays or fails the answer to FreeRADIUS: each has a bounded
/// queue and retries with backoff (see
/// [`AccountingPipeline`](crate::accounting::AccountingPipeline)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountingConfig {
    /// Secondary sinks (`radacct` is always the primary).
    pub sinks: Vec<SinkConfig>,
    /// Events a secondary sink may have waiting before the oldest are dropped (with a warning).
    pub queue_size: usize,
    /// Longest wait between retries of a failing secondary sink, in seconds.
    pub max_backoff_seconds: u64,
}

impl Default for AccountingConfig {
    fn default() -> Self {
        AccountingConfig {
            sinks: Vec::new(),
            queue_size: 10_000,
            max_backoff_seconds: 60,
        }
    }
}

/// One secondary accounting sink, an entry of `[accounting] sinks`: its `kind` and the
/// kind's own settings, kept as a JSON object until the sink's factory reads them.
///
/// The kind is `json_lines`, `webhook`, or the id of a sink a plugin registered
/// ([`AccountingSinkFactory`](crate::plugin::AccountingSinkFactory)); the registry
/// checks and builds it ([`PluginRegistry::check_sinks`](crate::PluginRegistry::check_sinks)).
///
/// ```
/// let config: owums_core::Config = toml::from_str(r#"
/// [accounting]
/// sinks = [{ kind = "json_lines", path = "/var/log/owums/accounting.jsonl" }]
/// "#).unwrap();
/// let sink = &config.accounting.sinks[0];
/// assert_eq!(sink.kind, "json_lines");
/// assert_eq!(sink.settings["path"], "/var/log/owums/accounting.jsonl");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinkConfig {
    /// Which factory builds the sink.
    pub kind: String,
    /// Every other key of the entry, for the factory to read.
    #[serde(flatten)]
    pub settings: serde_json::Map<String, serde_json::Value>,
}

impl SinkConfig {
    /// An entry of `kind` with `settings` (a JSON object; anything else gives no settings).
    pub fn new(kind: &str, settings: serde_json::Value) -> Self {
        SinkConfig {
            kind: kind.to_owned(),
            settings: match settings {
                serde_json::Value::Object(map) => map,
                _ => serde_json::Map::new(),
            },
        }
    }

    /// The settings as the JSON object a factory is given.
    pub fn settings_json(&self) -> serde_json::Value {
        serde_json::Value::Object(self.settings.clone())
    }
}

impl AccountingConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        for (i, s) in self.sinks.iter().enumerate() {
            if s.kind.trim().is_empty() {
                return Err(Error::Config(format!(
                    "accounting.sinks[{i}].kind: must name a sink kind"
                )));
            }
        }
        if self.queue_size == 0 {
            return Err(Error::Config(
                "accounting.queue_size must be at least 1".to_owned(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_match() {
        let lo = IpNet::parse("127.0.0.1/32").unwrap();
        assert!(lo.contains("127.0.0.1".parse().unwrap()));
        assert!(lo.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!lo.contains("127.0.0.2".parse().unwrap()));
        let lan = IpNet::parse("10.1.0.0/16").unwrap();
        assert!(lan.contains("10.1.200.3".parse().unwrap()));
        assert!(!lan.contains("10.2.0.1".parse().unwrap()));
        assert!(
            IpNet::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            IpNet::parse("::1")
                .unwrap()
                .contains("::1".parse().unwrap())
        );
        assert!(
            !IpNet::parse("::1/128")
                .unwrap()
                .contains("127.0.0.1".parse().unwrap())
        );
        for bad in ["10.0.0.0/33", "nope", "10.0.0.1/", "::1/129"] {
            assert!(IpNet::parse(bad).is_err(), "{bad}");
        }
    }
}
