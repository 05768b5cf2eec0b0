//! Verification methods: the [`Verifier`] trait and what flows through it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ids::{PhoneNumber, UserId};
use crate::plugin::operator_form::{OperatorEvidence, OperatorInput};
use crate::plugin::route::PluginRoute;
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

/// What the verification page must show now.
///
/// Asked of [`Verifier::challenge`] on every look at the page (and every poll), so it is
/// computed, never a side effect. Texts a challenge carries (`text`, `label`, `note`) are
/// shown as they are, unless they are the id of one of the plugin's own page strings
/// (`<plugin id>-…`, see [`VerifierFactory::messages`](crate::VerifierFactory::messages)):
/// those the page translates into the person's language.
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
        /// A line under the numbers (e.g. "the call is free"), or a message id.
        #[serde(default)]
        note: Option<String>,
    },
    /// Send the browser to `url` (payment page, identity provider).
    Redirect {
        /// Where to go.
        url: String,
    },
    /// Type a code (sent by SMS, printed on a letter): the page shows a one-field form that
    /// posts `code` to `action`, one of the plugin's routes (`/plugins/<id>/…`).
    EnterCode {
        /// Where the form posts to.
        action: String,
        /// The field's label, or a message id; `None`: the host's "Code".
        label: Option<String>,
    },
    /// Fill a form of the plugin's own fields, posted to `action` (one of its routes).
    Form {
        /// Where the form posts to.
        action: String,
        /// The fields, in order.
        fields: Vec<FormField>,
    },
    /// An operator completes the verification (an identity document checked at a desk):
    /// the page says so, with `note` (where to go, what to bring) when there is one.
    WaitForOperator {
        /// What to do meanwhile, or a message id.
        note: Option<String>,
    },
    /// Show a message.
    Message {
        /// The text, or a message id.
        text: String,
    },
    /// Nothing to do: the user is verified.
    Done,
}

/// One field of a [`Challenge::Form`] or of an operator form
/// ([`Verifier::operator_form`]).
///
/// ```
/// use owums_core::{FormField, FormFieldKind};
/// use owums_core::plugin::FormChoice;
/// let kind = FormField::new("document_type", "id_card-document-type", FormFieldKind::Choice)
///     .required()
///     .with_choices(vec![FormChoice { value: "passport".into(), label: "id_card-passport".into() }]);
/// let photo = FormField::new("photo", "id_card-photo", FormFieldKind::File)
///     .required()
///     .with_file(&["image/jpeg", "image/png"], 10 * 1024 * 1024);
/// assert_eq!(photo.accept.len(), 2);
/// assert!(kind.required && kind.choices.len() == 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    /// The form field's name, as posted.
    pub name: String,
    /// Its label, or a message id of the plugin.
    pub label: String,
    /// What it holds (the HTML input type).
    pub kind: FormFieldKind,
    /// Whether it must be filled.
    pub required: bool,
    /// The choices of a [`FormFieldKind::Choice`] field, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<crate::plugin::operator_form::FormChoice>,
    /// The media types a [`FormFieldKind::File`] field accepts (`image/*`, `image/jpeg`):
    /// the form's `accept` attribute; empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accept: Vec<String>,
    /// The largest file a [`FormFieldKind::File`] field takes, in bytes: the form says so
    /// and the host refuses a larger upload before the method sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<u64>,
}

impl FormField {
    /// An optional field `name` labelled `label` (a text or a message id of the plugin).
    pub fn new(name: &str, label: &str, kind: FormFieldKind) -> Self {
        FormField {
            name: name.to_owned(),
            label: label.to_owned(),
            kind,
            required: false,
            choices: Vec::new(),
            accept: Vec::new(),
            max_bytes: None,
        }
    }

    /// The same field, required.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The same field with these choices (for [`FormFieldKind::Choice`]).
    #[must_use]
    pub fn with_choices(mut self, choices: Vec<crate::plugin::operator_form::FormChoice>) -> Self {
        self.choices = choices;
        self
    }

    /// The same field accepting files of these media types up to `max_bytes` (for
    /// [`FormFieldKind::File`]).
    #[must_use]
    pub fn with_file(mut self, accept: &[&str], max_bytes: u64) -> Self {
        self.accept = accept.iter().map(|&a| a.to_owned()).collect();
        self.max_bytes = Some(max_bytes);
        self
    }
}

/// The kind of a [`FormField`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FormFieldKind {
    /// One line of text.
    Text,
    /// Digits (a code, a document number).
    Number,
    /// A calendar date.
    Date,
    /// An e-mail address.
    Email,
    /// A yes/no box.
    Checkbox,
    /// One of [`FormField::choices`] (a `select`).
    Choice,
    /// A file (an `input type=file`; on a phone it offers the camera). Only on operator
    /// forms ([`Verifier::operator_form`]), which are posted as `multipart/form-data`.
    File,
}

