//! Sign-up: the form, its checks, and on success the new unverified account, its
//! verification started and the browser logged in.

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::{Value, context};
use owums_core::subscriber::PersonalData;
use owums_core::{Error, RegistrationField, RegistrationForm, Settings, Verifier};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use super::context::redirect;
use super::{Ctx, Fail, Form, Web, captcha};
use crate::ratelimit::{Action, Subject};

/// Text fields kept when the form is shown again (never passwords or the captcha).
const KEPT: &[&str] = &[
    "verification_method",
    "given_name",
    "surname",
    "birth_date",
    "address",
    "city",
    "zip",
    "country",
    "email",
    "mobile",
    "username",
];

type Errors = BTreeMap<&'static str, String>;

/// What the page asks of one registration field.
#[derive(Debug, Clone, Default)]
struct Need {
    /// The field is on the form.
    shown: bool,
    /// The field must be filled (`required`, marked on the form).
    required: bool,
    /// When only some of the methods need it: "Needed to verify with: …".
    needed_for: Option<String>,
}

impl From<Need> for Value {
    fn from(n: Need) -> Value {
        context! { shown => n.shown, required => n.required, needed_for => n.needed_for }
    }
}

/// Field `field` for `methods`: shown and required when `on` in `[web.signup]` or when
/// every method needs it; shown, with the methods that need it, when only some do.
fn need(ctx: &Ctx, on: bool, field: RegistrationField, methods: &[Arc<dyn Verifier>]) -> Need {
    let needing: Vec<String> = methods
        .iter()
        .filter(|v| v.required_fields().contains(&field))
        .map(|v| method_label(ctx, v.id()))
        .collect();
    let all = !needing.is_empty() && needing.len() == methods.len();
    Need {
        shown: on || !needing.is_empty(),
        required: on || all,
        needed_for: (!on && !all && !needing.is_empty()).then(|| {
            ctx.tr
                .t_with("hint-needed-for", (("methods", needing.join(", ")),))
        }),
    }
}

/// The country code national mobile numbers are read with: `verifier`'s, else the phone
/// method's (the one password recovery by phone uses).
pub(crate) fn country_code(web: &Web, verifier: Option<&Arc<dyn Verifier>>) -> Option<String> {
    web.state
        .registrations
        .country_code(verifier.map(|v| v.as_ref()))
}

/// The hint of a mobile-number field: national numbers read as `country_code` when there is
/// one, else international numbers only.
pub(crate) fn mobile_hint(ctx: &Ctx, country_code: Option<&str>) -> String {
    match country_code {
        Some(cc) => ctx.tr.t_with("hint-mobile-national", (("code", cc),)),
        None => ctx.tr.t("hint-mobile"),
    }
}

fn self_service(web: &Web) -> Vec<Arc<dyn Verifier>> {
    web.state
        .verifiers
        .iter()
        .filter(|v| v.self_service())
        .cloned()
        .collect()
}

/// The personal data of subscriber `id` (nothing when they are gone), which their new
/// password may not be built from.
pub(crate) async fn personal_data(web: &Web, id: owums_core::UserId) -> Result<PersonalData, Fail> {
    Ok(web
        .state
        .store
        .find_user(id)
        .await?
        .as_ref()
        .map(PersonalData::of_user)
        .unwrap_or_default())
}

/// The label of verification method `id` in the request's language: the plugin's own
/// `<id>-method` page string, else the host's `method-<id>`, else the id.
pub(crate) fn method_label(ctx: &Ctx, id: &str) -> String {
    [format!("{id}-method"), format!("method-{id}")]
        .into_iter()
        .find(|key| ctx.tr.has(key))
        .map_or_else(|| id.to_owned(), |key| ctx.tr.t(&key))
}

/// `GET /account/signup`.
#[handler]
pub(crate) async fn show_form(req: &Request, web: Data<&Web>) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = show_empty(&mut ctx).await;
    ctx.finish(r)
}

async fn show_empty(ctx: &mut Ctx) -> Result<Response, Fail> {
    if ctx.user.is_some() {
        return Ok(redirect("/account"));
    }
    show(ctx, StatusCode::OK, &Form::default(), &Errors::new(), false).await
}

