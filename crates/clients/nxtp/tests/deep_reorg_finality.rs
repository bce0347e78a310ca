//! Reorgs of the origin deeper than the agents' confirmations (issue #16), under the real
//! messaging agents run as `nxtp` processes with the devnet's configs (updater of 1000, message
//! relayer, processor, watcher), every chain read [`CONFIRMATIONS`] deep. The origin is mined by
//! the test (a block every 250 ms), so a reorg lands exactly where it should.
//!
//! - With a finality assumption deeper than the reorg ([`FINAL_DEPTH`]), the updater never
//!   signs the root of a message that a 5-block reorg then drops: nothing reaches a Replica,
//!   nothing is halted, and messaging goes on.
//! - With finality misconfigured shallower than the reorg, the root is signed and relayed, then
//!   lost; the watcher halts every Replica of the origin before the root's window ends, and the
//!   dropped message is never processed. Then the recovery of docs/messaging-agents.md:
//!   governance rotates the updater and enrols new Replicas at the Home's committed root, the
//!   agents restart on the new manifest, and a new message goes through; nothing delivered
//!   before is delivered again (each new Replica names the halted one as its predecessor and
//!   refuses to process again what that one processed), nothing is lost.

mod anvil_net;
mod messaging;
mod reorg_agents;

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, B256, U256},
    providers::{ext::AnvilApi, Provider},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use anvil_net::{http_get, AgentProcess};
use messaging::{read_db, Net};
use nxtp_bindings::{ConnectionManager, Home, Replica};
use nxtp_devnet::{AgentOptions, AgentSpec, Finality, Role};
use nxtp_primitives::{merkle::MerkleTree, Domain, Message};
use nxtp_testnet::{confirm, Miner, Mining, Options};
use reorg_agents::{eventually, signed_roots};
use std::time::Duration;

const ORIGIN: Domain = Domain(1000);
const DESTINATIONS: [Domain; 2] = [Domain(2000), Domain(3000)];
/// Blocks every agent waits before reading one.
const CONFIRMATIONS: u64 = 3;
/// The finality depth declared in the well-configured case: deeper than the reorg.
const FINAL_DEPTH: u64 = 8;
/// The reorg's depth: deeper than the confirmations.
const REORG: u64 = 5;
/// The test's block interval on the origin.
const BLOCK: Duration = Duration::from_millis(250);
/// The optimistic window, in seconds, where the watcher must act within it.
const WINDOW: u32 = 20;
/// `Replica.State.Active` and `Halted`.
const ACTIVE: u8 = 0;
const HALTED: u8 = 2;

/// Three chains, 250 ms blocks, a `window` (seconds); the agents with `finality`.
async fn start(finality: Finality, window: u32) -> (Net, Vec<AgentProcess>) {
    let options = Options::numbered(3)
        .mining(Mining::every_ms(250))
        .optimistic_seconds(window);
    let net = Net::start(options).await.expect("the net starts");
    let agents = agent_specs(&net, finality)
        .iter()
        .map(|spec| reorg_agents::spawn_agent(&net, spec))
        .collect();
    (net, agents)
}

/// The devnet's configs, from `net`'s manifest as it is now, of the updater of [`ORIGIN`], the
/// message relayer, the processor and the watcher, every chain read [`CONFIRMATIONS`] deep
/// under `finality`.
fn agent_specs(net: &Net, finality: Finality) -> Vec<AgentSpec> {
    let options = AgentOptions {
        confirmations: CONFIRMATIONS,
        finality,
        ..AgentOptions::default()
    };
    reorg_agents::agent_specs(net, ORIGIN, &options, true)
}

async fn replica_state(net: &Net, on: Domain) -> u8 {
    Replica::new(net.replica(on, ORIGIN), net.reader(on))
        .state()
        .call()
        .await
        .expect("state")
}

/// (threats, frauds) the watcher recorded.
fn watcher_records(net: &Net) -> (i64, i64) {
    let db = net.dir().join("watcher.sqlite");
    read_db(&db, |conn| {
        Ok((
            conn.query_row("SELECT COUNT(*) FROM watcher_threats", [], |row| row.get(0))?,
            conn.query_row("SELECT COUNT(*) FROM watcher_frauds", [], |row| row.get(0))?,
        ))
    })
    .unwrap_or_default()
}

