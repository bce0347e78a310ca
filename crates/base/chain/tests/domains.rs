//! The per-domain config map ([`Domains`]) through the agents' config loader: environment
//! overrides reach each domain's chain, and errors name the key to fix.

use nxtp_agent::config::parse_with_env;
use nxtp_chain::{ChainConfig, DomainSettings, Domains};
use nxtp_primitives::Domain;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    chain: ChainConfig,
}

impl DomainSettings for Entry {
    fn chain(&self) -> &ChainConfig {
        &self.chain
    }
}

#[derive(Debug, Deserialize)]
struct Config {
    domains: Domains<Entry>,
    chains: Domains<ChainConfig>,
}

const TEXT: &str = r#"
    [domains.1000.chain]
    rpc_url = "http://127.0.0.1:8545"
    chain_id = 31337
    confirmations = 1
    [chains.2000]
    rpc_url = "http://127.0.0.1:8546"
    chain_id = 31338
    confirmations = 1
"#;

fn parse(env: &[(&str, &str)]) -> Result<Config, nxtp_agent::ConfigError> {
    let env = env
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()));
    parse_with_env(TEXT, Path::new("agent.toml"), env)
}

#[test]
fn environment_overrides_reach_each_domains_chain() {
    let config = parse(&[
        (
            "NXTP__DOMAINS__1000__CHAIN__RPC_URL",
            "http://10.0.0.1:8545",
        ),
        ("NXTP__CHAINS__2000__POLL_INTERVAL_MS", "100"),
    ])
    .expect("loads");
    let chain = config.domains.chain(Domain(1000)).expect("configured");
    assert_eq!(chain.rpc_url.as_str(), "http://10.0.0.1:8545/");
    let chain = config.chains.chain(Domain(2000)).expect("configured");
    assert_eq!(chain.poll_interval_ms, 100);
}

#[test]
fn errors_name_the_domains_key() {
    let err = parse(&[("NXTP__DOMAINS__1000__CHAIN__RPC_URL", "ftp://10.0.0.1:8545")])
        .expect_err("ftp refused");
    assert!(
        err.to_string().starts_with("domains.1000.chain.rpc_url: "),
        "{err}"
    );
}
