//! How nxtp reaches a chain, without any agent runtime (the SDK uses it as is):
//!
//! - [`config`]: how to reach a chain ([`ChainConfig`]);
//! - [`domains`]: the per-domain tables every agent's config has ([`Domains`]);
//! - [`provider`]: [`connect`] to it, checking the chain id, and strip endpoint URLs (which
//!   carry API keys) from RPC errors ([`without_url`]);
//! - [`finality`]: when a block can no longer be reorged away ([`Finality`]);
//! - [`retry`]: the backoff every RPC retry loop uses.

pub mod config;
pub mod domains;
pub mod finality;
pub mod provider;
pub mod retry;

pub use config::{ChainConfig, RedactedUrl};
pub use domains::{DomainSettings, Domains, MissingDomain};
pub use finality::{Finality, FinalityError};
pub use provider::{connect, connect_with_wallet, contract_without_url, without_url, ConnectError};
