//! [`Feed`]: from the sequencer's store and the destinations into the consensus node's view and
//! bid pool.
//!
//! Routers' balances are read only for the routers that matter: those with a bid on a transfer
//! awaiting a decision here (in the pool of that transfer), and those a proposal observed at a
//! block this node has not read. Each is read by hash at the newest block of its destination's
//! [`OBSERVATION_GRID`] that is confirmed here (the origin indexer delivered it, so every execute
//! up to it is recorded), at most once per grid block: an idle network reads nothing.

use super::{view::WantedRead, ChainView, TICK};
use crate::{
    auction::verify_early_bids,
    config::ConsensusConfig,
    destination::{Destination, ReadError},
    error::SequencerError,
    executed,
    origin::CONNEXT_STREAM,
    shared::Shared,
    store::{self, OpenAuction},
};
use alloy::primitives::{Address, B256};
use nxtp_agent::{clock::now_ms, storage::Cursor, CancellationToken, Health};
use nxtp_consensus::{BidPool, ExecuteEnd, Pool, SignedBid, TransferSource, TransferTerms};
use nxtp_primitives::{fees, Domain, TransferInfo};
use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    sync::{Arc, PoisonError},
};

/// The `/health` stream of the feed's destination reads.
const FEED_STREAM: &str = "consensus feed";

/// The most balances a round reads because a proposal observed them: a proposer cannot make a
/// node read without bound.
const WANTED_READS_PER_ROUND: usize = 16;

/// Balances are read at blocks whose number is a multiple of this: nodes whose confirmed heads
/// are a block or two apart then read, observe and confirm the same block, rather than each
/// proposer observing a block the others have not read (a nil round per proposer). A deposit is
/// seen this many blocks later at most.
const OBSERVATION_GRID: u64 = 4;

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
    /// Each destination's newest grid block read at, and its hash.
    grid_blocks: BTreeMap<Domain, (u64, B256)>,
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
            grid_blocks: BTreeMap::new(),
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
            set.extend(ended.iter().map(|(_, execute)| {
                let end = ExecuteEnd {
                    block: execute.block,
                    fast: execute.fast,
                };
                (execute.transfer_id, end)
            }));
        }

        let awaiting = self
            .shared
            .store
            .call(|conn| store::awaiting_decision(conn))
            .await?;
        let mut failure: Option<ReadError> = None;
        let mut terms = BTreeMap::new();
        let mut bidders = BTreeSet::new();
        let mut fresh = Vec::new();
        for auction in awaiting {
            match self.consider(auction, &mut bidders, &mut fresh).await {
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
        let mut routers: BTreeSet<(u32, Address)> = bidders
            .iter()
            .map(|(pool, router)| (pool.destination, *router))
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
        if let Some(err) = self.read_balances(&bidders).await? {
            failure = Some(err);
        }
        // Only now, with the bidders' balances read: a proposer woken by a bid then observes
        // them in the batch deciding it, rather than deciding on an older ledger.
        for (transfer_id, bid) in fresh {
            self.pool.add(transfer_id, bid);
        }
        match failure {
            Some(err) => self.health.failing(FEED_STREAM, &err),
            None => self.health.ok(FEED_STREAM),
        }
        Ok(())
    }

    /// The terms of one transfer awaiting a decision, once its relayer fee is paid and its
    /// destination is served; its bidders go to `bidders`, its valid bids not in the pool yet
    /// to `fresh`.
    async fn consider(
        &mut self,
        auction: OpenAuction,
        bidders: &mut BTreeSet<(Pool, Address)>,
        fresh: &mut Vec<(B256, SignedBid)>,
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
            bidders.insert((terms.pool, bid.router));
            if self.fed.insert((id, bid.router, bid.path_length)) {
                let bid = SignedBid {
                    router: bid.router,
                    path_length: bid.path_length,
                    signature: bid.signature,
                };
                fresh.push((id, bid));
            }
        }
        Ok(Some(terms))
    }
}

