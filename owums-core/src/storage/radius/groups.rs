//! RADIUS groups with their check and reply attributes, memberships, and per-user attributes.
//!
//! A group is a row of `owums_radius_groups` (name, default priority, notes) with its items
//! in FreeRADIUS' own `radgroupcheck` and `radgroupreply` tables, which FreeRADIUS reads
//! unchanged; renaming or deleting a group cascades to them. Memberships
//! (`owums_user_groups`) and per-user items (`owums_radius_checks`, `owums_radius_replies`)
//! are owums' tables, shown to FreeRADIUS through the `radusergroup`, `radcheck` and
//! `radreply` views. Every write here bumps [`Store::user_writes`], so the authorize cache
//! of this process reads again.

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::{Error, Result};
use crate::ids::{AttributeKind, GroupName, RadiusAttribute, UserId};
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::radius::items::bump_generation;
use crate::storage::schema::{
    owums_radius_checks, owums_radius_generation, owums_radius_groups, owums_radius_replies,
    owums_user_groups, radgroupcheck, radgroupreply,
};
use crate::storage::subscriber::users::{Membership, now_utc};
use crate::subscriber::password::PASSWORD_ATTRIBUTES;

/// A RADIUS group as stored, with its check and reply items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// The row id, assigned by the database; the name is what everything refers to.
    pub id: i32,
    /// Name (what FreeRADIUS sees as `GroupName`).
    pub name: GroupName,
    /// Default priority of new memberships (lower is read first).
    pub priority: i32,
    /// Free text for operators ("students, 2 GB a day"); FreeRADIUS never sees it.
    pub notes: Option<String>,
    /// Check items (`radgroupcheck`), in insertion order: limits such as
    /// `Max-Daily-Session`, or `Auth-Type := Reject` to lock the group out.
    pub checks: Vec<RadiusAttribute>,
    /// Reply items (`radgroupreply`), in insertion order: what the NAS is told for every
    /// member, such as `Session-Timeout` or bandwidth attributes.
    pub replies: Vec<RadiusAttribute>,
}

/// A group to create.
#[derive(Debug, Clone)]
pub struct NewGroup {
    /// The group's name, unique (case-sensitive, as FreeRADIUS compares names).
    pub name: GroupName,
    /// Default priority of memberships in it (lower is read first when a user is in
    /// several groups).
    pub priority: i32,
    /// Free text for operators.
    pub notes: Option<String>,
    /// Check items, validated as [`AttributeKind::Check`].
    pub checks: Vec<RadiusAttribute>,
    /// Reply items, validated as [`AttributeKind::Reply`].
    pub replies: Vec<RadiusAttribute>,
}

type AttrRow = (String, String, String, String);

fn to_attrs(rows: &[AttrRow], group: &str) -> Vec<RadiusAttribute> {
    rows.iter()
        .filter(|r| r.0 == group)
        .map(|(_, attribute, op, value)| RadiusAttribute {
            attribute: attribute.clone(),
            op: op.clone(),
            value: value.clone(),
        })
        .collect()
}

impl Store {
    /// Creates a group with its attributes in one transaction.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`] when a group of that name exists; nothing is written then.
    pub async fn create_group(&self, group: NewGroup) -> Result<GroupRecord> {
        let now = now_utc();
        let g = &group;
        let name = g.name.as_str();
        db_run!(self, c => {
            c.transaction::<_, Error, _>(async |c| {
                diesel::insert_into(owums_radius_groups::table)
                    .values((
                        owums_radius_groups::name.eq(name),
                        owums_radius_groups::priority.eq(g.priority),
                        owums_radius_groups::notes.eq(&g.notes),
                        owums_radius_groups::created_at.eq(now),
                        owums_radius_groups::updated_at.eq(now),
                    ))
                    .execute(c)
                    .await?;
                for a in &g.checks {
                    diesel::insert_into(radgroupcheck::table)
                        .values((
                            radgroupcheck::groupname.eq(name),
                            radgroupcheck::attribute.eq(&a.attribute),
                            radgroupcheck::op.eq(&a.op),
                            radgroupcheck::value.eq(&a.value),
                        ))
                        .execute(c)
                        .await?;
                }
                for a in &g.replies {
                    diesel::insert_into(radgroupreply::table)
                        .values((
                            radgroupreply::groupname.eq(name),
                            radgroupreply::attribute.eq(&a.attribute),
                            radgroupreply::op.eq(&a.op),
                            radgroupreply::value.eq(&a.value),
                        ))
                        .execute(c)
                        .await?;
                }
                Ok(())
            })
            .await
        })?;
        self.find_group(&group.name)
            .await?
            .ok_or_else(|| Error::Internal("created group vanished".to_owned()))
    }

    /// Every group with its attributes, by priority then name (three queries whatever the
    /// number of groups).
    pub async fn list_groups(&self) -> Result<Vec<GroupRecord>> {
        let groups: Vec<(i32, String, i32, Option<String>)> = db_run!(self, read c => owums_radius_groups::table
            .order((owums_radius_groups::priority.asc(), owums_radius_groups::name.asc()))
            .select((owums_radius_groups::id, owums_radius_groups::name, owums_radius_groups::priority, owums_radius_groups::notes))
            .load(c)
            .await?);
        let (checks, replies): (Vec<AttrRow>, Vec<AttrRow>) = db_run!(self, read c => {
            let checks = radgroupcheck::table
                .order(radgroupcheck::id.asc())
                .select((radgroupcheck::groupname, radgroupcheck::attribute, radgroupcheck::op, radgroupcheck::value))
                .load(c)
                .await?;
            let replies = radgroupreply::table
                .order(radgroupreply::id.asc())
                .select((radgroupreply::groupname, radgroupreply::attribute, radgroupreply::op, radgroupreply::value))
                .load(c)
                .await?;
            (checks, replies)
        });
        groups
            .into_iter()
            .map(|(id, name, priority, notes)| {
                Ok(GroupRecord {
                    id,
                    checks: to_attrs(&checks, &name),
                    replies: to_attrs(&replies, &name),
                    name: GroupName::try_new(&name)?,
                    priority,
                    notes,
                })
            })
            .collect()
    }

