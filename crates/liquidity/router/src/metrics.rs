//! The router's metrics, served on `/metrics` with the runtime's `agent` label.

use nxtp_agent::prometheus::{GaugeVec, IntCounterVec, Opts, Registry};
use nxtp_primitives::Domain;

/// Counters and gauges of one router; clones share the series.
#[derive(Clone, Debug)]
pub struct RouterMetrics {
    transfers_seen: IntCounterVec,
    bids_recorded: IntCounterVec,
    bids_posted: IntCounterVec,
    bids_rejected: IntCounterVec,
    skipped: IntCounterVec,
    balance: GaugeVec,
}

impl RouterMetrics {
    /// Creates the series and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, nxtp_agent::prometheus::Error> {
        let counter = |name: &str, help: &str, labels: &[&str]| {
            IntCounterVec::new(Opts::new(name, help), labels)
        };
        let metrics = Self {
            transfers_seen: counter(
                "nxtp_router_transfers_seen_total",
                "Transfers whose XCalled the router recorded, by origin",
                &["origin"],
            )?,
            bids_recorded: counter(
                "nxtp_router_bids_recorded_total",
                "Bids signed and recorded, by destination",
                &["destination"],
            )?,
            bids_posted: counter(
                "nxtp_router_bids_posted_total",
                "Bids the sequencer acknowledged, by destination",
                &["destination"],
            )?,
            bids_rejected: counter(
                "nxtp_router_bids_rejected_total",
                "Bids the sequencer refused for good, by destination and error code",
                &["destination", "code"],
            )?,
            skipped: counter(
                "nxtp_router_transfers_skipped_total",
                "Decisions not to bid (fee_too_low is re-evaluated when the fee grows), by reason",
                &["destination", "reason"],
            )?,
            balance: GaugeVec::new(
                Opts::new(
                    "nxtp_router_balance",
                    "The router's liquidity in Connext, in base units of the domain's local asset",
                ),
                &["domain", "asset"],
            )?,
        };
        registry.register(Box::new(metrics.transfers_seen.clone()))?;
        registry.register(Box::new(metrics.bids_recorded.clone()))?;
        registry.register(Box::new(metrics.bids_posted.clone()))?;
        registry.register(Box::new(metrics.bids_rejected.clone()))?;
        registry.register(Box::new(metrics.skipped.clone()))?;
        registry.register(Box::new(metrics.balance.clone()))?;
        Ok(metrics)
    }

    pub(crate) fn transfers_seen(&self, origin: Domain, count: usize) {
        self.transfers_seen
            .with_label_values(&[&origin.to_string()])
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    pub(crate) fn bid_recorded(&self, destination: Domain) {
        self.bids_recorded
            .with_label_values(&[&destination.to_string()])
            .inc();
    }

    pub(crate) fn bid_posted(&self, destination: Domain) {
        self.bids_posted
            .with_label_values(&[&destination.to_string()])
            .inc();
    }

    pub(crate) fn bid_rejected(&self, destination: Domain, code: &str) {
        self.bids_rejected
            .with_label_values(&[&destination.to_string(), code])
            .inc();
    }

    pub(crate) fn skipped(&self, destination: Domain, reason: &str) {
        self.skipped
            .with_label_values(&[&destination.to_string(), reason])
            .inc();
    }

    /// Balances beyond 2^53 lose precision as a Prometheus float; a dashboard does not mind.
    pub(crate) fn balance(&self, domain: Domain, asset: &str, balance: f64) {
        self.balance
            .with_label_values(&[&domain.to_string(), asset])
            .set(balance);
    }
}
