//! The two secrets of a password recovery by phone: the ticket the waiting page polls with,
//! and the reset token it leads to once the call came. Both show and parse as text and hide
//! themselves from `Debug`.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::subscriber::token;

/// The polling handle of one recovery request: `<user id>.<expiry>.<secret>`, opaque to
/// clients (put it in the waiting page's URL; it is as sensitive as the reset token).
///
/// It shows and parses as text (`Display`/`FromStr`); its `Debug` hides it. A ticket is
/// issued even for a number that is no subscriber's, with a random user id, and then stays
/// pending until it expires: a poller cannot tell the difference.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryTicket {
    pub(super) user: UserId,
    pub(super) expires_at: i64,
    pub(super) secret: String,
}

impl fmt::Debug for RecoveryTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryTicket(..)")
    }
}

impl fmt::Display for RecoveryTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.user, self.expires_at, self.secret)
    }
}

impl FromStr for RecoveryTicket {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::invalid("recovery ticket", "is not a valid ticket");
        let mut parts = s.trim().splitn(3, '.');
        let user = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        let expires_at = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        let secret = parts.next().ok_or_else(bad)?;
        if !token::is_secret(&secret.to_ascii_lowercase()) {
            return Err(bad());
        }
        Ok(RecoveryTicket {
            user,
            expires_at,
            secret: secret.to_ascii_lowercase(),
        })
    }
}

impl RecoveryTicket {
    /// The reset token this ticket leads to once the call came.
    pub(super) fn token(&self) -> ResetToken {
        ResetToken {
            user: self.user,
            secret: token::digest_parts(&["owums-reset", &self.secret]),
        }
    }
}

/// The single-use "choose a new password" token: `<user id>.<secret>`, for a URL.
///
/// Derived from the ticket's secret, so only the holder of the ticket learns it, and only
/// once the call came. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct ResetToken {
    pub(super) user: UserId,
    pub(super) secret: String,
}

impl ResetToken {
    /// Whose password the token sets (not a secret: it is the first part of the token).
    pub fn user(&self) -> UserId {
        self.user
    }
}

impl fmt::Debug for ResetToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResetToken(..)")
    }
}

impl fmt::Display for ResetToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.user, self.secret)
    }
}

impl FromStr for ResetToken {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::invalid("reset token", "is not a valid token");
        let (user, secret) = s.trim().split_once('.').ok_or_else(bad)?;
        if !token::is_secret(&secret.to_ascii_lowercase()) {
            return Err(bad());
        }
        Ok(ResetToken {
            user: user.parse().map_err(|_| bad())?,
            secret: secret.to_ascii_lowercase(),
        })
    }
}
