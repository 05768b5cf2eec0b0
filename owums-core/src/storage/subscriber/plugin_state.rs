//! `owums_plugin_state`, and the narrow traits plugins see the store through.
//!
//! [`Store`] implements [`PluginStateStore`] (one JSON text per `(plugin id, user id)`,
//! the primary key, with an optional lookup key unique per plugin), [`UserDirectory`] (the
//! subscriber lookups of `users`) and [`MailQueue`] (the outbox), so the host passes clones
//! of its store in its [`PluginHost`](crate::PluginHost).
//! Stored JSON that no longer parses is an [`Error::Internal`] naming the plugin rather
//! than a silent `None`.

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::{Error, Result};
use crate::ids::{Email, PhoneNumber, UserId, Username};
use crate::plugin::{MailQueue, PluginStateStore, SettingsSource, UserDirectory};
use crate::settings::Settings;
use crate::storage::NewMail;
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::schema::owums_plugin_state;
use crate::storage::subscriber::users::now_utc;
use crate::subscriber::user::UserRecord;

#[async_trait::async_trait]
impl PluginStateStore for Store {
    async fn get(&self, plugin: &str, user: UserId) -> Result<Option<serde_json::Value>> {
        let key = user.to_string();
        let data: Option<String> = db_run!(self, read c => owums_plugin_state::table
            .filter(owums_plugin_state::plugin_id.eq(plugin))
            .filter(owums_plugin_state::user_id.eq(&key))
            .select(owums_plugin_state::data)
            .first(c)
            .await
            .optional()?);
        data.map(|d| {
            serde_json::from_str(&d)
                .map_err(|e| Error::Internal(format!("plugin state of {plugin}: {e}")))
        })
        .transpose()
    }

    async fn put_keyed(
        &self,
        plugin: &str,
        user: UserId,
        lookup: Option<&str>,
        data: serde_json::Value,
    ) -> Result<()> {
        let key = user.to_string();
        let text = data.to_string();
        let now = now_utc();
        db_run!(self, untracked c => {
            c.transaction::<_, Error, _>(async |c| {
                diesel::delete(
                    owums_plugin_state::table
                        .filter(owums_plugin_state::plugin_id.eq(plugin))
                        .filter(owums_plugin_state::user_id.eq(&key)),
                )
                .execute(c)
                .await?;
                diesel::insert_into(owums_plugin_state::table)
                    .values((
                        owums_plugin_state::plugin_id.eq(plugin),
                        owums_plugin_state::user_id.eq(&key),
                        owums_plugin_state::data.eq(&text),
                        owums_plugin_state::updated_at.eq(now),
                        owums_plugin_state::lookup_key.eq(lookup),
                    ))
                    .execute(c)
                    .await?;
                Ok(())
            })
            .await
        })
    }

    async fn swap(
        &self,
        plugin: &str,
        user: UserId,
        expected: &serde_json::Value,
        new: &serde_json::Value,
    ) -> Result<bool> {
        self.swap_plugin_state(plugin, user, expected, new).await
    }

    async fn lookup(
        &self,
        plugin: &str,
        lookup: &str,
    ) -> Result<Option<(UserId, serde_json::Value)>> {
        let row: Option<(String, String)> = db_run!(self, read c => owums_plugin_state::table
            .filter(owums_plugin_state::plugin_id.eq(plugin))
            .filter(owums_plugin_state::lookup_key.eq(lookup))
            .select((owums_plugin_state::user_id, owums_plugin_state::data))
            .first(c)
            .await
            .optional()?);
        let Some((user, data)) = row else {
            return Ok(None);
        };
        let user = user
            .parse()
            .map_err(|_| Error::Internal(format!("plugin state of {plugin}: bad user id")))?;
        let data = serde_json::from_str(&data)
            .map_err(|e| Error::Internal(format!("plugin state of {plugin}: {e}")))?;
        Ok(Some((user, data)))
    }

    async fn delete(&self, plugin: &str, user: UserId) -> Result<()> {
        let key = user.to_string();
        db_run!(self, untracked c => diesel::delete(
            owums_plugin_state::table
                .filter(owums_plugin_state::plugin_id.eq(plugin))
                .filter(owums_plugin_state::user_id.eq(&key)),
        )
        .execute(c)
        .await?);
        Ok(())
    }
}

