//! The relayer's metrics, served on `/metrics` with the runtime's `agent` label.

use nxtp_agent::prometheus::{IntCounterVec, Opts, Registry};
use nxtp_api::relayer::{ErrorCode, JobKind};
use nxtp_primitives::Domain;

/// Job counters; clones share the series.
#[derive(Clone, Debug)]
pub struct RelayerMetrics {
    accepted: IntCounterVec,
    repeated: IntCounterVec,
    retried: IntCounterVec,
    refused: IntCounterVec,
    finished: IntCounterVec,
}

impl RelayerMetrics {
    /// Creates the series and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, nxtp_agent::prometheus::Error> {
        let counter = |name: &str, help: &str, labels: &[&str]| {
            IntCounterVec::new(Opts::new(name, help), labels)
        };
        let metrics = Self {
            accepted: counter(
                "nxtp_relayer_jobs_accepted_total",
                "New jobs accepted",
                &["domain", "kind"],
            )?,
            repeated: counter(
                "nxtp_relayer_jobs_repeated_total",
                "Posts of a job already accepted and not failed (nothing more is sent)",
                &["domain", "kind"],
            )?,
            retried: counter(
                "nxtp_relayer_jobs_retried_total",
                "Posts of a failed job, which start a new attempt",
                &["domain", "kind"],
            )?,
            refused: counter(
                "nxtp_relayer_jobs_refused_total",
                "Job posts refused, by error code",
                &["code"],
            )?,
            finished: counter(
                "nxtp_relayer_jobs_finished_total",
                "Job attempts that ended, by outcome (confirmed, or the failure's reason)",
                &["domain", "kind", "outcome"],
            )?,
        };
        registry.register(Box::new(metrics.accepted.clone()))?;
        registry.register(Box::new(metrics.repeated.clone()))?;
        registry.register(Box::new(metrics.retried.clone()))?;
        registry.register(Box::new(metrics.refused.clone()))?;
        registry.register(Box::new(metrics.finished.clone()))?;
        Ok(metrics)
    }

    pub(crate) fn accepted(&self, domain: Domain, kind: JobKind) {
        self.accepted
            .with_label_values(&[&domain.to_string(), kind.as_str()])
            .inc();
    }

    pub(crate) fn repeated(&self, domain: Domain, kind: JobKind) {
        self.repeated
            .with_label_values(&[&domain.to_string(), kind.as_str()])
            .inc();
    }

    pub(crate) fn retried(&self, domain: Domain, kind: JobKind) {
        self.retried
            .with_label_values(&[&domain.to_string(), kind.as_str()])
            .inc();
    }

    pub(crate) fn refused(&self, code: ErrorCode) {
        self.refused.with_label_values(&[code.as_str()]).inc();
    }

    pub(crate) fn finished(&self, domain: Domain, kind: JobKind, outcome: &str) {
        self.finished
            .with_label_values(&[&domain.to_string(), kind.as_str(), outcome])
            .inc();
    }
}
