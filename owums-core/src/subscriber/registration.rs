//! Registration: one service that checks a sign-up against the chosen method and the sign-up
//! settings, creates the subscriber, starts their verification once, and says what to show
//! them until when. The sign-up page, the JSON API and integrators all call it.

use std::sync::Arc;

use chrono::Utc;

use crate::config::SignupFields;
use crate::error::{Error, FieldError, Problem, Result};
use crate::ids::{Email, PhoneNumber, Username};
use crate::plugin::verifier::{RegistrationField, Verifier};
use crate::subscriber::input::{
    MAX_MOBILE_INPUT_LEN, TextField, check_text, clean_text, parse_birth_date,
};
use crate::subscriber::password::{PersonalData, validate_password};
use crate::subscriber::service::Subscribers;
use crate::subscriber::user::{NewUser, UserRecord};
use crate::subscriber::verification::VerificationView;

/// Plugin-state key (a name no plugin can have) under which the core records that a
/// subscriber's verification was started.
pub(crate) const STARTED_STATE: &str = "core:verification";

/// A registration as the person typed it: every value raw, so that the core checks them
/// all in one place and reports every mistake at once. Empty text means "not given".
#[derive(Clone, Default)]
pub struct RegistrationForm {
    /// Username (4–64 of `a-z 0-9 _ . -`, case-insensitive).
    pub username: String,
    /// Password in clear.
    pub password: String,
    /// The password typed again, when the form asks for it (the API does not).
    pub password_confirmation: Option<String>,
    /// The id of the chosen verification method.
    pub verification_method: String,
    /// E-mail address.
    pub email: String,
    /// Mobile number, international or (with the method's country code) national.
    pub mobile: String,
    /// Given name.
    pub given_name: String,
    /// Surname.
    pub surname: String,
    /// Birth date as `YYYY-MM-DD`.
    pub birth_date: String,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip: String,
    /// Country.
    pub country: String,
    /// The terms of service were accepted.
    pub eula_accepted: bool,
    /// The privacy policy was accepted.
    pub privacy_accepted: bool,
    /// The language of the person registering (`en`, `it`, `es`).
    pub locale: String,
}

impl std::fmt::Debug for RegistrationForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrationForm")
            .field("username", &self.username)
            .field("verification_method", &self.verification_method)
            .finish_non_exhaustive()
    }
}

/// A subscriber just registered, and what to show them.
#[derive(Debug, Clone)]
pub struct Registered {
    /// The new, unverified subscriber.
    pub user: UserRecord,
    /// What their verification page shows now.
    pub view: VerificationView,
}

/// The registration service: checks sign-ups against the chosen method's
/// [`Verifier::required_fields`] and the `[web.signup]` settings, creates subscribers
/// (through [`Subscribers::register`], one transaction), starts their verification once,
/// and answers what to show them on every poll without starting anything again.
///
/// Build it from the enabled verifiers and the sign-up settings:
/// `Registrations::new(subscribers, verifiers, config.web.signup.clone())`.
#[derive(Clone)]
pub struct Registrations {
    pub(super) subscribers: Subscribers,
    verifiers: Vec<Arc<dyn Verifier>>,
    signup: SignupFields,
    time_zone: chrono_tz::Tz,
}

impl std::fmt::Debug for Registrations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<_> = self.verifiers.iter().map(|v| v.id()).collect();
        f.debug_struct("Registrations")
            .field("verifiers", &ids)
            .field("signup", &self.signup)
            .finish_non_exhaustive()
    }
}

impl Registrations {
    /// The service over `subscribers`, offering the self-service methods among `verifiers`
    /// and asking for the optional fields `signup` switches on. Birth dates may not lie in
    /// the future of UTC; [`Registrations::with_time_zone`] names another time zone.
    pub fn new(
        subscribers: Subscribers,
        verifiers: Vec<Arc<dyn Verifier>>,
        signup: SignupFields,
    ) -> Self {
        Registrations {
            subscribers,
            verifiers,
            signup,
            time_zone: chrono_tz::UTC,
        }
    }

    /// The same service, with "today" (the latest birth date) taken in `time_zone`.
    pub fn with_time_zone(mut self, time_zone: chrono_tz::Tz) -> Self {
        self.time_zone = time_zone;
        self
    }