async fn show(
    ctx: &Ctx,
    status: StatusCode,
    form: &Form,
    errors: &Errors,
    duplicate: bool,
) -> Result<Response, Fail> {
    let verifiers = self_service(&ctx.web);
    let methods: Vec<Value> = verifiers
        .iter()
        .map(|v| context! { id => v.id(), label => method_label(ctx, v.id()) })
        .collect();
    let fields = &ctx.web.config.signup;
    let cc = country_code(&ctx.web, None);
    let need = context! {
        birth_date => Value::from(need(ctx, fields.birth_date, RegistrationField::BirthDate, &verifiers)),
        address => Value::from(need(ctx, fields.address, RegistrationField::Address, &verifiers)),
        city => Value::from(need(ctx, fields.city, RegistrationField::Address, &verifiers)),
        zip => Value::from(need(ctx, fields.zip, RegistrationField::Address, &verifiers)),
        country => Value::from(need(ctx, fields.country, RegistrationField::Address, &verifiers)),
        mobile => Value::from(need(ctx, false, RegistrationField::Mobile, &verifiers)),
    };
    let captcha = Settings::new(ctx.web.state.store.clone())
        .flag("captcha_enabled")
        .await?;
    let mut values: BTreeMap<&str, Value> = KEPT
        .iter()
        .map(|k| (*k, Value::from(form.get(k))))
        .collect();
    values.insert("eula_acceptance", form.checked("eula_acceptance").into());
    values.insert(
        "privacy_acceptance",
        form.checked("privacy_acceptance").into(),
    );
    if methods.len() == 1 {
        values.insert(
            "verification_method",
            methods[0].get_attr("id").unwrap_or_default(),
        );
    }
    let today = chrono::Utc::now()
        .with_timezone(&ctx.web.tz)
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    ctx.render(
        status,
        "signup.html",
        "signup-title",
        context! {
            methods,
            need,
            mobile_hint => mobile_hint(ctx, cc.as_deref()),
            today,
            captcha,
            captcha_nonce => rand::random::<u32>(),
            form => Value::from_pairs(values),
            errors => super::templates::map(errors),
            duplicate,
        },
    )
}

/// `POST /account/signup`.
#[handler]
pub(crate) async fn submit(req: &Request, web: Data<&Web>, body: Body) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = sign_up(&mut ctx, body).await;
    ctx.finish(r)
}

/// Checks a new password (the core's one set of rules, against the subscriber's `personal`
/// data) and its confirmation into `errors`.
pub(crate) fn check_new_password(
    ctx: &Ctx,
    form: &Form,
    personal: &PersonalData,
    errors: &mut Errors,
) {
    let password = form.raw("password");
    if let Err(e) = owums_core::subscriber::validate_password(password, personal) {
        errors.insert("password", crate::error::answer(&ctx.tr, &e).message);
    } else if password != form.raw("password_confirmation") {
        errors.insert("password_confirmation", ctx.tr.t("err-password-mismatch"));
    }
}

/// The form's name of a registration field the core refused.
fn form_field(field: &'static str) -> &'static str {
    match field {
        "eula_accepted" => "eula_acceptance",
        "privacy_accepted" => "privacy_acceptance",
        other => other,
    }
}

async fn sign_up(ctx: &mut Ctx, body: Body) -> Result<Response, Fail> {
    let form = Form::read(body, ctx.web.config.max_form_bytes).await?;
    ctx.check_csrf(&form)?;
    if ctx.user.is_some() {
        return Ok(redirect("/account"));
    }
    ctx.web
        .limiter
        .attempt(Action::Signup, &[Subject::Ip(ctx.ip)])
        .await?;
    if self_service(&ctx.web).is_empty() {
        return show(
            ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            &Errors::new(),
            false,
        )
        .await;
    }
    let registration = RegistrationForm {
        username: form.get("username").to_owned(),
        password: form.raw("password").to_owned(),
        password_confirmation: Some(form.raw("password_confirmation").to_owned()),
        verification_method: form.get("verification_method").to_owned(),
        email: form.get("email").to_owned(),
        mobile: form.get("mobile").to_owned(),
        given_name: form.get("given_name").to_owned(),
        surname: form.get("surname").to_owned(),
        birth_date: form.get("birth_date").to_owned(),
        address: form.get("address").to_owned(),
        city: form.get("city").to_owned(),
        zip: form.get("zip").to_owned(),
        country: form.get("country").to_owned(),
        eula_accepted: form.checked("eula_acceptance"),
        privacy_accepted: form.checked("privacy_acceptance"),
        locale: ctx.tr.lang().to_owned(),
    };
    let mut errors = Errors::new();
    if Settings::new(ctx.web.state.store.clone())
        .flag("captcha_enabled")
        .await?
        && !captcha::check(ctx, form.get("captcha")).await?
    {
        errors.insert("captcha", ctx.tr.t("err-captcha"));
    }
    let registrations = &ctx.web.state.registrations;
    let outcome = if errors.is_empty() {
        registrations.register(registration).await.map(Some)
    } else {
        registrations.check(&registration).await.map(|_| None)
    };
    match outcome {
        Ok(Some(registered)) => {
            ctx.log_in(registered.user).await?;
            if super::portal::arrived(ctx).is_some() {
                // came through a captive portal: online right after verification
                super::portal::pending::keep(ctx, form.raw("password")).await?;
            }
            Ok(redirect("/account/verification"))
        }
        Ok(None) => show(ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors, false).await,
        Err(e @ Error::Fields(_)) => {
            let answer = crate::error::answer(&ctx.tr, &e);
            for (field, message) in answer.fields {
                errors.insert(form_field(field), message);
            }
            let duplicate = answer.status == StatusCode::CONFLICT;
            show(ctx, answer.status, &form, &errors, duplicate).await
        }
        Err(e) => Err(e.into()),
    }
}
