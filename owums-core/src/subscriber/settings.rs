//! The runtime settings of sign-up and the subscriber pages (operators change them while the
//! server runs; see [`crate::settings`]).

use crate::settings::{Key, SettingDef};

/// The RADIUS group new subscribers join (`Users`, created by the migrations). Registration
/// fails with a not-found error while the group named here does not exist.
pub const DEFAULT_RADIUS_GROUP: Key<String> = Key::text(
    "default_radius_group",
    "Users",
    "RADIUS group new subscribers join",
);
/// Whether the sign-up page asks for a captcha (on by default): a picture of characters,
/// checked once per sign-up attempt.
pub const CAPTCHA_ENABLED: Key<bool> =
    Key::flag("captcha_enabled", "true", "captcha on the sign-up page");
/// How many sessions a page of the account's session list shows when the request does not
/// say (clamped to 1–[`MAX_PER_PAGE`](crate::subscriber::MAX_PER_PAGE)).
pub const DEFAULT_RADACCT_RESULTS_PER_PAGE: Key<u64> = Key::count(
    "default_radacct_results_per_page",
    "20",
    "sessions per page",
);
/// How many users a page of the operator console's search shows.
pub const DEFAULT_USER_SEARCH_RESULTS_PER_PAGE: Key<u64> = Key::count(
    "default_user_search_results_per_page",
    "20",
    "users per page in the console",
);
/// Whether a phone sign-up uses the mobile number as the username (off by default; OWUMS'
/// setting of the same name).
pub const USE_MOBILE_PHONE_AS_USERNAME: Key<bool> = Key::flag(
    "use_mobile_phone_as_username",
    "false",
    "username = mobile number for phone sign-ups",
);
/// The operator's own instructions on the home page in English (how to connect, whom to
/// call), in Markdown: the page renders it with
/// [`markdown_to_html`](crate::richtext::markdown_to_html), so HTML in it shows as text.
/// The other languages fall back to it when empty.
pub const CUSTOM_ACCOUNT_INSTRUCTIONS_EN: Key<String> = Key::markdown(
    "custom_account_instructions_en",
    "",
    "instructions on the home page in English (Markdown)",
);
/// The home page's instructions in Italian, in Markdown (empty: the English one).
pub const CUSTOM_ACCOUNT_INSTRUCTIONS_IT: Key<String> = Key::markdown(
    "custom_account_instructions_it",
    "",
    "instructions on the home page in Italian (Markdown; empty: the English one)",
);
/// The home page's instructions in Spanish, in Markdown (empty: the English one).
pub const CUSTOM_ACCOUNT_INSTRUCTIONS_ES: Key<String> = Key::markdown(
    "custom_account_instructions_es",
    "",
    "instructions on the home page in Spanish (Markdown; empty: the English one)",
);

/// The settings this module reads, listed in the crate's catalogue of runtime settings.
pub(crate) const SETTINGS: &[SettingDef] = &[
    DEFAULT_RADIUS_GROUP.def(),
    CAPTCHA_ENABLED.def(),
    DEFAULT_RADACCT_RESULTS_PER_PAGE.def(),
    DEFAULT_USER_SEARCH_RESULTS_PER_PAGE.def(),
    USE_MOBILE_PHONE_AS_USERNAME.def(),
    CUSTOM_ACCOUNT_INSTRUCTIONS_EN.def(),
    CUSTOM_ACCOUNT_INSTRUCTIONS_IT.def(),
    CUSTOM_ACCOUNT_INSTRUCTIONS_ES.def(),
];
