//! Counters for the indexer and the submitter, registered in the agent's registry so they appear
//! on its `/metrics` with the `agent` label the runtime adds.

use nxtp_agent::prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};
use nxtp_primitives::Domain;

/// The chain metrics of one agent. Clones share the series; one set serves every chain and
/// stream of the agent, told apart by labels.
#[derive(Clone, Debug)]
pub struct ChainMetrics {
    logs_delivered: IntCounterVec,
    indexed_block: IntGaugeVec,
    deep_reorgs: IntCounterVec,
    txs_sent: IntCounterVec,
    fee_bumps: IntCounterVec,
    txs_confirmed: IntCounterVec,
    tx_failures: IntCounterVec,
}

const STREAM_LABELS: &[&str] = &["chain", "stream"];
const CHAIN_LABELS: &[&str] = &["chain"];
const FAILURE_LABELS: &[&str] = &["chain", "reason"];

impl ChainMetrics {
    /// Creates the series and registers them in `registry`; fails if this agent already did.
    pub fn register(registry: &Registry) -> Result<Self, nxtp_agent::prometheus::Error> {
        let metrics = Self::detached()?;
        registry.register(Box::new(metrics.logs_delivered.clone()))?;
        registry.register(Box::new(metrics.indexed_block.clone()))?;
        registry.register(Box::new(metrics.deep_reorgs.clone()))?;
        registry.register(Box::new(metrics.txs_sent.clone()))?;
        registry.register(Box::new(metrics.fee_bumps.clone()))?;
        registry.register(Box::new(metrics.txs_confirmed.clone()))?;
        registry.register(Box::new(metrics.tx_failures.clone()))?;
        Ok(metrics)
    }

    /// Series registered nowhere: for components whose owner exports no metrics.
    pub fn detached() -> Result<Self, nxtp_agent::prometheus::Error> {
        let counter = |name: &str, help: &str, labels: &[&str]| {
            IntCounterVec::new(Opts::new(name, help), labels)
        };
        Ok(Self {
            logs_delivered: counter(
                "nxtp_chain_logs_delivered_total",
                "Logs handed to the agent by an indexer (re-deliveries after a reorg included)",
                STREAM_LABELS,
            )?,
            indexed_block: IntGaugeVec::new(
                Opts::new(
                    "nxtp_chain_indexed_block",
                    "Last block an indexer delivered",
                ),
                STREAM_LABELS,
            )?,
            deep_reorgs: counter(
                "nxtp_chain_deep_reorgs_total",
                "Reorgs that replaced blocks an indexer had already delivered",
                STREAM_LABELS,
            )?,
            txs_sent: counter(
                "nxtp_chain_txs_sent_total",
                "Operations whose first transaction was signed and broadcast",
                CHAIN_LABELS,
            )?,
            fee_bumps: counter(
                "nxtp_chain_fee_bumps_total",
                "Replacement transactions with bumped fees",
                CHAIN_LABELS,
            )?,
            txs_confirmed: counter(
                "nxtp_chain_txs_confirmed_total",
                "Operations confirmed at the configured depth",
                CHAIN_LABELS,
            )?,
            tx_failures: counter(
                "nxtp_chain_tx_failures_total",
                "Operations that ended failed, by reason",
                FAILURE_LABELS,
            )?,
        })
    }

    pub(crate) fn logs_delivered(&self, chain: Domain, stream: &str, count: usize) {
        let count = u64::try_from(count).unwrap_or(u64::MAX);
        self.logs_delivered
            .with_label_values(&[&chain.to_string(), stream])
            .inc_by(count);
    }

    pub(crate) fn indexed_block(&self, chain: Domain, stream: &str, block: u64) {
        self.indexed_block
            .with_label_values(&[&chain.to_string(), stream])
            .set(i64::try_from(block).unwrap_or(i64::MAX));
    }

    pub(crate) fn deep_reorg(&self, chain: Domain, stream: &str) {
        self.deep_reorgs
            .with_label_values(&[&chain.to_string(), stream])
            .inc();
    }

    pub(crate) fn tx_sent(&self, chain: Domain) {
        self.txs_sent.with_label_values(&[&chain.to_string()]).inc();
    }

    pub(crate) fn fee_bump(&self, chain: Domain) {
        self.fee_bumps
            .with_label_values(&[&chain.to_string()])
            .inc();
    }

    pub(crate) fn tx_confirmed(&self, chain: Domain) {
        self.txs_confirmed
            .with_label_values(&[&chain.to_string()])
            .inc();
    }

    pub(crate) fn tx_failed(&self, chain: Domain, reason: &str) {
        self.tx_failures
            .with_label_values(&[&chain.to_string(), reason])
            .inc();
    }

    /// How many deep reorgs were reported for `stream` on `chain`.
    pub fn deep_reorg_count(&self, chain: Domain, stream: &str) -> u64 {
        self.deep_reorgs
            .with_label_values(&[&chain.to_string(), stream])
            .get()
    }

    /// How many fee bumps were sent on `chain`.
    pub fn fee_bump_count(&self, chain: Domain) -> u64 {
        self.fee_bumps
            .with_label_values(&[&chain.to_string()])
            .get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_every_series_once() {
        let registry = Registry::new();
        let metrics = ChainMetrics::register(&registry).expect("registers");
        metrics.deep_reorg(Domain(1000), "dispatch");
        metrics.fee_bump(Domain(1000));
        metrics.tx_failed(Domain(2000), "reverted");
        let names: Vec<String> = registry
            .gather()
            .iter()
            .map(|family| family.name().to_owned())
            .collect();
        for name in [
            "nxtp_chain_deep_reorgs_total",
            "nxtp_chain_fee_bumps_total",
            "nxtp_chain_tx_failures_total",
        ] {
            assert!(
                names.iter().any(|found| found == name),
                "{name} in {names:?}"
            );
        }
        assert_eq!(metrics.deep_reorg_count(Domain(1000), "dispatch"), 1);
        assert_eq!(metrics.fee_bump_count(Domain(1000)), 1);
        assert!(
            ChainMetrics::register(&registry).is_err(),
            "registered twice"
        );
    }
}
