//! The REST-mode authorize decision: who may log in, with which replies (FreeRADIUS'
//! `rlm_rest` asks; see `docs/freeradius.md`). The server turns a [`Decision`] into
//! openwisp-radius' HTTP answers.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};

use crate::accounting::access_point::normalize_mac;
use crate::accounting::{AccountingEvent, AcctStatus};
use crate::error::{Error, Result};
use crate::ids::{Email, PhoneNumber, Username};
use crate::radius::authorize_cache::{AuthorizeCache, Rules, Snapshot, Stamp};
use crate::radius::counter::{Counter, CounterUsage};
use crate::radius::credential_cache::{CredentialCache, WrongPasswords};
use crate::radius::profile::{add_counter_reply, limit, rules};
use crate::storage::{Store, UsageSums};
use crate::subscriber::devices::Devices;
use crate::subscriber::password;
use crate::subscriber::user::{UserRecord, UserStatus};

/// `Reply-Message` when `Simultaneous-Use` is exceeded (openwisp-radius' text).
pub const SIMULTANEOUS_USE_MESSAGE: &str = "You are already logged in - access denied";

/// What FreeRADIUS asks about.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AuthorizeRequest {
    /// `User-Name`: a username, an e-mail, a mobile number or (MAC roaming) a device MAC.
    pub username: String,
    /// `User-Password` (PAP).
    pub password: String,
    /// `Called-Station-Id` (the access point).
    pub called_station_id: String,
    /// `Calling-Station-Id` (the device).
    pub calling_station_id: String,
}

impl std::fmt::Debug for AuthorizeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizeRequest")
            .field("username", &self.username)
            .field("called_station_id", &self.called_station_id)
            .field("calling_station_id", &self.calling_station_id)
            .finish_non_exhaustive()
    }
}

/// The longest `User-Password` RADIUS carries (RFC 2865 §5.2), in bytes.
pub const MAX_PASSWORD_BYTES: usize = 128;

impl AuthorizeRequest {
    /// Checks what the NAS sent: no control characters in any field, a password of at most
    /// [`MAX_PASSWORD_BYTES`], the other fields at most
    /// [`MAX_ATTRIBUTE_BYTES`](crate::accounting::MAX_ATTRIBUTE_BYTES). The error names
    /// the field ([`Error::Invalid`]); [`Authorizer::authorize`] refuses such a request
    /// before reading anything.
    ///
    /// ```
    /// use owums_core::radius::AuthorizeRequest;
    /// let mut req = AuthorizeRequest { username: "alice".into(), ..Default::default() };
    /// assert!(req.check().is_ok());
    /// req.calling_station_id = "11-22\0".into();
    /// assert!(req.check().unwrap_err().to_string().contains("calling_station_id"));
    /// ```
    pub fn check(&self) -> Result<()> {
        use crate::accounting::{MAX_ATTRIBUTE_BYTES, check_nas_text};
        check_nas_text("username", &self.username, MAX_ATTRIBUTE_BYTES)?;
        // never echoed: the message says only what is wrong
        check_nas_text("password", &self.password, MAX_PASSWORD_BYTES)?;
        if self.password.len() > MAX_PASSWORD_BYTES {
            return Err(Error::refused(
                "password",
                crate::error::Problem::TooLong {
                    max: MAX_PASSWORD_BYTES,
                },
                format!("must be at most {MAX_PASSWORD_BYTES} bytes long"),
            ));
        }
        check_nas_text(
            "called_station_id",
            &self.called_station_id,
            MAX_ATTRIBUTE_BYTES,
        )?;
        check_nas_text(
            "calling_station_id",
            &self.calling_station_id,
            MAX_ATTRIBUTE_BYTES,
        )
    }
}

/// A reply value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyValue {
    /// From a reply item (always text, as stored).
    Text(Vec<String>),
    /// What a counter left (a number).
    Number(i64),
}

/// One reply attribute of an accepted user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Attribute name.
    pub attribute: String,
    /// Operator (`=`, `:=`, `+=` for several values).
    pub op: String,
    /// Value(s).
    pub value: ReplyValue,
}

