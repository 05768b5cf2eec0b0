//! What a plugin is given: the [`PluginContext`], built by the host for one plugin from the
//! [`PluginHost`] services, with the plugin's id baked in.
//!
//! The context is the only door from a plugin to the host: subscriber lookups
//! ([`UserDirectory`]), its own state ([`PluginState`]), the outcome handling of the core,
//! mail with the templates the plugin contributed ([`PluginMail`]), read access to runtime
//! settings, the server's public base URL and a clock. Every handle that touches data is
//! scoped to the plugin: its state handle cannot name another plugin, and its outcomes are
//! reported under its id.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::ids::{Email, PhoneNumber, UserId, Username};
use crate::plugin::verifier::{Outcome, OutcomeHandler};
use crate::subscriber::token;
use crate::subscriber::user::UserRecord;

/// Subscriber lookups a plugin may do.
///
/// Read-only on purpose: a plugin learns who a subscriber is (to match a caller ID to an
/// account, to show a name on a payment page) but changes their state only by reporting an
/// [`Outcome`]. [`Store`](crate::Store) implements it; every method answers `Ok(None)` when
/// no subscriber matches and an error only when the lookup itself failed.
#[async_trait::async_trait]
pub trait UserDirectory: Send + Sync + 'static {
    /// The subscriber with id `id`, in any state.
    async fn find_by_id(&self, id: UserId) -> Result<Option<UserRecord>>;
    /// The subscriber with this username; usernames are lowercase, so the lookup is
    /// case-insensitive.
    async fn find_by_username(&self, username: &Username) -> Result<Option<UserRecord>>;
    /// The subscriber with this mobile number (E.164; numbers are unique among
    /// subscribers), e.g. to match the caller ID of a verification call.
    async fn find_by_mobile(&self, mobile: &PhoneNumber) -> Result<Option<UserRecord>>;
}

/// Per-user JSON state of plugins (a core-owned table: plugins need no migrations).
///
/// One JSON value per `(plugin, user)` pair, in `owums_plugin_state` on every backend,
/// optionally with a lookup key unique within the plugin (a transaction id, a token's
/// hash). The rows go when the user is deleted. [`Store`](crate::Store) implements it; the
/// host hands each plugin a [`PluginState`] over it, scoped to the plugin's id. The core
/// keeps its own records here too, under names no plugin id can have.
#[async_trait::async_trait]
pub trait PluginStateStore: Send + Sync + 'static {
    /// The state of `plugin` for `user`; `None` when nothing was put (or it was deleted).
    async fn get(&self, plugin: &str, user: UserId) -> Result<Option<serde_json::Value>>;
    /// Replaces the state of `plugin` for `user` with `data` and no lookup key.
    async fn put(&self, plugin: &str, user: UserId, data: serde_json::Value) -> Result<()> {
        self.put_keyed(plugin, user, None, data).await
    }
    /// Replaces the state of `plugin` for `user` with `data`, findable by `key` (unique
    /// within `plugin`). The last writer wins. The user must exist.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`] when another user's state of `plugin` has this key.
    async fn put_keyed(
        &self,
        plugin: &str,
        user: UserId,
        key: Option<&str>,
        data: serde_json::Value,
    ) -> Result<()>;
    /// Removes the state of `plugin` for `user`; removing state that does not exist is not
    /// an error.
    async fn delete(&self, plugin: &str, user: UserId) -> Result<()>;
    /// Replaces the state of `plugin` for `user` with `new` only if it still holds exactly
    /// `expected` (compared as stored JSON text); true when this call replaced it. The
    /// lookup key stays.
    async fn swap(
        &self,
        plugin: &str,
        user: UserId,
        expected: &serde_json::Value,
        new: &serde_json::Value,
    ) -> Result<bool>;
    /// The user and state of `plugin` stored with lookup key `key`, if any.
    async fn lookup(&self, plugin: &str, key: &str) -> Result<Option<(UserId, serde_json::Value)>>;
}

/// Queues e-mail for delivery (the host's outbox). The reference server's store implements
/// it: the mail is written to `owums_mail_outbox` and sent by the host's delivery task,
/// with retries.
#[async_trait::async_trait]
pub trait MailQueue: Send + Sync + 'static {
    /// Queues a plain-text mail to `to`.
    async fn enqueue(&self, to: &Email, subject: String, body: String) -> Result<()>;
}

/// Read access to the runtime settings (the operator-editable keys of
/// [`crate::settings`]). [`Settings`](crate::Settings) implements it.
#[async_trait::async_trait]
pub trait SettingsSource: Send + Sync + 'static {
    /// The value of setting `name` as text (its default when not stored).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a name no module declares.
    async fn text(&self, name: &str) -> Result<String>;
}

