//! What the sequencer reads from a destination's `Connext`: router approval and balances, the
//! local asset of a transfer, the liquidity fee, the most routers per transfer and a transfer's
//! status. Balances, statuses and the approval a decision relies on are always read afresh: a
//! decision is made on the balances a router holds now. What only governance changes is kept for
//! [`CONSTANTS_TTL`], so a burst of transfers does not read it once per transfer.

use crate::{cache::TtlCache, error::redact_contract_error};
use alloy::{
    eips::{BlockId, BlockNumberOrTag},
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider},
};
use nxtp_bindings::Connext;
use nxtp_primitives::{ConnextSigningDomain, Domain, TransferStatus};
use std::{sync::Arc, time::Duration};

/// How long a governance-set value (the liquidity fee, the most routers per transfer, a local
/// asset, a router's approval as the bids API checks it) is trusted after it was read.
pub const CONSTANTS_TTL: Duration = Duration::from_secs(10);

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
    /// That `Connext`'s EIP-712 domain: what bids for transfers to it, and the selection, are
    /// signed for.
    pub signing: ConnextSigningDomain,
    provider: DynProvider,
    cached: Arc<Cached>,
}

/// The governance-set values read recently, shared by the clones of a [`Destination`].
#[derive(Debug)]
struct Cached {
    fee_bps: TtlCache<(), u16>,
    max_routers: TtlCache<(), u32>,
    local_assets: TtlCache<(u32, B256), Address>,
    approvals: TtlCache<Address, bool>,
}

impl Destination {
    /// Reads `connext` on `domain` (chain `chain_id`, as the node behind `provider` reported when
    /// connecting) through `provider`.
    pub fn new(domain: Domain, connext: Address, chain_id: u64, provider: DynProvider) -> Self {
        Self {
            domain,
            connext,
            signing: ConnextSigningDomain::new(chain_id, connext),
            provider,
            cached: Arc::new(Cached {
                fee_bps: TtlCache::new(CONSTANTS_TTL),
                max_routers: TtlCache::new(CONSTANTS_TTL),
                local_assets: TtlCache::new(CONSTANTS_TTL),
                approvals: TtlCache::new(CONSTANTS_TTL),
            }),
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

    /// Whether `router` was approved here at most [`CONSTANTS_TTL`] ago: enough to accept its
    /// bid, since the decision checks [`Self::router_approved`] again.
    pub async fn router_recently_approved(&self, router: Address) -> Result<bool, ReadError> {
        self.cached
            .approvals
            .get_or_read(router, || self.router_approved(router))
            .await
    }

    /// Whether `router` is approved to front transfers here now.
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
        self.cached
            .max_routers
            .get_or_read((), || self.read_max_routers())
            .await
    }

    async fn read_max_routers(&self) -> Result<u32, ReadError> {
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
        self.cached
            .fee_bps
            .get_or_read((), || async {
                self.contract()
                    .liquidityFeeBps()
                    .call()
                    .await
                    .map_err(self.failed("liquidityFeeBps"))
            })
            .await
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
        self.cached
            .local_assets
            .get_or_read((canonical_domain, canonical_id), || async {
                self.contract()
                    .localAsset(canonical_domain, canonical_id)
                    .call()
                    .await
                    .map_err(self.failed("localAsset"))
            })
            .await
    }

    /// What the destination has done with `transfer_id` so far.
    pub async fn transfer_status(&self, transfer_id: B256) -> Result<TransferStatus, ReadError> {
        let status = self
            .contract()
            .transferStatus(transfer_id)
            .call()
            .await
            .map_err(self.failed("transferStatus"))?;
        TransferStatus::try_from(status).map_err(|err| ReadError {
            domain: self.domain,
            what: "transferStatus",
            message: err.to_string(),
        })
    }

    /// `router`'s liquidity in `asset` here.
    pub async fn router_balance(&self, router: Address, asset: Address) -> Result<U256, ReadError> {
        self.contract()
            .routerBalance(router, asset)
            .call()
            .await
            .map_err(self.failed("routerBalance"))
    }

    /// `router`'s liquidity in `asset` at the block `block_hash` (which must be on the node's
    /// canonical chain): what a consensus node observes and confirms.
    pub async fn router_balance_at(
        &self,
        router: Address,
        asset: Address,
        block_hash: B256,
    ) -> Result<U256, ReadError> {
        self.contract()
            .routerBalance(router, asset)
            .block(BlockId::Hash(alloy::eips::RpcBlockHash::from_hash(
                block_hash,
                Some(true),
            )))
            .call()
            .await
            .map_err(self.failed("routerBalance"))
    }

    /// The hash of block `number` on the node's canonical chain (`None`: not mined yet).
    pub async fn block_hash(&self, number: u64) -> Result<Option<B256>, ReadError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(|err| ReadError {
                domain: self.domain,
                what: "eth_getBlockByNumber",
                message: nxtp_chain::without_url(err).to_string(),
            })?;
        Ok(block.map(|block| block.header.hash))
    }
}
