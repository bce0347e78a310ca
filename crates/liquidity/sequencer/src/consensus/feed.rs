//! [`Feed`]: from the sequencer's store and the destinations into the consensus node's view and
//! bid pool.

use super::{ChainView, TICK};
use crate::{
    auction::verify_early_bids,
    config::ConsensusConfig,
    destination::{Destination, ReadError},
    error::SequencerError,
    executed,
    shared::Shared,
    store::{self, OpenAuction},
};
use alloy::primitives::{Address, B256};
use nxtp_agent::{clock::now_ms, CancellationToken, Health};
use nxtp_consensus::{BidPool, Pool, SignedBid, TransferSource, TransferTerms};
use nxtp_primitives::{fees, Domain, TransferInfo};
use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    sync::{Arc, PoisonError},
};

/// The `/health` stream of the feed's destination reads.
const FEED_STREAM: &str = "consensus feed";

/// Feeds the consensus node from the sequencer's store and the destinations (see the module
/// docs).
pub(crate) struct Feed {
    pub(crate) shared: Arc<Shared>,
    pub(crate) view: Arc<ChainView>,
    pub(crate) pool: BidPool,
    pub(crate) health: Health,
    /// The last row of the executes table already read.
    executed_row: i64,
    /// The bids already in the pool: adding one again would wake an idle proposer for nothing.
    fed: HashSet<(B256, Address, u32)>,
    /// The routers of the genesis ledger, by destination: their approval is read from the
    /// start, so the first bid of a router posted to another node does not cost a nil round.
    genesis_routers: BTreeSet<(u32, Address)>,
}

impl Feed {
    /// A feed of `pool` and `view` from `shared`, reading the approval of the routers of
    /// `config`'s genesis ledger from the start.
    pub(crate) fn new(
        shared: Arc<Shared>,
        view: Arc<ChainView>,
        pool: BidPool,
        health: Health,
        config: &ConsensusConfig,
    ) -> Self {
        Self {
            shared,
            view,
            pool,
            health,
            executed_row: 0,
            fed: HashSet::new(),
            genesis_routers: config
                .liquidity
                .iter()
                .map(|entry| (entry.domain.get(), entry.router))
                .collect(),
        }
    }

    /// Feeds until `shutdown`: at every bid, transfer or fee (the API and the origins wake it)
    /// and every [`TICK`].
    pub(crate) async fn run(mut self, shutdown: CancellationToken) -> Result<(), SequencerError> {
        let wake = Arc::clone(&self.shared.auction_wake);
        loop {
            self.round().await?;
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = wake.notified() => {}
                () = tokio::time::sleep(TICK) => {}
            }
        }
    }

    /// One look at the store and the destinations. Failing reads are reported on `/health` and
    /// tried again next round; a failing store stops the sequencer.
    pub(crate) async fn round(&mut self) -> Result<(), SequencerError> {
        let after = self.executed_row;
        let ended = self
            .shared
            .store
            .call(move |conn| executed::recorded_since(conn, after))
            .await?;
        if let Some((row, _)) = ended.last() {
            self.executed_row = *row;
            let mut set = self
                .view
                .ended
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            set.extend(ended.iter().map(|(_, id)| *id));
        }

        let awaiting = self
            .shared
            .store
            .call(|conn| store::awaiting_decision(conn))
            .await?;
        let mut failure: Option<ReadError> = None;
        let mut terms = BTreeMap::new();
        let mut routers = BTreeSet::new();
        for auction in awaiting {
            match self.consider(auction, &mut routers).await {
                Ok(Some(found)) => {
                    terms.insert(found.transfer_id, found);
                }
                Ok(None) => {}
                Err(failed) => failure = Some(failed.into_retry()?),
            }
        }
        self.fed.retain(|(id, _, _)| terms.contains_key(id));
        *self
            .view
            .terms
            .write()
            .unwrap_or_else(PoisonError::into_inner) = terms;

        let wanted: BTreeSet<(u32, Address)> = std::mem::take(
            &mut *self
                .view
                .wanted
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let known: Vec<(u32, Address)> = self
            .view
            .approvals
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .copied()
            .collect();
        routers.extend(wanted);
        routers.extend(known);
        routers.extend(self.genesis_routers.iter().copied());
        for (domain, router) in routers {
            let Some(destination) = self.shared.destinations.get(&Domain(domain)) else {
                continue;
            };
            // Cached for a few seconds (`destination::CONSTANTS_TTL`): every round may ask.
            match destination.router_recently_approved(router).await {
                Ok(approved) => {
                    self.view
                        .approvals
                        .write()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert((domain, router), approved);
                }
                Err(err) => failure = Some(err),
            }
        }
        match failure {
            Some(err) => self.health.failing(FEED_STREAM, &err),
            None => self.health.ok(FEED_STREAM),
        }
        Ok(())
    }

    /// The terms of one transfer awaiting a decision, once its relayer fee is paid and its
    /// destination is served; its valid bids go to the pool.
    async fn consider(
        &mut self,
        auction: OpenAuction,
        routers: &mut BTreeSet<(u32, Address)>,
    ) -> Result<Option<TransferTerms>, crate::auction::StepError> {
        let OpenAuction {
            transfer,
            mut bids,
            fee_paid,
        } = auction;
        let shared = &self.shared;
        let Some(destination) = shared.destinations.get(&transfer.destination()) else {
            return Ok(None);
        };
        let id = transfer.transfer_id;
        let paid = shared.pricing.paid_value(transfer.origin(), id, &fee_paid);
        if paid < shared.pricing.relayer_fee(transfer.destination()) {
            return Ok(None);
        }
        let known = self.view.terms(&id);
        let terms = match known {
            Some(terms) => terms,
            None => match terms_of(destination, id, &transfer.params).await? {
                Some(terms) => terms,
                None => return Ok(None),
            },
        };
        if bids.iter().any(|bid| !bid.verified) {
            verify_early_bids(shared, destination, &transfer, &bids).await?;
            bids = shared.store.call(move |conn| store::bids(conn, id)).await?;
        }
        bids.retain(|bid| bid.verified);
        if !bids.is_empty() && transfer.auction_opened_ms.is_none() {
            let now = now_ms();
            shared
                .store
                .call(move |conn| store::open_auction(conn, id, now))
                .await?;
        }
        for bid in bids {
            routers.insert((terms.pool.destination, bid.router));
            if self.fed.insert((id, bid.router, bid.path_length)) {
                self.pool.add(
                    id,
                    SignedBid {
                        router: bid.router,
                        path_length: bid.path_length,
                        signature: bid.signature,
                    },
                );
            }
        }
        Ok(Some(terms))
    }
}

/// What an auction of `params` (whose id is `transfer_id`) on `destination` decides over: read
/// from the destination's `Connext` (its fee and most routers per transfer, cached). `None` when
/// the fronted amount would overflow `execute`: no router can front it.
async fn terms_of(
    destination: &Destination,
    transfer_id: B256,
    params: &TransferInfo,
) -> Result<Option<TransferTerms>, ReadError> {
    let (fee_bps, max_routers) =
        tokio::try_join!(destination.liquidity_fee_bps(), destination.max_routers())?;
    Ok(
        fees::fronted_amount(params.bridgedAmt, fee_bps).map(|to_front| TransferTerms {
            transfer_id,
            destination_chain_id: destination.signing.chain_id(),
            destination_connext: destination.connext,
            pool: Pool {
                destination: destination.domain.get(),
                canonical_domain: params.canonicalDomain,
                canonical_id: params.canonicalId,
            },
            to_front,
            max_routers,
        }),
    )
}
