//! Verification methods: the [`Verifier`] trait and what flows through it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ids::{PhoneNumber, UserId};
use crate::subscriber::user::User;

/// A registration field a verification method needs on the sign-up form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationField {
    /// Mobile phone number.
    Mobile,
    /// E-mail address.
    Email,
    /// Given name and surname.
    Names,
    /// Birth date.
    BirthDate,
    /// Address, city, zip and country.
    Address,
}

/// What happens to users who never finish verifying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// They are kept unverified.
    Never,
    /// They are deleted this long after registering.
    Delete(Duration),
    /// They are switched off (kept, e.g. for legal records) this long after registering.
    Deactivate(Duration),
}

/// What the verification page must show or do next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Challenge {
    /// Call one of `numbers` from `from` within `expires_in_seconds`.
    CallNumber {
        /// Numbers to call.
        numbers: Vec<String>,
        /// The number the call must come from.
        from: Option<String>,
        /// Seconds left.
        expires_in_seconds: u64,
    },
    /// Send the browser to `url` (payment page, identity provider).
    Redirect {
        /// Where to go.
        url: String,
    },
    /// Show a message (e.g. "bring your ID card to an operator").
    Message {
        /// The text.
        text: String,
    },
    /// Nothing to do: the user is verified.
    Done,
}

/// An external event fed to a verifier.
#[derive(Debug)]
#[non_exhaustive]
pub enum VerifierEvent {
    /// An HTTP request to one of the verifier's routes.
    Http(Box<http::Request<Bytes>>),
    /// A phone call (caller normalised to E.164) to `callee`.
    Call {
        /// Who called.
        caller: PhoneNumber,
        /// The number called, as dialled.
        callee: String,
    },
    /// Anything else, as JSON.
    Custom(serde_json::Value),
}

/// What an event meant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The user proved who they are (verifies, or re-enables a disabled user).
    Verified {
        /// Who.
        user: UserId,
    },
    /// The user asked to recover their password and proved who they are.
    PasswordRecovered {
        /// Who.
        user: UserId,
    },
    /// The owner of mobile number `number` proved it (they called from it, or answered a
    /// code sent to it). The verifier only reports the proof; the core decides what it means
    /// for the subscriber with that number now: complete a pending password recovery by
    /// phone, verify an unverified account, re-enable a disabled one, or nothing.
    PhoneProven {
        /// The number, in E.164.
        number: PhoneNumber,
    },
    /// Verification failed.
    Failed {
        /// Who, if known.
        user: Option<UserId>,
        /// Why.
        reason: String,
    },
    /// The event changed nothing.
    Ignored,
}

/// Applies outcomes reported by verifiers (the host's side: state transitions, e-mails).
#[async_trait::async_trait]
pub trait OutcomeHandler: Send + Sync + 'static {
    /// Apply `outcome` reported by verifier `verifier_id`.
    async fn apply(&self, verifier_id: &str, outcome: Outcome) -> Result<()>;
}

/// A framework-neutral HTTP handler a plugin contributes; the server adapts it.
#[async_trait::async_trait]
pub trait PluginHandler: Send + Sync + 'static {
    /// Handle one request.
    async fn call(&self, request: http::Request<Bytes>) -> http::Response<Bytes>;
}

/// A route a plugin contributes, mounted under `/plugins/<id>/`.
#[derive(Clone)]
pub struct PluginRoute {
    /// HTTP method.
    pub method: http::Method,
    /// Path below the plugin's prefix, e.g. `/callback`.
    pub path: String,
    /// The handler.
    pub handler: Arc<dyn PluginHandler>,
}

impl fmt::Debug for PluginRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginRoute")
            .field("method", &self.method)
            .field("path", &self.path)
            .finish()
    }
}

/// Tells a background task to stop.
#[derive(Debug, Clone)]
pub struct Shutdown(tokio::sync::watch::Receiver<bool>);

impl Shutdown {
    /// A pair: the sender side (send `true` to stop) and the signal.
    pub fn channel() -> (tokio::sync::watch::Sender<bool>, Shutdown) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (tx, Shutdown(rx))
    }

    /// Resolves when shutdown was asked for (or the sender is gone).
    pub async fn wait(&mut self) {
        while !*self.0.borrow() {
            if self.0.changed().await.is_err() {
                return;
            }
        }
    }
}

/// A boxed future, as background tasks return.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A long-running task a plugin needs (e.g. the SIP listener).
pub struct BackgroundTask {
    /// A name for logs.
    pub name: String,
    /// Runs until the shutdown signal fires.
    pub run: Box<dyn FnOnce(Shutdown) -> BoxFuture<Result<()>> + Send>,
}

impl fmt::Debug for BackgroundTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackgroundTask")
            .field("name", &self.name)
            .finish()
    }
}

/// One verification method (SIP call, card payment, ID document, MAC, social login).
///
/// ```
/// use owums_core::{Challenge, Expiry, Outcome, User, Verifier, VerifierEvent, Result};
/// struct Operator;
/// #[async_trait::async_trait]
/// impl Verifier for Operator {
///     fn id(&self) -> &'static str { "id_card" }
///     fn expiry(&self) -> Expiry { Expiry::Never }
///     async fn start(&self, _user: &dyn User) -> Result<Challenge> {
///         Ok(Challenge::Message { text: "Bring your ID card to an operator.".into() })
///     }
///     async fn handle_event(&self, _event: VerifierEvent) -> Result<Outcome> { Ok(Outcome::Ignored) }
/// }
/// ```
#[async_trait::async_trait]
pub trait Verifier: Send + Sync + 'static {
    /// Stable id: the key in `plugins.toml` and the stored verification method.
    fn id(&self) -> &'static str;
    /// Offered on the public sign-up page (otherwise only operators use it).
    fn self_service(&self) -> bool {
        false
    }
    /// Fields the sign-up form must ask for.
    fn required_fields(&self) -> Vec<RegistrationField> {
        Vec::new()
    }
    /// The country code (digits, e.g. `"39"`) that mobile numbers typed without `+` or `00`
    /// belong to, for a method that asks for one; `None`: only international numbers.
    fn country_code(&self) -> Option<&str> {
        None
    }
    /// What happens to users who never finish.
    fn expiry(&self) -> Expiry;
    /// Begin verifying `user`; returns what the page must show.
    async fn start(&self, user: &dyn User) -> Result<Challenge>;
    /// Feed an external event; returns what it meant.
    async fn handle_event(&self, event: VerifierEvent) -> Result<Outcome>;
    /// HTTP routes the verifier contributes.
    fn routes(&self) -> Vec<PluginRoute> {
        Vec::new()
    }
    /// Background tasks the verifier needs.
    fn background_tasks(&self) -> Vec<BackgroundTask> {
        Vec::new()
    }
}