    /// The methods a person may choose when signing up: the enabled, self-service ones.
    pub fn offered(&self) -> impl Iterator<Item = &Arc<dyn Verifier>> {
        self.verifiers.iter().filter(|v| v.self_service())
    }

    /// The enabled verifier with id `id`, self-service or not.
    pub fn verifier(&self, id: &str) -> Option<&Arc<dyn Verifier>> {
        self.verifiers.iter().find(|v| v.id() == id)
    }

    /// Whether sign-up field `field` (`birth_date`, `address`, `city`, `zip`, `country`,
    /// `mobile`, `email`, `given_name`, `surname`) must be filled for `method`: names and
    /// e-mail always, the optional fields when `[web.signup]` switches them on, and any
    /// field the method needs.
    pub fn is_required(&self, field: &str, method: Option<&dyn Verifier>) -> bool {
        let needs = |f: RegistrationField| method.is_some_and(|m| m.required_fields().contains(&f));
        let s = &self.signup;
        match field {
            "given_name" | "surname" | "email" => true,
            "birth_date" => s.birth_date || needs(RegistrationField::BirthDate),
            "address" => s.address || needs(RegistrationField::Address),
            "city" => s.city || needs(RegistrationField::Address),
            "zip" => s.zip || needs(RegistrationField::Address),
            "country" => s.country || needs(RegistrationField::Address),
            "mobile" => needs(RegistrationField::Mobile),
            _ => false,
        }
    }

    /// The country code national mobile numbers are read with for `method`: its own, else
    /// the phone method's (`sip`, or the first self-service method that needs a mobile).
    pub fn country_code(&self, method: Option<&dyn Verifier>) -> Option<String> {
        method
            .and_then(|v| v.country_code())
            .or_else(|| self.phone_method().and_then(|v| v.country_code()))
            .map(str::to_owned)
    }

    fn phone_method(&self) -> Option<&Arc<dyn Verifier>> {
        self.verifier("sip").or_else(|| {
            self.offered()
                .find(|v| v.required_fields().contains(&RegistrationField::Mobile))
        })
    }

    /// Checks `form` without storing anything: the method exists and is self-service, every
    /// field it and `[web.signup]` require is there and well-formed, the password follows
    /// the rules, and the username, e-mail and mobile are free. Every refused field is in
    /// the one [`Error::Fields`]; on success, the subscriber to create.
    pub async fn check(&self, form: &RegistrationForm) -> Result<NewUser> {
        let mut errors = Vec::new();
        let method = form.verification_method.trim();
        let verifier = match self.verifier(method) {
            Some(v) if v.self_service() => Some(v.as_ref()),
            Some(_) => {
                errors.push(FieldError::new(
                    "verification_method",
                    Problem::Unknown,
                    "is not offered for self-service sign-up",
                ));
                None
            }
            None if method.is_empty() => {
                errors.push(FieldError::new(
                    "verification_method",
                    Problem::Required,
                    "is required",
                ));
                None
            }
            None => {
                errors.push(FieldError::new(
                    "verification_method",
                    Problem::Unknown,
                    "is not enabled on this server",
                ));
                None
            }
        };
        let mut text = |field: TextField, value: &str| -> String {
            let required = self.is_required(field.name(), verifier);
            clean_text(field, value, required).unwrap_or_else(|e| {
                errors.push(e);
                String::new()
            })
        };
        let mut new = NewUser {
            given_name: text(TextField::GivenName, &form.given_name),
            surname: text(TextField::Surname, &form.surname),
            address: text(TextField::Address, &form.address),
            city: text(TextField::City, &form.city),
            zip: text(TextField::Zip, &form.zip),
            country: text(TextField::Country, &form.country),
            verification_method: method.to_owned(),
            eula_accepted: form.eula_accepted,
            privacy_accepted: form.privacy_accepted,
            locale: form.locale.clone(),
            password: form.password.clone(),
            ..NewUser::default()
        };
        let today = Utc::now().with_timezone(&self.time_zone).date_naive();
        match form.birth_date.trim() {
            "" if self.is_required("birth_date", verifier) => errors.push(FieldError::new(
                "birth_date",
                Problem::Required,
                "is required",
            )),
            "" => {}
            text => match parse_birth_date(text, today) {
                Ok(d) => new.birth_date = Some(d),
                Err(e) => errors.push(e),
            },
        }
        match form.email.trim() {
            "" => errors.push(FieldError::new("email", Problem::Required, "is required")),
            e => match Email::try_new(e) {
                Ok(e) => new.email = Some(e),
                Err(e) => errors.push(refused("email", &e)),
            },
        }
        let cc = self.country_code(verifier);
        match check_text("mobile", &form.mobile, MAX_MOBILE_INPUT_LEN, false) {
            Err(e) => errors.push(e),
            Ok(m) if m.is_empty() => {
                if self.is_required("mobile", verifier) {
                    errors.push(FieldError::new(
                        "mobile",
                        Problem::Required,
                        "is required by this verification method",
                    ));
                }
            }
            Ok(m) => match PhoneNumber::parse_with_country(&m, cc.as_deref()) {
                Ok(m) => new.mobile = Some(m),
                Err(e) => errors.push(refused("mobile", &e)),
            },
        }
        match form.username.trim() {
            "" => errors.push(FieldError::new(
                "username",
                Problem::Required,
                "is required",
            )),
            u => match Username::try_new(u) {
                Ok(u) => new.username = Some(u),
                Err(e) => errors.push(refused("username", &e)),
            },
        }
        let personal = PersonalData::new([
            form.username.as_str(),
            form.email.as_str(),
            form.mobile.as_str(),
            form.given_name.as_str(),
            form.surname.as_str(),
        ]);
        match validate_password(&form.password, &personal) {
            Err(e) => errors.push(refused("password", &e)),
            Ok(()) => {
                if form
                    .password_confirmation
                    .as_ref()
                    .is_some_and(|c| *c != form.password)
                {
                    errors.push(FieldError::new(
                        "password_confirmation",
                        Problem::Mismatch,
                        "does not match the password",
                    ));
                }
            }
        }
        if !form.eula_accepted {
            errors.push(FieldError::new(
                "eula_accepted",
                Problem::Required,
                "must be accepted",
            ));
        }
        if !form.privacy_accepted {
            errors.push(FieldError::new(
                "privacy_accepted",
                Problem::Required,
                "must be accepted",
            ));
        }
        self.taken(&new, &mut errors).await?;
        if errors.is_empty() {
            Ok(new)
        } else {
            Err(Error::Fields(errors))
        }
    }

