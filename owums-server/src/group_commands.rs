//! `owums group show|update|delete|check|reply` and `owums user check|reply`: RADIUS groups
//! and check and reply items through [`RadiusAdmin`], printing what changed.

use anyhow::bail;
use owums_core::operator::Changes;
use owums_core::radius::{GroupUpdate, RadiusAdmin};
use owums_core::storage::{AttributeItem, AttributeOwner};
use owums_core::subscriber::escape_for_terminal as shown;
use owums_core::{AttributeKind, Config, GroupName, RadiusAttribute, Store, Subscribers};

use crate::cli::{GroupCommand, ItemCommand};

fn kind_name(kind: AttributeKind) -> &'static str {
    match kind {
        AttributeKind::Check => "check",
        AttributeKind::Reply => "reply",
    }
}

/// Prints each change as `field: before -> after`, or that nothing changed.
fn print_changes(changes: &Changes) {
    if changes.is_empty() {
        println!("nothing changed");
    }
    for c in changes.iter() {
        println!(
            "{}: {} -> {}",
            c.field,
            shown(c.before.as_deref().unwrap_or("(none)")),
            shown(c.after.as_deref().unwrap_or("(none)"))
        );
    }
}

fn print_items(kind: AttributeKind, items: &[AttributeItem]) {
    for i in items {
        println!(
            "  {:<6} #{:<6} {}",
            kind_name(kind),
            i.id,
            shown(&i.attribute.to_string())
        );
    }
}

/// Runs an item command on the items of `owner`.
async fn items(
    config: &Config,
    admin: &RadiusAdmin,
    owner: &AttributeOwner,
    kind: AttributeKind,
    cmd: ItemCommand,
) -> anyhow::Result<()> {
    let changes = match cmd {
        ItemCommand::List { .. } => {
            print_items(kind, &admin.items(owner, kind).await?);
            return Ok(());
        }
        ItemCommand::Add { attribute, .. } => {
            let a = RadiusAttribute::parse(kind, &attribute)?;
            note_counters(config, kind, &a);
            admin.add_item(owner, kind, a).await?
        }
        ItemCommand::Set { attribute, .. } => {
            let a = RadiusAttribute::parse(kind, &attribute)?;
            note_counters(config, kind, &a);
            admin.set_item(owner, kind, a).await?
        }
        ItemCommand::Remove { attribute, .. } => match attribute.trim().strip_prefix('#') {
            Some(id) => {
                let Ok(id) = id.parse::<i32>() else {
                    bail!("`{attribute}` is not an item id such as #12");
                };
                admin.remove_item(owner, kind, id).await?
            }
            None => admin.remove_items_named(owner, kind, &attribute).await?,
        },
    };
    print_changes(&changes);
    Ok(())
}

/// The SQL-mode note of `owums group create` for a counter's limit.
fn note_counters(config: &Config, kind: AttributeKind, a: &RadiusAttribute) {
    if kind == AttributeKind::Check
        && !crate::commands::sql_counter_limits(config, std::slice::from_ref(a)).is_empty()
    {
        eprintln!(
            "note: FreeRADIUS in SQL mode knows {} only through the sqlcounter configuration \
             in freeradius/sql/ (see docs/freeradius.md)",
            a.attribute
        );
    }
}

fn owner_of(cmd: &ItemCommand) -> &str {
    match cmd {
        ItemCommand::List { owner }
        | ItemCommand::Add { owner, .. }
        | ItemCommand::Set { owner, .. }
        | ItemCommand::Remove { owner, .. } => owner,
    }
}

/// `owums user check|reply …`.
pub(crate) async fn user_items(
    config: &Config,
    s: &Subscribers,
    kind: AttributeKind,
    cmd: ItemCommand,
) -> anyhow::Result<()> {
    let user = s.find(owner_of(&cmd)).await?;
    let admin = RadiusAdmin::new(s.store().clone());
    items(config, &admin, &AttributeOwner::User(user.id), kind, cmd).await
}

/// `owums group show|update|delete|check|reply …`.
pub(crate) async fn run(config: &Config, store: &Store, cmd: GroupCommand) -> anyhow::Result<()> {
    let admin = RadiusAdmin::new(store.clone());
    match cmd {
        GroupCommand::Show { name } => {
            let d = admin.group(&GroupName::try_new(&name)?).await?;
            println!("name:     {}", d.group.name);
            println!("priority: {}", d.group.priority);
            println!(
                "notes:    {}",
                shown(d.group.notes.as_deref().unwrap_or("-"))
            );
            println!("members:  {}", d.members);
            print_items(AttributeKind::Check, &d.checks);
            print_items(AttributeKind::Reply, &d.replies);
        }
        GroupCommand::Update {
            name,
            priority,
            notes,
            rename,
        } => {
            if priority.is_none() && notes.is_none() && rename.is_none() {
                bail!("nothing to change: give --priority, --notes or --rename");
            }
            let update = GroupUpdate {
                name: rename.as_deref().map(GroupName::try_new).transpose()?,
                priority,
                notes: notes.map(|n| (!n.trim().is_empty()).then_some(n)),
            };
            print_changes(
                &admin
                    .update_group(&GroupName::try_new(&name)?, update)
                    .await?,
            );
        }
        GroupCommand::Delete { name, force } => {
            let name = GroupName::try_new(&name)?;
            let members = store.group_member_count(&name).await?;
            if members > 0 && !force {
                bail!(
                    "group `{name}` has {members} member(s): run again with --force to delete it \
                     and remove them from it"
                );
            }
            print_changes(&admin.delete_group(&name, force).await?);
        }
        GroupCommand::Check(cmd) => {
            let owner = AttributeOwner::Group(GroupName::try_new(owner_of(&cmd))?);
            items(config, &admin, &owner, AttributeKind::Check, cmd).await?;
        }
        GroupCommand::Reply(cmd) => {
            let owner = AttributeOwner::Group(GroupName::try_new(owner_of(&cmd))?);
            items(config, &admin, &owner, AttributeKind::Reply, cmd).await?;
        }
        GroupCommand::Create { .. } | GroupCommand::List => {
            unreachable!("handled by commands::group")
        }
    }
    Ok(())
}
