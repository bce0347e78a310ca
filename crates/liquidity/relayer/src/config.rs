//! The relayer's configuration file.
//!
//! ```toml
//! database = "run/relayer.sqlite"
//! signer = { env = "RELAYER_KEY" }   # approved as a relayer on every Connext
//!
//! [api]
//! listen = "127.0.0.1:8081"          # the job API; port 0 picks a free port
//!
//! [telemetry]
//! listen = "127.0.0.1:9103"
//!
//! [domains.2000]
//! connext = "0x..."                               # where execute jobs on 2000 go (optional)
//! replicas = { 1000 = "0x...", 3000 = "0x..." }   # where process jobs on 2000 go, by origin
//! [domains.2000.chain]
//! rpc_url = "http://127.0.0.1:8546"
//! chain_id = 31338
//! confirmations = 1
//! ```
//!
//! The relayer only ever calls the contracts named here.

use alloy::primitives::Address;
use nxtp_agent::{KeySource, TelemetryConfig};
use nxtp_api::relayer::JobKind;
use nxtp_chain::{ChainConfig, DomainSettings, Domains};
use nxtp_primitives::Domain;
use serde::Deserialize;
use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf};

/// The whole configuration; see the module docs.
#[derive(Clone, Debug)]
pub struct RelayerConfig {
    /// The ops server and logs.
    pub telemetry: TelemetryConfig,
    /// The job API.
    pub api: ApiConfig,
    /// The SQLite database holding the jobs and the submitters' state.
    pub database: PathBuf,
    /// The key that signs every transaction (one submitter per domain).
    pub signer: KeySource,
    /// The domains served.
    pub domains: Domains<DomainConfig>,
}

/// The `[api]` section.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// Where the job API listens; port 0 picks a free port (logged at start).
    pub listen: SocketAddr,
}

/// One served domain: its chain and the contracts jobs may call there.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainConfig {
    /// How to reach the chain.
    pub chain: ChainConfig,
    /// The domain's `Connext`, the target of execute jobs.
    #[serde(default, with = "nxtp_primitives::checked::option")]
    pub connext: Option<Address>,
    /// The Replicas on the domain, by the origin each mirrors: the targets of process jobs.
    #[serde(default, with = "nxtp_primitives::checked::map")]
    pub replicas: BTreeMap<Domain, Address>,
}

impl DomainConfig {
    /// The contract a job of `kind` (from `origin`, for process jobs) calls on this domain.
    pub fn target(&self, kind: JobKind, origin: Option<Domain>) -> Option<Address> {
        match kind {
            JobKind::Execute => self.connext,
            JobKind::Process => self.replicas.get(&origin?).copied(),
        }
    }
}

/// Only the chain: the Replicas listed are targets, not origins the relayer must read.
impl DomainSettings for DomainConfig {
    fn chain(&self) -> &ChainConfig {
        &self.chain
    }
}

/// The file as written, before the sections are checked against each other.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    telemetry: TelemetryConfig,
    api: ApiConfig,
    database: PathBuf,
    signer: KeySource,
    domains: Domains<DomainConfig>,
}

impl<'de> Deserialize<'de> for RelayerConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawConfig::deserialize(deserializer)?;
        Self::check(raw).map_err(serde::de::Error::custom)
    }
}

impl RelayerConfig {
    fn check(raw: RawConfig) -> Result<Self, String> {
        if raw.domains.is_empty() {
            return Err("domains: no domain to serve".to_owned());
        }
        // The Replicas' origins need no table here (the relayer never reads them), so only the
        // shared domain-0 check applies; a Replica of its own domain is refused below.
        raw.domains.check("domains", "")?;
        for (&domain, config) in &raw.domains {
            if config.connext.is_none() && config.replicas.is_empty() {
                return Err(format!(
                    "domains.{domain}: names neither a connext nor replicas, so no job could \
                     go there"
                ));
            }
            if config.replicas.contains_key(&domain) {
                return Err(format!(
                    "domains.{domain}.replicas.{domain}: a domain has no Replica of itself"
                ));
            }
        }
        Ok(Self {
            telemetry: raw.telemetry,
            api: raw.api,
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
        database = "/tmp/relayer.sqlite"
        signer = { env = "RELAYER_KEY" }
        [api]
        listen = "127.0.0.1:0"
        [telemetry]
        listen = "127.0.0.1:0"
        [domains.1000]
        connext = "0x0000000000000000000000000000000000000001"
        [domains.1000.chain]
        rpc_url = "http://127.0.0.1:8545"
        chain_id = 31337
        confirmations = 1
        [domains.2000]
        connext = "0x0000000000000000000000000000000000000002"
        replicas = { 1000 = "0x0000000000000000000000000000000000000003" }
        [domains.2000.chain]
        rpc_url = "http://127.0.0.1:8546"
        chain_id = 31338
        confirmations = 1
    "#;

    #[test]
    fn targets_come_from_the_config_only() {
        let config: RelayerConfig = load_str(VALID).expect("valid");
        let destination = &config.domains[&Domain(2000)];
        assert_eq!(
            destination.target(JobKind::Execute, None),
            Some(Address::with_last_byte(2))
        );
        assert_eq!(
            destination.target(JobKind::Process, Some(Domain(1000))),
            Some(Address::with_last_byte(3))
        );
        assert_eq!(
            destination.target(JobKind::Process, Some(Domain(3000))),
            None
        );
        assert_eq!(destination.target(JobKind::Process, None), None);
        assert_eq!(
            config.domains[&Domain(1000)].target(JobKind::Process, Some(Domain(2000))),
            None
        );
    }

    #[test]
    fn errors_name_the_field_and_the_file() {
        let cases = [
            (
                VALID.replace(
                    "connext = \"0x0000000000000000000000000000000000000001\"",
                    "",
                ),
                "domains.1000: names neither a connext nor replicas",
            ),
            (
                VALID.replace("replicas = { 1000", "replicas = { 2000"),
                "domains.2000.replicas.2000",
            ),
            (
                VALID.replace("[api]\n        listen = \"127.0.0.1:0\"", ""),
                "missing field `api`",
            ),
            (
                VALID.replace(
                    "connext = \"0x0000000000000000000000000000000000000002\"",
                    "connext = \"nope\"",
                ),
                "domains.2000.connext",
            ),
        ];
        assert_refused::<RelayerConfig>(&cases);
    }
}
