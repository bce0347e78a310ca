//! What the devnet prints once it is up: where every chain, contract, key, log and file is.

use crate::{accounts::Role, liquidity::DEMO_SYMBOL, supervisor::AgentFiles, AgentOptions};
use alloy::signers::local::PrivateKeySigner;
use nxtp_chain::Finality;
use nxtp_deployment::Manifest;
use nxtp_primitives::Domain;
use std::{collections::BTreeMap, fmt::Write, net::SocketAddr, path::Path};

/// Everything [`render`] needs.
#[derive(Clone, Copy, Debug)]
pub struct SummaryInput<'a> {
    /// The deployment.
    pub manifest: &'a Manifest,
    /// Where it was written.
    pub manifest_path: &'a Path,
    /// The run folder.
    pub run_dir: &'a Path,
    /// Each chain's anvil log.
    pub chain_logs: &'a BTreeMap<Domain, std::path::PathBuf>,
    /// The supervised agents.
    pub agents: &'a [AgentFiles],
    /// Each agent's ops server (`/health`, `/metrics`), by agent name.
    pub ops: &'a BTreeMap<String, SocketAddr>,
    /// Their depth and finality.
    pub agent_options: &'a AgentOptions,
    /// Anvil's slots per epoch (its `finalized` block is two epochs behind its head).
    pub slots_in_an_epoch: u64,
}

/// The summary as text, one fact per line, addresses in full so they can be copied.
pub fn render(input: SummaryInput<'_>) -> String {
    let SummaryInput {
        manifest,
        manifest_path,
        run_dir,
        chain_logs,
        agents,
        ops,
        agent_options,
        slots_in_an_epoch,
    } = input;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "nxtp devnet: {} chain(s), optimistic window {} s",
        manifest.domains.len(),
        manifest.optimistic_seconds
    );
    let finality = match agent_options.finality {
        Finality::Finalized => format!(
            "the chain's finalized block ({} blocks behind the head)",
            slots_in_an_epoch.saturating_mul(2)
        ),
        Finality::Depth(depth) => format!("{depth} blocks deep"),
    };
    let _ = writeln!(
        out,
        "agents act {} block(s) deep; final: {finality}",
        agent_options.confirmations
    );
    for (domain, deployment) in &manifest.domains {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "domain {domain}  chain id {}  {}",
            deployment.chain_id, deployment.rpc_url
        );
        let mut row = |label: &str, value: &dyn std::fmt::Display| {
            let _ = writeln!(out, "  {label:<22}{value}");
        };
        row("Home", &deployment.home);
        row("ConnectionManager", &deployment.connection_manager);
        for (remote, replica) in &deployment.replicas {
            row(&format!("Replica of {remote}"), replica);
        }
        for (name, address) in &deployment.contracts {
            row(name, address);
        }
        if let Some(liquidity) = &deployment.liquidity {
            row("Connext", &liquidity.connext);
            for (symbol, asset) in &liquidity.assets {
                let kind = if asset.canonical_domain == *domain {
                    "canonical"
                } else {
                    "representation"
                };
                row(symbol, &format!("{} ({kind})", asset.local));
            }
        }
        row("updater", &deployment.updater);
        row("deployed from block", &deployment.deploy_block);
        if let Some(log) = chain_logs.get(domain) {
            row("anvil log", &log.display());
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "dev accounts (private keys are in the manifest):");
    for role in Role::ALL {
        if let Some(key) = manifest.dev_keys.get(role.name()) {
            let address = PrivateKeySigner::from_bytes(key)
                .map(|signer| signer.address().to_string())
                .unwrap_or_else(|_| "(invalid key)".to_owned());
            let _ = writeln!(out, "  {:<22}{address}", role.name());
        }
    }
    if let Some(services) = &manifest.services {
        let _ = writeln!(out);
        let _ = writeln!(out, "  {:<22}{}", "sequencer API", services.sequencer_url);
        if let Some(layout) = &agent_options.consensus {
            let _ = writeln!(
                out,
                "  {:<22}{} nodes, {} signatures per execute (docs/consensus.md)",
                "sequencer network",
                layout.nodes.len(),
                layout.threshold
            );
            for (index, node) in layout.nodes.iter().enumerate() {
                let name = crate::sequencer_agent::node_name(index);
                let _ = writeln!(
                    out,
                    "  {:<22}API http://{}, consensus {}",
                    name, node.api, node.consensus
                );
            }
        }
        let _ = writeln!(out, "  {:<22}{}", "relayer API", services.relayer_url);
        if let Some(indexer) = &services.indexer_url {
            let _ = writeln!(out, "  {:<22}{indexer}", "status API");
            if crate::indexer_agent::explorer_root().is_some() {
                let _ = writeln!(out, "  {:<22}{indexer}/", "explorer");
            }
        }
    }
    let _ = writeln!(out);
    if agents.is_empty() {
        let _ = writeln!(out, "agents: none");
    } else {
        let _ = writeln!(out, "agents (supervised, restarted if they exit):");
        for agent in agents {
            let _ = writeln!(
                out,
                "  {:<22}log {}  config {}",
                agent.name,
                agent.log.display(),
                agent.config.display()
            );
            if let Some(listen) = ops.get(&agent.name) {
                let _ = writeln!(
                    out,
                    "  {:<22}health http://{listen}/health  metrics http://{listen}/metrics",
                    ""
                );
            }
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "run folder  {}", run_dir.display());
    let _ = writeln!(out, "manifest    {}", manifest_path.display());
    next_commands(&mut out, manifest, manifest_path);
    out
}

