//! RADIUS groups, check and reply items managed through `RadiusAdmin` (issue 15, item 5):
//! every edit on every backend with the audit log's changes, refusals that change nothing,
//! and edits seen on the next Access-Request by a real FreeRADIUS in SQL and REST mode.

use owums_core::radius::RadiusAdmin;
use owums_core::storage::AttributeOwner;
use owums_core::{AttributeKind, GroupName, RadiusAttribute};

mod crud;
mod freeradius;
mod refusals;

pub(crate) fn group(name: &str) -> GroupName {
    GroupName::try_new(name).unwrap()
}

pub(crate) fn owner(name: &str) -> AttributeOwner {
    AttributeOwner::Group(group(name))
}

pub(crate) fn check(text: &str) -> RadiusAttribute {
    RadiusAttribute::parse(AttributeKind::Check, text).unwrap()
}

pub(crate) fn reply(text: &str) -> RadiusAttribute {
    RadiusAttribute::parse(AttributeKind::Reply, text).unwrap()
}

/// Each change as `field: before -> after` (`-` for none), to compare in one assertion.
pub(crate) fn lines(changes: &owums_core::operator::Changes) -> Vec<String> {
    changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} -> {}",
                c.field,
                c.before.as_deref().unwrap_or("-"),
                c.after.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

/// The reply items of group `name` as text, in order.
pub(crate) async fn replies(admin: &RadiusAdmin, name: &str) -> Vec<String> {
    admin
        .items(&owner(name), AttributeKind::Reply)
        .await
        .unwrap()
        .iter()
        .map(|i| i.attribute.to_string())
        .collect()
}
