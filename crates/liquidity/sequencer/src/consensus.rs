//! The sequencer as one node of a sequencer network (`[consensus]`, `docs/consensus.md`): instead
//! of deciding auctions alone, it runs an `nxtp-consensus` node with the other sequencers and
//! hands the relayer what the network decided.
//!
//! Everything else is the single sequencer's: the origin indexers record transfers, fees and
//! executes, the bids API checks and stores bids, the dispatch posts recorded decisions to the
//! relayer and follows them. Between them:
//!
//! - [`Feed`] turns what this node's store knows into what consensus needs: the terms of every
//!   transfer awaiting a decision whose relayer fee is paid ([`ChainView`] as the node's
//!   `TransferSource`), the executes seen on the destinations (so reservations are released),
//!   the routers' approval on each destination (its `RouterApproval`), and every valid bid posted
//!   here, into the node's `BidPool`;
//! - [`HandOver`] follows the decided heights and records each decided auction as this node's
//!   [`Decision`]: the execute carrying the routers' bids and the lowest `threshold` sequencers'
//!   selection signatures of its `CertifiedSelection`, packed by `SequencerQuorum`. The node that
//!   proposed the deciding round hands over at once, the others `backup_handover` later, when
//!   the execute is usually on chain and their dispatch posts nothing; so the relayer gets one job
//!   per transfer unless the proposer is down (and `Connext` executes a transfer once in any
//!   case).

use crate::{
    auction::verify_early_bids,
    config::ConsensusConfig,
    destination::{Destination, ReadError},
    error::SequencerError,
    execute::quorum_execute_calldata,
    executed,
    shared::Shared,
    store::{self, Decision, OpenAuction, Outcome},
};
use alloy::primitives::{Address, Bytes, B256};
use nxtp_agent::{
    clock::now_ms,
    prometheus::{IntGauge, Registry},
    CancellationToken, Health,
};
use nxtp_bindings::SequencerQuorum;
use nxtp_consensus::{
    Auction, BidPool, CertifiedSelection, Genesis, Height, Ledger, NodeAddress, NodeConfig,
    NodeHandle, NodeKey, NodeStore, Pool, RouterApproval, Rules, SignedBid, TransferSource,
    TransferTerms, Validator, ValidatorSet,
};
use nxtp_primitives::{fees, Domain, TransferInfo};
use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    sync::{Arc, Mutex, PoisonError, RwLock},
    time::{Duration, Instant},
};
use tokio::sync::{watch, Notify};

/// How often the feed looks at the store when nothing wakes it.
const TICK: Duration = Duration::from_millis(100);

/// The `/health` stream of the feed's destination reads.
const FEED_STREAM: &str = "consensus feed";

/// This node's view of the chains, as consensus asks it: what the origin says of each transfer
/// awaiting a decision, which executes ended, which routers are approved. Filled by [`Feed`]; read
/// by the consensus loop when it builds or checks a batch.
#[derive(Debug, Default)]
pub(crate) struct ChainView {
    terms: RwLock<BTreeMap<B256, TransferTerms>>,
    ended: RwLock<HashSet<B256>>,
    approvals: RwLock<BTreeMap<(u32, Address), bool>>,
    /// Routers a proposal named whose approval this node has not read yet.
    wanted: Mutex<BTreeSet<(u32, Address)>>,
}

impl TransferSource for ChainView {
    fn terms(&self, transfer_id: &B256) -> Option<TransferTerms> {
        let terms = self.terms.read().unwrap_or_else(PoisonError::into_inner);
        terms.get(transfer_id).cloned()
    }

    fn execute_ended(&self, transfer_id: &B256) -> bool {
        let ended = self.ended.read().unwrap_or_else(PoisonError::into_inner);
        ended.contains(transfer_id)
    }
}

impl RouterApproval for ChainView {
    fn approved(&self, terms: &TransferTerms, router: Address) -> bool {
        let key = (terms.pool.destination, router);
        let known = self
            .approvals
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .copied();
        known.unwrap_or_else(|| {
            // Not read yet: refused this time (a nil vote, the next round re-proposes), read by
            // the feed's next round.
            self.wanted
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key);
            false
        })
    }
}

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

