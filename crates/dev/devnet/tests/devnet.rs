//! The devnet's own chains and the whole `Devnet` (chains, deployment under interval mining, manifest,
//! agents, summary, clean stop).

use alloy::providers::{Provider, ProviderBuilder};
use nxtp_deployment::Manifest;
use nxtp_devnet::{
    locate_anvil, AgentOptions, AgentSpec, Chains, ChainsConfig, Devnet, DevnetConfig,
    MANIFEST_FILE,
};
use nxtp_primitives::Domain;
use std::{
    net::TcpStream,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

fn port_open(rpc_url: &str) -> bool {
    let address = rpc_url.trim_start_matches("http://");
    TcpStream::connect(address).is_ok()
}

fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => false,
    }
}

#[tokio::test]
async fn chains_listen_mine_on_their_interval_and_stop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = ChainsConfig::new(locate_anvil(None), 2, dir.path().to_owned());
    config.block_time = Duration::from_millis(500);
    let chains = Chains::start(&config).await.expect("start");

    assert_eq!(chains.chains().len(), 2);
    assert_eq!(
        chains.dev_keys().len(),
        nxtp_toolchain::DEV_ACCOUNTS,
        "one funded account per role, then the keys of a sequencer network's other nodes"
    );
    assert!(
        nxtp_devnet::Role::ALL.len() + nxtp_devnet::sequencer_agent::MAX_SEQUENCERS - 1
            <= nxtp_toolchain::DEV_ACCOUNTS
    );
    let mut pids = Vec::new();
    for (i, chain) in chains.chains().iter().enumerate() {
        assert_eq!(chain.domain, Domain(1000 * (i as u32 + 1)));
        assert!(
            chain.rpc_url.starts_with("http://127.0.0.1:"),
            "{}",
            chain.rpc_url
        );
        let provider = ProviderBuilder::new().connect_http(chain.rpc_url.parse().expect("url"));
        assert_eq!(
            provider.get_chain_id().await.expect("chain id"),
            chain.chain_id
        );
        assert_eq!(chain.chain_id, 31337 + i as u64);
        // Interval mining: blocks appear without transactions.
        let first = provider.get_block_number().await.expect("block");
        let deadline = Instant::now() + Duration::from_secs(10);
        while provider.get_block_number().await.expect("block") < first + 2 {
            assert!(
                Instant::now() < deadline,
                "no blocks mined on {}",
                chain.domain
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let log = std::fs::read_to_string(&chain.log).expect("anvil log");
        assert!(log.contains("Listening on 127.0.0.1:"), "{log}");
        assert_eq!(
            chain.log,
            dir.path().join(format!("anvil-{}.log", chain.domain))
        );
        pids.push((chain.pid().expect("running"), chain.rpc_url.clone()));
    }

    chains.stop(Duration::from_secs(5)).await;
    for (pid, rpc_url) in pids {
        assert!(!alive(pid), "anvil {pid} stopped");
        assert!(!port_open(&rpc_url), "{rpc_url} closed");
    }
}

#[tokio::test]
async fn dropped_chains_take_the_real_anvil_with_them() {
    // `node_modules/.bin/anvil` is a node wrapper around the real binary; killing only the wrapper
    // would leave the chain running.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = ChainsConfig::new(locate_anvil(None), 1, dir.path().to_owned());
    let chains = Chains::start(&config).await.expect("start");
    let rpc_url = chains.chains()[0].rpc_url.clone();
    assert!(port_open(&rpc_url));
    drop(chains);
    let deadline = Instant::now() + Duration::from_secs(5);
    while port_open(&rpc_url) {
        assert!(Instant::now() < deadline, "anvil outlived its handle");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn finalized_block_is_two_epochs_behind_and_an_empty_epoch_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = ChainsConfig::new(locate_anvil(None), 1, dir.path().to_owned());
    config.block_time = Duration::ZERO;
    assert_eq!(config.slots_in_an_epoch, 1, "the devnet's default");
    config.slots_in_an_epoch = 3;
    let chains = Chains::start(&config).await.expect("start");
    let provider =
        ProviderBuilder::new().connect_http(chains.chains()[0].rpc_url.parse().expect("url"));
    for _ in 0..10 {
        let _: String = provider
            .raw_request("evm_mine".into(), ())
            .await
            .expect("mines");
    }
    let head = provider.get_block_number().await.expect("head");
    let finalized = provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Finalized)
        .await
        .expect("finalized")
        .expect("a finalized block")
        .header
        .number;
    assert_eq!(head - finalized, 6, "two epochs of three slots");
    chains.stop(Duration::from_secs(5)).await;

    config.slots_in_an_epoch = 0;
    let err = Chains::start(&config).await.expect_err("refused");
    assert!(matches!(err, nxtp_devnet::ChainError::NoSlots), "{err}");
}

#[tokio::test]
async fn a_missing_anvil_is_reported_with_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = ChainsConfig::new(dir.path().join("anvil"), 1, dir.path().to_owned());
    let err = Chains::start(&config).await.expect_err("no anvil");
    assert!(err.to_string().contains("run `make setup`"), "{err}");
}

