//! The one writer of the TOML configs the devnet generates for its agents: each agent's module says which
//! lines its config has, [`AgentToml`] writes them the same way for all.

use crate::{AgentOptions, AgentSpec, Role};
use nxtp_chain::Finality;
use nxtp_deployment::{DomainDeployment, LiquidityDeployment, Manifest};
use nxtp_primitives::Domain;
use std::{
    fmt::{Display, Write},
    path::Path,
};

/// `text` as a TOML basic string: JSON's string escapes are a subset of TOML's.
pub(crate) fn string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// The development key of `role` in the manifest, as an agent's `signer` table; `None` when the manifest
/// carries none (a manifest of a deployment that is not a devnet).
pub(crate) fn dev_key(manifest: &Manifest, role: &str) -> Option<String> {
    let key = manifest.dev_keys.get(role)?;
    Some(format!("{{ hex = \"{key}\" }}"))
}

/// [`dev_key`] of one of the devnet's roles.
pub(crate) fn role_key(manifest: &Manifest, role: Role) -> Option<String> {
    dev_key(manifest, role.name())
}

/// The domains of `manifest` that have the liquidity layer, in order.
pub(crate) fn with_liquidity(
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

/// An agent spec named `name`, run as `nxtp <subcommand>`, if it has a config.
pub(crate) fn spec(name: &str, subcommand: &str, config_toml: Option<String>) -> Option<AgentSpec> {
    config_toml.map(|config_toml| AgentSpec {
        name: name.to_owned(),
        subcommand: subcommand.to_owned(),
        config_toml,
    })
}

/// One agent's config, written line by line; every chain table reads its chain at the depth and finality
/// of the options it was made with.
pub(crate) struct AgentToml<'a> {
    out: String,
    options: &'a AgentOptions,
}

impl<'a> AgentToml<'a> {
    /// An empty config whose chain tables follow `options`.
    pub(crate) fn new(options: &'a AgentOptions) -> Self {
        Self {
            out: String::new(),
            options,
        }
    }

    /// `key = value`, the value already TOML.
    pub(crate) fn value(&mut self, key: &str, value: impl Display) -> &mut Self {
        let _ = writeln!(self.out, "{key} = {value}");
        self
    }

    /// `key = "value"`, for values that need no escaping (addresses, hashes, decimal numbers).
    pub(crate) fn quoted(&mut self, key: &str, value: impl Display) -> &mut Self {
        let _ = writeln!(self.out, "{key} = \"{value}\"");
        self
    }

    /// `key = "text"`, escaped.
    pub(crate) fn string(&mut self, key: &str, text: &str) -> &mut Self {
        self.value(key, string(text))
    }

    /// `key = "path"`, escaped.
    pub(crate) fn path(&mut self, key: &str, path: &Path) -> &mut Self {
        self.string(key, &path.display().to_string())
    }

    /// The agent's database: `<stem>.sqlite` in `run_dir`.
    pub(crate) fn database(&mut self, run_dir: &Path, stem: &str) -> &mut Self {
        self.path("database", &run_dir.join(format!("{stem}.sqlite")))
    }

    /// A new `[table]`, after a blank line.
    pub(crate) fn table(&mut self, name: impl Display) -> &mut Self {
        let _ = writeln!(self.out, "\n[{name}]");
        self
    }

    /// The agent's metrics and health on a free loopback port.
    pub(crate) fn telemetry(&mut self) -> &mut Self {
        self.table("telemetry").quoted("listen", "127.0.0.1:0")
    }

    /// The domain's Replicas, by origin, as an inline table.
    pub(crate) fn replicas(&mut self, deployment: &DomainDeployment) -> &mut Self {
        let replicas: Vec<String> = deployment
            .replicas
            .iter()
            .map(|(origin, replica)| format!("{origin} = \"{replica}\""))
            .collect();
        self.value("replicas", format!("{{ {} }}", replicas.join(", ")))
    }

