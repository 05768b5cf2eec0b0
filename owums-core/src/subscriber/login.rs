//! Web logins: the account a login names, looked up once for both the attempt limits
//! and the password check, and the check itself.

use std::sync::atomic::Ordering;

use crate::error::{Error, Result};
use crate::ids::Username;
use crate::subscriber::password;
use crate::subscriber::service::{DUMMY_HASH, Subscribers};
use crate::subscriber::user::UserRecord;

/// The account a login form names, read once: what attempt limits count it by
/// ([`LoginAccount::key`]) and what [`Subscribers::authenticate_account`] checks the
/// password against.
///
/// A login is counted before its password is checked, so that a refused attempt costs no
/// hash; both need the account, and this holds it between the two steps.
#[derive(Debug, Clone)]
pub struct LoginAccount {
    key: String,
    /// The subscriber and their password hash, when the name is a username of one.
    found: Option<(UserRecord, String)>,
}

impl LoginAccount {
    /// What attempt limits count this login by: the same as
    /// [`Subscribers::account_key`] gives for the name typed.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl Subscribers {
    /// What attempt limits count an account by: the account's id when `identifier` (a
    /// username or an e-mail address, any case) names one, so `bob01` and
    /// `BOB@example.org` count together; else the identifier in lowercase, at the same cost.
    pub async fn account_key(&self, identifier: &str) -> Result<String> {
        Ok(match self.find_by_identifier(identifier).await? {
            Some(user) => account_key_of(&user),
            None => unknown_key(identifier),
        })
    }

    /// The account a login names, in one lookup: a username, any case (an e-mail address
    /// is counted against its account, but a login by e-mail never succeeds).
    pub async fn login_account(&self, identifier: &str) -> Result<LoginAccount> {
        let name = identifier.trim();
        if name.contains('@') {
            return Ok(LoginAccount {
                key: self.account_key(name).await?,
                found: None,
            });
        }
        let found = match Username::try_new(name) {
            Ok(name) => self.store().find_login(&name).await?,
            Err(_) => None,
        };
        let key = match &found {
            Some((user, _)) => account_key_of(user),
            None => unknown_key(identifier),
        };
        Ok(LoginAccount { key, found })
    }

    /// Checks web credentials; inactive users, unknown users and wrong passwords get the
    /// same error after the same work: one lookup and one argon2 verification (against a
    /// stand-in hash when there is no account), counted by
    /// [`Subscribers::password_checks`]. Only an active subscriber's password that matched
    /// the same stored hash moments ago skips the hash (see
    /// [`Subscribers::with_credential_cache`]); a failure is never remembered.
    pub async fn authenticate(&self, username: &str, password: &str) -> Result<UserRecord> {
        let account = self.login_account(username).await?;
        self.authenticate_account(account, password).await
    }

    /// [`Subscribers::authenticate`] for an account already looked up (and counted) with
    /// [`Subscribers::login_account`]: the same checks at the same cost, without a second
    /// lookup.
    pub async fn authenticate_account(
        &self,
        account: LoginAccount,
        password: &str,
    ) -> Result<UserRecord> {
        let (user, hash) = match account.found {
            Some((user, hash)) => (Some(user), hash),
            None => (None, DUMMY_HASH.to_owned()),
        };
        let remembered = user.as_ref().is_some_and(|u| {
            u.active && self.credentials.check(u.username.as_str(), password, &hash)
        });
        let matched = if remembered {
            Some(true)
        } else {
            let matched = password::check_password_async(password, &hash).await;
            if matched.is_some() {
                self.checks.fetch_add(1, Ordering::Relaxed);
            }
            matched
        };
        match user {
            Some(user) if user.active && matched == Some(true) => {
                if !remembered {
                    self.credentials
                        .remember(user.username.as_str(), password, &hash);
                }
                self.store().count_web_login(user.id).await?;
                Ok(user)
            }
            _ => Err(Error::Unauthorized),
        }
    }
}

fn account_key_of(user: &UserRecord) -> String {
    format!("user:{}", user.id)
}

fn unknown_key(identifier: &str) -> String {
    format!("unknown:{}", identifier.trim().to_lowercase())
}
