//! Where the nxtp contracts live, and how they get there.
//!
//! [`Manifest`]: for every domain, its chain and the addresses of the nxtp contracts on it. The devnet
//! writes one after deploying; agents, tests and the CLI read it. It is plain JSON so that people and other
//! tools can read it too. On a local devnet it also carries the development keys (`dev_keys`); a production
//! manifest leaves that out and agents take keys from their own config.
//!
//! [`deploy_messaging`] deploys and wires the messaging layer on any set of chains, given their RPC
//! endpoints, their domains and a deployer key; [`deploy_liquidity`] deploys the liquidity layer over it.
//! Both return (or extend) the manifest and need nothing but the chains: the devnet calls them on its anvils,
//! a deployment to live chains would call them the same way.

pub mod agent_toml;
mod error;
pub mod liquidity;
mod manifest;
pub mod messaging;
pub mod resumable;
pub mod transactions;

pub use error::DeployError;
pub use liquidity::{
    deploy_liquidity, set_sequencer_quorum, AssetPlan, CanonicalToken, LiquidityPlan, DEMO_RECEIVER,
};
pub use manifest::{
    AssetDeployment, DomainDeployment, LiquidityDeployment, Manifest, ManifestError, Services,
};
pub use messaging::{
    deploy_messaging, DeployConfig, Endpoint, MessagingRoles, RECORDING_RECIPIENT,
};
