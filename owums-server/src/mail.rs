//! The mail delivery loop `serve` runs next to housekeeping.

use std::time::Duration;

use owums_core::mail::Mailer;

use crate::AppState;

/// Sends due outbox mail every `mail.poll_seconds` until shutdown; a full batch is followed
/// at once by the next one. Errors are logged, never fatal: mail waits in the outbox.
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
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shutdown.wait() => return,
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
