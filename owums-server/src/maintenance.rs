//! `owums radacct …` and `owums postauth …`: accounting maintenance with a progress bar on
//! a terminal and plain counts otherwise.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use owums_core::storage::{STALE_INVALID, STALE_RECALCULATED};
use owums_core::{Config, Store};

use crate::cli::{PostauthCommand, RadacctCommand};

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
        RadacctCommand::DeleteOlderThan { days } => {
            let (bar, mut tick) = progress("deleting sessions");
            let n = store
                .delete_radacct_older_than(days, now, BATCH, &mut tick)
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
        PostauthCommand::DeleteOlderThan { days } => {
            let (bar, mut tick) = progress("deleting authentication log");
            let n = store
                .delete_postauth_older_than(days, now, BATCH, &mut tick)
                .await?;
            bar.finish_and_clear();
            println!("deleted {n} radpostauth rows");
        }
    }
    Ok(())
}
