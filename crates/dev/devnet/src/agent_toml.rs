//! Pieces of the TOML configs the devnet generates for its agents.

use crate::AgentOptions;
use nxtp_chain::Finality;
use nxtp_deployment::DomainDeployment;
use std::fmt::Write;

/// `text` as a TOML basic string: JSON's string escapes are a subset of TOML's.
pub(crate) fn string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// Appends the `[table]` every agent's chain settings share (`nxtp_chain::ChainConfig`): the domain's RPC,
/// its chain id, the confirmation depth and finality assumption of `options`, and the devnet's 100 ms
/// polling (a tenth of its default block time).
pub(crate) fn chain_table(
    out: &mut String,
    table: &str,
    deployment: &DomainDeployment,
    options: &AgentOptions,
) {
    let _ = writeln!(out, "[{table}]");
    let _ = writeln!(out, "rpc_url = {}", string(&deployment.rpc_url));
    let _ = writeln!(out, "chain_id = {}", deployment.chain_id);
    let _ = writeln!(out, "confirmations = {}", options.confirmations);
    let _ = writeln!(out, "finality = {}", finality(options.finality));
    let _ = writeln!(out, "poll_interval_ms = 100");
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
        let mut out = String::new();
        let options = AgentOptions {
            confirmations: 2,
            ..AgentOptions::default()
        };
        chain_table(&mut out, "chains.1000", &deployment, &options);
        assert_eq!(
            out,
            "[chains.1000]\nrpc_url = \"http://127.0.0.1:8545\"\nchain_id = 31337\nconfirmations = 2\n\
             finality = \"finalized\"\npoll_interval_ms = 100\n"
        );
        assert_eq!(chain_config(&out).finality, Finality::Finalized);

        let mut out = String::new();
        let options = AgentOptions {
            confirmations: 3,
            finality: Finality::Depth(12),
            ..AgentOptions::default()
        };
        chain_table(&mut out, "chains.1000", &deployment, &options);
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
