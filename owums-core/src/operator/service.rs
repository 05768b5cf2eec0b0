//! [`Operators`]: the console's staff, stored with argon2id passwords and their permissions.

use std::fmt;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::ids::Username;
use crate::operator::{Changes, Permissions};
use crate::storage::Store;
use crate::storage::operator::{OperatorField, OperatorRow};
use crate::subscriber::password::{self, PersonalData};
use crate::subscriber::token;

/// How long the first-run link printed by `owums serve` stays valid, in minutes.
pub const SETUP_LINK_MINUTES: i64 = 60;

/// An operator, as stored (without the password hash or the second factor's secret).
#[derive(Clone, PartialEq, Eq)]
pub struct OperatorRecord {
    /// Stable id.
    pub id: Uuid,
    /// The login name (lowercase, with the same rules as subscribers' usernames).
    pub username: String,
    /// What the operator may do.
    pub permissions: Permissions,
    /// Whether the operator may log in.
    pub active: bool,
    /// Free text for other operators.
    pub notes: Option<String>,
    /// Whether a second factor (TOTP) is enrolled and confirmed.
    pub totp_enabled: bool,
    /// How many times the operator logged in.
    pub login_count: i64,
    /// When and from where the operator last logged in (the current login).
    pub current_login: Option<(DateTime<Utc>, String)>,
    /// The login before that.
    pub last_login: Option<(DateTime<Utc>, String)>,
    /// When the operator was created.
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for OperatorRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OperatorRecord")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("permissions", &self.permissions.to_string())
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

fn login(at: Option<NaiveDateTime>, ip: Option<String>) -> Option<(DateTime<Utc>, String)> {
    at.map(|at| (at.and_utc(), ip.unwrap_or_default()))
}

impl TryFrom<OperatorRow> for OperatorRecord {
    type Error = Error;
    fn try_from(r: OperatorRow) -> Result<Self> {
        Ok(OperatorRecord {
            id: r
                .id
                .parse()
                .map_err(|_| Error::Internal(format!("operator with id `{}`", r.id)))?,
            username: r.username,
            permissions: r.permissions.parse()?,
            active: r.active,
            notes: r.notes,
            totp_enabled: r.totp_enabled,
            login_count: r.login_count,
            current_login: login(r.current_login_at, r.current_login_ip),
            last_login: login(r.last_login_at, r.last_login_ip),
            created_at: r.created_at.and_utc(),
        })
    }
}

/// A new random password for an operator (printed once by the command line, shown once by
/// the console): 20 characters from an alphabet without look-alikes, in groups of five
/// (about 110 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(23);
    let mut taken = 0;
    while taken < 20 {
        // 224 = 4 × 56: bytes above it are dropped, so every character is equally likely
        let b = rand::random::<u8>();
        if usize::from(b) >= ALPHABET.len() * 4 {
            continue;
        }
        if taken > 0 && taken % 5 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
        taken += 1;
    }
    out
}

/// The operators: create, authenticate, change. Cheap to clone.
///
/// Every change returns the [`Changes`] it made, for the caller to write to the
/// [`AuditLog`](crate::operator::AuditLog) with who did it. Passwords are checked like
/// subscribers' (zxcvbn, not guessable from the username) and stored as argon2id hashes on
/// the hashing threads; a password or a second factor shows in the changes only as changed.
///
/// ```no_run
/// use owums_core::operator::{Operators, Preset};
/// # async fn demo(store: owums_core::Store) -> owums_core::Result<()> {
/// let operators = Operators::new(store);
/// let (anna, _changes) = operators.create("anna", "Tulip-Harbor-93", Preset::Admin.permissions()).await?;
/// let same = operators.authenticate("ANNA", "Tulip-Harbor-93").await?;
/// assert_eq!(same.id, anna.id);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Operators {
    store: Store,
}

fn now() -> NaiveDateTime {
    crate::storage::now_utc()
}

impl Operators {
    /// The operators of `store`.
    pub fn new(store: Store) -> Self {
        Operators { store }
    }

    /// The store it works on.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Creates an operator with `permissions`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a bad username or a weak password, [`Error::Conflict`] when
    /// the username is taken.
    pub async fn create(
        &self,
        username: &str,
        password: &str,
        permissions: Permissions,
    ) -> Result<(OperatorRecord, Changes)> {
        let row = self.new_row(username, password, permissions).await?;
        self.store.insert_operator(&row).await?;
        created(row)
    }

