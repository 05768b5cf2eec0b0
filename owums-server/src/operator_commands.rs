//! `owums operator create|list|passwd`: the console's operators from the command line.
//!
//! Each change is written to the audit log as done by `(command line)`. A password left out
//! is generated and printed once; `-` reads it from standard input, so it stays out of the
//! shell's history and the process list.

use anyhow::Context;
use owums_core::operator::{
    AuditEntry, AuditLog, AuditTarget, Operators, Permissions, Preset, generate_password,
};
use owums_core::{Config, Store};

use crate::cli::OperatorCommand;
use crate::commands::read_password;

/// The password given (`-`: from standard input) or a generated one, and whether it was
/// generated.
fn password_of(arg: Option<&str>) -> anyhow::Result<(String, bool)> {
    match arg {
        Some(a) => Ok((read_password(a)?, false)),
        None => Ok((generate_password(), true)),
    }
}

/// Runs `cmd`.
pub(crate) async fn run(config: &Config, cmd: OperatorCommand) -> anyhow::Result<()> {
    let store = Store::connect_migrated(&config.database).await?;
    let ops = Operators::new(store.clone());
    let log = AuditLog::new(store);
    match cmd {
        OperatorCommand::Create {
            name,
            preset,
            permissions,
            password,
        } => {
            let preset: Preset = preset.parse()?;
            let mut set = preset.permissions();
            for p in &permissions {
                set.insert(p.parse()?);
            }
            let (password, generated) = password_of(password.as_deref())?;
            let (op, changes) = ops
                .create(&name, &password, set)
                .await
                .with_context(|| format!("creating operator {name}"))?;
            log.record(AuditEntry {
                operator: None,
                action: "operator.create".into(),
                target: Some(AuditTarget::operator(&op)),
                changes,
                client_ip: None,
            })
            .await?;
            println!(
                "operator {} created ({}, {} permissions)",
                op.username,
                preset.as_str(),
                op.permissions.iter().count()
            );
            if generated {
                println!("password: {password}");
                println!("(shown once: give it to {} now)", op.username);
            }
        }
        OperatorCommand::List => {
            println!(
                "{:<24} {:<8} {:<5} {:>6}  permissions",
                "username", "active", "totp", "logins"
            );
            for op in ops.list().await? {
                println!(
                    "{:<24} {:<8} {:<5} {:>6}  {}",
                    op.username,
                    if op.active { "yes" } else { "no" },
                    if op.totp_enabled { "yes" } else { "no" },
                    op.login_count,
                    describe(&op.permissions)
                );
            }
        }
        OperatorCommand::Passwd { name, password } => {
            let op = ops
                .find_by_username(&name)
                .await?
                .with_context(|| format!("no operator called {name}"))?;
            let (password, generated) = password_of(password.as_deref())?;
            let changes = ops.set_password(op.id, &password).await?;
            owums_core::subscriber::WebSessions::new(ops.store().clone())
                .delete_for_operator(op.id, None)
                .await?;
            log.record(AuditEntry {
                operator: None,
                action: "operator.passwd".into(),
                target: Some(AuditTarget::operator(&op)),
                changes,
                client_ip: None,
            })
            .await?;
            println!("password of operator {} changed", op.username);
            if generated {
                println!("password: {password}");
            }
        }
    }
    Ok(())
}

/// The permissions, named by the preset they equal when they do.
fn describe(p: &Permissions) -> String {
    Preset::ALL
        .iter()
        .rev()
        .find(|preset| preset.permissions() == *p)
        .map_or_else(|| p.to_string(), |preset| format!("({})", preset.as_str()))
}
