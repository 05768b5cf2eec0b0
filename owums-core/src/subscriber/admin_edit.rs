//! The operator console's changes to subscribers: create (with a method the operator's
//! `registrant_by_*` permissions allow), edit every field, switch off and on, delete.
//! Each is one transaction and returns the [`Changes`] for the audit log.
//!
//! Every change is written where FreeRADIUS reads it (the views of the SQL mode, the
//! authorize of the REST mode), so it takes effect on the subscriber's next
//! Access-Request: this process's authorize cache forgets everything at each write, and
//! another `owums` process's cache keeps an answer at most `[freeradius]
//! authorize_cache_ms` (1 s by default). A new password or a switched-off account also
//! ends the subscriber's web sessions.

use chrono::NaiveDate;

use crate::error::{Error, Problem, Result};
use crate::ids::{GroupName, UserId};
use crate::operator::{Changes, Permission, Permissions};
use crate::plugin::{Attachment, OperatorEvidence};
use crate::storage::subscriber::admin::{PasswordRows, UserEditRow};
use crate::storage::subscriber::operator::{OperatorRecord, OperatorVerificationRow};
use crate::subscriber::admin::UserAdmin;
use crate::subscriber::admin_form::{
    Checked, compare, created_changes, done, email, groups_text, locale, mobile, notes, text,
    unique, username,
};
use crate::subscriber::input::TextField;
use crate::subscriber::operator::MAX_EVIDENCE_BYTES;
use crate::subscriber::password::{self, PersonalData};
use crate::subscriber::user::{NewUser, UserRecord};

/// Characters of generated passwords: lowercase letters and digits that cannot be
/// mistaken for one another on a printed ticket (no `i l o 0 1`).
pub const GENERATED_ALPHABET: &str = "abcdefghjkmnpqrstuvwxyz23456789";
/// Length of generated passwords (about 50 bits).
pub const GENERATED_LEN: usize = 10;

/// The method of subscribers created with no identity check (`registrant_by_nothing`).
pub const METHOD_NONE: &str = "none";
/// The method of subscribers created by checking an identity document
/// (`registrant_by_id_card`).
pub const METHOD_ID_CARD: &str = "id_card";

/// A password an operator can hand out: [`GENERATED_LEN`] characters of
/// [`GENERATED_ALPHABET`], uniformly random.
pub fn generate_password() -> String {
    let alphabet: Vec<char> = GENERATED_ALPHABET.chars().collect();
    let n = alphabet.len();
    // Rejection sampling keeps every character equally likely.
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(GENERATED_LEN);
    while out.len() < GENERATED_LEN {
        for b in rand::random::<[u8; 16]>() {
            let b = usize::from(b);
            if b < limit && out.len() < GENERATED_LEN {
                out.push(alphabet[b % n]);
            }
        }
    }
    out
}

/// The password of a new subscriber.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum NewPassword {
    /// Typed by the operator.
    Typed(String),
    /// Made up by owums ([`generate_password`]), the default.
    #[default]
    Generated,
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NewPassword::Typed(_) => "Typed(..)",
            NewPassword::Generated => "Generated",
        })
    }
}

/// A subscriber as an operator's form gives it: text as typed, checked by the service.
/// Empty e-mail and mobile mean none.
#[derive(Debug, Clone, Default)]
pub struct NewSubscriber {
    /// Username (4–64 characters of `a-z 0-9 _ . -`).
    pub username: String,
    /// E-mail address, or empty.
    pub email: String,
    /// Mobile number in any written form, or empty.
    pub mobile: String,
    /// Given name.
    pub given_name: String,
    /// Surname.
    pub surname: String,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip: String,
    /// Country.
    pub country: String,
    /// Language of the subscriber's mail (`en`, `it`, `es`); empty means `en`.
    pub locale: String,
    /// Operators' notes (up to [`MAX_NOTES_LEN`](crate::subscriber::MAX_NOTES_LEN) characters, line breaks allowed).
    pub notes: String,
    /// Verification method: [`METHOD_NONE`] or [`METHOD_ID_CARD`], as the operator's
    /// permissions allow.
    pub method: String,
    /// What the operator checked for a method that needs a check (a JSON object, e.g. the
    /// document type and number); required for [`METHOD_ID_CARD`].
    pub evidence: Option<serde_json::Value>,
    /// Files the method keeps with the record of the operator's check (a document's photo
    /// and its thumbnail), as [`OperatorVerifications::prepare`](crate::subscriber::OperatorVerifications::prepare)
    /// made them; stored in the transaction that creates the subscriber. Only with
    /// `evidence`.
    pub attachments: Vec<Attachment>,
    /// The password.
    pub password: NewPassword,
    /// Accept a typed password the strength estimate refuses (the length and characters
    /// are still checked), as `owums user create --weak-password-ok`.
    pub weak_password_ok: bool,
    /// Groups; empty (or an operator without `users_manager`) means the default group.
    pub groups: Vec<GroupName>,
}

