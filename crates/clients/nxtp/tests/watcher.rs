//! The built `nxtp watcher`: it catches a fraudulent update, is SIGKILLed while one of its
//! notices is still in a mempool, and once restarted completes the response without repeating
//! any of it; it serves `/health` and `/metrics`; a bad config stops it at start-up with a
//! message naming the field and the file.

mod anvil_net;

use alloy::{
    primitives::{Address, Bytes},
    providers::{ext::AnvilApi, Provider},
};
use anvil_net::{caught_up, eventually, http_get, run_to_exit, AgentProcess, Net};
use nxtp_bindings::{Home, Replica};
use nxtp_devnet::Role;
use nxtp_primitives::{address_to_bytes32, Domain, MerkleTree, Message, MessageBody};

/// `Replica.State.Halted`.
const HALTED: u8 = 2;

async fn halted(net: &Net, domain: u32, origin: u32) -> bool {
    Replica::new(net.replica(domain, origin), net.reader(domain))
        .state()
        .call()
        .await
        .expect("state")
        == HALTED
}

async fn home_failed(net: &Net, domain: u32) -> bool {
    Home::new(net.home(domain), net.reader(domain))
        .failed()
        .call()
        .await
        .expect("failed")
}

/// Every chain's head now.
async fn heads(net: &Net) -> Vec<(u32, u64)> {
    let mut heads = Vec::new();
    for domain in [1000, 2000, 3000] {
        let head = net.reader(domain).get_block_number().await.expect("head");
        heads.push((domain, head));
    }
    heads
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_mid_response_and_restarted_it_finishes_without_repeating() {
    let net = Net::with_window(&[1000, 2000, 3000], 10).await;
    // On the head, as this test was written for (the devnet's depth is the other agents').
    let text = nxtp_devnet::watcher_agent::config_toml(
        &net.manifest,
        net.dir(),
        &nxtp_devnet::AgentOptions {
            confirmations: 0,
            ..nxtp_devnet::AgentOptions::default()
        },
    )
    .expect("the manifest has the watcher's key");
    let config = net.write_config("watcher", &text);
    let log = net.dir().join("watcher.log");
    let watcher = AgentProcess::spawn("watcher", &config, &log, &[]);

    // 3000 stops mining, so the notice sent there waits in its mempool.
    let held = net.reader(3000);
    held.anvil_set_interval_mining(0)
        .await
        .expect("pause mining");

    // The updater key signs a root 1000's Home never produced; 2000's Replica accepts it.
    let forged = Message {
        origin: Domain(1000),
        sender: address_to_bytes32(Address::repeat_byte(0x66)),
        nonce: 0,
        destination: Domain(2000),
        recipient: address_to_bytes32(net.recipient(2000)),
        body: MessageBody::new(Bytes::from_static(b"forged")).expect("body"),
    };
    let mut tree = MerkleTree::new();
    tree.insert(forged.leaf()).expect("room");
    let old = Replica::new(net.replica(2000, 1000), net.reader(2000))
        .committedRoot()
        .call()
        .await
        .expect("committedRoot");
    let signature = net.sign_update(1000, old, tree.root());
    net.relay(2000, 1000, old, tree.root(), signature).await;

    eventually(
        "the Home failed, 2000 halted, 3000's notice sent",
        || async {
            home_failed(&net, 1000).await
                && halted(&net, 2000, 1000).await
                && net.sent_txs(3000, Role::Watcher).await == 1
        },
    )
    .await;
    assert!(!halted(&net, 3000, 1000).await, "3000 mines nothing yet");
    watcher.kill();

    let watcher = AgentProcess::spawn("watcher", &config, &log, &[]);
    // Restarted with its notice still in 3000's mempool: it is running and has read the chains
    // that mine (1000, 2000) past their heads at its start before 3000 mines again.
    let ops = watcher.ops_addr().await;
    let read_to: Vec<(u32, u64)> = heads(&net)
        .await
        .into_iter()
        .filter(|&(domain, _)| domain != 3000)
        .map(|(domain, head)| (domain, head + 1))
        .collect();
    eventually("the restarted watcher to catch up", || async {
        caught_up(&ops, &read_to)
    })
    .await;
    watcher.assert_running();
    held.anvil_set_interval_mining(1)
        .await
        .expect("resume mining");
    eventually("3000's Replica of 1000 halted", || async {
        halted(&net, 3000, 1000).await
    })
    .await;

    eventually(
        "the restarted watcher counts the notice it saw confirmed",
        || async {
            let (_, metrics) = http_get(&ops, "/metrics");
            metrics.lines().any(|line| {
                line.starts_with("nxtp_watcher_notices_sent_total{")
                    && line.contains("domain=\"3000\"")
                    && line.ends_with(" 1")
            })
        },
    )
    .await;
    assert_eq!(http_get(&ops, "/health").0, 200);
    // Nothing more is sent once it has read every chain past the blocks mined by now.
    let read_to: Vec<(u32, u64)> = heads(&net)
        .await
        .into_iter()
        .map(|(domain, head)| (domain, head + 1))
        .collect();
    eventually("the watcher to read past the response", || async {
        caught_up(&ops, &read_to)
    })
    .await;
    watcher.assert_running();
    for domain in [1000, 2000, 3000] {
        assert_eq!(
            net.sent_txs(domain, Role::Watcher).await,
            1,
            "one transaction on {domain}"
        );
    }
    // The Replicas of the honest origins keep working.
    assert!(!halted(&net, 1000, 2000).await);
    assert!(!halted(&net, 3000, 2000).await);
    watcher.kill();
}

#[test]
fn a_bad_config_stops_it_at_start_up_naming_the_field_and_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("watcher.toml");
    std::fs::write(
        &config,
        r#"
        database = "watcher.sqlite"
        signer = { env = "WATCHER_KEY" }
        [telemetry]
        listen = "127.0.0.1:0"
        [domains.1000]
        home = "0x0000000000000000000000000000000000000001"
        [domains.1000.chain]
        rpc_url = "http://127.0.0.1:1"
        chain_id = 31337
        confirmations = 0
        "#,
    )
    .expect("writes");
    let path = config.to_str().expect("utf-8 path");
    let (code, stderr) = run_to_exit(&["watcher", "--config", path]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("domains.1000: missing field `connection_manager`")
            && stderr.contains(path),
        "{stderr}"
    );
}
