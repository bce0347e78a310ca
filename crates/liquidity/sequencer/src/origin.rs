//! Follows one domain's `Connext` as an origin: every confirmed `XCalled` to a served destination
//! and every native `RelayerFeesIncreased`, recorded in the same transaction as the indexer's
//! cursor, so a restart neither misses nor double-counts one. The same logs hold the domain's
//! `Executed` as a destination ([`crate::executed`]): the final outcome of each execute.

use crate::{
    error::SequencerError,
    executed::{self, ExecutedOnChain},
    shared::Shared,
    store::{self, NewTransfer},
};
use alloy::{rpc::types::Log, sol_types::SolEvent};
use nxtp_agent::{CancellationToken, Health, Store};
use nxtp_bindings::{BadEvent, Connext, XCalled};
use nxtp_chain::{Batch, Follower, Indexer};
use nxtp_liquidity::RelayerFee;
use nxtp_primitives::Domain;
use std::{collections::BTreeSet, sync::Arc};
use tokio::sync::Notify;

/// The indexer stream (per chain) of a `Connext`'s transfer events.
pub const CONNEXT_STREAM: &str = "sequencer/connext";

/// The events a batch holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct OriginEvents {
    pub(crate) transfers: Vec<NewTransfer>,
    pub(crate) fees: Vec<RelayerFee>,
    /// Executes on this domain as a destination.
    pub(crate) executed: Vec<ExecutedOnChain>,
}

/// The task following one origin.
pub(crate) struct OriginTask {
    origin: Domain,
    indexer: Indexer,
    store: Store,
    /// Transfers to other destinations are not the sequencer's business.
    served: BTreeSet<Domain>,
    /// Woken when something new is recorded.
    wake: Arc<Notify>,
    /// Woken when an execute is seen on chain.
    dispatch_wake: Arc<Notify>,
    health: Health,
}

impl OriginTask {
    /// The task following `origin` through `indexer`, recording into the shared store and
    /// waking the auction (and the dispatch, `dispatch_wake`, for executes); transfers are kept
    /// only when bound to a `served` destination.
    pub(crate) fn new(
        origin: Domain,
        indexer: Indexer,
        shared: &Shared,
        served: BTreeSet<Domain>,
        health: &Health,
        dispatch_wake: &Arc<Notify>,
    ) -> Self {
        Self {
            origin,
            indexer,
            store: shared.store.clone(),
            served,
            wake: Arc::clone(&shared.auction_wake),
            dispatch_wake: Arc::clone(dispatch_wake),
            health: health.clone(),
        }
    }

    /// Follows the origin until `shutdown`; transient RPC failures are retried with backoff.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) -> Result<(), SequencerError> {
        let mut follower = Follower::new("cannot read the Connext")
            .health(self.health.clone(), format!("origin {}", self.origin));
        while let Some(batch) = follower.next(&mut self.indexer, &shutdown).await? {
            self.handle(batch).await?;
        }
        Ok(())
    }

    async fn handle(&self, batch: Batch) -> Result<(), SequencerError> {
        let events = decode(self.origin, &self.served, &batch.logs)?;
        let origin = self.origin;
        let reorg_from = batch.reorg.as_ref().map(|reorg| reorg.resume_from);
        let fresh = !events.transfers.is_empty() || !events.fees.is_empty();
        let executes = !events.executed.is_empty();
        for transfer in &events.transfers {
            tracing::info!(%origin, transfer_id = %transfer.transfer_id, destination = transfer.params.destinationDomain, "transfer confirmed");
        }
        self.store
            .call(move |conn| {
                let tx = conn.transaction()?;
                store::record_origin_events(
                    &tx,
                    origin,
                    &events.transfers,
                    &events.fees,
                    reorg_from,
                )?;
                executed::record(&tx, origin, &events.executed, reorg_from)?;
                batch.commit(&tx)?;
                tx.commit()
            })
            .await?;
        if fresh {
            self.wake.notify_waiters();
        }
        if executes {
            // The dispatch ends the jobs of these transfers without asking the relayer.
            self.dispatch_wake.notify_one();
        }
        Ok(())
    }
}

/// The transfers to `served` destinations and the relayer fees (any asset) in `logs`.
pub(crate) fn decode(
    origin: Domain,
    served: &BTreeSet<Domain>,
    logs: &[Log],
) -> Result<OriginEvents, SequencerError> {
    let mut events = OriginEvents::default();
    for log in logs {
        let block = log.block_number.unwrap_or_default();
        let bad = |event, reason| SequencerError::from(BadEvent::new(origin, event, block, reason));
        match log.topic0() {
            Some(&Connext::XCalled::SIGNATURE_HASH) => {
                // The id is what every signature commits to: an event whose id does not hash its
                // params would make the whole auction worthless, so it is never recorded.
                let event = XCalled::decode(&log.inner, origin)
                    .map_err(|err| bad("XCalled", err.to_string()))?;
                if served.contains(&Domain(event.params.destinationDomain)) {
                    events.transfers.push(NewTransfer {
                        transfer_id: event.transfer_id,
                        params: event.params,
                        block,
                    });
                }
            }
            Some(&Connext::Executed::SIGNATURE_HASH) => {
                let execute = ExecutedOnChain::from_log(log)
                    .ok_or_else(|| bad("Executed", "undecodable or pending".to_owned()))?;
                events.executed.push(execute);
            }
            Some(&Connext::TransferRelayerFeesIncreased::SIGNATURE_HASH) => {
                // Kept whatever the asset: the valuation decides what it is worth.
                let fee = RelayerFee::from_log(log)
                    .map_err(|err| bad("TransferRelayerFeesIncreased", err.to_string()))?;
                events.fees.push(fee);
            }
            _ => {}
        }
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, B256, U256};
    use nxtp_liquidity::NATIVE;

    fn fee_log(asset: Address, amount: u64, log_index: u64) -> Log {
        let event = Connext::TransferRelayerFeesIncreased {
            transferId: B256::repeat_byte(1),
            increase: U256::from(amount),
            asset,
            caller: Address::repeat_byte(2),
        };
        Log {
            inner: alloy::primitives::Log {
                address: Address::repeat_byte(3),
                data: event.encode_log_data(),
            },
            block_number: Some(7),
            log_index: Some(log_index),
            ..Log::default()
        }
    }

    #[test]
    fn fees_are_kept_with_their_asset() {
        let token = Address::repeat_byte(0x77);
        let logs = [fee_log(NATIVE, 5, 0), fee_log(token, 9, 1)];
        let events = decode(Domain(1000), &BTreeSet::new(), &logs).expect("decodes");
        let fee = |asset, amount, log_index| RelayerFee {
            transfer_id: B256::repeat_byte(1),
            asset,
            amount: U256::from(amount),
            block: 7,
            log_index,
        };
        assert_eq!(events.fees, [fee(NATIVE, 5, 0), fee(token, 9, 1)]);
    }
}
