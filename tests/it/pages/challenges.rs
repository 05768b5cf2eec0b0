//! The verification page shows every kind of challenge a method may answer (enter a code,
//! fill the method's form, wait for an operator, a message), in the person's language
//! from the method's own strings; a form never posts outside the method's routes; and a
//! start that failed at registration is tried again, once, by the page.

use std::sync::Arc;

use owums_core::plugin::FormChoice;
use owums_core::{
    Challenge, Error, Expiry, FormField, FormFieldKind, PluginContext, User, Verifier,
    VerifierFactory,
};
use poem::http::StatusCode;
use serde_json::json;

use super::signup::{fields, no_captcha, with, without};
use super::{Browser, Page, config};
use crate::support::TestDb;

/// A method whose challenge depends on the username's first word.
pub(crate) struct ShownFactory;

impl VerifierFactory for ShownFactory {
    fn id(&self) -> &'static str {
        "shown"
    }
    fn build(
        &self,
        _settings: serde_json::Value,
        ctx: PluginContext,
    ) -> owums_core::Result<Arc<dyn Verifier>> {
        Ok(Arc::new(Shown(ctx)))
    }
    fn messages(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (
                "en",
                "shown-method = Shown\nshown-code = Code from the letter\nshown-doc = Document date\nshown-desk = Go to the front desk.\n",
            ),
            (
                "it",
                "shown-method = Mostrato\nshown-code = Codice della lettera\nshown-doc = Data del documento\nshown-desk = Vai alla reception.\n",
            ),
            (
                "es",
                "shown-method = Mostrado\nshown-code = Código de la carta\nshown-doc = Fecha del documento\nshown-desk = Ve a la recepción.\n",
            ),
        ]
    }
}

struct Shown(PluginContext);

#[owums_core::async_trait]
impl Verifier for Shown {
    fn id(&self) -> &'static str {
        "shown"
    }
    fn self_service(&self) -> bool {
        true
    }
    fn expiry(&self) -> Expiry {
        Expiry::Never
    }
    /// `flaky…` users: the first start fails (after counting it), later ones succeed.
    async fn start(&self, user: &dyn User, _locale: &str) -> owums_core::Result<()> {
        if !user.username().as_str().starts_with("flaky") {
            return Ok(());
        }
        let tries = self
            .0
            .state()
            .get(user.id())
            .await?
            .and_then(|v| v["tries"].as_u64())
            .unwrap_or(0);
        self.0
            .state()
            .put(user.id(), json!({ "tries": tries + 1 }))
            .await?;
        if tries == 0 {
            return Err(Error::Plugin {
                id: "shown".to_owned(),
                message: "the letter service is down".to_owned(),
            });
        }
        Ok(())
    }
    async fn challenge(&self, user: &dyn User, _locale: &str) -> owums_core::Result<Challenge> {
        let name = user.username().as_str();
        Ok(match name.split('-').next().unwrap_or_default() {
            "code" => Challenge::EnterCode {
                action: "/plugins/shown/code".to_owned(),
                label: Some("shown-code".to_owned()),
            },
            "form" => Challenge::Form {
                action: "/plugins/shown/form".to_owned(),
                fields: vec![
                    FormField::new("issued", "shown-doc", FormFieldKind::Date).required(),
                    FormField::new("kind", "shown-doc", FormFieldKind::Choice).with_choices(vec![
                        FormChoice {
                            value: "passport".to_owned(),
                            label: "shown-desk".to_owned(),
                        },
                    ]),
                ],
            },
            "desk" => Challenge::WaitForOperator {
                note: Some("shown-desk".to_owned()),
            },
            "evil" => Challenge::EnterCode {
                action: "https://evil.example/steal".to_owned(),
                label: None,
            },
            _ => Challenge::Message {
                text: "shown-desk".to_owned(),
            },
        })
    }
}

/// Signs `name` up with the `shown` method, in `lang`; the verification page after it.
async fn verification_page(db: &TestDb, name: &str, lang: &str) -> Page {
    signed_up(db, name, lang).await.1
}

/// [`verification_page`], with the browser.
async fn signed_up(db: &TestDb, name: &str, lang: &str) -> (Browser, Page) {
    no_captcha(db).await;
    let mut b = Browser::new(db, &config(&["shown"])).await;
    b.accept_language = lang.to_owned();
    let csrf = b.get("/account/signup").await.csrf();
    let email = format!("{name}@example.org");
    let form = with(
        with(
            without(fields(&csrf, name), "mobile"),
            "verification_method",
            "shown",
        ),
        "email",
        &email,
    );
    let p = b.post("/account/signup", &form).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/account/verification"));
    let page = b.get("/account/verification").await;
    (b, page)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_page_shows_each_kind_of_challenge() {
    let Some(db) = TestDb::new(crate::support::Backend::Sqlite).await else {
        return;
    };
    let p = verification_page(&db, "code-anna", "it").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    // (the template escapes `/` in attributes)
    p.has(r#"<form method="post" action="&#x2f;plugins&#x2f;shown&#x2f;code">"#)
        .has("Codice della lettera")
        .has(r#"name="code""#)
        .has("Continua");

    let p = verification_page(&db, "form-bea", "es").await;
    p.has(r#"action="&#x2f;plugins&#x2f;shown&#x2f;form""#)
        .has("Fecha del documento")
        .has(r#"name="issued" type="date" required"#)
        .has(r#"<select id="field-kind" name="kind"><option value=""></option><option value="passport">Ve a la recepción.</option></select>"#);

    let p = verification_page(&db, "desk-carl", "it").await;
    p.has("verificato da un operatore")
        .has("Vai alla reception.");

    let p = verification_page(&db, "note-dan", "es").await;
    p.has("Ve a la recepción.").lacks("shown-desk");

    // a form that would post elsewhere is not shown
    let p = verification_page(&db, "evil-eve", "en").await;
    assert_eq!(p.status, StatusCode::SERVICE_UNAVAILABLE);
    p.lacks("evil.example");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_start_is_tried_again_by_the_page_once() {
    let Some(db) = TestDb::new(crate::support::Backend::Sqlite).await else {
        return;
    };
    // registration tried and failed; the page tries again and succeeds
    let (mut b, p) = signed_up(&db, "flaky-fay", "en").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    p.has("Go to the front desk.");
    let user = db
        .store
        .find_user_by_username(&owums_core::Username::try_new("flaky-fay").unwrap())
        .await
        .unwrap()
        .unwrap();
    let host =
        owums_core::PluginHost::over_store(&db.store, Arc::new(crate::support::subscribers(&db)));
    let tries = || async {
        host.context("shown", &[])
            .state()
            .get(user.id)
            .await
            .unwrap()
    };
    assert_eq!(tries().await, Some(json!({ "tries": 2 })));
    // started now: later looks do not start again
    for _ in 0..3 {
        b.get("/account/verification")
            .await
            .has("Go to the front desk.");
    }
    assert_eq!(tries().await, Some(json!({ "tries": 2 })));
}
