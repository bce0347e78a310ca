//! The devnet's side of its agents' configs: the development keys of the manifest as signers, and agent
//! specs. The writer itself, [`AgentToml`], lives in `nxtp_deployment::agent_toml`, shared with `nxtp init`.

use crate::{AgentOptions, AgentSpec, Role};
use nxtp_deployment::{agent_toml::ChainReading, Manifest};

pub(crate) use nxtp_deployment::agent_toml::{with_liquidity, AgentToml};

/// The devnet's polling: 100 ms, a tenth of its default block time.
const POLL_INTERVAL_MS: u64 = 100;

/// Every chain read at the options' confirmation depth and finality, polled at [`POLL_INTERVAL_MS`].
impl From<&AgentOptions> for ChainReading {
    fn from(options: &AgentOptions) -> Self {
        Self {
            confirmations: options.confirmations,
            finality: options.finality,
            poll_interval_ms: POLL_INTERVAL_MS,
        }
    }
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

/// An agent spec named `name`, run as `nxtp <subcommand>`, if it has a config.
pub(crate) fn spec(name: &str, subcommand: &str, config_toml: Option<String>) -> Option<AgentSpec> {
    config_toml.map(|config_toml| AgentSpec {
        name: name.to_owned(),
        subcommand: subcommand.to_owned(),
        config_toml,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_chain::{ChainConfig, Finality};
    use nxtp_deployment::{agent_toml::string, DomainDeployment};

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
