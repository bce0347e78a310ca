//! Forgets bids on transfers the sequencer still has not seen once they are older than
//! [`EarlyBids::ttl`](crate::config::EarlyBids): with the per-router bound checked on admission
//! (`api`), what early bids can hold in the database stays bounded.

use crate::{config::EarlyBids, error::SequencerError, metrics::SequencerMetrics, store};
use nxtp_agent::{clock::now_ms, CancellationToken, Store};
use std::time::Duration;

/// The longest time between two sweeps.
const MAX_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// How often expired early bids are looked for: a quarter of their lifetime, at most a minute.
pub(crate) fn sweep_interval(early: EarlyBids) -> Duration {
    (early.ttl / 4).clamp(Duration::from_millis(100), MAX_SWEEP_INTERVAL)
}

/// Sweeps until `shutdown`.
pub(crate) async fn sweep(
    store: Store,
    early: EarlyBids,
    metrics: SequencerMetrics,
    shutdown: CancellationToken,
) -> Result<(), SequencerError> {
    let ttl_ms = u64::try_from(early.ttl.as_millis()).unwrap_or(u64::MAX);
    loop {
        let before = now_ms().saturating_sub(ttl_ms);
        let dropped = store
            .call(move |conn| store::expire_early_bids(conn, before))
            .await?;
        if dropped > 0 {
            metrics.early_bids_expired(dropped);
            tracing::info!(
                dropped,
                "early bids expired (their transfers were never seen)"
            );
        }
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            () = tokio::time::sleep(sweep_interval(early)) => {}
        }
    }
}
