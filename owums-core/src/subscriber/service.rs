//! Subscriber services: registration and the state transitions of DESIGN §3, each one
//! transaction, shared by the reference server and integrators.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Problem, Result};
use crate::ids::{Email, GroupName, PhoneNumber, UserId, Username};
use crate::radius::CredentialCache;
use crate::settings::Settings;
use crate::storage::{NewUserRow, Store};
use crate::subscriber::password::{self, PasswordFormat};
use crate::subscriber::user::{NewUser, UserRecord, UserStatus};

/// Registers subscribers and moves them between states.
#[derive(Debug, Clone)]
pub struct Subscribers {
    store: Store,
    format: PasswordFormat,
    /// Web-password hashes computed by [`Subscribers::authenticate`] (shared by clones).
    pub(super) checks: Arc<AtomicU64>,
    /// Recent successful password checks (off unless set with
    /// [`Subscribers::with_credential_cache`]).
    pub(super) credentials: Arc<CredentialCache>,
}

impl Subscribers {
    /// Services over `store`, giving FreeRADIUS passwords in `format`.
    pub fn new(store: Store, format: PasswordFormat) -> Self {
        Subscribers {
            store,
            format,
            checks: Arc::default(),
            credentials: Arc::new(CredentialCache::new(0, std::time::Duration::ZERO)),
        }
    }

    /// The same services remembering recent successful password checks in `cache`: a
    /// subscriber who logs in again with the same password, against the same stored hash,
    /// within the cache's time to live, is not hashed again. The reference server shares one
    /// cache between these logins and FreeRADIUS' REST authorize, so a captive-portal logon
    /// (checked here, then by RADIUS) costs one argon2id verification, not two.
    pub fn with_credential_cache(mut self, cache: Arc<CredentialCache>) -> Self {
        self.credentials = cache;
        self
    }

    /// The cache of recent successful password checks (capacity 0 when off).
    pub fn credential_cache(&self) -> &Arc<CredentialCache> {
        &self.credentials
    }

    /// How many argon2 verifications [`Subscribers::authenticate`] computed (these services
    /// and their clones): every failed login costs exactly one, whether the account exists,
    /// is switched off or got a wrong password, so timing does not tell them apart; a
    /// successful one costs one too, unless the [credential
    /// cache](Subscribers::with_credential_cache) remembers the same password.
    pub fn password_checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    /// The subscriber an identifier names: a username or an e-mail address, any case.
    /// One lookup either way.
    pub async fn find_by_identifier(&self, identifier: &str) -> Result<Option<UserRecord>> {
        let key = identifier.trim();
        if key.contains('@') {
            match Email::try_new(key) {
                Ok(email) => self.store.find_user_by_email(&email).await,
                Err(_) => Ok(None),
            }
        } else {
            match Username::try_new(key) {
                Ok(name) => self.store.find_user_by_username(&name).await,
                Err(_) => Ok(None),
            }
        }
    }

