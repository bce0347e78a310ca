//! The selection rule every node applies to the bids of a decided auction: the fewest routers
//! that cover the amount, ties broken by a seed derived from the auction itself.
//!
//! Pure and stable across builds: the order among equals comes from keccak256, not from a
//! random number generator whose algorithm a dependency update could change, so two honest
//! nodes of different builds still agree.

use crate::value::{SignedBid, TransferTerms};
use crate::wire::{Wire, Writer};
use alloy::primitives::{keccak256, Address, B256, U256};
use nxtp_primitives::fees;
use std::collections::BTreeSet;

/// Tags the seed so it can never be confused with another keccak256 this protocol signs.
const SEED_TAG: &[u8] = b"nxtp-consensus/selection-seed/v1";

/// Whether `n` is a path length a router may bid: a power of two no larger than `max_routers`.
pub fn valid_path_length(n: u32, max_routers: u32) -> bool {
    n.is_power_of_two() && n <= max_routers
}

/// The seed of an auction: the keccak256 of its transfer's terms and its included bids, so every
/// node that decided the auction derives the same one, and nobody can know it before the bids
/// are fixed.
pub fn seed(terms: &TransferTerms, bids: &[SignedBid]) -> B256 {
    let mut out = Writer::new();
    out.fixed(SEED_TAG);
    terms.encode(&mut out);
    out.seq(bids);
    keccak256(out.into_bytes())
}

/// The rank of `router` among equals under `seed`: lower goes first.
fn rank(seed: B256, router: Address) -> B256 {
    let mut preimage = [0u8; 52];
    preimage[..32].copy_from_slice(seed.as_slice());
    preimage[32..].copy_from_slice(router.as_slice());
    keccak256(preimage)
}

/// The routers of an auction, in path order: for the smallest valid path length `n` for which
/// at least `n` routers bid `n` and each has [`fees::share_needed`] available, the `n` of them
/// ranked first under the auction's [`seed`]. `None` when no path length is covered.
pub fn select(
    terms: &TransferTerms,
    bids: &[SignedBid],
    available: impl Fn(Address) -> U256,
) -> Option<Vec<Address>> {
    let seed = seed(terms, bids);
    let lengths: BTreeSet<u32> = bids
        .iter()
        .map(|bid| bid.path_length)
        .filter(|&n| valid_path_length(n, terms.max_routers))
        .collect();
    for n in lengths {
        let count = usize::try_from(n).ok()?;
        let need = fees::share_needed(terms.to_front, count);
        let able: BTreeSet<Address> = bids
            .iter()
            .filter(|bid| bid.path_length == n && available(bid.router) >= need)
            .map(|bid| bid.router)
            .collect();
        if able.len() >= count {
            let mut ranked: Vec<Address> = able.into_iter().collect();
            ranked.sort_by_key(|&router| rank(seed, router));
            ranked.truncate(count);
            return Some(ranked);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::tests::terms;
    use alloy::primitives::Bytes;
    use std::collections::BTreeMap;

    fn router(byte: u8) -> Address {
        Address::repeat_byte(byte)
    }

    fn bids(entries: &[(u8, &[u32])]) -> Vec<SignedBid> {
        let mut bids: Vec<SignedBid> = entries
            .iter()
            .flat_map(|(byte, lengths)| {
                lengths.iter().map(move |&path_length| SignedBid {
                    router: router(*byte),
                    path_length,
                    signature: Bytes::from(vec![*byte; 65]),
                })
            })
            .collect();
        bids.sort();
        bids
    }

    fn held(entries: &[(u8, u64)]) -> impl Fn(Address) -> U256 {
        let map: BTreeMap<Address, U256> = entries
            .iter()
            .map(|(byte, amount)| (router(*byte), U256::from(*amount)))
            .collect();
        move |router| map.get(&router).copied().unwrap_or_default()
    }

    #[test]
    fn prefers_the_fewest_routers() {
        let bids = bids(&[(1, &[1, 2]), (2, &[2]), (3, &[1, 2, 4])]);
        let terms = terms(1, 100);
        assert_eq!(
            select(&terms, &bids, held(&[(1, 60), (2, 60), (3, 100)])),
            Some(vec![router(3)])
        );
        // Nobody covers it alone: two routers, each holding at least 50 + 1.
        let mut pair = select(&terms, &bids, held(&[(1, 51), (2, 51), (3, 50)])).expect("a pair");
        pair.sort();
        assert_eq!(pair, [router(1), router(2)]);
    }

    #[test]
    fn none_when_nothing_covers_and_lengths_are_bounded() {
        let terms = terms(1, 100);
        let two = bids(&[(1, &[1, 2]), (2, &[1])]);
        assert_eq!(select(&terms, &two, held(&[(1, 99), (2, 99)])), None);
        assert_eq!(select(&terms, &[], held(&[(1, 99)])), None);
        // Path length 8 exceeds the destination's maximum of 4; 3 is no power of two.
        let wide = bids(&[(1, &[3, 8]), (2, &[3, 8]), (3, &[3, 8])]);
        assert_eq!(
            select(&terms, &wide, held(&[(1, 99), (2, 99), (3, 99)])),
            None
        );
    }

    #[test]
    fn ties_follow_the_seed_deterministically() {
        let bids = bids(&[(1, &[1]), (2, &[1]), (3, &[1]), (4, &[1])]);
        let balances = [(1, 100), (2, 100), (3, 100), (4, 100)];
        let mut winners = BTreeSet::new();
        for id in 0..64 {
            let terms = terms(id, 100);
            let first = select(&terms, &bids, held(&balances)).expect("one");
            // Same auction, same answer: every node computes it alone.
            assert_eq!(select(&terms, &bids, held(&balances)), Some(first.clone()));
            winners.insert(first[0]);
        }
        assert_eq!(winners.len(), 4, "every able router wins some transfers");
        // The seed changes with the included bids, so it is fixed only once they are.
        let t = terms(1, 100);
        assert_ne!(seed(&t, &bids), seed(&t, &bids[..3]));
    }
}