/// What [`UserAdmin::create`] made.
#[derive(Debug, Clone)]
pub struct Created {
    /// The subscriber, verified and active.
    pub user: UserRecord,
    /// The password in clear, for the ticket: shown once, never stored as such.
    pub password: String,
    /// The fields set, for the audit log (the password as a secret).
    pub changes: Changes,
}

/// An operator's edit of a subscriber: `None` leaves a field as it is. For e-mail, mobile
/// and notes an empty text removes the value.
#[derive(Debug, Clone, Default)]
pub struct UserEdit {
    /// New username.
    pub username: Option<String>,
    /// New e-mail, or empty for none.
    pub email: Option<String>,
    /// New mobile (any written form), or empty for none.
    pub mobile: Option<String>,
    /// New given name.
    pub given_name: Option<String>,
    /// New surname.
    pub surname: Option<String>,
    /// New birth date (`Some(None)` removes it).
    pub birth_date: Option<Option<NaiveDate>>,
    /// New address.
    pub address: Option<String>,
    /// New city.
    pub city: Option<String>,
    /// New postal code.
    pub zip: Option<String>,
    /// New country.
    pub country: Option<String>,
    /// New language.
    pub locale: Option<String>,
    /// New notes, or empty for none.
    pub notes: Option<String>,
    /// New password (checked like the subscriber's own, unless `weak_password_ok`).
    pub password: Option<String>,
    /// Accept a password the strength estimate refuses.
    pub weak_password_ok: bool,
    /// New groups (the memberships are replaced; empty means the default group).
    pub groups: Option<Vec<GroupName>>,
    /// Verified or not (verifying for the first time sets the verification date; an
    /// unverified user keeps theirs).
    pub verified: Option<bool>,
    /// Active or not.
    pub active: Option<bool>,
}

impl UserAdmin {
    /// Creates a subscriber on behalf of an operator holding `permissions`: verified and
    /// active at once, with the method the operator may use, in one transaction (with the
    /// record of the operator's check, for [`METHOD_ID_CARD`], naming `operator`, and the
    /// files in [`NewSubscriber::attachments`]).
    ///
    /// An operator without `users_manager` cannot choose groups: the subscriber goes to
    /// the default group (the `default_radius_group` setting), as OWUMS does.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a method the permissions do not allow (or missing evidence
    /// for one that needs it); [`Error::Fields`] listing every refused field (too long,
    /// control characters, a bad e-mail or phone number, a bad username);
    /// [`Error::Invalid`] for a password the rules refuse; [`Error::Conflict`] for a
    /// username, e-mail or mobile taken; [`Error::NotFound`](crate::ErrorKind::NotFound)
    /// for an unknown group. Nothing is stored then.
    pub async fn create(
        &self,
        operator: &str,
        permissions: &Permissions,
        new: NewSubscriber,
    ) -> Result<Created> {
        let method = new.method.trim();
        let allowed = match method {
            METHOD_NONE => permissions.allows(Permission::RegistrantByNothing),
            METHOD_ID_CARD => permissions.allows(Permission::RegistrantByIdCard),
            _ => false,
        };
        if !allowed {
            return Err(Error::refused(
                "verification_method",
                Problem::Other,
                format!("`{method}` is not a method this operator may create subscribers with"),
            ));
        }
        let evidence = match (method, &new.evidence) {
            (METHOD_ID_CARD, Some(e)) if e.is_object() => {
                let text = e.to_string();
                if text.len() > MAX_EVIDENCE_BYTES {
                    return Err(Error::invalid("evidence", "is too large"));
                }
                Some(text)
            }
            (METHOD_ID_CARD, _) => {
                return Err(Error::refused(
                    "evidence",
                    Problem::Required,
                    "must say which document was checked (a JSON object)",
                ));
            }
            _ => None,
        };
        if !new.attachments.is_empty() {
            if evidence.is_none() {
                return Err(Error::invalid("attachments", "come only with evidence"));
            }
            let mut check = OperatorEvidence::new(serde_json::json!({}));
            check.attachments.clone_from(&new.attachments);
            check.check()?;
        }
        let operator = operator.trim();
        if operator.is_empty() || operator.chars().count() > 64 {
            return Err(Error::invalid(
                "operator",
                "must be 1 to 64 characters long",
            ));
        }
        let mut errors = Vec::new();
        let cc = self.country_code.as_deref();
        let checked = Checked {
            email: email(&new.email, &mut errors),
            mobile: mobile(&new.mobile, cc, &mut errors),
        };
        let name = username(&new.username, &mut errors);
        let user = NewUser {
            username: name,
            password: String::new(),
            email: checked.email,
            mobile: checked.mobile,
            given_name: text(TextField::GivenName, &new.given_name, &mut errors),
            surname: text(TextField::Surname, &new.surname, &mut errors),
            birth_date: new.birth_date,
            address: text(TextField::Address, &new.address, &mut errors),
            city: text(TextField::City, &new.city, &mut errors),
            zip: text(TextField::Zip, &new.zip, &mut errors),
            country: text(TextField::Country, &new.country, &mut errors),
            verification_method: method.to_owned(),
            eula_accepted: true,
            privacy_accepted: true,
            locale: locale(&new.locale, &mut errors),
            notes: notes(&new.notes, &mut errors),
        };
        done(errors)?;
        let mut user = user;
        let cleartext = match &new.password {
            NewPassword::Typed(p) => {
                if new.weak_password_ok {
                    password::validate_password_shape(p)?;
                } else {
                    password::validate_password(p, &PersonalData::of_new_user(&user))?;
                }
                p.clone()
            }
            NewPassword::Generated => generate_password(),
        };
        user.password.clone_from(&cleartext);
        let groups = if permissions.allows(Permission::UsersManager) {
            unique(&new.groups)
        } else {
            Vec::new()
        };
        let subscribers = &self.subscribers;
        let (row, radius, memberships) = subscribers.prepare_new(user, true, &groups).await?;
        let record = evidence.map(|evidence| {
            let verification = OperatorVerificationRow {
                id: uuid::Uuid::now_v7().to_string(),
                user_id: row.id.clone(),
                username: row.username.clone(),
                operator: operator.to_owned(),
                method: method.to_owned(),
                evidence,
                verified_at: row.created_at,
            };
            OperatorRecord::new(verification, new.attachments)
        });
        let attribute = subscribers.password_format().attribute();
        let created = subscribers
            .store()
            .insert_user_recording(row, (attribute, &radius), &memberships, record)
            .await?;
        let mut changes = created_changes(&created);
        changes.created("verification_method", method);
        changes.created("groups", &groups_text(&memberships));
        changes.secret("password");
        tracing::info!(user = %created.username, operator, method, "subscriber created by an operator");
        Ok(Created {
            user: created,
            password: cleartext,
            changes,
        })
    }