    /// The `[table]` every agent's chain settings share (`nxtp_chain::ChainConfig`): the domain's RPC, its
    /// chain id, the confirmation depth and finality assumption of the options, and the devnet's 100 ms
    /// polling (a tenth of its default block time). No blank line before it: it follows its domain's table.
    pub(crate) fn chain(&mut self, table: &str, deployment: &DomainDeployment) -> &mut Self {
        let AgentOptions {
            confirmations,
            finality: assumed,
            ..
        } = *self.options;
        let _ = writeln!(self.out, "[{table}]");
        self.string("rpc_url", &deployment.rpc_url)
            .value("chain_id", deployment.chain_id)
            .value("confirmations", confirmations)
            .value("finality", finality(assumed))
            .value("poll_interval_ms", 100)
    }

    /// A `[chains.<domain>]` table per domain of `manifest`, for agents that read every chain alike.
    pub(crate) fn chains(&mut self, manifest: &Manifest) -> &mut Self {
        for (domain, deployment) in &manifest.domains {
            self.out.push('\n');
            self.chain(&format!("chains.{domain}"), deployment);
        }
        self
    }

    /// Per domain of `manifest`, the table of an agent that reads the messaging contracts there: its
    /// Home, (`with_manager`) its ConnectionManager, where to start reading, its Replicas, and its chain.
    pub(crate) fn messaging_domains(
        &mut self,
        manifest: &Manifest,
        with_manager: bool,
    ) -> &mut Self {
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
    pub(crate) fn liquidity_domains(&mut self, manifest: &Manifest) -> &mut Self {
        for (domain, deployment, liquidity) in with_liquidity(manifest) {
            self.table(format!("domains.{domain}"))
                .quoted("connext", liquidity.connext)
                .value("start_block", deployment.deploy_block)
                .domain_chain(domain, deployment);
        }
        self
    }

    /// The `[domains.<domain>.chain]` table of an agent's per-domain settings.
    pub(crate) fn domain_chain(
        &mut self,
        domain: impl Display,
        deployment: &DomainDeployment,
    ) -> &mut Self {
        self.chain(&format!("domains.{domain}.chain"), deployment)
    }

    /// The config's text.
    pub(crate) fn finish(&mut self) -> String {
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
    use nxtp_chain::ChainConfig;

    #[test]
    fn strings_are_escaped_and_chain_tables_complete() {
        assert_eq!(string("a \"b\"\\"), r#""a \"b\"\\""#);
        let deployment: DomainDeployment = serde_json::from_value(serde_json::json!({
            "chain_id": 31337, "rpc_url": "http://127.0.0.1:8545", "deploy_block": 1,
            "home": "0x0000000000000000000000000000000000000001",
            "connection_manager": "0x0000000000000000000000000000000000000002",
            "replicas": {}, "updater": "0x0000000000000000000000000000000000000003"
        }))
        .expect("deployment");
        let options = AgentOptions {
            confirmations: 2,
            ..AgentOptions::default()
        };
        let out = AgentToml::new(&options)
            .chain("chains.1000", &deployment)
            .finish();
        assert_eq!(
            out,
            "[chains.1000]\nrpc_url = \"http://127.0.0.1:8545\"\nchain_id = 31337\nconfirmations = 2\n\
             finality = \"finalized\"\npoll_interval_ms = 100\n"
        );
        assert_eq!(chain_config(&out).finality, Finality::Finalized);

        let options = AgentOptions {
            confirmations: 3,
            finality: Finality::Depth(12),
            ..AgentOptions::default()
        };
        let out = AgentToml::new(&options)
            .chain("chains.1000", &deployment)
            .finish();
        let config = chain_config(&out);
        assert_eq!(config.confirmations, 3);
        assert_eq!(config.finality, Finality::Depth(12));
    }

    #[test]
    fn tables_start_after_a_blank_line() {
        let options = AgentOptions::default();
        let out = AgentToml::new(&options)
            .quoted("home", "0x01")
            .telemetry()
            .table("domains.1000")
            .value("start_block", 7)
            .finish();
        assert_eq!(
            out,
            "home = \"0x01\"\n\n[telemetry]\nlisten = \"127.0.0.1:0\"\n\n[domains.1000]\nstart_block = 7\n"
        );
    }

    /// The one chain table in `text`, read as agents read it.
    fn chain_config(text: &str) -> ChainConfig {
        #[derive(serde::Deserialize)]
        struct Tables {
            chains: std::collections::BTreeMap<String, ChainConfig>,
        }
        let tables: Tables = toml::from_str(text).expect("valid TOML");
        tables.chains.into_values().next().expect("one table")
    }
}