    /// Adds a [`Problem::Taken`] for the username, e-mail and mobile already registered.
    async fn taken(&self, new: &NewUser, errors: &mut Vec<FieldError>) -> Result<()> {
        let store = self.subscribers.store();
        let already = |field| FieldError::new(field, Problem::Taken, "is already registered");
        if let Some(u) = &new.username
            && store.find_user_by_username(u).await?.is_some()
        {
            errors.push(already("username"));
        }
        if let Some(e) = &new.email
            && store.find_user_by_email(e).await?.is_some()
        {
            errors.push(already("email"));
        }
        if let Some(m) = &new.mobile
            && store.find_user_by_mobile(m).await?.is_some()
        {
            errors.push(already("mobile"));
        }
        Ok(())
    }

    /// Registers the person of `form`: checks it ([`Registrations::check`]), creates the
    /// unverified subscriber in one transaction, and starts their verification once. A
    /// verifier that fails to start is logged, not fatal: the account exists, and
    /// [`Registrations::start`] may try again (the view says `started: false`).
    pub async fn register(&self, form: RegistrationForm) -> Result<Registered> {
        let new = self.check(&form).await?;
        let user = self.subscribers.register(new).await.map_err(|e| match e {
            // Someone else took it between the check and the insert.
            Error::Conflict { entity } => Error::Fields(vec![FieldError::new(
                match entity {
                    "e-mail" => "email",
                    "mobile" => "mobile",
                    _ => "username",
                },
                Problem::Taken,
                "is already registered",
            )]),
            e => e,
        })?;
        let view = match self.start(&user, &form.locale).await {
            Ok(view) => view,
            Err(e) => {
                tracing::warn!(user = %user.username, error = %e.chain(), "verification did not start");
                self.view(&user, &form.locale).await?
            }
        };
        Ok(Registered { user, view })
    }
}
/// A field error from a value type's refusal (its typed problem and English reason).
fn refused(field: &'static str, e: &Error) -> FieldError {
    match e {
        Error::Invalid {
            problem, reason, ..
        } => FieldError::new(field, *problem, reason.clone()),
        other => FieldError::new(field, Problem::Other, other.to_string()),
    }
}
