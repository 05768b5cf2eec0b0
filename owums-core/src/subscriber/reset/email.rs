//! Password reset by e-mail (OWUMS' email_password_resets, minus user enumeration): a
//! single-use link valid [`RESET_TOKEN_TTL_MINUTES`] minutes, whose token is stored only as
//! its SHA-256.
//!
//! ```no_run
//! # async fn demo(subscribers: owums_core::Subscribers, token: &str) -> owums_core::Result<()> {
//! // The form: the same answer whether or not the account exists.
//! subscribers.request_password_reset("alice@example.org", Some("it")).await?;
//! // The link (`/account/reset/<token>`) from the mail:
//! let user = subscribers.check_reset_token(token).await?; // show the form, or the error
//! subscribers.reset_password(token, "n3w-password").await?; // sets it, the link is used up
//! # Ok(()) }
//! ```

use chrono::Utc;

use crate::error::{Error, Problem, ResetLinkError, Result};
use crate::ids::UserId;
use crate::mail::{MailKind, compose, mail_locale};
use crate::settings::Settings;
use crate::storage::{NewMailRow, PasswordWrite, TokenProblem};
use crate::subscriber::service::Subscribers;
use crate::subscriber::user::UserStatus;
use crate::subscriber::{password, token};

/// How long a reset link works, in minutes, from when it was asked for. The default mail
/// texts say "within 10 minutes": change them with it.
pub const RESET_TOKEN_TTL_MINUTES: i64 = 10;

impl ResetLinkError {
    fn into_error(self) -> Error {
        Error::ResetLink(self)
    }
}

impl From<TokenProblem> for ResetLinkError {
    fn from(p: TokenProblem) -> Self {
        match p {
            TokenProblem::Unknown => ResetLinkError::Unknown,
            TokenProblem::Expired => ResetLinkError::Expired,
            TokenProblem::Used => ResetLinkError::Used,
        }
    }
}

/// SHA-256 of a well-formed token (64 lowercase hex digits), in hex; `None` for anything else,
/// so a malformed token never reaches the database.
fn token_hash(token: &str) -> Option<String> {
    let token = token.trim();
    token::is_secret(token).then(|| token::digest(token))
}

/// The identifier of a reset request, trimmed; an error for an empty, too long or
/// control-character one.
fn reset_identifier(username_or_email: &str) -> Result<&str> {
    let key = username_or_email.trim();
    if key.is_empty() {
        return Err(Error::refused(
            "username or e-mail",
            Problem::Required,
            "is required",
        ));
    }
    if key.chars().count() > 254 || key.chars().any(char::is_control) {
        return Err(Error::refused(
            "username or e-mail",
            Problem::BadFormat,
            "is not a username or an e-mail address",
        ));
    }
    Ok(key)
}

impl Subscribers {
    /// Asks for a reset link by username or e-mail. The answer is the same `Ok(())` whether or
    /// not such an account exists. For an existing, active user with an e-mail it creates a
    /// link (256 random bits; earlier unused links stop working) and queues the mail with
    /// it, in `locale` when given (the page's language), else in the user's own, all in one
    /// transaction. Only malformed input (empty, too long) is an error.
    pub async fn request_password_reset(
        &self,
        username_or_email: &str,
        locale: Option<&str>,
    ) -> Result<()> {
        let key = reset_identifier(username_or_email)?;
        let store = self.store();
        let user = self.find_by_identifier(key).await?;
        let Some(user) = user.filter(|u| u.status() != UserStatus::Inactive) else {
            tracing::info!("password reset asked for an unknown or inactive account");
            return Ok(());
        };
        let token = token::random_secret();
        let locale = mail_locale(
            locale
                .filter(|l| !l.trim().is_empty())
                .unwrap_or(&user.locale),
        );
        let settings = Settings::new(store.clone());
        let Some(mail) = compose(
            &settings,
            MailKind::PasswordReset,
            &user,
            locale,
            Some(&token),
        )
        .await?
        else {
            tracing::info!(user = %user.username, "password reset asked for an account without e-mail");
            return Ok(());
        };
        let now = Utc::now();
        let hash = token::digest(&token);
        store
            .create_password_reset(
                &hash,
                user.id,
                now,
                now + chrono::Duration::minutes(RESET_TOKEN_TTL_MINUTES),
                NewMailRow::new(mail, now),
            )
            .await?;
        tracing::info!(user = %user.username, "password reset link queued");
        Ok(())
    }