#[async_trait::async_trait]
impl UserDirectory for Store {
    async fn find_by_id(&self, id: UserId) -> Result<Option<UserRecord>> {
        self.find_user(id).await
    }
    async fn find_by_username(&self, username: &Username) -> Result<Option<UserRecord>> {
        self.find_user_by_username(username).await
    }
    async fn find_by_mobile(&self, mobile: &PhoneNumber) -> Result<Option<UserRecord>> {
        self.find_user_by_mobile(mobile).await
    }
}

#[async_trait::async_trait]
impl MailQueue for Store {
    async fn enqueue(&self, to: &Email, subject: String, body: String) -> Result<()> {
        let mail = NewMail {
            recipient: to.clone(),
            subject,
            body,
        };
        self.enqueue_mail(mail).await.map(drop)
    }
}

#[async_trait::async_trait]
impl SettingsSource for Settings {
    async fn text(&self, name: &str) -> Result<String> {
        Settings::text(self, name).await
    }
}

impl crate::PluginHost {
    /// The services of `store` for plugins: its users, plugin state and outbox, runtime
    /// settings read from it, outcomes applied by `outcomes` (usually the
    /// [`Subscribers`](crate::Subscribers) over the same store), the system clock, and no
    /// `public_url` of its own (the `notifier_base_url` setting). Change the public fields
    /// for anything else.
    pub fn over_store(store: &Store, outcomes: std::sync::Arc<dyn crate::OutcomeHandler>) -> Self {
        use std::sync::Arc;
        crate::PluginHost {
            users: Arc::new(store.clone()),
            state: Arc::new(store.clone()),
            outcomes,
            mail: Arc::new(store.clone()),
            settings: Arc::new(Settings::new(store.clone())),
            public_url: String::new(),
            clock: Arc::new(chrono::Utc::now),
        }
    }
}

impl Store {
    /// Puts `data` as the state of `plugin` for `user` only if there is none yet; true when
    /// this call put it (of two racing callers, one gets true: the primary key refuses the
    /// other's row).
    pub(crate) async fn claim_plugin_state(
        &self,
        plugin: &str,
        user: UserId,
        data: &serde_json::Value,
    ) -> Result<bool> {
        let key = user.to_string();
        let text = data.to_string();
        let now = now_utc();
        let inserted: Result<usize> = db_run!(self, untracked c => diesel::insert_into(owums_plugin_state::table)
            .values((
                owums_plugin_state::plugin_id.eq(plugin),
                owums_plugin_state::user_id.eq(&key),
                owums_plugin_state::data.eq(&text),
                owums_plugin_state::updated_at.eq(now),
            ))
            .execute(c)
            .await
            .map_err(Error::from));
        match inserted {
            Ok(n) => Ok(n == 1),
            Err(Error::Conflict { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Replaces the state of `plugin` for `user` with `new` only if it still holds exactly
    /// `expected`; true when this call replaced it (so a single-use record is consumed
    /// once, even when two requests race).
    ///
    /// The comparison is on the stored JSON text, so pass `expected` as it was read (or
    /// put), not rebuilt by hand. Password recovery by phone uses it to spend its reset
    /// token exactly once.
    ///
    /// ```no_run
    /// use serde_json::json;
    /// # async fn demo(store: owums_core::Store, user: owums_core::UserId) -> owums_core::Result<()> {
    /// use owums_core::PluginStateStore;
    /// let pending = json!({ "status": "pending", "code": "4711" });
    /// store.put("sms", user, pending.clone()).await?;
    /// let won = store.swap_plugin_state("sms", user, &pending, &json!({ "status": "used" })).await?;
    /// let again = store.swap_plugin_state("sms", user, &pending, &json!({ "status": "used" })).await?;
    /// assert!(won && !again);
    /// # Ok(()) }
    /// ```
    pub async fn swap_plugin_state(
        &self,
        plugin: &str,
        user: UserId,
        expected: &serde_json::Value,
        new: &serde_json::Value,
    ) -> Result<bool> {
        let key = user.to_string();
        let (old, new) = (expected.to_string(), new.to_string());
        let now = now_utc();
        let changed = db_run!(self, untracked c => diesel::update(
            owums_plugin_state::table
                .filter(owums_plugin_state::plugin_id.eq(plugin))
                .filter(owums_plugin_state::user_id.eq(&key))
                .filter(owums_plugin_state::data.eq(&old)),
        )
        .set((
            owums_plugin_state::data.eq(&new),
            owums_plugin_state::updated_at.eq(now),
        ))
        .execute(c)
        .await?);
        Ok(changed == 1)
    }
}
