//! What a subscriber does with their own account: read their sessions and usage, change their
//! e-mail, address and password.
//!
//! These are methods of [`Subscribers`] that the account page and the API's `/me`
//! resources call for the logged-in subscriber. Sessions and usage come from `radacct`, by
//! the exact username FreeRADIUS logged (owums' usernames are lowercase, so it is the
//! subscriber's). Usage is bucketed by the day a session *started*, as OWUMS did, in the
//! time zone of the `now` given.
//!
//! ```no_run
//! use owums_core::subscriber::{SessionQuery, SessionSort};
//! # async fn demo(subscribers: owums_core::Subscribers, user: owums_core::UserRecord) -> owums_core::Result<()> {
//! let query = SessionQuery { sort: SessionSort::Download, ..SessionQuery::default() };
//! let page = subscribers.sessions(&user.username, query).await?;
//! println!("page {} of {}", page.page, page.pages());
//! let usage = subscribers.usage(&user.username, chrono::Utc::now().fixed_offset()).await?;
//! println!("today: {} s, {} octets down", usage.today.seconds, usage.today.output_octets);
//! # Ok(()) }
//! ```

use std::fmt;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, FieldError, Problem, Result};
use crate::ids::{Email, UserId, Username};
use crate::settings::Settings;
use crate::storage::{ProfileChanges, RadAcctRecord, UsageRow, now_utc};
use crate::subscriber::input::{TextField, clean_text};
use crate::subscriber::password;
use crate::subscriber::service::Subscribers;
use crate::subscriber::user::UserRecord;

/// Days [`Subscribers::usage`] reports, today included.
pub const USAGE_DAYS: usize = 14;

/// Most sessions one page may hold; a larger `per_page` is refused.
pub const MAX_PER_PAGE: u32 = 100;

/// What a session list is sorted by (OWUMS' `acct_start_time`, `acct_stop_time`,
/// `acct_input_octets`, `acct_output_octets`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionSort {
    /// Start time (`acctstarttime`), the default: newest first with `descending`.
    #[default]
    Start,
    /// Stop time (open sessions count as the latest).
    Stop,
    /// Octets uploaded by the user (`acctinputoctets`).
    Upload,
    /// Octets downloaded by the user (`acctoutputoctets`).
    Download,
}

/// Which page of a subscriber's sessions, sorted how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionQuery {
    /// What the sessions are sorted by (ties by the row id, in the same direction).
    pub sort: SessionSort,
    /// Largest (or latest) first.
    pub descending: bool,
    /// Page number, from 1; a page past the last is empty, not an error.
    pub page: u32,
    /// Sessions per page (1–100); `None`: the `default_radacct_results_per_page` setting.
    pub per_page: Option<u32>,
}

impl Default for SessionQuery {
    /// Newest first, first page, the configured page size.
    fn default() -> Self {
        SessionQuery {
            sort: SessionSort::Start,
            descending: true,
            page: 1,
            per_page: None,
        }
    }
}

/// One page of a subscriber's sessions, with what a pager needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPage {
    /// The sessions on this page.
    pub sessions: Vec<RadAcctRecord>,
    /// This page's number, from 1.
    pub page: u32,
    /// Page size actually used (the setting's value when the query gave none).
    pub per_page: u32,
    /// Sessions in all pages, counted in the same call.
    pub total: u64,
}

impl SessionPage {
    /// Number of pages (at least 1).
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(u64::from(self.per_page.max(1))).max(1)
    }
}

/// Connection time and traffic of the sessions that started on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayUsage {
    /// The day, in the time zone of the `now` given to [`Subscribers::usage`].
    pub date: NaiveDate,
    /// Seconds connected (open sessions count up to now).
    pub seconds: u64,
    /// Octets uploaded by the user (`acctinputoctets`, the NAS's input).
    pub input_octets: u64,
    /// Octets downloaded by the user (`acctoutputoctets`, the NAS's output).
    pub output_octets: u64,
}

/// A subscriber's usage of the last [`USAGE_DAYS`] days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageHistory {
    /// Today so far (the last entry of `days`).
    pub today: DayUsage,
    /// One entry per day, oldest first, today last; days without traffic are zeros.
    pub days: Vec<DayUsage>,
}

/// A password change: the current password proves it is the user.
///
/// Its `Debug` hides both passwords.
#[derive(Clone, Default)]
pub struct PasswordChange {
    /// The password now, checked against the stored hash.
    pub current: String,
    /// The new password, checked against the password rules.
    pub new: String,
}

impl fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordChange(..)")
    }
}

/// What a subscriber changes on their account; `None` leaves a field as it is. Names,
/// username and verification method cannot be changed.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    /// New e-mail (unique among subscribers).
    pub email: Option<Email>,
    /// Street address, at most 200 characters (trimmed; the rules of
    /// [`clean_text`](crate::subscriber::clean_text)).
    pub address: Option<String>,
    /// City, at most 100 characters (trimmed).
    pub city: Option<String>,
    /// Postal code, at most 20 characters (trimmed).
    pub zip: Option<String>,
    /// Country, at most 100 characters (trimmed).
    pub country: Option<String>,
    /// Birth date (from 1900-01-01 to today).
    pub birth_date: Option<NaiveDate>,
    /// New password, with the current one as proof.
    pub password: Option<PasswordChange>,
}

