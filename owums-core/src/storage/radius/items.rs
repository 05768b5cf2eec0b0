//! Operator edits of RADIUS check and reply items (a group's in `radgroupcheck` and
//! `radgroupreply`, a subscriber's own in `owums_radius_checks` and `owums_radius_replies`),
//! and the generation of RADIUS profiles that tells every process's authorize cache that
//! one of them changed.
//!
//! Each edit is one transaction: it reads the items before, applies the edit, bumps
//! `owums_radius_generation` and reads the items after, so the caller can say what changed.

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::{Error, Result};
use crate::ids::{AttributeKind, GroupName, RadiusAttribute, UserId};
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::schema::{owums_radius_generation, owums_radius_groups, owums_users};
use crate::subscriber::password::PASSWORD_ATTRIBUTES;

/// Whose check or reply items: a group's or one subscriber's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeOwner {
    /// The items of a RADIUS group (every member gets them).
    Group(GroupName),
    /// A subscriber's own items (read before their groups').
    User(UserId),
}

impl AttributeOwner {
    fn key(&self) -> String {
        match self {
            AttributeOwner::Group(g) => g.as_str().to_owned(),
            AttributeOwner::User(u) => u.to_string(),
        }
    }
}

/// One stored check or reply item with its row id: the id is what an edit of that one row
/// names, since an attribute may appear more than once (`+=` items).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeItem {
    /// The row id; items are read in id order, which is FreeRADIUS' order.
    pub id: i32,
    /// The attribute, operator and value.
    pub attribute: RadiusAttribute,
}

/// An edit of one owner's items of one kind.
#[derive(Debug, Clone)]
pub(crate) enum ItemEdit {
    /// Appends an item after the others.
    Add(RadiusAttribute),
    /// Replaces the item with this row id.
    Update(i32, RadiusAttribute),
    /// Removes the item with this row id.
    Remove(i32),
    /// Replaces every item of this attribute name (any case) with this one, where the first
    /// of them was; appends it when there is none.
    Set(RadiusAttribute),
    /// Removes every item of this attribute name (any case).
    RemoveNamed(String),
}

type Row = (i32, String, String, String);

/// What an edit does to the rows, worked out from the rows it saw.
enum Step {
    Insert(RadiusAttribute),
    Update(i32, RadiusAttribute),
    Delete(i32),
}

fn is_password(attribute: &str) -> bool {
    PASSWORD_ATTRIBUTES
        .iter()
        .any(|p| p.eq_ignore_ascii_case(attribute))
}

fn items(rows: Vec<Row>) -> Vec<AttributeItem> {
    rows.into_iter()
        .filter(|r| !is_password(&r.1))
        .map(|(id, attribute, op, value)| AttributeItem {
            id,
            // radgroup* `op` is CHAR(2): PostgreSQL pads `=` to `= `
            attribute: RadiusAttribute {
                attribute,
                op: op.trim().to_owned(),
                value,
            },
        })
        .collect()
}

fn steps(edit: &ItemEdit, seen: &[AttributeItem]) -> Result<Vec<Step>> {
    let named = |name: &str| -> Vec<i32> {
        seen.iter()
            .filter(|i| i.attribute.attribute.eq_ignore_ascii_case(name))
            .map(|i| i.id)
            .collect()
    };
    let known = |id: i32| {
        if seen.iter().any(|i| i.id == id) {
            Ok(())
        } else {
            Err(Error::not_found("RADIUS item", id.to_string()))
        }
    };
    Ok(match edit {
        ItemEdit::Add(a) => vec![Step::Insert(a.clone())],
        ItemEdit::Update(id, a) => {
            known(*id)?;
            vec![Step::Update(*id, a.clone())]
        }
        ItemEdit::Remove(id) => {
            known(*id)?;
            vec![Step::Delete(*id)]
        }
        ItemEdit::Set(a) => match named(&a.attribute).split_first() {
            None => vec![Step::Insert(a.clone())],
            Some((first, rest)) => std::iter::once(Step::Update(*first, a.clone()))
                .chain(rest.iter().map(|id| Step::Delete(*id)))
                .collect(),
        },
        ItemEdit::RemoveNamed(name) => {
            let ids = named(name);
            if ids.is_empty() {
                return Err(Error::not_found("RADIUS item", name.clone()));
            }
            ids.into_iter().map(Step::Delete).collect()
        }
    })
}

/// Runs `$body` with `$t` naming the items table of `$owner` and `$kind`, and `$col` its
/// owner column (group name or user id).
macro_rules! on_table {
    ($owner:expr, $kind:expr, $t:ident, $col:ident => $body:expr) => {
        match ($owner, $kind) {
            (AttributeOwner::Group(_), AttributeKind::Check) => {
                use crate::storage::schema::radgroupcheck as $t;
                use $t::groupname as $col;
                $body
            }
            (AttributeOwner::Group(_), AttributeKind::Reply) => {
                use crate::storage::schema::radgroupreply as $t;
                use $t::groupname as $col;
                $body
            }
            (AttributeOwner::User(_), AttributeKind::Check) => {
                use crate::storage::schema::owums_radius_checks as $t;
                use $t::user_id as $col;
                $body
            }
            (AttributeOwner::User(_), AttributeKind::Reply) => {
                use crate::storage::schema::owums_radius_replies as $t;
                use $t::user_id as $col;
                $body
            }
        }
    };
}

