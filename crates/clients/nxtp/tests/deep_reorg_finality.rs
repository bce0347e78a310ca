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

use alloy::{
    network::TransactionBuilder,
    primitives::{keccak256, Address, Bytes, B256, U256},
    providers::{ext::AnvilApi, DynProvider, Provider},
    rpc::types::{
        anvil::{ReorgOptions, TransactionData},
        Filter, TransactionRequest,
    },
    signers::local::PrivateKeySigner,
    sol_types::{SolEvent, SolValue},
};
use anvil_net::{http_get, AgentProcess};
use messaging::{read_db, Net};
use nxtp_bindings::{ConnectionManager, Home, RecordingRecipient, Replica};
use nxtp_devnet::{traffic::recipient_on, AgentOptions, AgentSpec, Finality, Role};
use nxtp_primitives::{address_to_bytes32, merkle::MerkleTree, Domain, Message};
use nxtp_testnet::confirm;
use nxtp_testnet::{Mining, Options};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{sync::Mutex, task::JoinHandle};

const ORIGIN: Domain = Domain(1000);
const DESTINATIONS: [Domain; 2] = [Domain(2000), Domain(3000)];
/// Blocks every agent waits before reading one.
const CONFIRMATIONS: u64 = 3;
/// The finality depth declared in the well-configured case: deeper than the reorg.
const FINAL_DEPTH: u64 = 8;
/// The reorg's depth: deeper than the confirmations.
const REORG: u64 = 5;
/// The optimistic window, in seconds, where the watcher must act within it.
const WINDOW: u32 = 20;
/// Every wait is bounded; generous, as CI runs on two loaded cores.
const TIMEOUT: Duration = Duration::from_secs(120);
/// `Replica.State.Active` and `Halted`.
const ACTIVE: u8 = 0;
const HALTED: u8 = 2;

/// Mines a block on the origin every 250 ms, unless the test holds the lock.
struct Miner {
    lock: Arc<Mutex<()>>,
    task: JoinHandle<()>,
}

