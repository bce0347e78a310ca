//! The check every node applies to a proposed batch before voting for it, and the way a
//! proposer builds one that passes it.

use crate::ledger::Ledger;
use crate::selection::{select, valid_path_length};
use crate::value::{
    Auction, Batch, ExecuteEnd, Observation, Pool, Release, ReleaseCause, SignedBid, TransferTerms,
};
use alloy::primitives::{Address, B256, U256};
use nxtp_primitives::recover_digest;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::time::Instant;

/// The most auctions one batch decides. A proposal travels as one gossip message (at most
/// 4 MiB) and every precommit carries a 65-byte signature per auction: a bound keeps a backlog
/// of thousands of transfers from making a proposal no peer can receive (about 0.6 MB at four
/// bids an auction); what is left waits for the next height.
pub const MAX_AUCTIONS_PER_BATCH: usize = 1_000;

/// The most releases one batch carries (about 50 bytes each).
pub const MAX_RELEASES_PER_BATCH: usize = 4_000;

/// The most balance observations one batch carries (about 130 bytes each).
pub const MAX_OBSERVATIONS_PER_BATCH: usize = 1_000;

/// A node's own view of the chains: what the origin says about each transfer it may route,
/// how the transfer's execute ended on the destination, and the routers' balances there at
/// confirmed blocks. A node votes only for what its view confirms, so a proposer cannot make up
/// a transfer, release liquidity early or credit a router what it does not hold.
pub trait TransferSource: Send + Sync {
    /// The terms of `transfer_id`, once this node saw it on its origin.
    fn terms(&self, transfer_id: &B256) -> Option<TransferTerms>;

    /// How the execute of `transfer_id` ended on its destination, once confirmed there.
    fn execute_ended(&self, transfer_id: &B256) -> Option<ExecuteEnd>;

    /// `router`'s balance in `pool` at block `block` (whose hash is `block_hash`) of the pool's
    /// destination, as this node read it; `None` when it has not (yet) read that block, or knows
    /// another hash at that height.
    fn balance_at(
        &self,
        pool: &Pool,
        router: Address,
        block: u64,
        block_hash: B256,
    ) -> Option<U256>;

    /// The newest balances this node read at a confirmed block, one per router and pool: what
    /// it observes when it proposes.
    fn balances(&self) -> Vec<Observation>;
}

/// The routers whose bids count.
pub trait RouterApproval: Send + Sync {
    /// Whether `router` is approved on the destination of `terms`.
    fn approved(&self, terms: &TransferTerms, router: Address) -> bool;
}

impl RouterApproval for BTreeSet<Address> {
    fn approved(&self, _terms: &TransferTerms, router: Address) -> bool {
        self.contains(&router)
    }
}

/// Why a node refuses a proposed batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// The batch names a transfer twice, or one decided at an earlier height.
    #[error("transfer {0} is decided twice")]
    DecidedTwice(B256),
    /// This node does not know the transfer, or knows other terms.
    #[error("transfer {0}: terms this node cannot confirm")]
    UnconfirmedTerms(B256),
    /// The bids are not sorted by router then path length, or repeat one.
    #[error("transfer {0}: bids not sorted or repeated")]
    BidsNotCanonical(B256),
    /// A bid's path length is not a power of two within the destination's maximum.
    #[error("transfer {0}: path length {1} is not allowed")]
    PathLength(B256, u32),
    /// A bid comes from a router not approved on the destination.
    #[error("transfer {0}: router {1} is not approved")]
    Unapproved(B256, Address),
    /// A bid's signature does not recover to its router for the destination `Connext`.
    #[error("transfer {0}: the bid of router {1} for path length {2} is not signed by it")]
    BadSignature(B256, Address, u32),
    /// The routers are not what the selection rule picks from the bids and the ledger (which
    /// also refuses a router spending liquidity it does not have).
    #[error(
        "transfer {transfer_id}: selection {proposed:?} does not follow the rule ({expected:?})"
    )]
    WrongSelection {
        /// The transfer.
        transfer_id: B256,
        /// The proposed routers.
        proposed: Vec<Address>,
        /// What the rule picks (`None`: the bids cover nothing).
        expected: Option<Vec<Address>>,
    },
    /// A release of a transfer with no open reservation (or released twice), of an execute this
    /// node has not seen end as stated, or an expiry before the ledger's.
    #[error("release of {0} this node cannot confirm")]
    UnconfirmedRelease(B256),
    /// The observations are not sorted by pool then router, or repeat one.
    #[error("observations not sorted or repeated")]
    ObservationsNotCanonical,
    /// An observation at a block no newer than the router's last one, or older than an execute
    /// whose release already debited its balance.
    #[error("observation of router {router} at block {block}: stale")]
    StaleObservation {
        /// The router.
        router: Address,
        /// The block observed at.
        block: u64,
    },
    /// A balance this node has not read at that block, or read differently.
    #[error("observation of router {router} at block {block}: a balance this node cannot confirm")]
    UnconfirmedObservation {
        /// The router.
        router: Address,
        /// The block observed at.
        block: u64,
    },
    /// The batch holds more entries of one kind than a batch may.
    #[error("{count} {kind} in one batch, at most {max}")]
    TooLarge {
        /// What there are too many of: auctions, releases or observations.
        kind: &'static str,
        /// How many the batch holds.
        count: usize,
        /// The most a batch may hold.
        max: usize,
    },
}