/// Why a decided auction cannot be handed to the relayer as a fast execute (it then waits for the
/// slow path).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotExecutable {
    /// The certificate holds fewer valid selection signatures than `Connext` requires.
    #[error("{have} sequencer signature(s) of the selection, {need} needed")]
    TooFewSignatures {
        /// Valid signatures in the certificate.
        have: usize,
        /// The threshold.
        need: usize,
    },
    /// A selected router's bid for the selected path length is not among the auction's bids.
    #[error("no bid of router {router} for {path_length} router(s)")]
    MissingBid {
        /// The router.
        router: Address,
        /// The path length selected.
        path_length: usize,
    },
}

/// The `Connext.execute` calldata of a decided auction: `params` fronted by the selected routers
/// with their bids, selected by the first `threshold` sequencers (by address) of `certified`.
/// Taking the lowest `threshold` rather than every signature makes nodes whose certificates hold
/// different extra signatures build the same execute, hence the same relayer job.
pub fn certified_execute_calldata(
    params: &TransferInfo,
    auction: &Auction,
    certified: &CertifiedSelection,
    threshold: usize,
) -> Result<Bytes, NotExecutable> {
    let path_length = certified.routers.len();
    let router_signatures = certified
        .routers
        .iter()
        .map(|&router| {
            auction
                .bids
                .iter()
                .find(|bid| {
                    bid.router == router
                        && usize::try_from(bid.path_length).ok() == Some(path_length)
                })
                .map(|bid| bid.signature.clone())
                .ok_or(NotExecutable::MissingBid {
                    router,
                    path_length,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut signatures = certified.signatures.clone();
    signatures.sort_by_key(|(sequencer, _)| *sequencer);
    signatures.dedup_by_key(|(sequencer, _)| *sequencer);
    if signatures.len() < threshold {
        return Err(NotExecutable::TooFewSignatures {
            have: signatures.len(),
            need: threshold,
        });
    }
    let mut quorum = SequencerQuorum::new();
    for (sequencer, signature) in signatures.into_iter().take(threshold) {
        quorum.insert(sequencer, signature);
    }
    Ok(quorum_execute_calldata(
        params,
        &certified.routers,
        router_signatures,
        &quorum,
    ))
}

/// Records each auction the network decides as this node's decision, for the dispatch to hand
/// to the relayer.
pub(crate) struct HandOver {
    pub(crate) shared: Arc<Shared>,
    pub(crate) node: NodeStore,
    pub(crate) decided: watch::Receiver<Height>,
    pub(crate) threshold: usize,
    pub(crate) dispatch_wake: Arc<Notify>,
    pub(crate) height: IntGauge,
    /// The sequencer set, to tell who proposed each decided batch.
    pub(crate) sequencers: ValidatorSet,
    /// This node.
    pub(crate) me: NodeAddress,
    /// How long this node waits before handing over a batch another node proposed.
    pub(crate) backup_after: Duration,
}

impl HandOver {
    /// Hands over every decided auction, from height 1 at start (recording a decision twice
    /// records it once), until `shutdown`. Stops the sequencer if the consensus loop stops.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) -> Result<(), SequencerError> {
        let mut next = Height(1);
        // Decided auctions not handed over yet, and when they are due: at once where this node
        // proposed the batch, after `backup_after` otherwise (by then the proposer's execute is
        // usually on chain, and a decision recorded then is never posted: the dispatch sees the
        // execute first). One whose transfer this node has not seen on its origin yet (it may
        // lag behind the nodes that decided) waits until it has.
        let mut pending: BTreeMap<B256, (Auction, Instant)> = BTreeMap::new();
        loop {
            let top = *self.decided.borrow_and_update();
            self.height.set(i64::try_from(top.0).unwrap_or(i64::MAX));
            if top >= next {
                let now = Instant::now();
                for decided in self.node.decided(next, top).await? {
                    let due = if decided.proposer(&self.sequencers) == self.me {
                        now
                    } else {
                        now + self.backup_after
                    };
                    for auction in decided.batch.auctions {
                        pending.insert(auction.terms.transfer_id, (auction, due));
                    }
                }
                next = Height(top.0 + 1);
            }
            let mut handed = Vec::new();
            let now = Instant::now();
            for (id, (auction, due)) in &pending {
                if *due <= now && self.hand_over(auction).await? {
                    handed.push(*id);
                }
            }
            for id in handed {
                pending.remove(&id);
            }
            let retry = if pending.is_empty() {
                Duration::from_secs(3600)
            } else {
                TICK
            };
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                changed = self.decided.changed() => {
                    // The node stops with the sequencer: only a loop that stopped on its own is
                    // a failure.
                    if changed.is_err() && !shutdown.is_cancelled() {
                        return Err(SequencerError::Consensus(
                            "the consensus loop stopped".to_owned(),
                        ));
                    }
                    if changed.is_err() {
                        return Ok(());
                    }
                }
                () = tokio::time::sleep(retry) => {}
            }
        }
    }

    /// Records `auction`'s decision; returns whether it is done with (recorded, or never
    /// executable fast), not whether this call recorded it.
    async fn hand_over(&self, auction: &Auction) -> Result<bool, SequencerError> {
        let id = auction.terms.transfer_id;
        let Some(certified) = self.node.certified(id).await? else {
            tracing::warn!(transfer_id = %id, "a decided auction has no certified selection");
            return Ok(true);
        };
        let Some(transfer) = self
            .shared
            .store
            .call(move |conn| store::transfer(conn, id))
            .await?
        else {
            return Ok(false);
        };
        let Some(destination) = self.shared.destinations.get(&transfer.destination()) else {
            return Ok(true);
        };
        let calldata = match certified_execute_calldata(
            &transfer.params,
            auction,
            &certified,
            self.threshold,
        ) {
            Ok(calldata) => calldata,
            Err(err) => {
                tracing::warn!(transfer_id = %id, %err, "decided, but no fast execute can be built: the slow path takes it");
                return Ok(true);
            }
        };
        let now = now_ms();
        let decision = Decision {
            transfer_id: id,
            destination: destination.domain,
            job_id: nxtp_api::relayer::job_id(destination.domain, destination.connext, &calldata),
            routers: certified.routers.clone(),
            calldata,
            acknowledged: false,
            outcome: Outcome::Sent,
            opened_ms: transfer.auction_opened_ms.unwrap_or(now),
            decided_ms: now,
        };
        let record = decision.clone();
        let recorded = self
            .shared
            .store
            .call(move |conn| store::record_decision(conn, &record))
            .await?;
        if recorded {
            tracing::info!(
                transfer_id = %id,
                height = %certified.height,
                routers = ?decision.routers,
                signatures = certified.signatures.len(),
                job_id = %decision.job_id,
                "routers chosen by the sequencer network"
            );
            self.shared.metrics.decided(
                destination.domain,
                decision.routers.len(),
                Duration::from_millis(now.saturating_sub(decision.opened_ms)),
            );
            self.dispatch_wake.notify_one();
        }
        Ok(true)
    }
}

/// The gauge of the last height this node decided.
pub(crate) fn height_gauge(registry: &Registry) -> Result<IntGauge, SequencerError> {
    let gauge = IntGauge::new(
        "nxtp_sequencer_consensus_height",
        "The last height this sequencer node decided (0 before its first)",
    )?;
    registry.register(Box::new(gauge.clone()))?;
    Ok(gauge)
}

/// The sequencer set of `config`.
pub(crate) fn sequencers(config: &ConsensusConfig) -> ValidatorSet {
    ValidatorSet::new(
        config
            .validators
            .iter()
            .map(|key| Validator::new(key.clone(), 1)),
    )
}

/// Starts this node of the network of `config`, signing with `key`, over `view`.
pub(crate) async fn start_node(
    config: &ConsensusConfig,
    key: NodeKey,
    view: Arc<ChainView>,
    pool: BidPool,
) -> Result<NodeHandle, SequencerError> {
    let ledger = Ledger::new(config.liquidity.iter().map(|entry| {
        let pool = Pool {
            destination: entry.domain.get(),
            canonical_domain: entry.canonical_domain,
            canonical_id: entry.canonical_id,
        };
        ((pool, entry.router), entry.amount)
    }));
    let genesis = Genesis {
        sequencers: config.validators.clone(),
        ledger,
    };
    let mut node = NodeConfig::new(
        format!("sequencer-{}", key.address()),
        config.home.clone(),
        config.listen,
    );
    node.peers = config.peers.clone();
    node.idle_wait = config.idle_wait;
    node.timeouts.propose = config.propose_timeout;
    node.timeouts.prevote = config.vote_timeout;
    node.timeouts.precommit = config.vote_timeout;
    let transfers: Arc<dyn TransferSource> = view.clone();
    let approval: Arc<dyn RouterApproval> = view;
    Ok(nxtp_consensus::start(node, key, genesis, Rules::new(transfers, approval), pool).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::{primitives::U256, signers::local::PrivateKeySigner, sol_types::SolCall};
    use nxtp_bindings::Connext;
    use nxtp_primitives::{sign_digest, transfer_id, ConnextSigningDomain};

    fn params() -> TransferInfo {
        crate::testing::transfer(1_000)
    }

    /// A decided auction of one router, and its selection signed by `nodes`.
    fn decided(nodes: &[NodeKey]) -> (TransferInfo, Auction, CertifiedSelection) {
        let params = params();
        let id = transfer_id(&params);
        let router = PrivateKeySigner::random();
        let connext = ConnextSigningDomain::new(31338, Address::repeat_byte(0xcc));
        let bid = sign_digest(&router, connext.router_bid_digest(id, 1)).expect("signs");
        let auction = Auction {
            terms: TransferTerms {
                transfer_id: id,
                destination_chain_id: 31338,
                destination_connext: Address::repeat_byte(0xcc),
                pool: Pool {
                    destination: 2000,
                    canonical_domain: 1000,
                    canonical_id: B256::repeat_byte(3),
                },
                to_front: U256::from(1_000),
                max_routers: 4,
            },
            bids: vec![SignedBid {
                router: router.address(),
                path_length: 1,
                signature: Bytes::copy_from_slice(&bid),
            }],
            routers: vec![router.address()],
        };
        let mut signatures: Vec<(Address, Bytes)> = nodes
            .iter()
            .map(|node| {
                (
                    node.address().0,
                    node.sign_selection(&auction).expect("signs"),
                )
            })
            .collect();
        signatures.sort_by_key(|(sequencer, _)| *sequencer);
        let certified = CertifiedSelection {
            transfer_id: id,
            height: Height(7),
            routers: auction.routers.clone(),
            signatures,
        };
        (params, auction, certified)
    }

    #[test]
    fn the_execute_carries_the_lowest_threshold_signatures_and_nodes_agree_on_it() {
        let nodes: Vec<NodeKey> = (0..4).map(|_| NodeKey::random()).collect();
        let (params, auction, all_four) = decided(&nodes);
        let calldata =
            certified_execute_calldata(&params, &auction, &all_four, 3).expect("executable");
        let args = Connext::executeCall::abi_decode(&calldata)
            .expect("an execute call")
            .args;
        assert_eq!(args.routers, auction.routers);
        let digest = ConnextSigningDomain::new(31338, Address::repeat_byte(0xcc))
            .router_selection_digest(auction.terms.transfer_id, &auction.routers);
        let quorum = SequencerQuorum::unpack(digest, args.sequencer, &args.sequencerSignature)
            .expect("the packed quorum checks out");
        let mut addresses: Vec<Address> = nodes.iter().map(|node| node.address().0).collect();
        addresses.sort();
        assert_eq!(
            quorum.sequencers().collect::<Vec<_>>(),
            addresses[..3],
            "the three lowest"
        );

        // A node whose certificate lacks the highest signer builds the same execute.
        let mut three = all_four.clone();
        three
            .signatures
            .retain(|(sequencer, _)| *sequencer != addresses[3]);
        assert_eq!(
            certified_execute_calldata(&params, &auction, &three, 3),
            Ok(calldata)
        );

        let mut two = all_four.clone();
        two.signatures.truncate(2);
        assert_eq!(
            certified_execute_calldata(&params, &auction, &two, 3),
            Err(NotExecutable::TooFewSignatures { have: 2, need: 3 })
        );
        let mut unbid = auction;
        unbid.bids.clear();
        assert!(matches!(
            certified_execute_calldata(&params, &unbid, &all_four, 3),
            Err(NotExecutable::MissingBid { path_length: 1, .. })
        ));
    }
}