/// Bumps the generation of RADIUS profiles on connection `$c` (inside the caller's
/// transaction).
macro_rules! bump_generation {
    ($c:expr) => {
        diesel::update(owums_radius_generation::table)
            .set(owums_radius_generation::generation.eq(owums_radius_generation::generation + 1))
            .execute($c)
            .await?
    };
}
pub(crate) use bump_generation;

impl Store {
    /// The check or reply items of a group or a subscriber, in FreeRADIUS' order (a
    /// subscriber's password row is not listed).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the group or the subscriber does not exist.
    pub async fn attribute_items(
        &self,
        owner: &AttributeOwner,
        kind: AttributeKind,
    ) -> Result<Vec<AttributeItem>> {
        let key = owner.key();
        let key = key.as_str();
        let rows: Option<Vec<Row>> = db_run!(self, read c => {
            let exists: Option<i64> = match owner {
                AttributeOwner::Group(_) => owums_radius_groups::table
                    .filter(owums_radius_groups::name.eq(key))
                    .select(diesel::dsl::count_star())
                    .first(c)
                    .await
                    .optional()?,
                AttributeOwner::User(_) => owums_users::table
                    .filter(owums_users::id.eq(key))
                    .select(diesel::dsl::count_star())
                    .first(c)
                    .await
                    .optional()?,
            };
            if exists.unwrap_or(0) == 0 {
                None
            } else {
                Some(on_table!(owner, kind, t, col => t::table
                    .filter(col.eq(key))
                    .order(t::id.asc())
                    .select((t::id, t::attribute, t::op, t::value))
                    .load::<Row>(c)
                    .await?))
            }
        });
        match rows {
            Some(rows) => Ok(items(rows)),
            None => Err(missing(owner)),
        }
    }

    /// Applies `edit` to the items of `owner` in one transaction that also bumps the
    /// generation of RADIUS profiles; returns the items before and after.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the owner, the row id or (for
    /// [`ItemEdit::RemoveNamed`]) the attribute is not there; nothing is written then.
    pub(crate) async fn edit_items(
        &self,
        owner: &AttributeOwner,
        kind: AttributeKind,
        edit: &ItemEdit,
    ) -> Result<(Vec<AttributeItem>, Vec<AttributeItem>)> {
        let key = owner.key();
        let key = key.as_str();
        db_run!(self, c => {
            c.transaction::<_, Error, _>(async |c| {
                let exists: i64 = match owner {
                    AttributeOwner::Group(_) => owums_radius_groups::table
                        .filter(owums_radius_groups::name.eq(key))
                        .select(diesel::dsl::count_star())
                        .first(c)
                        .await?,
                    AttributeOwner::User(_) => owums_users::table
                        .filter(owums_users::id.eq(key))
                        .select(diesel::dsl::count_star())
                        .first(c)
                        .await?,
                };
                if exists == 0 {
                    return Err(missing(owner));
                }
                let before: Vec<Row> = on_table!(owner, kind, t, col => t::table
                    .filter(col.eq(key))
                    .order(t::id.asc())
                    .select((t::id, t::attribute, t::op, t::value))
                    .load(c)
                    .await?);
                let before = items(before);
                for step in steps(edit, &before)? {
                    match step {
                        Step::Insert(a) => on_table!(owner, kind, t, col => diesel::insert_into(t::table)
                            .values((
                                col.eq(key),
                                t::attribute.eq(&a.attribute),
                                t::op.eq(&a.op),
                                t::value.eq(&a.value),
                            ))
                            .execute(c)
                            .await?),
                        Step::Update(id, a) => on_table!(owner, kind, t, col => diesel::update(
                                t::table.filter(t::id.eq(id)).filter(col.eq(key)),
                            )
                            .set((
                                t::attribute.eq(&a.attribute),
                                t::op.eq(&a.op),
                                t::value.eq(&a.value),
                            ))
                            .execute(c)
                            .await?),
                        Step::Delete(id) => on_table!(owner, kind, t, col => diesel::delete(
                                t::table.filter(t::id.eq(id)).filter(col.eq(key)),
                            )
                            .execute(c)
                            .await?),
                    };
                }
                bump_generation!(c);
                let after: Vec<Row> = on_table!(owner, kind, t, col => t::table
                    .filter(col.eq(key))
                    .order(t::id.asc())
                    .select((t::id, t::attribute, t::op, t::value))
                    .load(c)
                    .await?);
                Ok((before, items(after)))
            })
            .await
        })
    }

    /// The generation of RADIUS profiles: bumped by every operator edit of groups and of
    /// check and reply items, in any process. The REST authorize cache compares it with
    /// the generation its entries were read at.
    pub async fn radius_generation(&self) -> Result<i64> {
        let g: Option<i64> = db_run!(self, read c => owums_radius_generation::table
            .select(owums_radius_generation::generation)
            .first(c)
            .await
            .optional()?);
        Ok(g.unwrap_or(0))
    }
}

fn missing(owner: &AttributeOwner) -> Error {
    match owner {
        AttributeOwner::Group(g) => Error::not_found("RADIUS group", g.as_str()),
        AttributeOwner::User(u) => Error::not_found("user", u.to_string()),
    }
}
