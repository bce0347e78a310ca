//! What the reorg tests under the messaging agents share: the devnet's configs of the origin's
//! updater, the message relayer, the processor (and the watcher) run as `nxtp` processes, bounded
//! waits that show the agents' logs when they time out, and what the agents' metrics and records
//! say. The test mines the origin itself ([`nxtp_testnet::Miner`]), so a reorg lands exactly where
//! it should.

#![allow(dead_code, unreachable_pub)]

use crate::{
    anvil_net::{http_get, AgentProcess},
    messaging::{read_db, Net},
};
use alloy::{
    network::TransactionBuilder,
    primitives::{Address, B256, U256},
    providers::{ext::AnvilApi, Provider},
    rpc::types::TransactionRequest,
};
use nxtp_devnet::{AgentOptions, AgentSpec, Role};
use nxtp_primitives::Domain;
use std::{
    future::Future,
    time::{Duration, Instant},
};

/// With the miner held, mines one block holding a transaction on `domain`. The checkpointer
/// watches a Home's pending block only while its chain is busy (one of its newest blocks
/// changed state), as a live chain is; a held test chain whose last blocks were empty is not.
pub async fn mine_a_busy_block(net: &Net, domain: Domain) {
    let deployer = net.wallet(domain, Role::Deployer);
    let nudge = TransactionRequest::default()
        .with_to(Address::repeat_byte(0x11))
        .with_value(U256::from(1u64));
    let sent = deployer.send_transaction(nudge).await.expect("sends");
    net.reader(domain).evm_mine(None).await.expect("mines");
    nxtp_testnet::confirm(sent).await;
}

/// Every wait is bounded; generous, as CI runs on two loaded cores.
pub const TIMEOUT: Duration = Duration::from_secs(180);

/// The devnet's configs, from `net`'s manifest as it is now and `options`, of the updater of
/// `origin`, the message relayer, the processor and, if asked, the watcher, in that order.
pub fn agent_specs(
    net: &Net,
    origin: Domain,
    options: &AgentOptions,
    watcher: bool,
) -> Vec<AgentSpec> {
    let (manifest, dir) = (&net.manifest, net.dir());
    let updater = nxtp_devnet::updater_agent::name(origin);
    let mut specs: Vec<AgentSpec> = nxtp_devnet::updater_agent::specs(manifest, dir, options)
        .into_iter()
        .filter(|spec| spec.name == updater)
        .collect();
    specs.extend(nxtp_devnet::message_relayer_agent::spec(
        manifest, dir, options,
    ));
    specs.extend(nxtp_devnet::processor_agent::spec(manifest, dir, options));
    if watcher {
        specs.extend(nxtp_devnet::watcher_agent::spec(manifest, dir, options));
    }
    let expected = if watcher { 4 } else { 3 };
    assert_eq!(
        specs.len(),
        expected,
        "updater, relayer, processor (and watcher) configs"
    );
    specs
}

/// Runs `spec` as an `nxtp` process, its config and log in `net`'s folder.
pub fn spawn_agent(net: &Net, spec: &AgentSpec) -> AgentProcess {
    let config = net.write_config(&spec.name, &spec.config_toml);
    let log = net.dir().join(format!("{}.log", spec.name));
    AgentProcess::spawn(&spec.subcommand, &config, &log, &[])
}

/// Polls `check` every 200 ms until it yields `Some`; panics with `what` and the end of every
/// agent's log after [`TIMEOUT`].
pub async fn eventually<T, F, Fut>(what: &str, agents: &[AgentProcess], mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if Instant::now() >= deadline {
            let logs: Vec<String> = agents
                .iter()
                .map(|agent| {
                    let text = agent.log_text();
                    let lines: Vec<&str> = text.lines().collect();
                    lines[lines.len().saturating_sub(30)..].join("\n")
                })
                .collect();
            panic!(
                "timed out waiting for {what}; the agents' logs end with:\n{}",
                logs.join("\n---\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The values of the series `name` whose labels include `label` (e.g. `chain="1000"`), from the
/// agent's `/metrics` at `ops`.
pub fn metric(ops: &str, name: &str, label: &str) -> Vec<u64> {
    let (_, metrics) = http_get(ops, "/metrics");
    metrics
        .lines()
        .filter(|line| line.starts_with(name) && line.contains(label))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .collect()
}

/// The roots the updater of `origin` recorded as signed; `None` while its database cannot be read.
pub fn signed_roots(net: &Net, origin: Domain) -> Option<Vec<B256>> {
    let db = net.dir().join(format!(
        "{}.sqlite",
        nxtp_devnet::updater_agent::name(origin)
    ));
    read_db(&db, |conn| {
        let mut statement = conn.prepare("SELECT new_root FROM updater_signed")?;
        let rows = statement.query_map([], |row| row.get::<_, [u8; 32]>(0))?;
        rows.map(|row| row.map(B256::from)).collect()
    })
}
