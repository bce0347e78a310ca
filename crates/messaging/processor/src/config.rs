//! The processor's configuration file.
//!
//! ```toml
//! database = "run/processor.sqlite"
//! signer = { env = "PROCESSOR_KEY" }
//! destinations = [2000, 3000]   # optional: every domain that has Replicas
//! batch_size = 50               # optional: messages per proveAndProcessBatch
//! retry_base_ms = 2000          # optional: first pause before retrying a failed delivery
//! retry_max_ms = 300000         # optional: the longest pause between retries
//!
//! [telemetry]
//! listen = "127.0.0.1:9101"
//!
//! [domains.1000]
//! home = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
//! start_block = 1
//! replicas = { 2000 = "0x...", 3000 = "0x..." }   # the Replicas deployed on 1000, by origin
//! [domains.1000.chain]
//! rpc_url = "http://127.0.0.1:8545"
//! chain_id = 31337
//! confirmations = 1
//! poll_interval_ms = 200
//! ```
//!
//! Every domain that is an origin of a served destination needs its own `[domains.<id>]` section:
//! the processor reads its Home. Mistakes in how the sections refer to each other are reported
//! when the file is loaded, naming the field.

use alloy::primitives::Address;
use nxtp_agent::{KeySource, TelemetryConfig};
use nxtp_chain::{ChainConfig, DomainSettings, Domains};
use nxtp_primitives::Domain;
use serde::Deserialize;
use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    time::Duration,
};

/// The most messages one `proveAndProcessBatch` may carry: a 50-message batch costs about 2.3M
/// gas, so even this bound stays far inside a block.
pub const MAX_BATCH_SIZE: usize = 200;

/// Default messages per batch.
pub const DEFAULT_BATCH_SIZE: usize = 50;

/// Default first pause before a failed delivery is retried.
pub const DEFAULT_RETRY_BASE_MS: u64 = 2_000;

/// Default longest pause between two retries of one message.
pub const DEFAULT_RETRY_MAX_MS: u64 = 300_000;

/// The whole configuration; see the module docs.
#[derive(Clone, Debug)]
pub struct ProcessorConfig {
    /// The ops server and logs.
    pub telemetry: TelemetryConfig,
    /// The SQLite database holding the processor's state.
    pub database: PathBuf,
    /// The key that signs the processor's transactions on every destination.
    pub signer: KeySource,
    /// The destinations served, each with at least one Replica of a configured origin.
    pub destinations: BTreeSet<Domain>,
    /// Every domain involved, as an origin, a destination, or both.
    pub domains: Domains<DomainConfig>,
    /// Messages per `proveAndProcessBatch`, 1 to [`MAX_BATCH_SIZE`].
    pub batch_size: usize,
    /// Pauses between retries of one message.
    pub retry: RetryPolicy,
}

/// One domain: its chain, its Home, and the Replicas deployed on it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainConfig {
    /// How to reach the chain.
    pub chain: ChainConfig,
    /// The domain's Home.
    #[serde(with = "nxtp_primitives::checked")]
    pub home: Address,
    /// The first block holding nxtp contracts: where reading starts.
    #[serde(default)]
    pub start_block: u64,
    /// The Replicas on this domain, keyed by the origin each mirrors.
    #[serde(default, with = "nxtp_primitives::checked::map")]
    pub replicas: BTreeMap<Domain, Address>,
}

impl DomainSettings for DomainConfig {
    fn chain(&self) -> &ChainConfig {
        &self.chain
    }

    fn replicas(&self) -> Option<&BTreeMap<Domain, Address>> {
        Some(&self.replicas)
    }
}

pub use nxtp_chain::retry::RetryPolicy;

/// The file as written, before the sections are checked against each other.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    telemetry: TelemetryConfig,
    database: PathBuf,
    signer: KeySource,
    #[serde(default)]
    destinations: Option<BTreeSet<Domain>>,
    domains: Domains<DomainConfig>,
    #[serde(default = "default_batch_size")]
    batch_size: usize,
    #[serde(default = "default_retry_base_ms")]
    retry_base_ms: u64,
    #[serde(default = "default_retry_max_ms")]
    retry_max_ms: u64,
}

fn default_batch_size() -> usize {
    DEFAULT_BATCH_SIZE
}

fn default_retry_base_ms() -> u64 {
    DEFAULT_RETRY_BASE_MS
}

fn default_retry_max_ms() -> u64 {
    DEFAULT_RETRY_MAX_MS
}

impl<'de> Deserialize<'de> for ProcessorConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawConfig::deserialize(deserializer)?;
        Self::check(raw).map_err(serde::de::Error::custom)
    }
}

impl ProcessorConfig {
    /// The origins whose messages `destination` receives, with the address of each one's
    /// Replica there.
    pub fn origins_of(&self, destination: Domain) -> BTreeMap<Domain, Address> {
        self.domains
            .get(&destination)
            .map(|domain| domain.replicas.clone())
            .unwrap_or_default()
    }

