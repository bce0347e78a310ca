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
    sol_types::{SolCall, SolEvent},
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
        let approval = self
            .pullable(signer, domain, &info, amount, Some(amount))
            .await?;
        let call = Connext::addRouterLiquidityCall {
            router,
            asset: info.local,
            amount,
        };
        let (outcome, _) = self
            .send_to_connext::<_, Connext::RouterLiquidityAdded>(signer, domain, call)
            .await?;
        Ok(LiquidityReceipt {
            outcome,
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
        self.check_router_owner(signer, domain, router).await?;
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
        let call = Connext::removeRouterLiquidityCall {
            router,
            asset: info.local,
            amount,
            to,
        };
        let (outcome, _) = self
            .send_to_connext::<_, Connext::RouterLiquidityRemoved>(signer, domain, call)
            .await?;
        Ok(LiquidityReceipt {
            outcome,
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
        let (outcome, proposed) = self
            .as_router_owner::<_, Connext::RouterRecipientProposed>(
                signer,
                domain,
                router,
                Connext::proposeRouterRecipientCall { router, recipient },
            )
            .await?;
        Ok((
            outcome,
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
        let call = Connext::acceptRouterRecipientCall { router };
        self.as_router_owner::<_, Connext::RouterRecipientSet>(signer, domain, router, call)
            .await
            .map(|(outcome, _)| outcome)
    }

    /// As `router`'s owner, withdraws its pending recipient proposal on `domain`.
    pub async fn cancel_router_recipient(
        &self,
        signer: &PrivateKeySigner,
        domain: Domain,
        router: Address,
    ) -> Result<TxOutcome, SdkError> {
        let call = Connext::cancelRouterRecipientCall { router };
        self.as_router_owner::<_, Connext::RouterRecipientProposalCancelled>(
            signer, domain, router, call,
        )
        .await
        .map(|(outcome, _)| outcome)
    }

    /// Sends `call` to `domain`'s `Connext` as `router`'s owner (refusing any other signer before sending) and
    /// reads the event `E` it must emit.
    async fn as_router_owner<C: SolCall, E: SolEvent>(
        &self,
        signer: &PrivateKeySigner,
        domain: Domain,
        router: Address,
        call: C,
    ) -> Result<(TxOutcome, E), SdkError> {
        self.check_router_owner(signer, domain, router).await?;
        self.send_to_connext(signer, domain, call).await
    }

    /// Sends `call` to `domain`'s `Connext` as `signer` and reads the event `E` it must emit.
    async fn send_to_connext<C: SolCall, E: SolEvent>(
        &self,
        signer: &PrivateKeySigner,
        domain: Domain,
        call: C,
    ) -> Result<(TxOutcome, E), SdkError> {
        let address = self.settings(domain)?.connext;
        let provider = self.writer(domain, signer).await?;
        let contract = Connext::new(address, &provider);
        // The action a failure names is the function's name, without its parameter types.
        let action = C::SIGNATURE.split('(').next().unwrap_or(C::SIGNATURE);
        let receipt = tx::send(domain, action, contract.call_builder(&call), self.timing()).await?;
        let event = tx::event::<E>(&receipt, address, domain, action)?;
        Ok((tx::outcome(&receipt), event))
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
