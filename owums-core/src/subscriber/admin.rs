//! The operator console's users, as a service independent of any web framework: browse
//! and search, find one, show everything about one ([`UserAdmin`]); create, edit, switch
//! off and on, delete (in `admin_edit`).
//!
//! ## Search
//!
//! [`UserQuery::text`] matches a subscriber whose username, e-mail, mobile number, given
//! name, surname, "given surname" or "surname given" contains it, ignoring case. A text
//! that looks like a phone number (digits, spaces, `+ - . / ( )`) also matches the mobile
//! in any written form: `+39 334 123 4567`, `0039 334…`, a national `334 123 4567` (read
//! with the default country code given to [`UserAdmin::new`]) and a part of the digits
//! (`1234567`). A text must have at least [`MIN_SEARCH_LEN`] characters (three, the
//! length of a trigram: shorter ones cannot use the index) and at most
//! [`MAX_SEARCH_LEN`].
//!
//! The search is indexed (migration `000011_user_admin`): SQLite keeps an FTS5 trigram
//! index and PostgreSQL a pg_trgm GIN index over a generated `search_key` column; MariaDB
//! reads that column of every row (the same results, slower on a large base). Each sort
//! key has its own index, so a page costs the rows it shows plus its offset.
//!
//! ## Counting and deep pages
//!
//! A page counts the matching users only up to [`COUNT_LIMIT`]: past it the page says
//! "more than 1 000" ([`UserPage::more`]) instead of counting a million rows on every
//! page. Pages reach as far as [`COUNT_LIMIT`] users from the start of the order; an
//! operator narrows the list (a search, a filter) or reverses the sort to go further.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::ids::{AttributeKind, Email, GroupName, PhoneNumber, RadiusAttribute, UserId, Username};
use crate::settings::Settings;
use crate::storage::RadAcctRecord;
use crate::storage::subscriber::admin::UserFilter;
use crate::subscriber::account::{SessionPage, SessionQuery, SessionSort, UsageHistory};
use crate::subscriber::input::{MAX_METHOD_LEN, check_text};
use crate::subscriber::operator::OperatorVerification;
use crate::subscriber::service::Subscribers;
use crate::subscriber::user::UserRecord;

/// Fewest characters of a search text.
pub const MIN_SEARCH_LEN: usize = 3;
/// Most characters of a search text.
pub const MAX_SEARCH_LEN: usize = 100;
/// Most users on one page.
pub const MAX_USERS_PER_PAGE: u32 = 100;
/// How far a list counts (and pages): past it, "more than this many".
pub const COUNT_LIMIT: u64 = 1_000;

/// What the user list is sorted by (OWUMS' sort keys; `state` is OWUMS' name for the
/// country).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserSort {
    /// Registration time, the default (newest first with `descending`).
    #[default]
    RegisteredAt,
    /// Username.
    Username,
    /// Given name.
    GivenName,
    /// Surname.
    Surname,
    /// Country (OWUMS' `state`).
    Country,
    /// City.
    City,
    /// Verified or not.
    Verified,
    /// Active or not.
    Active,
}

impl UserSort {
    /// Every sort key.
    pub const ALL: [UserSort; 8] = [
        UserSort::RegisteredAt,
        UserSort::Username,
        UserSort::GivenName,
        UserSort::Surname,
        UserSort::Country,
        UserSort::City,
        UserSort::Verified,
        UserSort::Active,
    ];

    /// The key's name in URLs and the API (`registered_at`, `surname`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            UserSort::RegisteredAt => "registered_at",
            UserSort::Username => "username",
            UserSort::GivenName => "given_name",
            UserSort::Surname => "surname",
            UserSort::Country => "country",
            UserSort::City => "city",
            UserSort::Verified => "verified",
            UserSort::Active => "active",
        }
    }

    /// The sort key named `name` ([`UserSort::as_str`], or OWUMS' `state` for the country).
    pub fn parse(name: &str) -> Option<UserSort> {
        if name == "state" {
            return Some(UserSort::Country);
        }
        UserSort::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// Which page of the user list, filtered and sorted how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserQuery {
    /// Text to search for (see the module docs); empty lists everyone.
    pub text: String,
    /// Only users of this verification method.
    pub method: Option<String>,
    /// Only verified (`Some(true)`) or unverified users.
    pub verified: Option<bool>,
    /// Only active (`Some(true)`) or switched-off users.
    pub active: Option<bool>,
    /// The sort key (ties by id, the same way).
    pub sort: UserSort,
    /// Largest, latest or last in the alphabet first.
    pub descending: bool,
    /// Page number, from 1.
    pub page: u32,
    /// Users per page (1–[`MAX_USERS_PER_PAGE`]); `None`: the
    /// `default_user_search_results_per_page` setting.
    pub per_page: Option<u32>,
}

