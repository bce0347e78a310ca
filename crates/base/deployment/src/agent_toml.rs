//! The one writer of agent TOML configs generated from a manifest: the devnet's agents and `nxtp init`
//! write their configs with [`AgentToml`], so a table reads the same whoever wrote it.

use crate::{DomainDeployment, LiquidityDeployment, Manifest};
use alloy::primitives::U256;
use nxtp_primitives::Domain;
pub use nxtp_provider::Finality;
use std::{
    fmt::{Display, Write},
    path::Path,
};

/// `text` as a TOML basic string: JSON's string escapes are a subset of TOML's.
pub fn string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// How every chain table of a config reads its chain (`nxtp_chain::ChainConfig`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainReading {
    /// The confirmation depth: blocks built on a block before the agent acts on it.
    pub confirmations: u64,
    /// What the agent takes as final (the updater signs only final roots).
    pub finality: Finality,
    /// How often the agent polls the chain, in milliseconds.
    pub poll_interval_ms: u64,
}

/// The domains of `manifest` that have the liquidity layer, in order.
pub fn with_liquidity(
    manifest: &Manifest,
) -> Vec<(Domain, &DomainDeployment, &LiquidityDeployment)> {
    manifest
        .domains
        .iter()
        .filter_map(|(&domain, deployment)| {
            Some((domain, deployment, deployment.liquidity.as_ref()?))
        })
        .collect()
}

/// One agent's config, written line by line; every chain table reads its chain as its
/// [`ChainReading`] says.
pub struct AgentToml {
    out: String,
    reading: ChainReading,
}

impl AgentToml {
    /// An empty config whose chain tables follow `reading`.
    pub fn new(reading: impl Into<ChainReading>) -> Self {
        Self {
            out: String::new(),
            reading: reading.into(),
        }
    }

    /// A line of its own, as is: a comment for the operator, say.
    pub fn line(&mut self, line: &str) -> &mut Self {
        let _ = writeln!(self.out, "{line}");
        self
    }

    /// `key = value`, the value already TOML.
    pub fn value(&mut self, key: &str, value: impl Display) -> &mut Self {
        let _ = writeln!(self.out, "{key} = {value}");
        self
    }

    /// `key = "value"`, for values that need no escaping (addresses, hashes, decimal numbers).
    pub fn quoted(&mut self, key: &str, value: impl Display) -> &mut Self {
        let _ = writeln!(self.out, "{key} = \"{value}\"");
        self
    }

    /// `key = "text"`, escaped.
    pub fn string(&mut self, key: &str, text: &str) -> &mut Self {
        self.value(key, string(text))
    }

    /// `key = "path"`, escaped.
    pub fn path(&mut self, key: &str, path: &Path) -> &mut Self {
        self.string(key, &path.display().to_string())
    }

    /// The agent's database: `<stem>.sqlite` in `run_dir`.
    pub fn database(&mut self, run_dir: &Path, stem: &str) -> &mut Self {
        self.path("database", &run_dir.join(format!("{stem}.sqlite")))
    }

    /// A new `[table]`, after a blank line.
    pub fn table(&mut self, name: impl Display) -> &mut Self {
        let _ = writeln!(self.out, "\n[{name}]");
        self
    }

    /// The agent's metrics and health on a free loopback port.
    pub fn telemetry(&mut self) -> &mut Self {
        self.telemetry_on("127.0.0.1:0")
    }

    /// The agent's metrics and health on `listen`.
    pub fn telemetry_on(&mut self, listen: impl Display) -> &mut Self {
        self.table("telemetry").quoted("listen", listen)
    }

    /// The domain's Replicas, by origin, as an inline table.
    pub fn replicas(&mut self, deployment: &DomainDeployment) -> &mut Self {
        let replicas: Vec<String> = deployment
            .replicas
            .iter()
            .map(|(origin, replica)| format!("{origin} = \"{replica}\""))
            .collect();
        self.value("replicas", format!("{{ {} }}", replicas.join(", ")))
    }

    /// The `[table]` every agent's chain settings share (`nxtp_chain::ChainConfig`): the domain's RPC, its
    /// chain id, and the confirmation depth, finality and polling of the [`ChainReading`]. No blank line
    /// before it: it follows its domain's table.
    pub fn chain(&mut self, table: &str, deployment: &DomainDeployment) -> &mut Self {
        let ChainReading {
            confirmations,
            finality: assumed,
            poll_interval_ms,
        } = self.reading;
        let _ = writeln!(self.out, "[{table}]");
        self.string("rpc_url", &deployment.rpc_url)
            .value("chain_id", deployment.chain_id)
            .value("confirmations", confirmations)
            .value("finality", finality(assumed))
            .value("poll_interval_ms", poll_interval_ms)
    }