/// Writes a stand-in agent into the run folder: it prints its config, then runs until SIGTERM.
fn fake_agents(manifest: &Manifest, run_dir: &Path, _: &AgentOptions) -> Vec<AgentSpec> {
    let script = run_dir.join("fake-agent.sh");
    std::fs::write(
        &script,
        "trap 'echo got TERM; exit 0' TERM\necho \"up with $(cat \"$2\")\"\nwhile true; do sleep 0.05; done\n",
    )
    .expect("write fake agent");
    vec![AgentSpec {
        name: "fake".to_owned(),
        subcommand: script.display().to_string(),
        config_toml: format!("domains = {}", manifest.domains.len()),
    }]
}

#[tokio::test]
async fn devnet_deploys_under_interval_mining_runs_agents_and_stops_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run_dir = dir.path().join("run/devnet");
    let mut config = DevnetConfig::new(locate_anvil(None), run_dir, PathBuf::from("/bin/sh"));
    config.chains = 2;
    config.block_time = Duration::from_secs(1);
    config.optimistic_seconds = 7;
    config.agents = fake_agents;
    config.liquidity = None;
    config.grace = Duration::from_secs(5);

    let started = Instant::now();
    let devnet = Devnet::start(config).await.expect("devnet starts");
    let startup = started.elapsed();

    // The manifest on disk is the deployment.
    let manifest_path = devnet.run_dir().join(MANIFEST_FILE);
    assert_eq!(devnet.manifest_path(), manifest_path);
    let manifest = Manifest::load(&manifest_path).expect("manifest loads");
    assert_eq!(&manifest, devnet.manifest());
    assert_eq!(manifest.optimistic_seconds, 7);
    assert_eq!(manifest.domains.len(), 2);
    assert_eq!(manifest.dev_keys.len(), nxtp_devnet::Role::ALL.len());
    for (domain, deployment) in &manifest.domains {
        assert_eq!(deployment.replicas.len(), 1, "{domain}");
        assert!(port_open(&deployment.rpc_url));
    }

    let summary = devnet.summary();
    for expected in [
        manifest.domains[&Domain(1000)].rpc_url.as_str(),
        manifest_path.to_str().expect("utf-8 path"),
        "anvil-2000.log",
        "fake.log",
        "Replica of 1000",
    ] {
        assert!(
            summary.contains(expected),
            "{expected:?} missing from:\n{summary}"
        );
    }

    // The agent runs with its generated config.
    let agent_log = devnet.run_dir().join("fake.log");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&agent_log)
        .unwrap_or_default()
        .contains("up with domains = 2")
    {
        assert!(Instant::now() < deadline, "the agent never came up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let agent_pid = devnet.supervisor().status()[0].pid.expect("agent running");
    let chains: Vec<_> = devnet
        .chains()
        .chains()
        .iter()
        .map(|chain| (chain.pid().expect("anvil running"), chain.rpc_url.clone()))
        .collect();
    let run_dir = devnet.run_dir().to_owned();

    devnet.stop().await;
    assert!(!alive(agent_pid));
    assert!(std::fs::read_to_string(&agent_log)
        .expect("log")
        .contains("got TERM"));
    for (pid, rpc_url) in chains {
        assert!(!alive(pid), "anvil stopped");
        assert!(!port_open(&rpc_url), "{rpc_url} closed");
    }
    // The folder is free for the next run.
    drop(nxtp_devnet::RunDir::prepare(&run_dir).expect("lock released"));
    eprintln!("devnet with 1 s blocks started in {startup:?}");
}
