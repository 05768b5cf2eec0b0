//! Which access point a device is on, and OWUMS' `convert_radius_accountings`: when every
//! access point reaches the NAS through one tunnel, `Called-Station-Id` names the tunnel, not
//! the access point; an access-point lookup (OWUMS asked OWMW) rewrites it to
//! `AP-MAC:original` so statistics can be grouped by access point.

use crate::error::Result;
use crate::storage::Store;

/// Finds the access point a client device is associated with.
#[async_trait::async_trait]
pub trait AccessPointLookup: Send + Sync {
    /// The MAC address of the access point `client_mac` (lowercase, `:`-separated) is on, or
    /// `None` when the lookup does not know the device.
    async fn access_point_of(&self, client_mac: &str) -> Result<Option<String>>;
}

/// `aa:bb:cc:dd:ee:ff` from any of `AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff`, `AABBCCDDEEFF`, …;
/// `None` if `s` is not a MAC address.
pub(crate) fn normalize_mac(s: &str) -> Option<String> {
    let hex: String = s
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.' | ' '))
        .collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let lower = hex.to_ascii_lowercase();
    Some(
        lower
            .as_bytes()
            .chunks(2)
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// OWUMS' rewritten value: the access point's MAC in upper case with `-`, a `:`, then the old
/// value with `:` turned into `-` and spaces removed (`00-26-B9-75-F2-1D:br-dwifi`).
pub(crate) fn converted_called_station_id(ap_mac: &str, old: &str) -> Option<String> {
    let ap = normalize_mac(ap_mac)?
        .to_ascii_uppercase()
        .replace(':', "-");
    Some(format!("{ap}:{}", old.replace(':', "-").replace(' ', "")))
}

/// What [`convert_called_station_ids`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConvertReport {
    /// Sessions rewritten.
    pub converted: usize,
    /// Sessions whose device the lookup did not know (left as they were).
    pub unknown: usize,
}

/// Rewrites the `Called-Station-Id` of open sessions started within the last 2 days that have
/// not been converted yet (17 characters or fewer), asking `lookup` for each device. An error
/// of the lookup (unreachable, refused credentials) stops the run; what was converted stays.
pub async fn convert_called_station_ids(
    store: &Store,
    lookup: &dyn AccessPointLookup,
    now: i64,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<ConvertReport> {
    let sessions = store.sessions_to_convert(now - 2 * 86_400).await?;
    let total = sessions.len() as u64;
    let mut report = ConvertReport::default();
    progress(0, total);
    for (i, s) in sessions.iter().enumerate() {
        let new = match normalize_mac(&s.callingstationid) {
            Some(mac) => lookup
                .access_point_of(&mac)
                .await?
                .and_then(|ap| converted_called_station_id(&ap, &s.calledstationid)),
            None => None,
        };
        match new {
            Some(value) => {
                store.set_called_station_id(s.radacctid, &value).await?;
                report.converted += 1;
            }
            None => report.unknown += 1,
        }
        progress(i as u64 + 1, total);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_forms() {
        assert_eq!(
            normalize_mac("AA-BB-CC-DD-EE-0F").as_deref(),
            Some("aa:bb:cc:dd:ee:0f")
        );
        assert_eq!(
            normalize_mac("aabb.ccdd.ee0f").as_deref(),
            Some("aa:bb:cc:dd:ee:0f")
        );
        assert_eq!(
            normalize_mac("AABBCCDDEE0F").as_deref(),
            Some("aa:bb:cc:dd:ee:0f")
        );
        assert_eq!(normalize_mac("AA-BB-CC-DD-EE"), None);
        assert_eq!(normalize_mac("zz:bb:cc:dd:ee:ff"), None);
        assert_eq!(normalize_mac(""), None);
    }

    #[test]
    fn owums_conversion_vector() {
        // OWUMS' test fixture value.
        assert_eq!(
            converted_called_station_id("00:26:b9:75:f2:1d", "br-dwifi").as_deref(),
            Some("00-26-B9-75-F2-1D:br-dwifi")
        );
        assert_eq!(
            converted_called_station_id("00-26-B9-75-F2-1D", "aa:bb:cc:dd:ee:ff x").as_deref(),
            Some("00-26-B9-75-F2-1D:aa-bb-cc-dd-ee-ffx")
        );
        assert_eq!(converted_called_station_id("nonsense", "x"), None);
    }
}
