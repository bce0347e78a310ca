//! After sending: adding relayer fee on the origin, and the delegate's overrides on the destination.

use crate::{
    client::Sdk,
    error::SdkError,
    tx::{self, TxOutcome},
};
use alloy::{
    primitives::{Address, B256, U256},
    signers::local::PrivateKeySigner,
};
use nxtp_bindings::Connext;
use nxtp_primitives::{transfer_id, Domain, TransferInfo};

impl Sdk {
    /// Adds `amount` wei of native relayer fee to a transfer sent from `origin` (`bumpTransfer`), for a sequencer
    /// that wants more than was paid. Refuses a transfer `origin` never sent.
    ///
    /// ```no_run
    /// # async fn demo(sdk: nxtp_sdk::Sdk, signer: alloy::signers::local::PrivateKeySigner, id: alloy::primitives::B256) -> Result<(), nxtp_sdk::SdkError> {
    /// use alloy::primitives::U256;
    /// use nxtp_primitives::Domain;
    ///
    /// let bumped = sdk.bump_fee(&signer, Domain(1000), id, U256::from(1_000_000_000_000_000u64)).await?;
    /// println!("fee raised in {}", bumped.tx);
    /// # Ok(()) }
    /// ```
    pub async fn bump_fee(
        &self,
        signer: &PrivateKeySigner,
        origin: Domain,
        transfer_id: B256,
        amount: U256,
    ) -> Result<TxOutcome, SdkError> {
        if amount.is_zero() {
            return Err(SdkError::ZeroAmount);
        }
        if self.find_transfer_on(origin, transfer_id).await?.is_none() {
            return Err(SdkError::TransferNotFound(transfer_id));
        }
        let connext = self.settings(origin)?.connext;
        let provider = self.writer(origin, signer).await?;
        let contract = Connext::new(connext, &provider);
        let call = contract
            .bumpTransfer(transfer_id, Address::ZERO, U256::ZERO)
            .value(amount);
        let action = "bumpTransfer";
        let receipt = tx::send(origin, action, call, self.timing()).await?;
        tx::event::<Connext::TransferRelayerFeesIncreased>(&receipt, connext, origin, action)?;
        Ok(tx::outcome(&receipt))
    }

    /// As the transfer's delegate, raises its slippage tolerance (basis points) on the destination, for a transfer
    /// not yet delivered.
    pub async fn force_update_slippage(
        &self,
        signer: &PrivateKeySigner,
        params: &TransferInfo,
        slippage_bps: u32,
    ) -> Result<TxOutcome, SdkError> {
        if slippage_bps > 10_000 {
            return Err(SdkError::InvalidSlippage(slippage_bps));
        }
        let (destination, connext, provider) = self.as_delegate(signer, params).await?;
        let contract = Connext::new(connext, &provider);
        let call = contract.forceUpdateSlippage(params.clone().into(), U256::from(slippage_bps));
        let action = "forceUpdateSlippage";
        let receipt = tx::send(destination, action, call, self.timing()).await?;
        tx::event::<Connext::SlippageUpdated>(&receipt, connext, destination, action)?;
        Ok(tx::outcome(&receipt))
    }

    /// As the transfer's delegate, asks for it to be delivered in the destination's local asset.
    pub async fn force_receive_local(
        &self,
        signer: &PrivateKeySigner,
        params: &TransferInfo,
    ) -> Result<TxOutcome, SdkError> {
        let (destination, connext, provider) = self.as_delegate(signer, params).await?;
        let contract = Connext::new(connext, &provider);
        let call = contract.forceReceiveLocal(params.clone().into());
        let action = "forceReceiveLocal";
        let receipt = tx::send(destination, action, call, self.timing()).await?;
        tx::event::<Connext::ForceReceiveLocal>(&receipt, connext, destination, action)?;
        Ok(tx::outcome(&receipt))
    }

    /// The destination, its `Connext` and a provider signing as `signer`, once `signer` is the delegate.
    async fn as_delegate(
        &self,
        signer: &PrivateKeySigner,
        params: &TransferInfo,
    ) -> Result<(Domain, Address, alloy::providers::DynProvider), SdkError> {
        let destination = Domain(params.destinationDomain);
        let connext = self.settings(destination)?.connext;
        if signer.address() != params.delegate {
            return Err(SdkError::NotDelegate {
                transfer_id: transfer_id(params),
                signer: signer.address(),
                delegate: params.delegate,
            });
        }
        Ok((
            destination,
            connext,
            self.writer(destination, signer).await?,
        ))
    }
}
