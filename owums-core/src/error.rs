//! The one error type of owums-core, with a small [`ErrorKind`] that callers map on.
//!
//! Every fallible function of the crate returns [`Result`]. An [`Error`] carries three
//! things a caller may need, each for a different reader:
//!
//! - [`Error::kind`] is coarse and stable: the server maps it to an HTTP status or an exit
//!   code, an integrator to their own error type.
//! - For refused input, [`Error::Invalid`] names the field and gives a [`Problem`], which the
//!   pages and the API translate into the user's language; [`Error::ResetLink`] does the
//!   same for a password-reset link that does not work ([`ResetLinkError`]).
//! - The English message ([`Display`](std::fmt::Display)) and, for storage failures, the
//!   driver's error as its [`source`](std::error::Error::source) are for logs; use
//!   [`Error::chain`] to write the whole chain on one line.
//!
//! Messages never contain secrets (passwords, tokens, database passwords), so they may be
//! logged as they are.
//!
//! ```
//! use owums_core::{Error, ErrorKind, Problem, Username};
//!
//! let err = Username::try_new("ab").unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Invalid);
//! match &err {
//!     Error::Invalid { field, problem, .. } => {
//!         assert_eq!(*field, "username");
//!         assert_eq!(*problem, Problem::TooShort { min: 4 });
//!     }
//!     other => panic!("unexpected {other}"),
//! }
//! assert_eq!(err.to_string(), "invalid username: must be 4 to 64 characters long");
//! ```

/// What went wrong, coarsely: the server maps these to HTTP statuses and exit codes.
///
/// Several [`Error`] variants share a kind (an invalid field, a forbidden state transition
/// and a dead reset link are all [`ErrorKind::Invalid`]); match on the kind to decide how
/// to answer, and on the variant only when the details matter. New kinds may be added, so
/// a `match` needs a fallback arm.
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
///
/// It comes with [`Error::Invalid`], which also names the field; the server's message
/// catalogue has one entry per problem (with `min` or `max` as a variable where there is
/// one). [`Problem::Other`] is for refusals that have no translation yet: the pages then
/// show the English reason.
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
    /// A password too easy to guess, and why (from the zxcvbn strength estimate).
    Guessable(Weakness),
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

/// Why a password is too easy to guess: the pages and the API say it in the user's
/// language. Derived from the feedback of the zxcvbn strength estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Weakness {
    /// It is, or is built from, the subscriber's own username, e-mail address, name or
    /// mobile number.
    Personal,
    /// One of the most common passwords.
    Common,
    /// A common password with small changes (`p4ssw0rd`, a digit added).
    SimilarToCommon,
    /// A row or pattern of keys (`qwertyuiop`, `zxcvbn`).
    KeyboardPattern,
    /// Repeated characters or words (`aaaa`, `abcabc`).
    Repeats,
    /// A sequence (`abcdef`, `13579`).
    Sequence,
    /// Dates and years.
    Dates,
    /// A single dictionary word.
    Word,
    /// Names and surnames.
    Names,
    /// Too few or too common words for any other reason: add another word or two.
    TooSimple,
}