    /// The group named `name` with its attributes; `None` when there is none.
    pub async fn find_group(&self, name: &GroupName) -> Result<Option<GroupRecord>> {
        Ok(self
            .list_groups()
            .await?
            .into_iter()
            .find(|g| &g.name == name))
    }

    /// The default membership priority of the group named `name`, if it exists.
    pub async fn group_priority(&self, name: &GroupName) -> Result<Option<i32>> {
        let n = name.as_str();
        Ok(db_run!(self, read c => owums_radius_groups::table
            .filter(owums_radius_groups::name.eq(n))
            .select(owums_radius_groups::priority)
            .first(c)
            .await
            .optional()?))
    }

    /// Adds `user` to group `group` (or changes the membership's priority), effective on
    /// the user's next Access-Request.
    ///
    /// # Errors
    ///
    /// A storage error when the user or the group does not exist (a foreign key).
    pub async fn add_user_to_group(
        &self,
        user: UserId,
        group: &GroupName,
        priority: i32,
    ) -> Result<()> {
        let key = user.to_string();
        let name = group.as_str();
        db_run!(self, c => {
            c.transaction::<_, Error, _>(async |c| {
                diesel::delete(
                    owums_user_groups::table
                        .filter(owums_user_groups::user_id.eq(&key))
                        .filter(owums_user_groups::group_name.eq(name)),
                )
                .execute(c)
                .await?;
                let row = Membership { user_id: &key, group_name: name, priority };
                diesel::insert_into(owums_user_groups::table).values(&row).execute(c).await?;
                bump_generation!(c);
                Ok(())
            })
            .await
        })?;
        Ok(())
    }

    /// The user's groups with membership priorities, in priority order (then by name).
    pub async fn user_groups(&self, user: UserId) -> Result<Vec<(GroupName, i32)>> {
        let key = user.to_string();
        let rows: Vec<(String, i32)> = db_run!(self, read c => owums_user_groups::table
            .filter(owums_user_groups::user_id.eq(&key))
            .order((owums_user_groups::priority.asc(), owums_user_groups::group_name.asc()))
            .select((owums_user_groups::group_name, owums_user_groups::priority))
            .load(c)
            .await?);
        rows.into_iter()
            .map(|(n, p)| Ok((GroupName::try_new(&n)?, p)))
            .collect()
    }

    /// Adds a per-user check or reply attribute (passwords are set with
    /// [`Subscribers::set_password`](crate::Subscribers::set_password), not here).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a password attribute (`Crypt-Password`, `NT-Password`,
    /// `Cleartext-Password`, `User-Password`): owums keeps exactly one password row per
    /// user and replaces it itself.
    pub async fn add_user_attribute(
        &self,
        user: UserId,
        kind: AttributeKind,
        a: &RadiusAttribute,
    ) -> Result<()> {
        if PASSWORD_ATTRIBUTES
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&a.attribute))
        {
            return Err(Error::invalid(
                "attribute",
                format!(
                    "`{}` is the user's password: set the password instead",
                    a.attribute
                ),
            ));
        }
        let key = user.to_string();
        db_run!(self, c => match kind {
            AttributeKind::Check => diesel::insert_into(owums_radius_checks::table)
                .values((
                    owums_radius_checks::user_id.eq(&key),
                    owums_radius_checks::attribute.eq(&a.attribute),
                    owums_radius_checks::op.eq(&a.op),
                    owums_radius_checks::value.eq(&a.value),
                ))
                .execute(c)
                .await?,
            AttributeKind::Reply => diesel::insert_into(owums_radius_replies::table)
                .values((
                    owums_radius_replies::user_id.eq(&key),
                    owums_radius_replies::attribute.eq(&a.attribute),
                    owums_radius_replies::op.eq(&a.op),
                    owums_radius_replies::value.eq(&a.value),
                ))
                .execute(c)
                .await?,
        });
        Ok(())
    }

    /// The user's own check or reply attributes (without the password), in insertion order.
    pub async fn user_attributes(
        &self,
        user: UserId,
        kind: AttributeKind,
    ) -> Result<Vec<RadiusAttribute>> {
        let key = user.to_string();
        let rows: Vec<(String, String, String)> = db_run!(self, read c => match kind {
            AttributeKind::Check => owums_radius_checks::table
                .filter(owums_radius_checks::user_id.eq(&key))
                .filter(owums_radius_checks::attribute.ne_all(PASSWORD_ATTRIBUTES))
                .order(owums_radius_checks::id.asc())
                .select((owums_radius_checks::attribute, owums_radius_checks::op, owums_radius_checks::value))
                .load(c)
                .await?,
            AttributeKind::Reply => owums_radius_replies::table
                .filter(owums_radius_replies::user_id.eq(&key))
                .order(owums_radius_replies::id.asc())
                .select((owums_radius_replies::attribute, owums_radius_replies::op, owums_radius_replies::value))
                .load(c)
                .await?,
        });
        Ok(rows
            .into_iter()
            .map(|(attribute, op, value)| RadiusAttribute {
                attribute,
                op,
                value,
            })
            .collect())
    }
}
