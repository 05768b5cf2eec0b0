//! The one error type of owums-core, with a small [`ErrorKind`] that callers map on.

/// What went wrong, coarsely: the server maps these to HTTP statuses and exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The thing asked for does not exist.
    NotFound,
    /// A unique value (username, e-mail, mobile, group name) is already taken.
    Conflict,
    /// The input is not valid; the message says why.
    Invalid,
    /// Credentials were wrong or the account may not log in.
    Unauthorized,
    /// A verification method failed.
    Verification,
    /// A plugin could not be built, loaded or run.
    Plugin,
    /// The database failed or could not be reached.
    Storage,
    /// The configuration is wrong.
    Config,
    /// A bug or an unexpected condition.
    Internal,
}

/// Errors of owums-core. Messages are one line and never contain secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A record was not found.
    #[error("{entity} `{key}` not found")]
    NotFound {
        /// What was looked up ("user", "group").
        entity: &'static str,
        /// The key it was looked up by.
        key: String,
    },
    /// A unique constraint was violated.
    #[error("{entity} already exists")]
    Conflict {
        /// What already exists ("username", "e-mail", "group").
        entity: &'static str,
    },
    /// Input failed validation.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field or value that is wrong.
        field: &'static str,
        /// Why, for a human.
        reason: String,
    },
    /// Wrong credentials, or the account may not log in.
    #[error("wrong username or password")]
    Unauthorized,
    /// A state transition that the subscriber's current state does not allow.
    #[error("cannot {action} a user who is {state}")]
    InvalidTransition {
        /// The transition asked for.
        action: &'static str,
        /// The state the user is in.
        state: &'static str,
    },
    /// A verification method failed.
    #[error("verification failed: {0}")]
    Verification(String),
    /// A plugin failed.
    #[error("plugin `{id}`: {message}")]
    Plugin {
        /// The plugin id.
        id: String,
        /// What went wrong.
        message: String,
    },
    /// The configuration is wrong.
    #[error("configuration: {0}")]
    Config(String),
    /// The database failed.
    #[error("database error: {0}")]
    Storage(String),
    /// Something that should not happen.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The coarse kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Conflict { .. } => ErrorKind::Conflict,
            Error::Invalid { .. } | Error::InvalidTransition { .. } => ErrorKind::Invalid,
            Error::Unauthorized => ErrorKind::Unauthorized,
            Error::Verification(_) => ErrorKind::Verification,
            Error::Plugin { .. } => ErrorKind::Plugin,
            Error::Config(_) => ErrorKind::Config,
            Error::Storage(_) => ErrorKind::Storage,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::NotFound`].
    pub fn not_found(entity: &'static str, key: impl Into<String>) -> Self {
        Error::NotFound {
            entity,
            key: key.into(),
        }
    }
}

/// Result with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
