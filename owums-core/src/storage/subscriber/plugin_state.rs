//! `owums_plugin_state`, and the narrow traits plugins see the store through.
//!
//! [`Store`] implements [`PluginStateStore`] (one JSON text per `(plugin id, user id)`,
//! the primary key) and [`UserDirectory`] (the subscriber lookups of `users`), so the host
//! passes clones of its store as a plugin's [`PluginContext`](crate::PluginContext).
//! Stored JSON that no longer parses is an [`Error::Internal`] naming the plugin rather
//! than a silent `None`.

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::{Error, Result};
use crate::ids::{PhoneNumber, UserId, Username};
use crate::plugin::{PluginStateStore, UserDirectory};
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::schema::owums_plugin_state;
use crate::storage::subscriber::users::now_utc;
use crate::subscriber::user::UserRecord;

#[async_trait::async_trait]
impl PluginStateStore for Store {
    async fn get(&self, plugin: &str, user: UserId) -> Result<Option<serde_json::Value>> {
        let key = user.to_string();
        let data: Option<String> = db_run!(self, untracked c => owums_plugin_state::table
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

    async fn put(&self, plugin: &str, user: UserId, data: serde_json::Value) -> Result<()> {
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
                    ))
                    .execute(c)
                    .await?;
                Ok(())
            })
            .await
        })
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

impl Store {
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
