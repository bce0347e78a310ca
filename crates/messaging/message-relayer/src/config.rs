//! The message relayer's configuration file, and the routes it resolves to.
//!
//! ```toml
//! database = "message-relayer.sqlite"
//! manifest = "manifest.json"                    # every Home and Replica
//! signer = { env = "NXTP_MESSAGE_RELAYER_KEY" } # sends Replica.update on every destination
//! # domains = [1000, 2000]                      # only these (default: all in the manifest)
//!
//! [chains.1000]                                 # every domain relayed from or to
//! rpc_url = "http://127.0.0.1:8545"
//! chain_id = 31337
//! confirmations = 2                             # Home updates are read this deep
//! finality = "finalized"                        # relayed once the root is checkpointed at
//!                                               # the final block (or `{ depth = N }`)
//!
//! [chains.2000]
//! rpc_url = "http://127.0.0.1:8546"
//! chain_id = 31338
//! confirmations = 2
//!
//! [telemetry]
//! listen = "127.0.0.1:9101"
//! ```

use alloy::primitives::Address;
use nxtp_agent::{KeySource, TelemetryConfig};
use nxtp_chain::{ChainConfig, Domains};
use nxtp_deployment::Manifest;
use nxtp_primitives::Domain;
use serde::Deserialize;
use std::{collections::BTreeMap, path::PathBuf};

/// The message relayer's configuration file; see the module docs for an example.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageRelayerConfig {
    /// The SQLite database: the Home updates indexed, the cursors and the transactions.
    pub database: PathBuf,
    /// The deployment manifest: every Home and Replica.
    pub manifest: PathBuf,
    /// The key that sends `Replica.update` on every destination.
    pub signer: KeySource,
    /// Relay only among these domains; every domain in the manifest when absent.
    #[serde(default)]
    pub domains: Option<Vec<Domain>>,
    /// How to reach each domain relayed from or to.
    pub chains: Domains<ChainConfig>,
    /// The ops server and logs.
    pub telemetry: TelemetryConfig,
}

/// An origin whose Home updates are indexed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The origin domain.
    pub domain: Domain,
    /// Its Home.
    pub home: Address,
    /// Where its indexer starts.
    pub start_block: u64,
}

/// One (origin, destination) pair: the Replica of `origin` on `destination`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// The origin whose updates are copied.
    pub origin: Domain,
    /// The domain whose Replica receives them.
    pub destination: Domain,
    /// The Replica of `origin` on `destination`.
    pub replica: Address,
}

/// The configuration with the manifest applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// Every origin indexed.
    pub origins: Vec<Origin>,
    /// Every route relayed.
    pub routes: Vec<Route>,
    /// How to reach each domain relayed from or to.
    pub chains: BTreeMap<Domain, ChainConfig>,
}

/// Why the configuration does not describe a usable deployment. Each names the field to fix.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The manifest could not be read.
    #[error("manifest: {0}")]
    Manifest(#[from] nxtp_deployment::ManifestError),
    /// A listed domain is not in the manifest.
    #[error("domains: {0} is not in the manifest")]
    UnknownDomain(Domain),
    /// A domain relayed from or to has no chain settings.
    #[error("chains.{0}: missing; the relayer reads or writes there")]
    MissingChain(Domain),
    /// Nothing to relay.
    #[error("domains: no Replica of one listed domain lives on another; nothing to relay")]
    NoRoutes,
    /// An origin's chain declares its head final: every signed root would be relayed at once.
    #[error(
        "chains.{0}.finality: a depth of 0 takes the head as final; declare the depth no reorg \
         of this chain exceeds, or \"finalized\" for the node's finalized block"
    )]
    HeadAsFinal(Domain),
}

