//! The `owums_users` table.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::{Error, Result};
use crate::ids::{Email, GroupName, PhoneNumber, UserId, Username};
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::outbox::NewMailRow;
use crate::storage::schema::{
    owums_attachments, owums_mail_outbox, owums_operator_verifications, owums_user_groups,
    owums_users,
};
use crate::storage::subscriber::operator::OperatorRecord;
use crate::subscriber::user::UserRecord;

/// `t` in UTC without fractions of a second (what every backend stores exactly).
pub(crate) fn to_second(t: DateTime<Utc>) -> NaiveDateTime {
    let n = t.naive_utc();
    n - chrono::Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos()))
}

/// Current time in UTC, to the second.
pub(crate) fn now_utc() -> NaiveDateTime {
    to_second(Utc::now())
}

/// A row of `owums_users`: what is inserted (password already hashed) and, the one list of
/// its fields, what reads load.
#[derive(Debug, Clone, diesel::Insertable, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = owums_users)]
pub struct NewUserRow {
    /// Id.
    pub id: String,
    /// Username (lowercase).
    pub username: String,
    /// E-mail.
    pub email: Option<String>,
    /// Mobile (E.164).
    pub mobile: Option<String>,
    /// Given name.
    pub given_name: String,
    /// Surname.
    pub surname: String,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Address.
    pub address: String,
    /// City.
    pub city: String,
    /// Zip.
    pub zip: String,
    /// Country.
    pub country: String,
    /// Verification method.
    pub verification_method: String,
    /// Verified.
    pub verified: bool,
    /// Verified at.
    pub verified_at: Option<NaiveDateTime>,
    /// Active.
    pub active: bool,
    /// EULA accepted.
    pub eula_accepted: bool,
    /// Privacy accepted.
    pub privacy_accepted: bool,
    /// Locale.
    pub locale: String,
    /// Notes.
    pub notes: Option<String>,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Updated.
    pub updated_at: NaiveDateTime,
}

/// What reads load: the whole row, as inserted.
type UserRow = NewUserRow;

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

impl TryFrom<UserRow> for UserRecord {
    type Error = Error;
    fn try_from(r: UserRow) -> Result<Self> {
        let corrupt =
            |what: &str| Error::Internal(format!("stored user {} has an invalid {what}", r.id));
        Ok(UserRecord {
            id: r.id.parse().map_err(|_| corrupt("id"))?,
            username: Username::try_new(&r.username).map_err(|_| corrupt("username"))?,
            email: r
                .email
                .as_deref()
                .map(Email::try_new)
                .transpose()
                .map_err(|_| corrupt("e-mail"))?,
            mobile: r
                .mobile
                .as_deref()
                .map(PhoneNumber::parse)
                .transpose()
                .map_err(|_| corrupt("mobile"))?,
            given_name: r.given_name,
            surname: r.surname,
            birth_date: r.birth_date,
            address: r.address,
            city: r.city,
            zip: r.zip,
            country: r.country,
            verification_method: r.verification_method,
            verified: r.verified,
            verified_at: r.verified_at.map(utc),
            active: r.active,
            eula_accepted: r.eula_accepted,
            privacy_accepted: r.privacy_accepted,
            locale: r.locale,
            notes: r.notes,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        })
    }
}

/// Runs, on connection `$c` inside the caller's transaction, the writes of a user's RADIUS
/// password: `insert` adds the one `:=` check row of `$attribute`; `replace` first removes
/// the password rows the user had.
macro_rules! radius_password {
    (insert $c:expr, $user:expr, $attribute:expr, $value:expr) => {
        diesel::insert_into($crate::storage::schema::owums_radius_checks::table)
            .values((
                $crate::storage::schema::owums_radius_checks::user_id.eq($user),
                $crate::storage::schema::owums_radius_checks::attribute.eq($attribute),
                $crate::storage::schema::owums_radius_checks::op.eq(":="),
                $crate::storage::schema::owums_radius_checks::value.eq($value),
            ))
            .execute($c)
            .await?
    };
    (replace $c:expr, $user:expr, $attribute:expr, $value:expr) => {{
        use $crate::storage::schema::owums_radius_checks as checks;
        diesel::delete(
            checks::table
                .filter(checks::user_id.eq($user))
                .filter(checks::attribute.eq_any($crate::subscriber::password::PASSWORD_ATTRIBUTES)),
        )
        .execute($c)
        .await?;
        $crate::storage::subscriber::users::radius_password!(insert $c, $user, $attribute, $value)
    }};
}
pub(crate) use radius_password;

/// A row of `owums_user_groups`.
#[derive(diesel::Insertable)]
#[diesel(table_name = owums_user_groups)]
pub(crate) struct Membership<'a> {
    pub(crate) user_id: &'a str,
    pub(crate) group_name: &'a str,
    pub(crate) priority: i32,
}

/// A unique column users are looked up by.
#[derive(Debug, Clone, Copy)]
enum Key {
    Id,
    Username,
    Email,
    Mobile,
}