impl Default for UserQuery {
    /// Everyone, newest first, first page, the configured page size.
    fn default() -> Self {
        UserQuery {
            text: String::new(),
            method: None,
            verified: None,
            active: None,
            sort: UserSort::RegisteredAt,
            descending: true,
            page: 1,
            per_page: None,
        }
    }
}

/// One page of the user list.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPage {
    /// The users on this page.
    pub users: Vec<UserRecord>,
    /// This page's number, from 1.
    pub page: u32,
    /// Page size used.
    pub per_page: u32,
    /// Users matching the query, counted up to [`COUNT_LIMIT`].
    pub total: u64,
    /// Whether more than [`COUNT_LIMIT`] users match (`total` is then the limit).
    pub more: bool,
}

impl UserPage {
    /// Pages that can be shown (at least 1).
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(u64::from(self.per_page.max(1))).max(1)
    }
}

/// What an exact find ([`UserAdmin::find`]) found.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// Nobody ("user not found").
    None,
    /// Exactly one subscriber: open them.
    One(Box<UserRecord>),
    /// Several subscribers (the text is one's username and another's e-mail, say): "too
    /// many results".
    Several,
}

/// Everything the console's page of one subscriber shows.
#[derive(Debug, Clone)]
pub struct UserDetails {
    /// The record.
    pub user: UserRecord,
    /// The last verification by an operator (who, when, with what evidence), for users of
    /// a method operators verify; `None` otherwise.
    pub verification: Option<OperatorVerification>,
    /// Successful logins on the web pages.
    pub web_logins: u64,
    /// RADIUS sessions recorded in accounting (OWUMS' "RADIUS login count").
    pub radius_logins: u64,
    /// Groups with membership priorities, in priority order.
    pub groups: Vec<(GroupName, i32)>,
    /// The user's own check attributes (the password is not shown).
    pub checks: Vec<RadiusAttribute>,
    /// The user's own reply attributes.
    pub replies: Vec<RadiusAttribute>,
    /// The first page of sessions, newest first.
    pub sessions: SessionPage,
    /// Time and traffic of the last 14 days.
    pub usage: UsageHistory,
    /// The session open now, if any (the most recent one).
    pub online: Option<RadAcctRecord>,
}

/// The operator console's user service. Cheap to clone.
///
/// ```no_run
/// use owums_core::subscriber::{UserAdmin, UserQuery, Found};
/// # async fn demo(admin: UserAdmin) -> owums_core::Result<()> {
/// let page = admin.browse(&UserQuery { text: "334 123".into(), ..UserQuery::default() }).await?;
/// println!("{} users", page.total);
/// if let Found::One(user) = admin.find("+39 334 123 4567").await? {
///     let details = admin.show(user.id, chrono::Utc::now().into()).await?;
///     println!("{} web logins", details.web_logins);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct UserAdmin {
    pub(crate) subscribers: Subscribers,
    pub(crate) country_code: Option<String>,
}

/// A refused field as the error of a one-field input.
pub(crate) fn refused(e: crate::error::FieldError) -> Error {
    Error::refused(e.field, e.problem, e.reason)
}

/// The digits of `text` when it is written like a phone number (digits and `+ - . / ( )`
/// and spaces), with at least [`MIN_SEARCH_LEN`] digits.
fn phone_digits(text: &str) -> Option<String> {
    let phone_like = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '/' | '(' | ')'));
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    (phone_like && digits.len() >= MIN_SEARCH_LEN).then_some(digits)
}

