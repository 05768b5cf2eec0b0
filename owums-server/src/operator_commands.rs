//! `owums operator create|list|passwd|token`: the console's operators (and their API
//! tokens) from the command line.
//!
//! Each change is written to the audit log as done by `(command line)`. A password left out
//! is generated and printed once; `-` reads it from standard input, so it stays out of the
//! shell's history and the process list.

use anyhow::Context;
use owums_core::operator::{
    AuditEntry, AuditLog, AuditTarget, NewToken, OperatorTokens, Operators, Permissions, Preset,
    generate_password,
};
use owums_core::{Config, Store};

use crate::cli::{OperatorCommand, TokenCommand};
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
        OperatorCommand::Token(cmd) => token(&ops, &log, cmd).await?,
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

/// `owums operator token …`.
async fn token(ops: &Operators, log: &AuditLog, cmd: TokenCommand) -> anyhow::Result<()> {
    let tokens = OperatorTokens::new(ops.store().clone());
    let now = chrono::Utc::now();
    let find = async |name: &str| {
        ops.find_by_username(name)
            .await?
            .with_context(|| format!("no operator called {name}"))
    };
    match cmd {
        TokenCommand::Create {
            operator,
            name,
            permissions,
            expires_days,
        } => {
            let op = find(&operator).await?;
            let set = if permissions.is_empty() {
                op.permissions.clone()
            } else {
                permissions
                    .iter()
                    .map(|p| p.parse())
                    .collect::<Result<Permissions, _>>()?
            };
            let new = NewToken {
                name,
                permissions: set,
                expires_at: expires_days.map(|d| now + chrono::Duration::days(i64::from(d))),
            };
            let (secret, made, changes) = tokens.create(&op, new, now).await?;
            log.record(AuditEntry {
                operator: None,
                action: "operator.token_create".into(),
                target: Some(AuditTarget::operator(&op)),
                changes,
                client_ip: None,
            })
            .await?;
            println!(
                "token {} ({}) made for operator {}",
                made.name, made.id, op.username
            );
            println!("{secret}");
            println!("(shown once: send it as `Authorization: Bearer <token>`)");
        }
        TokenCommand::List { operator } => {
            let id = match operator {
                Some(name) => Some(find(&name).await?.id),
                None => None,
            };
            let names: std::collections::HashMap<_, _> = ops
                .list()
                .await?
                .into_iter()
                .map(|o| (o.id, o.username))
                .collect();
            println!(
                "{:<36}  {:<16} {:<24} {:<8} {:<17} permissions",
                "id", "operator", "name", "state", "last used"
            );
            for t in tokens.list(id).await? {
                let used = t.last_used.as_ref().map_or_else(
                    || "never".to_owned(),
                    |(at, _)| at.format("%Y-%m-%d %H:%M").to_string(),
                );
                println!(
                    "{:<36}  {:<16} {:<24} {:<8} {:<17} {}",
                    t.id,
                    names.get(&t.operator_id).map_or("?", String::as_str),
                    t.name,
                    t.state(now).as_str(),
                    used,
                    describe(&t.permissions)
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let id: uuid::Uuid = id
                .parse()
                .context("a token id is a UUID (see `token list`)")?;
            let token = tokens
                .list(None)
                .await?
                .into_iter()
                .find(|t| t.id == id)
                .context("no such token")?;
            let op = ops
                .find(token.operator_id)
                .await?
                .context("no such operator")?;
            let changes = tokens.revoke(id, None, now).await?;
            log.record(AuditEntry {
                operator: None,
                action: "operator.token_revoke".into(),
                target: Some(AuditTarget::operator(&op)),
                changes,
                client_ip: None,
            })
            .await?;
            println!("token {} of operator {} revoked", token.name, op.username);
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
