//! Follows one origin's `Connext`: every `XCalled` and every native `RelayerFeesIncreased`, into the
//! database in the same transaction as the indexer's cursor.

use crate::{
    config::RouterConfig,
    decision::screen,
    error::{transport_error, Failure, RouterError},
    metrics::RouterMetrics,
    store::{self, NewTransfer},
};
use alloy::{
    eips::BlockNumberOrTag,
    providers::{DynProvider, Provider},
    rpc::types::Log,
    sol_types::SolEvent,
};
use nxtp_agent::{CancellationToken, Health, Store};
use nxtp_bindings::{BadEvent, Connext, XCalled};
use nxtp_chain::{Batch, Follower, Indexer};
use nxtp_liquidity::RelayerFee;
use nxtp_primitives::Domain;
use std::{collections::BTreeMap, sync::Arc};
use tokio::sync::Notify;

/// The indexer stream (per chain) of a `Connext`'s transfer events.
pub const STREAM: &str = "router/xcalls";

/// The task following one origin's `Connext`.
pub(crate) struct OriginTask {
    pub(crate) origin: Domain,
    pub(crate) indexer: Indexer,
    pub(crate) provider: DynProvider,
    pub(crate) store: Store,
    pub(crate) config: Arc<RouterConfig>,
    /// The bidders, woken when transfers become due.
    pub(crate) bidders: Vec<Arc<Notify>>,
    pub(crate) metrics: RouterMetrics,
    pub(crate) health: Health,
}

impl OriginTask {
    /// Follows the `Connext` until `shutdown`; transient RPC failures are retried with backoff.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) -> Result<(), RouterError> {
        let mut follower = Follower::new("cannot read the Connext")
            .health(self.health.clone(), format!("xcalls {}", self.origin));
        while let Some(batch) = follower.next(&mut self.indexer, &shutdown).await? {
            if let Err(failure) = self.handle(batch).await {
                follower.failed(failure.into_retry()?);
            }
        }
        Ok(())
    }

    /// Records one batch; after a transient failure it is polled again. An event that cannot be
    /// read is fatal: a retry would not fix it, and skipping it could hide a transfer.
    async fn handle(&mut self, batch: Batch) -> Result<(), Failure> {
        let (transfers, fees) = self.decode(&batch.logs).await?;
        let origin = self.origin;
        let reorg_from = batch.reorg.as_ref().map(|reorg| reorg.resume_from);
        let recorded = self
            .store
            .call(move |conn| {
                let tx = conn.transaction()?;
                if let Some(from) = reorg_from {
                    store::forget_from(&tx, origin, from)?;
                }
                let recorded = store::record_origin_events(&tx, origin, &transfers, &fees)?;
                batch.commit(&tx)?;
                tx.commit()?;
                Ok(recorded)
            })
            .await?;
        if recorded.new_transfers > 0 {
            self.metrics.transfers_seen(origin, recorded.new_transfers);
            tracing::info!(%origin, transfers = recorded.new_transfers, "transfers recorded");
        }
        for (destination, reason) in &recorded.screened {
            self.metrics.skipped(*destination, reason);
        }
        if recorded.new_transfers > recorded.screened.len() || recorded.woken > 0 {
            for bidder in &self.bidders {
                bidder.notify_one();
            }
        }
        Ok(())
    }

    async fn decode(&self, logs: &[Log]) -> Result<(Vec<NewTransfer>, Vec<RelayerFee>), Failure> {
        let mut transfers = Vec::new();
        let mut fees = Vec::new();
        let mut timestamps: BTreeMap<u64, u64> = BTreeMap::new();
        for log in logs {
            let block = log.block_number.unwrap_or_default();
            let bad = |event, reason: String| {
                Failure::Fatal(BadEvent::new(self.origin, event, block, reason).into())
            };
            match log.topic0() {
                Some(&Connext::XCalled::SIGNATURE_HASH) => {
                    let XCalled {
                        transfer_id: id,
                        params: info,
                        ..
                    } = XCalled::decode(&log.inner, self.origin)
                        .map_err(|err| bad("XCalled", err.to_string()))?;
                    let xcalled_at = match log.block_timestamp.or(timestamps.get(&block).copied()) {
                        Some(at) => at,
                        None => {
                            let at = self.block_timestamp(block).await?;
                            timestamps.insert(block, at);
                            at
                        }
                    };
                    let screened = screen(&info, &self.config);
                    transfers.push(NewTransfer {
                        id,
                        info,
                        block,
                        xcalled_at,
                        screened,
                    });
                }
                Some(&Connext::TransferRelayerFeesIncreased::SIGNATURE_HASH) => {
                    // Kept whatever the asset: the sequencer's quote says what it is worth.
                    let fee = RelayerFee::from_log(log)
                        .map_err(|err| bad("TransferRelayerFeesIncreased", err.to_string()))?;
                    fees.push(fee);
                }
                _ => {}
            }
        }
        Ok((transfers, fees))
    }

    async fn block_timestamp(&self, number: u64) -> Result<u64, Failure> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(|err| Failure::Retry(transport_error(err)))?
            .ok_or_else(|| Failure::Retry(format!("block {number} is not available")))?;
        Ok(block.header.timestamp)
    }
}