    async fn new_row(
        &self,
        username: &str,
        password: &str,
        permissions: Permissions,
    ) -> Result<OperatorRow> {
        let name = Username::try_new(username)?;
        password::validate_password(password, &PersonalData::new([name.as_str()]))?;
        let hash = password::hash_password_async(password).await?;
        let now = now();
        Ok(OperatorRow {
            id: Uuid::new_v4().to_string(),
            username: name.as_str().to_owned(),
            password_hash: hash,
            permissions: permissions.to_string(),
            active: true,
            notes: None,
            totp_secret: None,
            totp_enabled: false,
            totp_last_step: None,
            login_count: 0,
            current_login_at: None,
            current_login_ip: None,
            last_login_at: None,
            last_login_ip: None,
            created_at: now,
            updated_at: now,
        })
    }

    /// The operator whose `username` (any case) and `password` match, if active.
    ///
    /// Costs one argon2 verification whether or not the operator exists, so the time of a
    /// refusal does not tell whether a name is taken.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] for an unknown name, a wrong password or a disabled operator.
    pub async fn authenticate(&self, username: &str, password: &str) -> Result<OperatorRecord> {
        let found = match Username::try_new(username) {
            Ok(name) => self.store.find_operator_by_username(name.as_str()).await?,
            Err(_) => None,
        };
        let hash = found
            .as_ref()
            .map_or(crate::subscriber::service::DUMMY_HASH, |r| {
                r.password_hash.as_str()
            });
        let matched = password::check_password_async(password, hash).await;
        match found {
            Some(row) if row.active && matched == Some(true) => row.try_into(),
            _ => Err(Error::Unauthorized),
        }
    }

    /// Records a successful login from `ip` (the count, the current and the last login).
    pub async fn record_login(&self, id: Uuid, ip: &str) -> Result<()> {
        self.store
            .record_operator_login(&id.to_string(), now(), ip)
            .await
    }

    /// Every operator, by username.
    pub async fn list(&self) -> Result<Vec<OperatorRecord>> {
        self.store
            .list_operators()
            .await?
            .into_iter()
            .map(OperatorRecord::try_from)
            .collect()
    }

    /// How many operators exist (none: the first-run link is offered).
    pub async fn count(&self) -> Result<i64> {
        self.store.count_operators().await
    }

    /// The operator `id`, if any.
    pub async fn find(&self, id: Uuid) -> Result<Option<OperatorRecord>> {
        self.store
            .find_operator(&id.to_string())
            .await?
            .map(OperatorRecord::try_from)
            .transpose()
    }

    /// The operator called `username` (any case), if any.
    pub async fn find_by_username(&self, username: &str) -> Result<Option<OperatorRecord>> {
        let Ok(name) = Username::try_new(username) else {
            return Ok(None);
        };
        self.store
            .find_operator_by_username(name.as_str())
            .await?
            .map(OperatorRecord::try_from)
            .transpose()
    }

    pub(crate) async fn row(&self, id: Uuid) -> Result<OperatorRow> {
        self.store
            .find_operator(&id.to_string())
            .await?
            .ok_or_else(|| Error::not_found("operator", id.to_string()))
    }

    pub(crate) async fn set(&self, id: Uuid, field: OperatorField) -> Result<()> {
        if self
            .store
            .update_operator(&id.to_string(), now(), field)
            .await?
        {
            Ok(())
        } else {
            Err(Error::not_found("operator", id.to_string()))
        }
    }

    /// Sets a new password (checked like a new operator's); every session of the operator
    /// ends (the caller logs the one it keeps back in, if any).
    pub async fn set_password(&self, id: Uuid, new_password: &str) -> Result<Changes> {
        let row = self.row(id).await?;
        password::validate_password(new_password, &PersonalData::new([row.username.as_str()]))?;
        let hash = password::hash_password_async(new_password).await?;
        self.set(id, OperatorField::PasswordHash(hash)).await?;
        let mut changes = Changes::default();
        changes.secret("password");
        Ok(changes)
    }