impl Feed {
    /// Reads the balances of `bidders` at each destination's newest confirmed block where not
    /// read yet, and those proposals observed at blocks this node had not read (once confirmed
    /// here). Returns the last failed read; a failing store stops the sequencer.
    async fn read_balances(
        &mut self,
        bidders: &BTreeSet<(Pool, Address)>,
    ) -> Result<Option<ReadError>, SequencerError> {
        let wanted: BTreeSet<WantedRead> = std::mem::take(
            &mut *self
                .view
                .wanted_balances
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        if bidders.is_empty() && wanted.is_empty() {
            return Ok(None);
        }
        let mut failure = None;
        let mut wanted_reads = 0;
        let shared = Arc::clone(&self.shared);
        for (&domain, destination) in &shared.destinations {
            let cursor = Cursor::new(domain, CONNEXT_STREAM);
            let confirmed = shared
                .store
                .call(move |conn| nxtp_chain::indexer::newest_hash(conn, &cursor))
                .await?;
            let Some((number, hash)) = confirmed else {
                continue;
            };
            let here = |pool: &Pool| pool.destination == domain.get();
            let grid = match self.grid_block(destination, number, hash).await {
                Ok(grid) => grid,
                Err(err) => {
                    failure = Some(err);
                    None
                }
            };
            if let Some((grid, grid_hash)) = grid {
                for &(pool, router) in bidders.iter().filter(|(pool, _)| here(pool)) {
                    if self.view.has_read(&pool, router, grid) {
                        continue;
                    }
                    let read = self.read_balance(destination, pool, router, grid, grid_hash);
                    if let Err(err) = read.await {
                        failure = Some(err);
                    }
                }
            }
            let proposed = wanted
                .iter()
                .filter(|(pool, _, block, _)| here(pool) && *block <= number);
            for &(pool, router, block, block_hash) in proposed {
                if wanted_reads == WANTED_READS_PER_ROUND {
                    break;
                }
                wanted_reads += 1;
                // Read by hash, so the number must be checked: a proposal naming another
                // block's hash would otherwise pass for a newer observation.
                match destination.block_hash(block).await {
                    Ok(Some(canonical)) if canonical == block_hash => {
                        let read = self.read_balance(destination, pool, router, block, block_hash);
                        if let Err(err) = read.await {
                            failure = Some(err);
                        }
                    }
                    // Not this node's chain at that height: the proposal stays refused.
                    Ok(_) => {}
                    Err(err) => failure = Some(err),
                }
            }
        }
        Ok(failure)
    }

    /// The newest block of [`OBSERVATION_GRID`] at or below `confirmed` (whose hash is
    /// `confirmed_hash`) on `destination`, and its hash: asked of the endpoint once per grid block.
    async fn grid_block(
        &mut self,
        destination: &Destination,
        confirmed: u64,
        confirmed_hash: B256,
    ) -> Result<Option<(u64, B256)>, ReadError> {
        let grid = confirmed - confirmed % OBSERVATION_GRID;
        let known = self.grid_blocks.get(&destination.domain);
        if let Some(&(number, hash)) = known.filter(|(number, _)| *number == grid) {
            return Ok(Some((number, hash)));
        }
        let hash = if grid == confirmed {
            Some(confirmed_hash)
        } else {
            destination.block_hash(grid).await?
        };
        if let Some(hash) = hash {
            self.grid_blocks.insert(destination.domain, (grid, hash));
        }
        Ok(hash.map(|hash| (grid, hash)))
    }

    /// Reads `router`'s balance in `pool` at block `number` (`hash`) into the view.
    async fn read_balance(
        &self,
        destination: &Destination,
        pool: Pool,
        router: Address,
        number: u64,
        hash: B256,
    ) -> Result<(), ReadError> {
        let asset = destination
            .local_asset(pool.canonical_domain, pool.canonical_id)
            .await?;
        // A pool without a local asset here holds nothing: its balance reads zero.
        let balance = if asset.is_zero() {
            alloy::primitives::U256::ZERO
        } else {
            destination.router_balance_at(router, asset, hash).await?
        };
        self.view
            .record_balance(pool, router, number, hash, balance);
        Ok(())
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