/// The answer to an authorize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Accepted, with reply attributes in order (own, then groups', then counters').
    Accept {
        /// The subscriber's username (differs from the request for e-mail, mobile or MAC logins).
        username: String,
        /// Reply attributes.
        replies: Vec<Reply>,
    },
    /// Unknown user, wrong password, or a user who may not log in (unverified, disabled,
    /// inactive, EULA not accepted): no reason is given out.
    Reject,
    /// A group or the user says `Auth-Type := Reject` (the seeded `Disabled` group).
    Refused {
        /// Their `Reply-Message`, if any.
        message: Option<String>,
    },
    /// A counter's limit is used up.
    QuotaReached {
        /// The counter's message.
        message: String,
    },
    /// `Simultaneous-Use` open sessions already exist elsewhere.
    SimultaneousUse,
}

/// Decides authorize requests. Cheap to clone.
#[derive(Clone)]
pub struct Authorizer {
    store: Store,
    cache: Arc<CredentialCache>,
    reads: Arc<AuthorizeCache>,
    wrong: Arc<WrongPasswords>,
    counters: Arc<Vec<Arc<dyn Counter>>>,
    mac_roaming: bool,
    devices: Option<Devices>,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let counters: Vec<_> = self.counters.iter().map(|c| c.check_attribute()).collect();
        f.debug_struct("Authorizer")
            .field("cache", &self.cache)
            .field("reads", &self.reads)
            .field("counters", &counters)
            .field("mac_roaming", &self.mac_roaming)
            .field("devices", &self.devices)
            .finish_non_exhaustive()
    }
}

/// A hash to verify against when the user does not exist, so the work is the same.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash_password("owums-no-such-user").unwrap_or_default())
}

impl Authorizer {
    /// An authorizer over `store` with these counters and password cache, reading the
    /// database on every request (see [`Authorizer::with_reads_cache`]).
    pub fn new(
        store: Store,
        cache: Arc<CredentialCache>,
        counters: Vec<Arc<dyn Counter>>,
        mac_roaming: bool,
    ) -> Self {
        // made now rather than on the first unknown user's request
        let _ = dummy_hash();
        Authorizer {
            store,
            cache,
            reads: Arc::new(AuthorizeCache::off()),
            wrong: Arc::new(WrongPasswords::off()),
            counters: Arc::new(counters),
            mac_roaming,
            devices: None,
        }
    }

    /// Lets registered devices in by MAC authentication: a `User-Name` that is a registered
    /// MAC (in any spelling) with the policy's password is decided as the device's owner.
    /// Devices are read on every request (never cached), so a removed device or a disabled
    /// owner is refused on the next one.
    pub fn with_devices(mut self, devices: Devices) -> Self {
        self.devices = Some(devices);
        self
    }

    /// Answers a login name seen recently from `reads` instead of the database (see
    /// [`AuthorizeCache`] for how fresh the answers are).
    pub fn with_reads_cache(mut self, reads: AuthorizeCache) -> Self {
        self.reads = Arc::new(reads);
        self
    }

    /// Notes in `wrong` each password it finds wrong for a login name (trimmed, as FreeRADIUS
    /// sent it; an unknown name has no right password). Off by default: nothing is noted.
    pub fn noting_wrong_passwords(mut self, wrong: Arc<WrongPasswords>) -> Self {
        self.wrong = wrong;
        self
    }

    /// The password cache.
    pub fn cache(&self) -> &CredentialCache {
        &self.cache
    }

    /// Tells the cache of recent reads about accounting this process recorded: the user's
    /// usage changed (and, for a NAS restart, many users' open sessions).
    pub fn saw_accounting(&self, event: &AccountingEvent) {
        match event.status {
            AcctStatus::AccountingOn | AcctStatus::AccountingOff => self.reads.clear(),
            _ => self.reads.forget(event.username.trim()),
        }
    }

    /// The cache of recent reads.
    pub fn reads_cache(&self) -> &AuthorizeCache {
        &self.reads
    }

    /// The counts of changes that make the cache's entries stale (the database's generation
    /// is read only while the cache is on).
    async fn stamp(&self) -> Result<Stamp> {
        let writes = self.store.user_writes();
        let generation = if self.reads.is_on() {
            self.store.radius_generation().await?
        } else {
            0
        };
        Ok(Stamp { writes, generation })
    }

    /// The user and their password hash for a `User-Name` that may be a username, an
    /// e-mail or a mobile number.
    async fn find_login(&self, name: &str) -> Result<Option<(UserRecord, String)>> {
        if let Ok(username) = Username::try_new(name)
            && let Some(found) = self.store.find_login(&username).await?
        {
            return Ok(Some(found));
        }
        let user = if name.contains('@') {
            match Email::try_new(name) {
                Ok(e) => self.store.find_user_by_email(&e).await?,
                Err(_) => None,
            }
        } else if name.starts_with('+') {
            match PhoneNumber::parse(name) {
                Ok(m) => self.store.find_user_by_mobile(&m).await?,
                Err(_) => None,
            }
        } else {
            None
        };
        match user {
            Some(u) => self.store.find_login(&u.username).await,
            None => Ok(None),
        }
    }