    /// [`Subscribers::request_password_reset`] with its slow part off the caller's path:
    /// the input is checked now (the same errors), the rest (the lookup, the link, the mail)
    /// runs on a task of its own, so the answer takes the same time whether or not the
    /// account exists. A failure of that task is logged.
    ///
    /// # Errors
    ///
    /// Malformed input only (empty, too long, control characters).
    pub fn request_password_reset_later(
        &self,
        username_or_email: &str,
        locale: Option<&str>,
    ) -> Result<()> {
        let key = reset_identifier(username_or_email)?.to_owned();
        let locale = locale.map(str::to_owned);
        let subscribers = self.clone();
        tokio::spawn(async move {
            if let Err(e) = subscribers
                .request_password_reset(&key, locale.as_deref())
                .await
            {
                tracing::warn!(error = %e, "password reset link not created");
            }
        });
        Ok(())
    }

    /// The user a reset link belongs to, if it can still be used (to show the new-password
    /// form); a [`ResetLinkError`] otherwise.
    ///
    /// Nothing changes: the link stays usable. A link whose account was switched off or
    /// deleted meanwhile is [`ResetLinkError::Unknown`].
    pub async fn check_reset_token(&self, token: &str) -> Result<UserId> {
        let Some(hash) = token_hash(token) else {
            return Err(ResetLinkError::Unknown.into_error());
        };
        let row = self
            .store()
            .password_reset(&hash)
            .await?
            .ok_or_else(|| ResetLinkError::Unknown.into_error())?;
        if let Some(problem) = row.problem(crate::storage::now_utc()) {
            return Err(ResetLinkError::from(problem).into_error());
        }
        let user: UserId = row.user_id.parse()?;
        match self.store().find_user(user).await? {
            Some(u) if u.active => Ok(user),
            _ => Err(ResetLinkError::Unknown.into_error()),
        }
    }

    /// Sets `new_password` (checked against the password rules first) with a reset link: the
    /// password is written and the link used up in one transaction. An unknown, expired or
    /// used link, or a password the rules refuse, changes nothing.
    ///
    /// The user's other unused links stop working too; their web sessions are left as
    /// they are.
    ///
    /// # Errors
    ///
    /// [`Error::ResetLink`] for a link that does not work (checked first), [`Error::Invalid`]
    /// for a password the rules refuse (the link stays usable then).
    pub async fn reset_password(&self, token: &str, new_password: &str) -> Result<UserId> {
        let Some(hash) = token_hash(token) else {
            return Err(ResetLinkError::Unknown.into_error());
        };
        // The rules read the subscriber's own data, so find whose link it is first; the
        // transaction below checks the link again.
        // (A link that cannot work says so before the password is looked at.)
        let row = self
            .store()
            .password_reset(&hash)
            .await?
            .ok_or_else(|| ResetLinkError::Unknown.into_error())?;
        if let Some(problem) = row.problem(crate::storage::now_utc()) {
            return Err(ResetLinkError::from(problem).into_error());
        }
        let owner = self.store().find_user(row.user_id.parse()?).await?;
        let personal = owner
            .as_ref()
            .map(password::PersonalData::of_user)
            .unwrap_or_default();
        password::validate_password(new_password, &personal)?;
        let web_hash = password::hash_password_async(new_password).await?;
        let format = self.password_format();
        let radius_password = format.encode(new_password)?;
        let write = PasswordWrite {
            hash: &web_hash,
            attribute: format.attribute(),
            radius_password: &radius_password,
        };
        match self
            .store()
            .consume_password_reset(&hash, Utc::now(), write)
            .await?
        {
            Ok(user) => {
                tracing::info!(%user, "password reset");
                Ok(user)
            }
            Err(problem) => Err(ResetLinkError::from(problem).into_error()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_tokens_are_looked_up() {
        let token = "ab".repeat(32);
        assert_eq!(token.len(), 64);
        assert_eq!(token_hash(&token).map(|h| h.len()), Some(64));
        assert_ne!(token_hash(&token).as_deref(), Some(token.as_str()));
        assert_eq!(token_hash(""), None);
        assert_eq!(token_hash(&token.to_uppercase()), None);
        assert_eq!(token_hash(&format!("{}é", &token[..62])), None);
        assert_eq!(token_hash("../../etc/passwd"), None);
    }

    #[test]
    fn link_errors_round_trip() {
        for p in [
            ResetLinkError::Unknown,
            ResetLinkError::Expired,
            ResetLinkError::Used,
        ] {
            assert_eq!(ResetLinkError::of(&p.into_error()), Some(p));
        }
        assert_eq!(ResetLinkError::of(&Error::Unauthorized), None);
    }
}