impl MessageRelayerConfig {
    /// Reads the manifest and resolves origins, routes and chains.
    pub fn resolve(&self) -> Result<Resolved, ResolveError> {
        let manifest = Manifest::load(&self.manifest)?;
        let domains: Vec<Domain> = match &self.domains {
            Some(listed) => {
                for &domain in listed {
                    if manifest.domain(domain).is_none() {
                        return Err(ResolveError::UnknownDomain(domain));
                    }
                }
                listed.clone()
            }
            None => manifest.domains.keys().copied().collect(),
        };
        let mut routes = Vec::new();
        for &destination in &domains {
            let Some(there) = manifest.domain(destination) else {
                continue;
            };
            for (&origin, &replica) in &there.replicas {
                if domains.contains(&origin) {
                    routes.push(Route {
                        origin,
                        destination,
                        replica,
                    });
                }
            }
        }
        if routes.is_empty() {
            return Err(ResolveError::NoRoutes);
        }
        routes.sort_by_key(|route| (route.origin, route.destination));
        let mut origins: Vec<Origin> = Vec::new();
        let mut chains = BTreeMap::new();
        for route in &routes {
            if !origins.iter().any(|origin| origin.domain == route.origin) {
                let deployment = manifest
                    .domain(route.origin)
                    .ok_or(ResolveError::UnknownDomain(route.origin))?;
                origins.push(Origin {
                    domain: route.origin,
                    home: deployment.home,
                    start_block: deployment.deploy_block,
                });
            }
            for domain in [route.origin, route.destination] {
                let chain = self
                    .chains
                    .get(&domain)
                    .ok_or(ResolveError::MissingChain(domain))?;
                chains.insert(domain, chain.clone());
            }
            if chains
                .get(&route.origin)
                .is_some_and(ChainConfig::takes_head_as_final)
            {
                return Err(ResolveError::HeadAsFinal(route.origin));
            }
        }
        Ok(Resolved {
            origins,
            routes,
            chains,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_agent::config::testing::load_str;
    use nxtp_deployment::DomainDeployment;

    fn manifest(dir: &std::path::Path) -> PathBuf {
        let ids = [1000u32, 2000, 3000];
        let domains = ids
            .iter()
            .map(|&id| {
                let replicas = ids
                    .iter()
                    .filter(|&&other| other != id)
                    .map(|&other| {
                        let tag = u8::try_from(id / 1000 * 16 + other / 1000).expect("small");
                        (Domain(other), Address::repeat_byte(tag))
                    })
                    .collect();
                let deployment = DomainDeployment {
                    chain_id: u64::from(id),
                    rpc_url: "http://127.0.0.1:1".to_owned(),
                    deploy_block: u64::from(id / 1000),
                    home: Address::repeat_byte(u8::try_from(id / 1000).expect("small")),
                    connection_manager: Address::ZERO,
                    replicas,
                    updater: Address::ZERO,
                    contracts: BTreeMap::new(),
                    liquidity: None,
                };
                (Domain(id), deployment)
            })
            .collect();
        let manifest = Manifest {
            optimistic_seconds: 5,
            domains,
            dev_keys: BTreeMap::new(),
            services: None,
        };
        let path = dir.join("manifest.json");
        manifest.save(&path).expect("saves");
        path
    }

    fn config(manifest: &std::path::Path, domains: &str, chains: &[u32]) -> MessageRelayerConfig {
        let mut text = format!(
            "database = \"r.sqlite\"\nmanifest = {manifest:?}\nsigner = {{ env = \"KEY\" }}\n{domains}\n"
        );
        for id in chains {
            text.push_str(&format!(
                "[chains.{id}]\nrpc_url = \"http://127.0.0.1:1\"\nchain_id = {id}\nconfirmations = 1\n"
            ));
        }
        text.push_str("[telemetry]\nlisten = \"127.0.0.1:0\"\n");
        load_str(&text).expect("valid config")
    }

    #[test]
    fn every_pair_of_domains_is_a_route() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = manifest(dir.path());
        let resolved = config(&path, "", &[1000, 2000, 3000])
            .resolve()
            .expect("resolves");
        let pairs: Vec<(u32, u32)> = resolved
            .routes
            .iter()
            .map(|r| (r.origin.get(), r.destination.get()))
            .collect();
        assert_eq!(
            pairs,
            [
                (1000, 2000),
                (1000, 3000),
                (2000, 1000),
                (2000, 3000),
                (3000, 1000),
                (3000, 2000)
            ]
        );
        assert_eq!(resolved.routes[0].replica, Address::repeat_byte(0x21));
        assert_eq!(resolved.origins.len(), 3);
        assert_eq!(resolved.origins[1].home, Address::repeat_byte(2));
        assert_eq!(resolved.origins[1].start_block, 2);
        assert_eq!(resolved.chains.len(), 3);
    }

    #[test]
    fn listed_domains_limit_the_routes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = manifest(dir.path());
        let resolved = config(&path, "domains = [1000, 3000]", &[1000, 3000])
            .resolve()
            .expect("resolves");
        assert_eq!(resolved.routes.len(), 2);
        assert!(!resolved.chains.contains_key(&Domain(2000)));
    }

    #[test]
    fn errors_name_the_field_to_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = manifest(dir.path());
        let err = config(&path, "", &[1000, 2000])
            .resolve()
            .expect_err("3000 has no chain");
        assert_eq!(
            err.to_string(),
            "chains.3000: missing; the relayer reads or writes there"
        );
        let err = config(&path, "domains = [1000, 4000]", &[1000])
            .resolve()
            .expect_err("unknown domain");
        assert_eq!(err.to_string(), "domains: 4000 is not in the manifest");
        let err = config(&path, "domains = [1000]", &[1000])
            .resolve()
            .expect_err("one domain");
        assert!(err.to_string().starts_with("domains: "), "{err}");
        let err = config(&dir.path().join("nope.json"), "", &[1000])
            .resolve()
            .expect_err("no manifest");
        assert!(
            err.to_string().starts_with("manifest: ") && err.to_string().contains("nope.json"),
            "{err}"
        );
        let mut head_final = config(&path, "", &[1000, 2000, 3000]);
        if let Some(chain) = head_final.chains.get_mut(&Domain(2000)) {
            chain.finality = nxtp_chain::Finality::Depth(0);
        }
        let err = head_final.resolve().expect_err("the head as final");
        assert!(
            err.to_string().starts_with("chains.2000.finality: "),
            "{err}"
        );
    }
}
