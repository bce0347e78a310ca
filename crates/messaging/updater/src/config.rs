//! The updater's configuration file, and what it resolves to once the manifest is read.
//!
//! ```toml
//! domain = 1000                          # the origin whose Home this updater signs for
//! database = "updater-1000.sqlite"
//! manifest = "manifest.json"             # where the Home and its Replicas are
//! # home = "0x..."                       # instead of (or overriding) the manifest
//! # replicas = { 2000 = "0x..." }        # Replicas of this origin, by the domain they live on
//! signer = { env = "NXTP_UPDATER_KEY" }  # signs roots and sends them to the Home
//! checkpointer = { env = "NXTP_CHECKPOINTER_KEY" }  # another funded key: sends checkpoints
//! # checkpoints_per_block = 2                      # the most checkpoints per Home block
//!
//! [chains.1000]                          # the Home's chain
//! rpc_url = "http://127.0.0.1:8545"
//! chain_id = 31337
//! confirmations = 2                      # events (checkpoints, updates) are read this deep
//! finality = "finalized"                 # only roots checkpointed in final blocks are signed:
//!                                        # the node's finalized block (the default), or
//!                                        # `{ depth = N }` for a chain without one
//!
//! [chains.2000]                          # every domain with a Replica of this origin
//! rpc_url = "http://127.0.0.1:8546"
//! chain_id = 31338
//! confirmations = 2
//!
//! [telemetry]
//! listen = "127.0.0.1:9100"
//! ```

use alloy::primitives::Address;
use nxtp_agent::{KeySource, TelemetryConfig};
use nxtp_chain::{ChainConfig, Domains};
use nxtp_deployment::Manifest;
use nxtp_primitives::Domain;
use serde::Deserialize;
use std::{collections::BTreeMap, num::NonZeroU32, path::PathBuf};

/// The updater's configuration file; see the module docs for an example.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdaterConfig {
    /// The domain whose Home this updater signs roots for.
    pub domain: Domain,
    /// The SQLite database holding every signature this updater made, the checkpoints it saw,
    /// and its transactions.
    pub database: PathBuf,
    /// The deployment manifest, for the Home, the Replicas of this origin and where indexing
    /// starts.
    #[serde(default)]
    pub manifest: Option<PathBuf>,
    /// The Home's address; overrides the manifest's, and is required without a manifest.
    #[serde(default, with = "nxtp_primitives::checked::option")]
    pub home: Option<Address>,
    /// Replicas of this origin, by the domain they are deployed on; added to (and overriding)
    /// the manifest's.
    #[serde(default, with = "nxtp_primitives::checked::map")]
    pub replicas: BTreeMap<Domain, Address>,
    /// The updater key: it signs roots and sends the `Home.update` transactions.
    pub signer: KeySource,
    /// The key that sends `Home.checkpoint` transactions (see [`crate::checkpointer`]): any
    /// funded account but the updater's, whose pending transactions hold signing back.
    pub checkpointer: KeySource,
    /// At most this many checkpoint transactions per Home block (see [`crate::checkpointer`]);
    /// default 2. More follow messages that arrive late in a block more closely, at 66k gas
    /// each.
    #[serde(default = "default_checkpoints_per_block")]
    pub checkpoints_per_block: NonZeroU32,
    /// How to reach each chain: the Home's domain and every domain with a Replica of it.
    pub chains: Domains<ChainConfig>,
    /// The ops server and logs.
    pub telemetry: TelemetryConfig,
}

/// A chain the updater reads, with the contract it watches there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watched {
    /// The chain's domain.
    pub domain: Domain,
    /// How to reach it.
    pub chain: ChainConfig,
    /// The Home (on the origin) or the Replica of the origin (elsewhere).
    pub contract: Address,
    /// The first block that can hold the contract's events.
    pub start_block: u64,
}

/// The configuration with the manifest applied: where everything is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The origin domain.
    pub domain: Domain,
    /// The Home and its chain.
    pub home: Watched,
    /// Each Replica of the origin and its chain, by domain.
    pub replicas: Vec<Watched>,
}

