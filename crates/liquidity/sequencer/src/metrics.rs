//! The sequencer's metrics, served on `/metrics` with the runtime's `agent` label.

use nxtp_agent::prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};
use nxtp_api::sequencer::ErrorCode;
use nxtp_primitives::Domain;
use std::time::Duration;

/// Counters and histograms of one sequencer; clones share the series.
#[derive(Clone, Debug)]
pub struct SequencerMetrics {
    bids_accepted: IntCounterVec,
    bids_rejected: IntCounterVec,
    auctions_decided: IntCounterVec,
    decision_seconds: HistogramVec,
    executions: IntCounterVec,
    early_bids_expired: IntCounterVec,
}

impl SequencerMetrics {
    /// Creates the series and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, nxtp_agent::prometheus::Error> {
        let metrics = Self {
            bids_accepted: IntCounterVec::new(
                Opts::new(
                    "nxtp_sequencer_bids_accepted_total",
                    "Bid requests accepted (repeats included)",
                ),
                &[],
            )?,
            bids_rejected: IntCounterVec::new(
                Opts::new(
                    "nxtp_sequencer_bids_rejected_total",
                    "Bid requests (or, for bids that came before their transfer, path lengths) refused, by code",
                ),
                &["code"],
            )?,
            auctions_decided: IntCounterVec::new(
                Opts::new(
                    "nxtp_sequencer_auctions_decided_total",
                    "Auctions decided, by destination and number of routers",
                ),
                &["destination", "routers"],
            )?,
            decision_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "nxtp_sequencer_decision_seconds",
                    "Time from a transfer's first valid bid to its decision",
                )
                .buckets(vec![0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0]),
                &["destination"],
            )?,
            executions: IntCounterVec::new(
                Opts::new(
                    "nxtp_sequencer_executions_total",
                    "Execute jobs that ended, by outcome (executed or execute_failed)",
                ),
                &["destination", "outcome"],
            )?,
            early_bids_expired: IntCounterVec::new(
                Opts::new(
                    "nxtp_sequencer_early_bids_expired_total",
                    "Bids (path lengths) dropped because their transfer was not seen within early_bid_ttl_secs",
                ),
                &[],
            )?,
        };
        registry.register(Box::new(metrics.early_bids_expired.clone()))?;
        registry.register(Box::new(metrics.bids_accepted.clone()))?;
        registry.register(Box::new(metrics.bids_rejected.clone()))?;
        registry.register(Box::new(metrics.auctions_decided.clone()))?;
        registry.register(Box::new(metrics.decision_seconds.clone()))?;
        registry.register(Box::new(metrics.executions.clone()))?;
        Ok(metrics)
    }

    pub(crate) fn bid_accepted(&self) {
        self.bids_accepted.with_label_values::<&str>(&[]).inc();
    }

    pub(crate) fn bid_rejected(&self, code: ErrorCode) {
        self.bids_rejected.with_label_values(&[code.as_str()]).inc();
    }

    pub(crate) fn decided(&self, destination: Domain, routers: usize, waited: Duration) {
        let destination = destination.to_string();
        self.auctions_decided
            .with_label_values(&[destination.as_str(), &routers.to_string()])
            .inc();
        self.decision_seconds
            .with_label_values(&[destination.as_str()])
            .observe(waited.as_secs_f64());
    }

    pub(crate) fn early_bids_expired(&self, count: usize) {
        self.early_bids_expired
            .with_label_values::<&str>(&[])
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    pub(crate) fn execution_ended(&self, destination: Domain, outcome: &str) {
        self.executions
            .with_label_values(&[&destination.to_string(), outcome])
            .inc();
    }
}