/// The state columns a transition writes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StateChange {
    pub(crate) verified: bool,
    pub(crate) verified_at: Option<NaiveDateTime>,
    pub(crate) active: bool,
}

impl Store {
    /// Inserts a user, their RADIUS password (`(attribute, value)`, a check row) and their
    /// group memberships `(group, priority)` in one transaction.
    pub async fn insert_user(
        &self,
        row: NewUserRow,
        radius_password: (&str, &str),
        groups: &[(GroupName, i32)],
    ) -> Result<UserRecord> {
        let id = row.id.clone();
        db_run!(self, c => {
            c.transaction::<_, Error, _>(async |c| {
                diesel::insert_into(owums_users::table).values(&row).execute(c).await?;
                radius_password!(insert c, &id, radius_password.0, radius_password.1);
                for (group, priority) in groups {
                    let row = Membership { user_id: &id, group_name: group.as_str(), priority: *priority };
                    diesel::insert_into(owums_user_groups::table).values(&row).execute(c).await?;
                }
                Ok(())
            })
            .await
        })?;
        self.find_user(id.parse()?)
            .await?
            .ok_or_else(|| Error::Internal("inserted user vanished".to_owned()))
    }

    /// The user whose `key` column equals `value`.
    async fn find_user_by(&self, key: Key, value: &str) -> Result<Option<UserRecord>> {
        let row: Option<UserRow> = db_run!(self, read c => {
            let q = owums_users::table.select(UserRow::as_select()).into_boxed();
            let q = match key {
                Key::Id => q.filter(owums_users::id.eq(value)),
                Key::Username => q.filter(owums_users::username.eq(value)),
                Key::Email => q.filter(owums_users::email.eq(value)),
                Key::Mobile => q.filter(owums_users::mobile.eq(value)),
            };
            q.first(c).await.optional()?
        });
        row.map(UserRecord::try_from).transpose()
    }

    /// The user with this id.
    pub async fn find_user(&self, id: UserId) -> Result<Option<UserRecord>> {
        self.find_user_by(Key::Id, &id.to_string()).await
    }

    /// The user with this username.
    pub async fn find_user_by_username(&self, username: &Username) -> Result<Option<UserRecord>> {
        self.find_user_by(Key::Username, username.as_str()).await
    }

    /// The user with this mobile number.
    pub async fn find_user_by_mobile(&self, mobile: &PhoneNumber) -> Result<Option<UserRecord>> {
        self.find_user_by(Key::Mobile, mobile.as_str()).await
    }

    /// The user with this e-mail.
    pub async fn find_user_by_email(&self, email: &Email) -> Result<Option<UserRecord>> {
        self.find_user_by(Key::Email, email.as_str()).await
    }

    /// Users by username, `limit` from `offset`.
    pub async fn list_users(&self, offset: i64, limit: i64) -> Result<Vec<UserRecord>> {
        let rows: Vec<UserRow> = db_run!(self, read c => owums_users::table
            .order(owums_users::username.asc())
            .offset(offset)
            .limit(limit)
            .select(UserRow::as_select())
            .load(c)
            .await?);
        rows.into_iter().map(UserRecord::try_from).collect()
    }

    /// The user and their web password hash, for a login.
    pub async fn find_login(&self, username: &Username) -> Result<Option<(UserRecord, String)>> {
        let name = username.as_str();
        let row: Option<UserRow> = db_run!(self, read c => owums_users::table
            .filter(owums_users::username.eq(name))
            .select(UserRow::as_select())
            .first(c)
            .await
            .optional()?);
        row.map(|mut r| {
            let hash = std::mem::take(&mut r.password_hash);
            Ok((UserRecord::try_from(r)?, hash))
        })
        .transpose()
    }