/// Why the configuration does not describe a usable deployment. Each names the config field
/// to fix.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The manifest could not be read.
    #[error("manifest: {0}")]
    Manifest(#[from] nxtp_deployment::ManifestError),
    /// No Home address anywhere.
    #[error("home: no Home address for domain {0}: set `home` or a `manifest` that deploys it")]
    NoHome(Domain),
    /// A domain the updater must read has no chain settings.
    #[error("chains.{domain}: missing; the updater reads {what} there")]
    MissingChain {
        /// The domain.
        domain: Domain,
        /// What the updater reads there.
        what: String,
    },
    /// A Replica on the origin's own domain.
    #[error("replicas.{0}: a Replica of {0} cannot live on {0} itself")]
    ReplicaOnOrigin(Domain),
    /// The Home's chain declares its head final: every root would be signed at once, and a
    /// one-block reorg could leave every Replica holding a root the Home no longer has.
    #[error(
        "chains.{0}.finality: a depth of 0 takes the head as final; declare the depth no reorg \
         of this chain exceeds, or \"finalized\" for the node's finalized block"
    )]
    HeadAsFinal(Domain),
}

/// [`UpdaterConfig::checkpoints_per_block`] unless configured.
pub const DEFAULT_CHECKPOINTS_PER_BLOCK: NonZeroU32 = NonZeroU32::MIN.saturating_add(1);

fn default_checkpoints_per_block() -> NonZeroU32 {
    DEFAULT_CHECKPOINTS_PER_BLOCK
}

impl UpdaterConfig {
    /// Reads the manifest (if any) and resolves every address and chain.
    pub fn resolve(&self) -> Result<Resolved, ResolveError> {
        let manifest = self.manifest.as_deref().map(Manifest::load).transpose()?;
        let deployment = manifest.as_ref().and_then(|m| m.domain(self.domain));
        let home_address = self
            .home
            .or(deployment.map(|d| d.home))
            .ok_or(ResolveError::NoHome(self.domain))?;
        let home_chain = self.chain(self.domain, "the Home".to_owned())?;
        if home_chain.takes_head_as_final() {
            return Err(ResolveError::HeadAsFinal(self.domain));
        }
        let home = Watched {
            domain: self.domain,
            chain: home_chain,
            contract: home_address,
            start_block: deployment.map_or(0, |d| d.deploy_block),
        };

        // Replicas of this origin: every other domain's replica for it, then the overrides.
        let mut replicas: BTreeMap<Domain, (Address, u64)> = BTreeMap::new();
        if let Some(manifest) = &manifest {
            for (&remote, there) in &manifest.domains {
                if let Some(&replica) = there.replicas.get(&self.domain) {
                    replicas.insert(remote, (replica, there.deploy_block));
                }
            }
        }
        for (&remote, &replica) in &self.replicas {
            if remote == self.domain {
                return Err(ResolveError::ReplicaOnOrigin(remote));
            }
            let start = replicas.get(&remote).map_or(0, |(_, start)| *start);
            replicas.insert(remote, (replica, start));
        }
        let replicas = replicas
            .into_iter()
            .map(|(remote, (contract, start_block))| {
                let what = format!("the Replica of {} at {contract}", self.domain);
                Ok(Watched {
                    domain: remote,
                    chain: self.chain(remote, what)?,
                    contract,
                    start_block,
                })
            })
            .collect::<Result<_, ResolveError>>()?;
        Ok(Resolved {
            domain: self.domain,
            home,
            replicas,
        })
    }

    fn chain(&self, domain: Domain, what: String) -> Result<ChainConfig, ResolveError> {
        self.chains
            .get(&domain)
            .cloned()
            .ok_or(ResolveError::MissingChain { domain, what })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_agent::config::testing::{assert_refused, load_str};
    use nxtp_deployment::DomainDeployment;

    fn config(text: &str) -> UpdaterConfig {
        load_str(text).expect("valid config")
    }

    const CHAINS: &str = r#"
        signer = { env = "KEY" }
        checkpointer = { env = "CHECKPOINTER_KEY" }
        database = "u.sqlite"
        [chains.1000]
        rpc_url = "http://127.0.0.1:1"
        chain_id = 1
        confirmations = 1
        [chains.2000]
        rpc_url = "http://127.0.0.1:2"
        chain_id = 2
        confirmations = 1
        [telemetry]
        listen = "127.0.0.1:0"
    "#;

    fn manifest(dir: &std::path::Path) -> PathBuf {
        let deployment = |home: u8, replicas: BTreeMap<Domain, Address>| DomainDeployment {
            chain_id: 1,
            rpc_url: "http://127.0.0.1:1".to_owned(),
            deploy_block: u64::from(home),
            home: Address::repeat_byte(home),
            connection_manager: Address::ZERO,
            replicas,
            updater: Address::ZERO,
            contracts: BTreeMap::new(),
            liquidity: None,
        };
        let manifest = Manifest {
            optimistic_seconds: 5,
            domains: BTreeMap::from([
                (
                    Domain(1000),
                    deployment(
                        1,
                        BTreeMap::from([(Domain(2000), Address::repeat_byte(0x12))]),
                    ),
                ),
                (
                    Domain(2000),
                    deployment(
                        2,
                        BTreeMap::from([(Domain(1000), Address::repeat_byte(0x21))]),
                    ),
                ),
            ]),
            dev_keys: BTreeMap::new(),
            services: None,
        };
        let path = dir.join("manifest.json");
        manifest.save(&path).expect("saves");
        path
    }

    #[test]
    fn manifest_gives_the_home_and_every_replica_of_the_origin() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = manifest(dir.path());
        let text = format!("domain = 1000\nmanifest = {:?}\n{CHAINS}", path);
        let resolved = config(&text).resolve().expect("resolves");
        assert_eq!(resolved.home.contract, Address::repeat_byte(1));
        assert_eq!(resolved.home.start_block, 1);
        assert_eq!(resolved.home.chain.chain_id, 1);
        assert_eq!(resolved.replicas.len(), 1);
        let replica = &resolved.replicas[0];
        assert_eq!(replica.domain, Domain(2000));
        assert_eq!(replica.contract, Address::repeat_byte(0x21));
        assert_eq!(replica.start_block, 2);
        assert_eq!(replica.chain.chain_id, 2);
    }

