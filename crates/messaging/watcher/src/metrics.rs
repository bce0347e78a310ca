//! The watcher's metrics, served on `/metrics` with the runtime's `agent` label.

use nxtp_agent::prometheus::{IntCounterVec, IntGauge, Opts, Registry};
use nxtp_primitives::Domain;

/// Counters of one watcher; clones share the series.
#[derive(Clone, Debug)]
pub struct WatcherMetrics {
    updates_seen: IntCounterVec,
    fraud_detected: IntCounterVec,
    home_proofs: IntCounterVec,
    notices_sent: IntCounterVec,
    refused: IntCounterVec,
    unresolved: IntGauge,
}

impl WatcherMetrics {
    /// Creates the series and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, nxtp_agent::prometheus::Error> {
        let counter = |name: &str, help: &str, labels: &[&str]| {
            IntCounterVec::new(Opts::new(name, help), labels)
        };
        let metrics = Self {
            updates_seen: counter(
                "nxtp_watcher_updates_seen_total",
                "Signed updates seen in Update events, by where (home or replica)",
                &["domain", "source"],
            )?,
            fraud_detected: counter(
                "nxtp_watcher_fraud_detected_total",
                "Frauds and threats caught, by origin and kind (improper, double, or unbacked: a Replica root the origin's Home no longer holds after a deep reorg)",
                &["origin", "kind"],
            )?,
            home_proofs: counter(
                "nxtp_watcher_home_proofs_total",
                "Fraud proofs confirmed at an origin's Home",
                &["origin"],
            )?,
            notices_sent: counter(
                "nxtp_watcher_notices_sent_total",
                "Watcher notices confirmed, halting the origin's Replica on the domain",
                &["origin", "domain"],
            )?,
            refused: counter(
                "nxtp_watcher_actions_refused_total",
                "Responses the contracts refused in simulation (never sent)",
                &["origin", "target"],
            )?,
            unresolved: IntGauge::new(
                "nxtp_watcher_unresolved_frauds",
                "Frauds and unbacked-root threats whose response is not complete",
            )?,
        };
        registry.register(Box::new(metrics.updates_seen.clone()))?;
        registry.register(Box::new(metrics.fraud_detected.clone()))?;
        registry.register(Box::new(metrics.home_proofs.clone()))?;
        registry.register(Box::new(metrics.notices_sent.clone()))?;
        registry.register(Box::new(metrics.refused.clone()))?;
        registry.register(Box::new(metrics.unresolved.clone()))?;
        Ok(metrics)
    }

    pub(crate) fn update_seen(&self, domain: Domain, source: &str) {
        self.updates_seen
            .with_label_values(&[&domain.to_string(), source])
            .inc();
    }

    pub(crate) fn fraud_detected(&self, origin: Domain, kind: &str) {
        self.fraud_detected
            .with_label_values(&[&origin.to_string(), kind])
            .inc();
    }

    pub(crate) fn home_proof(&self, origin: Domain) {
        self.home_proofs
            .with_label_values(&[&origin.to_string()])
            .inc();
    }

    pub(crate) fn notice_sent(&self, origin: Domain, domain: Domain) {
        self.notices_sent
            .with_label_values(&[&origin.to_string(), &domain.to_string()])
            .inc();
    }

    pub(crate) fn refused(&self, origin: Domain, target: &str) {
        self.refused
            .with_label_values(&[&origin.to_string(), target])
            .inc();
    }

    pub(crate) fn unresolved(&self, count: usize) {
        self.unresolved
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }
}
