//! What a transfer must pay its relayer and what it paid, both in native wei: the configured
//! quotes, and the fee assets accepted on each origin (valued at the operator's rates, their
//! decimals read from the chain at start-up).

use crate::config::Quotes;
use alloy::primitives::{B256, U256};
use nxtp_api::sequencer::QuotedFeeAsset;
use nxtp_liquidity::{FeeValuation, FeesPaid};
use nxtp_primitives::Domain;

/// The quotes and the valuation of fees paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pricing {
    /// The native wei each destination asks.
    pub quotes: Quotes,
    /// What fees paid in assets are worth.
    pub valuation: FeeValuation,
}

impl Pricing {
    /// The native wei a transfer to `destination` must have paid.
    pub fn relayer_fee(&self, destination: Domain) -> U256 {
        self.quotes.relayer_fee(destination)
    }

    /// What `paid` for `transfer_id` on `origin` is worth in native wei.
    pub fn paid_value(&self, origin: Domain, transfer_id: B256, paid: &FeesPaid) -> U256 {
        self.valuation.native_wei(origin, transfer_id, paid)
    }

    /// The assets a transfer from `origin` may pay its fee in, with their rates, for the quote.
    pub fn fee_assets(&self, origin: Domain) -> Vec<QuotedFeeAsset> {
        self.valuation
            .accepted_on(origin)
            .map(|(asset, rate)| QuotedFeeAsset {
                asset,
                decimals: rate.decimals(),
                native_wei_per_token: rate.native_wei_per_token(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::Address;
    use nxtp_liquidity::{FeeAssetRate, NATIVE};
    use std::collections::BTreeMap;

    const ORIGIN: Domain = Domain(1000);
    const DESTINATION: Domain = Domain(2000);
    const USDC: Address = Address::repeat_byte(0x06);
    const ID: B256 = B256::repeat_byte(1);

    /// A quote of 0.001 ETH; USDC (6 decimals) accepted on the origin at 0.0004 ETH a token.
    fn pricing() -> Pricing {
        let mut valuation = FeeValuation::native_only();
        let rate = FeeAssetRate::new(6, U256::from(400_000_000_000_000u64)).expect("valid");
        valuation.accept(ORIGIN, USDC, rate);
        Pricing {
            quotes: Quotes {
                default_relayer_fee: U256::from(1_000_000_000_000_000u64),
                destinations: BTreeMap::new(),
            },
            valuation,
        }
    }

    #[test]
    fn the_fee_gate_counts_a_fee_paid_only_in_the_asset() {
        let pricing = pricing();
        let quote = pricing.relayer_fee(DESTINATION);
        let in_usdc = |units: u64| FeesPaid::none().with(USDC, U256::from(units));
        // 2.5 USDC are worth the quote; one unit less is not.
        assert!(pricing.paid_value(ORIGIN, ID, &in_usdc(2_500_000)) >= quote);
        assert!(pricing.paid_value(ORIGIN, ID, &in_usdc(2_499_999)) < quote);
        // Paid on another origin, where USDC is not accepted: nothing.
        assert_eq!(
            pricing.paid_value(Domain(3000), ID, &in_usdc(2_500_000)),
            U256::ZERO
        );
        // Half native, half in the asset.
        let mixed = in_usdc(1_250_000).with(NATIVE, U256::from(500_000_000_000_000u64));
        assert_eq!(pricing.paid_value(ORIGIN, ID, &mixed), quote);
    }

    #[test]
    fn the_quote_lists_the_origin_s_assets() {
        let pricing = pricing();
        assert_eq!(
            pricing.fee_assets(ORIGIN),
            [QuotedFeeAsset {
                asset: USDC,
                decimals: 6,
                native_wei_per_token: U256::from(400_000_000_000_000u64),
            }]
        );
        assert!(pricing.fee_assets(DESTINATION).is_empty());
    }
}
