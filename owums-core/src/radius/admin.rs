//! RADIUS groups and check and reply items as operators manage them (the console, the
//! operator API and `owums group` / `owums user check|reply` all call [`RadiusAdmin`]).
//!
//! Every change is validated first ([`RadiusAttribute::check_value`] for items; priority,
//! notes and names for groups) and refused with a field error that changes nothing. Each
//! mutating call is one transaction and returns the [`Changes`] it made, for the audit log.
//!
//! A change takes effect on the next Access-Request: FreeRADIUS in SQL mode reads the
//! tables and views on every request, and in REST mode each change bumps the generation of
//! RADIUS profiles that every `owums serve` process's authorize cache checks (see
//! [`Store::radius_generation`]).

use crate::error::{Error, Problem, Result};
use crate::ids::{AttributeKind, GroupName, RadiusAttribute};
use crate::operator::Changes;
use crate::settings::Settings;
use crate::storage::radius::group_edit::GroupRowEdit;
use crate::storage::radius::items::ItemEdit;
use crate::storage::{AttributeItem, AttributeOwner, GroupRecord, NewGroup, Store};
use crate::subscriber::settings::DEFAULT_RADIUS_GROUP;

/// The highest group priority accepted (lower priorities are read first).
pub const MAX_GROUP_PRIORITY: i32 = 9999;
/// The longest group notes accepted, in characters.
pub const MAX_GROUP_NOTES: usize = 2000;

/// A group with what its page shows: its items with their row ids and how many
/// subscribers are in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDetails {
    /// The group's name, priority and notes (and its items without ids).
    pub group: GroupRecord,
    /// How many subscribers are members.
    pub members: i64,
    /// Check items with their row ids, in FreeRADIUS' order.
    pub checks: Vec<AttributeItem>,
    /// Reply items with their row ids, in FreeRADIUS' order.
    pub replies: Vec<AttributeItem>,
}

/// What to change in a group (`None`: leave as it is).
#[derive(Debug, Clone, Default)]
pub struct GroupUpdate {
    /// A new name. Memberships and items follow it; the group that
    /// `default_radius_group` names cannot be renamed.
    pub name: Option<GroupName>,
    /// A new default priority for memberships (0 – [`MAX_GROUP_PRIORITY`]).
    pub priority: Option<i32>,
    /// New notes (`Some(None)` clears them).
    pub notes: Option<Option<String>>,
}

/// Manages RADIUS groups and check and reply items. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RadiusAdmin {
    store: Store,
}

fn field_name(kind: AttributeKind) -> &'static str {
    match kind {
        AttributeKind::Check => "check",
        AttributeKind::Reply => "reply",
    }
}

fn check_priority(p: i32) -> Result<()> {
    if (0..=MAX_GROUP_PRIORITY).contains(&p) {
        Ok(())
    } else {
        Err(Error::refused(
            "priority",
            Problem::OutOfRange,
            format!("must be between 0 and {MAX_GROUP_PRIORITY}"),
        ))
    }
}

fn clean_notes(notes: Option<String>) -> Result<Option<String>> {
    let Some(n) = notes else { return Ok(None) };
    let n = n.trim().to_owned();
    if n.chars().count() > MAX_GROUP_NOTES {
        return Err(Error::refused(
            "notes",
            Problem::TooLong {
                max: MAX_GROUP_NOTES,
            },
            format!("must be at most {MAX_GROUP_NOTES} characters long"),
        ));
    }
    if n.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Error::refused(
            "notes",
            Problem::ControlCharacters,
            "must not contain control characters",
        ));
    }
    Ok((!n.is_empty()).then_some(n))
}

/// What changed between two lists of items, row by row.
fn item_changes(kind: AttributeKind, before: &[AttributeItem], after: &[AttributeItem]) -> Changes {
    let field = field_name(kind);
    let mut changes = Changes::default();
    for b in before {
        let a = after.iter().find(|a| a.id == b.id);
        changes.compare(
            field,
            Some(&b.attribute.to_string()),
            a.map(|a| a.attribute.to_string()).as_ref(),
        );
    }
    for a in after
        .iter()
        .filter(|a| !before.iter().any(|b| b.id == a.id))
    {
        changes.created(field, &a.attribute);
    }
    changes
}

