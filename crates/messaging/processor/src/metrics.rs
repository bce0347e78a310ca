//! The processor's metrics, served on `/metrics` with the runtime's `agent` label.

use nxtp_agent::prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};
use nxtp_primitives::Domain;

/// Counters and gauges of one processor; clones share the series.
#[derive(Clone, Debug)]
pub struct ProcessorMetrics {
    leaves_indexed: IntCounterVec,
    ops_submitted: IntCounterVec,
    messages_submitted: IntCounterVec,
    delivered: IntCounterVec,
    handle_failures: IntCounterVec,
    ops_failed: IntCounterVec,
    backlog: IntGaugeVec,
}

impl ProcessorMetrics {
    /// Creates the series and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, nxtp_agent::prometheus::Error> {
        let counter = |name: &str, help: &str, labels: &[&str]| {
            IntCounterVec::new(Opts::new(name, help), labels)
        };
        let metrics = Self {
            leaves_indexed: counter(
                "nxtp_processor_leaves_indexed_total",
                "Leaves of an origin's tree indexed from its Home",
                &["origin"],
            )?,
            ops_submitted: counter(
                "nxtp_processor_ops_submitted_total",
                "Transactions handed to the submitter, by kind (batch or retry)",
                &["destination", "kind"],
            )?,
            messages_submitted: counter(
                "nxtp_processor_messages_submitted_total",
                "Messages put into a transaction (a retried message counts again)",
                &["destination"],
            )?,
            delivered: counter(
                "nxtp_processor_messages_delivered_total",
                "Messages whose Processed event was seen",
                &["destination"],
            )?,
            handle_failures: counter(
                "nxtp_processor_handle_failures_total",
                "ProcessFailed events seen: a recipient's handle reverted",
                &["destination"],
            )?,
            ops_failed: counter(
                "nxtp_processor_ops_failed_total",
                "Transactions that ended failed, by reason",
                &["destination", "reason"],
            )?,
            backlog: IntGaugeVec::new(
                Opts::new(
                    "nxtp_processor_backlog",
                    "Undelivered messages to a destination, by status",
                ),
                &["destination", "status"],
            )?,
        };
        registry.register(Box::new(metrics.leaves_indexed.clone()))?;
        registry.register(Box::new(metrics.ops_submitted.clone()))?;
        registry.register(Box::new(metrics.messages_submitted.clone()))?;
        registry.register(Box::new(metrics.delivered.clone()))?;
        registry.register(Box::new(metrics.handle_failures.clone()))?;
        registry.register(Box::new(metrics.ops_failed.clone()))?;
        registry.register(Box::new(metrics.backlog.clone()))?;
        Ok(metrics)
    }

    pub(crate) fn leaves_indexed(&self, origin: Domain, count: usize) {
        self.leaves_indexed
            .with_label_values(&[&origin.to_string()])
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    pub(crate) fn op_submitted(&self, destination: Domain, kind: &str, messages: usize) {
        let destination = destination.to_string();
        self.ops_submitted
            .with_label_values(&[&destination, kind])
            .inc();
        self.messages_submitted
            .with_label_values(&[&destination])
            .inc_by(u64::try_from(messages).unwrap_or(u64::MAX));
    }

    pub(crate) fn delivered(&self, destination: Domain) {
        self.delivered
            .with_label_values(&[&destination.to_string()])
            .inc();
    }

    pub(crate) fn handle_failed(&self, destination: Domain) {
        self.handle_failures
            .with_label_values(&[&destination.to_string()])
            .inc();
    }

    pub(crate) fn op_failed(&self, destination: Domain, reason: &str) {
        self.ops_failed
            .with_label_values(&[&destination.to_string(), reason])
            .inc();
    }

    pub(crate) fn backlog(&self, destination: Domain, status: &str, count: i64) {
        self.backlog
            .with_label_values(&[&destination.to_string(), status])
            .set(count);
    }
}