    /// Checks the password, through the cache.
    async fn password_ok(&self, user: &UserRecord, password: &str, hash: &str) -> bool {
        let name = user.username.as_str();
        if self.cache.check(name, password, hash) {
            return true;
        }
        let ok = password::verify_password_async(password, hash).await;
        if ok {
            self.cache.remember(name, password, hash);
        }
        ok
    }

    /// The user a roaming device (`User-Name` = its MAC) belongs to, if roaming applies.
    async fn roaming_user(&self, name: &str) -> Result<Option<UserRecord>> {
        if !self.mac_roaming {
            return Ok(None);
        }
        let Some(mac) = normalize_mac(name) else {
            return Ok(None);
        };
        let Some(owner) = self.store.open_session_user_by_mac(&mac).await? else {
            return Ok(None);
        };
        match Username::try_new(&owner) {
            Ok(u) => self.store.find_user_by_username(&u).await,
            Err(_) => Ok(None),
        }
    }

    /// Decides one request at time `now`.
    pub async fn authorize(&self, req: &AuthorizeRequest, now: DateTime<Utc>) -> Result<Decision> {
        req.check()?;
        let name = req.username.trim();
        if name.is_empty() {
            return Ok(Decision::Reject);
        }
        if let Some(decision) = self.device_login(req, name, now).await? {
            return Ok(decision);
        }
        if let Some(user) = self.roaming_user(name).await? {
            return self.decide_for_owner(&user, req, now).await;
        }
        let seen = match self.reads.get(name, self.stamp().await?) {
            Some(seen) => {
                if self.reads.refresh_due(&seen) {
                    self.read_again_later(name, now);
                }
                seen
            }
            None => match self.load(name, now).await? {
                Some(seen) => seen,
                None => {
                    let _ = password::verify_password_async(&req.password, dummy_hash()).await;
                    self.wrong.note(name, &req.password);
                    return Ok(Decision::Reject);
                }
            },
        };
        // checked whether or not the user may log in: every reject costs the same, and the
        // post-auth log learns which passwords were wrong
        let password_ok = self
            .password_ok(&seen.user, &req.password, &seen.hash)
            .await;
        if password_ok {
            // not wrong any more (the password was changed to it since)
            self.wrong.take(name, &req.password);
        } else {
            self.wrong.note(name, &req.password);
        }
        if !password_ok || !may_log_in(&seen.user) || seen.expires_at.is_some_and(|e| e <= now) {
            return Ok(Decision::Reject);
        }
        let username = seen.user.username.as_str();
        let usage = CounterUsage::with_known(&self.store, username, seen.usage.clone());
        self.decide(&seen.user, &seen.rules, req, now, &usage).await
    }

    /// What `name` needs read from the database (`None`: no such user), kept in the cache
    /// when the user may log in. Concurrent misses of one name wait for the first one's
    /// reads instead of all reading.
    async fn load(&self, name: &str, now: DateTime<Utc>) -> Result<Option<Arc<Snapshot>>> {
        if !self.reads.is_on() {
            return Ok(self.read(name, now).await?.map(Arc::new));
        }
        let lock = self.reads.loading(name);
        let guard = lock.lock().await;
        let loaded = match self.reads.get(name, self.stamp().await?) {
            Some(seen) => Ok(Some(seen)),
            None => self.read(name, now).await.map(|read| {
                read.map(|snapshot| {
                    let snapshot = Arc::new(snapshot);
                    if may_log_in(&snapshot.user) && snapshot.cacheable {
                        self.reads.put(name, snapshot.clone());
                    }
                    snapshot
                })
            }),
        };
        drop(guard);
        self.reads.loaded(name, lock);
        loaded
    }

