//! Request and response bodies of the operator API.

use chrono::{DateTime, NaiveDate, Utc};
use owums_core::UserRecord;
use owums_core::operator::{OperatorRecord, Permission, Permissions};
use owums_core::radius::GroupDetails;
use owums_core::storage::{AttributeItem, GroupRecord};
use owums_core::subscriber::{MAX_EMAIL_LEN, MAX_MOBILE_INPUT_LEN, MAX_NOTES_LEN, UserPage};
use poem_openapi::{Enum, Object};

use crate::api::input::{DateText, Flag, Text};
use crate::api::types::{
    AddressText, CityText, CountryText, NameText, NewPassword, UsernameText, ZipText,
};

/// A group's name: 1–64 characters.
pub(crate) type GroupText = Text<64, 1>;
/// Notes of a subscriber.
pub(crate) type NotesText = Text<MAX_NOTES_LEN>;
/// Notes of a group or an operator.
pub(crate) type ShortNotesText = Text<2000>;
/// A language code.
pub(crate) type LocaleText = Text<8>;

/// A subscriber as operators see them. A field without a value is absent, never `null`.
#[derive(Debug, Clone, Object)]
pub(crate) struct OperatorUser {
    /// Id.
    pub(crate) id: String,
    /// Username (lowercase).
    pub(crate) username: String,
    /// E-mail.
    #[oai(skip_serializing_if_is_none)]
    pub(crate) email: Option<String>,
    /// Mobile number (E.164).
    #[oai(skip_serializing_if_is_none)]
    pub(crate) mobile: Option<String>,
    /// Given name.
    pub(crate) given_name: String,
    /// Surname.
    pub(crate) surname: String,
    /// Birth date.
    #[oai(skip_serializing_if_is_none)]
    pub(crate) birth_date: Option<NaiveDate>,
    /// Street address.
    pub(crate) address: String,
    /// City.
    pub(crate) city: String,
    /// Postal code.
    pub(crate) zip: String,
    /// Country.
    pub(crate) country: String,
    /// Verification method (`none`, `sip`, `id_card`, `voucher`, …).
    pub(crate) verification_method: String,
    /// `unverified`, `verified`, `disabled` or `inactive`.
    pub(crate) status: String,
    /// Verified now.
    pub(crate) verified: bool,
    /// Switched on.
    pub(crate) active: bool,
    /// When first verified.
    #[oai(skip_serializing_if_is_none)]
    pub(crate) verified_at: Option<DateTime<Utc>>,
    /// Language of the subscriber's mail.
    pub(crate) locale: String,
    /// Operators' notes.
    #[oai(skip_serializing_if_is_none)]
    pub(crate) notes: Option<String>,
    /// Registered.
    pub(crate) created_at: DateTime<Utc>,
    /// Last changed.
    pub(crate) updated_at: DateTime<Utc>,
}