/// Whether the watcher judged `root` produced when it saw it on a Replica.
fn watcher_judged_produced(net: &Net, root: B256) -> bool {
    let db = net.dir().join("watcher.sqlite");
    read_db(&db, |conn| {
        conn.query_row(
            "SELECT COUNT(*) FROM watcher_updates WHERE new_root = ?1 AND produced = 1",
            [root.as_slice()],
            |row| row.get::<_, i64>(0),
        )
    })
    .unwrap_or_default()
        == 1
}

/// Sends a message to every destination and waits until each is delivered once.
async fn deliver(net: &Net, agents: &[AgentProcess], from: Role, body: &str) {
    for destination in DESTINATIONS {
        net.dispatch_to_pool(ORIGIN, destination, from, body).await;
    }
    eventually(&format!("'{body}' to be delivered"), agents, || async {
        let messages = net.dispatched(ORIGIN).await;
        let mine: Vec<&Message> = messages
            .iter()
            .filter(|m| &m.body[..] == body.as_bytes())
            .collect();
        if mine.len() != DESTINATIONS.len() {
            return None;
        }
        for message in mine {
            if net.times_handled(message).await != 1 {
                return None;
            }
        }
        Some(())
    })
    .await;
}

/// The message of the dropped branch (from [`Role::RouterA`], `dropped`) was never handled, under
/// any nonce it could have had.
async fn assert_dropped_never_handled(net: &Net) {
    let dropped_sender = net.accounts.address(Role::RouterA);
    for nonce in 0..3 {
        assert_eq!(
            net.times_handled_from(ORIGIN, DESTINATIONS[0], dropped_sender, nonce, b"dropped")
                .await,
            0,
            "a message of the dropped branch was processed"
        );
    }
}

/// With the miner held: dispatches `body` from [`Role::RouterA`] into the pool, waits until
/// the checkpointer has checkpointed it in the pending block, and mines that block. Returns
/// the block and the root with the message.
async fn dispatch_and_checkpoint(net: &Net, agents: &[AgentProcess], body: &str) -> (u64, B256) {
    let origin = net.reader(ORIGIN);
    reorg_agents::mine_a_busy_block(net, ORIGIN).await;
    net.dispatch_to_pool(ORIGIN, DESTINATIONS[0], Role::RouterA, body)
        .await;
    let home = Home::new(net.home(ORIGIN), &origin);
    eventually(
        "the checkpointer to checkpoint the message",
        agents,
        || async {
            let pending = alloy::eips::BlockId::pending();
            let root = home.root().block(pending).call().await.ok()?;
            let checkpoint = home.checkpoints(root).block(pending).call().await.ok()?;
            checkpoint.produced.then_some(())
        },
    )
    .await;
    origin.evm_mine(None).await.expect("mines");
    let block = origin.get_block_number().await.expect("head");
    let root = home.root().call().await.expect("root");
    assert!(net.produced(ORIGIN, root).await);
    (block, root)
}