/// `value` checked by the one set of text rules ([`clean_text`]); a refusal goes to `errors`.
fn text_field(
    field: TextField,
    value: Option<String>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value?;
    match clean_text(field, &value, false) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// Sums `rows` into one entry per day of the `days` days ending on `now`'s date (in `now`'s
/// time zone).
fn per_day(rows: &[UsageRow], now: DateTime<FixedOffset>, days: usize) -> Vec<DayUsage> {
    let today = now.date_naive();
    let first = today - Duration::days(i64::try_from(days).unwrap_or(1) - 1);
    let mut out: Vec<DayUsage> = first
        .iter_days()
        .take(days)
        .map(|date| DayUsage {
            date,
            seconds: 0,
            input_octets: 0,
            output_octets: 0,
        })
        .collect();
    let tz = now.timezone();
    for r in rows {
        let Some(start) = r.start.and_then(|s| DateTime::from_timestamp(s, 0)) else {
            continue;
        };
        let day = start.with_timezone(&tz).date_naive();
        let Ok(i) = usize::try_from((day - first).num_days()) else {
            continue;
        };
        let Some(slot) = out.get_mut(i) else { continue };
        let end = r.stop.unwrap_or_else(|| now.timestamp());
        let positive = |v: i64| u64::try_from(v).unwrap_or(0);
        slot.seconds = slot
            .seconds
            .saturating_add(positive(end.saturating_sub(start.timestamp())));
        slot.input_octets = slot
            .input_octets
            .saturating_add(positive(r.input.unwrap_or(0)));
        slot.output_octets = slot
            .output_octets
            .saturating_add(positive(r.output.unwrap_or(0)));
    }
    out
}

impl Subscribers {
    /// A page of `username`'s sessions from `radacct`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] with [`Problem::OutOfRange`] for page 0 or a `per_page` outside
    /// 1–[`MAX_PER_PAGE`].
    pub async fn sessions(&self, username: &Username, query: SessionQuery) -> Result<SessionPage> {
        if query.page == 0 {
            return Err(Error::refused(
                "page",
                Problem::OutOfRange,
                "must be 1 or more",
            ));
        }
        let per_page = match query.per_page {
            Some(n) if (1..=MAX_PER_PAGE).contains(&n) => n,
            Some(_) => {
                return Err(Error::refused(
                    "per_page",
                    Problem::OutOfRange,
                    format!("must be between 1 and {MAX_PER_PAGE}"),
                ));
            }
            None => {
                let n = Settings::new(self.store().clone())
                    .get(crate::subscriber::settings::DEFAULT_RADACCT_RESULTS_PER_PAGE)
                    .await?;
                u32::try_from(n)
                    .unwrap_or(MAX_PER_PAGE)
                    .clamp(1, MAX_PER_PAGE)
            }
        };
        let store = self.store();
        let total = store.radacct_count(username.as_str()).await?;
        let offset = u64::from(query.page - 1) * u64::from(per_page);
        let sessions = store
            .radacct_page(
                username.as_str(),
                query.sort,
                query.descending,
                offset,
                u64::from(per_page),
            )
            .await?;
        Ok(SessionPage {
            sessions,
            page: query.page,
            per_page,
            total,
        })
    }

    /// `username`'s connection time and traffic per day for the [`USAGE_DAYS`] days ending
    /// at `now` (days as seen in `now`'s time zone), counted by the day each session started.
    ///
    /// Open sessions count their time up to `now`. The pages pass now in the display time
    /// zone (`[web] time_zone`), so that "today" is the subscriber's today; the API in UTC.
    pub async fn usage(
        &self,
        username: &Username,
        now: DateTime<FixedOffset>,
    ) -> Result<UsageHistory> {
        let today = now.date_naive();
        let first = today - Duration::days(i64::try_from(USAGE_DAYS).unwrap_or(14) - 1);
        let since = first
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(now.timezone()).single())
            .map_or(now.timestamp(), |t| t.timestamp());
        let rows = self.store().usage_rows(username.as_str(), since).await?;
        let days = per_day(&rows, now, USAGE_DAYS);
        let today = *days
            .last()
            .ok_or_else(|| Error::Internal("no days of usage".to_owned()))?;
        Ok(UsageHistory { today, days })
    }

    /// Changes `id`'s e-mail, address fields and password, all or nothing. A password change
    /// needs the current password and ends the user's other sessions (all but the session of
    /// `keep_session`, a session token).
    ///
    /// Returns the subscriber as stored afterwards.
    ///
    /// # Errors
    ///
    /// [`Error::Fields`] listing every text field that is too long or has control
    /// characters; [`Error::Invalid`] for a birth date outside 1900-01-01 to today, a wrong
    /// current password ([`Problem::Wrong`]), a new password the rules refuse, or a password
    /// changed by another request meanwhile ([`Problem::Changed`]); [`Error::Conflict`] for an e-mail another subscriber has;
    /// [`Error::NotFound`] when the user is gone. Nothing is written in any of these cases.
    pub async fn update_profile(
        &self,
        id: UserId,
        update: ProfileUpdate,
        keep_session: Option<&str>,
    ) -> Result<UserRecord> {
        let mut errors = Vec::new();
        let mut changes = ProfileChanges {
            email: update.email.map(String::from),
            address: text_field(TextField::Address, update.address, &mut errors),
            city: text_field(TextField::City, update.city, &mut errors),
            zip: text_field(TextField::Zip, update.zip, &mut errors),
            country: text_field(TextField::Country, update.country, &mut errors),
            birth_date: update.birth_date,
            password_hash: None,
            updated_at: Some(now_utc()),
        };
        if !errors.is_empty() {
            return Err(Error::Fields(errors));
        }
        if let Some(date) = changes.birth_date {
            let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default();
            if date < earliest || date > now_utc().date() {
                return Err(Error::refused(
                    "birth date",
                    Problem::OutOfRange,
                    "must be between 1900-01-01 and today",
                ));
            }
        }
        let password = match update.password {
            None => None,
            Some(change) => {
                let user = self
                    .store()
                    .find_user(id)
                    .await?
                    .ok_or_else(|| Error::not_found("user", id.to_string()))?;
                let old_hash = self
                    .store()
                    .password_hash(id)
                    .await?
                    .ok_or_else(|| Error::not_found("user", id.to_string()))?;
                if !password::verify_password_async(&change.current, &old_hash).await {
                    return Err(Error::refused(
                        "current password",
                        Problem::Wrong,
                        "is wrong",
                    ));
                }
                let mut personal = password::PersonalData::of_user(&user);
                if let Some(email) = &changes.email {
                    personal = password::PersonalData::new([email.as_str()]).and(personal);
                }
                password::validate_password(&change.new, &personal)?;
                changes.password_hash = Some(password::hash_password_async(&change.new).await?);
                Some(crate::storage::PasswordRows {
                    old_hash,
                    attribute: self.password_format().attribute(),
                    radius_value: self.password_format().encode(&change.new)?,
                    keep_session: keep_session.map(crate::subscriber::web_session::stored_id),
                })
            }
        };
        let password_changed = password.is_some();
        if !self.store().update_profile(id, changes, password).await? {
            return Err(Error::not_found("user", id.to_string()));
        }
        tracing::info!(user = %id, password_changed, "profile updated");
        self.store()
            .find_user(id)
            .await?
            .ok_or_else(|| Error::not_found("user", id.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(start: i64, stop: Option<i64>, input: i64, output: i64) -> UsageRow {
        UsageRow {
            start: Some(start),
            stop,
            input: Some(input),
            output: Some(output),
        }
    }

    #[test]
    fn per_day_buckets_by_start_day_with_zeros() {
        // 2026-11-22 12:00:00 UTC.
        let now = DateTime::from_timestamp(1_795_348_800, 0)
            .unwrap()
            .fixed_offset();
        let day = 86_400;
        let rows = [
            row(1_795_348_800 - 3600, Some(1_795_348_800 - 1800), 10, 20),
            row(1_795_348_800 - 600, None, 1, 2),
            row(
                1_795_348_800 - 2 * day,
                Some(1_795_348_800 - 2 * day + 60),
                5,
                6,
            ),
            row(
                1_795_348_800 - 20 * day,
                Some(1_795_348_800 - 20 * day + 60),
                7,
                8,
            ),
        ];
        let days = per_day(&rows, now, 14);
        assert_eq!(days.len(), 14);
        assert_eq!(days[13].date, now.date_naive());
        assert_eq!(days[13].seconds, 1800 + 600);
        assert_eq!((days[13].input_octets, days[13].output_octets), (11, 22));
        assert_eq!(days[11].seconds, 60);
        assert_eq!(days[12].seconds, 0);
        let total: u64 = days.iter().map(|d| d.input_octets).sum();
        assert_eq!(total, 16, "the session 20 days ago is outside");
        // The same instant seen from UTC+13 is already the next day.
        let east = now.with_timezone(&FixedOffset::east_opt(13 * 3600).unwrap());
        let shifted = per_day(&rows, east, 14);
        assert_eq!(shifted[13].date, days[13].date.succ_opt().unwrap());
    }

    #[test]
    fn text_fields_are_checked() {
        let mut errors = Vec::new();
        assert_eq!(
            text_field(TextField::City, Some(" Roma ".into()), &mut errors),
            Some("Roma".into())
        );
        assert_eq!(text_field(TextField::Zip, None, &mut errors), None);
        assert!(errors.is_empty());
        text_field(TextField::City, Some("a\u{0}b".into()), &mut errors);
        text_field(TextField::Zip, Some("x".repeat(21)), &mut errors);
        let fields: Vec<_> = errors.iter().map(|e| (e.field, e.problem)).collect();
        assert_eq!(
            fields,
            [
                ("city", Problem::ControlCharacters),
                ("zip", Problem::TooLong { max: 20 })
            ]
        );
    }
}