impl From<&UserRecord> for OperatorUser {
    fn from(u: &UserRecord) -> Self {
        OperatorUser {
            id: u.id.to_string(),
            username: u.username.to_string(),
            email: u.email.as_ref().map(ToString::to_string),
            mobile: u.mobile.as_ref().map(ToString::to_string),
            given_name: u.given_name.clone(),
            surname: u.surname.clone(),
            birth_date: u.birth_date,
            address: u.address.clone(),
            city: u.city.clone(),
            zip: u.zip.clone(),
            country: u.country.clone(),
            verification_method: u.verification_method.clone(),
            status: u.status().as_str().to_owned(),
            verified: u.verified,
            active: u.active,
            verified_at: u.verified_at,
            locale: u.locale.clone(),
            notes: u.notes.clone(),
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// One page of subscribers.
#[derive(Debug, Clone, Object)]
pub(crate) struct UserList {
    /// The subscribers on this page.
    pub(crate) users: Vec<OperatorUser>,
    /// This page's number, from 1.
    pub(crate) page: u32,
    /// Page size used.
    pub(crate) per_page: u32,
    /// Subscribers matching, counted up to 1 000.
    pub(crate) total: u64,
    /// More than 1 000 match (`total` is then 1 000).
    pub(crate) more: bool,
}

impl From<UserPage> for UserList {
    fn from(p: UserPage) -> Self {
        UserList {
            users: p.users.iter().map(OperatorUser::from).collect(),
            page: p.page,
            per_page: p.per_page,
            total: p.total,
            more: p.more,
        }
    }
}

/// A group membership.
#[derive(Debug, Clone, Object)]
pub(crate) struct Membership {
    /// The group.
    pub(crate) group: String,
    /// Its priority for this subscriber (lower is read first).
    pub(crate) priority: i32,
}

/// A subscriber with their groups and login counts.
#[derive(Debug, Clone, Object)]
pub(crate) struct UserDetailsBody {
    /// The subscriber.
    pub(crate) user: OperatorUser,
    /// Groups, in priority order.
    pub(crate) groups: Vec<Membership>,
    /// Successful logins on the web pages.
    pub(crate) web_logins: u64,
    /// RADIUS sessions recorded in accounting.
    pub(crate) radius_logins: u64,
    /// A RADIUS session is open now.
    pub(crate) online: bool,
}

/// `POST /operator/users`: a subscriber made by an operator, verified and active at once,
/// with no identity check (`registrant_by_nothing`). Absent texts are empty.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct NewUserRequest {
    /// 4–64 of `a-z 0-9 _ . -` (case-insensitive).
    pub(crate) username: UsernameText,
    /// The password; absent: owums makes one up and answers it once.
    pub(crate) password: Option<NewPassword>,
    /// Accept a typed password the strength estimate refuses (length and characters are
    /// still checked).
    pub(crate) weak_password_ok: Option<Flag>,
    /// E-mail address.
    pub(crate) email: Option<Text<MAX_EMAIL_LEN>>,
    /// Mobile number, international or national (read with the phone verifier's country).
    pub(crate) mobile: Option<Text<MAX_MOBILE_INPUT_LEN>>,
    /// Given name.
    pub(crate) given_name: Option<NameText>,
    /// Surname.
    pub(crate) surname: Option<NameText>,
    /// Birth date `YYYY-MM-DD`.
    pub(crate) birth_date: Option<DateText>,
    /// Street address.
    pub(crate) address: Option<AddressText>,
    /// City.
    pub(crate) city: Option<CityText>,
    /// Postal code.
    pub(crate) zip: Option<ZipText>,
    /// Country.
    pub(crate) country: Option<CountryText>,
    /// Language of the subscriber's mail (`en`, `it`, `es`; default `en`).
    pub(crate) locale: Option<LocaleText>,
    /// Operators' notes.
    pub(crate) notes: Option<NotesText>,
    /// Groups (needs `users_manager`; absent: the default group).
    pub(crate) groups: Option<Vec<GroupText>>,
}

/// A subscriber just made, with the password to hand over (shown only here).
#[derive(Debug, Clone, Object)]
pub(crate) struct CreatedUser {
    /// The subscriber.
    pub(crate) user: OperatorUser,
    /// The password in clear: typed or generated. Not stored as such; never shown again.
    pub(crate) password: String,
}

/// `PATCH /operator/users/{id}`: fields to change; absent fields stay as they are. An
/// empty e-mail, mobile or notes removes it.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct UserChangeRequest {
    /// New username.
    pub(crate) username: Option<UsernameText>,
    /// New e-mail, or empty for none.
    pub(crate) email: Option<Text<MAX_EMAIL_LEN>>,
    /// New mobile, or empty for none.
    pub(crate) mobile: Option<Text<MAX_MOBILE_INPUT_LEN>>,
    /// New given name.
    pub(crate) given_name: Option<NameText>,
    /// New surname.
    pub(crate) surname: Option<NameText>,
    /// New birth date `YYYY-MM-DD`, or empty to remove it.
    pub(crate) birth_date: Option<Text<10>>,
    /// New street address.
    pub(crate) address: Option<AddressText>,
    /// New city.
    pub(crate) city: Option<CityText>,
    /// New postal code.
    pub(crate) zip: Option<ZipText>,
    /// New country.
    pub(crate) country: Option<CountryText>,
    /// New language.
    pub(crate) locale: Option<LocaleText>,
    /// New notes, or empty for none.
    pub(crate) notes: Option<NotesText>,
    /// New password.
    pub(crate) password: Option<NewPassword>,
    /// Accept a password the strength estimate refuses.
    pub(crate) weak_password_ok: Option<Flag>,
    /// The groups (replace the memberships; empty: the default group).
    pub(crate) groups: Option<Vec<GroupText>>,
    /// Verified or not.
    pub(crate) verified: Option<Flag>,
    /// Active or not.
    pub(crate) active: Option<Flag>,
}

/// A RADIUS group.
#[derive(Debug, Clone, Object)]
pub(crate) struct Group {
    /// Name.
    pub(crate) name: String,
    /// Default priority of its memberships (lower is read first).
    pub(crate) priority: i32,
    /// Notes.
    #[oai(skip_serializing_if_is_none)]
    pub(crate) notes: Option<String>,
}

impl From<&GroupRecord> for Group {
    fn from(g: &GroupRecord) -> Self {
        Group {
            name: g.name.to_string(),
            priority: g.priority,
            notes: g.notes.clone(),
        }
    }
}

/// A RADIUS group with its members count and items.
#[derive(Debug, Clone, Object)]
pub(crate) struct GroupDetailsBody {
    /// The group.
    pub(crate) group: Group,
    /// How many subscribers are in it.
    pub(crate) members: i64,
    /// Check items (only with `radius_checks_viewer`).
    #[oai(skip_serializing_if_is_none)]
    pub(crate) checks: Option<Vec<Item>>,
    /// Reply items (only with `radius_replies_viewer`).
    #[oai(skip_serializing_if_is_none)]
    pub(crate) replies: Option<Vec<Item>>,
}

impl GroupDetailsBody {
    pub(crate) fn new(d: &GroupDetails, held: &Permissions) -> Self {
        let items = |p: Permission, list: &[AttributeItem]| {
            held.allows(p)
                .then(|| list.iter().map(Item::from).collect())
        };
        GroupDetailsBody {
            group: Group::from(&d.group),
            members: d.members,
            checks: items(Permission::RadiusChecksViewer, &d.checks),
            replies: items(Permission::RadiusRepliesViewer, &d.replies),
        }
    }
}

/// `POST /operator/groups`.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct NewGroupRequest {
    /// Name (letters, digits, `_ . -`, 1–64 characters).
    pub(crate) name: GroupText,
    /// Default priority of its memberships, 0–9999 (default 1).
    pub(crate) priority: Option<i32>,
    /// Notes.
    pub(crate) notes: Option<ShortNotesText>,
}

