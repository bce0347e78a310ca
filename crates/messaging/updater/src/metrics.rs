//! The updater's own series, beside the chain metrics of its indexers and submitter.

use nxtp_agent::prometheus::{IntCounter, IntGauge, Registry};

/// The updater's metrics; clones share the series.
#[derive(Clone, Debug)]
pub struct UpdaterMetrics {
    /// Roots signed by this updater.
    pub roots_signed: IntCounter,
    /// Signatures made by an earlier run, found on a chain and reused instead of signing anew.
    pub updates_adopted: IntCounter,
    /// `Home.update` transactions handed to the submitter (each update once).
    pub updates_sent: IntCounter,
    /// `Home.checkpoint` transactions handed to the submitter.
    pub checkpoints: IntCounter,
    /// How many messages the newest root this updater signed covers.
    pub last_signed_count: IntGauge,
    /// How many messages the Home's committed root covers, at the confirmed block.
    pub committed_count: IntGauge,
    /// The origin's newest final block (`finality` in its chain config) when a root was last
    /// looked for: only checkpoints up to it are signed.
    pub final_block: IntGauge,
}

impl UpdaterMetrics {
    /// Creates the series and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, nxtp_agent::prometheus::Error> {
        let metrics = Self {
            roots_signed: IntCounter::new(
                "nxtp_updater_roots_signed_total",
                "Roots signed by this updater",
            )?,
            updates_adopted: IntCounter::new(
                "nxtp_updater_updates_adopted_total",
                "Signatures of an earlier run found on a chain and reused instead of signing anew",
            )?,
            updates_sent: IntCounter::new(
                "nxtp_updater_updates_sent_total",
                "Home.update transactions sent (each update once)",
            )?,
            checkpoints: IntCounter::new(
                "nxtp_updater_checkpoints_total",
                "Home.checkpoint transactions sent",
            )?,
            last_signed_count: IntGauge::new(
                "nxtp_updater_last_signed_count",
                "Messages covered by the newest root this updater signed",
            )?,
            committed_count: IntGauge::new(
                "nxtp_updater_committed_count",
                "Messages covered by the Home's committed root at the confirmed block",
            )?,
            final_block: IntGauge::new(
                "nxtp_updater_final_block",
                "The origin's newest final block when a root to sign was last looked for",
            )?,
        };
        registry.register(Box::new(metrics.roots_signed.clone()))?;
        registry.register(Box::new(metrics.updates_adopted.clone()))?;
        registry.register(Box::new(metrics.updates_sent.clone()))?;
        registry.register(Box::new(metrics.checkpoints.clone()))?;
        registry.register(Box::new(metrics.last_signed_count.clone()))?;
        registry.register(Box::new(metrics.committed_count.clone()))?;
        registry.register(Box::new(metrics.final_block.clone()))?;
        Ok(metrics)
    }
}