/// The texts a search for `text` looks for (see the module docs): the text with its
/// spaces collapsed and, for a phone number, its digits in every form. The storage
/// ignores their case.
pub(crate) fn search_terms(text: &str, country_code: Option<&str>) -> Vec<String> {
    let plain = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut terms = vec![plain];
    if let Some(digits) = phone_digits(text) {
        let mut add = |t: String| {
            if t.len() >= MIN_SEARCH_LEN && !terms.contains(&t) {
                terms.push(t);
            }
        };
        add(digits.clone());
        if let Some(rest) = digits.strip_prefix("00") {
            add(rest.to_owned());
        }
        if let Ok(p) = PhoneNumber::parse_with_country(text, country_code) {
            add(p.as_str().trim_start_matches('+').to_owned());
        }
    }
    // a term containing another finds nothing more: only the shorter one is searched
    let all = terms.clone();
    terms.retain(|t| {
        !all.iter()
            .any(|o| o != t && o.len() < t.len() && t.contains(o.as_str()))
    });
    terms.truncate(3);
    terms
}

impl UserAdmin {
    /// The service over `subscribers`; `country_code` (digits, e.g. `"39"`) reads national
    /// mobile numbers typed into searches and forms (usually the phone verifier's).
    pub fn new(subscribers: Subscribers, country_code: Option<String>) -> Self {
        UserAdmin {
            subscribers,
            country_code,
        }
    }

    /// The subscriber services underneath.
    pub fn subscribers(&self) -> &Subscribers {
        &self.subscribers
    }

    /// One page of the user list.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a text shorter than [`MIN_SEARCH_LEN`] or longer than
    /// [`MAX_SEARCH_LEN`] or with control characters, a method id that cannot be one, page
    /// 0, a page past [`COUNT_LIMIT`] users, or a `per_page` outside
    /// 1–[`MAX_USERS_PER_PAGE`].
    pub async fn browse(&self, query: &UserQuery) -> Result<UserPage> {
        let text = check_text("text", &query.text, MAX_SEARCH_LEN, false).map_err(refused)?;
        if !text.is_empty() && text.chars().count() < MIN_SEARCH_LEN {
            return Err(Error::refused(
                "text",
                Problem::TooShort {
                    min: MIN_SEARCH_LEN,
                },
                format!("must be at least {MIN_SEARCH_LEN} characters long"),
            ));
        }
        let method = match &query.method {
            Some(m) => Some(check_text("method", m, MAX_METHOD_LEN, true).map_err(refused)?),
            None => None,
        };
        let per_page = self.per_page(query.per_page).await?;
        if query.page == 0 {
            return Err(Error::refused(
                "page",
                Problem::OutOfRange,
                "must be 1 or more",
            ));
        }
        let offset = u64::from(query.page - 1) * u64::from(per_page);
        if offset >= COUNT_LIMIT {
            return Err(Error::refused(
                "page",
                Problem::OutOfRange,
                format!("goes past the first {COUNT_LIMIT} users: narrow the search"),
            ));
        }
        let filter = UserFilter {
            terms: if text.is_empty() {
                Vec::new()
            } else {
                search_terms(&text, self.country_code.as_deref())
            },
            method,
            verified: query.verified,
            active: query.active,
        };
        let cap = i64::try_from(COUNT_LIMIT).unwrap_or(i64::MAX);
        let (users, count) = self
            .subscribers
            .store()
            .search_users(
                &filter,
                query.sort,
                query.descending,
                i64::try_from(offset).unwrap_or(i64::MAX),
                i64::from(per_page),
                cap,
            )
            .await?;
        let count = u64::try_from(count).unwrap_or(0);
        Ok(UserPage {
            users,
            page: query.page,
            per_page,
            total: count.min(COUNT_LIMIT),
            more: count > COUNT_LIMIT,
        })
    }

    async fn per_page(&self, asked: Option<u32>) -> Result<u32> {
        match asked {
            Some(n) if (1..=MAX_USERS_PER_PAGE).contains(&n) => Ok(n),
            Some(_) => Err(Error::refused(
                "per_page",
                Problem::OutOfRange,
                format!("must be between 1 and {MAX_USERS_PER_PAGE}"),
            )),
            None => {
                let n = Settings::new(self.subscribers.store().clone())
                    .get(crate::subscriber::settings::DEFAULT_USER_SEARCH_RESULTS_PER_PAGE)
                    .await?;
                Ok(u32::try_from(n)
                    .unwrap_or(MAX_USERS_PER_PAGE)
                    .clamp(1, MAX_USERS_PER_PAGE))
            }
        }
    }