    /// Whether `password` is the operator's current one (the own-password form asks for it).
    pub async fn check_password(&self, id: Uuid, password: &str) -> Result<bool> {
        let row = self.row(id).await?;
        Ok(password::verify_password_async(password, &row.password_hash).await)
    }

    /// Replaces the operator's permissions.
    pub async fn set_permissions(&self, id: Uuid, permissions: Permissions) -> Result<Changes> {
        let row = self.row(id).await?;
        let after = permissions.to_string();
        let mut changes = Changes::default();
        changes.compare("permissions", Some(row.permissions.as_str()), Some(&after));
        if !changes.is_empty() {
            self.set(id, OperatorField::Permissions(after)).await?;
        }
        Ok(changes)
    }

    /// Enables or disables the operator. A disabled operator cannot log in and every one of
    /// their sessions ends at once.
    pub async fn set_active(&self, id: Uuid, active: bool) -> Result<Changes> {
        let row = self.row(id).await?;
        let mut changes = Changes::default();
        changes.compare("active", Some(&row.active), Some(&active));
        if !changes.is_empty() {
            self.set(id, OperatorField::Active(active)).await?;
        }
        if !active {
            self.store
                .delete_operator_sessions(&id.to_string(), None)
                .await?;
        }
        Ok(changes)
    }

    /// Replaces the notes (blank text removes them).
    pub async fn set_notes(&self, id: Uuid, notes: Option<&str>) -> Result<Changes> {
        let row = self.row(id).await?;
        let notes = notes.map(str::trim).filter(|n| !n.is_empty());
        if notes.is_some_and(|n| n.chars().count() > 2000) {
            return Err(Error::invalid("notes", "at most 2000 characters"));
        }
        let mut changes = Changes::default();
        changes.compare("notes", row.notes.as_deref(), notes);
        if !changes.is_empty() {
            self.set(id, OperatorField::Notes(notes.map(str::to_owned)))
                .await?;
        }
        Ok(changes)
    }

    /// Starts the first run: when no operator exists, a new single-use link token valid for
    /// [`SETUP_LINK_MINUTES`] from `now` (replacing any earlier one) is returned; once an
    /// operator exists, `None`. Only its SHA-256 is stored.
    pub async fn start_setup(&self, now: DateTime<Utc>) -> Result<Option<String>> {
        if self.count().await? > 0 {
            return Ok(None);
        }
        let secret = token::random_secret();
        let at = crate::storage::to_second(now);
        self.store
            .replace_setup_link(
                &token::digest(&secret),
                at,
                at + Duration::minutes(SETUP_LINK_MINUTES),
            )
            .await?;
        Ok(Some(secret))
    }

    /// Whether `setup_token` is a live first-run link at `now` (unused, unexpired, and no
    /// operator exists).
    pub async fn setup_link_live(&self, setup_token: &str, now: DateTime<Utc>) -> Result<bool> {
        if !token::is_secret(setup_token) {
            return Ok(false);
        }
        self.store
            .setup_link_live(&token::digest(setup_token), crate::storage::to_second(now))
            .await
    }

    /// Creates the first operator, a superadmin, through the first-run link `setup_token`,
    /// which is used up.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the link is unknown, used or expired at `now`, or an
    /// operator already exists; [`Error::Invalid`] for a bad username or a weak password.
    pub async fn create_first(
        &self,
        setup_token: &str,
        username: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<(OperatorRecord, Changes)> {
        let gone = || Error::not_found("setup link", "");
        if !self.setup_link_live(setup_token, now).await? {
            return Err(gone());
        }
        let row = self.new_row(username, password, Permissions::all()).await?;
        let hash = token::digest(setup_token);
        let at = crate::storage::to_second(now);
        if self.store.create_first_operator(&hash, at, &row).await? {
            created(row)
        } else {
            Err(gone())
        }
    }
}

/// The record and the changes of a new operator.
fn created(row: OperatorRow) -> Result<(OperatorRecord, Changes)> {
    let mut changes = Changes::default();
    changes.created("username", &row.username);
    changes.created("permissions", &row.permissions);
    changes.secret("password");
    Ok((row.try_into()?, changes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_random_and_pass_the_rules() {
        let a = generate_password();
        assert_eq!(a.len(), 23);
        assert_ne!(a, generate_password());
        password::validate_password(&a, &PersonalData::new(["anna"])).unwrap();
    }
}