/// Replaces the origin's blocks from `fork` on, mining more first so the reorg is [`REORG`]
/// deep. The new branch holds the agents' own transactions of the replaced blocks (as their
/// nodes' pools would give them back; a submitter whose confirmed transaction vanished would
/// otherwise leave a nonce gap) and none of the users': the messages dispatched there are gone
/// for good. An updater's `Home.update` to a root the new branch never checkpointed reverts
/// there: it runs out of the gas estimated for the accepting path (`Home.update` fails the Home
/// on an unproduced root, which costs more).
async fn reorg_from(net: &Net, fork: u64) {
    let origin = net.reader(ORIGIN);
    let head = origin.get_block_number().await.expect("head");
    assert!(head + 1 - fork <= REORG, "the branch fits the reorg");
    if head + 1 - fork < REORG {
        origin
            .anvil_mine(Some(REORG - (head + 1 - fork)), None)
            .await
            .expect("mines");
    }
    let head = origin.get_block_number().await.expect("head");
    assert_eq!(head + 1 - fork, REORG);
    // The agents' own transactions go back in the new branch's first block, as their nodes'
    // pools would give them back.
    let agents = [
        net.accounts.address(Role::Checkpointer),
        net.accounts.address(Role::Updater),
    ];
    nxtp_testnet::reorg(&origin, fork, head, |tx| {
        agents.contains(&tx.from).then_some(0)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finality_deeper_than_a_reorg_signs_nothing_it_takes_back() {
    // Nothing here races the window: a short one keeps the test quick.
    let (net, agents) = start(Finality::Depth(FINAL_DEPTH), 5).await;
    let origin = net.reader(ORIGIN);
    let miner = Miner::start(origin.clone(), BLOCK).await;
    deliver(&net, &agents, Role::User, "before").await;
    let (root_before, _, _) = net.home_state(ORIGIN).await;

    // The message to be dropped: checkpointed, then buried under more blocks than the
    // confirmations (the updater reads it) but fewer than the finality depth.
    let stopped = miner.hold().await;
    let (block, lost_root) = dispatch_and_checkpoint(&net, &agents, "dropped").await;
    origin
        .anvil_mine(Some(REORG - 1), None)
        .await
        .expect("mines");
    let head = origin.get_block_number().await.expect("head");
    assert!(head - block > CONFIRMATIONS && head - block < FINAL_DEPTH);
    // The updater has read the checkpoint's block (every stream of the origin indexed up to the
    // confirmed head) and looked for a root to sign at this head (its final block is the head's):
    // whatever it would sign of this chain, it has signed by now.
    let updater_ops = agents[0].ops_addr().await;
    eventually(
        "the updater to read the checkpoint and look for a root",
        &agents,
        || async {
            let indexed = reorg_agents::metric(
                &updater_ops,
                "nxtp_chain_indexed_block",
                &format!("chain=\"{ORIGIN}\""),
            );
            let final_block = reorg_agents::metric(&updater_ops, "nxtp_updater_final_block", "");
            let read = !indexed.is_empty() && indexed.iter().all(|&b| b >= head - CONFIRMATIONS);
            (read && final_block == [head - FINAL_DEPTH]).then_some(())
        },
    )
    .await;
    assert!(
        !signed_roots(&net, ORIGIN)
            .unwrap_or_default()
            .contains(&lost_root),
        "the updater signed a root not final"
    );
    assert_eq!(net.home_state(ORIGIN).await.0, root_before);
    for destination in DESTINATIONS {
        assert_eq!(net.replica_root(destination, ORIGIN).await, root_before);
    }

    reorg_from(&net, block).await;
    drop(stopped);
    assert!(!net.produced(ORIGIN, lost_root).await);

    // Messaging goes on: a new message is delivered, nothing of the dropped one ever is, the
    // watcher saw nothing amiss and every Replica is active.
    deliver(&net, &agents, Role::User, "after").await;
    assert_dropped_never_handled(&net).await;
    assert!(!signed_roots(&net, ORIGIN)
        .unwrap_or_default()
        .contains(&lost_root));
    assert_eq!(watcher_records(&net), (0, 0));
    for destination in DESTINATIONS {
        assert_eq!(replica_state(&net, destination).await, ACTIVE);
    }
    for agent in &agents {
        agent.assert_running();
    }
    drop(miner);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finality_shallower_than_a_reorg_is_caught_by_the_watcher_and_recovered() {
    // Misconfigured: one block taken as final, and a reorg of five.
    let (mut net, agents) = start(Finality::Depth(1), WINDOW).await;
    let origin = net.reader(ORIGIN);
    let miner = Miner::start(origin.clone(), BLOCK).await;
    deliver(&net, &agents, Role::User, "before").await;

    // Checkpointed, then three blocks on top: signed; relayed to both Replicas from the
    // updater's pending transaction; that mined (five blocks in all) and the root judged by the
    // watcher.
    let stopped = miner.hold().await;
    let (block, lost_root) = dispatch_and_checkpoint(&net, &agents, "dropped").await;
    origin
        .anvil_mine(Some(CONFIRMATIONS), None)
        .await
        .expect("mines");
    eventually("the root relayed to every Replica", &agents, || async {
        for destination in DESTINATIONS {
            if net.replica_root(destination, ORIGIN).await != lost_root {
                return None;
            }
        }
        Some(())
    })
    .await;
    origin.evm_mine(None).await.expect("mines the update");
    assert_eq!(net.home_state(ORIGIN).await.0, lost_root);
    eventually("the watcher to judge the root", &agents, || async {
        watcher_judged_produced(&net, lost_root).then_some(())
    })
    .await;
    let confirm_at: u64 = Replica::new(
        net.replica(DESTINATIONS[0], ORIGIN),
        net.reader(DESTINATIONS[0]),
    )
    .confirmAt(lost_root)
    .call()
    .await
    .expect("confirmAt")
    .to();
    assert!(signed_roots(&net, ORIGIN)
        .unwrap_or_default()
        .contains(&lost_root));
    reorg_from(&net, block).await;
    drop(stopped);
    assert!(!net.produced(ORIGIN, lost_root).await);

    eventually("every Replica of the origin halted", &agents, || async {
        for destination in DESTINATIONS {
            if replica_state(&net, destination).await != HALTED {
                return None;
            }
        }
        Some(())
    })
    .await;
    let now = net.chain_time(DESTINATIONS[0]).await;
    assert!(
        now < confirm_at,
        "halted at {now}, the root ripens at {confirm_at}"
    );
    eprintln!(
        "halted {}s before the unbacked root ripened",
        confirm_at - now
    );
    assert_eq!(watcher_records(&net), (1, 0), "one threat, no fraud proof");
    let watcher_ops = agents[3].ops_addr().await;
    let (_, metrics) = http_get(&watcher_ops, "/metrics");
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("nxtp_watcher_fraud_detected_total")
                && line.contains("origin=\"1000\"")
                && line.contains("kind=\"unbacked\"")
                && line.ends_with(" 1")),
        "the threat is counted as kind unbacked:\n{metrics}"
    );
    assert!(
        !Home::new(net.home(ORIGIN), &origin)
            .failed()
            .call()
            .await
            .expect("failed"),
        "the honest updater's Home is not failed"
    );

    // Past the window: the dropped message was never processed.
    eventually("the window to pass", &agents, || async {
        (net.chain_time(DESTINATIONS[0]).await > confirm_at + 2).then_some(())
    })
    .await;
    assert_dropped_never_handled(&net).await;

    // Recovery, as the runbook in docs/messaging-agents.md has it: governance rotates the
    // origin's updater (the old key must never sign over the committed root again) and enrols
    // new Replicas whose first root is the Home's committed root, final on the origin, each
    // naming the halted Replica it replaces as its predecessor; the agents restart on the new
    // manifest with a finality deeper than the reorg, the updater with the new key and a fresh
    // database.
    for agent in agents {
        agent.kill();
    }
    let (committed, _, _) = net.home_state(ORIGIN).await;
    assert!(net.produced(ORIGIN, committed).await);
    let new_updater = PrivateKeySigner::random();
    let deployer = net.wallet(ORIGIN, Role::Deployer);
    let funding = TransactionRequest::default()
        .with_to(new_updater.address())
        .with_value(U256::from(10u64).pow(U256::from(19u64)));
    confirm(deployer.send_transaction(funding).await.expect("funds")).await;
    let home = Home::new(net.home(ORIGIN), &deployer);
    let bond = home.requiredBond().call().await.expect("requiredBond");
    confirm(
        home.depositBond(new_updater.address())
            .value(bond)
            .send()
            .await
            .expect("bonds"),
    )
    .await;
    confirm(
        home.setUpdater(new_updater.address())
            .send()
            .await
            .expect("rotates"),
    )
    .await;
    let origin_chain_id = net.manifest.domain(ORIGIN).expect("deployed").chain_id;
    // The origin tree up to the committed root, the first root of the new Replicas: the proofs
    // anyone could submit to them for a message the halted Replicas already delivered.
    let before = net.dispatched(ORIGIN).await;
    let mut tree = MerkleTree::new();
    for message in &before {
        tree.insert(message.leaf()).expect("the tree has room");
    }
    let committed_count = (0..=tree.count())
        .rev()
        .find(|&count| tree.root_at(count).ok() == Some(committed))
        .expect("the committed root is a root of the origin's tree");
    let mut old_replicas = Vec::new();
    for destination in DESTINATIONS {
        let wallet = net.wallet(destination, Role::Deployer);
        let old = net.replica(destination, ORIGIN);
        old_replicas.push((destination, old));
        let min_window = Replica::new(old, &wallet)
            .minOptimisticSeconds()
            .call()
            .await
            .expect("minOptimisticSeconds");
        let manager = net
            .manifest
            .domain(destination)
            .expect("deployed")
            .connection_manager;
        let replica = Replica::deploy(
            &wallet,
            destination.get(),
            ORIGIN.get(),
            U256::from(origin_chain_id),
            net.home(ORIGIN),
            new_updater.address(),
            committed,
            WINDOW,
            min_window,
            manager,
            net.accounts.address(Role::Deployer),
            // It replaces the halted Replica: what that one delivered stays delivered here.
            old,
        )
        .await
        .expect("deploys a Replica");
        let address = *replica.address();
        assert_eq!(
            replica.predecessor().call().await.expect("predecessor"),
            old,
            "the new Replica names the halted one"
        );
        // A message the halted Replica delivered, proven again under the new one: refused.
        let (index, delivered) = before
            .iter()
            .enumerate()
            .find(|(_, m)| m.destination == destination && &m.body[..] == b"before")
            .expect("a message delivered before the reorg");
        let index = u32::try_from(index).expect("a leaf index");
        assert!(index < committed_count, "under the committed root");
        let proof = tree.proof_at(index, committed_count).expect("proof");
        assert!(
            replica
                .isProcessed(U256::from(index))
                .call()
                .await
                .expect("isProcessed"),
            "the predecessor's delivery counts under the new Replica"
        );
        let refused = replica
            .proveAndProcess(delivered.encode(), proof.path, U256::from(index))
            .call()
            .await
            .expect_err("a message delivered by the halted Replica is not delivered again");
        assert!(
            refused
                .as_decoded_error::<Replica::AlreadyProcessed>()
                .is_some(),
            "{refused}"
        );
        confirm(
            ConnectionManager::new(manager, &wallet)
                .enrollReplica(address)
                .send()
                .await
                .expect("enrols"),
        )
        .await;
        net.manifest
            .domains
            .get_mut(&destination)
            .expect("deployed")
            .replicas
            .insert(ORIGIN, address);
    }
    net.save_manifest().expect("saves the manifest");
    let updater_db = net.dir().join(format!("updater-{ORIGIN}.sqlite"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", updater_db.display()));
    }
    let old_key = net.manifest.dev_keys[Role::Updater.name()].to_string();
    let new_key = new_updater.to_bytes().to_string();
    let agents: Vec<AgentProcess> = agent_specs(&net, Finality::Depth(FINAL_DEPTH))
        .into_iter()
        .map(|mut spec| {
            if spec.subcommand == "updater" {
                assert!(spec.config_toml.contains(&old_key));
                spec.config_toml = spec.config_toml.replace(&old_key, &new_key);
            }
            reorg_agents::spawn_agent(&net, &spec)
        })
        .collect();

    // A new message from the origin reaches both destinations once; none delivered before is
    // delivered again through the new Replicas, and the dropped one never is.
    deliver(&net, &agents, Role::User, "after recovery").await;
    // A later message, from another sender, delivered too: the processor has gone past every
    // earlier one, so a second delivery of any of them would have happened by now.
    deliver(&net, &agents, Role::RouterB, "later").await;
    let user = net.accounts.address(Role::User);
    let messages = net.dispatched(ORIGIN).await;
    for message in &messages {
        assert_eq!(
            net.times_handled(message).await,
            1,
            "{message:?} delivered exactly once"
        );
    }
    assert_eq!(
        messages
            .iter()
            .filter(|m| Address::from_word(m.sender) == user)
            .count(),
        2 * DESTINATIONS.len(),
        "the messages before and after"
    );
    assert_dropped_never_handled(&net).await;
    for (destination, old) in old_replicas {
        let state = Replica::new(old, net.reader(destination))
            .state()
            .call()
            .await
            .expect("state");
        assert_eq!(state, HALTED, "the old Replica stays halted");
        assert_eq!(replica_state(&net, destination).await, ACTIVE);
    }
    for agent in &agents {
        agent.assert_running();
    }
    drop(miner);
}