/// The time, as the host tells it: tests replace it to move time forward.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// One mail a plugin contributes, in one language: `{name}` placeholders in the subject
/// and body are filled by [`PluginMail::send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailTemplate {
    /// The template's name, as passed to [`PluginMail::send`].
    pub name: &'static str,
    /// Its language (`en`, `it`, `es`).
    pub locale: &'static str,
    /// The subject line.
    pub subject: &'static str,
    /// The plain-text body.
    pub body: &'static str,
}

/// The services the host offers plugins; the registry makes one [`PluginContext`] per
/// plugin from it ([`PluginHost::context`]).
///
/// The reference server builds it from its [`Store`](crate::Store) (users, state, mail),
/// its [`Subscribers`](crate::Subscribers) (outcomes) and its
/// [`Settings`](crate::Settings); a test can give in-memory fakes.
#[derive(Clone)]
pub struct PluginHost {
    /// Subscriber lookups (read-only).
    pub users: Arc<dyn UserDirectory>,
    /// Plugin state of every plugin (each plugin only sees its own).
    pub state: Arc<dyn PluginStateStore>,
    /// Where outcomes go: the core applies them to the subscriber in one transaction.
    pub outcomes: Arc<dyn OutcomeHandler>,
    /// The outbox.
    pub mail: Arc<dyn MailQueue>,
    /// Runtime settings.
    pub settings: Arc<dyn SettingsSource>,
    /// The server's public base URL (`[web] public_url`); empty: the `notifier_base_url`
    /// runtime setting.
    pub public_url: String,
    /// The time.
    pub clock: Clock,
}

impl fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginHost")
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl PluginHost {
    /// The context of plugin `id`, with the mail `templates` it contributed.
    pub fn context(&self, id: &'static str, templates: &'static [MailTemplate]) -> PluginContext {
        PluginContext {
            id,
            host: self.clone(),
            state: PluginState {
                plugin: id,
                store: self.state.clone(),
            },
            mail: PluginMail {
                queue: self.mail.clone(),
                templates,
            },
        }
    }
}

/// What a plugin gets from the host when it is built: cheap to clone; a factory usually
/// keeps it in the verifier it builds so that routes and background tasks can use it.
#[derive(Clone)]
pub struct PluginContext {
    id: &'static str,
    host: PluginHost,
    state: PluginState,
    mail: PluginMail,
}

impl fmt::Debug for PluginContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginContext")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl PluginContext {
    /// The plugin's id.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// Subscriber lookups.
    pub fn users(&self) -> &dyn UserDirectory {
        self.host.users.as_ref()
    }

    /// The plugin's own state.
    pub fn state(&self) -> &PluginState {
        &self.state
    }

    /// Mail with the plugin's templates.
    pub fn mail(&self) -> &PluginMail {
        &self.mail
    }

    /// Reports what an event proved (a call from a number, a paid order) from outside an
    /// HTTP route (a background task): the core decides what it means and applies it.
    /// Routes answer their outcome in the [`PluginResponse`](crate::PluginResponse) instead.
    ///
    /// # Errors
    ///
    /// What applying it failed with (storage).
    pub async fn report(&self, outcome: Outcome) -> Result<()> {
        self.host.outcomes.apply(self.id, outcome).await
    }

    /// The time now, by the host's clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.host.clock)()
    }

    /// The runtime setting `name`, as text.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an unknown name, or a storage error.
    pub async fn setting(&self, name: &str) -> Result<String> {
        self.host.settings.text(name).await
    }

    /// The server's public base URL without a trailing slash (`https://wifi.example`):
    /// `[web] public_url`, else the `notifier_base_url` runtime setting (with `https://`
    /// added when it has no scheme).
    ///
    /// # Errors
    ///
    /// A storage error reading the setting.
    pub async fn public_url(&self) -> Result<String> {
        let configured = self.host.public_url.trim();
        let base = if configured.is_empty() {
            self.setting("notifier_base_url").await?
        } else {
            configured.to_owned()
        };
        let base = base.trim().trim_end_matches('/');
        Ok(if base.contains("://") {
            base.to_owned()
        } else {
            format!("https://{base}")
        })
    }

    /// The public URL of the plugin's route `path` (`<public url>/plugins/<id><path>`),
    /// e.g. for a link in a mail or a provider's callback.
    ///
    /// # Errors
    ///
    /// As [`PluginContext::public_url`].
    pub async fn route_url(&self, path: &str) -> Result<String> {
        Ok(format!(
            "{}/plugins/{}{path}",
            self.public_url().await?,
            self.id
        ))
    }

    /// A new random secret (256 bits as 64 hex digits), e.g. for a single-use link.
    pub fn new_secret(&self) -> String {
        token::random_secret()
    }
}