impl Invalid {
    /// Whether an honest batch could be refused this way by a node whose view of the chains
    /// trails the proposer's (a transfer, an execute, a balance or a router's approval it has not
    /// read yet): such a node may confirm the batch once its view catches up.
    pub fn may_be_view_lag(&self) -> bool {
        matches!(
            self,
            Self::UnconfirmedTerms(_)
                | Self::Unapproved(..)
                | Self::UnconfirmedRelease(_)
                | Self::UnconfirmedObservation { .. }
        )
    }
}

/// How often [`check_patiently`] looks again at a view that lags.
pub const VIEW_RETRY: Duration = Duration::from_millis(50);

/// [`check`], looked at again every [`VIEW_RETRY`] while it fails only as a lagging view would
/// ([`Invalid::may_be_view_lag`]), until `patience` has passed. Under load each node's view
/// trails the proposer's by up to a block; refusing at once cost honest proposals their round.
/// Any other refusal is final at once.
pub async fn check_patiently(
    batch: &Batch,
    ledger: &Ledger,
    transfers: &dyn TransferSource,
    approval: &dyn RouterApproval,
    patience: Duration,
) -> Result<(), Invalid> {
    let deadline = Instant::now() + patience;
    loop {
        match check(batch, ledger, transfers, approval) {
            Err(reason) if reason.may_be_view_lag() && Instant::now() + VIEW_RETRY <= deadline => {
                tokio::time::sleep(VIEW_RETRY).await;
            }
            result => return result,
        }
    }
}

/// Checks `batch` against the ledger it would apply to, in the order it applies: releases only
/// of open reservations whose execute this node saw end as stated (or that expired), then
/// canonical observations, each newer than the ledger's and confirmed by this node's own read,
/// then for each auction in order: a transfer decided only once, terms this node confirms,
/// canonical bids from approved routers each validly signed, and the routers the selection rule
/// picks given the liquidity left by the batch so far.
pub fn check(
    batch: &Batch,
    ledger: &Ledger,
    transfers: &dyn TransferSource,
    approval: &dyn RouterApproval,
) -> Result<(), Invalid> {
    for (kind, count, max) in [
        ("auctions", batch.auctions.len(), MAX_AUCTIONS_PER_BATCH),
        ("releases", batch.releases.len(), MAX_RELEASES_PER_BATCH),
        (
            "observations",
            batch.observations.len(),
            MAX_OBSERVATIONS_PER_BATCH,
        ),
    ] {
        if count > max {
            return Err(Invalid::TooLarge { kind, count, max });
        }
    }
    let mut state = ledger.clone();
    for release in &batch.releases {
        let confirmed = match release.cause {
            ReleaseCause::Executed(end) => {
                transfers.execute_ended(&release.transfer_id) == Some(end)
            }
            ReleaseCause::Expired => state.expired(&release.transfer_id),
        };
        // The reservation is gone once released: a second release of it is refused here.
        if !confirmed || state.reservation(&release.transfer_id).is_none() {
            return Err(Invalid::UnconfirmedRelease(release.transfer_id));
        }
        state.release(release);
    }
    let canonical = batch
        .observations
        .windows(2)
        .all(|pair| (pair[0].pool, pair[0].router) < (pair[1].pool, pair[1].router));
    if !canonical {
        return Err(Invalid::ObservationsNotCanonical);
    }
    for observation in &batch.observations {
        let (router, block) = (observation.router, observation.block);
        if !state.observable(observation) {
            return Err(Invalid::StaleObservation { router, block });
        }
        let read = transfers.balance_at(&observation.pool, router, block, observation.block_hash);
        if read != Some(observation.balance) {
            return Err(Invalid::UnconfirmedObservation { router, block });
        }
        state.observe(observation);
    }
    for auction in &batch.auctions {
        check_auction(auction, &state, transfers, approval)?;
        state.reserve(auction);
    }
    Ok(())
}

