//! Where the SDK finds each domain's chain and `Connext`: from a deployment manifest or written out.

use alloy::{primitives::Address, transports::http::reqwest::Url};
use nxtp_deployment::{AssetDeployment, Manifest};
use nxtp_primitives::Domain;
use nxtp_provider::ChainConfig;
use std::{collections::BTreeMap, time::Duration};

/// One domain as the SDK uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainSettings {
    /// JSON-RPC endpoint.
    pub rpc_url: Url,
    /// The EIP-155 chain id the endpoint must serve (checked before any use).
    pub chain_id: u64,
    /// The domain's `Connext`.
    pub connext: Address,
    /// The first block that can hold this `Connext`'s events: where transfer searches start.
    pub from_block: u64,
    /// Known assets by symbol, so people can name them (`DEMO`) instead of by address.
    pub assets: BTreeMap<String, AssetDeployment>,
}

impl DomainSettings {
    pub(crate) fn chain_config(&self) -> ChainConfig {
        // The SDK acts on what the node reports now; waiting for depth is the caller's choice.
        ChainConfig::new(self.rpc_url.clone(), self.chain_id, 0)
    }
}

/// How long the SDK waits and how often it polls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// How long to wait for a sent transaction's receipt.
    pub receipt_timeout: Duration,
    /// The pause between two reads when following a transfer.
    pub poll_interval: Duration,
}

impl Default for Timing {
    /// Two minutes per receipt, a read every second.
    fn default() -> Self {
        Self {
            receipt_timeout: Duration::from_secs(120),
            poll_interval: Duration::from_secs(1),
        }
    }
}

/// Why settings could not be taken from a manifest.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No domain of the manifest has a liquidity layer.
    #[error("the manifest has no domain with a liquidity layer (no `liquidity` section)")]
    NoLiquidity,
    /// A domain's RPC URL does not parse.
    #[error("domain {domain}: rpc_url is not a valid URL")]
    BadRpcUrl {
        /// The domain.
        domain: Domain,
    },
}

/// The SDK's view of every domain of `manifest` that has a liquidity layer.
pub(crate) fn from_manifest(
    manifest: &Manifest,
) -> Result<BTreeMap<Domain, DomainSettings>, ConfigError> {
    let mut domains = BTreeMap::new();
    for (&domain, deployment) in &manifest.domains {
        let Some(liquidity) = &deployment.liquidity else {
            continue;
        };
        let rpc_url = deployment
            .rpc_url
            .parse()
            .map_err(|_| ConfigError::BadRpcUrl { domain })?;
        domains.insert(
            domain,
            DomainSettings {
                rpc_url,
                chain_id: deployment.chain_id,
                connext: liquidity.connext,
                from_block: deployment.deploy_block,
                assets: liquidity.assets.clone(),
            },
        );
    }
    if domains.is_empty() {
        return Err(ConfigError::NoLiquidity);
    }
    Ok(domains)
}