/// A plugin's state, scoped to it: every method works on the plugin's own rows only.
///
/// One JSON value per subscriber, optionally findable by a key the plugin chooses (a
/// payment's transaction id, a link's token). Keys are stored as their SHA-256, so a token
/// used as a key cannot be read back from the database.
///
/// ```no_run
/// use serde_json::json;
/// # async fn demo(ctx: owums_core::PluginContext, user: owums_core::UserId) -> owums_core::Result<()> {
/// let state = ctx.state();
/// let token = ctx.new_secret();
/// state.put_keyed(user, &token, json!({ "used": false })).await?;
/// // … later, the link with `token` is opened …
/// if let Some((owner, data)) = state.lookup(&token).await? {
///     let won = state.swap(owner, &data, &json!({ "used": true })).await?;
///     assert!(won, "a second opening of the link loses the race");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PluginState {
    plugin: &'static str,
    store: Arc<dyn PluginStateStore>,
}

impl fmt::Debug for PluginState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginState")
            .field("plugin", &self.plugin)
            .finish_non_exhaustive()
    }
}

impl PluginState {
    /// The state for `user`, if any.
    ///
    /// # Errors
    ///
    /// A storage error, or stored JSON that no longer parses.
    pub async fn get(&self, user: UserId) -> Result<Option<serde_json::Value>> {
        self.store.get(self.plugin, user).await
    }

    /// Replaces the state for `user` (dropping any lookup key).
    ///
    /// # Errors
    ///
    /// A storage error; the user must exist.
    pub async fn put(&self, user: UserId, data: serde_json::Value) -> Result<()> {
        self.store.put_keyed(self.plugin, user, None, data).await
    }

    /// Replaces the state for `user`, findable by `key` through [`PluginState::lookup`].
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`] when another subscriber's state has this key.
    pub async fn put_keyed(&self, user: UserId, key: &str, data: serde_json::Value) -> Result<()> {
        let key = token::digest(key);
        self.store
            .put_keyed(self.plugin, user, Some(&key), data)
            .await
    }

    /// Removes the state for `user`.
    ///
    /// # Errors
    ///
    /// A storage error.
    pub async fn delete(&self, user: UserId) -> Result<()> {
        self.store.delete(self.plugin, user).await
    }

    /// Replaces the state for `user` with `new` only if it still is `expected` (as read);
    /// true when this call replaced it. Of two concurrent callers with the same `expected`,
    /// exactly one wins: the way to spend a single-use token once.
    ///
    /// # Errors
    ///
    /// A storage error.
    pub async fn swap(
        &self,
        user: UserId,
        expected: &serde_json::Value,
        new: &serde_json::Value,
    ) -> Result<bool> {
        self.store.swap(self.plugin, user, expected, new).await
    }

    /// The subscriber and state stored with lookup key `key`.
    ///
    /// # Errors
    ///
    /// A storage error.
    pub async fn lookup(&self, key: &str) -> Result<Option<(UserId, serde_json::Value)>> {
        self.store.lookup(self.plugin, &token::digest(key)).await
    }
}

/// Mail for a plugin: renders the templates it contributed and queues the result in the
/// host's outbox.
#[derive(Clone)]
pub struct PluginMail {
    queue: Arc<dyn MailQueue>,
    templates: &'static [MailTemplate],
}

impl fmt::Debug for PluginMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginMail")
            .field("templates", &self.templates.len())
            .finish_non_exhaustive()
    }
}

impl PluginMail {
    /// The template `name` in `locale`, else in English, else in any language.
    pub fn template(&self, name: &str, locale: &str) -> Option<&'static MailTemplate> {
        let named = || self.templates.iter().filter(|t| t.name == name);
        named()
            .find(|t| t.locale == locale)
            .or_else(|| named().find(|t| t.locale == "en"))
            .or_else(|| named().next())
    }

    /// Renders template `name` in `locale` with `vars` (each `{key}` replaced by its value)
    /// and queues it to `to`.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] when the plugin has no such template; a storage error.
    pub async fn send(
        &self,
        to: &Email,
        name: &str,
        locale: &str,
        vars: &[(&str, &str)],
    ) -> Result<()> {
        let t = self
            .template(name, locale)
            .ok_or_else(|| Error::Internal(format!("no mail template `{name}`")))?;
        self.queue
            .enqueue(to, fill(t.subject, vars), fill(t.body, vars))
            .await
    }
}

/// `template` with every `{key}` of `vars` replaced, in one pass (values are not scanned
/// again); unknown `{…}` stay.
fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            vars.iter()
                .find(|(k, _)| *k == &after[..close])
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
#[path = "context_tests.rs"]
mod tests;
