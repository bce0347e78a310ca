//! The per-domain tables every agent's config has: `[domains.<id>]` (or `[chains.<id>]`), each
//! holding how to reach that domain's chain ([`ChainConfig`]) and whatever contracts the agent
//! uses there.
//!
//! [`Domains`] is that map, with the checks every agent made on it by hand: no domain 0, every
//! Replica's origin described, a chain that must tell final blocks apart not taking its head as
//! final, and a lookup whose error names the missing table. It (de)serializes as the plain map,
//! so the TOML keys, and the environment overrides (`NXTP__DOMAINS__1000__CHAIN__RPC_URL`), are
//! those of the map.
//!
//! ```toml
//! [domains.1000.chain]   # an entry type with a `chain` table and contracts beside it
//! rpc_url = "http://127.0.0.1:8545"
//! chain_id = 31337
//! confirmations = 1
//! ```

use crate::{config::ChainConfig, finality::Finality};
use alloy::primitives::Address;
use nxtp_primitives::Domain;
use serde::{Deserialize, Serialize};
use std::{
    collections::BTreeMap,
    ops::{Deref, DerefMut},
};

/// What an entry of a [`Domains`] map says about its domain.
pub trait DomainSettings {
    /// How to reach the domain's chain.
    fn chain(&self) -> &ChainConfig;

    /// The Replicas deployed on the domain, keyed by the origin each mirrors; `None` for
    /// entries that do not list Replicas.
    fn replicas(&self) -> Option<&BTreeMap<Domain, Address>> {
        None
    }
}

/// A bare chain is an entry of its own: `[chains.<id>]` tables.
impl DomainSettings for ChainConfig {
    fn chain(&self) -> &ChainConfig {
        self
    }
}

/// A domain the config has no table for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{section}.{domain}: missing")]
pub struct MissingDomain {
    /// The map's key in the config, e.g. `domains` or `chains`.
    pub section: &'static str,
    /// The domain.
    pub domain: Domain,
}

/// Every configured domain's settings, keyed by domain; see the [module](self) docs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Domains<T>(BTreeMap<Domain, T>);

impl<T> Default for Domains<T> {
    fn default() -> Self {
        Self(BTreeMap::new())
    }
}

impl<T> From<BTreeMap<Domain, T>> for Domains<T> {
    fn from(map: BTreeMap<Domain, T>) -> Self {
        Self(map)
    }
}

impl<T> FromIterator<(Domain, T)> for Domains<T> {
    fn from_iter<I: IntoIterator<Item = (Domain, T)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// Access is the map's own (`get`, `iter`, `keys`, `contains_key`, …).
impl<T> Deref for Domains<T> {
    type Target = BTreeMap<Domain, T>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// For tests and tools that adjust a loaded config.
impl<T> DerefMut for Domains<T> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<'a, T> IntoIterator for &'a Domains<T> {
    type Item = (&'a Domain, &'a T);
    type IntoIter = std::collections::btree_map::Iter<'a, Domain, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T> Domains<T> {
    /// `domain`'s entry, or an error naming `section.domain`.
    pub fn require(&self, section: &'static str, domain: Domain) -> Result<&T, MissingDomain> {
        self.0.get(&domain).ok_or(MissingDomain { section, domain })
    }
}

impl<T: DomainSettings> Domains<T> {
    /// How to reach `domain`'s chain, if the config describes it.
    pub fn chain(&self, domain: Domain) -> Option<&ChainConfig> {
        self.0.get(&domain).map(DomainSettings::chain)
    }