    /// Every origin of a served destination.
    pub fn origins(&self) -> BTreeSet<Domain> {
        self.destinations
            .iter()
            .flat_map(|&destination| self.origins_of(destination).into_keys())
            .collect()
    }

    fn check(raw: RawConfig) -> Result<Self, String> {
        if raw.batch_size == 0 || raw.batch_size > MAX_BATCH_SIZE {
            return Err(format!(
                "batch_size: {} is outside 1..={MAX_BATCH_SIZE}",
                raw.batch_size
            ));
        }
        if raw.retry_base_ms == 0 {
            return Err("retry_base_ms: must be at least 1".to_owned());
        }
        if raw.retry_max_ms < raw.retry_base_ms {
            return Err(format!(
                "retry_max_ms: {} is below retry_base_ms ({})",
                raw.retry_max_ms, raw.retry_base_ms
            ));
        }
        raw.domains.check("domains", "its Home cannot be read")?;
        let destinations = match raw.destinations {
            Some(destinations) => {
                for destination in &destinations {
                    match raw.domains.get(destination) {
                        None => {
                            return Err(format!(
                                "destinations: {destination} has no [domains.{destination}] \
                                 section"
                            ))
                        }
                        Some(config) if config.replicas.is_empty() => {
                            return Err(format!(
                                "destinations: {destination} lists no replicas in \
                                 [domains.{destination}]"
                            ))
                        }
                        Some(_) => {}
                    }
                }
                destinations
            }
            None => raw
                .domains
                .iter()
                .filter(|(_, config)| !config.replicas.is_empty())
                .map(|(&domain, _)| domain)
                .collect(),
        };
        if destinations.is_empty() {
            return Err("destinations: no domain to serve (no domain lists replicas)".to_owned());
        }
        Ok(Self {
            telemetry: raw.telemetry,
            database: raw.database,
            signer: raw.signer,
            destinations,
            domains: raw.domains,
            batch_size: raw.batch_size,
            retry: RetryPolicy {
                base: Duration::from_millis(raw.retry_base_ms),
                max: Duration::from_millis(raw.retry_max_ms),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_agent::config::testing::{assert_refused, load_str};

    const VALID: &str = r#"
        database = "/tmp/processor.sqlite"
        signer = { env = "PROCESSOR_KEY" }
        [telemetry]
        listen = "127.0.0.1:0"
        [domains.1000]
        home = "0x0000000000000000000000000000000000000001"
        [domains.1000.chain]
        rpc_url = "http://127.0.0.1:8545"
        chain_id = 31337
        confirmations = 1
        [domains.2000]
        home = "0x0000000000000000000000000000000000000002"
        start_block = 7
        replicas = { 1000 = "0x0000000000000000000000000000000000000003" }
        [domains.2000.chain]
        rpc_url = "http://127.0.0.1:8546"
        chain_id = 31338
        confirmations = 1
    "#;

    #[test]
    fn defaults_serve_every_domain_with_replicas() {
        let config: ProcessorConfig = load_str(VALID).expect("valid");
        assert_eq!(
            config.destinations.iter().copied().collect::<Vec<_>>(),
            [Domain(2000)]
        );
        assert_eq!(
            config.origins().into_iter().collect::<Vec<_>>(),
            [Domain(1000)]
        );
        assert_eq!(config.batch_size, DEFAULT_BATCH_SIZE);
        assert_eq!(config.domains[&Domain(2000)].start_block, 7);
        assert_eq!(config.retry.delay(1), Duration::from_secs(2));
        assert_eq!(config.retry.delay(3), Duration::from_secs(8));
        assert_eq!(config.retry.delay(40), Duration::from_secs(300));
    }

    #[test]
    fn errors_name_the_field_and_the_file() {
        let cases = [
            (
                VALID.replace(
                    "confirmations = 1\n        [domains.2000]",
                    "[domains.2000]",
                ),
                "domains.1000.chain",
            ),
            (
                VALID.replace("http://127.0.0.1:8546", "ftp://127.0.0.1:8546"),
                "domains.2000.chain.rpc_url",
            ),
            (
                VALID.replace("replicas = { 1000", "replicas = { 4000"),
                "domains.2000.replicas.4000: origin 4000 has no [domains.4000] section",
            ),
            (
                VALID.replace("[telemetry]", "destinations = [1000]\n[telemetry]"),
                "destinations: 1000 lists no replicas",
            ),
            (
                VALID.replace("[telemetry]", "batch_size = 0\n[telemetry]"),
                "batch_size: 0 is outside",
            ),
            (
                VALID.replace(
                    "home = \"0x0000000000000000000000000000000000000001\"",
                    "home = \"nope\"",
                ),
                "domains.1000.home",
            ),
        ];
        assert_refused::<ProcessorConfig>(&cases);
    }
}
