//! The fast path's arithmetic, as `Connext` computes it (`Connext._front`, `Connext._creditRouters`):
//! what the routers of a transfer front together, and what each of them is debited. The router, the
//! sequencer and the SDK all use these, so a quote, a bid and an auction never disagree with the
//! chain.

use alloy::primitives::U256;

/// Basis points in one (`ConnextBase.BPS`).
pub const BPS: u64 = 10_000;

/// What the routers of a transfer front together: `bridgedAmt * (BPS - liquidityFeeBps) / BPS` in
/// Solidity's checked arithmetic. `None` where the contract reverts instead (a fee above [`BPS`], or a
/// product above 2^256 - 1): no router can front such a transfer.
pub fn fronted_amount(bridged: U256, fee_bps: u16) -> Option<U256> {
    let keep = BPS.checked_sub(u64::from(fee_bps))?;
    Some(bridged.checked_mul(U256::from(keep))? / U256::from(BPS))
}

/// What `Connext` debits each of `count` routers fronting `to_front`, in path order: `to_front / count`
/// each, the last also the rounding dust (`to_front - share * (count - 1)`). Empty for no routers.
pub fn router_debits(to_front: U256, count: usize) -> Vec<U256> {
    let Some(last) = count.checked_sub(1) else {
        return Vec::new();
    };
    let share = to_front / U256::from(count);
    // share * last <= to_front, so neither operation can overflow or underflow.
    let dust_share = to_front - share * U256::from(last);
    let mut debits = vec![share; last];
    debits.push(dust_share);
    debits
}

/// What each router of a path of `count` must hold to front its part of `to_front` wherever the
/// sequencer puts it in the path: `to_front / count + (count - 1)`, at least every
/// [`router_debits`] entry (the last router's dust is below `count`). Saturates rather than
/// overflows; a `count` of zero is read as one.
pub fn share_needed(to_front: U256, count: usize) -> U256 {
    let count = U256::from(count.max(1));
    (to_front / count).saturating_add(count - U256::from(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fronted_amount_rounds_down_like_the_contract() {
        let fronted = |bridged: u64, fee: u16| fronted_amount(U256::from(bridged), fee);
        assert_eq!(fronted(1_000_000, 5), Some(U256::from(999_500)));
        assert_eq!(fronted(10_000, 5), Some(U256::from(9_995)));
        assert_eq!(fronted(1_999, 5), Some(U256::from(1_998)));
        assert_eq!(fronted(1, 5), Some(U256::ZERO));
        assert_eq!(fronted(77, 0), Some(U256::from(77)));
        assert_eq!(fronted(7, 10_000), Some(U256::ZERO));
    }

    #[test]
    fn fronted_amount_is_none_where_the_contract_reverts() {
        // `BPS - fee` underflows.
        assert_eq!(fronted_amount(U256::from(7), 10_001), None);
        // `bridgedAmt * (BPS - fee)` overflows: the largest amount that does not, and the next.
        for fee in [0u16, 5, 100, 9_998] {
            let keep = U256::from(BPS - u64::from(fee));
            let largest = U256::MAX / keep;
            assert_eq!(
                fronted_amount(largest, fee),
                Some(largest * keep / U256::from(BPS)),
                "fee {fee}"
            );
            assert_eq!(
                fronted_amount(largest + U256::from(1), fee),
                None,
                "fee {fee}"
            );
        }
        assert_eq!(fronted_amount(U256::MAX, 0), None);
        assert_eq!(fronted_amount(U256::MAX, 5), None);
        // A fee of the whole amount keeps nothing, however large the amount.
        assert_eq!(fronted_amount(U256::MAX, 10_000), Some(U256::ZERO));
    }

    #[test]
    fn debits_add_up_and_the_last_router_pays_the_dust() {
        assert_eq!(router_debits(U256::from(100), 0), Vec::<U256>::new());
        assert_eq!(router_debits(U256::from(101), 1), vec![U256::from(101)]);
        assert_eq!(
            router_debits(U256::from(101), 4),
            vec![
                U256::from(25),
                U256::from(25),
                U256::from(25),
                U256::from(26)
            ]
        );
        for to_front in [U256::ZERO, U256::from(3), U256::from(1_000_003), U256::MAX] {
            for count in [1usize, 2, 3, 4, 8, 16] {
                let debits = router_debits(to_front, count);
                assert_eq!(debits.len(), count);
                let total = debits.iter().fold(U256::ZERO, |sum, d| sum + *d);
                assert_eq!(total, to_front, "{to_front} over {count}");
            }
        }
    }

    #[test]
    fn share_needed_covers_every_debit() {
        // 101 over 4: shares of 25, the last pays 26; 25 + 3 covers both.
        assert_eq!(share_needed(U256::from(101), 4), U256::from(28));
        assert_eq!(share_needed(U256::from(100), 1), U256::from(100));
        assert_eq!(share_needed(U256::from(5), 0), U256::from(5));
        for to_front in [0u64, 1, 2, 3, 7, 10, 99, 1_000_003]
            .map(U256::from)
            .into_iter()
            .chain([U256::MAX - U256::from(1), U256::MAX])
        {
            for count in [1usize, 2, 4, 8, 16] {
                let needed = share_needed(to_front, count);
                for debit in router_debits(to_front, count) {
                    assert!(needed >= debit, "{to_front} over {count}");
                }
            }
        }
        assert_eq!(share_needed(U256::MAX, 1), U256::MAX);
    }
}
