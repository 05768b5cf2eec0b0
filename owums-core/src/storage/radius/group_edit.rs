//! Operator edits of a group row: priority, notes, name, and deletion with its memberships.
//!
//! Each is one transaction that bumps the generation of RADIUS profiles (see
//! [`Store::radius_generation`]). A rename also renames the group in its items and
//! memberships explicitly, besides the foreign keys' `ON UPDATE CASCADE`, so no backend is
//! left with rows naming the old group.

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::{Error, Problem, Result};
use crate::ids::GroupName;
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::radius::items::bump_generation;
use crate::storage::schema::{
    owums_radius_generation, owums_radius_groups, owums_user_groups, radgroupcheck, radgroupreply,
};
use crate::storage::subscriber::users::now_utc;

/// A group row as an edit sees it: name, priority, notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupRow {
    pub(crate) name: String,
    pub(crate) priority: i32,
    pub(crate) notes: Option<String>,
}

/// What to change in a group row (`None`: leave as it is).
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupRowEdit {
    pub(crate) name: Option<GroupName>,
    pub(crate) priority: Option<i32>,
    pub(crate) notes: Option<Option<String>>,
}

impl Store {
    /// How many subscribers are members of group `name` (0 for no such group).
    pub async fn group_member_count(&self, name: &GroupName) -> Result<i64> {
        let n = name.as_str();
        Ok(db_run!(self, read c => owums_user_groups::table
            .filter(owums_user_groups::group_name.eq(n))
            .select(diesel::dsl::count_star())
            .first::<i64>(c)
            .await?))
    }

    /// Changes a group row; returns it before and after.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for no such group, [`Error::Conflict`] when the new name is
    /// taken; nothing is written then.
    pub(crate) async fn edit_group_row(
        &self,
        name: &GroupName,
        edit: &GroupRowEdit,
    ) -> Result<(GroupRow, GroupRow)> {
        let old = name.as_str();
        let now = now_utc();
        db_run!(self, c => {
            c.transaction::<_, Error, _>(async |c| {
                let before: Option<(String, i32, Option<String>)> = owums_radius_groups::table
                    .filter(owums_radius_groups::name.eq(old))
                    .select((owums_radius_groups::name, owums_radius_groups::priority, owums_radius_groups::notes))
                    .first(c)
                    .await
                    .optional()?;
                let Some((bname, bprio, bnotes)) = before else {
                    return Err(Error::not_found("RADIUS group", old));
                };
                let after = GroupRow {
                    name: edit.name.as_ref().map_or_else(|| bname.clone(), |n| n.as_str().to_owned()),
                    priority: edit.priority.unwrap_or(bprio),
                    notes: edit.notes.clone().unwrap_or_else(|| bnotes.clone()),
                };
                diesel::update(owums_radius_groups::table.filter(owums_radius_groups::name.eq(old)))
                    .set((
                        owums_radius_groups::name.eq(&after.name),
                        owums_radius_groups::priority.eq(after.priority),
                        owums_radius_groups::notes.eq(&after.notes),
                        owums_radius_groups::updated_at.eq(now),
                    ))
                    .execute(c)
                    .await?;
                if after.name != bname {
                    // the foreign keys cascade; these catch a backend where one does not
                    diesel::update(owums_user_groups::table.filter(owums_user_groups::group_name.eq(old)))
                        .set(owums_user_groups::group_name.eq(&after.name))
                        .execute(c)
                        .await?;
                    diesel::update(radgroupcheck::table.filter(radgroupcheck::groupname.eq(old)))
                        .set(radgroupcheck::groupname.eq(&after.name))
                        .execute(c)
                        .await?;
                    diesel::update(radgroupreply::table.filter(radgroupreply::groupname.eq(old)))
                        .set(radgroupreply::groupname.eq(&after.name))
                        .execute(c)
                        .await?;
                }
                bump_generation!(c);
                let before = GroupRow { name: bname, priority: bprio, notes: bnotes };
                Ok((before, after))
            })
            .await
        })
    }

    /// Deletes group `name` with its items and, when `force`, its memberships; returns how
    /// many subscribers were members.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for no such group; [`Error::Invalid`] (field `group`) when it
    /// has members and `force` is false. Nothing is written then.
    pub(crate) async fn delete_group_row(&self, name: &GroupName, force: bool) -> Result<i64> {
        let n = name.as_str();
        db_run!(self, c => {
            c.transaction::<_, Error, _>(async |c| {
                let found: Option<i32> = owums_radius_groups::table
                    .filter(owums_radius_groups::name.eq(n))
                    .select(owums_radius_groups::id)
                    .first(c)
                    .await
                    .optional()?;
                if found.is_none() {
                    return Err(Error::not_found("RADIUS group", n));
                }
                let members: i64 = owums_user_groups::table
                    .filter(owums_user_groups::group_name.eq(n))
                    .select(diesel::dsl::count_star())
                    .first(c)
                    .await?;
                if members > 0 && !force {
                    return Err(in_use(n, members));
                }
                diesel::delete(owums_user_groups::table.filter(owums_user_groups::group_name.eq(n)))
                    .execute(c)
                    .await?;
                diesel::delete(radgroupcheck::table.filter(radgroupcheck::groupname.eq(n)))
                    .execute(c)
                    .await?;
                diesel::delete(radgroupreply::table.filter(radgroupreply::groupname.eq(n)))
                    .execute(c)
                    .await?;
                diesel::delete(owums_radius_groups::table.filter(owums_radius_groups::name.eq(n)))
                    .execute(c)
                    .await?;
                bump_generation!(c);
                Ok(members)
            })
            .await
        })
    }
}

/// The refusal to delete a group with members without being told to.
pub(crate) fn in_use(name: &str, members: i64) -> Error {
    Error::refused(
        "group",
        Problem::Other,
        format!(
            "group `{name}` has {members} member(s): confirm (force) to delete it and remove \
             them from it"
        ),
    )
}
