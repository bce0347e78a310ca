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
}
