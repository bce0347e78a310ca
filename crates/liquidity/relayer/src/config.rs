//! The relayer's configuration file.
//!
//! ```toml
//! database = "run/relayer.sqlite"
//! signer = { env = "RELAYER_KEY" }   # approved as a relayer on every Connext
//! # or several keys, each with its own nonces on every domain; jobs are spread over them:
//! # signers = [{ env = "RELAYER_KEY_1" }, { env = "RELAYER_KEY_2" }]
//! max_in_flight_per_key = 128        # transactions sent and not yet final, per key and domain
//! parallel_simulations = 16          # jobs simulated at once, per key and domain
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
    /// The keys that sign the transactions: one submitter per key and domain, jobs spread over
    /// them (`signer` in the file for one key, `signers` for several). The first is the key of
    /// jobs recorded before the relayer recorded each job's key.
    pub signers: Vec<KeySource>,
    /// The most transactions sent and not yet final per key and domain; further jobs wait,
    /// unsent, for room. `None` (`0` in the file): no limit.
    pub max_in_flight_per_key: Option<usize>,
    /// How many jobs each key's submitter simulates at once on a domain (jobs are independent
    /// calls).
    pub parallel_simulations: usize,
    /// The domains served.
    pub domains: Domains<DomainConfig>,
}

/// Transactions in flight per key and domain unless the file says otherwise: several blocks'
/// worth of executes at tens a second, while bounding what one stuck nonce holds back.
pub const DEFAULT_MAX_IN_FLIGHT_PER_KEY: usize = 128;

/// Jobs simulated at once per key and domain unless the file says otherwise.
pub const DEFAULT_PARALLEL_SIMULATIONS: usize = 16;

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
    #[serde(default)]
    signer: Option<KeySource>,
    #[serde(default)]
    signers: Option<Vec<KeySource>>,
    #[serde(default)]
    max_in_flight_per_key: Option<usize>,
    #[serde(default)]
    parallel_simulations: Option<usize>,
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
        let signers = match (raw.signer, raw.signers) {
            (Some(signer), None) => vec![signer],
            (None, Some(signers)) if !signers.is_empty() => signers,
            (None, Some(_)) => return Err("signers: no key".to_owned()),
            (None, None) => return Err("missing field `signer` (or `signers`)".to_owned()),
            (Some(_), Some(_)) => {
                return Err("signer and signers: give one key or a list, not both".to_owned())
            }
        };
        let max_in_flight_per_key = match raw.max_in_flight_per_key {
            None => Some(DEFAULT_MAX_IN_FLIGHT_PER_KEY),
            Some(0) => None,
            Some(limit) => Some(limit),
        };
        let parallel_simulations = match raw.parallel_simulations {
            None => DEFAULT_PARALLEL_SIMULATIONS,
            Some(0) => return Err("parallel_simulations: must be at least 1".to_owned()),
            Some(parallel) => parallel,
        };
        Ok(Self {
            telemetry: raw.telemetry,
            api: raw.api,
            database: raw.database,
            signers,
            max_in_flight_per_key,
            parallel_simulations,
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
            (
                VALID.replace(
                    "signer = { env = \"RELAYER_KEY\" }",
                    "signer = { env = \"A\" }\n        signers = [{ env = \"B\" }]",
                ),
                "signer and signers",
            ),
            (
                VALID.replace("signer = { env = \"RELAYER_KEY\" }", "signers = []"),
                "signers: no key",
            ),
            (
                VALID.replace("signer = { env = \"RELAYER_KEY\" }", ""),
                "missing field `signer` (or `signers`)",
            ),
            (
                VALID.replace(
                    "signer = { env = \"RELAYER_KEY\" }",
                    "signer = { env = \"A\" }\n        parallel_simulations = 0",
                ),
                "parallel_simulations",
            ),
        ];
        assert_refused::<RelayerConfig>(&cases);
    }

    #[test]
    fn one_key_or_several_with_submission_knobs() {
        let one: RelayerConfig = load_str(VALID).expect("valid");
        assert_eq!(one.signers.len(), 1);
        assert_eq!(
            one.max_in_flight_per_key,
            Some(DEFAULT_MAX_IN_FLIGHT_PER_KEY)
        );
        assert_eq!(one.parallel_simulations, DEFAULT_PARALLEL_SIMULATIONS);
        let several: RelayerConfig = load_str(&VALID.replace(
            "signer = { env = \"RELAYER_KEY\" }",
            "signers = [{ env = \"A\" }, { env = \"B\" }]\n        \
             max_in_flight_per_key = 0\n        parallel_simulations = 2",
        ))
        .expect("valid");
        assert_eq!(several.signers.len(), 2);
        assert_eq!(several.max_in_flight_per_key, None, "0: no limit");
        assert_eq!(several.parallel_simulations, 2);
    }
}