    /// Writes state columns of `id` if its current state satisfies `expected(verified, verified_at, active)`
    /// (checked in the same transaction). Returns the updated user, or `None` if `id` does not exist.
    /// `first_verification_mail` is queued in the same transaction if this change verifies the
    /// user for the first time (decided by a conditional `UPDATE`, so never twice), and
    /// `record` (an operator's verification) is written in it too.
    pub(crate) async fn change_state(
        &self,
        id: UserId,
        action: &'static str,
        change: impl Fn(&UserRecord) -> Result<StateChange> + Send + Sync,
        first_verification_mail: Option<NewMailRow>,
        record: Option<OperatorRecord>,
    ) -> Result<Option<UserRecord>> {
        let key = id.to_string();
        let now = now_utc();
        let found: bool = db_run!(self, c => {
            c.transaction::<_, Error, _>(async |c| {
                // Write first: the row is locked for the whole transaction (and SQLite takes its
                // write lock now, waiting on busy_timeout, instead of failing "database is
                // locked" when a read transaction must become a write one).
                diesel::update(owums_users::table.filter(owums_users::id.eq(&key)))
                    .set(owums_users::updated_at.eq(owums_users::updated_at))
                    .execute(c)
                    .await?;
                let row: Option<UserRow> = owums_users::table
                    .filter(owums_users::id.eq(&key))
                    .select(UserRow::as_select())
                    .first(c)
                    .await
                    .optional()?;
                let Some(row) = row else { return Ok(false) };
                let user = UserRecord::try_from(row)?;
                let s = change(&user)?;
                if let (Some(mail), Some(at)) = (&first_verification_mail, s.verified_at) {
                    let first = diesel::update(
                        owums_users::table
                            .filter(owums_users::id.eq(&key))
                            .filter(owums_users::verified_at.is_null()),
                    )
                    .set(owums_users::verified_at.eq(at))
                    .execute(c)
                    .await?;
                    if first == 1 {
                        diesel::insert_into(owums_mail_outbox::table).values(mail).execute(c).await?;
                    }
                }
                diesel::update(owums_users::table.filter(owums_users::id.eq(&key)))
                    .set((
                        owums_users::verified.eq(s.verified),
                        owums_users::verified_at.eq(s.verified_at),
                        owums_users::active.eq(s.active),
                        owums_users::updated_at.eq(now),
                    ))
                    .execute(c)
                    .await?;
                if let Some(record) = &record {
                    diesel::insert_into(owums_operator_verifications::table)
                        .values(&record.verification)
                        .execute(c)
                        .await?;
                    for attachment in &record.attachments {
                        diesel::insert_into(owums_attachments::table)
                            .values(attachment)
                            .execute(c)
                            .await?;
                    }
                }
                Ok(true)
            })
            .await
        })?;
        tracing::debug!(user = %id, action, found, "state change");
        if found {
            self.find_user(id).await
        } else {
            Ok(None)
        }
    }

    /// Replaces the user's passwords (web hash and RADIUS check row) in one transaction.
    pub async fn set_user_password(
        &self,
        id: UserId,
        hash: &str,
        attribute: &str,
        radius_password: &str,
    ) -> Result<bool> {
        let key = id.to_string();
        let now = now_utc();
        let changed = db_run!(self, c => {
            c.transaction::<_, Error, _>(async |c| {
                let n = diesel::update(owums_users::table.filter(owums_users::id.eq(&key)))
                    .set((owums_users::password_hash.eq(hash), owums_users::updated_at.eq(now)))
                    .execute(c)
                    .await?;
                if n == 0 {
                    return Ok(false);
                }
                radius_password!(replace c, &key, attribute, radius_password);
                Ok(true)
            })
            .await
        })?;
        Ok(changed)
    }

    /// Deletes a user with their memberships, attributes and plugin state. `false` if absent.
    pub async fn delete_user(&self, id: UserId) -> Result<bool> {
        let key = id.to_string();
        let n = db_run!(self, c => diesel::delete(owums_users::table.filter(owums_users::id.eq(&key))).execute(c).await?);
        Ok(n > 0)
    }

    /// Unverified users of `method` registered at or before `cutoff`: deleted, or (when
    /// `delete` is false) switched off. Returns how many.
    pub async fn expire_unverified(
        &self,
        method: &str,
        cutoff: DateTime<Utc>,
        delete: bool,
    ) -> Result<usize> {
        let cutoff = cutoff.naive_utc();
        let now = now_utc();
        let n = db_run!(self, c => {
            let q = owums_users::table
                .filter(owums_users::verified.eq(false))
                .filter(owums_users::verified_at.is_null())
                .filter(owums_users::active.eq(true))
                .filter(owums_users::verification_method.eq(method))
                .filter(owums_users::created_at.le(cutoff));
            if delete {
                diesel::delete(q).execute(c).await?
            } else {
                diesel::update(q).set((owums_users::active.eq(false), owums_users::updated_at.eq(now))).execute(c).await?
            }
        });
        Ok(n)
    }

    /// Disabled users (verified once, now not) unchanged since `cutoff`: users of the methods in
    /// `keep_methods` are switched off (kept for the records), the others deleted.
    /// Returns `(deleted, deactivated)`.
    pub async fn remove_disabled(
        &self,
        cutoff: DateTime<Utc>,
        keep_methods: &[&str],
    ) -> Result<(usize, usize)> {
        let cutoff = cutoff.naive_utc();
        let now = now_utc();
        let counts = db_run!(self, c => {
            let stale = || {
                owums_users::table
                    .filter(owums_users::verified.eq(false))
                    .filter(owums_users::verified_at.is_not_null())
                    .filter(owums_users::active.eq(true))
                    .filter(owums_users::updated_at.le(cutoff))
            };
            let deactivated = diesel::update(stale().filter(owums_users::verification_method.eq_any(keep_methods)))
                .set((owums_users::active.eq(false), owums_users::updated_at.eq(now)))
                .execute(c)
                .await?;
            let deleted = diesel::delete(stale().filter(owums_users::verification_method.ne_all(keep_methods)))
                .execute(c)
                .await?;
            (deleted, deactivated)
        });
        Ok(counts)
    }

    /// Number of users.
    pub async fn count_users(&self) -> Result<i64> {
        Ok(db_run!(self, read c => owums_users::table.count().get_result::<i64>(c).await?))
    }
}