impl Miner {
    async fn start(provider: DynProvider) -> Self {
        provider
            .anvil_set_interval_mining(0)
            .await
            .expect("interval mining off");
        let lock = Arc::new(Mutex::new(()));
        let held = Arc::clone(&lock);
        let task = tokio::spawn(async move {
            loop {
                {
                    let _mining = held.lock().await;
                    provider.evm_mine(None).await.expect("mines");
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        });
        Self { lock, task }
    }
}

impl Drop for Miner {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Three chains, 250 ms blocks, a `window` (seconds); the agents with `finality`.
async fn start(finality: Finality, window: u32) -> (Net, Vec<AgentProcess>) {
    let options = Options::numbered(3)
        .mining(Mining::every_ms(250))
        .optimistic_seconds(window);
    let net = Net::start(options).await.expect("the net starts");
    let agents = agent_specs(&net, finality)
        .iter()
        .map(|spec| spawn_agent(&net, spec))
        .collect();
    (net, agents)
}

/// The devnet's configs, from `net`'s manifest as it is now, of the updater of [`ORIGIN`], the
/// message relayer, the processor and the watcher, every chain read [`CONFIRMATIONS`] deep
/// under `finality`.
fn agent_specs(net: &Net, finality: Finality) -> Vec<AgentSpec> {
    let agent_options = AgentOptions {
        confirmations: CONFIRMATIONS,
        finality,
        ..AgentOptions::default()
    };
    let mut specs: Vec<AgentSpec> =
        nxtp_devnet::updater_agent::specs(&net.manifest, net.dir(), &agent_options)
            .into_iter()
            .filter(|spec| spec.name == format!("updater-{ORIGIN}"))
            .collect();
    specs.extend(nxtp_devnet::message_relayer_agent::spec(
        &net.manifest,
        net.dir(),
        &agent_options,
    ));
    specs.extend(nxtp_devnet::processor_agent::spec(
        &net.manifest,
        net.dir(),
        &agent_options,
    ));
    specs.extend(nxtp_devnet::watcher_agent::spec(
        &net.manifest,
        net.dir(),
        &agent_options,
    ));
    assert_eq!(specs.len(), 4, "updater, relayer, processor and watcher");
    specs
}

fn spawn_agent(net: &Net, spec: &AgentSpec) -> AgentProcess {
    let config = net.write_config(&spec.name, &spec.config_toml);
    let log = net.dir().join(format!("{}.log", spec.name));
    AgentProcess::spawn(&spec.subcommand, &config, &log, &[])
}

/// Polls `check` every 200 ms until it yields `Some`; panics with `what` and the end of every
/// agent's log after [`TIMEOUT`].
async fn eventually<T, F, Fut>(what: &str, agents: &[AgentProcess], mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
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

/// Every message the origin's Home holds now, in order.
async fn dispatched(net: &Net) -> Vec<Message> {
    let filter = Filter::new()
        .address(net.home(ORIGIN))
        .event_signature(Home::Dispatch::SIGNATURE_HASH)
        .from_block(0);
    net.reader(ORIGIN)
        .get_logs(&filter)
        .await
        .expect("logs")
        .iter()
        .map(|log| {
            let event = log.log_decode::<Home::Dispatch>().expect("Dispatch");
            Message::decode(&event.inner.data.message).expect("a message")
        })
        .collect()
}

/// How many times the recipient on `destination` handled a message from `sender` with
/// `nonce` and `body`.
async fn times_handled(
    net: &Net,
    destination: Domain,
    sender: Address,
    nonce: u32,
    body: &[u8],
) -> u64 {
    let reader = net.reader(destination);
    let recipient = RecordingRecipient::new(
        recipient_on(&net.manifest, destination).expect("recipient"),
        &reader,
    );
    let key = keccak256(
        (
            ORIGIN.get(),
            nonce,
            address_to_bytes32(sender),
            Bytes::from(body.to_vec()),
        )
            .abi_encode_params(),
    );
    recipient
        .timesHandled(key)
        .call()
        .await
        .expect("timesHandled")
        .to::<u64>()
}

/// Whether the origin's Home (on the chain as it is now) produced `root`.
async fn produced(net: &Net, root: B256) -> bool {
    Home::new(net.home(ORIGIN), net.reader(ORIGIN))
        .checkpoints(root)
        .call()
        .await
        .expect("checkpoints")
        .produced
}

async fn replica_state(net: &Net, on: Domain) -> u8 {
    Replica::new(net.replica(on, ORIGIN), net.reader(on))
        .state()
        .call()
        .await
        .expect("state")
}

/// The roots the updater recorded as signed.
fn signed_roots(net: &Net) -> Vec<B256> {
    let db = net.dir().join(format!("updater-{ORIGIN}.sqlite"));
    read_db(&db, |conn| {
        let mut statement = conn.prepare("SELECT new_root FROM updater_signed")?;
        let rows = statement.query_map([], |row| row.get::<_, [u8; 32]>(0))?;
        rows.map(|row| row.map(B256::from)).collect()
    })
    .unwrap_or_default()
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
async fn deliver(net: &Net, agents: &[AgentProcess], body: &str) {
    for destination in DESTINATIONS {
        net.dispatch_to_pool(ORIGIN, destination, Role::User, body)
            .await;
    }
    let sender = net.accounts.address(Role::User);
    eventually(&format!("'{body}' to be delivered"), agents, || async {
        let messages = dispatched(net).await;
        let mine: Vec<&Message> = messages
            .iter()
            .filter(|m| &m.body[..] == body.as_bytes())
            .collect();
        if mine.len() != DESTINATIONS.len() {
            return None;
        }
        for message in mine {
            if times_handled(
                net,
                message.destination,
                sender,
                message.nonce,
                body.as_bytes(),
            )
            .await
                != 1
            {
                return None;
            }
        }
        Some(())
    })
    .await;
}

/// With the miner held: dispatches `body` from [`Role::RouterA`] into the pool, waits until
/// the checkpointer has checkpointed it in the pending block, and mines that block. Returns
/// the block and the root with the message.
async fn dispatch_and_checkpoint(net: &Net, agents: &[AgentProcess], body: &str) -> (u64, B256) {
    let origin = net.reader(ORIGIN);
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
    assert!(produced(net, root).await);
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
    let agents = [
        net.accounts.address(Role::Checkpointer),
        net.accounts.address(Role::Updater),
    ];
    let mut kept = Vec::new();
    for number in fork..=head {
        let block = origin
            .get_block_by_number(number.into())
            .await
            .expect("reads")
            .expect("a block");
        for hash in block.transactions.hashes() {
            let tx = origin
                .get_transaction_by_hash(hash)
                .await
                .expect("reads")
                .expect("a transaction");
            if agents.contains(&tx.inner.signer()) {
                let raw: Bytes = origin
                    .raw_request("eth_getRawTransactionByHash".into(), (hash,))
                    .await
                    .expect("raw transaction");
                kept.push((TransactionData::Raw(raw), 0));
            }
        }
    }
    origin
        .anvil_reorg(ReorgOptions {
            depth: REORG,
            tx_block_pairs: kept,
        })
        .await
        .expect("reorgs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finality_deeper_than_a_reorg_signs_nothing_it_takes_back() {
    // Nothing here races the window: a short one keeps the test quick.
    let (net, agents) = start(Finality::Depth(FINAL_DEPTH), 5).await;
    let origin = net.reader(ORIGIN);
    let miner = Miner::start(origin.clone()).await;
    deliver(&net, &agents, "before").await;
    let (root_before, _, _) = net.home_state(ORIGIN).await;

    // The message to be dropped: checkpointed, then buried under more blocks than the
    // confirmations (the updater reads it) but fewer than the finality depth.
    let stopped = miner.lock.lock().await;
    let (block, lost_root) = dispatch_and_checkpoint(&net, &agents, "dropped").await;
    origin
        .anvil_mine(Some(REORG - 1), None)
        .await
        .expect("mines");
    let head = origin.get_block_number().await.expect("head");
    assert!(head - block > CONFIRMATIONS && head - block < FINAL_DEPTH);
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert!(
        !signed_roots(&net).contains(&lost_root),
        "the updater signed a root not final"
    );
    assert_eq!(net.home_state(ORIGIN).await.0, root_before);
    for destination in DESTINATIONS {
        assert_eq!(net.replica_root(destination, ORIGIN).await, root_before);
    }

    reorg_from(&net, block).await;
    drop(stopped);
    assert!(!produced(&net, lost_root).await);

    // Messaging goes on: a new message is delivered, nothing of the dropped one ever is, the
    // watcher saw nothing amiss and every Replica is active.
    deliver(&net, &agents, "after").await;
    let dropped_sender = net.accounts.address(Role::RouterA);
    for nonce in 0..3 {
        assert_eq!(
            times_handled(&net, DESTINATIONS[0], dropped_sender, nonce, b"dropped").await,
            0
        );
    }
    assert!(!signed_roots(&net).contains(&lost_root));
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
    let miner = Miner::start(origin.clone()).await;
    deliver(&net, &agents, "before").await;

    // Checkpointed, then three blocks on top: signed; relayed to both Replicas from the
    // updater's pending transaction; that mined (five blocks in all) and the root judged by the
    // watcher.
    let stopped = miner.lock.lock().await;
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
    assert!(signed_roots(&net).contains(&lost_root));
    reorg_from(&net, block).await;
    drop(stopped);
    assert!(!produced(&net, lost_root).await);

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
    let dropped_sender = net.accounts.address(Role::RouterA);
    for nonce in 0..3 {
        assert_eq!(
            times_handled(&net, DESTINATIONS[0], dropped_sender, nonce, b"dropped").await,
            0,
            "a message of the dropped branch was processed"
        );
    }

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
    assert!(produced(&net, committed).await);
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
    let before = dispatched(&net).await;
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
            spawn_agent(&net, &spec)
        })
        .collect();

    // A new message from the origin reaches both destinations once; none delivered before is
    // delivered again through the new Replicas, and the dropped one never is.
    deliver(&net, &agents, "after recovery").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let user = net.accounts.address(Role::User);
    let messages = dispatched(&net).await;
    for message in &messages {
        let sender = Address::from_word(message.sender);
        assert_eq!(
            times_handled(
                &net,
                message.destination,
                sender,
                message.nonce,
                &message.body[..]
            )
            .await,
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
    for nonce in 0..3 {
        assert_eq!(
            times_handled(&net, DESTINATIONS[0], dropped_sender, nonce, b"dropped").await,
            0
        );
    }
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
