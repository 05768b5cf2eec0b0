//! The runtime settings of the operator console (see [`crate::settings`]).

use crate::settings::{Key, SettingDef};

/// Whether a console request from an address other than the one the operator logged in
/// from ends their session (on by default, OWUMS' behaviour): a stolen session cookie is
/// then useless from elsewhere. Turn it off for operators behind changing addresses.
pub const OPERATOR_LOGOUT_ON_IP_CHANGE: Key<bool> = Key::flag(
    "operator_logout_on_ip_change",
    "true",
    "end an operator's session when their address changes",
);

/// Whether every operator must use a second factor (TOTP): one who has none enrolls it at
/// their next login before anything else (off by default).
pub const OPERATOR_TOTP_REQUIRED: Key<bool> = Key::flag(
    "operator_totp_required",
    "false",
    "operators must use a second factor",
);

/// The settings this module reads, listed in the crate's catalogue of runtime settings.
pub(crate) const SETTINGS: &[SettingDef] = &[
    OPERATOR_LOGOUT_ON_IP_CHANGE.def(),
    OPERATOR_TOTP_REQUIRED.def(),
];