    /// The subscriber whose username, e-mail or mobile number (in any written form) is
    /// exactly `text` (OWUMS' "find user"): one, none, or several when the text is one
    /// subscriber's username and another's e-mail or mobile.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty text, one longer than [`MAX_SEARCH_LEN`] or with
    /// control characters.
    pub async fn find(&self, text: &str) -> Result<Found> {
        let text = check_text("text", text, MAX_SEARCH_LEN, true).map_err(refused)?;
        let store = self.subscribers.store();
        let mut found: Vec<UserRecord> = Vec::new();
        let mut keep = |u: Option<UserRecord>| {
            if let Some(u) = u
                && !found.iter().any(|f| f.id == u.id)
            {
                found.push(u);
            }
        };
        if let Ok(name) = Username::try_new(&text) {
            keep(store.find_user_by_username(&name).await?);
        }
        if let Ok(email) = Email::try_new(&text) {
            keep(store.find_user_by_email(&email).await?);
        }
        if phone_digits(&text).is_some()
            && let Ok(mobile) = PhoneNumber::parse_with_country(&text, self.country_code.as_deref())
        {
            keep(store.find_user_by_mobile(&mobile).await?);
        }
        Ok(match found.len() {
            0 => Found::None,
            1 => Found::One(Box::new(found.remove(0))),
            _ => Found::Several,
        })
    }

    /// Everything the console shows of subscriber `id`; `now` (in the display time zone)
    /// decides the 14 days of usage.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::ErrorKind::NotFound) for an unknown id.
    pub async fn show(&self, id: UserId, now: DateTime<FixedOffset>) -> Result<UserDetails> {
        let store = self.subscribers.store();
        let user = store
            .find_user(id)
            .await?
            .ok_or_else(|| Error::not_found("user", id.to_string()))?;
        let verification = store.operator_verifications(id).await?.pop();
        let sessions = self
            .subscribers
            .sessions(&user.username, SessionQuery::default())
            .await?;
        let latest = store
            .radacct_page(user.username.as_str(), SessionSort::Stop, true, 0, 1)
            .await?;
        let online = latest.into_iter().find(|s| s.acctstoptime.is_none());
        Ok(UserDetails {
            verification,
            web_logins: store.web_logins(id).await?,
            radius_logins: sessions.total,
            groups: store.user_groups(id).await?,
            checks: store.user_attributes(id, AttributeKind::Check).await?,
            replies: store.user_attributes(id, AttributeKind::Reply).await?,
            usage: self.subscribers.usage(&user.username, now).await?,
            sessions,
            online,
            user,
        })
    }

    /// [`UserAdmin::show`] with the usage days in UTC.
    ///
    /// # Errors
    ///
    /// As [`UserAdmin::show`].
    pub async fn show_utc(&self, id: UserId) -> Result<UserDetails> {
        self.show(id, Utc::now().fixed_offset()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_number_is_searched_in_every_form() {
        let t = search_terms("+39 334 123 4567", Some("39"));
        assert_eq!(t, ["+39 334 123 4567", "393341234567"]);
        let t = search_terms("0039 334 1234567", None);
        assert_eq!(t, ["0039 334 1234567", "393341234567"]);
        let t = search_terms("334 123 4567", Some("39"));
        assert_eq!(t, ["334 123 4567", "3341234567"]);
        assert_eq!(search_terms("1234567", None), ["1234567"]);
    }

    #[test]
    fn names_are_searched_with_single_spaces() {
        assert_eq!(search_terms("  Mario   ROSSI ", None), ["Mario ROSSI"]);
        assert_eq!(search_terms("a-b", None), ["a-b"]);
    }

    #[test]
    fn sort_keys_read_owums_names() {
        assert_eq!(UserSort::parse("state"), Some(UserSort::Country));
        for s in UserSort::ALL {
            assert_eq!(UserSort::parse(s.as_str()), Some(s));
        }
        assert_eq!(UserSort::parse("password_hash"), None);
    }
}
