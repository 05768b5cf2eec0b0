//! [`OperatorTokens`]: the credentials of the operator API.
//!
//! An operator makes a token in the console (or with `owums operator token create`) for a
//! script or an integration: it carries a name, a subset of the operator's permissions and,
//! optionally, an expiry. The secret is shown once; only its SHA-256 is stored. On every
//! API request the token counts only with the permissions its operator *still* holds (an
//! operator who loses `users_manager` takes it away from their tokens too), and not at all
//! once revoked, expired, or when the operator is disabled.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use uuid::Uuid;

use crate::error::{Error, Problem, Result};
use crate::operator::{Changes, OperatorRecord, Permissions};
use crate::storage::Store;
use crate::storage::operator_tokens::TokenRow;
use crate::subscriber::token;

/// What every operator API token starts with, so that it is told apart from a subscriber's
/// token at a glance (and by secret scanners).
pub const TOKEN_PREFIX: &str = "owums_op_";
/// The longest name of a token, in characters.
pub const MAX_TOKEN_NAME: usize = 64;
/// How often a token's "last used" is written, at most: once a minute.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// One operator API token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorToken {
    /// Stable id (for revoking).
    pub id: Uuid,
    /// Whose token it is.
    pub operator_id: Uuid,
    /// What the operator called it ("billing sync").
    pub name: String,
    /// The permissions it was given (a subset of the operator's at creation).
    pub permissions: Permissions,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working by itself, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When and from where it was last used (written at most once a minute).
    pub last_used: Option<(DateTime<Utc>, String)>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Whether a token works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// It works.
    Live,
    /// Its expiry has passed.
    Expired,
    /// It was revoked.
    Revoked,
}

impl TokenState {
    /// The state's name (`live`, `expired`, `revoked`).
    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Live => "live",
            TokenState::Expired => "expired",
            TokenState::Revoked => "revoked",
        }
    }
}

impl OperatorToken {
    /// Whether the token works at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> TokenState {
        if self.revoked_at.is_some() {
            TokenState::Revoked
        } else if self.expires_at.is_some_and(|e| e <= now) {
            TokenState::Expired
        } else {
            TokenState::Live
        }
    }
}

impl TryFrom<TokenRow> for OperatorToken {
    type Error = Error;
    fn try_from(r: TokenRow) -> Result<Self> {
        let uuid = |s: &str| {
            s.parse::<Uuid>()
                .map_err(|_| Error::Internal(format!("operator token with id `{s}`")))
        };
        Ok(OperatorToken {
            id: uuid(&r.id)?,
            operator_id: uuid(&r.operator_id)?,
            name: r.name,
            permissions: r.permissions.parse()?,
            created_at: r.created_at.and_utc(),
            expires_at: r.expires_at.map(|t| t.and_utc()),
            last_used: r
                .last_used_at
                .map(|t| (t.and_utc(), r.last_used_ip.unwrap_or_default())),
            revoked_at: r.revoked_at.map(|t| t.and_utc()),
        })
    }
}

/// A token to make.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// What it is for (1–[`MAX_TOKEN_NAME`] characters).
    pub name: String,
    /// What it may do: at least one permission, all held by the operator.
    pub permissions: Permissions,
    /// When it stops working by itself (in the future), or never.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Who an API request is made by: the token's operator, with what the token allows.
#[derive(Debug, Clone)]
pub struct TokenCaller {
    /// The operator, as stored now.
    pub operator: OperatorRecord,
    /// The token used.
    pub token: OperatorToken,
    /// What the request may do: the token's permissions that the operator still holds.
    pub permissions: Permissions,
}

/// Makes, lists, revokes and checks operator API tokens. Cheap to clone.
///
/// ```no_run
/// use owums_core::operator::{NewToken, OperatorTokens, Operators, Permission, Preset};
/// # async fn demo(store: owums_core::Store) -> owums_core::Result<()> {
/// let (anna, _) = Operators::new(store.clone())
///     .create("anna", "Tulip-Harbor-93", Preset::Admin.permissions()).await?;
/// let tokens = OperatorTokens::new(store);
/// let now = chrono::Utc::now();
/// let new = NewToken {
///     name: "billing sync".into(),
///     permissions: [Permission::UsersBrowser].into_iter().collect(),
///     expires_at: None,
/// };
/// let (secret, _token, _changes) = tokens.create(&anna, new, now).await?;
/// let caller = tokens.authenticate(&secret, "192.0.2.7", now).await?;
/// assert!(caller.permissions.allows(Permission::UsersBrowser));
/// assert!(!caller.permissions.allows(Permission::UsersDestroyer));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct OperatorTokens {
    store: Store,
}

fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    crate::storage::to_second(t)
}

fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::refused("name", Problem::Required, "is required"));
    }
    if name.chars().count() > MAX_TOKEN_NAME {
        return Err(Error::refused(
            "name",
            Problem::TooLong {
                max: MAX_TOKEN_NAME,
            },
            format!("must be at most {MAX_TOKEN_NAME} characters long"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::refused(
            "name",
            Problem::ControlCharacters,
            "must not contain control characters",
        ));
    }
    Ok(name.to_owned())
}

impl OperatorTokens {
    /// The tokens of `store`.
    pub fn new(store: Store) -> Self {
        OperatorTokens { store }
    }

    /// Makes a token of `operator`: answers its secret (to show once), the token and what
    /// was made, for the audit log.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a blank or too long name (`name`), no permissions or one the
    /// operator does not hold (`permissions`), or an expiry not after `now` (`expires_at`).
    /// Nothing is stored then.
    pub async fn create(
        &self,
        operator: &OperatorRecord,
        new: NewToken,
        now: DateTime<Utc>,
    ) -> Result<(String, OperatorToken, Changes)> {
        let name = check_name(&new.name)?;
        if new.permissions.is_empty() {
            return Err(Error::refused(
                "permissions",
                Problem::Required,
                "must name at least one permission",
            ));
        }
        if !operator.permissions.contains_all(&new.permissions) {
            return Err(Error::refused(
                "permissions",
                Problem::Other,
                "a token can only carry permissions its operator holds",
            ));
        }
        if new.expires_at.is_some_and(|e| e <= now) {
            return Err(Error::refused(
                "expires_at",
                Problem::OutOfRange,
                "must be in the future",
            ));
        }
        let secret = format!("{TOKEN_PREFIX}{}", token::random_secret());
        let row = TokenRow {
            id: Uuid::new_v4().to_string(),
            operator_id: operator.id.to_string(),
            name,
            token_hash: token::digest(&secret),
            permissions: new.permissions.to_string(),
            created_at: naive(now),
            expires_at: new.expires_at.map(naive),
            last_used_at: None,
            last_used_ip: None,
            revoked_at: None,
        };
        self.store.insert_operator_token(&row).await?;
        let made = OperatorToken::try_from(row)?;
        let mut changes = Changes::default();
        changes.created("token", &made.name);
        changes.created("token_permissions", &made.permissions);
        if let Some(e) = made.expires_at {
            changes.created("token_expires_at", &e.format("%Y-%m-%d %H:%M UTC"));
        }
        Ok((secret, made, changes))
    }

    /// The tokens of operator `operator_id`, or everyone's with `None`; newest first.
    ///
    /// # Errors
    ///
    /// A storage error.
    pub async fn list(&self, operator_id: Option<Uuid>) -> Result<Vec<OperatorToken>> {
        let id = operator_id.map(|i| i.to_string());
        self.store
            .operator_tokens(id.as_deref())
            .await?
            .into_iter()
            .map(OperatorToken::try_from)
            .collect()
    }

    /// Revokes token `id` — only among `operator_id`'s tokens when given (an operator
    /// revoking their own), any token otherwise (`operators_manager`). Answers the token's
    /// name, for the audit log.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such token, or it was already revoked.
    pub async fn revoke(
        &self,
        id: Uuid,
        operator_id: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Changes> {
        let owner = operator_id.map(|o| o.to_string());
        let listed = self.list(operator_id).await?;
        let Some(token) = listed.iter().find(|t| t.id == id) else {
            return Err(Error::not_found("token", id.to_string()));
        };
        if !self
            .store
            .revoke_operator_token(&id.to_string(), owner.as_deref(), naive(now))
            .await?
        {
            return Err(Error::not_found("token", id.to_string()));
        }
        let mut changes = Changes::default();
        changes.removed("token", &token.name);
        Ok(changes)
    }

    /// The caller presenting `secret` from `ip` at `now`, with the permissions the token
    /// gives that its operator still holds.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] for anything but a live token of an active operator: not a
    /// token's shape, unknown, revoked, expired, or its operator disabled. The four are not
    /// told apart to the caller.
    pub async fn authenticate(
        &self,
        secret: &str,
        ip: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenCaller> {
        let shaped = secret
            .strip_prefix(TOKEN_PREFIX)
            .is_some_and(token::is_secret);
        if !shaped {
            return Err(Error::Unauthorized);
        }
        let Some((row, operator)) = self
            .store
            .find_operator_token(&token::digest(secret))
            .await?
        else {
            return Err(Error::Unauthorized);
        };
        let token = OperatorToken::try_from(row)?;
        let operator = OperatorRecord::try_from(operator)?;
        if token.state(now) != TokenState::Live || !operator.active {
            return Err(Error::Unauthorized);
        }
        let stale = token
            .last_used
            .as_ref()
            .is_none_or(|(at, _)| now - *at >= Duration::seconds(TOUCH_EVERY_SECONDS));
        if stale {
            self.store
                .touch_operator_token(&token.id.to_string(), naive(now), ip)
                .await?;
        }
        let permissions = token.permissions.intersection(&operator.permissions);
        Ok(TokenCaller {
            operator,
            token,
            permissions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(expires_at: Option<DateTime<Utc>>, revoked: bool) -> OperatorToken {
        let now = Utc::now();
        OperatorToken {
            id: Uuid::new_v4(),
            operator_id: Uuid::new_v4(),
            name: "t".into(),
            permissions: Permissions::all(),
            created_at: now,
            expires_at,
            last_used: None,
            revoked_at: revoked.then_some(now),
        }
    }

    #[test]
    fn a_token_is_live_until_it_expires_or_is_revoked() {
        let now = Utc::now();
        assert_eq!(token(None, false).state(now), TokenState::Live);
        let later = now + Duration::seconds(1);
        assert_eq!(token(Some(later), false).state(now), TokenState::Live);
        assert_eq!(token(Some(now), false).state(now), TokenState::Expired);
        assert_eq!(token(Some(later), true).state(now), TokenState::Revoked);
        assert_eq!(TokenState::Expired.as_str(), "expired");
    }

    #[test]
    fn names_are_trimmed_required_and_bounded() {
        assert_eq!(check_name("  billing sync ").unwrap(), "billing sync");
        assert!(check_name("   ").is_err());
        assert!(check_name(&"x".repeat(MAX_TOKEN_NAME)).is_ok());
        assert!(check_name(&"x".repeat(MAX_TOKEN_NAME + 1)).is_err());
        assert!(check_name("a\u{7}b").is_err());
    }
}
