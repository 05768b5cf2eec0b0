//! The RFC 8908 Captive Portal API document.
//!
//! A device that learned the API's URL from DHCP (option 114, RFC 8910) or a router
//! advertisement asks it whether it is captive; the answer is JSON with the media type
//! [`MEDIA_TYPE`].

use serde::Serialize;

/// The media type of the document.
pub const MEDIA_TYPE: &str = "application/captive+json";

/// The document (RFC 8908 §5): only `captive` is required; the rest is left out when
/// unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaptiveStatus {
    /// Whether the device is still kept off the network.
    pub captive: bool,
    /// Where the subscriber logs on (an HTTPS URL).
    #[serde(rename = "user-portal-url", skip_serializing_if = "Option::is_none")]
    pub user_portal_url: Option<String>,
    /// A page about the venue.
    #[serde(rename = "venue-info-url", skip_serializing_if = "Option::is_none")]
    pub venue_info_url: Option<String>,
    /// Whether the subscriber can extend the session from the portal.
    #[serde(rename = "can-extend-session", skip_serializing_if = "Option::is_none")]
    pub can_extend_session: Option<bool>,
    /// Seconds left in the session.
    #[serde(rename = "seconds-remaining", skip_serializing_if = "Option::is_none")]
    pub seconds_remaining: Option<u64>,
    /// Bytes left in the session.
    #[serde(rename = "bytes-remaining", skip_serializing_if = "Option::is_none")]
    pub bytes_remaining: Option<u64>,
}
