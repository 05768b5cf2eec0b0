//! Voucher batches (as RADIUSdesk has them): N subscribers generated at once with a prefix,
//! random passwords, a group and a validity that ends on a date or some days after the
//! voucher is first used.
//!
//! A voucher is an ordinary subscriber (verified, active, EULA accepted, method `voucher`)
//! whose username is the batch's prefix and a random suffix. FreeRADIUS in SQL mode stops
//! seeing an expired voucher in its views; the REST authorize refuses it like an inactive
//! user. First use is the voucher's earliest accounting start in `radacct`.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

use crate::error::{Error, Problem, Result};
use crate::ids::{GroupName, UserId, Username};
use crate::operator::Changes;
use crate::storage::Store;
use crate::storage::subscriber::users::{NewUserRow, now_utc};
use crate::storage::subscriber::vouchers::{BatchRow, NewBatchRow, NewVoucher};
use crate::subscriber::PasswordFormat;
use crate::subscriber::hasher::{Memory, hash_voucher};

/// The characters of generated suffixes and passwords: lowercase letters and digits
/// without 0, o, 1 and l, which are read alike (32 characters, 5 bits each).
pub const VOUCHER_ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyz";
/// The default password length (about 50 bits).
pub const DEFAULT_PASSWORD_LENGTH: usize = 10;
/// The most vouchers one batch may hold.
pub const MAX_VOUCHERS: usize = 100_000;
/// The verification method of vouchers.
pub const VOUCHER_METHOD: &str = "voucher";
/// Random characters after the prefix of a voucher's username.
const SUFFIX_LENGTH: usize = 6;

/// How long a batch's vouchers are valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// Until the end of this day (UTC).
    Until(NaiveDate),
    /// This many days after first use.
    Days(u32),
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct VoucherRequest {
    /// The batch's unique name.
    pub batch: String,
    /// How many vouchers (1 – [`MAX_VOUCHERS`]).
    pub count: usize,
    /// The start of every username.
    pub prefix: String,
    /// Password length (6 – 32).
    pub length: usize,
    /// The group of the vouchers.
    pub group: GroupName,
    /// Their validity.
    pub validity: Validity,
    /// The operator generating them, for the record.
    pub created_by: Option<String>,
}

/// Where a voucher stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoucherState {
    /// Never used and not expired.
    Unused,
    /// Used and not expired.
    Used,
    /// Past its validity.
    Expired,
}

impl VoucherState {
    /// `unused`, `used` or `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            VoucherState::Unused => "unused",
            VoucherState::Used => "used",
            VoucherState::Expired => "expired",
        }
    }
}

/// One voucher as the batch view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherView {
    /// Its username.
    pub username: String,
    /// Its first accounting start.
    pub first_used: Option<DateTime<Utc>>,
    /// When it expires (unknown for a days validity before first use).
    pub expires_at: Option<DateTime<Utc>>,
    /// Its state now.
    pub state: VoucherState,
}

/// A batch with its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    /// Name.
    pub name: String,
    /// Username prefix.
    pub prefix: String,
    /// Group.
    pub group: String,
    /// Length of the passwords.
    pub password_length: usize,
    /// Validity.
    pub validity: Validity,
    /// When generated.
    pub created_at: DateTime<Utc>,
    /// By whom.
    pub created_by: Option<String>,
    /// Vouchers never used and valid.
    pub unused: usize,
    /// Vouchers used and still valid.
    pub used: usize,
    /// Vouchers past their validity.
    pub expired: usize,
}

/// What [`Vouchers::generate`] made: the only time the passwords are known.
#[derive(Debug, Clone)]
pub struct Generated {
    /// `(username, password)` of each voucher.
    pub vouchers: Vec<(String, String)>,
    /// The batch.
    pub batch: BatchSummary,
    /// What changed, for the audit log (no passwords).
    pub changes: Changes,
}

/// When a voucher of `batch` first used at `first_used` (Unix seconds) expires.
pub(crate) fn expiry(batch: &BatchRow, first_used: Option<i64>) -> Option<DateTime<Utc>> {
    if let Some(until) = batch.valid_until {
        return Some(until.and_utc());
    }
    let days = batch.valid_days?;
    let first = DateTime::from_timestamp(first_used?, 0)?;
    Some(first + Duration::days(i64::from(days)))
}

/// At most this many threads hash a batch's passwords.
const MAX_HASHING_THREADS: usize = 8;