/// The commands a user tries next, from another shell, with this devnet's manifest, domains, key and addresses
/// filled in (the `user` key is one of anvil's public development keys).
fn next_commands(out: &mut String, manifest: &Manifest, manifest_path: &Path) {
    let mut domains = manifest
        .domains
        .iter()
        .filter(|(_, deployment)| deployment.liquidity.is_some())
        .map(|(domain, _)| *domain);
    let (Some(origin), Some(destination)) = (domains.next(), domains.next()) else {
        return;
    };
    let address = |role: Role| {
        manifest
            .dev_keys
            .get(role.name())
            .and_then(|key| PrivateKeySigner::from_bytes(key).ok())
            .map(|signer| signer.address())
    };
    let (Some(user_key), Some(user), Some(router)) = (
        manifest.dev_keys.get(Role::User.name()),
        address(Role::User),
        address(Role::RouterA),
    ) else {
        return;
    };
    let route =
        format!("--origin {origin} --destination {destination} --asset {DEMO_SYMBOL} --amount 25");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "next, from another shell (nxtp on the PATH: `cargo install --path crates/clients/nxtp`):"
    );
    let _ = writeln!(
        out,
        "  export NXTP_MANIFEST={} USER_KEY={user_key}",
        manifest_path.display()
    );
    let _ = writeln!(out, "  nxtp quote {route}");
    let _ = writeln!(
        out,
        "  nxtp xcall {route} --to {user} --approve --key-env USER_KEY"
    );
    let _ = writeln!(out, "  nxtp status <transfer id> --wait");
    let _ = writeln!(
        out,
        "  nxtp router balance --domain {destination} --router {router} --asset {DEMO_SYMBOL}"
    );
    let _ = writeln!(out, "  nxtp --help   (every command takes --json)");
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, B256};
    use nxtp_deployment::DomainDeployment;
    use std::path::PathBuf;

    #[test]
    fn names_every_chain_contract_key_and_file() {
        let deployment = DomainDeployment {
            chain_id: 31337,
            rpc_url: "http://127.0.0.1:4000".to_owned(),
            deploy_block: 1,
            home: Address::repeat_byte(0x11),
            connection_manager: Address::repeat_byte(0x22),
            replicas: BTreeMap::from([(Domain(2000), Address::repeat_byte(0x33))]),
            updater: Address::repeat_byte(0x44),
            contracts: BTreeMap::from([(
                "RecordingRecipient".to_owned(),
                Address::repeat_byte(0x55),
            )]),
            liquidity: None,
        };
        let manifest = Manifest {
            optimistic_seconds: 5,
            domains: BTreeMap::from([(Domain(1000), deployment)]),
            dev_keys: BTreeMap::from([("updater".to_owned(), B256::with_last_byte(1))]),
            services: None,
        };
        let logs = BTreeMap::from([(Domain(1000), PathBuf::from("/run/anvil-1000.log"))]);
        let agents = [AgentFiles {
            name: "updater".to_owned(),
            config: PathBuf::from("/run/updater.toml"),
            log: PathBuf::from("/run/updater.log"),
        }];
        let ops = BTreeMap::from([(
            "updater".to_owned(),
            SocketAddr::from(([127, 0, 0, 1], 9105)),
        )]);
        let text = render(SummaryInput {
            manifest: &manifest,
            manifest_path: Path::new("/run/manifest.json"),
            run_dir: Path::new("/run"),
            chain_logs: &logs,
            agents: &agents,
            ops: &ops,
            agent_options: &AgentOptions::default(),
            slots_in_an_epoch: 1,
        });
        for expected in [
            "domain 1000  chain id 31337  http://127.0.0.1:4000",
            &Address::repeat_byte(0x11).to_string(),
            &format!("  {:<22}{}", "Replica of 2000", Address::repeat_byte(0x33)),
            "RecordingRecipient",
            "/run/anvil-1000.log",
            // The address of private key 1.
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf",
            "log /run/updater.log  config /run/updater.toml",
            "health http://127.0.0.1:9105/health  metrics http://127.0.0.1:9105/metrics",
            "manifest    /run/manifest.json",
            "agents act 1 block(s) deep; final: the chain's finalized block (2 blocks behind the head)",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing from:\n{text}"
            );
        }
    }

    #[test]
    fn ends_with_the_next_commands_filled_in() {
        let domain = |chain_id: u64| DomainDeployment {
            chain_id,
            rpc_url: format!("http://127.0.0.1:{chain_id}"),
            deploy_block: 1,
            home: Address::ZERO,
            connection_manager: Address::ZERO,
            replicas: BTreeMap::new(),
            updater: Address::ZERO,
            contracts: BTreeMap::new(),
            liquidity: Some(nxtp_deployment::LiquidityDeployment {
                connext: Address::repeat_byte(1),
                assets: BTreeMap::new(),
            }),
        };
        let keys: BTreeMap<String, B256> = Role::ALL
            .iter()
            .enumerate()
            .map(|(i, role)| (role.name().to_owned(), B256::with_last_byte(i as u8 + 1)))
            .collect();
        let manifest = Manifest {
            optimistic_seconds: 5,
            domains: BTreeMap::from([(Domain(1000), domain(31337)), (Domain(2000), domain(31338))]),
            dev_keys: keys.clone(),
            services: None,
        };
        let text = render(SummaryInput {
            manifest: &manifest,
            manifest_path: Path::new("/abs/run/manifest.json"),
            run_dir: Path::new("/abs/run"),
            chain_logs: &BTreeMap::new(),
            agents: &[],
            ops: &BTreeMap::new(),
            agent_options: &AgentOptions::default(),
            slots_in_an_epoch: 1,
        });
        let user = PrivateKeySigner::from_bytes(&keys[Role::User.name()])
            .expect("key")
            .address();
        let next = text
            .split_once("\nnext, from another shell")
            .map(|(_, next)| next)
            .unwrap_or_else(|| panic!("no next commands in:\n{text}"));
        for expected in [
            format!(
                "export NXTP_MANIFEST=/abs/run/manifest.json USER_KEY={}",
                keys[Role::User.name()]
            ),
            "nxtp quote --origin 1000 --destination 2000 --asset DEMO --amount 25".to_owned(),
            format!("--to {user} --approve --key-env USER_KEY"),
            "nxtp status <transfer id> --wait".to_owned(),
            "nxtp router balance --domain 2000 --router ".to_owned(),
        ] {
            assert!(
                next.contains(&expected),
                "{expected:?} missing from:\n{next}"
            );
        }
    }
}
