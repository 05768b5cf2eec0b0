//! `owums radacct …` and `owums postauth …`: accounting maintenance with a progress bar on
//! a terminal and plain counts otherwise.

use std::io::{BufRead, IsTerminal};

use indicatif::{ProgressBar, ProgressStyle};
use owums_core::storage::{STALE_INVALID, STALE_RECALCULATED};
use owums_core::{Config, Store};

use crate::cli::{Deletion, PostauthCommand, RadacctCommand};

const BATCH: u32 = 5_000;

/// A progress callback: a bar on a terminal, nothing otherwise (the total is printed at the end).
fn progress(what: &'static str) -> (ProgressBar, impl FnMut(u64, u64) + Send) {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({eta})") {
        bar.set_style(style);
    }
    bar.set_message(what);
    let b = bar.clone();
    (bar, move |done, total| {
        b.set_length(total);
        b.set_position(done);
    })
}

/// `days` days before `now`, as shown to the operator.
fn cutoff(days: u32, now: i64) -> String {
    chrono::DateTime::from_timestamp(now - i64::from(days) * 86_400, 0)
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// Whether to go on deleting `what`: `--dry-run` prints it and stops, `--yes` goes on, and
/// otherwise the operator is asked on a terminal; without one (a script) it is an error, so
/// that a deletion never happens unattended by accident.
fn confirmed(d: &Deletion, what: &str) -> anyhow::Result<bool> {
    if d.dry_run {
        println!("would delete {what}");
        return Ok(false);
    }
    if d.yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "not deleting {what} without --yes: standard input is not a terminal to ask on \
             (--dry-run shows what would go)"
        );
    }
    eprint!("delete {what}? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(true)
    } else {
        anyhow::bail!("not confirmed: nothing deleted")
    }
}

pub(crate) async fn radacct(config: &Config, cmd: RadacctCommand) -> anyhow::Result<()> {
    let store = Store::connect_migrated(&config.database).await?;
    let now = chrono::Utc::now().timestamp();
    match cmd {
        RadacctCommand::CleanupStale {
            older_than_hours: Some(hours),
            ..
        } => {
            let n = store.close_sessions_idle_for(hours, now).await?;
            println!("Session-Timeout {n}");
        }
        RadacctCommand::CleanupStale {
            days,
            older_than_hours: None,
        } => {
            let done = store.cleanup_stale_sessions(days, now).await?;
            println!("{STALE_RECALCULATED} {}", done.recalculated);
            println!("{STALE_INVALID} {}", done.invalid);
        }
        RadacctCommand::ConvertCalledStationId => {
            if config.access_points.lookup_url.is_empty() {
                anyhow::bail!("set [access_points] lookup_url to convert Called-Station-Id");
            }
            let lookup = crate::access_points::HttpLookup::new(&config.access_points)?;
            let (bar, mut tick) = progress("converting sessions");
            let done =
                owums_core::accounting::convert_called_station_ids(&store, &lookup, now, &mut tick)
                    .await;
            bar.finish_and_clear();
            let done = done?;
            println!("converted {}, unknown {}", done.converted, done.unknown);
        }
        RadacctCommand::DeleteOlderThan(d) => {
            let count = store.count_radacct_older_than(d.days, now).await?;
            let what = format!(
                "{count} radacct rows (sessions that ended before {})",
                cutoff(d.days, now)
            );
            if !confirmed(&d, &what)? {
                return Ok(());
            }
            let (bar, mut tick) = progress("deleting sessions");
            let n = store
                .delete_radacct_older_than(d.days, now, BATCH, &mut tick)
                .await?;
            bar.finish_and_clear();
            println!("deleted {n} radacct rows");
        }
    }
    Ok(())
}

pub(crate) async fn postauth(config: &Config, cmd: PostauthCommand) -> anyhow::Result<()> {
    let store = Store::connect_migrated(&config.database).await?;
    let now = chrono::Utc::now().timestamp();
    match cmd {
        PostauthCommand::DeleteOlderThan(d) => {
            let count = store.count_postauth_older_than(d.days, now).await?;
            let what = format!(
                "{count} radpostauth rows (logged before {})",
                cutoff(d.days, now)
            );
            if !confirmed(&d, &what)? {
                return Ok(());
            }
            let (bar, mut tick) = progress("deleting authentication log");
            let n = store
                .delete_postauth_older_than(d.days, now, BATCH, &mut tick)
                .await?;
            bar.finish_and_clear();
            println!("deleted {n} radpostauth rows");
        }
    }
    Ok(())
}