    #[test]
    fn explicit_addresses_work_without_a_manifest() {
        let text = format!(
            "domain = 1000\nhome = \"{}\"\nreplicas = {{ 2000 = \"{}\" }}\n{CHAINS}",
            Address::repeat_byte(7),
            Address::repeat_byte(8)
        );
        let resolved = config(&text).resolve().expect("resolves");
        assert_eq!(resolved.home.contract, Address::repeat_byte(7));
        assert_eq!(resolved.home.start_block, 0);
        assert_eq!(resolved.replicas[0].contract, Address::repeat_byte(8));
    }

    #[test]
    fn checkpoints_per_block_defaults_to_two_and_is_never_zero() {
        let default = config(&format!("domain = 1000\n{CHAINS}"));
        assert_eq!(default.checkpoints_per_block.get(), 2);
        let three = config(&format!(
            "domain = 1000\ncheckpoints_per_block = 3\n{CHAINS}"
        ));
        assert_eq!(three.checkpoints_per_block.get(), 3);
        assert_refused::<UpdaterConfig>(&[(
            format!("domain = 1000\ncheckpoints_per_block = 0\n{CHAINS}"),
            "checkpoints_per_block",
        )]);
    }

    #[test]
    fn errors_name_the_field_to_fix() {
        let err = config(&format!("domain = 1000\n{CHAINS}"))
            .resolve()
            .expect_err("no home");
        assert!(err.to_string().starts_with("home: "), "{err}");

        let dir = tempfile::tempdir().expect("tempdir");
        let path = manifest(dir.path());
        let no_remote = CHAINS.replace("[chains.2000]", "[chains.3000]");
        let err = config(&format!("domain = 1000\nmanifest = {path:?}\n{no_remote}"))
            .resolve()
            .expect_err("no chain for the Replica");
        assert!(err.to_string().starts_with("chains.2000: missing"), "{err}");

        let missing = dir.path().join("absent.json");
        let err = config(&format!("domain = 1000\nmanifest = {missing:?}\n{CHAINS}"))
            .resolve()
            .expect_err("no manifest file");
        assert!(err.to_string().starts_with("manifest: "), "{err}");
        assert!(err.to_string().contains("absent.json"), "{err}");

        let text = format!(
            "domain = 1000\nhome = \"{}\"\nreplicas = {{ 1000 = \"{}\" }}\n{CHAINS}",
            Address::repeat_byte(7),
            Address::repeat_byte(8)
        );
        let err = config(&text).resolve().expect_err("replica on origin");
        assert!(err.to_string().starts_with("replicas.1000: "), "{err}");

        let head_final = CHAINS.replacen(
            "confirmations = 1",
            "confirmations = 1\n        finality = { depth = 0 }",
            1,
        );
        let err = config(&format!("domain = 1000\nmanifest = {path:?}\n{head_final}"))
            .resolve()
            .expect_err("the head as final");
        assert!(
            err.to_string().starts_with("chains.1000.finality: "),
            "{err}"
        );
        let declared = CHAINS.replacen(
            "confirmations = 1",
            "confirmations = 1\n        finality = { depth = 12 }",
            1,
        );
        let resolved = config(&format!("domain = 1000\nmanifest = {path:?}\n{declared}"))
            .resolve()
            .expect("a declared depth resolves");
        assert_eq!(
            resolved.home.chain.finality,
            nxtp_chain::Finality::Depth(12)
        );
    }
}
