//! A devnet on fixed ports keeps them across restarts: the chains' RPC URLs and each agent's ops server are the
//! same after a stop and a new start in the same run folder, and the summary says where `/health` and `/metrics`
//! are.

use nxtp_deployment::Manifest;
use nxtp_devnet::{
    locate_anvil, AgentOptions, AgentSpec, Devnet, DevnetConfig, DevnetError, Ports, PortsError,
};
use nxtp_primitives::Domain;
use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    time::Duration,
};

/// A stand-in agent whose config asks for an ops server on a free port, as every real agent's does; it only runs
/// until SIGTERM.
fn agent_with_ops(_: &Manifest, run_dir: &Path, _: &AgentOptions) -> Vec<AgentSpec> {
    let script = run_dir.join("idle-agent.sh");
    std::fs::write(
        &script,
        "trap 'exit 0' TERM\nwhile true; do sleep 0.05; done\n",
    )
    .expect("write the agent");
    vec![AgentSpec {
        name: "idle".to_owned(),
        subcommand: script.display().to_string(),
        config_toml: "[telemetry]\nlisten = \"127.0.0.1:0\"\n".to_owned(),
    }]
}

/// A base port whose layout is free now: ports counted from one the OS just handed out.
fn free_base() -> u16 {
    for _ in 0..50 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let base = port.saturating_sub(2);
        if base > 1024 && (Ports::Fixed { base }).check(2).is_ok() {
            return base;
        }
    }
    panic!("no free range of ports found");
}

#[tokio::test]
async fn fixed_ports_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run_dir = dir.path().join("run");
    let base = free_base();
    let config = || {
        let mut config = DevnetConfig::new(
            locate_anvil(None),
            run_dir.clone(),
            PathBuf::from("/bin/sh"),
        );
        config.chains = 2;
        config.agents = agent_with_ops;
        config.liquidity = None;
        config.grace = Duration::from_secs(5);
        config.ports = Ports::Fixed { base };
        config
    };

    let devnet = Devnet::start(config()).await.expect("devnet starts");
    let urls = |devnet: &Devnet| {
        [Domain(1000), Domain(2000)]
            .map(|domain| devnet.manifest().domains[&domain].rpc_url.clone())
    };
    let first = urls(&devnet);
    assert_eq!(
        first,
        [
            format!("http://127.0.0.1:{base}"),
            format!("http://127.0.0.1:{}", base + 1)
        ]
    );
    let ops = SocketAddr::from(([127, 0, 0, 1], base + 200));
    assert_eq!(devnet.ops_addresses().get("idle"), Some(&ops));
    let written = std::fs::read_to_string(devnet.run_dir().join("idle.toml")).expect("config");
    assert!(
        written.contains(&format!("listen = \"{ops}\"")),
        "{written}"
    );
    let summary = devnet.summary();
    assert!(
        summary.contains(&format!(
            "health http://{ops}/health  metrics http://{ops}/metrics"
        )),
        "{summary}"
    );

    // While it runs, a second devnet on the same ports is refused, naming the port.
    let other = dir.path().join("other");
    let mut clash = config();
    clash.run_dir = other;
    match Devnet::start(clash).await {
        Err(DevnetError::Ports(refused @ PortsError::InUse { .. })) => assert_eq!(
            refused.to_string(),
            format!(
                "port {base} (chain 1) is in use: stop what holds it or choose another base port"
            )
        ),
        Err(other) => panic!("refused for another reason: {other:?}"),
        Ok(_) => panic!("a second devnet took the same ports"),
    }

    devnet.stop().await;
    let again = Devnet::start(config()).await.expect("restarts");
    assert_eq!(urls(&again), first, "the same RPC URLs after a restart");
    assert_eq!(again.ops_addresses().get("idle"), Some(&ops));
    again.stop().await;
}
