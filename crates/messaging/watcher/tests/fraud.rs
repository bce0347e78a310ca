//! The watcher over real anvil chains (one-second blocks): an improper update and a double
//! update are each caught, proven at the Home (failing it, slashing the bond) and every Replica
//! of the origin is halted before the fraudulent root's window ends; honest updates trigger
//! nothing.

mod common;

use alloy::{
    primitives::{Address, Bytes, U256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::SolEvent,
};
use common::{confirm, eventually, two_more_rounds, watcher_config, Net, Running};
use nxtp_agent::Store;
use nxtp_bindings::{Home, Replica};
use nxtp_devnet::Role;
use nxtp_primitives::{address_to_bytes32, Domain, MerkleTree, Message, MessageBody};

/// `Replica.State.Halted`.
const HALTED: u8 = 2;
/// `Replica.State.Active`.
const ACTIVE: u8 = 0;

async fn replica_state(net: &Net, domain: u32, origin: u32) -> u8 {
    Replica::new(net.replica(domain, origin), net.reader(domain))
        .state()
        .call()
        .await
        .expect("state")
}

async fn home_failed(net: &Net, domain: u32) -> bool {
    Home::new(net.home(domain), net.reader(domain))
        .failed()
        .call()
        .await
        .expect("failed")
}

/// The timestamp of the block in which `origin`'s Replica on `domain` was halted.
async fn halted_at(net: &Net, domain: u32, origin: u32) -> u64 {
    let reader = net.reader(domain);
    let filter = Filter::new()
        .address(net.replica(domain, origin))
        .event_signature(Replica::ReplicaHalted::SIGNATURE_HASH)
        .from_block(0);
    let logs = reader.get_logs(&filter).await.expect("logs");
    assert_eq!(logs.len(), 1, "halted once");
    let block = logs[0].block_number.expect("mined");
    reader
        .get_block_by_number(block.into())
        .await
        .expect("block")
        .expect("exists")
        .header
        .timestamp
}

/// Checks the Home of `origin` failed with the updater's whole bond slashed, half of it to the
/// watcher, and that every Replica of `origin` was halted before `deadline`.
async fn assert_fraud_answered(net: &Net, origin: u32, deadline: u64) {
    let home = Home::new(net.home(origin), net.reader(origin));
    assert!(home.failed().call().await.expect("failed"));
    let updater = net.accounts.address(Role::Updater);
    let watcher = net.accounts.address(Role::Watcher);
    assert_eq!(home.bonds(updater).call().await.expect("bond"), U256::ZERO);
    let bond = U256::from(10u64).pow(U256::from(18u64));
    assert_eq!(
        home.slashRewards(watcher).call().await.expect("reward"),
        bond / U256::from(2),
        "half the bond rewards the watcher"
    );
    for domain in [1000, 2000, 3000].into_iter().filter(|&d| d != origin) {
        assert_eq!(replica_state(net, domain, origin).await, HALTED);
        let halted = halted_at(net, domain, origin).await;
        eprintln!(
            "Replica of {origin} on {domain} halted {}s before the window ends",
            deadline.saturating_sub(halted)
        );
        assert!(
            halted < deadline,
            "Replica of {origin} on {domain} halted at {halted}, window ends at {deadline}"
        );
    }
}

/// How many transactions the watcher sent on each domain.
async fn watcher_txs(net: &Net) -> Vec<u64> {
    let mut sent = Vec::new();
    for domain in [1000, 2000, 3000] {
        sent.push(net.sent_txs(domain, Role::Watcher).await);
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_improper_update_is_proven_and_every_replica_halted_in_time() {
    let net = Net::with_window(&[1000, 2000, 3000], 8).await;
    let db = net.path("watcher.sqlite");
    let watcher = Running::start(watcher_config(&net, &db));

    // Honest traffic first.
    net.dispatch(1000, &[(2000, "honest".into())]).await;
    net.honest_update(1000, &[2000, 3000]).await;

    // The updater key signs a root the Home never produced: a tree holding one forged message
    // that would pay an attacker on 2000. Only 2000's Replica receives it.
    let forged = Message {
        origin: Domain(1000),
        sender: address_to_bytes32(Address::repeat_byte(0x66)),
        nonce: 7,
        destination: Domain(2000),
        recipient: address_to_bytes32(net.recipient(2000)),
        body: MessageBody::new(Bytes::from_static(b"mint to the attacker")).expect("body"),
    };
    let mut forged_tree = MerkleTree::new();
    forged_tree.insert(forged.leaf()).expect("room");
    let bogus_root = forged_tree.root();
    let old = Replica::new(net.replica(2000, 1000), net.reader(2000))
        .committedRoot()
        .call()
        .await
        .expect("committedRoot");
    let signature = net.sign_update(1000, old, bogus_root);
    let confirm_at = net.relay(2000, 1000, old, bogus_root, signature).await;

    eventually(
        "the Home failed and every Replica of 1000 halted",
        || async {
            home_failed(&net, 1000).await
                && replica_state(&net, 2000, 1000).await == HALTED
                && replica_state(&net, 3000, 1000).await == HALTED
        },
    )
    .await;
    assert_fraud_answered(&net, 1000, confirm_at).await;
    // Other origins are untouched.
    assert_eq!(replica_state(&net, 1000, 2000).await, ACTIVE);
    assert_eq!(replica_state(&net, 3000, 2000).await, ACTIVE);
    assert!(!home_failed(&net, 2000).await);

    // Past the window, the forged message still cannot be delivered.
    let destination = net.reader(2000);
    eventually("the forged root's window has passed", || async {
        let head = destination
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .expect("head")
            .expect("exists");
        head.header.timestamp > confirm_at
    })
    .await;
    let attacker = net.wallet(2000, Role::Deployer);
    let proof = forged_tree.proof(0).expect("proof");
    let refused = Replica::new(net.replica(2000, 1000), &attacker)
        .proveAndProcess(forged.encode(), proof.path, U256::ZERO)
        .call()
        .await
        .expect_err("a halted Replica delivers nothing");
    assert!(
        refused
            .as_decoded_error::<Replica::ReplicaNotActive>()
            .is_some(),
        "{refused}"
    );
    assert_eq!(net.handled(2000).await, 0);

    // One proof and one notice per domain, never repeated, not even after a restart.
    assert_eq!(watcher_txs(&net).await, [1, 1, 1]);
    watcher.stop().await;
    let config = watcher_config(&net, &db);
    let ops = config.telemetry.listen;
    let restarted = Running::start(config);
    two_more_rounds(ops, "responses").await;
    restarted.stop().await;
    assert_eq!(watcher_txs(&net).await, [1, 1, 1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_update_is_proven_and_every_replica_halted_in_time() {
    let net = Net::with_window(&[1000, 2000, 3000], 8).await;
    let config = watcher_config(&net, &net.path("watcher.sqlite"));
    let ops = config.telemetry.listen;
    let watcher = Running::start(config);

    // Two roots the Home really produced, both signed over the same old root.
    net.dispatch(1000, &[(2000, "one".into())]).await;
    let (old, first) = net.checkpoint(1000).await;
    net.dispatch(1000, &[(3000, "two".into())]).await;
    let (same_old, second) = net.checkpoint(1000).await;
    assert_eq!(old, same_old);
    let first_signature = net.sign_update(1000, old, first);
    let second_signature = net.sign_update(1000, old, second);

    // The first goes to the Home and to 2000; the conflicting one to 3000.
    let origin_wallet = net.wallet(1000, Role::Deployer);
    confirm(
        Home::new(net.home(1000), &origin_wallet)
            .update(old, first, first_signature.clone())
            .send()
            .await
            .expect("Home.update"),
    )
    .await;
    net.relay(2000, 1000, old, first, first_signature).await;
    let confirm_at = net.relay(3000, 1000, old, second, second_signature).await;

    eventually(
        "the Home failed and every Replica of 1000 halted",
        || async {
            home_failed(&net, 1000).await
                && replica_state(&net, 2000, 1000).await == HALTED
                && replica_state(&net, 3000, 1000).await == HALTED
        },
    )
    .await;
    assert_fraud_answered(&net, 1000, confirm_at).await;
    let proofs = net
        .reader(1000)
        .get_logs(
            &Filter::new()
                .address(net.home(1000))
                .event_signature(Home::DoubleUpdate::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .expect("logs");
    assert_eq!(proofs.len(), 1, "proven as a double update");
    two_more_rounds(ops, "responses").await;
    assert_eq!(watcher_txs(&net).await, [1, 1, 1]);
    watcher.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honest_updates_trigger_nothing() {
    let net = Net::with_window(&[1000, 2000, 3000], 2).await;
    let db = net.path("watcher.sqlite");
    let config = watcher_config(&net, &db);
    let ops = config.telemetry.listen;
    let watcher = Running::start(config);

    for round in 0..2 {
        net.dispatch(
            1000,
            &[(2000, format!("a{round}")), (3000, format!("b{round}"))],
        )
        .await;
        net.dispatch(2000, &[(1000, format!("c{round}"))]).await;
        net.honest_update(1000, &[2000, 3000]).await;
        net.honest_update(2000, &[1000, 3000]).await;
    }

    // 2 rounds x 2 origins, each update seen on its Home and on two Replicas.
    let store = Store::open(&db, &[]).expect("opens the watcher's database");
    eventually("the watcher saw every update", || async {
        store
            .with(|conn| {
                conn.query_row("SELECT COUNT(*) FROM watcher_updates", [], |row| {
                    row.get::<_, i64>(0)
                })
            })
            .expect("counts")
            == 4
    })
    .await;
    // Each update row is one (origin, old, new); every sighting was judged produced.
    let judged: i64 = store
        .with(|conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM watcher_updates WHERE produced = 1",
                [],
                |row| row.get(0),
            )
        })
        .expect("counts");
    assert_eq!(judged, 4);
    // Every domain read again, and the responder looked again: still nothing to answer.
    for stream in [
        "updates on 1000",
        "updates on 2000",
        "updates on 3000",
        "responses",
    ] {
        two_more_rounds(ops, stream).await;
    }
    let frauds: i64 = store
        .with(|conn| conn.query_row("SELECT COUNT(*) FROM watcher_frauds", [], |row| row.get(0)))
        .expect("counts");
    assert_eq!(frauds, 0);
    assert_eq!(watcher_txs(&net).await, [0, 0, 0]);
    for (domain, origin) in [(2000, 1000), (3000, 1000), (1000, 2000), (3000, 2000)] {
        assert_eq!(replica_state(&net, domain, origin).await, ACTIVE);
    }
    assert!(!home_failed(&net, 1000).await);
    assert!(!home_failed(&net, 2000).await);
    watcher.stop().await;
}
