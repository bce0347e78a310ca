//! Router liquidity: what a router holds inside a domain's `Connext`, adding to it and removing it.

use crate::{
    asset::AssetRef,
    client::Sdk,
    error::SdkError,
    tx::{self, TxOutcome},
};
use alloy::{
    primitives::{Address, U256},
    signers::local::PrivateKeySigner,
};
use nxtp_bindings::Connext;
use nxtp_primitives::Domain;

/// A liquidity change that was mined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidityReceipt {
    /// The `addRouterLiquidity` or `removeRouterLiquidity` transaction.
    pub outcome: TxOutcome,
    /// The approval sent first, if the allowance fell short.
    pub approval: Option<TxOutcome>,
    /// The router's balance after the change.
    pub balance: U256,
}

/// A router's recipient change waiting for its delay (`Connext.proposedRouterRecipient`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecipientProposal {
    /// The proposed recipient (zero: removed liquidity may go wherever the owner says).
    pub recipient: Address,
    /// When the owner may accept it (unix seconds, chain time).
    pub acceptable_at: u64,
}

impl Sdk {
    /// `router`'s liquidity in `asset` on `domain`, in base units.
    pub async fn router_balance(
        &self,
        domain: Domain,
        router: Address,
        asset: &AssetRef,
    ) -> Result<U256, SdkError> {
        let info = self.asset(domain, asset).await?;
        self.connext(domain)
            .await?
            .routerBalance(router, info.local)
            .call()
            .await
            .map_err(|err| SdkError::from_contract(domain, "Connext.routerBalance", err))
    }

    /// Adds `amount` (base units) of `signer`'s `asset` to `router`'s liquidity on `domain`, approving `Connext`
    /// first if the allowance falls short. Anyone may add for an approved router.
    ///
    /// ```no_run
    /// # async fn demo(sdk: nxtp_sdk::Sdk, signer: alloy::signers::local::PrivateKeySigner, router: alloy::primitives::Address) -> Result<(), Box<dyn std::error::Error>> {
    /// use alloy::primitives::U256;
    /// use nxtp_primitives::Domain;
    ///
    /// let added = sdk
    ///     .add_liquidity(&signer, Domain(1000), router, &"DEMO".parse()?, U256::from(10u64).pow(U256::from(21u64)))
    ///     .await?;
    /// println!("router now holds {}", added.balance);
    /// # Ok(()) }
    /// ```
    pub async fn add_liquidity(
        &self,
        signer: &PrivateKeySigner,
        domain: Domain,
        router: Address,
        asset: &AssetRef,
        amount: U256,
    ) -> Result<LiquidityReceipt, SdkError> {
        if amount.is_zero() {
            return Err(SdkError::ZeroAmount);
        }
        let info = self.approved_asset(domain, asset).await?;
        let router_info = self
            .connext(domain)
            .await?
            .routerInfo(router)
            .call()
            .await
            .map_err(|err| SdkError::from_contract(domain, "Connext.routerInfo", err))?;
        if !router_info.approved {
            return Err(SdkError::RouterNotApproved { domain, router });
        }
        self.check_funds(domain, signer.address(), &info, amount)
            .await?;
        let approval = self.pullable(signer, domain, &info, amount, true).await?;
        let connext = self.settings(domain)?.connext;
        let provider = self.writer(domain, signer).await?;
        let contract = Connext::new(connext, &provider);
        let call = contract.addRouterLiquidity(router, info.local, amount);
        let action = "addRouterLiquidity";
        let receipt = tx::send(domain, action, call, self.timing()).await?;
        tx::event::<Connext::RouterLiquidityAdded>(&receipt, connext, domain, action)?;
        Ok(LiquidityReceipt {
            outcome: tx::outcome(&receipt),
            approval,
            balance: self.router_balance(domain, router, asset).await?,
        })
    }

    /// As `router`'s owner, removes `amount` (base units) of its `asset` liquidity on `domain`, sent to `to`
    /// (which must be the router's recipient if it has one).
    pub async fn remove_liquidity(
        &self,
        signer: &PrivateKeySigner,
        domain: Domain,
        router: Address,
        asset: &AssetRef,
        amount: U256,
        to: Address,
    ) -> Result<LiquidityReceipt, SdkError> {
        if amount.is_zero() {
            return Err(SdkError::ZeroAmount);
        }
        if to.is_zero() {
            return Err(SdkError::ZeroRecipient);
        }
        // Removal works for delisted assets too: a router's capital is never trapped.
        let info = self.asset(domain, asset).await?;
        let connext = self.connext(domain).await?;
        let owner = connext
            .routerInfo(router)
            .call()
            .await
            .map_err(|err| SdkError::from_contract(domain, "Connext.routerInfo", err))?
            .routerOwner;
        if owner != signer.address() {
            return Err(SdkError::NotRouterOwner {
                domain,
                router,
                owner,
                signer: signer.address(),
            });
        }
        let available = self.router_balance(domain, router, asset).await?;
        if available < amount {
            return Err(SdkError::InsufficientLiquidity {
                domain,
                router,
                asset: info.local,
                available,
                needed: amount,
                decimals: info.decimals,
            });
        }
        let address = self.settings(domain)?.connext;
        let provider = self.writer(domain, signer).await?;
        let contract = Connext::new(address, &provider);
        let call = contract.removeRouterLiquidity(router, info.local, amount, to);
        let action = "removeRouterLiquidity";
        let receipt = tx::send(domain, action, call, self.timing()).await?;
        tx::event::<Connext::RouterLiquidityRemoved>(&receipt, address, domain, action)?;
        Ok(LiquidityReceipt {
            outcome: tx::outcome(&receipt),
            approval: None,
            balance: self.router_balance(domain, router, asset).await?,
        })
    }

