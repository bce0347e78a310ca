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
//!   case);
//! - [`BidForwarder`] posts each bid a router posted here, new here, on to the other nodes' bids
//!   API (`forward_bids_to`), so whichever node proposes next holds it.

mod feed;
mod forward;
mod hand_over;
mod view;

pub(crate) use feed::Feed;
pub(crate) use forward::{bid_forwarding, BidForwarder, FORWARDED_HEADER};
pub(crate) use hand_over::HandOver;
pub use hand_over::{certified_execute_calldata, NotExecutable};
pub(crate) use view::ChainView;

use crate::{config::ConsensusConfig, error::SequencerError};
use nxtp_agent::prometheus::{IntGauge, Registry};
use nxtp_consensus::{
    BidPool, Genesis, Ledger, NodeConfig, NodeHandle, NodeKey, Pool, RouterApproval, Rules, Tamper,
    TransferSource, Validator, ValidatorSet,
};
use std::{sync::Arc, time::Duration};

/// How often the feed looks at the store, and the hand-over at what is due, when nothing wakes
/// them.
const TICK: Duration = Duration::from_millis(100);

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

/// How a Byzantine test build's node misbehaves; the default is an honest node. Only
/// [`crate::run_byzantine_node`] takes one: `nxtp sequencer` runs honest nodes, and no config key
/// reaches this.
#[derive(Clone, Default)]
pub struct Misbehaviour {
    /// Alters every batch the node proposes (a selection that breaks the rule).
    pub proposals: Option<Tamper>,
    /// Alters the batch whose selections the node signs in its precommits (a router set the
    /// network did not decide).
    pub signatures: Option<Tamper>,
    /// Makes the node, each time it proposes, also stream a second signed batch for the same
    /// height and round, its proposal altered this way (equivocation).
    pub equivocation: Option<Tamper>,
}

/// Starts this node of the network of `config`, signing with `key`, over `view`, keeping each
/// auction it proposes open for `auction_window` after its first bid here, honest unless
/// `misbehaviour` says otherwise.
pub(crate) async fn start_node(
    config: &ConsensusConfig,
    key: NodeKey,
    view: Arc<ChainView>,
    pool: BidPool,
    auction_window: Duration,
    misbehaviour: Misbehaviour,
) -> Result<NodeHandle, SequencerError> {
    let ledger = Ledger::new(config.liquidity.iter().map(|entry| {
        let pool = Pool {
            destination: entry.domain.get(),
            canonical_domain: entry.canonical_domain,
            canonical_id: entry.canonical_id,
        };
        ((pool, entry.router), entry.amount)
    }))
    .with_expiry(config.reservation_expiry_heights);
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
    node.auction_window = auction_window;
    node.timeouts.propose = config.propose_timeout;
    node.timeouts.prevote = config.vote_timeout;
    node.timeouts.precommit = config.vote_timeout;
    let transfers: Arc<dyn TransferSource> = view.clone();
    let approval: Arc<dyn RouterApproval> = view;
    let rules = Rules {
        byzantine: misbehaviour.proposals,
        byzantine_signatures: misbehaviour.signatures,
        byzantine_equivocation: misbehaviour.equivocation,
        ..Rules::new(transfers, approval)
    };
    Ok(nxtp_consensus::start(node, key, genesis, rules, pool).await?)
}