    /// Applies `edit` to subscriber `id` in one transaction and returns the subscriber
    /// afterwards with what changed (the password as a secret, groups as a list).
    ///
    /// # Errors
    ///
    /// [`Error::Fields`] listing every refused field; [`Error::Invalid`] for a password
    /// the rules refuse; [`Error::Conflict`] for a username, e-mail or mobile another
    /// subscriber has; [`Error::NotFound`](crate::ErrorKind::NotFound) for an unknown user
    /// or group. Nothing is written then.
    pub async fn update(&self, id: UserId, edit: UserEdit) -> Result<(UserRecord, Changes)> {
        let store = self.subscribers.store();
        let current = store
            .find_user(id)
            .await?
            .ok_or_else(|| Error::not_found("user", id.to_string()))?;
        let mut errors = Vec::new();
        let cc = self.country_code.as_deref();
        let new_name = edit.username.as_deref().map(|v| username(v, &mut errors));
        let new_email = edit.email.as_deref().map(|v| email(v, &mut errors));
        let new_mobile = edit.mobile.as_deref().map(|v| mobile(v, cc, &mut errors));
        let mut t =
            |f: TextField, v: &Option<String>| v.as_deref().map(|v| text(f, v, &mut errors));
        let given_name = t(TextField::GivenName, &edit.given_name);
        let surname = t(TextField::Surname, &edit.surname);
        let address = t(TextField::Address, &edit.address);
        let city = t(TextField::City, &edit.city);
        let zip = t(TextField::Zip, &edit.zip);
        let country = t(TextField::Country, &edit.country);
        let new_locale = edit.locale.as_deref().map(|v| locale(v, &mut errors));
        let new_notes = edit.notes.as_deref().map(|v| notes(v, &mut errors));
        done(errors)?;
        let username_after = match new_name {
            Some(Some(n)) => n,
            _ => current.username.clone(),
        };
        let password = match &edit.password {
            None => None,
            Some(p) => {
                if edit.weak_password_ok {
                    password::validate_password_shape(p)?;
                } else {
                    let mut after = current.clone();
                    after.username = username_after.clone();
                    if let Some(e) = &new_email {
                        after.email.clone_from(e);
                    }
                    if let Some(m) = &new_mobile {
                        after.mobile.clone_from(m);
                    }
                    let personal =
                        PersonalData::of_user(&current).and(PersonalData::of_user(&after));
                    password::validate_password(p, &personal)?;
                }
                let format = self.subscribers.password_format();
                Some(PasswordRows {
                    hash: password::hash_password_async(p).await?,
                    attribute: format.attribute(),
                    radius: format.encode(p)?,
                })
            }
        };
        let groups_before = store.user_groups(id).await?;
        let groups = match &edit.groups {
            None => None,
            Some(names) => {
                let names = if names.is_empty() {
                    let default = crate::Settings::new(store.clone())
                        .get(crate::subscriber::settings::DEFAULT_RADIUS_GROUP)
                        .await?;
                    vec![GroupName::try_new(&default)?]
                } else {
                    unique(names)
                };
                let mut with_priority = Vec::with_capacity(names.len());
                for name in names {
                    let p = store
                        .group_priority(&name)
                        .await?
                        .ok_or_else(|| Error::not_found("RADIUS group", name.as_str()))?;
                    with_priority.push((name, p));
                }
                Some(with_priority)
            }
        };
        let now = crate::storage::now_utc();
        let change = |u: &UserRecord| -> Result<UserEditRow> {
            let keep =
                |new: &Option<String>, old: &String| new.clone().unwrap_or_else(|| old.clone());
            let verified = edit.verified.unwrap_or(u.verified);
            let verified_at = u.verified_at.map(|t| t.naive_utc());
            Ok(UserEditRow {
                username: username_after.as_str().to_owned(),
                email: match &new_email {
                    Some(e) => e.as_ref().map(|e| e.as_str().to_owned()),
                    None => u.email.as_ref().map(|e| e.as_str().to_owned()),
                },
                mobile: match &new_mobile {
                    Some(m) => m.as_ref().map(|m| m.as_str().to_owned()),
                    None => u.mobile.as_ref().map(|m| m.as_str().to_owned()),
                },
                given_name: keep(&given_name, &u.given_name),
                surname: keep(&surname, &u.surname),
                birth_date: edit.birth_date.unwrap_or(u.birth_date),
                address: keep(&address, &u.address),
                city: keep(&city, &u.city),
                zip: keep(&zip, &u.zip),
                country: keep(&country, &u.country),
                verified,
                verified_at: if verified {
                    verified_at.or(Some(now))
                } else {
                    verified_at
                },
                active: edit.active.unwrap_or(u.active),
                locale: keep(&new_locale, &u.locale),
                notes: match &new_notes {
                    Some(n) => n.clone(),
                    None => u.notes.clone(),
                },
                updated_at: now,
            })
        };
        let (before, after) = store
            .edit_user(id, change, groups.as_deref(), password.as_ref())
            .await?
            .ok_or_else(|| Error::not_found("user", id.to_string()))?;
        let mut changes = compare(&before, &after);
        if let Some(g) = &groups {
            changes.compare(
                "groups",
                Some(groups_text(&groups_before).as_str()),
                Some(groups_text(g).as_str()),
            );
        }
        if password.is_some() {
            changes.secret("password");
        }
        if password.is_some() || (before.active && !after.active) {
            store.delete_user_sessions(&id.to_string(), None).await?;
        }
        tracing::info!(user = %after.username, fields = changes.len(), "subscriber edited by an operator");
        Ok((after, changes))
    }