    /// A `[chains.<domain>]` table per domain of `manifest`, for agents that read every chain alike.
    pub fn chains(&mut self, manifest: &Manifest) -> &mut Self {
        for (domain, deployment) in &manifest.domains {
            self.out.push('\n');
            self.chain(&format!("chains.{domain}"), deployment);
        }
        self
    }

    /// Per domain of `manifest`, the table of an agent that reads the messaging contracts there: its
    /// Home, (`with_manager`) its ConnectionManager, where to start reading, its Replicas, and its chain.
    pub fn messaging_domains(&mut self, manifest: &Manifest, with_manager: bool) -> &mut Self {
        for (domain, deployment) in &manifest.domains {
            self.table(format!("domains.{domain}"))
                .quoted("home", deployment.home);
            if with_manager {
                self.quoted("connection_manager", deployment.connection_manager);
            }
            self.value("start_block", deployment.deploy_block)
                .replicas(deployment)
                .domain_chain(domain, deployment);
        }
        self
    }

    /// Per domain of `manifest` with the liquidity layer, the table of an agent that follows its
    /// `Connext`: the contract, where to start reading, and its chain.
    pub fn liquidity_domains(&mut self, manifest: &Manifest) -> &mut Self {
        for (domain, deployment, liquidity) in with_liquidity(manifest) {
            self.table(format!("domains.{domain}"))
                .quoted("connext", liquidity.connext)
                .value("start_block", deployment.deploy_block)
                .domain_chain(domain, deployment);
        }
        self
    }

    /// Per domain of `manifest`, the relayer's table: the domain's `Connext` if it has one, its Replicas
    /// (the relayer submits `Connext.execute` and `Replica.process` jobs), and its chain.
    pub fn relayer_domains(&mut self, manifest: &Manifest) -> &mut Self {
        for (domain, deployment) in &manifest.domains {
            self.table(format!("domains.{domain}"));
            if let Some(liquidity) = &deployment.liquidity {
                self.quoted("connext", liquidity.connext);
            }
            self.replicas(deployment).domain_chain(domain, deployment);
        }
        self
    }

    /// A router's `[assets.<symbol>]` table per asset of `manifest` (named by its lowercased symbol, so
    /// environment overrides such as `NXTP__ASSETS__DEMO__MAX_AMOUNT` reach it), bidding on transfers of up
    /// to `max_whole_tokens` whole tokens.
    pub fn router_assets(&mut self, manifest: &Manifest, max_whole_tokens: u64) -> &mut Self {
        let mut assets = std::collections::BTreeMap::new();
        for (_, _, liquidity) in with_liquidity(manifest) {
            for (symbol, asset) in &liquidity.assets {
                assets.entry(symbol.to_lowercase()).or_insert(asset);
            }
        }
        for (name, asset) in assets {
            let max =
                U256::from(max_whole_tokens) * U256::from(10u64).pow(U256::from(asset.decimals));
            self.table(format!("assets.{name}"))
                .value("canonical_domain", asset.canonical_domain)
                .quoted("canonical_id", asset.canonical_id)
                .quoted("max_amount", max);
        }
        self
    }

    /// The `[domains.<domain>.chain]` table of an agent's per-domain settings.
    pub fn domain_chain(
        &mut self,
        domain: impl Display,
        deployment: &DomainDeployment,
    ) -> &mut Self {
        self.chain(&format!("domains.{domain}.chain"), deployment)
    }

    /// The config's text.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}

/// `finality` as a TOML value: `"finalized"` or `{ depth = N }`.
fn finality(finality: Finality) -> String {
    match finality {
        Finality::Finalized => "\"finalized\"".to_owned(),
        Finality::Depth(depth) => format!("{{ depth = {depth} }}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_start_after_a_blank_line() {
        let reading = ChainReading {
            confirmations: 1,
            finality: Finality::Finalized,
            poll_interval_ms: 100,
        };
        let out = AgentToml::new(reading)
            .quoted("home", "0x01")
            .telemetry()
            .table("domains.1000")
            .value("start_block", 7)
            .finish();
        assert_eq!(
            out,
            "home = \"0x01\"\n\n[telemetry]\nlisten = \"127.0.0.1:0\"\n\n[domains.1000]\nstart_block = 7\n"
        );
        assert_eq!(string("a \"b\"\\"), r#""a \"b\"\\""#);
    }
}
