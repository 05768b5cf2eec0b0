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

/// Why a value was refused. Pages and the API say it in the user's language from this,
/// never from the English text of the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The field is required and was empty or missing.
    Required,
    /// Shorter than `min` characters.
    TooShort {
        /// The fewest characters allowed.
        min: usize,
    },
    /// Longer than `max` characters.
    TooLong {
        /// The most characters allowed.
        max: usize,
    },
    /// Contains control characters (NUL, ESC, line breaks where none belong).
    ControlCharacters,
    /// Not of the expected shape (an e-mail address, a phone number, a username).
    BadFormat,
    /// A password without at least one letter and one digit.
    NeedsLetterAndDigit,
    /// A secret the user typed (the current password) is wrong.
    Wrong,
    /// The value changed meanwhile (another request changed it first); try again.
    Changed,
    /// Not one of the values this server knows (a verification method, a setting, a
    /// language).
    Unknown,
    /// Outside the range allowed (a date, a page number).
    OutOfRange,
    /// Already registered to another account (a username, an e-mail address, a mobile
    /// number).
    Taken,
    /// Does not match the value it must repeat (a password typed twice).
    Mismatch,
    /// Anything else; the English reason says what.
    Other,
}

/// One refused field of a form that is checked as a whole (a registration), so that every
/// mistake can be shown next to its input at once instead of one per attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, by the name the JSON API and the forms give it (`email`, `birth_date`).
    pub field: &'static str,
    /// Why it was refused, as a type the pages and the API translate.
    pub problem: Problem,
    /// Why, in English (for logs and the command line).
    pub reason: String,
}

impl FieldError {
    /// A refusal of `field` because of `problem`, explained in English by `reason`.
    pub fn new(field: &'static str, problem: Problem, reason: impl Into<String>) -> Self {
        FieldError {
            field,
            problem,
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.field, self.reason)
    }
}

/// Why a password-reset link does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetLinkError {
    /// Never issued, replaced by a newer one, or its account is gone or switched off.
    Unknown,
    /// Older than the lifetime of reset links.
    Expired,
    /// Already used to set a password.
    Used,
}

impl ResetLinkError {
    /// The English reason.
    pub fn reason(self) -> &'static str {
        match self {
            ResetLinkError::Unknown => "is not valid; ask for a new one",
            ResetLinkError::Expired => "has expired; ask for a new one",
            ResetLinkError::Used => "has already been used; ask for a new one",
        }
    }

    /// The reset-link problem `error` reports, if it is one.
    pub fn of(error: &Error) -> Option<ResetLinkError> {
        match error {
            Error::ResetLink(p) => Some(*p),
            _ => None,
        }
    }
}

/// The cause of a storage error, kept so that logs show the whole chain.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

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
        /// Why, as a type the pages and the API translate.
        problem: Problem,
        /// Why, in English (for logs and the command line).
        reason: String,
    },
    /// Several fields of one form were refused; every one of them is listed, in the order
    /// of the form. It is a conflict when one of them is [`Problem::Taken`].
    #[error("invalid fields: {}", fields_text(.0))]
    Fields(Vec<FieldError>),
    /// A password-reset link (or phone-recovery token) does not work.
    #[error("reset link {}", .0.reason())]
    ResetLink(ResetLinkError),
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
    #[error("database error: {message}")]
    Storage {
        /// What failed, in one line.
        message: String,
        /// The driver's error, when there is one.
        #[source]
        source: Option<BoxError>,
    },
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
            Error::Invalid { .. } | Error::InvalidTransition { .. } | Error::ResetLink(_) => {
                ErrorKind::Invalid
            }
            Error::Fields(fields) if fields.iter().any(|f| f.problem == Problem::Taken) => {
                ErrorKind::Conflict
            }
            Error::Fields(_) => ErrorKind::Invalid,
            Error::Unauthorized => ErrorKind::Unauthorized,
            Error::Verification(_) => ErrorKind::Verification,
            Error::Plugin { .. } => ErrorKind::Plugin,
            Error::Config(_) => ErrorKind::Config,
            Error::Storage { .. } => ErrorKind::Storage,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// Shorthand for [`Error::Invalid`] with [`Problem::Other`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::refused(field, Problem::Other, reason)
    }

    /// Shorthand for [`Error::Invalid`] with a typed problem.
    pub fn refused(field: &'static str, problem: Problem, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            problem,
            reason: reason.into(),
        }
    }

    /// A storage error with only a message.
    pub fn storage(message: impl Into<String>) -> Self {
        Error::Storage {
            message: message.into(),
            source: None,
        }
    }

    /// A storage error caused by `source`.
    pub fn storage_from(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Storage {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// This error and its causes, `: `-separated, for a log line.
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            let text = s.to_string();
            if !out.contains(&text) {
                out.push_str(": ");
                out.push_str(&text);
            }
            source = s.source();
        }
        out
    }

    /// Shorthand for [`Error::NotFound`].
    pub fn not_found(entity: &'static str, key: impl Into<String>) -> Self {
        Error::NotFound {
            entity,
            key: key.into(),
        }
    }
}

fn fields_text(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Result with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
