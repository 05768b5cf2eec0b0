//! `[plugins.sip]`: the settings as written, and their checked form.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ipnet::IpNet;
use owums_core::{Error, PhoneNumber, Result};
use serde::Deserialize;

/// The `[plugins.sip]` table (without `enabled`/`required`, which the host reads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SipConfig {
    /// UDP address the busy machine listens on.
    pub listen: String,
    /// Media gateways and SIP proxies allowed to send calls: IP addresses or CIDR blocks.
    /// Datagrams from anyone else are dropped without a reply.
    pub allowed_peers: Vec<String>,
    /// Numbers subscribers call (shown on the verification page, as written here).
    pub numbers: Vec<String>,
    /// Seconds the phone rings before the busy tone.
    pub ring_seconds: u64,
    /// Seconds a new subscriber has to call before the registration is deleted; also the
    /// window of a password recovery by phone.
    pub registration_expire_seconds: u64,
    /// Country code (digits) that national caller IDs and numbers belong to, e.g. `39`.
    pub default_country_code: String,
}

impl Default for SipConfig {
    fn default() -> Self {
        SipConfig {
            listen: "0.0.0.0:5060".to_owned(),
            allowed_peers: Vec::new(),
            numbers: Vec::new(),
            ring_seconds: 8,
            registration_expire_seconds: 300,
            default_country_code: String::new(),
        }
    }
}

/// The checked settings the listener and the verifier use.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) listen: SocketAddr,
    pub(crate) allowed_peers: Vec<IpNet>,
    /// As written (for the page) and normalised (for matching).
    pub(crate) numbers: Vec<(String, PhoneNumber)>,
    pub(crate) ring: Duration,
    pub(crate) registration_expire: Duration,
    pub(crate) country_code: Option<String>,
}

fn bad(key: &str, why: impl std::fmt::Display) -> Error {
    owums_core::plugin::setting_error(crate::ID, key, why)
}

impl SipConfig {
    /// Reads the plugin's table; unknown keys and wrong types are errors naming the key.
    pub fn from_json(value: serde_json::Value) -> Result<SipConfig> {
        owums_core::plugin::parse_settings(crate::ID, value)
    }

    /// Checks every value as `owums serve` does when it builds the plugin (`owums
    /// check-config` uses it): the error names the key and the value.
    pub fn validate(&self) -> Result<()> {
        self.check().map(drop)
    }

    pub(crate) fn check(&self) -> Result<Settings> {
        let listen: SocketAddr = self.listen.parse().map_err(|_| {
            bad(
                "listen",
                format!("`{}` is not an IP:port address", self.listen),
            )
        })?;
        let country_code = match self.default_country_code.trim() {
            "" => None,
            cc if cc.len() <= 3
                && cc.chars().all(|c| c.is_ascii_digit())
                && !cc.starts_with('0') =>
            {
                Some(cc.to_owned())
            }
            cc => {
                return Err(bad(
                    "default_country_code",
                    format!("`{cc}` is not a country code (1 to 3 digits, e.g. \"39\")"),
                ));
            }
        };
        if self.allowed_peers.is_empty() {
            return Err(bad(
                "allowed_peers",
                "list the media gateways or SIP proxies that may send calls",
            ));
        }
        let allowed_peers = self
            .allowed_peers
            .iter()
            .map(|p| parse_peer(p))
            .collect::<Result<Vec<_>>>()?;
        if self.numbers.is_empty() {
            return Err(bad("numbers", "give at least one number subscribers call"));
        }
        let numbers = self
            .numbers
            .iter()
            .map(|n| {
                PhoneNumber::parse_with_country(n, country_code.as_deref())
                    .map(|p| (n.trim().to_owned(), p))
                    .map_err(|e| bad("numbers", format!("`{n}`: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        if !(1..=60).contains(&self.ring_seconds) {
            return Err(bad("ring_seconds", "must be between 1 and 60"));
        }
        if self.registration_expire_seconds < 30 {
            return Err(bad("registration_expire_seconds", "must be at least 30"));
        }
        Ok(Settings {
            listen,
            allowed_peers,
            numbers,
            ring: Duration::from_secs(self.ring_seconds),
            registration_expire: Duration::from_secs(self.registration_expire_seconds),
            country_code,
        })
    }
}

fn parse_peer(p: &str) -> Result<IpNet> {
    let p = p.trim();
    if let Ok(ip) = p.parse::<IpAddr>() {
        return Ok(IpNet::from(ip));
    }
    p.parse::<IpNet>().map(|n| n.trunc()).map_err(|_| {
        bad(
            "allowed_peers",
            format!("`{p}` is neither an IP address nor a CIDR block like 198.51.100.0/24"),
        )
    })
}

impl Settings {
    /// Whether datagrams from `ip` are answered.
    pub(crate) fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.allowed_peers.iter().any(|n| n.contains(&ip))
    }

    /// Whether `number` is one of the configured numbers.
    pub(crate) fn is_our_number(&self, number: &PhoneNumber) -> bool {
        self.numbers.iter().any(|(_, n)| n == number)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn config() -> SipConfig {
        SipConfig {
            listen: "127.0.0.1:5060".into(),
            allowed_peers: vec!["192.0.2.10".into(), "198.51.100.0/24".into()],
            numbers: vec!["+39 06 1234567".into()],
            default_country_code: "39".into(),
            ..SipConfig::default()
        }
    }

    #[test]
    fn check_valid_config_reads_peers_and_numbers() {
        let s = config().check().unwrap();
        assert!(s.allows("192.0.2.10".parse().unwrap()));
        assert!(s.allows("198.51.100.77".parse().unwrap()));
        assert!(s.allows("::ffff:198.51.100.1".parse().unwrap()));
        assert!(!s.allows("192.0.2.11".parse().unwrap()));
        assert_eq!(s.numbers[0].1.as_str(), "+39061234567");
        let national = PhoneNumber::parse_with_country("06 1234567", Some("39")).unwrap();
        assert!(s.is_our_number(&national));
    }

    #[test]
    fn check_bad_values_name_the_key() {
        let mut c = config();
        c.allowed_peers.push("10.0.0.0/33".into());
        let e = c.check().unwrap_err().to_string();
        assert!(
            e.contains("allowed_peers") && e.contains("10.0.0.0/33"),
            "{e}"
        );
        let mut c = config();
        c.numbers = vec!["call me".into()];
        let e = c.check().unwrap_err().to_string();
        assert!(e.contains("numbers") && e.contains("call me"), "{e}");
        let mut c = config();
        c.listen = "5060".into();
        assert!(c.check().unwrap_err().to_string().contains("listen"));
        let mut c = config();
        c.default_country_code = "+39".into();
        assert!(
            c.check()
                .unwrap_err()
                .to_string()
                .contains("default_country_code")
        );
        let mut c = config();
        c.ring_seconds = 0;
        assert!(c.check().unwrap_err().to_string().contains("ring_seconds"));
    }

    #[test]
    fn from_json_unknown_key_is_an_error() {
        let e = SipConfig::from_json(serde_json::json!({ "lissen": "x" })).unwrap_err();
        assert!(e.to_string().contains("lissen"), "{e}");
    }
}