    /// Reads the user, their profile and the usage windows their counters look at `now`.
    async fn read(&self, name: &str, now: DateTime<Utc>) -> Result<Option<Snapshot>> {
        // taken before the reads: a write meanwhile makes what they return stale at once
        let (read_at, writes) = (self.reads.now(), self.stamp().await?);
        let Some((user, hash)) = self.find_login(name).await? else {
            return Ok(None);
        };
        if !may_log_in(&user) {
            return Ok(Some(Snapshot::new(
                user,
                hash,
                Rules::default(),
                vec![],
                read_at,
                writes,
            )));
        }
        let rules = rules(&self.store.radius_profile(user.id).await?);
        let mut usage: Vec<(i64, UsageSums)> = Vec::new();
        for counter in self.counters.iter() {
            let since = counter.reset().window_start(now);
            let limited = matches!(limit(&rules.checks, counter.check_attribute()), Ok(Some(_)));
            if limited && !usage.iter().any(|(s, _)| *s == since) {
                let sums = self
                    .store
                    .usage_since(user.username.as_str(), since)
                    .await?;
                usage.push((since, sums));
            }
        }
        let (expires_at, cacheable) = self.voucher_expiry(&user).await?;
        Ok(Some(
            Snapshot::new(user, hash, rules, usage, read_at, writes)
                .with_expiry(expires_at, cacheable),
        ))
    }

    /// When `user` expires if a voucher, and whether that is known for good (a voucher
    /// valid some days after a first use not seen yet is not). Reads nothing for users
    /// who are not vouchers.
    async fn voucher_expiry(&self, user: &UserRecord) -> Result<(Option<DateTime<Utc>>, bool)> {
        if user.verification_method != crate::radius::vouchers::VOUCHER_METHOD {
            return Ok((None, true));
        }
        let Some(batch) = self.store.batch_of_voucher(&user.id.to_string()).await? else {
            return Ok((None, true));
        };
        if batch.valid_until.is_some() {
            return Ok((crate::radius::vouchers::expiry(&batch, None), true));
        }
        let first = self.store.first_use(user.username.as_str()).await?;
        Ok((
            crate::radius::vouchers::expiry(&batch, first),
            first.is_some(),
        ))
    }

    /// Reads `name` again in the background, into the cache (or out of it, when the user is
    /// gone or may no longer log in).
    fn read_again_later(&self, name: &str, now: DateTime<Utc>) {
        let (this, name) = (self.clone(), name.to_owned());
        tokio::spawn(async move {
            match this.read(&name, now).await {
                Ok(Some(snapshot)) if may_log_in(&snapshot.user) => {
                    this.reads.put(&name, Arc::new(snapshot));
                }
                Ok(_) => this.reads.forget(&name),
                Err(e) => {
                    this.reads.forget(&name);
                    tracing::warn!(error = %e, "authorize cache: reading a user again failed");
                }
            }
        });
    }

    async fn decide(
        &self,
        user: &UserRecord,
        rules: &Rules,
        req: &AuthorizeRequest,
        now: DateTime<Utc>,
        usage: &CounterUsage<'_>,
    ) -> Result<Decision> {
        let checks = &rules.checks;
        let mut replies = rules.replies.clone();
        if checks
            .get("auth-type")
            .is_some_and(|v| v.eq_ignore_ascii_case("reject"))
        {
            let message = replies
                .iter()
                .find(|r| r.attribute.eq_ignore_ascii_case("Reply-Message"))
                .and_then(|r| match &r.value {
                    ReplyValue::Text(v) => v.first().cloned(),
                    ReplyValue::Number(_) => None,
                });
            return Ok(Decision::Refused { message });
        }
        let username = user.username.as_str();
        if let Some(limit) = limit(checks, "Simultaneous-Use")? {
            let open = self
                .store
                .open_sessions_elsewhere(username, &req.called_station_id, &req.calling_station_id)
                .await?;
            if open >= limit {
                return Ok(Decision::SimultaneousUse);
            }
        }
        for counter in self.counters.iter() {
            let Some(max) = limit(checks, counter.check_attribute())? else {
                continue;
            };
            let used = counter
                .used(usage, counter.reset().window_start(now))
                .await?;
            let left = super::counter::remaining(max, used);
            if left <= 0 {
                return Ok(Decision::QuotaReached {
                    message: counter.reply_message().to_owned(),
                });
            }
            add_counter_reply(&mut replies, counter.reply_attribute(), left);
        }
        Ok(Decision::Accept {
            username: username.to_owned(),
            replies,
        })
    }
}

/// Verified, active and EULA accepted: a valid RADIUS user.
fn may_log_in(user: &UserRecord) -> bool {
    user.status() == UserStatus::Verified && user.eula_accepted
}

#[path = "authorize_devices.rs"]
mod devices;