    /// Switches subscriber `id` off (no RADIUS, no web login; their web sessions end) and
    /// answers what changed (nothing if they were off already).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::ErrorKind::NotFound) for an unknown user.
    pub async fn disable(&self, id: UserId) -> Result<(UserRecord, Changes)> {
        self.update(
            id,
            UserEdit {
                active: Some(false),
                ..UserEdit::default()
            },
        )
        .await
    }

    /// Switches subscriber `id` back on.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::ErrorKind::NotFound) for an unknown user.
    pub async fn enable(&self, id: UserId) -> Result<(UserRecord, Changes)> {
        self.update(
            id,
            UserEdit {
                active: Some(true),
                ..UserEdit::default()
            },
        )
        .await
    }

    /// Deletes subscriber `id` with their groups, attributes and sessions (accounting
    /// stays), answering the deleted username as the change.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::ErrorKind::NotFound) for an unknown user.
    pub async fn delete(&self, id: UserId) -> Result<Changes> {
        let user = self
            .subscribers
            .store()
            .find_user(id)
            .await?
            .ok_or_else(|| Error::not_found("user", id.to_string()))?;
        self.subscribers.delete(id).await?;
        let mut changes = Changes::default();
        changes.removed("username", user.username.as_str());
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_use_the_alphabet_and_differ() {
        let a = generate_password();
        assert_eq!(a.chars().count(), GENERATED_LEN);
        assert!(a.chars().all(|c| GENERATED_ALPHABET.contains(c)));
        assert_ne!(a, generate_password());
        assert!(password::validate_password_shape(&a).is_ok());
    }
}