impl FormFieldKind {
    /// The HTML `input` type (`select` for a [`FormFieldKind::Choice`], drawn as a
    /// `select` element rather than an `input`).
    pub fn input_type(self) -> &'static str {
        match self {
            FormFieldKind::Text => "text",
            FormFieldKind::Number => "number",
            FormFieldKind::Date => "date",
            FormFieldKind::Email => "email",
            FormFieldKind::Checkbox => "checkbox",
            FormFieldKind::Choice => "select",
            FormFieldKind::File => "file",
        }
    }
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
/// The host asks it three kinds of things. What it is: [`id`](Verifier::id),
/// [`self_service`](Verifier::self_service), the fields it needs, its expiry. What to do
/// once: [`start`](Verifier::start), the side effect of a new registration (send a mail,
/// create a payment order), run at most once per registration. What to show now:
/// [`challenge`](Verifier::challenge), pure, asked on every look at the page. Events reach
/// it through its [`routes`](Verifier::routes) (HTTP callbacks, forms) and its
/// [`background_tasks`](Verifier::background_tasks) (a SIP listener); what they prove goes
/// to the core as an [`Outcome`]. A method operators complete
/// ([`operator_verified`](Verifier::operator_verified)) also describes the operator's form
/// ([`operator_form`](Verifier::operator_form)) and turns what was submitted into evidence
/// and files ([`operator_evidence`](Verifier::operator_evidence)).
///
/// ```
/// use owums_core::{Challenge, Expiry, User, Verifier, Result};
/// struct Operator;
/// #[async_trait::async_trait]
/// impl Verifier for Operator {
///     fn id(&self) -> &'static str { "id_card" }
///     fn expiry(&self) -> Expiry { Expiry::Never }
///     fn operator_verified(&self) -> bool { true }
///     async fn challenge(&self, _user: &dyn User, _locale: &str) -> Result<Challenge> {
///         Ok(Challenge::WaitForOperator { note: Some("id_card-bring-document".into()) })
///     }
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
    /// Operators verify subscribers with it (an identity document checked at a desk):
    /// [`OperatorVerifications`](crate::subscriber::OperatorVerifications) accepts it and
    /// records who verified whom, when, with what evidence.
    fn operator_verified(&self) -> bool {
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
    /// The rules for subscribers' devices, for a method that lets devices in by MAC
    /// authentication (the `mac_address` plugin); `None` (the default): it does not. The
    /// host takes the first enabled method that answers one, asked once at start.
    fn device_policy(&self) -> Option<crate::plugin::DevicePolicy> {
        None
    }
    /// The side effect of a new registration (send the link by mail, create the payment
    /// order), in the language `locale` of the person registering. The host calls it at
    /// most once per registration and records that it did; when it fails, the host may call
    /// it again later (the page's next look), so it must be safe to repeat after an error.
    /// The default does nothing (a call, an operator: nothing to prepare).
    async fn start(&self, user: &dyn User, locale: &str) -> Result<()> {
        let _ = (user, locale);
        Ok(())
    }
    /// What the page shows `user` now, in `locale`. Pure: asked on every look at the page
    /// and every poll, and also for stand-ins (a password recovery by phone asks it for
    /// whoever owns the number given), so it must not change anything.
    async fn challenge(&self, user: &dyn User, locale: &str) -> Result<Challenge>;
    /// HTTP routes the verifier contributes, mounted under `/plugins/<id>/`.
    fn routes(&self) -> Vec<PluginRoute> {
        Vec::new()
    }
    /// Background tasks the verifier needs.
    fn background_tasks(&self) -> Vec<BackgroundTask> {
        Vec::new()
    }
    /// The form an operator fills to verify a subscriber with this method, in the
    /// operator's language `locale` (labels may be message ids of the plugin, translated by
    /// the console). Only asked of methods whose [`operator_verified`](Verifier::operator_verified)
    /// is true. The default: no fields.
    fn operator_form(&self, locale: &str) -> Vec<FormField> {
        let _ = locale;
        Vec::new()
    }
    /// Checks what an operator submitted on [`operator_form`](Verifier::operator_form) and
    /// turns it into the evidence to record and the files to keep
    /// ([`OperatorEvidence`]). It changes nothing itself: the core records the result,
    /// with the operator and the time, in the transaction that verifies the subscriber
    /// ([`OperatorVerifications`](crate::subscriber::OperatorVerifications)).
    ///
    /// The host runs it on a blocking thread (`spawn_blocking`), so CPU-bound work (decoding
    /// and resizing a photo) may run in it directly.
    ///
    /// Refuse bad input with [`Error::Invalid`](crate::Error::Invalid) naming the field;
    /// when its reason is one of the plugin's message ids (`<id>-…`,
    /// [`VerifierFactory::messages`](crate::VerifierFactory::messages)) the console shows
    /// that message in the operator's language.
    ///
    /// The default takes the text fields as the evidence (a JSON object of strings) and
    /// refuses files.
    async fn operator_evidence(&self, input: OperatorInput) -> Result<OperatorEvidence> {
        if input.files.iter().any(|f| !f.bytes.is_empty()) {
            return Err(crate::Error::invalid("files", "this method takes no files"));
        }
        let fields: serde_json::Map<String, serde_json::Value> = input
            .fields
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        Ok(OperatorEvidence::new(serde_json::Value::Object(fields)))
    }
}
