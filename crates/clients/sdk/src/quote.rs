//! What a transfer costs and delivers: the relayer fee the sequencer asks, and the amount routers front.

use crate::{
    asset::{AssetInfo, AssetRef},
    client::Sdk,
    error::SdkError,
};
use alloy::primitives::{Address, U256};
use nxtp_primitives::Domain;

/// Basis-point denominator of the liquidity fee.
const BPS: u64 = 10_000;

/// A transfer's costs and what its recipient gets on the fast path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    /// The origin domain.
    pub origin: Domain,
    /// The destination domain.
    pub destination: Domain,
    /// The asset on the origin.
    pub asset: AssetInfo,
    /// The token delivered on the destination (its local asset for the same canonical asset).
    pub destination_asset: Address,
    /// The amount sent, in base units.
    pub amount: U256,
    /// The native relayer fee (wei) the sequencer asks; `None` without a sequencer.
    pub relayer_fee: Option<U256>,
    /// The destination's fast-path liquidity fee, in basis points.
    pub liquidity_fee_bps: u16,
    /// What the recipient receives if routers front the transfer, in base units.
    pub amount_received: U256,
}

/// The checked path of a transfer: asset approved on the origin, destination enrolled, asset registered there.
pub(crate) struct Route {
    pub(crate) asset: AssetInfo,
    pub(crate) destination_asset: Address,
    pub(crate) liquidity_fee_bps: u16,
}

/// What routers front for `amount`: `amount * (10000 - fee_bps) / 10000`, as `Connext.execute` computes it.
pub fn fast_path_amount(amount: U256, fee_bps: u16) -> U256 {
    let kept = U256::from(BPS.saturating_sub(u64::from(fee_bps)));
    let bps = U256::from(BPS);
    // Split so the product cannot overflow: floor(a * k / B) = (a / B) * k + (a % B) * k / B.
    amount / bps * kept + amount % bps * kept / bps
}

impl Sdk {
    /// Quotes sending `amount` (base units) of `asset` from `origin` to `destination`: the relayer fee (from the
    /// sequencer, if one is configured) and the amount received on the fast path. Checks the route as `xcall`
    /// would, so a quote that succeeds names a transfer that can be sent.
    ///
    /// ```no_run
    /// # async fn demo(sdk: nxtp_sdk::Sdk) -> Result<(), Box<dyn std::error::Error>> {
    /// use nxtp_primitives::Domain;
    /// use nxtp_sdk::{format_units, Amount, AssetRef};
    ///
    /// let asset: AssetRef = "DEMO".parse()?;
    /// let info = sdk.asset(Domain(1000), &asset).await?;
    /// let amount = "12.5".parse::<Amount>()?.to_positive_base_units(info.decimals)?;
    /// let quote = sdk.quote(Domain(1000), Domain(2000), &asset, amount).await?;
    /// println!(
    ///     "receive {} DEMO, relayer fee {:?} wei",
    ///     format_units(quote.amount_received, info.decimals),
    ///     quote.relayer_fee
    /// );
    /// # Ok(()) }
    /// ```
    pub async fn quote(
        &self,
        origin: Domain,
        destination: Domain,
        asset: &AssetRef,
        amount: U256,
    ) -> Result<Quote, SdkError> {
        let route = self.route(origin, destination, asset).await?;
        let relayer_fee = match self.sequencer() {
            Some(sequencer) => Some(
                sequencer
                    .relayer_fee(origin, destination)
                    .await
                    .map_err(SdkError::Sequencer)?,
            ),
            None => None,
        };
        Ok(Quote {
            origin,
            destination,
            amount_received: fast_path_amount(amount, route.liquidity_fee_bps),
            asset: route.asset,
            destination_asset: route.destination_asset,
            amount,
            relayer_fee,
            liquidity_fee_bps: route.liquidity_fee_bps,
        })
    }

    /// The sequencer's relayer fee quote for `origin` to `destination`, in native wei: what a
    /// transfer must pay before the sequencer auctions it. Fails without a sequencer
    /// ([`SdkError::NoSequencer`]).
    pub async fn quoted_relayer_fee(
        &self,
        origin: Domain,
        destination: Domain,
    ) -> Result<U256, SdkError> {
        let sequencer = self.sequencer().ok_or(SdkError::NoSequencer)?;
        sequencer
            .relayer_fee(origin, destination)
            .await
            .map_err(SdkError::Sequencer)
    }

    pub(crate) async fn route(
        &self,
        origin: Domain,
        destination: Domain,
        asset: &AssetRef,
    ) -> Result<Route, SdkError> {
        self.settings(origin)?;
        self.settings(destination)?;
        if origin == destination {
            return Err(SdkError::SameDomain(origin));
        }
        let info = self.approved_asset(origin, asset).await?;
        let remote = self
            .connext(origin)
            .await?
            .remoteConnext(destination.get())
            .call()
            .await
            .map_err(|err| SdkError::from_contract(origin, "Connext.remoteConnext", err))?;
        if remote.is_zero() {
            return Err(SdkError::DestinationNotEnrolled {
                origin,
                destination,
            });
        }
        let there = self.connext(destination).await?;
        let destination_asset = there
            .localAsset(info.canonical_domain, info.canonical_id)
            .call()
            .await
            .map_err(|err| SdkError::from_contract(destination, "Connext.localAsset", err))?;
        if destination_asset.is_zero() {
            return Err(SdkError::AssetNotOnDestination {
                destination,
                canonical_domain: info.canonical_domain,
                canonical_id: info.canonical_id,
            });
        }
        let liquidity_fee_bps =
            there.liquidityFeeBps().call().await.map_err(|err| {
                SdkError::from_contract(destination, "Connext.liquidityFeeBps", err)
            })?;
        Ok(Route {
            asset: info,
            destination_asset,
            liquidity_fee_bps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routers_front_the_amount_less_the_fee_rounded_down() {
        assert_eq!(
            fast_path_amount(U256::from(10_000u64), 5),
            U256::from(9_995u64)
        );
        assert_eq!(
            fast_path_amount(U256::from(1_999u64), 5),
            U256::from(1_998u64)
        );
        assert_eq!(fast_path_amount(U256::from(1u64), 5), U256::ZERO);
        assert_eq!(fast_path_amount(U256::from(77u64), 0), U256::from(77u64));
        let max = fast_path_amount(U256::MAX, 5);
        assert_eq!(
            max,
            U256::MAX - U256::MAX / U256::from(2_000u64) - U256::from(1u64)
        );
    }
}
