//! [`MacAddress`]: a device's hardware address, as subscribers type it and as access
//! controllers send it in `User-Name` for MAC authentication.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};

/// The longest text [`MacAddress::parse`] looks at (a MAC with a few spaces around it).
pub const MAX_MAC_INPUT: usize = 64;

/// A device's MAC address (EUI-48), unicast and not all zeros.
///
/// It parses the spellings subscribers and access controllers use, in any letter case and
/// with spaces around: `AA-BB-CC-DD-EE-FF` (CoovaChilli's `macauth` User-Name, Windows),
/// `aa:bb:cc:dd:ee:ff` (Linux, macOS, Android), `aabbccddeeff` and `AABB.CCDD.EEFF` (Cisco).
/// One separator throughout: `aa:bb-cc…` is refused. It shows as `AA-BB-CC-DD-EE-FF`, the
/// form owums stores and FreeRADIUS finds in its views.
///
/// ```
/// use owums_core::MacAddress;
/// let mac = MacAddress::parse("aa:bb:cc:dd:ee:f0")?;
/// assert_eq!(mac.to_string(), "AA-BB-CC-DD-EE-F0");
/// assert_eq!(MacAddress::parse("AABB.CCDD.EEF0")?, mac);
/// assert_eq!(MacAddress::parse(" aabbccddeef0 ")?, mac);
/// assert!(MacAddress::parse("aa:bb:cc:dd:ee").is_err());
/// assert!(MacAddress::parse("ff:ff:ff:ff:ff:ff").is_err(), "broadcast is no device");
/// # Ok::<(), owums_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MacAddress([u8; 6]);

impl MacAddress {
    /// Reads a MAC address in one of the spellings above.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] on field `mac` with [`Problem::BadFormat`]: not one of the
    /// spellings, mixed separators, a group (multicast or broadcast) address or all zeros.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || {
            Error::refused(
                "mac",
                Problem::BadFormat,
                "is not a MAC address (AA-BB-CC-DD-EE-FF, aa:bb:cc:dd:ee:ff, aabbccddeeff or AABB.CCDD.EEFF)",
            )
        };
        if s.len() > MAX_MAC_INPUT {
            return Err(bad());
        }
        let bytes = parse_octets(s.trim().as_bytes()).ok_or_else(bad)?;
        if bytes == [0; 6] || bytes[0] & 1 == 1 {
            return Err(Error::refused(
                "mac",
                Problem::BadFormat,
                "is not the address of one device (all zeros, multicast or broadcast)",
            ));
        }
        Ok(MacAddress(bytes))
    }

    /// The six octets.
    pub fn octets(&self) -> [u8; 6] {
        self.0
    }

    /// Whether `s` is spelled like a MAC address, device or not: what a `User-Name` of MAC
    /// authentication looks like.
    pub fn looks_like(s: &str) -> bool {
        s.len() <= MAX_MAC_INPUT && parse_octets(s.trim().as_bytes()).is_some()
    }
}

/// The value of one hexadecimal digit.
fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The twelve digits of `s` once the separators of its spelling are taken out.
fn digits(s: &[u8]) -> Option<[u8; 12]> {
    let (group, sep) = match s.len() {
        12 => (12, 0),
        14 => (4, b'.'),
        17 => (2, s[2]),
        _ => return None,
    };
    if group == 2 && sep != b'-' && sep != b':' {
        return None;
    }
    let mut out = [0u8; 12];
    let mut n = 0;
    for (i, &c) in s.iter().enumerate() {
        // every (group + 1)-th character is the separator, and nothing else is
        if group < 12 && i % (group + 1) == group {
            if c != sep {
                return None;
            }
            continue;
        }
        out[n] = hex(c)?;
        n += 1;
    }
    (n == 12).then_some(out)
}

fn parse_octets(s: &[u8]) -> Option<[u8; 6]> {
    let d = digits(s)?;
    let mut bytes = [0u8; 6];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = d[2 * i] << 4 | d[2 * i + 1];
    }
    Some(bytes)
}

impl fmt::Display for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02X}-{b:02X}-{c:02X}-{d:02X}-{e:02X}-{g:02X}")
    }
}

impl FromStr for MacAddress {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        MacAddress::parse(s)
    }
}

impl TryFrom<String> for MacAddress {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        MacAddress::parse(&s)
    }
}

impl From<MacAddress> for String {
    fn from(m: MacAddress) -> String {
        m.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANON: &str = "AA-BB-CC-DD-EE-F0";

    #[test]
    fn parse_every_spelling_is_one_address() {
        for s in [
            "AA-BB-CC-DD-EE-F0",
            "aa-bb-cc-dd-ee-f0",
            "aa:bb:cc:dd:ee:f0",
            "AA:BB:CC:DD:EE:F0",
            "aabbccddeef0",
            "AABBCCDDEEF0",
            "AABB.CCDD.EEF0",
            "aabb.ccdd.eef0",
            "  Aa:bB:cC:Dd:eE:F0\t",
        ] {
            assert_eq!(MacAddress::parse(s).unwrap().to_string(), CANON, "{s}");
        }
    }

    #[test]
    fn parse_garbage_is_bad_format() {
        for s in [
            "",
            "aa",
            "aa:bb:cc:dd:ee",
            "aa:bb:cc:dd:ee:f0:11",
            "aa:bb-cc:dd:ee:f0",
            "aa.bb.cc.dd.ee.f0",
            "aabb:ccdd:eef0",
            "aabb.ccdd-eef0",
            "gg:bb:cc:dd:ee:f0",
            "aabbccddeef",
            "aabbccddeef0a",
            "aa bb cc dd ee f0",
            "aa:bb:cc:dd:ee:f\u{e9}",
            "+a:bb:cc:dd:ee:f0",
            "aa_bb_cc_dd_ee_f0",
            "aa:bb:cc:dd:ee:f0\0",
            "bob\"e\"i'o;a\u{fc}",
        ] {
            let e = MacAddress::parse(s).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Invalid {
                        field: "mac",
                        problem: Problem::BadFormat,
                        ..
                    }
                ),
                "{s:?}: {e}"
            );
            assert!(!MacAddress::looks_like(s), "{s:?}");
        }
        assert!(MacAddress::parse(&"a".repeat(10_000)).is_err());
    }

    #[test]
    fn parse_group_or_zero_address_is_refused() {
        for s in [
            "00:00:00:00:00:00",
            "ff:ff:ff:ff:ff:ff",
            "01:00:5e:00:00:01",
        ] {
            assert!(MacAddress::parse(s).is_err(), "{s}");
            assert!(MacAddress::looks_like(s), "{s}");
        }
        // locally administered (a phone's private address) is a device
        assert!(MacAddress::parse("02:00:00:00:00:01").is_ok());
        assert!(MacAddress::parse("da:a1:19:00:00:01").is_ok());
    }

    #[test]
    fn display_round_trips() {
        let mac = MacAddress::parse("0a:1b:2c:3d:4e:5f").unwrap();
        assert_eq!(mac.to_string(), "0A-1B-2C-3D-4E-5F");
        assert_eq!(mac.to_string().parse::<MacAddress>().unwrap(), mac);
        assert_eq!(mac.octets(), [0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f]);
        let json = serde_json::to_string(&mac).unwrap();
        assert_eq!(json, "\"0A-1B-2C-3D-4E-5F\"");
        assert_eq!(serde_json::from_str::<MacAddress>(&json).unwrap(), mac);
        assert!(serde_json::from_str::<MacAddress>("\"nope\"").is_err());
    }
}
