//! The mail delivery loop `serve` runs next to housekeeping.

use std::time::Duration;

use owums_core::mail::Mailer;

use crate::AppState;

/// Sends due outbox mail every `mail.poll_seconds` until shutdown; a full batch is followed
/// at once by the next one. Once a day it deletes old mail (`mail.keep_days`) and old reset
/// links. Errors are logged, never fatal: mail waits in the outbox.
pub(crate) async fn delivery(state: AppState, mut shutdown: owums_core::Shutdown) {
    let config = &state.config.mail;
    if !config.enabled {
        tracing::info!("mail delivery is off (mail.enabled = false): e-mail waits in the outbox");
        return;
    }
    let mailer = match Mailer::new(state.store.clone(), config) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "mail delivery not started");
            return;
        }
    };
    tracing::info!(host = %config.host, port = config.port, "mail delivery started");
    let batch = usize::try_from(config.batch_size).unwrap_or(20);
    let mut tick = tokio::time::interval(Duration::from_secs(config.poll_seconds));
    let mut purged: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shutdown.wait() => return,
        }
        if purged.is_none_or(|t| t.elapsed() >= Duration::from_secs(86_400)) {
            purged = Some(tokio::time::Instant::now());
            match mailer.purge(chrono::Utc::now()).await {
                Ok((mails, links)) if mails + links > 0 => {
                    tracing::info!(mails, links, "old mail and reset links deleted");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purging old mail failed"),
            }
        }
        loop {
            // A run is not cut short by shutdown: a mail sent but not recorded as sent
            // would be sent again after its lease.
            match mailer.deliver_due(batch).await {
                Ok(report) if report.attempted() > 0 => {
                    tracing::info!(
                        sent = report.sent,
                        retrying = report.retrying,
                        failed = report.failed,
                        "mail delivery"
                    );
                    if report.attempted() < batch {
                        break;
                    }
                }
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "mail delivery failed");
                    break;
                }
            }
        }
    }
}
