//! Sign-up: the form, its checks, and on success the new unverified account, its
//! verification started and the browser logged in.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use minijinja::{Value, context};
use owums_core::{
    Email, Error, NewUser, PhoneNumber, RegistrationField, Settings, Username, Verifier,
};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use super::context::redirect;
use super::{Ctx, Fail, Form, Web, captcha, verification};
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

/// Longest free-text field.
const MAX_TEXT: usize = 128;

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
    verifier
        .and_then(|v| v.country_code())
        .map(str::to_owned)
        .or_else(|| {
            super::phone_reset::phone_method(web).and_then(|v| v.country_code().map(str::to_owned))
        })
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

/// The label of verification method `id` in the request's language.
pub(crate) fn method_label(ctx: &Ctx, id: &str) -> String {
    let key = format!("method-{id}");
    let label = ctx.tr.t(&key);
    if label == key { id.to_owned() } else { label }
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
    ctx.ensure_session().await?;
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

/// The message id for a password that breaks the rules (the core's rules).
pub(crate) fn password_problem(password: &str) -> Option<&'static str> {
    let len = password.chars().count();
    if len < owums_core::subscriber::MIN_PASSWORD_LEN {
        Some("err-password-short")
    } else if len > 128 {
        Some("err-password-long")
    } else if !password.chars().any(char::is_alphabetic)
        || !password.chars().any(|c| c.is_ascii_digit())
    {
        Some("err-password-letter-digit")
    } else if password.chars().any(char::is_control) {
        Some("err-password-control")
    } else {
        None
    }
}

/// Checks a new password and its confirmation into `errors`.
pub(crate) fn check_new_password(ctx: &Ctx, form: &Form, errors: &mut Errors) {
    let password = form.raw("password");
    if let Some(id) = password_problem(password) {
        errors.insert("password", ctx.tr.t(id));
    } else if password != form.raw("password_confirmation") {
        errors.insert("password_confirmation", ctx.tr.t("err-password-mismatch"));
    }
}

