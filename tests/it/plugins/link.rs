//! `link`: a small test plugin written against the plugin contract only — a single-use
//! link sent by mail at registration (start), a route that spends it (state by key,
//! compare-and-swap, an outcome), a page string per language, a setting it checks itself,
//! and routes that greet, fail and echo, for the host's adapter.

use std::sync::Arc;
use std::time::Duration;

use owums_core::plugin::{MailTemplate, parse_settings, setting_error};
use owums_core::{
    Challenge, Error, Expiry, Outcome, PluginContext, PluginRequest, PluginResponse, PluginRoute,
    RegistrationField, Result, User, Verifier, VerifierFactory,
};
use poem::http::{Method, StatusCode};
use serde_json::json;

/// The plugin id.
pub(crate) const ID: &str = "link";

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkSettings {
    /// Minutes a link stays valid.
    #[serde(default = "thirty")]
    minutes: i64,
}

fn thirty() -> i64 {
    30
}

pub(crate) struct LinkFactory;

impl VerifierFactory for LinkFactory {
    fn id(&self) -> &'static str {
        ID
    }
    fn check(&self, settings: serde_json::Value) -> Result<()> {
        let s: LinkSettings = parse_settings(ID, settings)?;
        if s.minutes < 1 {
            return Err(setting_error(ID, "minutes", "must be at least 1"));
        }
        Ok(())
    }
    fn build(&self, settings: serde_json::Value, ctx: PluginContext) -> Result<Arc<dyn Verifier>> {
        let s: LinkSettings = parse_settings(ID, settings)?;
        Ok(Arc::new(Link {
            ctx,
            minutes: s.minutes,
        }))
    }
    fn messages(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (
                "en",
                "link-method = A link by e-mail\nlink-check-mail = Open the link we sent you by e-mail.\n",
            ),
            (
                "it",
                "link-method = Un link per e-mail\nlink-check-mail = Apri il link che ti abbiamo inviato per e-mail.\n",
            ),
            (
                "es",
                "link-method = Un enlace por correo\nlink-check-mail = Abre el enlace que te enviamos por correo.\n",
            ),
        ]
    }
    fn mail_templates(&self) -> &'static [MailTemplate] {
        &[
            MailTemplate {
                name: "link",
                locale: "en",
                subject: "Your link",
                body: "Open {link} to verify {username}.",
            },
            MailTemplate {
                name: "link",
                locale: "it",
                subject: "Il tuo link",
                body: "Apri {link} per verificare {username}.",
            },
        ]
    }
}

struct Link {
    ctx: PluginContext,
    minutes: i64,
}

#[owums_core::async_trait]
impl Verifier for Link {
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
    async fn start(&self, user: &dyn User, locale: &str) -> Result<()> {
        let Some(email) = user.email() else {
            return Err(Error::Plugin {
                id: ID.to_owned(),
                message: "no e-mail address".to_owned(),
            });
        };
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
            text: "link-check-mail".to_owned(),
        })
    }
    fn routes(&self) -> Vec<PluginRoute> {
        let ctx = self.ctx.clone();
        vec![
            PluginRoute::new(Method::GET, "/open", move |req: PluginRequest| {
                let ctx = ctx.clone();
                async move { open(&ctx, &req).await }
            }),
            PluginRoute::new(Method::GET, "/hello", |req: PluginRequest| async move {
                let who = req.user.map_or("-".to_owned(), |u| u.username.to_string());
                let text = format!("hello {} {who} {}", req.locale, req.path);
                Ok(PluginResponse::text(StatusCode::OK, text))
            }),
            PluginRoute::new(Method::GET, "/boom", |_req: PluginRequest| async move {
                Err::<PluginResponse, _>(Error::Internal(
                    "the database password is hunter2".to_owned(),
                ))
            }),
            PluginRoute::new(Method::POST, "/echo", |req: PluginRequest| async move {
                let len = req.http.body().len();
                Ok(PluginResponse::text(StatusCode::OK, format!("{len} bytes")))
            }),
        ]
    }
}

/// `GET /plugins/link/open?token=…`: verifies the owner of the link, once, in time.
async fn open(ctx: &PluginContext, req: &PluginRequest) -> Result<PluginResponse> {
    let gone = |why: &str| Ok(PluginResponse::text(StatusCode::GONE, why.to_owned()));
    let token = req.query("token").unwrap_or_default();
    let Some((user, state)) = ctx.state().lookup(&token).await? else {
        return Err(Error::not_found("link", ""));
    };
    if state["used"] == json!(true) {
        return gone("this link was used already");
    }
    if state["expires"].as_i64().unwrap_or(0) <= ctx.now().timestamp() {
        return gone("this link has expired");
    }
    let used = json!({ "expires": state["expires"], "used": true });
    if !ctx.state().swap(user, &state, &used).await? {
        return gone("this link was used already");
    }
    Ok(PluginResponse::redirect("/account").with_outcome(Outcome::Verified { user }))
}
