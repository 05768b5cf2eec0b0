//! An owums verification method written against the plugin contract only: the new
//! subscriber gets an e-mail with a single-use link, valid `valid_minutes`; opening it
//! verifies them. A used or expired link answers a page in the person's language.

use std::sync::Arc;
use std::time::Duration;

use http::{Method, StatusCode};
use owums_core::plugin::{MailTemplate, parse_settings, setting_error};
use owums_core::{
    Challenge, Error, Expiry, Outcome, PluginContext, PluginRegistrar, PluginRequest,
    PluginResponse, PluginRoute, RegistrationField, Result, User, Verifier, VerifierFactory,
};
use serde_json::json;

/// The plugin id: the `[plugins.email_link]` table, the routes' `/plugins/email_link/`.
pub const ID: &str = "email_link";

/// The page strings, per language (Fluent; every id starts with `email_link-`).
const STRINGS: &[(&str, &str)] = &[
    ("en", include_str!("../locales/en/email_link.ftl")),
    ("it", include_str!("../locales/it/email_link.ftl")),
    ("es", include_str!("../locales/es/email_link.ftl")),
];

/// The mail with the link in `locale`: the body is `locales/<locale>/link.txt`.
macro_rules! mail {
    ($locale:literal, $subject:literal) => {
        MailTemplate {
            name: "link",
            locale: $locale,
            subject: $subject,
            body: include_str!(concat!("../locales/", $locale, "/link.txt")),
        }
    };
}

/// The mail per language (`{link}` and `{username}` are filled in).
const MAILS: &[MailTemplate] = &[
    mail!("en", "Verify your account"),
    mail!("it", "Verifica il tuo account"),
    mail!("es", "Verifica tu cuenta"),
];

/// The entry point: the server calls it (linked statically, or from the shared library).
pub fn register(registrar: &mut dyn PluginRegistrar) {
    registrar.register_verifier(Box::new(EmailLinkFactory));
}

#[cfg(feature = "cdylib-export")]
owums_core::export_plugin!(register);

/// `[plugins.email_link]` without `enabled`/`required`/`library`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Minutes a link stays valid after the mail is sent.
    #[serde(default = "thirty")]
    valid_minutes: i64,
}

fn thirty() -> i64 {
    30
}

impl Settings {
    fn parse(settings: serde_json::Value) -> Result<Self> {
        let s: Settings = parse_settings(ID, settings)?;
        if s.valid_minutes < 1 {
            return Err(setting_error(ID, "valid_minutes", "must be at least 1"));
        }
        Ok(s)
    }
}

struct EmailLinkFactory;

impl VerifierFactory for EmailLinkFactory {
    fn id(&self) -> &'static str {
        ID
    }
    fn check(&self, settings: serde_json::Value) -> Result<()> {
        Settings::parse(settings).map(drop)
    }
    fn build(&self, settings: serde_json::Value, ctx: PluginContext) -> Result<Arc<dyn Verifier>> {
        let minutes = Settings::parse(settings)?.valid_minutes;
        Ok(Arc::new(EmailLink { ctx, minutes }))
    }
    fn messages(&self) -> &'static [(&'static str, &'static str)] {
        STRINGS
    }
    fn mail_templates(&self) -> &'static [MailTemplate] {
        MAILS
    }
}

struct EmailLink {
    ctx: PluginContext,
    minutes: i64,
}

#[owums_core::async_trait]
impl Verifier for EmailLink {
    fn id(&self) -> &'static str {
        ID
    }
    fn self_service(&self) -> bool {
        true
    }
    fn required_fields(&self) -> Vec<RegistrationField> {
        vec![RegistrationField::Email]
    }
    fn expiry(&self) -> Expiry {
        Expiry::Delete(Duration::from_secs(24 * 3600))
    }
    /// Mails a new link; the state, found by the token, remembers its expiry and use.
    async fn start(&self, user: &dyn User, locale: &str) -> Result<()> {
        let no_email = || Error::Plugin {
            id: ID.into(),
            message: "no e-mail address".into(),
        };
        let email = user.email().ok_or_else(no_email)?;
        let token = self.ctx.new_secret();
        let expires = self.ctx.now().timestamp() + self.minutes * 60;
        let state = json!({ "expires": expires, "used": false });
        self.ctx.state().put_keyed(user.id(), &token, state).await?;
        let link = self.ctx.route_url(&format!("/open?token={token}")).await?;
        let vars = [
            ("link", link.as_str()),
            ("username", user.username().as_str()),
        ];
        self.ctx.mail().send(email, "link", locale, &vars).await
    }
    async fn challenge(&self, _user: &dyn User, _locale: &str) -> Result<Challenge> {
        Ok(Challenge::Message {
            text: "email_link-check-mail".to_owned(),
        })
    }
    fn routes(&self) -> Vec<PluginRoute> {
        let ctx = self.ctx.clone();
        vec![PluginRoute::new(
            Method::GET,
            "/open",
            move |req: PluginRequest| {
                let ctx = ctx.clone();
                async move { open(&ctx, &req).await }
            },
        )]
    }
}

/// `GET /plugins/email_link/open?token=…`: verifies the link's owner, once, in time.
async fn open(ctx: &PluginContext, req: &PluginRequest) -> Result<PluginResponse> {
    let token = req.query("token").unwrap_or_default();
    let Some((user, state)) = ctx.state().lookup(&token).await? else {
        return Err(Error::not_found("link", ""));
    };
    if state["used"] == json!(true) {
        return Ok(gone(&req.locale, "email_link-used"));
    }
    if state["expires"].as_i64().unwrap_or(0) <= ctx.now().timestamp() {
        return Ok(gone(&req.locale, "email_link-expired"));
    }
    let used = json!({ "expires": state["expires"], "used": true });
    if !ctx.state().swap(user, &state, &used).await? {
        return Ok(gone(&req.locale, "email_link-used")); // a concurrent opening won
    }
    Ok(PluginResponse::redirect("/account").with_outcome(Outcome::Verified { user }))
}

/// A 410 page saying `id` in `locale` (English when the language has no strings).
fn gone(locale: &str, id: &str) -> PluginResponse {
    let strings = STRINGS
        .iter()
        .find(|(l, _)| *l == locale)
        .unwrap_or(&STRINGS[0]);
    let text = strings
        .1
        .lines()
        .find_map(|l| l.strip_prefix(id)?.strip_prefix(" = "));
    let (lang, text) = (strings.0, text.unwrap_or(id));
    let page = format!(
        "<!doctype html><html lang=\"{lang}\"><meta charset=\"utf-8\">\
         <title>{text}</title><p id=\"email-link-message\">{text}</p></html>"
    );
    PluginResponse::html(StatusCode::GONE, page)
}
