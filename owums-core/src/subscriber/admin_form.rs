//! The checks of an operator's subscriber form ([`UserAdmin::create`] and
//! [`UserAdmin::update`](crate::subscriber::UserAdmin::update)), every refusal collected so
//! that the form shows them all, and the [`Changes`] of a creation or an edit.
//!
//! [`UserAdmin::create`]: crate::subscriber::UserAdmin::create

use crate::error::{Error, FieldError, Problem, Result};
use crate::ids::{Email, GroupName, PhoneNumber, Username};
use crate::operator::Changes;
use crate::subscriber::input::{
    MAX_EMAIL_LEN, MAX_MOBILE_INPUT_LEN, MAX_NOTES_LEN, TextField, check_raw, check_text,
    clean_text,
};
use crate::subscriber::user::UserRecord;

/// Checked personal data of a form: every refusal goes to `errors`.
#[derive(Default)]
pub(super) struct Checked {
    pub(super) email: Option<Email>,
    pub(super) mobile: Option<PhoneNumber>,
}

pub(super) fn field_of(field: &'static str, e: &Error) -> FieldError {
    match e {
        Error::Invalid {
            problem, reason, ..
        } => FieldError::new(field, *problem, reason.clone()),
        other => FieldError::new(field, Problem::Other, other.to_string()),
    }
}

/// `text` checked by the rules of `field`, or `None` with the refusal in `errors`.
pub(super) fn text(field: TextField, value: &str, errors: &mut Vec<FieldError>) -> String {
    clean_text(field, value, false).unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    })
}

pub(super) fn email(value: &str, errors: &mut Vec<FieldError>) -> Option<Email> {
    let v = check_text("email", value, MAX_EMAIL_LEN, false)
        .map_err(|e| errors.push(e))
        .ok()?;
    if v.is_empty() {
        return None;
    }
    Email::try_new(&v)
        .map_err(|e| errors.push(field_of("email", &e)))
        .ok()
}

pub(super) fn mobile(
    value: &str,
    cc: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<PhoneNumber> {
    let v = check_text("mobile", value, MAX_MOBILE_INPUT_LEN, false)
        .map_err(|e| errors.push(e))
        .ok()?;
    if v.is_empty() {
        return None;
    }
    PhoneNumber::parse_with_country(&v, cc)
        .map_err(|e| errors.push(field_of("mobile", &e)))
        .ok()
}

pub(super) fn username(value: &str, errors: &mut Vec<FieldError>) -> Option<Username> {
    Username::try_new(value)
        .map_err(|e| errors.push(field_of("username", &e)))
        .ok()
}

pub(super) fn notes(value: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let v = value.trim();
    if let Err(e) = check_raw("notes", v, MAX_NOTES_LEN, true) {
        errors.push(e);
        return None;
    }
    (!v.is_empty()).then(|| v.to_owned())
}

pub(super) fn locale(value: &str, errors: &mut Vec<FieldError>) -> String {
    match value.trim() {
        "" => "en".to_owned(),
        l @ ("en" | "it" | "es") => l.to_owned(),
        _ => {
            errors.push(FieldError::new(
                "locale",
                Problem::Unknown,
                "must be one of en, it, es",
            ));
            String::new()
        }
    }
}

pub(super) fn done(errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Fields(errors))
    }
}

/// Groups without repeats, in the order given.
pub(super) fn unique(groups: &[GroupName]) -> Vec<GroupName> {
    let mut out: Vec<GroupName> = Vec::with_capacity(groups.len());
    for g in groups {
        if !out.contains(g) {
            out.push(g.clone());
        }
    }
    out
}

pub(super) fn groups_text(groups: &[(GroupName, i32)]) -> String {
    groups
        .iter()
        .map(|(g, _)| g.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The changes between two records of the same subscriber, field by field.
pub(super) fn compare(before: &UserRecord, after: &UserRecord) -> Changes {
    let mut c = Changes::default();
    c.compare(
        "username",
        Some(before.username.as_str()),
        Some(after.username.as_str()),
    );
    c.compare(
        "email",
        before.email.as_ref().map(Email::as_str),
        after.email.as_ref().map(Email::as_str),
    );
    c.compare(
        "mobile",
        before.mobile.as_ref().map(PhoneNumber::as_str),
        after.mobile.as_ref().map(PhoneNumber::as_str),
    );
    for (field, b, a) in [
        ("given_name", &before.given_name, &after.given_name),
        ("surname", &before.surname, &after.surname),
        ("address", &before.address, &after.address),
        ("city", &before.city, &after.city),
        ("zip", &before.zip, &after.zip),
        ("country", &before.country, &after.country),
        ("locale", &before.locale, &after.locale),
    ] {
        c.compare(field, Some(b.as_str()), Some(a.as_str()));
    }
    c.compare(
        "birth_date",
        before.birth_date.as_ref(),
        after.birth_date.as_ref(),
    );
    c.compare("notes", before.notes.as_deref(), after.notes.as_deref());
    c.compare("verified", Some(&before.verified), Some(&after.verified));
    c.compare("active", Some(&before.active), Some(&after.active));
    c
}

/// The fields of a new subscriber, as created values (empty ones left out).
pub(super) fn created_changes(u: &UserRecord) -> Changes {
    let mut c = Changes::default();
    c.created("username", u.username.as_str());
    let birth = u.birth_date.map(|d| d.to_string()).unwrap_or_default();
    for (field, value) in [
        ("email", u.email.as_ref().map_or("", Email::as_str)),
        ("mobile", u.mobile.as_ref().map_or("", PhoneNumber::as_str)),
        ("given_name", u.given_name.as_str()),
        ("surname", u.surname.as_str()),
        ("birth_date", birth.as_str()),
        ("address", u.address.as_str()),
        ("city", u.city.as_str()),
        ("zip", u.zip.as_str()),
        ("country", u.country.as_str()),
        ("locale", u.locale.as_str()),
        ("notes", u.notes.as_deref().unwrap_or("")),
    ] {
        if !value.is_empty() {
            c.created(field, value);
        }
    }
    c.created("verified", &u.verified);
    c.created("active", &u.active);
    c
}