impl RadiusAdmin {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        RadiusAdmin { store }
    }

    async fn default_group(&self) -> Result<String> {
        Settings::new(self.store.clone())
            .get(DEFAULT_RADIUS_GROUP)
            .await
    }

    /// Every group with its items, by priority then name.
    pub async fn list_groups(&self) -> Result<Vec<GroupRecord>> {
        self.store.list_groups().await
    }

    /// The group named `name` with its items (with row ids) and its member count.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such group.
    pub async fn group(&self, name: &GroupName) -> Result<GroupDetails> {
        let group = self
            .store
            .find_group(name)
            .await?
            .ok_or_else(|| Error::not_found("RADIUS group", name.as_str()))?;
        let owner = AttributeOwner::Group(name.clone());
        Ok(GroupDetails {
            members: self.store.group_member_count(name).await?,
            checks: self
                .store
                .attribute_items(&owner, AttributeKind::Check)
                .await?,
            replies: self
                .store
                .attribute_items(&owner, AttributeKind::Reply)
                .await?,
            group,
        })
    }

    /// Creates a group with its items, each validated for its kind.
    ///
    /// # Errors
    ///
    /// A field error (`priority`, `notes`, `attribute`, `operator`, `value`) or
    /// [`Error::Conflict`] when the name is taken; nothing is written then.
    pub async fn create_group(&self, mut group: NewGroup) -> Result<(GroupRecord, Changes)> {
        check_priority(group.priority)?;
        group.notes = clean_notes(group.notes)?;
        for c in &group.checks {
            c.check_value(AttributeKind::Check)?;
        }
        for r in &group.replies {
            r.check_value(AttributeKind::Reply)?;
        }
        let created = self.store.create_group(group).await?;
        let mut changes = Changes::default();
        changes.created("name", &created.name);
        changes.created("priority", &created.priority);
        if let Some(n) = &created.notes {
            changes.created("notes", n);
        }
        for c in &created.checks {
            changes.created("check", c);
        }
        for r in &created.replies {
            changes.created("reply", r);
        }
        Ok((created, changes))
    }

    /// Changes a group's name, priority or notes.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`]; a field error (`priority`, `notes`, or `name` when renaming the
    /// group new subscribers join); [`Error::Conflict`] when the new name is taken.
    pub async fn update_group(&self, name: &GroupName, update: GroupUpdate) -> Result<Changes> {
        if let Some(p) = update.priority {
            check_priority(p)?;
        }
        let notes = match update.notes {
            Some(n) => Some(clean_notes(n)?),
            None => None,
        };
        if let Some(new) = &update.name
            && new != name
            && self.default_group().await? == name.as_str()
        {
            return Err(Error::refused(
                "name",
                Problem::Other,
                format!(
                    "`{name}` is the group new subscribers join (setting default_radius_group): \
                     change that setting before renaming it"
                ),
            ));
        }
        let edit = GroupRowEdit {
            name: update.name,
            priority: update.priority,
            notes,
        };
        let (before, after) = self.store.edit_group_row(name, &edit).await?;
        let mut changes = Changes::default();
        changes.compare("name", Some(&before.name), Some(&after.name));
        changes.compare("priority", Some(&before.priority), Some(&after.priority));
        changes.compare("notes", before.notes.as_ref(), after.notes.as_ref());
        Ok(changes)
    }

    /// Deletes a group with its items. A group with members is deleted only when `force`
    /// is true (the operator confirmed), and its memberships go in the same transaction;
    /// [`RadiusAdmin::group`] says how many there are, for the confirmation.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`]; a field error (`group`) when it has members and `force` is
    /// false, or when it is the group new subscribers join.
    pub async fn delete_group(&self, name: &GroupName, force: bool) -> Result<Changes> {
        if self.default_group().await? == name.as_str() {
            return Err(Error::refused(
                "group",
                Problem::Other,
                format!(
                    "`{name}` is the group new subscribers join (setting default_radius_group): \
                     change that setting before deleting it"
                ),
            ));
        }
        let before = self
            .store
            .find_group(name)
            .await?
            .ok_or_else(|| Error::not_found("RADIUS group", name.as_str()))?;
        let members = self.store.delete_group_row(name, force).await?;
        let mut changes = Changes::default();
        changes.removed("name", &before.name);
        changes.removed("priority", &before.priority);
        if let Some(n) = &before.notes {
            changes.removed("notes", n);
        }
        for c in &before.checks {
            changes.removed("check", c);
        }
        for r in &before.replies {
            changes.removed("reply", r);
        }
        if members > 0 {
            changes.removed("members", &members);
        }
        Ok(changes)
    }

    /// The check or reply items of a group or a subscriber, with their row ids.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the owner does not exist.
    pub async fn items(
        &self,
        owner: &AttributeOwner,
        kind: AttributeKind,
    ) -> Result<Vec<AttributeItem>> {
        self.store.attribute_items(owner, kind).await
    }

    async fn edit(
        &self,
        owner: &AttributeOwner,
        kind: AttributeKind,
        edit: ItemEdit,
    ) -> Result<Changes> {
        if let ItemEdit::Add(a) | ItemEdit::Update(_, a) | ItemEdit::Set(a) = &edit {
            a.check_value(kind)?;
        }
        let (before, after) = self.store.edit_items(owner, kind, &edit).await?;
        Ok(item_changes(kind, &before, &after))
    }

    /// Appends an item after the owner's others.
    ///
    /// # Errors
    ///
    /// A field error (`attribute`, `operator`, `value`) or [`Error::NotFound`] for the
    /// owner; nothing is written then.
    pub async fn add_item(
        &self,
        owner: &AttributeOwner,
        kind: AttributeKind,
        attribute: RadiusAttribute,
    ) -> Result<Changes> {
        self.edit(owner, kind, ItemEdit::Add(attribute)).await
    }

    /// Replaces the item with row id `id` (it keeps its place).
    ///
    /// # Errors
    ///
    /// As [`RadiusAdmin::add_item`], and [`Error::NotFound`] when the owner has no such row.
    pub async fn update_item(
        &self,
        owner: &AttributeOwner,
        kind: AttributeKind,
        id: i32,
        attribute: RadiusAttribute,
    ) -> Result<Changes> {
        self.edit(owner, kind, ItemEdit::Update(id, attribute))
            .await
    }

    /// Removes the item with row id `id`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for the owner or the row.
    pub async fn remove_item(
        &self,
        owner: &AttributeOwner,
        kind: AttributeKind,
        id: i32,
    ) -> Result<Changes> {
        self.edit(owner, kind, ItemEdit::Remove(id)).await
    }

    /// Makes `attribute` the owner's only item of its name: the first item of that name is
    /// replaced and any others removed, or it is appended when there is none (what the
    /// command line's `set` does).
    ///
    /// # Errors
    ///
    /// As [`RadiusAdmin::add_item`].
    pub async fn set_item(
        &self,
        owner: &AttributeOwner,
        kind: AttributeKind,
        attribute: RadiusAttribute,
    ) -> Result<Changes> {
        self.edit(owner, kind, ItemEdit::Set(attribute)).await
    }

    /// Removes every item named `attribute` (any case).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for the owner, or when it has no item of that name.
    pub async fn remove_items_named(
        &self,
        owner: &AttributeOwner,
        kind: AttributeKind,
        attribute: &str,
    ) -> Result<Changes> {
        self.edit(
            owner,
            kind,
            ItemEdit::RemoveNamed(attribute.trim().to_owned()),
        )
        .await
    }
}