/// The subscriber row of voucher `username`: verified and active, EULA accepted, method
/// `voucher`, with the web password's hash.
fn voucher_row(username: String, password_hash: String, now: NaiveDateTime) -> NewUserRow {
    NewUserRow {
        id: UserId::random().to_string(),
        username,
        email: None,
        mobile: None,
        given_name: String::new(),
        surname: String::new(),
        birth_date: None,
        address: String::new(),
        city: String::new(),
        zip: String::new(),
        country: String::new(),
        verification_method: VOUCHER_METHOD.to_owned(),
        verified: true,
        verified_at: Some(now),
        active: true,
        eula_accepted: true,
        privacy_accepted: true,
        locale: "en".to_owned(),
        notes: None,
        password_hash,
        created_at: now,
        updated_at: now,
    }
}

fn validity(b: &BatchRow) -> Validity {
    match (b.valid_until, b.valid_days) {
        (Some(t), _) => Validity::Until((t - Duration::days(1)).date()),
        (None, d) => Validity::Days(u32::try_from(d.unwrap_or(0)).unwrap_or(0)),
    }
}

/// `n` characters of [`VOUCHER_ALPHABET`], uniformly (32 divides 256: no bias).
fn random_string(n: usize) -> String {
    (0..n)
        .map(|_| {
            char::from(VOUCHER_ALPHABET[usize::from(rand::random::<u8>()) % VOUCHER_ALPHABET.len()])
        })
        .collect()
}

fn state(expires: Option<DateTime<Utc>>, used: bool, now: DateTime<Utc>) -> VoucherState {
    match expires {
        Some(e) if e <= now => VoucherState::Expired,
        _ if used => VoucherState::Used,
        _ => VoucherState::Unused,
    }
}

/// Generates and shows voucher batches. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Vouchers {
    store: Store,
    format: PasswordFormat,
}

impl Vouchers {
    /// The service over `store`, writing RADIUS passwords in `format` (`[radius]
    /// password_format`).
    pub fn new(store: Store, format: PasswordFormat) -> Self {
        Vouchers { store, format }
    }

