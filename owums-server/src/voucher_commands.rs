//! `owums voucher generate|list|show`: voucher batches through [`Vouchers`].

use anyhow::bail;
use chrono::NaiveDate;
use owums_core::radius::{BatchSummary, Validity, VoucherRequest, Vouchers};
use owums_core::subscriber::{DEFAULT_RADIUS_GROUP, escape_for_terminal as shown};
use owums_core::{Config, ErrorKind, GroupName, Settings, Store};

use crate::cli::VoucherCommand;

fn described(v: &Validity) -> String {
    match v {
        Validity::Until(d) => format!("until {d} (UTC, inclusive)"),
        Validity::Days(n) => format!("{n} days after first use"),
    }
}

fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(
        || "-".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

fn print_summary(b: &BatchSummary) {
    println!(
        "{}\tprefix {}\tgroup {}\t{}\tunused {}\tused {}\texpired {}",
        shown(&b.name),
        shown(&b.prefix),
        shown(&b.group),
        described(&b.validity),
        b.unused,
        b.used,
        b.expired
    );
}

/// Runs `owums voucher …`.
pub(crate) async fn run(config: &Config, cmd: VoucherCommand) -> anyhow::Result<()> {
    match cmd {
        VoucherCommand::Generate {
            batch,
            count,
            prefix,
            length,
            group,
            valid_until,
            valid_days,
        } => {
            let validity = match (valid_until, valid_days) {
                (Some(d), None) => {
                    let Ok(d) = NaiveDate::parse_from_str(&d, "%Y-%m-%d") else {
                        bail!("--valid-until must be a date such as 2027-01-31");
                    };
                    Validity::Until(d)
                }
                (None, Some(0)) => bail!("--valid-days must be at least 1"),
                (None, Some(n)) => Validity::Days(n),
                _ => bail!("give exactly one of --valid-until DATE and --valid-days N"),
            };
            let store = Store::connect_migrated(&config.database).await?;
            let group = match group {
                Some(g) => g,
                None => {
                    Settings::new(store.clone())
                        .get(DEFAULT_RADIUS_GROUP)
                        .await?
                }
            };
            let group = GroupName::try_new(&group)?;
            let vouchers = Vouchers::new(store, config.radius.password_format);
            let req = VoucherRequest {
                batch,
                count,
                prefix,
                length,
                group,
                validity,
                created_by: None,
            };
            let made = match vouchers.generate(&req).await {
                Err(e) if e.kind() == ErrorKind::Conflict => {
                    bail!(
                        "a voucher batch named `{}` already exists",
                        req.batch.trim()
                    )
                }
                other => other?,
            };
            println!("username,password");
            for (u, p) in &made.vouchers {
                println!("{u},{p}");
            }
            eprintln!(
                "generated {} vouchers in batch {} ({})",
                made.vouchers.len(),
                shown(&made.batch.name),
                described(&made.batch.validity)
            );
        }
        VoucherCommand::List => {
            let store = Store::connect_migrated(&config.database).await?;
            let list = Vouchers::new(store, config.radius.password_format)
                .list()
                .await?;
            if list.is_empty() {
                println!("no voucher batches");
            }
            for b in &list {
                print_summary(b);
            }
        }
        VoucherCommand::Show { batch } => {
            let store = Store::connect_migrated(&config.database).await?;
            let (b, vouchers) = Vouchers::new(store, config.radius.password_format)
                .show(&batch)
                .await?;
            print_summary(&b);
            println!("username\tfirst used\texpires\tstate");
            for v in &vouchers {
                println!(
                    "{}\t{}\t{}\t{}",
                    v.username,
                    time(v.first_used),
                    time(v.expires_at),
                    v.state.as_str()
                );
            }
        }
    }
    Ok(())
}
