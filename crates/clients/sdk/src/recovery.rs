//! After sending: adding relayer fee on the origin, and the delegate's overrides on the destination.

use crate::{
    client::Sdk,
    error::SdkError,
    status::{SentTransfer, Stage},
    tx::{self, TxOutcome},
};
use alloy::{
    primitives::{Address, B256, U256},
    signers::local::PrivateKeySigner,
};
use nxtp_bindings::Connext;
use nxtp_primitives::{transfer_id, Domain, TransferInfo};

/// A bump of a transfer's relayer fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BumpReceipt {
    /// The `bumpTransfer` transaction.
    pub outcome: TxOutcome,
    /// The origin it was sent on.
    pub origin: Domain,
    /// Wei added.
    pub added: U256,
    /// Wei paid in all for the transfer, this bump included.
    pub paid: U256,
}

/// A delegate's override of a transfer on its destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverrideReceipt {
    /// The transaction.
    pub outcome: TxOutcome,
    /// The destination it was sent on.
    pub destination: Domain,
}

impl Sdk {
    /// Adds `amount` wei of native relayer fee to `transfer_id`, on whichever configured domain sent it. Refuses a
    /// transfer no configured domain sent, one already delivered (a bump would pay nobody), and a zero amount.
    ///
    /// ```no_run
    /// # async fn demo(sdk: nxtp_sdk::Sdk, signer: alloy::signers::local::PrivateKeySigner, id: alloy::primitives::B256) -> Result<(), nxtp_sdk::SdkError> {
    /// let bumped = sdk.bump(&signer, id, alloy::primitives::U256::from(10u64).pow(alloy::primitives::U256::from(15u64))).await?;
    /// println!("{} wei paid in all", bumped.paid);
    /// # Ok(()) }
    /// ```
    pub async fn bump(
        &self,
        signer: &PrivateKeySigner,
        transfer_id: B256,
        amount: U256,
    ) -> Result<BumpReceipt, SdkError> {
        if amount.is_zero() {
            return Err(SdkError::ZeroAmount);
        }
        let sent = self.undelivered(transfer_id).await?;
        let origin = Domain(sent.params.originDomain);
        let outcome = self.bump_fee(signer, origin, transfer_id, amount).await?;
        Ok(BumpReceipt {
            outcome,
            origin,
            added: amount,
            paid: self.relayer_fee_paid(origin, transfer_id).await?,
        })
    }

    /// Bumps `transfer_id` by what the sequencer's quote asks beyond what was paid. Refuses without a sequencer
    /// answer (an estimate is not what the sequencer auctions at) and when the quote is already paid
    /// ([`SdkError::FeeCovered`]).
    pub async fn bump_to_quote(
        &self,
        signer: &PrivateKeySigner,
        transfer_id: B256,
    ) -> Result<BumpReceipt, SdkError> {
        let sent = self.undelivered(transfer_id).await?;
        let (origin, destination) = (
            Domain(sent.params.originDomain),
            Domain(sent.params.destinationDomain),
        );
        let quote = self.quoted_relayer_fee(origin, destination).await?;
        let paid = self.relayer_fee_paid(origin, transfer_id).await?;
        if paid >= quote {
            return Err(SdkError::FeeCovered {
                transfer_id,
                paid,
                quote,
            });
        }
        self.bump(signer, transfer_id, quote - paid).await
    }

    /// As the delegate of `transfer_id` (found on whichever configured domain sent it), raises its slippage
    /// tolerance on the destination ([`Sdk::force_update_slippage`]). Refuses a transfer already delivered.
    pub async fn update_slippage(
        &self,
        signer: &PrivateKeySigner,
        transfer_id: B256,
        slippage_bps: u32,
    ) -> Result<OverrideReceipt, SdkError> {
        if slippage_bps > 10_000 {
            return Err(SdkError::InvalidSlippage(slippage_bps));
        }
        let sent = self.undelivered(transfer_id).await?;
        let outcome = self
            .force_update_slippage(signer, &sent.params, slippage_bps)
            .await?;
        Ok(OverrideReceipt {
            outcome,
            destination: Domain(sent.params.destinationDomain),
        })
    }

    /// As the delegate of `transfer_id`, asks for delivery in the destination's local asset
    /// ([`Sdk::force_receive_local`]). Refuses a transfer already delivered.
    pub async fn receive_local(
        &self,
        signer: &PrivateKeySigner,
        transfer_id: B256,
    ) -> Result<OverrideReceipt, SdkError> {
        let sent = self.undelivered(transfer_id).await?;
        let outcome = self.force_receive_local(signer, &sent.params).await?;
        Ok(OverrideReceipt {
            outcome,
            destination: Domain(sent.params.destinationDomain),
        })
    }

    /// The transfer as sent, once its destination shows it not yet delivered (XCalled or Reconciled).
    async fn undelivered(&self, transfer_id: B256) -> Result<SentTransfer, SdkError> {
        let sent = self.find_transfer(transfer_id).await?;
        let stage = self.stage_of(transfer_id, &sent).await?;
        if stage.reaches(Stage::Executed) {
            return Err(SdkError::AlreadyDelivered { transfer_id, stage });
        }
        Ok(sent)
    }

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
