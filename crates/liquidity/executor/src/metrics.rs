//! The executor's metrics, served on `/metrics` with the runtime's `agent` label.

use nxtp_agent::prometheus::{IntCounterVec, Opts, Registry};
use nxtp_primitives::Domain;

/// Counters of one executor; clones share the series.
#[derive(Clone, Debug)]
pub struct ExecutorMetrics {
    reconciled: IntCounterVec,
    posted: IntCounterVec,
    failed: IntCounterVec,
    done: IntCounterVec,
    skipped: IntCounterVec,
}

impl ExecutorMetrics {
    /// Creates the series and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, nxtp_agent::prometheus::Error> {
        let counter = |name: &str, help: &str, labels: &[&str]| {
            IntCounterVec::new(Opts::new(name, help), labels)
        };
        let metrics = Self {
            reconciled: counter(
                "nxtp_executor_reconciled_total",
                "Transfers reconciled with no routers: the slow path's work",
                &["destination"],
            )?,
            posted: counter(
                "nxtp_executor_jobs_posted_total",
                "Execute jobs posted to the relayer (a retry counts again)",
                &["destination"],
            )?,
            failed: counter(
                "nxtp_executor_jobs_failed_total",
                "Execute jobs that failed while the transfer still waited",
                &["destination"],
            )?,
            done: counter(
                "nxtp_executor_transfers_done_total",
                "Slow-path transfers completed, by who executed them",
                &["destination", "outcome"],
            )?,
            skipped: counter(
                "nxtp_executor_transfers_skipped_total",
                "Reconciled transfers this executor declined to relay, by reason \
                 (relayer_fee_below_floor: the native fee paid on the origin is below min_relayer_fee)",
                &["destination", "reason"],
            )?,
        };
        registry.register(Box::new(metrics.skipped.clone()))?;
        registry.register(Box::new(metrics.reconciled.clone()))?;
        registry.register(Box::new(metrics.posted.clone()))?;
        registry.register(Box::new(metrics.failed.clone()))?;
        registry.register(Box::new(metrics.done.clone()))?;
        Ok(metrics)
    }

    pub(crate) fn reconciled(&self, destination: Domain) {
        self.reconciled
            .with_label_values(&[&destination.to_string()])
            .inc();
    }

    pub(crate) fn posted(&self, destination: Domain) {
        self.posted
            .with_label_values(&[&destination.to_string()])
            .inc();
    }

    pub(crate) fn failed(&self, destination: Domain) {
        self.failed
            .with_label_values(&[&destination.to_string()])
            .inc();
    }

    pub(crate) fn skipped(&self, destination: Domain, reason: &str) {
        self.skipped
            .with_label_values(&[&destination.to_string(), reason])
            .inc();
    }

    pub(crate) fn done(&self, destination: Domain, outcome: &str) {
        self.done
            .with_label_values(&[&destination.to_string(), outcome])
            .inc();
    }
}
