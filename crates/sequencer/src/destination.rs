//! What the sequencer reads from a destination's `Connext`: router approval and balances, the
//! local asset of a transfer, the liquidity fee and the most routers per transfer. Always the
//! latest state: a decision is made on the balances a router holds now.

use crate::error::redact_contract_error;
use alloy::{
    primitives::{Address, B256, U256},
    providers::DynProvider,
};
use nxtp_bindings::Connext;
use nxtp_primitives::Domain;

/// A read of a destination's `Connext` failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("domain {domain}: reading {what} failed: {message}")]
pub struct ReadError {
    /// The destination.
    pub domain: Domain,
    /// What was read.
    pub what: &'static str,
    /// Why (endpoint redacted).
    pub message: String,
}

/// One destination's `Connext`, read through its provider.
#[derive(Clone, Debug)]
pub struct Destination {
    /// The domain.
    pub domain: Domain,
    /// Its `Connext`.
    pub connext: Address,
    provider: DynProvider,
}

impl Destination {
    /// Reads `connext` on `domain` through `provider`.
    pub fn new(domain: Domain, connext: Address, provider: DynProvider) -> Self {
        Self {
            domain,
            connext,
            provider,
        }
    }

    fn contract(&self) -> Connext::ConnextInstance<&DynProvider> {
        Connext::new(self.connext, &self.provider)
    }

    fn failed(&self, what: &'static str) -> impl FnOnce(alloy::contract::Error) -> ReadError {
        let domain = self.domain;
        move |err| ReadError {
            domain,
            what,
            message: redact_contract_error(err),
        }
    }

    /// Whether `router` is approved to front transfers here.
    pub async fn router_approved(&self, router: Address) -> Result<bool, ReadError> {
        let info = self
            .contract()
            .routerInfo(router)
            .call()
            .await
            .map_err(self.failed("routerInfo"))?;
        Ok(info.approved)
    }

    /// The most routers one transfer may have here.
    pub async fn max_routers(&self) -> Result<u32, ReadError> {
        let max = self
            .contract()
            .maxRoutersPerTransfer()
            .call()
            .await
            .map_err(self.failed("maxRoutersPerTransfer"))?;
        Ok(u32::from(max))
    }

    /// The fast-path liquidity fee, in basis points.
    pub async fn liquidity_fee_bps(&self) -> Result<u16, ReadError> {
        self.contract()
            .liquidityFeeBps()
            .call()
            .await
            .map_err(self.failed("liquidityFeeBps"))
    }

    /// The local asset of the canonical asset `(canonical_domain, canonical_id)`; zero for a
    /// transfer without tokens (or an asset not registered here, which no router holds).
    pub async fn local_asset(
        &self,
        canonical_domain: u32,
        canonical_id: B256,
    ) -> Result<Address, ReadError> {
        if canonical_id.is_zero() {
            return Ok(Address::ZERO);
        }
        self.contract()
            .localAsset(canonical_domain, canonical_id)
            .call()
            .await
            .map_err(self.failed("localAsset"))
    }

    /// `router`'s liquidity in `asset` here.
    pub async fn router_balance(&self, router: Address, asset: Address) -> Result<U256, ReadError> {
        self.contract()
            .routerBalance(router, asset)
            .call()
            .await
            .map_err(self.failed("routerBalance"))
    }
}