fn text(ctx: &Ctx, form: &Form, name: &'static str, required: bool, errors: &mut Errors) -> String {
    let v = form.get(name);
    if required && v.is_empty() {
        errors.insert(name, ctx.tr.t("err-required"));
    } else if v.chars().count() > MAX_TEXT || v.chars().any(char::is_control) {
        errors.insert(name, ctx.tr.t("err-too-long"));
    }
    v.to_owned()
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
        .map_err(|r| Fail::RateLimited(r.0))?;
    let verifiers = self_service(&ctx.web);
    if verifiers.is_empty() {
        return show(
            ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            &Errors::new(),
            false,
        )
        .await;
    }
    let mut errors = Errors::new();
    let method = form.get("verification_method");
    let verifier = verifiers.iter().find(|v| v.id() == method).cloned();
    if verifier.is_none() {
        errors.insert("verification_method", ctx.tr.t("err-method"));
    }
    let fields = ctx.web.config.signup.clone();
    let chosen: Vec<Arc<dyn Verifier>> = verifier.iter().cloned().collect();
    let needs = |on: bool, field: RegistrationField| {
        on || chosen.iter().any(|v| v.required_fields().contains(&field))
    };
    let address = RegistrationField::Address;
    let mut new = NewUser {
        verification_method: method.to_owned(),
        given_name: text(ctx, &form, "given_name", true, &mut errors),
        surname: text(ctx, &form, "surname", true, &mut errors),
        address: text(
            ctx,
            &form,
            "address",
            needs(fields.address, address),
            &mut errors,
        ),
        city: text(ctx, &form, "city", needs(fields.city, address), &mut errors),
        zip: text(ctx, &form, "zip", needs(fields.zip, address), &mut errors),
        country: text(
            ctx,
            &form,
            "country",
            needs(fields.country, address),
            &mut errors,
        ),
        eula_accepted: form.checked("eula_acceptance"),
        privacy_accepted: form.checked("privacy_acceptance"),
        locale: ctx.tr.lang().to_owned(),
        password: form.raw("password").to_owned(),
        ..NewUser::default()
    };
    let birth = form.get("birth_date");
    if needs(fields.birth_date, RegistrationField::BirthDate) || !birth.is_empty() {
        match NaiveDate::parse_from_str(birth, "%Y-%m-%d") {
            Ok(d)
                if d.year() >= 1900
                    && d <= chrono::Utc::now().with_timezone(&ctx.web.tz).date_naive() =>
            {
                new.birth_date = Some(d);
            }
            _ if birth.is_empty() => {
                errors.insert("birth_date", ctx.tr.t("err-required"));
            }
            _ => {
                errors.insert("birth_date", ctx.tr.t("err-date"));
            }
        }
    }
    match form.get("email") {
        "" => {
            errors.insert("email", ctx.tr.t("err-required"));
        }
        e => match Email::try_new(e) {
            Ok(e) => new.email = Some(e),
            Err(_) => {
                errors.insert("email", ctx.tr.t("err-email"));
            }
        },
    }
    let needs_mobile = needs(false, RegistrationField::Mobile);
    let cc = country_code(&ctx.web, verifier.as_ref());
    match form.get("mobile") {
        "" if needs_mobile => {
            errors.insert("mobile", ctx.tr.t("err-mobile-required"));
        }
        "" => {}
        m => match PhoneNumber::parse_with_country(m, cc.as_deref()) {
            Ok(m) => new.mobile = Some(m),
            Err(_) => {
                errors.insert("mobile", ctx.tr.t("err-mobile"));
            }
        },
    }
    let username = form.get("username");
    match Username::try_new(username) {
        Ok(u) => new.username = Some(u),
        Err(_) if username.is_empty() => {
            errors.insert("username", ctx.tr.t("err-required"));
        }
        Err(_) if !(4..=64).contains(&username.chars().count()) => {
            errors.insert("username", ctx.tr.t("err-username-length"));
        }
        Err(_) => {
            errors.insert("username", ctx.tr.t("err-username-chars"));
        }
    }
    check_new_password(ctx, &form, &mut errors);
    if Settings::new(ctx.web.state.store.clone())
        .flag("captcha_enabled")
        .await?
        && !captcha::check(ctx, form.get("captcha")).await?
    {
        errors.insert("captcha", ctx.tr.t("err-captcha"));
    }
    if !new.eula_accepted {
        errors.insert("eula_acceptance", ctx.tr.t("err-eula"));
    }
    if !new.privacy_accepted {
        errors.insert("privacy_acceptance", ctx.tr.t("err-privacy"));
    }
    let duplicate = taken(ctx, &new, &mut errors).await?;
    if !errors.is_empty() {
        let status = if duplicate {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return show(ctx, status, &form, &errors, duplicate).await;
    }
    let user = match ctx.web.state.subscribers.register(new).await {
        Ok(u) => u,
        Err(Error::Conflict { entity }) => {
            let field = conflict_field(entity);
            errors.insert(field, ctx.tr.t(&format!("err-taken-{field}")));
            return show(ctx, StatusCode::CONFLICT, &form, &errors, true).await;
        }
        Err(e) => return Err(e.into()),
    };
    ctx.log_in(user.clone()).await?;
    if let Some(v) = verifier {
        verification::start(ctx, v.as_ref(), &user).await?;
    }
    Ok(redirect("/account/verification"))
}

fn conflict_field(entity: &str) -> &'static str {
    match entity {
        "e-mail" => "email",
        "mobile" => "mobile",
        _ => "username",
    }
}

/// Marks the username, e-mail and mobile already registered; whether any was.
async fn taken(ctx: &Ctx, new: &NewUser, errors: &mut Errors) -> Result<bool, Fail> {
    let store = &ctx.web.state.store;
    let mut found = Vec::new();
    if let Some(u) = &new.username
        && store.find_user_by_username(u).await?.is_some()
    {
        found.push("username");
    }
    if let Some(e) = &new.email
        && store.find_user_by_email(e).await?.is_some()
    {
        found.push("email");
    }
    if let Some(m) = &new.mobile
        && store.find_user_by_mobile(m).await?.is_some()
    {
        found.push("mobile");
    }
    for field in &found {
        errors.insert(field, ctx.tr.t(&format!("err-taken-{field}")));
    }
    Ok(!found.is_empty())
}
