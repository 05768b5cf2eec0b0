//! The context a plugin gets, over in-memory host services: every call reaches the host
//! scoped to the plugin, keys are hashed, mail falls back to English, URLs are built from
//! the configured base or the runtime setting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::*;
use crate::subscriber::user::UserRecord;

/// A state row: its lookup key and its data, by `(plugin, user)`.
type Rows = HashMap<(String, UserId), (Option<String>, Value)>;

/// The host's services in memory: state rows, queued mails, applied outcomes.
#[derive(Default)]
struct Memory {
    rows: Mutex<Rows>,
    mails: Mutex<Vec<(String, String, String)>>,
    outcomes: Mutex<Vec<(String, Outcome)>>,
}

#[async_trait::async_trait]
impl PluginStateStore for Memory {
    async fn get(&self, plugin: &str, user: UserId) -> Result<Option<Value>> {
        let rows = self.rows.lock().unwrap();
        Ok(rows.get(&(plugin.to_owned(), user)).map(|(_, v)| v.clone()))
    }
    async fn put_keyed(
        &self,
        plugin: &str,
        user: UserId,
        key: Option<&str>,
        data: Value,
    ) -> Result<()> {
        let row = (key.map(str::to_owned), data);
        self.rows
            .lock()
            .unwrap()
            .insert((plugin.to_owned(), user), row);
        Ok(())
    }
    async fn delete(&self, plugin: &str, user: UserId) -> Result<()> {
        self.rows.lock().unwrap().remove(&(plugin.to_owned(), user));
        Ok(())
    }
    async fn swap(
        &self,
        plugin: &str,
        user: UserId,
        expected: &Value,
        new: &Value,
    ) -> Result<bool> {
        let mut rows = self.rows.lock().unwrap();
        match rows.get_mut(&(plugin.to_owned(), user)) {
            Some((_, v)) if v == expected => {
                *v = new.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn lookup(&self, plugin: &str, key: &str) -> Result<Option<(UserId, Value)>> {
        let rows = self.rows.lock().unwrap();
        Ok(rows.iter().find_map(|((p, user), (k, v))| {
            (p == plugin && k.as_deref() == Some(key)).then(|| (*user, v.clone()))
        }))
    }
}

#[async_trait::async_trait]
impl MailQueue for Memory {
    async fn enqueue(&self, to: &Email, subject: String, body: String) -> Result<()> {
        let mail = (to.as_str().to_owned(), subject, body);
        self.mails.lock().unwrap().push(mail);
        Ok(())
    }
}

#[async_trait::async_trait]
impl SettingsSource for Memory {
    async fn text(&self, name: &str) -> Result<String> {
        match name {
            "notifier_base_url" => Ok("wifi.example.net/".to_owned()),
            _ => Err(Error::invalid("setting", "is unknown")),
        }
    }
}

#[async_trait::async_trait]
impl OutcomeHandler for Memory {
    async fn apply(&self, verifier_id: &str, outcome: Outcome) -> Result<()> {
        self.outcomes
            .lock()
            .unwrap()
            .push((verifier_id.to_owned(), outcome));
        Ok(())
    }
}

#[async_trait::async_trait]
impl UserDirectory for Memory {
    async fn find_by_id(&self, _id: UserId) -> Result<Option<UserRecord>> {
        Ok(None)
    }
    async fn find_by_username(&self, _username: &Username) -> Result<Option<UserRecord>> {
        Ok(None)
    }
    async fn find_by_mobile(&self, _mobile: &PhoneNumber) -> Result<Option<UserRecord>> {
        Ok(None)
    }
}

const TEMPLATES: &[MailTemplate] = &[
    MailTemplate {
        name: "link",
        locale: "it",
        subject: "Il link",
        body: "Apri {link}",
    },
    MailTemplate {
        name: "link",
        locale: "en",
        subject: "The link",
        body: "Open {link}",
    },
    MailTemplate {
        name: "note",
        locale: "es",
        subject: "La nota",
        body: "{who}",
    },
];

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 20, 0, 0).unwrap()
}

fn host(memory: &Arc<Memory>, public_url: &str) -> PluginHost {
    PluginHost {
        users: memory.clone(),
        state: memory.clone(),
        outcomes: memory.clone(),
        mail: memory.clone(),
        settings: memory.clone(),
        public_url: public_url.to_owned(),
        clock: Arc::new(at),
    }
}

#[tokio::test]
async fn state_is_scoped_to_the_plugin_and_keys_are_hashed() {
    let memory = Arc::new(Memory::default());
    let (link, other) = (
        host(&memory, "").context("link", TEMPLATES),
        host(&memory, "").context("other", &[]),
    );
    assert_eq!(link.id(), "link");
    let (ada, bob) = (UserId::random(), UserId::random());
    link.state()
        .put_keyed(ada, "tok-1", json!({ "used": false }))
        .await
        .unwrap();
    other.state().put(ada, json!("theirs")).await.unwrap();
    link.state().put(bob, json!(2)).await.unwrap();
    assert_eq!(
        link.state().get(ada).await.unwrap(),
        Some(json!({ "used": false }))
    );
    assert_eq!(other.state().get(ada).await.unwrap(), Some(json!("theirs")));
    // the key is stored as its digest, never as typed
    let stored = memory.rows.lock().unwrap()[&("link".to_owned(), ada)]
        .0
        .clone();
    assert_eq!(stored.as_deref(), Some(token::digest("tok-1").as_str()));
    assert_eq!(
        link.state().lookup("tok-1").await.unwrap(),
        Some((ada, json!({ "used": false })))
    );
    assert_eq!(other.state().lookup("tok-1").await.unwrap(), None);
    assert_eq!(link.state().lookup("tok-2").await.unwrap(), None);
    // put drops the key; swap only from the expected value; delete
    let used = json!({ "used": true });
    assert!(
        !link
            .state()
            .swap(ada, &json!({ "used": "no" }), &used)
            .await
            .unwrap()
    );
    assert!(
        link.state()
            .swap(ada, &json!({ "used": false }), &used)
            .await
            .unwrap()
    );
    assert!(
        !link
            .state()
            .swap(ada, &json!({ "used": false }), &used)
            .await
            .unwrap()
    );
    assert_eq!(link.state().get(ada).await.unwrap(), Some(used));
    link.state().put(ada, json!(1)).await.unwrap();
    assert_eq!(link.state().lookup("tok-1").await.unwrap(), None);
    link.state().delete(ada).await.unwrap();
    assert_eq!(link.state().get(ada).await.unwrap(), None);
    assert_eq!(link.state().get(bob).await.unwrap(), Some(json!(2)));
    assert_eq!(other.state().get(ada).await.unwrap(), Some(json!("theirs")));
}

#[tokio::test]
async fn mail_uses_the_locale_then_english_then_any() {
    let memory = Arc::new(Memory::default());
    let ctx = host(&memory, "").context("link", TEMPLATES);
    let to = Email::try_new("ada@example.org").unwrap();
    ctx.mail()
        .send(&to, "link", "it", &[("link", "L1")])
        .await
        .unwrap();
    ctx.mail()
        .send(&to, "link", "es", &[("link", "L2")])
        .await
        .unwrap();
    ctx.mail()
        .send(&to, "note", "en", &[("who", "Ada")])
        .await
        .unwrap();
    let err = ctx.mail().send(&to, "nope", "en", &[]).await.unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::Internal);
    let mails = memory.mails.lock().unwrap().clone();
    let mail = |to: &str, s: &str, b: &str| (to.to_owned(), s.to_owned(), b.to_owned());
    assert_eq!(
        mails,
        [
            mail("ada@example.org", "Il link", "Apri L1"),
            mail("ada@example.org", "The link", "Open L2"),
            mail("ada@example.org", "La nota", "Ada"),
        ]
    );
    assert_eq!(
        ctx.mail().template("link", "fr").map(|t| t.locale),
        Some("en")
    );
    assert_eq!(ctx.mail().template("missing", "en"), None);
}