fn check_auction(
    auction: &Auction,
    state: &Ledger,
    transfers: &dyn TransferSource,
    approval: &dyn RouterApproval,
) -> Result<(), Invalid> {
    let terms = &auction.terms;
    let id = terms.transfer_id;
    if state.is_decided(&id) {
        return Err(Invalid::DecidedTwice(id));
    }
    if transfers.terms(&id).as_ref() != Some(terms) {
        return Err(Invalid::UnconfirmedTerms(id));
    }
    let canonical = auction
        .bids
        .windows(2)
        .all(|pair| (pair[0].router, pair[0].path_length) < (pair[1].router, pair[1].path_length));
    if !canonical {
        return Err(Invalid::BidsNotCanonical(id));
    }
    let domain = terms.signing_domain();
    for bid in &auction.bids {
        if !valid_path_length(bid.path_length, terms.max_routers) {
            return Err(Invalid::PathLength(id, bid.path_length));
        }
        if !approval.approved(terms, bid.router) {
            return Err(Invalid::Unapproved(id, bid.router));
        }
        let digest = domain.router_bid_digest(id, bid.path_length as usize);
        if recover_digest(digest, &bid.signature).ok() != Some(bid.router) {
            return Err(Invalid::BadSignature(id, bid.router, bid.path_length));
        }
    }
    let expected = select(terms, &auction.bids, |router| {
        state.available(&terms.pool, router)
    });
    if expected.as_ref() != Some(&auction.routers) {
        return Err(Invalid::WrongSelection {
            transfer_id: id,
            proposed: auction.routers.clone(),
            expected,
        });
    }
    Ok(())
}

/// Builds the batch a proposer offers: releases of every open reservation whose execute ended
/// (or that expired), observations of every balance this node read that the ledger may take and
/// does not hold yet, then, for each transfer with bids (in `bids` order), an auction of its
/// valid bids when this node knows the transfer and the bids select routers given the liquidity
/// left. What cannot be decided yet stays out (and waits for more bids or liquidity), and so
/// does what exceeds a batch's bounds ([`MAX_AUCTIONS_PER_BATCH`] and its siblings): it waits
/// for the next height.
pub fn build(
    bids: impl IntoIterator<Item = (B256, Vec<SignedBid>)>,
    ledger: &Ledger,
    transfers: &dyn TransferSource,
    approval: &dyn RouterApproval,
) -> Batch {
    let releases: Vec<Release> = ledger
        .open()
        .filter_map(|id| {
            let cause = match transfers.execute_ended(id) {
                Some(end) => ReleaseCause::Executed(end),
                None if ledger.expired(id) => ReleaseCause::Expired,
                None => return None,
            };
            Some(Release {
                transfer_id: *id,
                cause,
            })
        })
        .take(MAX_RELEASES_PER_BATCH)
        .collect();
    let mut state = ledger.clone();
    for release in &releases {
        state.release(release);
    }
    let mut observations = transfers.balances();
    // One per router and pool, the newest, in canonical order.
    observations.sort_by(|a, b| (a.pool, a.router, b.block).cmp(&(b.pool, b.router, a.block)));
    observations.dedup_by_key(|observation| (observation.pool, observation.router));
    observations.retain(|observation| {
        state.observable(observation)
            && state.balance(&observation.pool, observation.router) != observation.balance
    });
    observations.truncate(MAX_OBSERVATIONS_PER_BATCH);
    for observation in &observations {
        state.observe(observation);
    }
    let mut auctions = Vec::new();
    for (transfer_id, mut offered) in bids {
        if auctions.len() == MAX_AUCTIONS_PER_BATCH {
            break;
        }
        if state.is_decided(&transfer_id) {
            continue;
        }
        let Some(terms) = transfers.terms(&transfer_id) else {
            continue;
        };
        let domain = terms.signing_domain();
        offered.retain(|bid| {
            let digest = domain.router_bid_digest(transfer_id, bid.path_length as usize);
            valid_path_length(bid.path_length, terms.max_routers)
                && approval.approved(&terms, bid.router)
                && recover_digest(digest, &bid.signature).ok() == Some(bid.router)
        });
        offered.sort();
        offered.dedup_by(|a, b| (a.router, a.path_length) == (b.router, b.path_length));
        let Some(routers) = select(&terms, &offered, |router| {
            state.available(&terms.pool, router)
        }) else {
            continue;
        };
        let auction = Auction {
            terms,
            bids: offered,
            routers,
        };
        state.reserve(&auction);
        auctions.push(auction);
    }
    Batch {
        auctions,
        releases,
        observations,
    }
}

#[cfg(test)]
mod tests;
