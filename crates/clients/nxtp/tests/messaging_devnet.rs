//! The whole messaging layer on a devnet: three chains, every agent as its own supervised `nxtp`
//! process. Messages dispatched on every domain to every other domain are each delivered exactly once,
//! only after the optimistic window, even though every agent is killed with SIGKILL mid-flight (the
//! supervisor restarts it).

use nxtp_devnet::{traffic, Devnet, DevnetConfig};
use nxtp_primitives::Domain;
use std::{
    process::Command,
    time::{Duration, Instant},
};

const WINDOW_SECONDS: u32 = 3;
/// How long the supervisor may take to restart a killed agent (its first backoff is far less).
const RESTART_TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_is_delivered_once_despite_sigkilled_agents() {
    let run = tempfile::tempdir().expect("run folder");
    let mut config = DevnetConfig::new(
        nxtp_devnet::locate_anvil(None),
        run.path().join("devnet"),
        env!("CARGO_BIN_EXE_nxtp").into(),
    );
    config.optimistic_seconds = WINDOW_SECONDS;
    config.liquidity = None;
    config.grace = Duration::from_secs(5);
    let devnet = Devnet::start(config).await.expect("devnet starts");
    let manifest = devnet.manifest().clone();
    let domains: Vec<Domain> = manifest.domains.keys().copied().collect();
    assert_eq!(domains.len(), 3, "three domains");

    // A sender that is none of the agents' accounts.
    let sender_key = devnet.chains().chains()[0].dev_keys[9];
    let mut routes = Vec::new();
    for &origin in &domains {
        for &destination in domains.iter().filter(|&&d| d != origin) {
            routes.extend([(origin, destination), (origin, destination)]);
        }
    }
    let mut sent = traffic::dispatch(&manifest, sender_key, &routes)
        .await
        .expect("first wave dispatched");

    // Kill every agent once while the first wave is in flight; the supervisor restarts each.
    let agents = devnet.supervisor().status();
    assert!(
        agents.len() >= 4,
        "updaters, relayer, processor and watcher run: {agents:?}"
    );
    for agent in &agents {
        let pid = agent
            .pid
            .unwrap_or_else(|| panic!("{} is running", agent.name));
        let status = Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGKILL {}", agent.name);
        // One at a time: the next is killed once the supervisor has restarted this one.
        let restarted = Instant::now();
        while !devnet
            .supervisor()
            .status()
            .iter()
            .any(|now| now.name == agent.name && now.starts > agent.starts && now.pid.is_some())
        {
            assert!(
                restarted.elapsed() < RESTART_TIMEOUT,
                "{} restarted within {RESTART_TIMEOUT:?}",
                agent.name
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    sent.extend(
        traffic::dispatch(&manifest, sender_key, &routes)
            .await
            .expect("second wave dispatched"),
    );

    let deliveries = traffic::await_deliveries(&manifest, &sent, Duration::from_secs(240))
        .await
        .unwrap_or_else(|err| panic!("{err}; logs in {}", devnet.run_dir().display()));
    for message in &sent {
        let delivery = &deliveries[&message.leaf];
        assert!(
            delivery.processed_at >= message.dispatched_at + u64::from(WINDOW_SECONDS),
            "{:?} processed before its window could have passed",
            message.message
        );
        let times = traffic::times_handled(&manifest, &message.message)
            .await
            .expect("read recipient");
        assert_eq!(times, 1, "{:?} handled exactly once", message.message);
    }
    let restarted = devnet.supervisor().status();
    for agent in &restarted {
        assert!(
            agent.starts >= 2,
            "{} was restarted after SIGKILL: {agent:?}",
            agent.name
        );
        assert!(agent.pid.is_some(), "{} is running again", agent.name);
    }
    devnet.stop().await;
}
