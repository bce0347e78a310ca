//! The relayer's own series, beside the chain metrics of its indexers and submitters.

use nxtp_agent::prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};
use nxtp_primitives::Domain;

/// The relayer's metrics; clones share the series.
#[derive(Clone, Debug)]
pub struct MessageRelayerMetrics {
    updates_indexed: IntCounterVec,
    updates_relayed: IntCounterVec,
    relay_failures: IntCounterVec,
    pending_updates: IntGaugeVec,
}

impl MessageRelayerMetrics {
    /// Creates the series and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, nxtp_agent::prometheus::Error> {
        let route = &["origin", "destination"];
        let metrics = Self {
            updates_indexed: IntCounterVec::new(
                Opts::new(
                    "nxtp_message_relayer_updates_indexed_total",
                    "Home updates read at the confirmation depth (re-deliveries after a reorg included)",
                ),
                &["origin"],
            )?,
            updates_relayed: IntCounterVec::new(
                Opts::new(
                    "nxtp_message_relayer_updates_relayed_total",
                    "Replica.update transactions sent (each relay once)",
                ),
                route,
            )?,
            relay_failures: IntCounterVec::new(
                Opts::new(
                    "nxtp_message_relayer_relay_failures_total",
                    "Replica.update transactions that failed (retried under a fresh key)",
                ),
                route,
            )?,
            pending_updates: IntGaugeVec::new(
                Opts::new(
                    "nxtp_message_relayer_pending_updates",
                    "Home updates a Replica still lacks, as far as the relayer has indexed",
                ),
                route,
            )?,
        };
        registry.register(Box::new(metrics.updates_indexed.clone()))?;
        registry.register(Box::new(metrics.updates_relayed.clone()))?;
        registry.register(Box::new(metrics.relay_failures.clone()))?;
        registry.register(Box::new(metrics.pending_updates.clone()))?;
        Ok(metrics)
    }

    pub(crate) fn indexed(&self, origin: Domain, updates: usize) {
        self.updates_indexed
            .with_label_values(&[&origin.to_string()])
            .inc_by(updates as u64);
    }

    pub(crate) fn relayed(&self, origin: Domain, destination: Domain) {
        self.updates_relayed
            .with_label_values(&[&origin.to_string(), &destination.to_string()])
            .inc();
    }

    pub(crate) fn relay_failed(&self, origin: Domain, destination: Domain) {
        self.relay_failures
            .with_label_values(&[&origin.to_string(), &destination.to_string()])
            .inc();
    }

    pub(crate) fn pending(&self, origin: Domain, destination: Domain, pending: u64) {
        self.pending_updates
            .with_label_values(&[&origin.to_string(), &destination.to_string()])
            .set(i64::try_from(pending).unwrap_or(i64::MAX));
    }
}