    /// The checks every agent makes on its `section` map: no domain 0, and every Replica
    /// listed mirrors another domain the map describes (`unreadable_origin` says what an
    /// undescribed origin would break, e.g. `its Home cannot be read`). The error names the
    /// offending key.
    pub fn check(&self, section: &str, unreadable_origin: &str) -> Result<(), String> {
        for (&domain, entry) in &self.0 {
            if domain.get() == 0 {
                return Err(format!("{section}.0: domain 0 is not valid"));
            }
            for &origin in entry.replicas().into_iter().flat_map(BTreeMap::keys) {
                if origin == domain {
                    return Err(format!(
                        "{section}.{domain}.replicas.{origin}: a domain has no Replica of itself"
                    ));
                }
                if !self.0.contains_key(&origin) {
                    return Err(format!(
                        "{section}.{domain}.replicas.{origin}: origin {origin} has no \
                         [{section}.{origin}] section, so {unreadable_origin}"
                    ));
                }
            }
        }
        Ok(())
    }
}

impl ChainConfig {
    /// Whether the chain's finality is a depth of 0, taking the head as final: refused wherever
    /// an agent waits for finality, since a one-block reorg would undo what it acted on.
    pub fn takes_head_as_final(&self) -> bool {
        self.finality == Finality::Depth(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Entry {
        chain: ChainConfig,
        #[serde(default)]
        replicas: BTreeMap<Domain, Address>,
    }

    impl DomainSettings for Entry {
        fn chain(&self) -> &ChainConfig {
            &self.chain
        }

        fn replicas(&self) -> Option<&BTreeMap<Domain, Address>> {
            Some(&self.replicas)
        }
    }

    #[derive(Debug, Deserialize)]
    struct Config {
        domains: Domains<Entry>,
    }

    const CHAIN: &str = "rpc_url = \"http://127.0.0.1:1\"\nchain_id = 1\nconfirmations = 1\n";
    const REPLICA: &str = "\"0x000000000000000000000000000000000000dEaD\"";

    fn parse(text: &str) -> Domains<Entry> {
        toml::from_str::<Config>(text).expect("parses").domains
    }

    #[test]
    fn reads_the_plain_map_and_finds_each_chain() {
        let domains = parse(&format!(
            "[domains.1000.chain]\n{CHAIN}[domains.2000]\nreplicas = {{ 1000 = {REPLICA} }}\n\
             [domains.2000.chain]\n{CHAIN}"
        ));
        assert_eq!(domains.len(), 2);
        assert_eq!(domains.chain(Domain(1000)).map(|c| c.chain_id), Some(1));
        assert_eq!(domains.check("domains", "unused"), Ok(()));
        assert_eq!(
            domains
                .require("domains", Domain(3000))
                .expect_err("missing")
                .to_string(),
            "domains.3000: missing"
        );
    }

    #[test]
    fn check_names_the_offending_key() {
        let zero = parse(&format!("[domains.0.chain]\n{CHAIN}"));
        assert_eq!(
            zero.check("domains", "x"),
            Err("domains.0: domain 0 is not valid".into())
        );
        let own = parse(&format!(
            "[domains.1000]\nreplicas = {{ 1000 = {REPLICA} }}\n[domains.1000.chain]\n{CHAIN}"
        ));
        assert_eq!(
            own.check("domains", "x"),
            Err("domains.1000.replicas.1000: a domain has no Replica of itself".into())
        );
        let unknown = parse(&format!(
            "[domains.1000]\nreplicas = {{ 3000 = {REPLICA} }}\n[domains.1000.chain]\n{CHAIN}"
        ));
        assert_eq!(
            unknown.check("domains", "its Home cannot be read"),
            Err(
                "domains.1000.replicas.3000: origin 3000 has no [domains.3000] section, so its \
                 Home cannot be read"
                    .into()
            )
        );
    }

    #[test]
    fn bare_chains_are_entries_too() {
        #[derive(Deserialize)]
        struct Chains {
            chains: Domains<ChainConfig>,
        }
        let text = format!("[chains.1000]\n{CHAIN}finality = {{ depth = 0 }}\n");
        let chains = toml::from_str::<Chains>(&text).expect("parses").chains;
        let chain = chains.chain(Domain(1000)).expect("configured");
        assert!(chain.takes_head_as_final());
        assert_eq!(chains.check("chains", "unused"), Ok(()));
    }
}