impl Weakness {
    /// Why, in English (for logs and the command line).
    pub fn reason(self) -> &'static str {
        match self {
            Weakness::Personal => "it contains the username, e-mail address, name or mobile number",
            Weakness::Common => "it is one of the most common passwords",
            Weakness::SimilarToCommon => "it is similar to a commonly used password",
            Weakness::KeyboardPattern => "rows and patterns of keys are easy to guess",
            Weakness::Repeats => "repeated characters or words are easy to guess",
            Weakness::Sequence => "sequences like abc or 6543 are easy to guess",
            Weakness::Dates => "dates and years are easy to guess",
            Weakness::Word => "a single word is easy to guess",
            Weakness::Names => "names and surnames are easy to guess",
            Weakness::TooSimple => "add another word or two; uncommon words are better",
        }
    }
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
///
/// Reported as [`Error::ResetLink`] by the e-mail reset flow
/// ([`Subscribers::check_reset_token`](crate::Subscribers::check_reset_token),
/// [`Subscribers::reset_password`](crate::Subscribers::reset_password)); the pages show a
/// translated message per variant and offer to ask for a new link. The three cases are told
/// apart on purpose: a user who clicks an old link learns what to do, and nothing about
/// other accounts is revealed (an unknown token and a token of a deleted account look the
/// same).
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
    /// The English reason, completing "reset link …" (used in the error's message and logs).
    pub fn reason(self) -> &'static str {
        match self {
            ResetLinkError::Unknown => "is not valid; ask for a new one",
            ResetLinkError::Expired => "has expired; ask for a new one",
            ResetLinkError::Used => "has already been used; ask for a new one",
        }
    }

    /// The reset-link problem `error` reports, if it is one; `None` for any other error.
    pub fn of(error: &Error) -> Option<ResetLinkError> {
        match error {
            Error::ResetLink(p) => Some(*p),
            _ => None,
        }
    }
}

/// The cause of a storage error, kept so that logs show the whole chain.
///
/// Boxed so that [`Error`] does not depend on the types of diesel, deadpool or the SQL
/// drivers, which are not part of the public API.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors of owums-core. Messages are one line and never contain secrets.
///
/// Build them with the shorthands ([`Error::invalid`], [`Error::refused`],
/// [`Error::not_found`], [`Error::storage`], [`Error::storage_from`]) rather than by hand.
/// A plugin reports its own failures as [`Error::Plugin`] or [`Error::Verification`]; a
/// database error becomes [`Error::Storage`] (or [`Error::Conflict`] when a unique column is
/// violated, or [`Error::NotFound`]) through a `From` conversion inside the crate.
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
    /// A state transition that the subscriber's current state does not allow (verifying an
    /// inactive user, disabling an unverified one). Nothing was changed.
    #[error("cannot {action} a user who is {state}")]
    InvalidTransition {
        /// The transition asked for.
        action: &'static str,
        /// The state the user is in.
        state: &'static str,
    },
    /// A verification method failed (the payment was refused, the provider said no); the
    /// text is the verifier's reason.
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
    /// The coarse kind of this error: what the server maps to a status code.
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

    /// Shorthand for [`Error::Invalid`] with [`Problem::Other`]: a refusal whose reason has
    /// no translation (the pages show `reason` in English).
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::refused(field, Problem::Other, reason)
    }

    /// Shorthand for [`Error::Invalid`] with a typed problem, which pages and the API
    /// translate; `reason` is the English text for logs and the command line.
    ///
    /// ```
    /// use owums_core::{Error, ErrorKind, Problem};
    /// let e = Error::refused("zip", Problem::TooLong { max: 20 }, "must be at most 20 characters long");
    /// assert_eq!(e.kind(), ErrorKind::Invalid);
    /// assert_eq!(e.to_string(), "invalid zip: must be at most 20 characters long");
    /// ```
    pub fn refused(field: &'static str, problem: Problem, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            problem,
            reason: reason.into(),
        }
    }

    /// A storage error with only a message (when there is no driver error to keep).
    pub fn storage(message: impl Into<String>) -> Self {
        Error::Storage {
            message: message.into(),
            source: None,
        }
    }

    /// A storage error caused by `source`, which stays reachable through
    /// [`std::error::Error::source`] and appears in [`Error::chain`].
    pub fn storage_from(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Storage {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// This error and its causes, `: `-separated, for a log line. A cause whose text the
    /// message already contains is not repeated.
    ///
    /// ```
    /// use owums_core::Error;
    /// let io = std::io::Error::new(std::io::ErrorKind::Other, "disk full");
    /// let e = Error::storage_from("cannot write radacct", io);
    /// assert_eq!(e.chain(), "database error: cannot write radacct: disk full");
    /// ```
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

    /// Shorthand for [`Error::NotFound`]: `entity` says what was looked up ("user",
    /// "RADIUS group"), `key` by which value.
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

/// Result with [`Error`] as the default error, used by every fallible function of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
