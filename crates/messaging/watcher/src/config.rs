//! The watcher's configuration file.
//!
//! ```toml
//! database = "run/watcher.sqlite"
//! signer = { env = "WATCHER_KEY" }   # permitted on every ConnectionManager; pays for the proofs
//!
//! [telemetry]
//! listen = "127.0.0.1:9102"
//!
//! [domains.1000]
//! home = "0x..."
//! connection_manager = "0x..."
//! start_block = 1
//! replicas = { 2000 = "0x...", 3000 = "0x..." }   # the Replicas deployed on 1000, by origin
//! [domains.1000.chain]
//! rpc_url = "http://127.0.0.1:8545"
//! chain_id = 31337
//! confirmations = 2        # as the other agents on this chain; see "Confirmation depth" below
//! poll_interval_ms = 200
//! ```
//!
//! Every origin of a listed Replica needs its own section: fraud is proven at its Home.
//!
//! # Confirmation depth
//!
//! Give the watcher the depth the other agents use on the chain (the devnet does: `nxtp devnet
//! --confirmations N` sets every agent's), the depth beyond which the chain's reorgs are rare.
//!
//! - **Cost of depth: time.** A fraudulent update is seen `confirmations` blocks after it lands,
//!   and the notices and the proof must land before its root becomes acceptable, so the depth
//!   spends `confirmations × block time` of the Replica's optimistic window. Keep it a small part
//!   of the window (a few blocks against a window of minutes or hours).
//! - **Cost of no depth: false alarms.** The chain indexer counts a reorg as *deep* when it
//!   replaces a block the agent already read, i.e. one deeper than the agent's own depth; at 0,
//!   every reorg of a single block is one: it logs an error and counts
//!   `nxtp_chain_deep_reorgs_total`, so an operator alerting on that metric is paged for the
//!   chain's everyday shallow reorgs, and the watcher reads the replaced blocks again.
//!
//! Waiting loses no fraud: an update a reorg drops is no longer on the Replica (and is seen if
//! it lands again), and one that stays is seen `confirmations` blocks after it landed.

use alloy::primitives::Address;
use nxtp_agent::{KeySource, TelemetryConfig};
use nxtp_chain::{ChainConfig, DomainSettings, Domains};
use nxtp_primitives::Domain;
use serde::Deserialize;
use std::{collections::BTreeMap, path::PathBuf};

/// The whole configuration; see the module docs.
#[derive(Clone, Debug)]
pub struct WatcherConfig {
    /// The ops server and logs.
    pub telemetry: TelemetryConfig,
    /// The SQLite database holding the watcher's state.
    pub database: PathBuf,
    /// The key that signs fraud notices and pays for the watcher's transactions.
    pub signer: KeySource,
    /// Every domain watched.
    pub domains: Domains<WatchedDomain>,
}

/// One domain: its chain, its Home, its connection manager and the Replicas deployed on it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchedDomain {
    /// How to reach the chain.
    pub chain: ChainConfig,
    /// The domain's Home.
    #[serde(with = "nxtp_primitives::checked")]
    pub home: Address,
    /// The domain's ConnectionManager, where notices halt this domain's Replicas.
    #[serde(with = "nxtp_primitives::checked")]
    pub connection_manager: Address,
    /// The first block holding nxtp contracts: where reading starts.
    #[serde(default)]
    pub start_block: u64,
    /// The Replicas on this domain, keyed by the origin each mirrors.
    #[serde(default, with = "nxtp_primitives::checked::map")]
    pub replicas: BTreeMap<Domain, Address>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    telemetry: TelemetryConfig,
    database: PathBuf,
    signer: KeySource,
    domains: Domains<WatchedDomain>,
}

impl DomainSettings for WatchedDomain {
    fn chain(&self) -> &ChainConfig {
        &self.chain
    }

    fn replicas(&self) -> Option<&BTreeMap<Domain, Address>> {
        Some(&self.replicas)
    }
}

impl<'de> Deserialize<'de> for WatcherConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawConfig::deserialize(deserializer)?;
        Self::check(raw).map_err(serde::de::Error::custom)
    }
}

impl WatcherConfig {
    /// The domains holding a Replica of `origin`, with that Replica's address as configured.
    pub fn replicas_of(&self, origin: Domain) -> BTreeMap<Domain, Address> {
        self.domains
            .iter()
            .filter_map(|(&domain, watched)| {
                watched
                    .replicas
                    .get(&origin)
                    .map(|&replica| (domain, replica))
            })
            .collect()
    }

    fn check(raw: RawConfig) -> Result<Self, String> {
        if raw.domains.is_empty() {
            return Err("domains: nothing to watch".to_owned());
        }
        raw.domains
            .check("domains", "fraud could not be proven at its Home")?;
        Ok(Self {
            telemetry: raw.telemetry,
            database: raw.database,
            signer: raw.signer,
            domains: raw.domains,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_agent::config::testing::{assert_refused, load_str};

    const VALID: &str = r#"
        database = "/tmp/watcher.sqlite"
        signer = { env = "WATCHER_KEY" }
        [telemetry]
        listen = "127.0.0.1:0"
        [domains.1000]
        home = "0x0000000000000000000000000000000000000001"
        connection_manager = "0x0000000000000000000000000000000000000011"
        replicas = { 2000 = "0x0000000000000000000000000000000000000012" }
        [domains.1000.chain]
        rpc_url = "http://127.0.0.1:8545"
        chain_id = 31337
        confirmations = 0
        [domains.2000]
        home = "0x0000000000000000000000000000000000000002"
        connection_manager = "0x0000000000000000000000000000000000000021"
        replicas = { 1000 = "0x0000000000000000000000000000000000000022" }
        [domains.2000.chain]
        rpc_url = "http://127.0.0.1:8546"
        chain_id = 31338
        confirmations = 0
    "#;

    #[test]
    fn lists_the_replicas_of_each_origin() {
        let config: WatcherConfig = load_str(VALID).expect("valid");
        let replicas = config.replicas_of(Domain(1000));
        assert_eq!(replicas.keys().copied().collect::<Vec<_>>(), [Domain(2000)]);
    }

    #[test]
    fn errors_name_the_field_and_the_file() {
        let cases = [
            (
                VALID.replace("replicas = { 1000", "replicas = { 3000"),
                "domains.2000.replicas.3000: origin 3000 has no [domains.3000] section",
            ),
            (
                VALID.replace(
                    "connection_manager = \"0x0000000000000000000000000000000000000021\"\n",
                    "",
                ),
                "domains.2000: missing field `connection_manager`",
            ),
            (
                VALID.replace("chain_id = 31338", "chain_id = \"x\""),
                "domains.2000.chain.chain_id",
            ),
        ];
        assert_refused::<WatcherConfig>(&cases);
    }
}
