//! Fee choices: the first fees follow the market, a replacement raises both fields by at least
//! 12.5% (nodes refuse smaller raises; geth wants 10%), and a configured cap bounds both.

use super::operation::Fees;

/// The fees for a first transaction: the market's, within `cap`.
pub(crate) fn initial(market: Fees, cap: Option<u128>) -> Fees {
    let max_fee_per_gas = cap.map_or(market.max_fee_per_gas, |cap| {
        market.max_fee_per_gas.min(cap)
    });
    Fees {
        max_fee_per_gas,
        max_priority_fee_per_gas: market.max_priority_fee_per_gas.min(max_fee_per_gas),
    }
}

/// The fees for a replacement of a transaction paying `previous`: the higher of a 12.5% raise
/// and the market. `None` when the raise would exceed `cap`: the transaction then waits at its
/// current fees.
pub(crate) fn bumped(previous: Fees, market: Fees, cap: Option<u128>) -> Option<Fees> {
    let max_priority_fee_per_gas =
        raise(previous.max_priority_fee_per_gas).max(market.max_priority_fee_per_gas);
    let max_fee_per_gas = raise(previous.max_fee_per_gas)
        .max(market.max_fee_per_gas)
        .max(max_priority_fee_per_gas);
    match cap {
        Some(cap) if max_fee_per_gas > cap => {
            // Raising to the cap is still a valid replacement when the cap allows 12.5%.
            let capped = Fees {
                max_fee_per_gas: cap,
                max_priority_fee_per_gas: max_priority_fee_per_gas.min(cap),
            };
            is_replacement(previous, capped).then_some(capped)
        }
        _ => Some(Fees {
            max_fee_per_gas,
            max_priority_fee_per_gas,
        }),
    }
}

/// `value` plus at least 12.5%, and at least 1 wei more, so zero fees rise too.
fn raise(value: u128) -> u128 {
    value
        .saturating_add(value.div_ceil(8))
        .max(value.saturating_add(1))
}

fn is_replacement(previous: Fees, next: Fees) -> bool {
    next.max_fee_per_gas >= raise(previous.max_fee_per_gas)
        && next.max_priority_fee_per_gas >= raise(previous.max_priority_fee_per_gas)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fees(max_fee_per_gas: u128, max_priority_fee_per_gas: u128) -> Fees {
        Fees {
            max_fee_per_gas,
            max_priority_fee_per_gas,
        }
    }

    #[test]
    fn bump_raises_both_fields_by_an_eighth_at_least() {
        let previous = fees(1_000, 100);
        let next = bumped(previous, fees(10, 1), None).expect("no cap");
        assert_eq!(next, fees(1_125, 113));
        assert!(is_replacement(previous, next));
        // Zero priority fees (common on devnets) still rise.
        assert_eq!(bumped(fees(7, 0), fees(0, 0), None), Some(fees(8, 1)));
    }

    #[test]
    fn bump_follows_a_market_above_the_raise() {
        assert_eq!(
            bumped(fees(1_000, 100), fees(5_000, 300), None),
            Some(fees(5_000, 300))
        );
    }

    #[test]
    fn cap_bounds_fees_and_stops_bumps_it_cannot_fit() {
        assert_eq!(initial(fees(5_000, 300), Some(1_000)), fees(1_000, 300));
        assert_eq!(initial(fees(5_000, 3_000), Some(1_000)), fees(1_000, 1_000));
        assert_eq!(
            bumped(fees(850, 100), fees(0, 0), Some(960)),
            Some(fees(957, 113))
        );
        // A market above the cap is followed only up to it.
        assert_eq!(
            bumped(fees(800, 100), fees(2_000, 0), Some(950)),
            Some(fees(950, 113))
        );
        assert_eq!(bumped(fees(900, 100), fees(0, 0), Some(950)), None);
    }

    #[test]
    fn raise_never_overflows() {
        assert_eq!(raise(u128::MAX), u128::MAX);
        assert_eq!(raise(8), 9);
        assert_eq!(raise(9), 11);
    }
}
