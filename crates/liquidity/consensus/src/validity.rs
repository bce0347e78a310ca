//! The check every node applies to a proposed batch before voting for it, and the way a
//! proposer builds one that passes it.

use crate::ledger::Ledger;
use crate::selection::{select, valid_path_length};
use crate::value::{Auction, Batch, SignedBid, TransferTerms};
use alloy::primitives::{Address, B256};
use nxtp_primitives::recover_digest;
use std::collections::BTreeSet;

/// A node's own view of the transfers it may route: what the origin chain says about each, and
/// whether its execute ended on the destination. A node votes only for what its view confirms,
/// so a proposer cannot make up a transfer or release liquidity early.
pub trait TransferSource: Send + Sync {
    /// The terms of `transfer_id`, once this node saw it on its origin.
    fn terms(&self, transfer_id: &B256) -> Option<TransferTerms>;

    /// Whether the execute of `transfer_id` ended on its destination (its liquidity is spent).
    fn execute_ended(&self, transfer_id: &B256) -> bool;
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
    /// A release of a transfer with no open reservation, or one whose execute this node has not
    /// seen end.
    #[error("release of {0} this node cannot confirm")]
    UnconfirmedRelease(B256),
}

/// Checks `batch` against the ledger it would apply to: releases only of open reservations
/// whose execute this node saw end, then for each auction in order: a transfer decided only
/// once, terms this node confirms, canonical bids from approved routers each validly signed,
/// and the routers the selection rule picks given the liquidity left by the batch so far.
pub fn check(
    batch: &Batch,
    ledger: &Ledger,
    transfers: &dyn TransferSource,
    approval: &dyn RouterApproval,
) -> Result<(), Invalid> {
    let mut released = BTreeSet::new();
    for transfer_id in &batch.releases {
        let confirmed = ledger.reservation(transfer_id).is_some()
            && transfers.execute_ended(transfer_id)
            && released.insert(*transfer_id);
        if !confirmed {
            return Err(Invalid::UnconfirmedRelease(*transfer_id));
        }
    }
    let mut state = ledger.clone();
    state.apply(&Batch {
        auctions: Vec::new(),
        releases: batch.releases.clone(),
    });
    for auction in &batch.auctions {
        check_auction(auction, &state, transfers, approval)?;
        state.apply(&Batch {
            auctions: vec![auction.clone()],
            releases: Vec::new(),
        });
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

/// Builds the batch a proposer offers: releases of every open reservation whose execute ended,
/// then, for each transfer with bids (in `bids` order), an auction of its valid bids when this
/// node knows the transfer and the bids select routers given the liquidity left. What cannot be
/// decided yet stays out (and waits for more bids or liquidity).
pub fn build(
    bids: impl IntoIterator<Item = (B256, Vec<SignedBid>)>,
    ledger: &Ledger,
    transfers: &dyn TransferSource,
    approval: &dyn RouterApproval,
) -> Batch {
    let releases: Vec<B256> = ledger
        .open()
        .filter(|id| transfers.execute_ended(id))
        .copied()
        .collect();
    let mut state = ledger.clone();
    state.apply(&Batch {
        auctions: Vec::new(),
        releases: releases.clone(),
    });
    let mut auctions = Vec::new();
    for (transfer_id, mut offered) in bids {
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
        state.apply(&Batch {
            auctions: vec![auction.clone()],
            releases: Vec::new(),
        });
        auctions.push(auction);
    }
    Batch { auctions, releases }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::tests::terms;
    use alloy::primitives::{Bytes, U256};
    use alloy::signers::local::PrivateKeySigner;
    use nxtp_primitives::sign_digest;
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Known {
        terms: BTreeMap<B256, TransferTerms>,
        ended: Mutex<BTreeSet<B256>>,
    }

    impl TransferSource for Known {
        fn terms(&self, transfer_id: &B256) -> Option<TransferTerms> {
            self.terms.get(transfer_id).cloned()
        }
        fn execute_ended(&self, transfer_id: &B256) -> bool {
            self.ended
                .lock()
                .map(|ended| ended.contains(transfer_id))
                .unwrap_or(false)
        }
    }

    fn bid(router: &PrivateKeySigner, terms: &TransferTerms, n: u32) -> SignedBid {
        let digest = terms
            .signing_domain()
            .router_bid_digest(terms.transfer_id, n as usize);
        SignedBid {
            router: router.address(),
            path_length: n,
            signature: Bytes::copy_from_slice(&sign_digest(router, digest).expect("signs")),
        }
    }

    struct Setup {
        routers: Vec<PrivateKeySigner>,
        approved: BTreeSet<Address>,
        known: Known,
        ledger: Ledger,
    }

    fn setup(balances: &[u64]) -> Setup {
        let routers: Vec<PrivateKeySigner> = balances
            .iter()
            .map(|_| PrivateKeySigner::random())
            .collect();
        let approved = routers.iter().map(|r| r.address()).collect();
        let pool = terms(0, 0).pool;
        let ledger = Ledger::new(
            routers
                .iter()
                .zip(balances)
                .map(|(r, &b)| ((pool, r.address()), U256::from(b))),
        );
        let known = Known {
            terms: (1..=4)
                .map(|i| (B256::repeat_byte(i), terms(i, 100)))
                .collect(),
            ..Known::default()
        };
        Setup {
            routers,
            approved,
            known,
            ledger,
        }
    }

    #[test]
    fn a_built_batch_passes_and_no_liquidity_is_spent_twice() {
        let s = setup(&[150, 100]);
        let t1 = terms(1, 100);
        let t2 = terms(2, 100);
        let bids = vec![
            (
                t1.transfer_id,
                vec![bid(&s.routers[0], &t1, 1), bid(&s.routers[1], &t1, 1)],
            ),
            (
                t2.transfer_id,
                vec![bid(&s.routers[0], &t2, 1), bid(&s.routers[1], &t2, 1)],
            ),
        ];
        let batch = build(bids.clone(), &s.ledger, &s.known, &s.approved);
        assert_eq!(batch.auctions.len(), 2);
        check(&batch, &s.ledger, &s.known, &s.approved).expect("valid");
        // Each router covers only one transfer of 100: the two are on different routers.
        assert_ne!(batch.auctions[0].routers, batch.auctions[1].routers);

        let mut after = s.ledger.clone();
        after.apply(&batch);
        // Nothing can be decided twice, and nothing is left to decide with.
        assert!(build(bids, &after, &s.known, &s.approved).is_empty());
        assert_eq!(
            check(&batch, &after, &s.known, &s.approved),
            Err(Invalid::DecidedTwice(t1.transfer_id))
        );
    }

    #[test]
    fn refuses_each_broken_rule() {
        let s = setup(&[100, 100, 100]);
        let t = terms(1, 100);
        let bids = vec![(
            t.transfer_id,
            s.routers.iter().map(|r| bid(r, &t, 1)).collect::<Vec<_>>(),
        )];
        let good = build(bids, &s.ledger, &s.known, &s.approved);
        let check = |batch: &Batch| check(batch, &s.ledger, &s.known, &s.approved);
        check(&good).expect("valid");

        let chosen = good.auctions[0].routers[0];
        let other = s
            .routers
            .iter()
            .map(|r| r.address())
            .find(|&r| r != chosen)
            .expect("another");
        let mut rigged = good.clone();
        rigged.auctions[0].routers = vec![other];
        assert!(matches!(
            check(&rigged),
            Err(Invalid::WrongSelection { .. })
        ));

        let mut forged = good.clone();
        forged.auctions[0].bids[0].signature = forged.auctions[0].bids[1].signature.clone();
        assert!(matches!(check(&forged), Err(Invalid::BadSignature(..))));

        let mut made_up = good.clone();
        made_up.auctions[0].terms.to_front = U256::from(1);
        assert!(matches!(check(&made_up), Err(Invalid::UnconfirmedTerms(_))));

        let mut unsorted = good.clone();
        unsorted.auctions[0].bids.reverse();
        assert!(matches!(
            check(&unsorted),
            Err(Invalid::BidsNotCanonical(_))
        ));

        let stranger = PrivateKeySigner::random();
        let mut strangers = good.clone();
        strangers.auctions[0].bids = vec![bid(&stranger, &t, 1)];
        strangers.auctions[0].routers = vec![stranger.address()];
        assert!(matches!(check(&strangers), Err(Invalid::Unapproved(..))));

        let mut twice = good.clone();
        twice.auctions.push(good.auctions[0].clone());
        assert!(matches!(check(&twice), Err(Invalid::DecidedTwice(_))));

        let mut early = good;
        early.releases.push(t.transfer_id);
        assert!(matches!(check(&early), Err(Invalid::UnconfirmedRelease(_))));
    }

    #[test]
    fn a_release_frees_liquidity_only_once_the_execute_ended() {
        let s = setup(&[100]);
        let (t1, t2) = (terms(1, 100), terms(2, 60));
        let first = build(
            vec![(t1.transfer_id, vec![bid(&s.routers[0], &t1, 1)])],
            &s.ledger,
            &s.known,
            &s.approved,
        );
        let mut ledger = s.ledger.clone();
        ledger.apply(&first);
        let second_bids = vec![(t2.transfer_id, vec![bid(&s.routers[0], &t2, 1)])];
        assert!(build(second_bids.clone(), &ledger, &s.known, &s.approved).is_empty());

        s.known.ended.lock().expect("lock").insert(t1.transfer_id);
        let release = build(second_bids, &ledger, &s.known, &s.approved);
        // The router fronted 100 of its 100: released, but nothing left for the next one.
        assert_eq!(release.releases, [t1.transfer_id]);
        assert!(release.auctions.is_empty());
        check(&release, &ledger, &s.known, &s.approved).expect("valid release");
    }
}
