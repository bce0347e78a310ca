//! What a transfer costs and delivers: the relayer fee the sequencer asks, and the amount routers front.

use crate::{
    asset::{AssetInfo, AssetRef},
    client::Sdk,
    error::SdkError,
    fee::FeeSource,
    xcall::XcallRequest,
};
use alloy::primitives::{Address, Bytes, U256};
use nxtp_primitives::{fees, Domain};

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
    /// The native relayer fee (wei) the sequencer asks (or, while it does not answer, an estimate); `None` without
    /// a sequencer.
    pub relayer_fee: Option<U256>,
    /// Where `relayer_fee` came from: the sequencer, or an estimate that says why; `None` without a sequencer.
    pub relayer_fee_source: Option<FeeSource>,
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

impl Sdk {
    /// Quotes sending `amount` (base units) of `asset` from `origin` to `destination`: the relayer fee (from the
    /// sequencer, if one is configured) and the amount received on the fast path. Checks the route as `xcall`
    /// would, so a quote that succeeds names a transfer that can be sent.
    ///
    /// ```no_run
    /// # async fn demo(sdk: nxtp_sdk::Sdk) -> Result<(), Box<dyn std::error::Error>> {
    /// use nxtp_primitives::{fees, Domain};
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
        self.quote_route(
            origin,
            destination,
            asset,
            amount,
            Address::ZERO,
            &Bytes::new(),
        )
        .await
    }

    /// [`Sdk::quote`] for the transfer `request` describes: with calldata, a relayer fee estimated without the
    /// sequencer includes the receiver's `xReceive` gas.
    pub async fn quote_transfer(&self, request: &XcallRequest) -> Result<Quote, SdkError> {
        self.quote_route(
            request.origin,
            request.destination,
            &request.asset,
            request.amount,
            request.to,
            &request.call_data,
        )
        .await
    }

    async fn quote_route(
        &self,
        origin: Domain,
        destination: Domain,
        asset: &AssetRef,
        amount: U256,
        to: Address,
        call_data: &Bytes,
    ) -> Result<Quote, SdkError> {
        let route = self.route(origin, destination, asset).await?;
        let fee = match self.sequencer() {
            Some(_) => Some(
                self.relayer_fee_quote(origin, destination, to, call_data)
                    .await?,
            ),
            None => None,
        };
        let (relayer_fee, relayer_fee_source) = match fee {
            Some(fee) => (Some(fee.wei), Some(fee.source)),
            None => (None, None),
        };
        let amount_received = fees::fronted_amount(amount, route.liquidity_fee_bps).ok_or(
            SdkError::NotFrontable {
                amount,
                fee_bps: route.liquidity_fee_bps,
            },
        )?;
        Ok(Quote {
            origin,
            destination,
            amount_received,
            asset: route.asset,
            destination_asset: route.destination_asset,
            amount,
            relayer_fee,
            relayer_fee_source,
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