#[tokio::test]
async fn urls_settings_clock_secrets_and_outcomes_come_from_the_host() {
    let memory = Arc::new(Memory::default());
    let configured = host(&memory, " https://wifi.example.org/ ").context("link", &[]);
    assert_eq!(
        configured.public_url().await.unwrap(),
        "https://wifi.example.org"
    );
    assert_eq!(
        configured.route_url("/open?token=t").await.unwrap(),
        "https://wifi.example.org/plugins/link/open?token=t"
    );
    // no [web] public_url: the runtime setting, with https:// added
    let from_setting = host(&memory, "").context("link", &[]);
    assert_eq!(
        from_setting.public_url().await.unwrap(),
        "https://wifi.example.net"
    );
    assert_eq!(
        from_setting.setting("notifier_base_url").await.unwrap(),
        "wifi.example.net/"
    );
    assert!(from_setting.setting("nope").await.is_err());
    assert_eq!(from_setting.now(), at());
    let (a, b) = (configured.new_secret(), configured.new_secret());
    assert_ne!(a, b);
    assert!(token::is_secret(&a), "{a}");
    let user = UserId::random();
    configured.report(Outcome::Verified { user }).await.unwrap();
    assert_eq!(
        memory.outcomes.lock().unwrap().clone(),
        [("link".to_owned(), Outcome::Verified { user })]
    );
    assert!(configured.users().find_by_id(user).await.unwrap().is_none());
    assert!(format!("{configured:?}").contains("link"));
}

#[test]
fn fill_replaces_known_names_once() {
    let vars = [("link", "https://x/{link}"), ("name", "Ada")];
    assert_eq!(
        fill("Hi {name}, open {link} {other}", &vars),
        "Hi Ada, open https://x/{link} {other}"
    );
    assert_eq!(fill("{unclosed", &vars), "{unclosed");
}