    /// [`account_key`](Self::account_key) for a mobile number: the id of the subscriber
    /// with that number (so a recovery by phone and one by e-mail count against the same
    /// account), else the number itself (E.164, one spelling for every way of typing it).
    pub async fn mobile_account_key(&self, mobile: &PhoneNumber) -> Result<String> {
        Ok(match self.store.find_user_by_mobile(mobile).await? {
            Some(user) => format!("user:{}", user.id),
            None => format!("tel:{}", mobile.as_str()),
        })
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The format FreeRADIUS gets passwords in.
    pub fn password_format(&self) -> PasswordFormat {
        self.format
    }

    /// Registers a new, unverified subscriber in the default RADIUS group.
    pub async fn register(&self, new: NewUser) -> Result<UserRecord> {
        self.create(new, false, &[]).await
    }

    /// Creates a subscriber, verified or not, in `groups` (or the default group when empty).
    ///
    /// # Errors
    ///
    /// [`Error::Fields`] for text the rules of [`crate::subscriber::check_text`] refuse (too
    /// long for its column, control characters) or a missing verification method;
    /// [`Error::Invalid`] for a missing username or a password
    /// [`validate_password`](crate::subscriber::validate_password) refuses. Nothing is
    /// stored then.
    pub async fn create(
        &self,
        new: NewUser,
        verified: bool,
        groups: &[GroupName],
    ) -> Result<UserRecord> {
        let personal = password::PersonalData::of_new_user(&new);
        password::validate_password(&new.password, &personal)?;
        self.create_unchecked_strength(new, verified, groups).await
    }

    /// [`Subscribers::create`] for an operator who chose a weak password on purpose (`owums
    /// user create --weak-password-ok`): the password's length and characters are still
    /// checked, its strength is not.
    ///
    /// # Errors
    ///
    /// As [`Subscribers::create`], except for a guessable password.
    pub async fn create_with_weak_password(
        &self,
        new: NewUser,
        verified: bool,
        groups: &[GroupName],
    ) -> Result<UserRecord> {
        password::validate_password_shape(&new.password)?;
        self.create_unchecked_strength(new, verified, groups).await
    }

    async fn create_unchecked_strength(
        &self,
        new: NewUser,
        verified: bool,
        groups: &[GroupName],
    ) -> Result<UserRecord> {
        let (row, radius_password, memberships) = self.prepare_new(new, verified, groups).await?;
        let user = self
            .store
            .insert_user(
                row,
                (self.format.attribute(), &radius_password),
                &memberships,
            )
            .await?;
        tracing::info!(user = %user.username, verified, "subscriber created");
        Ok(user)
    }

    /// The row, RADIUS password value and memberships (with priorities) of a new
    /// subscriber whose password was already checked: the text rules of
    /// [`check_new_user`](crate::subscriber::input::check_new_user), the groups (the
    /// default group when `groups` is empty) looked up, the password hashed.
    pub(crate) async fn prepare_new(
        &self,
        new: NewUser,
        verified: bool,
        groups: &[GroupName],
    ) -> Result<(NewUserRow, String, Vec<(GroupName, i32)>)> {
        let username = new
            .username
            .clone()
            .ok_or_else(|| Error::refused("username", Problem::Required, "is required"))?;
        crate::subscriber::input::check_new_user(&new)?;
        let mut memberships = Vec::with_capacity(groups.len().max(1));
        let names = if groups.is_empty() {
            let default = Settings::new(self.store.clone())
                .get(crate::subscriber::settings::DEFAULT_RADIUS_GROUP)
                .await?;
            vec![GroupName::try_new(&default)?]
        } else {
            groups.to_vec()
        };
        for name in names {
            let priority = self
                .store
                .group_priority(&name)
                .await?
                .ok_or_else(|| Error::not_found("RADIUS group", name.as_str()))?;
            memberships.push((name, priority));
        }
        let now = crate::storage::now_utc();
        let row = NewUserRow {
            id: UserId::random().to_string(),
            username: username.as_str().to_owned(),
            email: new.email.map(String::from),
            mobile: new.mobile.map(String::from),
            given_name: new.given_name,
            surname: new.surname,
            birth_date: new.birth_date,
            address: new.address,
            city: new.city,
            zip: new.zip,
            country: new.country,
            verification_method: new.verification_method,
            verified,
            verified_at: verified.then_some(now),
            active: true,
            eula_accepted: new.eula_accepted,
            privacy_accepted: new.privacy_accepted,
            locale: if new.locale.is_empty() {
                "en".to_owned()
            } else {
                new.locale
            },
            notes: new.notes,
            password_hash: password::hash_password_async(&new.password).await?,
            created_at: now,
            updated_at: now,
        };
        let radius_password = self.format.encode(&new.password)?;
        Ok((row, radius_password, memberships))
    }

    /// Looks a subscriber up by username (case-insensitive).
    pub async fn find(&self, username: &str) -> Result<UserRecord> {
        let name = Username::try_new(username)?;
        self.store
            .find_user_by_username(&name)
            .await?
            .ok_or_else(|| Error::not_found("user", name.as_str()))
    }

    async fn transition(
        &self,
        id: UserId,
        action: &'static str,
        f: impl Fn(&UserRecord) -> Result<crate::storage::StateChange> + Send + Sync,
    ) -> Result<UserRecord> {
        self.store
            .change_state(id, action, f, None, None)
            .await?
            .ok_or_else(|| Error::not_found("user", id.to_string()))
    }

    /// Verifies an unverified subscriber, or re-enables a disabled one (verifying again).
    /// The first verification queues the new-account mail in the same transaction (see
    /// [`crate::mail`]).
    pub async fn verify(&self, id: UserId) -> Result<UserRecord> {
        self.verify_recording(id, None).await
    }

    /// [`Subscribers::verify`], writing `record` (an operator's verification and the files
    /// kept with it) in the same transaction.
    pub(crate) async fn verify_recording(
        &self,
        id: UserId,
        record: Option<crate::storage::subscriber::operator::OperatorRecord>,
    ) -> Result<UserRecord> {
        let now = crate::storage::now_utc();
        let mail = match self.store.find_user(id).await? {
            Some(user) => crate::mail::new_account_mail(&self.store, &user).await?,
            None => None,
        };
        let verify = |u: &UserRecord| match u.status() {
            UserStatus::Unverified | UserStatus::Disabled | UserStatus::Verified => {
                Ok(crate::storage::StateChange {
                    verified: true,
                    verified_at: Some(u.verified_at.map_or(now, |t| t.naive_utc())),
                    active: true,
                })
            }
            s @ UserStatus::Inactive => Err(Error::InvalidTransition {
                action: "verify",
                state: s.as_str(),
            }),
        };
        self.store
            .change_state(id, "verify", verify, mail, record)
            .await?
            .ok_or_else(|| Error::not_found("user", id.to_string()))
    }

    /// Disables a verified subscriber (by the user or an operator); verifying again re-enables.
    pub async fn disable(&self, id: UserId) -> Result<UserRecord> {
        self.transition(id, "disable", |u| match u.status() {
            UserStatus::Verified | UserStatus::Disabled => Ok(crate::storage::StateChange {
                verified: false,
                verified_at: u.verified_at.map(|t| t.naive_utc()),
                active: u.active,
            }),
            s => Err(Error::InvalidTransition {
                action: "disable",
                state: s.as_str(),
            }),
        })
        .await
    }

    /// Re-enables a disabled subscriber.
    pub async fn enable(&self, id: UserId) -> Result<UserRecord> {
        self.transition(id, "enable", |u| match u.status() {
            UserStatus::Disabled | UserStatus::Verified => Ok(crate::storage::StateChange {
                verified: true,
                verified_at: u.verified_at.map(|t| t.naive_utc()),
                active: true,
            }),
            s => Err(Error::InvalidTransition {
                action: "enable",
                state: s.as_str(),
            }),
        })
        .await
    }

    /// Switches an account off (operator): no RADIUS, no web login.
    pub async fn deactivate(&self, id: UserId) -> Result<UserRecord> {
        self.transition(id, "deactivate", |u| {
            Ok(crate::storage::StateChange {
                verified: u.verified,
                verified_at: u.verified_at.map(|t| t.naive_utc()),
                active: false,
            })
        })
        .await
    }

    /// Switches an account back on.
    pub async fn activate(&self, id: UserId) -> Result<UserRecord> {
        self.transition(id, "activate", |u| {
            Ok(crate::storage::StateChange {
                verified: u.verified,
                verified_at: u.verified_at.map(|t| t.naive_utc()),
                active: true,
            })
        })
        .await
    }

    /// Deletes a subscriber with everything that belongs to them (sessions in `radacct` stay).
    pub async fn delete(&self, id: UserId) -> Result<()> {
        if self.store.delete_user(id).await? {
            tracing::info!(user = %id, "subscriber deleted");
            Ok(())
        } else {
            Err(Error::not_found("user", id.to_string()))
        }
    }

    /// Sets a new password (web hash and the RADIUS value), checked by
    /// [`validate_password`](crate::subscriber::validate_password) against the subscriber's
    /// own data.
    pub async fn set_password(&self, id: UserId, new_password: &str) -> Result<()> {
        let user = self
            .store
            .find_user(id)
            .await?
            .ok_or_else(|| Error::not_found("user", id.to_string()))?;
        password::validate_password(new_password, &password::PersonalData::of_user(&user))?;
        self.write_password(id, new_password).await
    }

    /// [`Subscribers::set_password`] for an operator who chose a weak password on purpose
    /// (`owums user passwd --weak-password-ok`): only length and characters are checked.
    pub async fn set_weak_password(&self, id: UserId, new_password: &str) -> Result<()> {
        password::validate_password_shape(new_password)?;
        self.write_password(id, new_password).await
    }

    async fn write_password(&self, id: UserId, new_password: &str) -> Result<()> {
        let hash = password::hash_password_async(new_password).await?;
        let radius = self.format.encode(new_password)?;
        if self
            .store
            .set_user_password(id, &hash, self.format.attribute(), &radius)
            .await?
        {
            Ok(())
        } else {
            Err(Error::not_found("user", id.to_string()))
        }
    }
}

/// Stands in for the hash of an account that does not exist, so that a login for an unknown
/// name costs the same argon2id work as a real one (made with the parameters of new hashes,
/// which a test keeps in step).
pub(crate) const DUMMY_HASH: &str = "$argon2id$v=19$m=12288,t=3,p=1$G7DtP5ygFSB383QBl4ekQA$aUvym3tppnPDIWuU7bK3BSlh63w5pbpnsSwR9eOCeSo";
