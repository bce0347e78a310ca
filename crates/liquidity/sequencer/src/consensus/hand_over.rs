//! [`HandOver`]: each auction the network decides, recorded as this node's decision for the
//! dispatch to post to the relayer.

use super::TICK;
use crate::{
    error::SequencerError,
    execute::quorum_execute_calldata,
    shared::Shared,
    store::{self, Decision, Outcome},
};
use alloy::primitives::{Address, Bytes, B256};
use nxtp_agent::{clock::now_ms, prometheus::IntGauge, CancellationToken};
use nxtp_bindings::SequencerQuorum;
use nxtp_consensus::{Auction, CertifiedSelection, Height, NodeAddress, NodeStore, ValidatorSet};
use nxtp_primitives::TransferInfo;
use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::{watch, Notify};

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

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::{primitives::U256, signers::local::PrivateKeySigner, sol_types::SolCall};
    use nxtp_bindings::Connext;
    use nxtp_consensus::{NodeKey, Pool, SignedBid, TransferTerms};
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