    fn check(&self, req: &VoucherRequest) -> Result<()> {
        if !(1..=MAX_VOUCHERS).contains(&req.count) {
            return Err(Error::refused(
                "count",
                Problem::OutOfRange,
                format!("must be between 1 and {MAX_VOUCHERS}"),
            ));
        }
        if !(6..=32).contains(&req.length) {
            return Err(Error::refused(
                "length",
                Problem::OutOfRange,
                "must be between 6 and 32",
            ));
        }
        let name = req.batch.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(Error::refused(
                "batch",
                Problem::BadFormat,
                "must be 1 to 64 characters without control characters",
            ));
        }
        let sample = format!("{}{}", req.prefix, "a".repeat(SUFFIX_LENGTH));
        match Username::try_new(&sample) {
            Ok(u) if u.as_str() == sample && req.prefix.len() <= 32 && !req.prefix.is_empty() => {
                Ok(())
            }
            _ => Err(Error::refused(
                "prefix",
                Problem::BadFormat,
                "must be 1 to 32 lowercase characters a username may start with",
            )),
        }
    }

    /// Generates `req.count` vouchers in a new batch, in one transaction: either all of
    /// them are stored or none.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a bad count, length, prefix or batch name; [`Error::NotFound`]
    /// for an unknown group; [`Error::Conflict`] when the batch name (or, rarely, a
    /// username) is taken. Nothing is written then.
    pub async fn generate(&self, req: &VoucherRequest) -> Result<Generated> {
        self.check(req)?;
        if self.store.find_group(&req.group).await?.is_none() {
            return Err(Error::not_found("RADIUS group", req.group.as_str()));
        }
        if self.store.voucher_batch(req.batch.trim()).await?.is_some() {
            return Err(Error::Conflict {
                entity: "voucher batch",
            });
        }
        let now = now_utc();
        let batch = NewBatchRow {
            name: req.batch.trim().to_owned(),
            prefix: req.prefix.clone(),
            group_name: req.group.as_str().to_owned(),
            password_length: i32::try_from(req.length).unwrap_or(10),
            valid_until: match req.validity {
                Validity::Until(d) => {
                    Some((d + Duration::days(1)).and_time(chrono::NaiveTime::MIN))
                }
                Validity::Days(_) => None,
            },
            valid_days: match req.validity {
                Validity::Days(n) => Some(i32::try_from(n).unwrap_or(i32::MAX)),
                Validity::Until(_) => None,
            },
            created_at: now,
            created_by: req.created_by.clone(),
        };
        // usernames (unique within the batch) and passwords first; then the hashing, the
        // slow part, on every core
        let mut seen = std::collections::HashSet::with_capacity(req.count);
        let mut pairs = Vec::with_capacity(req.count);
        while pairs.len() < req.count {
            let username = format!("{}{}", req.prefix, random_string(SUFFIX_LENGTH));
            if seen.insert(username.clone()) {
                pairs.push((username, random_string(req.length)));
            }
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(MAX_HASHING_THREADS);
        let per_task = req.count.div_ceil(threads).max(1);
        let format = self.format;
        let tasks: Vec<_> = pairs
            .chunks(per_task)
            .map(|chunk| {
                let chunk = chunk.to_vec();
                tokio::task::spawn_blocking(move || -> Result<Vec<(NewVoucher, String)>> {
                    let mut memory = Memory::default();
                    chunk
                        .into_iter()
                        .map(|(username, password)| {
                            let user = voucher_row(
                                username,
                                hash_voucher(&mut memory, password.as_bytes())?,
                                now,
                            );
                            let radius_value = format.encode(&password)?;
                            Ok((NewVoucher { user, radius_value }, password))
                        })
                        .collect()
                })
            })
            .collect();
        let mut made = Vec::with_capacity(req.count);
        for task in tasks {
            made.extend(
                task.await
                    .map_err(|e| Error::Internal(format!("voucher generation: {e}")))??,
            );
        }
        let (rows, passwords): (Vec<NewVoucher>, Vec<String>) = made.into_iter().unzip();
        self.store
            .insert_voucher_batch(&batch, self.format.attribute(), &rows)
            .await?;
        let mut changes = Changes::default();
        changes.created("voucher_batch", &batch.name);
        changes.created("vouchers", &rows.len());
        let vouchers = rows
            .into_iter()
            .map(|r| r.user.username)
            .zip(passwords)
            .collect();
        let batch = self
            .summary(&batch.name)
            .await?
            .ok_or_else(|| Error::Internal("generated batch vanished".to_owned()))?;
        Ok(Generated {
            vouchers,
            batch,
            changes,
        })
    }

    async fn views(&self, b: &BatchRow, now: DateTime<Utc>) -> Result<Vec<VoucherView>> {
        Ok(self
            .store
            .voucher_uses(b.id)
            .await?
            .into_iter()
            .map(|u| {
                let expires_at = expiry(b, u.first_used);
                VoucherView {
                    username: u.username,
                    first_used: u.first_used.and_then(|t| DateTime::from_timestamp(t, 0)),
                    expires_at,
                    state: state(expires_at, u.first_used.is_some(), now),
                }
            })
            .collect())
    }

    fn summarize(b: &BatchRow, views: &[VoucherView]) -> BatchSummary {
        let count = |s| views.iter().filter(|v| v.state == s).count();
        BatchSummary {
            name: b.name.clone(),
            prefix: b.prefix.clone(),
            group: b.group_name.clone(),
            password_length: usize::try_from(b.password_length).unwrap_or(0),
            validity: validity(b),
            created_at: b.created_at.and_utc(),
            created_by: b.created_by.clone(),
            unused: count(VoucherState::Unused),
            used: count(VoucherState::Used),
            expired: count(VoucherState::Expired),
        }
    }

    /// The batch named `name` with its counts now.
    pub async fn summary(&self, name: &str) -> Result<Option<BatchSummary>> {
        let Some(b) = self.store.voucher_batch(name).await? else {
            return Ok(None);
        };
        let views = self.views(&b, Utc::now()).await?;
        Ok(Some(Self::summarize(&b, &views)))
    }

    /// Every batch with its counts now, by name.
    pub async fn list(&self) -> Result<Vec<BatchSummary>> {
        let now = Utc::now();
        let mut out = Vec::new();
        for b in self.store.voucher_batches().await? {
            let views = self.views(&b, now).await?;
            out.push(Self::summarize(&b, &views));
        }
        Ok(out)
    }

    /// The batch named `name` and each of its vouchers, by username.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for no such batch.
    pub async fn show(&self, name: &str) -> Result<(BatchSummary, Vec<VoucherView>)> {
        let b = self
            .store
            .voucher_batch(name)
            .await?
            .ok_or_else(|| Error::not_found("voucher batch", name))?;
        let views = self.views(&b, Utc::now()).await?;
        Ok((Self::summarize(&b, &views), views))
    }
}
