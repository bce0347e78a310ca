//! Choosing a transfer's routers: the fewest that cover it, at random among equals.
//!
//! Pure: the caller reads the balances and the destination's parameters from the chain, so the
//! rule itself is tested without one.

use alloy::primitives::{Address, U256};
use nxtp_primitives::fees;
use rand::{seq::SliceRandom, Rng};
use std::collections::{BTreeMap, BTreeSet};

/// Whether `n` is a path length a router may bid: a power of two no larger than `max_routers`.
pub fn valid_path_length(n: u32, max_routers: u32) -> bool {
    n.is_power_of_two() && n <= max_routers
}

/// Picks the routers of a transfer fronting `fronted`: for the smallest path length `n` (at most
/// `max_routers`) for which at least `n` routers bid `n` and each holds [`fees::share_needed`], `n`
/// of them at random (in random order). `None` when no path length is covered.
pub fn select<R: Rng + ?Sized>(
    fronted: U256,
    bids: &BTreeMap<Address, BTreeSet<u32>>,
    balances: &BTreeMap<Address, U256>,
    max_routers: u32,
    rng: &mut R,
) -> Option<Vec<Address>> {
    let lengths: BTreeSet<u32> = bids
        .values()
        .flatten()
        .copied()
        .filter(|&n| valid_path_length(n, max_routers))
        .collect();
    for n in lengths {
        // Path lengths are u32 on the wire; usize is at least as wide on every supported target.
        let need = fees::share_needed(fronted, n as usize);
        let mut able: Vec<Address> = bids
            .iter()
            .filter(|(router, lengths)| {
                lengths.contains(&n) && balances.get(*router).is_some_and(|&held| held >= need)
            })
            .map(|(&router, _)| router)
            .collect();
        let count = usize::try_from(n).ok()?;
        if able.len() >= count {
            able.shuffle(rng);
            able.truncate(count);
            return Some(able);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};
    use std::collections::BTreeMap;

    fn router(byte: u8) -> Address {
        Address::repeat_byte(byte)
    }

    fn bids(entries: &[(u8, &[u32])]) -> BTreeMap<Address, BTreeSet<u32>> {
        entries
            .iter()
            .map(|(byte, lengths)| (router(*byte), lengths.iter().copied().collect()))
            .collect()
    }

    fn balances(entries: &[(u8, u64)]) -> BTreeMap<Address, U256> {
        entries
            .iter()
            .map(|(byte, amount)| (router(*byte), U256::from(*amount)))
            .collect()
    }

    #[test]
    fn amounts_follow_the_contract() {
        let fronted_amount = |bridged: u64, fee| fees::fronted_amount(U256::from(bridged), fee);
        assert_eq!(fronted_amount(1_000_000, 5), Some(U256::from(999_500)));
        assert_eq!(fronted_amount(1_999, 5), Some(U256::from(1_998)));
        assert_eq!(fronted_amount(7, 10_000), Some(U256::ZERO));
        assert_eq!(fees::share_needed(U256::from(100), 1), U256::from(100));
        // 101 over 4: shares of 25, the last pays 26; 25 + 3 covers both.
        assert_eq!(fees::share_needed(U256::from(101), 4), U256::from(28));
        assert!(valid_path_length(1, 5) && valid_path_length(4, 5));
        assert!(!valid_path_length(0, 5));
        assert!(!valid_path_length(3, 5));
        assert!(!valid_path_length(8, 5));
    }

    #[test]
    fn prefers_the_fewest_routers() {
        let bids = bids(&[(1, &[1, 2]), (2, &[2]), (3, &[1, 2, 4])]);
        let mut rng = StdRng::seed_from_u64(1);
        // Only router 3 covers the whole amount alone.
        let held = balances(&[(1, 60), (2, 60), (3, 100)]);
        assert_eq!(
            select(U256::from(100), &bids, &held, 5, &mut rng),
            Some(vec![router(3)])
        );
        // Nobody covers it alone: two routers, each holding at least 50 + 1.
        let held = balances(&[(1, 51), (2, 51), (3, 50)]);
        let mut chosen = select(U256::from(100), &bids, &held, 5, &mut rng).expect("a pair");
        chosen.sort();
        assert_eq!(chosen, [router(1), router(2)]);
    }

    #[test]
    fn picks_at_random_among_equals() {
        let bids = bids(&[(1, &[1]), (2, &[1]), (3, &[1])]);
        let held = balances(&[(1, 100), (2, 100), (3, 100)]);
        let mut rng = StdRng::seed_from_u64(7);
        let mut seen = BTreeSet::new();
        for _ in 0..200 {
            let chosen = select(U256::from(100), &bids, &held, 5, &mut rng).expect("one");
            assert_eq!(chosen.len(), 1);
            seen.insert(chosen[0]);
        }
        assert_eq!(seen.len(), 3, "every able router gets picked sometimes");
    }

    #[test]
    fn none_when_nothing_covers() {
        let mut rng = StdRng::seed_from_u64(3);
        let bids_one = bids(&[(1, &[1, 2]), (2, &[1])]);
        // A pair would cover 50 + 1 each, but router 2 did not bid 2.
        let held = balances(&[(1, 99), (2, 99)]);
        assert_eq!(select(U256::from(100), &bids_one, &held, 5, &mut rng), None);
        // A router with no known balance never covers.
        assert_eq!(
            select(U256::from(1), &bids_one, &BTreeMap::new(), 5, &mut rng),
            None
        );
        assert_eq!(
            select(U256::from(1), &BTreeMap::new(), &held, 5, &mut rng),
            None
        );
    }

    #[test]
    fn respects_the_max_routers() {
        let mut rng = StdRng::seed_from_u64(5);
        let bids = bids(&[(1, &[4]), (2, &[4]), (3, &[4]), (4, &[4])]);
        let held = balances(&[(1, 30), (2, 30), (3, 30), (4, 30)]);
        assert_eq!(select(U256::from(100), &bids, &held, 2, &mut rng), None);
        let chosen = select(U256::from(100), &bids, &held, 4, &mut rng).expect("four");
        assert_eq!(chosen.iter().collect::<BTreeSet<_>>().len(), 4);
    }

    #[test]
    fn a_zero_amount_needs_no_liquidity() {
        let mut rng = StdRng::seed_from_u64(9);
        let bids = bids(&[(1, &[1])]);
        let held = balances(&[(1, 0)]);
        assert_eq!(
            select(U256::ZERO, &bids, &held, 5, &mut rng),
            Some(vec![router(1)])
        );
    }
}
