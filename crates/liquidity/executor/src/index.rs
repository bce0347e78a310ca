//! Follows one domain's `Connext`: every `XCalled` (the params of transfers leaving it), every
//! `TransferRelayerFeesIncreased` with its asset (what they paid the relayer) and every `Reconciled` with no
//! routers (transfers arriving that wait for the slow path), recorded with the indexer's cursor
//! in one transaction.
//!
//! A deep reorg needs little undoing here: a record of a transfer that left the chain is
//! harmless, since a transfer is executed only while its destination says it is `Reconciled`;
//! fees recorded from the re-delivered blocks on are forgotten and read again.

use crate::{error::ExecutorError, metrics::ExecutorMetrics, store};
use alloy::{rpc::types::Log, sol_types::SolEvent};
use nxtp_agent::{CancellationToken, Health, Store};
use nxtp_bindings::{BadEvent, Connext, XCalled};
use nxtp_chain::{Batch, Follower, Indexer};
use nxtp_liquidity::RelayerFee;
use nxtp_primitives::{Domain, TransferInfo};
use std::sync::Arc;
use tokio::sync::Notify;

/// What a batch holds that matters.
#[derive(Debug, PartialEq, Eq)]
enum Event {
    XCalled {
        transfer_id: alloy::primitives::B256,
        params: Box<TransferInfo>,
        block: u64,
    },
    Reconciled {
        transfer_id: alloy::primitives::B256,
        block: u64,
    },
    /// A relayer fee paid (or bumped) on this domain, native or in an asset.
    Fee(RelayerFee),
}

/// The task following one domain's `Connext`.
pub(crate) struct IndexTask {
    pub(crate) domain: Domain,
    pub(crate) indexer: Indexer,
    pub(crate) store: Store,
    pub(crate) metrics: ExecutorMetrics,
    pub(crate) health: Health,
    /// Woken when a reconciled transfer or params are recorded.
    pub(crate) wake: Arc<Notify>,
}

impl IndexTask {
    /// Follows the `Connext` until `shutdown`; RPC failures are retried with backoff.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) -> Result<(), ExecutorError> {
        let mut follower = Follower::new("cannot read the Connext")
            .health(self.health.clone(), format!("connext {}", self.domain));
        while let Some(batch) = follower.next(&mut self.indexer, &shutdown).await? {
            self.record(batch).await?;
        }
        Ok(())
    }

    async fn record(&self, batch: Batch) -> Result<(), ExecutorError> {
        if let Some(reorg) = &batch.reorg {
            tracing::warn!(domain = %self.domain, ?reorg, "deep reorg: reading the Connext again");
        }
        let events = batch
            .logs
            .iter()
            .map(|log| Self::decode(self.domain, log))
            .collect::<Result<Vec<_>, _>>()?;
        let domain = self.domain;
        let new = self
            .store
            .call(move |conn| {
                let tx = conn.transaction()?;
                if let Some(reorg) = &batch.reorg {
                    store::FEES.forget_from(&tx, domain, reorg.resume_from)?;
                }
                let mut new = Vec::new();
                for event in events.iter().flatten() {
                    match event {
                        Event::XCalled {
                            transfer_id,
                            params,
                            block,
                        } => store::record_xcalled(&tx, *transfer_id, domain, params, *block)?,
                        Event::Reconciled { transfer_id, block } => {
                            if store::record_reconciled(&tx, *transfer_id, domain, *block)? {
                                new.push(*transfer_id);
                            }
                        }
                        Event::Fee(fee) => store::record_fee(&tx, domain, fee)?,
                    }
                }
                batch.commit(&tx)?;
                tx.commit()?;
                Ok(new)
            })
            .await?;
        for transfer_id in &new {
            self.metrics.reconciled(domain);
            tracing::info!(%transfer_id, destination = %domain, "reconciled with no routers: slow path");
        }
        self.wake.notify_one();
        Ok(())
    }

    fn decode(domain: Domain, log: &Log) -> Result<Option<Event>, ExecutorError> {
        let block = log.block_number.unwrap_or_default();
        let bad = |event, reason: String| {
            ExecutorError::from(BadEvent::new(domain, event, block, reason))
        };
        Ok(match log.topic0() {
            Some(&Connext::XCalled::SIGNATURE_HASH) => {
                let event = XCalled::decode(&log.inner, domain)
                    .map_err(|err| bad("XCalled", err.to_string()))?;
                Some(Event::XCalled {
                    transfer_id: event.transfer_id,
                    params: Box::new(event.params),
                    block,
                })
            }
            Some(&Connext::Reconciled::SIGNATURE_HASH) => {
                let event = log
                    .log_decode::<Connext::Reconciled>()
                    .map_err(|err| bad("Reconciled", err.to_string()))?
                    .inner
                    .data;
                // With routers the transfer was fronted and is now complete.
                event.routers.is_empty().then_some(Event::Reconciled {
                    transfer_id: event.transferId,
                    block,
                })
            }
            Some(&Connext::TransferRelayerFeesIncreased::SIGNATURE_HASH) => {
                // Kept whatever the asset: the valuation decides what it is worth.
                let fee = RelayerFee::from_log(log)
                    .map_err(|err| bad("TransferRelayerFeesIncreased", err.to_string()))?;
                Some(Event::Fee(fee))
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, B256, U256};

    #[test]
    fn fees_in_an_asset_are_kept() {
        let token = Address::repeat_byte(0x77);
        let event = Connext::TransferRelayerFeesIncreased {
            transferId: B256::repeat_byte(1),
            increase: U256::from(9),
            asset: token,
            caller: Address::repeat_byte(2),
        };
        let log = Log {
            inner: alloy::primitives::Log {
                address: Address::repeat_byte(3),
                data: event.encode_log_data(),
            },
            block_number: Some(7),
            log_index: Some(4),
            ..Log::default()
        };
        assert_eq!(
            IndexTask::decode(Domain(1000), &log).expect("decodes"),
            Some(Event::Fee(RelayerFee {
                transfer_id: B256::repeat_byte(1),
                asset: token,
                amount: U256::from(9),
                block: 7,
                log_index: 4,
            }))
        );
    }
}
