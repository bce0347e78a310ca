//! Follows one domain's `Connext` as an origin: every confirmed `XCalled` to a served destination
//! and every native `RelayerFeesIncreased`, recorded in the same transaction as the indexer's
//! cursor, so a restart neither misses nor double-counts one.

use crate::{
    error::SequencerError,
    shared::Shared,
    store::{self, NewTransfer},
};
use alloy::{primitives::Address, rpc::types::Log, sol_types::SolEvent};
use nxtp_agent::{CancellationToken, Health, Store};
use nxtp_bindings::{BadEvent, Connext, XCalled};
use nxtp_chain::{Batch, Follower, Indexer};
use nxtp_liquidity::NativeFee;
use nxtp_primitives::Domain;
use std::{collections::BTreeSet, sync::Arc};
use tokio::sync::Notify;

/// The indexer stream (per chain) of a `Connext`'s transfer events.
pub const CONNEXT_STREAM: &str = "sequencer/connext";

/// The events a batch holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct OriginEvents {
    pub(crate) transfers: Vec<NewTransfer>,
    pub(crate) fees: Vec<NativeFee>,
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
    health: Health,
}

impl OriginTask {
    /// The task following `origin` through `indexer`, recording into the shared store and
    /// waking the auction; transfers are kept only when bound to a `served` destination.
    pub(crate) fn new(
        origin: Domain,
        indexer: Indexer,
        shared: &Shared,
        served: BTreeSet<Domain>,
        health: &Health,
    ) -> Self {
        Self {
            origin,
            indexer,
            store: shared.store.clone(),
            served,
            wake: Arc::clone(&shared.auction_wake),
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
                batch.commit(&tx)?;
                tx.commit()
            })
            .await?;
        if fresh {
            self.wake.notify_waiters();
        }
        Ok(())
    }
}

/// The transfers to `served` destinations and the native fees in `logs`.
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
            Some(&Connext::TransferRelayerFeesIncreased::SIGNATURE_HASH) => {
                let event = log
                    .log_decode::<Connext::TransferRelayerFeesIncreased>()
                    .map_err(|err| bad("TransferRelayerFeesIncreased", err.to_string()))?
                    .inner
                    .data;
                if event.asset == Address::ZERO {
                    events.fees.push(NativeFee {
                        transfer_id: event.transferId,
                        amount: event.increase,
                        block,
                        log_index: log.log_index.unwrap_or_default(),
                    });
                }
            }
            _ => {}
        }
    }
    Ok(events)
}