/// `PATCH /operator/groups/{name}`: what to change.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct GroupChangeRequest {
    /// A new name (memberships and items follow; not the default group).
    pub(crate) name: Option<GroupText>,
    /// A new default priority, 0–9999.
    pub(crate) priority: Option<i32>,
    /// New notes, or empty to remove them.
    pub(crate) notes: Option<ShortNotesText>,
}

/// A check or reply item.
#[derive(Debug, Clone, Object)]
pub(crate) struct Item {
    /// Row id (for changing or removing it).
    pub(crate) id: i32,
    /// Attribute name (`Session-Timeout`).
    pub(crate) attribute: String,
    /// Operator (`:=`, `==`, `+=`, …).
    pub(crate) op: String,
    /// Value.
    pub(crate) value: String,
}

impl From<&AttributeItem> for Item {
    fn from(i: &AttributeItem) -> Self {
        Item {
            id: i.id,
            attribute: i.attribute.attribute.clone(),
            op: i.attribute.op.clone(),
            value: i.attribute.value.clone(),
        }
    }
}

/// An item to add, or what an item becomes.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct ItemRequest {
    /// Attribute name.
    pub(crate) attribute: Text<64, 1>,
    /// Operator: check items take `== := != > >= < <= =~ !~ =* !* +=`, replies `= := +=`.
    pub(crate) op: Text<2, 1>,
    /// Value (checked for the attributes owums knows: counters, Session-Timeout,
    /// Simultaneous-Use, bandwidth).
    pub(crate) value: Text<253>,
}

/// Whose items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub(crate) enum ItemKind {
    /// Check items.
    Checks,
    /// Reply items.
    Replies,
}

/// An operator.
#[derive(Debug, Clone, Object)]
pub(crate) struct OperatorBody {
    /// Id.
    pub(crate) id: String,
    /// Login name.
    pub(crate) username: String,
    /// Permissions, by OWUMS' names.
    pub(crate) permissions: Vec<String>,
    /// May log in.
    pub(crate) active: bool,
    /// A second factor is enrolled.
    pub(crate) totp_enabled: bool,
    /// Notes.
    #[oai(skip_serializing_if_is_none)]
    pub(crate) notes: Option<String>,
    /// Logins so far.
    pub(crate) login_count: i64,
    /// Created.
    pub(crate) created_at: DateTime<Utc>,
}

pub(crate) fn names(p: &Permissions) -> Vec<String> {
    p.iter().map(|p| p.as_str().to_owned()).collect()
}

impl From<&OperatorRecord> for OperatorBody {
    fn from(o: &OperatorRecord) -> Self {
        OperatorBody {
            id: o.id.to_string(),
            username: o.username.clone(),
            permissions: names(&o.permissions),
            active: o.active,
            totp_enabled: o.totp_enabled,
            notes: o.notes.clone(),
            login_count: o.login_count,
            created_at: o.created_at,
        }
    }
}

/// `POST /operator/operators`.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct NewOperatorRequest {
    /// Login name (the rules of subscribers' usernames).
    pub(crate) username: UsernameText,
    /// `operator`, `admin` or `superadmin`; or give `permissions`.
    pub(crate) preset: Option<Text<16, 1>>,
    /// Permissions by name (added to the preset's).
    pub(crate) permissions: Option<Vec<Text<32, 1>>>,
}

/// An operator just made, with the generated password (shown only here).
#[derive(Debug, Clone, Object)]
pub(crate) struct CreatedOperator {
    /// The operator.
    pub(crate) operator: OperatorBody,
    /// The password to hand over; the operator should change it.
    pub(crate) password: String,
}

/// `PATCH /operator/operators/{id}`.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct OperatorChangeRequest {
    /// The whole new set of permissions, by name.
    pub(crate) permissions: Option<Vec<Text<32, 1>>>,
    /// May log in (and use API tokens).
    pub(crate) active: Option<Flag>,
    /// Notes, or empty for none.
    pub(crate) notes: Option<ShortNotesText>,
}

/// Who the token speaks for.
#[derive(Debug, Clone, Object)]
pub(crate) struct Caller {
    /// The operator.
    pub(crate) operator: OperatorBody,
    /// The token's name.
    pub(crate) token: String,
    /// What requests with this token may do: the token's permissions the operator still
    /// holds.
    pub(crate) permissions: Vec<String>,
    /// When the token stops working, if ever.
    #[oai(skip_serializing_if_is_none)]
    pub(crate) expires_at: Option<DateTime<Utc>>,
}
