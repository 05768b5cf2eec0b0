//! The second half of an import ([`UserAdmin::import`]): the rows that passed their own
//! checks are checked against each other and the database (usernames, e-mail addresses and
//! mobile numbers are unique), then their passwords hashed, all queued at once on the
//! hashing threads.

use std::collections::{HashMap, HashSet};

use crate::error::{Error, Problem, Result};
use crate::storage::subscriber::import::{ImportRow, Unique};
use crate::storage::subscriber::users::NewUserRow;
use crate::subscriber::admin::UserAdmin;
use crate::subscriber::admin_edit::generate_password;
use crate::subscriber::hasher::{self, Hashers};
use crate::subscriber::import::{GeneratedPassword, ImportReport, RejectedRow};
use crate::subscriber::user::NewUser;

/// A checked row waiting for its password hash.
pub(super) struct Ready {
    pub(super) line: u64,
    pub(super) user: NewUser,
    pub(super) groups: Vec<(String, i32)>,
    pub(super) verified: bool,
    pub(super) active: bool,
    pub(super) password: RowPassword,
}

pub(super) enum RowPassword {
    Typed(String),
    Hash(String),
    Generated,
}

impl UserAdmin {
    /// Refuses the rows whose username, e-mail or mobile an earlier row or an existing
    /// subscriber has.
    pub(super) async fn refuse_taken(
        &self,
        ready: Vec<Ready>,
        report: &mut ImportReport,
    ) -> Result<Vec<Ready>> {
        let store = self.subscribers.store();
        let keys = |r: &Ready| -> [(&'static str, Unique, Option<String>); 3] {
            [
                (
                    "username",
                    Unique::Username,
                    r.user.username.as_ref().map(|u| u.as_str().to_owned()),
                ),
                (
                    "email",
                    Unique::Email,
                    r.user.email.as_ref().map(|e| e.as_str().to_owned()),
                ),
                (
                    "mobile",
                    Unique::Mobile,
                    r.user.mobile.as_ref().map(|m| m.as_str().to_owned()),
                ),
            ]
        };
        let mut taken: [HashSet<String>; 3] = Default::default();
        for (i, column) in [Unique::Username, Unique::Email, Unique::Mobile]
            .into_iter()
            .enumerate()
        {
            let values: Vec<String> = ready.iter().filter_map(|r| keys(r)[i].2.clone()).collect();
            taken[i] = store.taken(column, &values).await?;
        }
        let mut seen: [HashMap<String, u64>; 3] = Default::default();
        let mut kept = Vec::with_capacity(ready.len());
        for r in ready {
            let mut refused = false;
            for (i, (field, _, value)) in keys(&r).into_iter().enumerate() {
                let Some(value) = value else { continue };
                let reason = if taken[i].contains(&value) {
                    Some("is registered to another subscriber already".to_owned())
                } else {
                    seen[i]
                        .get(&value)
                        .map(|first| format!("is the same as line {first}"))
                };
                if let Some(reason) = reason {
                    refused = true;
                    report.rejected.push(RejectedRow {
                        line: r.line,
                        field,
                        problem: Problem::Taken,
                        reason,
                    });
                } else {
                    seen[i].insert(value, r.line);
                }
            }
            if !refused {
                kept.push(r);
            }
        }
        Ok(kept)
    }

    /// The rows to insert: passwords hashed on the hashing threads, all queued at once.
    pub(super) async fn prepare(
        &self,
        ready: Vec<Ready>,
        report: &mut ImportReport,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<Vec<ImportRow>> {
        let format = self.subscribers.password_format();
        let total = ready.len() as u64;
        let done = std::sync::atomic::AtomicU64::new(0);
        let done = &done;
        let now = crate::storage::now_utc();
        let jobs = ready.into_iter().map(|mut r| {
            let password = std::mem::replace(&mut r.password, RowPassword::Generated);
            let generated = matches!(password, RowPassword::Generated);
            let (clear, hash) = match password {
                RowPassword::Typed(p) => (Some(p), String::new()),
                RowPassword::Generated => (Some(generate_password()), String::new()),
                RowPassword::Hash(h) => (None, h),
            };
            async move {
                let (password_hash, radius) = match &clear {
                    Some(p) => {
                        let p = p.clone();
                        let (hash, radius) = Hashers::global()
                            .run(move |memory| -> Result<(String, String)> {
                                Ok((hasher::hash_with(memory, p.as_bytes())?, format.encode(&p)?))
                            })
                            .await??;
                        (hash, Some((format.attribute(), radius)))
                    }
                    None => (hash, None),
                };
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(n, total);
                let clear = clear.filter(|_| generated);
                Ok::<_, Error>((r, clear, password_hash, radius))
            }
        });
        let hashed = futures_util::future::join_all(jobs).await;
        let mut rows = Vec::with_capacity(hashed.len());
        for done in hashed {
            let (r, generated, password_hash, radius) = done?;
            let user = r.user;
            let name = user
                .username
                .map(|u| u.as_str().to_owned())
                .unwrap_or_default();
            if let Some(password) = generated {
                report.generated.push(GeneratedPassword {
                    line: r.line,
                    username: name.clone(),
                    password,
                });
            }
            rows.push(ImportRow {
                user: NewUserRow {
                    id: crate::ids::UserId::random().to_string(),
                    username: name,
                    email: user.email.map(String::from),
                    mobile: user.mobile.map(String::from),
                    given_name: user.given_name,
                    surname: user.surname,
                    birth_date: user.birth_date,
                    address: user.address,
                    city: user.city,
                    zip: user.zip,
                    country: user.country,
                    verification_method: user.verification_method,
                    verified: r.verified,
                    verified_at: r.verified.then_some(now),
                    active: r.active,
                    eula_accepted: true,
                    privacy_accepted: true,
                    locale: user.locale,
                    notes: user.notes,
                    password_hash,
                    created_at: now,
                    updated_at: now,
                },
                radius,
                groups: r.groups,
            });
        }
        Ok(rows)
    }
}