    /// `router`'s pending recipient change on `domain`, if any.
    pub async fn pending_router_recipient(
        &self,
        domain: Domain,
        router: Address,
    ) -> Result<Option<RecipientProposal>, SdkError> {
        let pending = self
            .connext(domain)
            .await?
            .proposedRouterRecipient(router)
            .call()
            .await
            .map_err(|err| {
                SdkError::from_contract(domain, "Connext.proposedRouterRecipient", err)
            })?;
        if pending.acceptableAt.is_zero() {
            return Ok(None);
        }
        Ok(Some(RecipientProposal {
            recipient: pending.proposedRecipient,
            acceptable_at: pending.acceptableAt.saturating_to(),
        }))
    }

    /// As `router`'s owner, proposes that its removed liquidity go to `recipient` on `domain` (zero: wherever the
    /// owner says). The owner accepts it with [`Sdk::accept_router_recipient`] once `acceptable_at` has passed:
    /// `ROUTER_OWNERSHIP_DELAY` after the proposal, or at once when the router has no recipient yet. A new
    /// proposal replaces a pending one.
    pub async fn propose_router_recipient(
        &self,
        signer: &PrivateKeySigner,
        domain: Domain,
        router: Address,
        recipient: Address,
    ) -> Result<(TxOutcome, RecipientProposal), SdkError> {
        self.check_router_owner(signer, domain, router).await?;
        let address = self.settings(domain)?.connext;
        let provider = self.writer(domain, signer).await?;
        let contract = Connext::new(address, &provider);
        let action = "proposeRouterRecipient";
        let receipt = tx::send(
            domain,
            action,
            contract.proposeRouterRecipient(router, recipient),
            self.timing(),
        )
        .await?;
        let proposed =
            tx::event::<Connext::RouterRecipientProposed>(&receipt, address, domain, action)?;
        Ok((
            tx::outcome(&receipt),
            RecipientProposal {
                recipient: proposed.proposedRecipient,
                acceptable_at: proposed.acceptableAt.saturating_to(),
            },
        ))
    }

    /// As `router`'s owner, applies its pending recipient proposal on `domain` (refused, with the contract's
    /// reason, before its `acceptable_at` or when nothing is pending).
    pub async fn accept_router_recipient(
        &self,
        signer: &PrivateKeySigner,
        domain: Domain,
        router: Address,
    ) -> Result<TxOutcome, SdkError> {
        self.check_router_owner(signer, domain, router).await?;
        let address = self.settings(domain)?.connext;
        let provider = self.writer(domain, signer).await?;
        let contract = Connext::new(address, &provider);
        let action = "acceptRouterRecipient";
        let call = contract.acceptRouterRecipient(router);
        let receipt = tx::send(domain, action, call, self.timing()).await?;
        tx::event::<Connext::RouterRecipientSet>(&receipt, address, domain, action)?;
        Ok(tx::outcome(&receipt))
    }

    /// As `router`'s owner, withdraws its pending recipient proposal on `domain`.
    pub async fn cancel_router_recipient(
        &self,
        signer: &PrivateKeySigner,
        domain: Domain,
        router: Address,
    ) -> Result<TxOutcome, SdkError> {
        self.check_router_owner(signer, domain, router).await?;
        let address = self.settings(domain)?.connext;
        let provider = self.writer(domain, signer).await?;
        let contract = Connext::new(address, &provider);
        let action = "cancelRouterRecipient";
        let call = contract.cancelRouterRecipient(router);
        let receipt = tx::send(domain, action, call, self.timing()).await?;
        tx::event::<Connext::RouterRecipientProposalCancelled>(&receipt, address, domain, action)?;
        Ok(tx::outcome(&receipt))
    }

    /// Refuses, before any transaction, a signer that is not `router`'s owner.
    async fn check_router_owner(
        &self,
        signer: &PrivateKeySigner,
        domain: Domain,
        router: Address,
    ) -> Result<(), SdkError> {
        let owner = self
            .connext(domain)
            .await?
            .routerInfo(router)
            .call()
            .await
            .map_err(|err| SdkError::from_contract(domain, "Connext.routerInfo", err))?
            .routerOwner;
        if owner != signer.address() {
            return Err(SdkError::NotRouterOwner {
                domain,
                router,
                owner,
                signer: signer.address(),
            });
        }
        Ok(())
    }
}
