//! Issue #9 item 3, end to end with the real messaging agents (an updater per domain, the message
//! relayer, the processor and the watcher, as the devnet configures them): a leaked updater key
//! puts a forged root on every Replica of its origin in the very block where governance rotates
//! those Replicas to a new key (the attacker front-ran the rotation). The forged root holds a
//! reconcile that would mint a million unbacked `DEMO` on each destination. The rotated key stays
//! accountable while its root is unripe, so the watcher still proves the improper update at the
//! Home (failing it and slashing the old key, while the innocent new updater gets its bond back)
//! and halts every Replica of the origin with notices naming the previous key, before the window
//! ends; nothing is minted or delivered, then or after the window.

use alloy::{
    consensus::Transaction as _,
    eips::BlockNumberOrTag,
    network::EthereumWallet,
    primitives::{keccak256, Address, Bytes, B256, U256},
    providers::{ext::AnvilApi, DynProvider, Provider, ProviderBuilder},
    rpc::types::Filter,
    signers::local::PrivateKeySigner,
    sol_types::{SolCall, SolEvent},
};
use nxtp_bindings::{BridgeToken, ConnectionManager, Connext, Home, Replica};
use nxtp_devnet::{
    liquidity::{demo_units, DEMO_SYMBOL},
    Role,
};
use nxtp_primitives::{address_to_bytes32, Domain, MerkleTree, Message, MessageBody};
use nxtp_testnet::{confirm, eventually, LiquidityNetOptions, TestNet};
use std::time::Duration;

mod in_process;

const ORIGIN: u32 = 1000;
const DESTINATIONS: [u32; 2] = [2000, 3000];
/// The Replicas' optimistic window: the watcher must halt both within it.
const WINDOW: u32 = 12;
/// `Replica.State.Halted`.
const HALTED: u8 = 2;
/// `TransferStatus.None`.
const STATUS_NONE: u8 = 0;

/// The forged reconcile for `destination`: from the origin's `Connext` to the destination's,
/// minting a million `DEMO` for a transfer that never happened.
fn forged_reconcile(net: &TestNet, destination: u32, nonce: u32) -> Message {
    let asset = &net
        .manifest
        .liquidity(Domain(destination))
        .expect("liquidity layer")
        .assets[DEMO_SYMBOL];
    let mut body = Vec::with_capacity(100);
    body.extend_from_slice(&asset.canonical_domain.get().to_be_bytes());
    body.extend_from_slice(asset.canonical_id.as_slice());
    body.extend_from_slice(&demo_units(1_000_000).to_be_bytes::<32>());
    body.extend_from_slice(forged_transfer_id(destination).as_slice());
    Message {
        origin: Domain(ORIGIN),
        sender: address_to_bytes32(net.connext(ORIGIN)),
        nonce,
        destination: Domain(destination),
        recipient: address_to_bytes32(net.connext(destination)),
        body: MessageBody::new(Bytes::from(body)).expect("a reconcile body fits"),
    }
}

fn forged_transfer_id(destination: u32) -> B256 {
    keccak256(format!("a transfer that never happened, to {destination}"))
}

fn signer_wallet(net: &TestNet, domain: u32, signer: &PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(net.rpc_url(domain).parse().expect("a valid URL"))
        .erased()
}

async fn demo_supply(net: &TestNet, domain: u32) -> U256 {
    BridgeToken::new(net.demo_on(domain), net.reader(domain))
        .totalSupply()
        .call()
        .await
        .expect("totalSupply")
}

async fn replica_state(net: &TestNet, domain: u32) -> u8 {
    Replica::new(net.replica(domain, ORIGIN), net.reader(domain))
        .state()
        .call()
        .await
        .expect("state")
}

async fn home_failed(net: &TestNet) -> bool {
    Home::new(net.home(ORIGIN), net.reader(ORIGIN))
        .failed()
        .call()
        .await
        .expect("failed")
}

/// The watcher's notice that halted the origin's Replica on `domain`: the updater it named, and
/// the timestamp of its block.
async fn notice(net: &TestNet, domain: u32) -> (Address, u64) {
    let reader = net.reader(domain);
    let deployment = net.manifest.domain(Domain(domain)).expect("deployed");
    let logs = reader
        .get_logs(
            &Filter::new()
                .address(deployment.connection_manager)
                .event_signature(ConnectionManager::ReplicaUnenrolled::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .expect("logs");
    assert_eq!(logs.len(), 1, "unenrolled once on {domain}");
    let log = &logs[0];
    let event = log
        .log_decode::<ConnectionManager::ReplicaUnenrolled>()
        .expect("ReplicaUnenrolled")
        .inner
        .data;
    assert_eq!(
        event.watcher,
        net.accounts.address(Role::Watcher),
        "by the watcher"
    );
    let tx = reader
        .get_transaction_by_hash(log.transaction_hash.expect("mined"))
        .await
        .expect("reads the tx")
        .expect("the tx exists");
    let call = ConnectionManager::unenrollReplicaByWatcherCall::abi_decode(tx.input())
        .expect("a watcher notice");
    let block = reader
        .get_block_by_number(log.block_number.expect("mined").into())
        .await
        .expect("block")
        .expect("exists");
    (call.updater, block.header.timestamp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_updaters_forged_root_is_answered_and_never_mints() {
    let options = LiquidityNetOptions {
        domains: 3,
        block_time: Duration::from_secs(1),
        optimistic_seconds: WINDOW,
        ..LiquidityNetOptions::default()
    };
    // Liquidity is bridged with real transfers through the agents first: honest traffic works.
    let harness = in_process::liquidity_net(options).await;
    let net = harness.net();
    let old_updater = net.accounts.address(Role::Updater);
    let new_key = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x42)).expect("a valid key");
    let new_updater = new_key.address();
    let mut supply_before = Vec::new();
    for destination in DESTINATIONS {
        supply_before.push(demo_supply(net, destination).await);
    }

    // Governance rotates the origin's Home to a new, bonded key.
    let origin_gov = net.wallet(ORIGIN, Role::Deployer);
    let home = Home::new(net.home(ORIGIN), &origin_gov);
    confirm(
        home.setUpdater(new_updater)
            .send()
            .await
            .expect("Home.setUpdater"),
    )
    .await;
    let bond = home.requiredBond().call().await.expect("requiredBond");
    confirm(
        home.depositBond(new_updater)
            .value(bond)
            .send()
            .await
            .expect("depositBond"),
    )
    .await;

    // Once rotated, the origin's Home accepts no update of the old key, so its committed root no
    // longer moves. The message relayer finishes copying the updates signed before: only then is
    // a Replica's root still, so the forged update below is not built on a root an honest update
    // replaces before it lands.
    let home_root = home.committedRoot().call().await.expect("committedRoot");
    for destination in DESTINATIONS {
        let replica = Replica::new(net.replica(destination, ORIGIN), net.reader(destination));
        eventually("every honest update to reach the Replica", || async {
            replica.committedRoot().call().await.ok() == Some(home_root)
        })
        .await;
    }

    // The forged tree: one reconcile per destination, under one root the Home never produced.
    let forged: Vec<Message> = DESTINATIONS
        .iter()
        .zip(1_000_000u32..)
        .map(|(&destination, nonce)| forged_reconcile(net, destination, nonce))
        .collect();
    let mut tree = MerkleTree::new();
    for message in &forged {
        tree.insert(message.leaf()).expect("room");
    }
    let forged_root = tree.root();

    // On each destination, in one block: the leaked key's forged update, then governance's
    // rotation of the Replica to the new key (same sender, so the nonces fix the order).
    let mut ripe_at = Vec::new();
    for destination in DESTINATIONS {
        let reader = net.reader(destination);
        let gov = net.wallet(destination, Role::Deployer);
        let replica = Replica::new(net.replica(destination, ORIGIN), &gov);
        let old_root = replica.committedRoot().call().await.expect("committedRoot");
        let signature = net.sign_update(ORIGIN, old_root, forged_root);
        reader
            .anvil_set_interval_mining(0)
            .await
            .expect("pauses mining");
        let attack = replica
            .update(old_root, forged_root, signature)
            .send()
            .await
            .expect("sends the forged update");
        let rotation = replica
            .setUpdater(new_updater)
            .send()
            .await
            .expect("sends the rotation");
        reader.anvil_mine(Some(1), None).await.expect("mines");
        reader
            .anvil_set_interval_mining(1)
            .await
            .expect("resumes mining");
        let attack = confirm(attack).await;
        let rotation = confirm(rotation).await;
        assert_eq!(
            attack.block_number, rotation.block_number,
            "attack and rotation in one block"
        );
        assert_eq!(
            replica.updater().call().await.expect("updater"),
            new_updater
        );
        let at = replica
            .confirmAt(forged_root)
            .call()
            .await
            .expect("confirmAt")
            .to::<u64>();
        ripe_at.push(at);
        // The honest key cannot move the Replica past the forged root.
        assert_eq!(
            replica.committedRoot().call().await.expect("root"),
            forged_root
        );
    }

    eventually(
        "the Home failed and every Replica of the origin halted",
        || async {
            home_failed(net).await
                && replica_state(net, DESTINATIONS[0]).await == HALTED
                && replica_state(net, DESTINATIONS[1]).await == HALTED
        },
    )
    .await;

    // Every Replica was halted inside the window, by a notice naming the previous updater.
    for (&destination, &deadline) in DESTINATIONS.iter().zip(&ripe_at) {
        let (named, halted_at) = notice(net, destination).await;
        assert_eq!(
            named, old_updater,
            "the notice on {destination} names the rotated key"
        );
        eprintln!(
            "Replica of {ORIGIN} on {destination} halted {}s before the forged root ripens",
            deadline.saturating_sub(halted_at)
        );
        assert!(
            halted_at < deadline,
            "halted at {halted_at} on {destination}; the forged root ripens at {deadline}"
        );
    }

    // The Home slashed the key that signed the fraud; the innocent new updater gets its bond back.
    let reader = net.reader(ORIGIN);
    let home = Home::new(net.home(ORIGIN), &reader);
    assert_eq!(
        home.slashedUpdater().call().await.expect("slashed"),
        old_updater
    );
    assert_eq!(
        home.bonds(old_updater).call().await.expect("bond"),
        U256::ZERO
    );
    let refused = Home::new(net.home(ORIGIN), net.wallet(ORIGIN, Role::Updater))
        .withdrawBond(U256::ZERO)
        .call()
        .await
        .expect_err("the culprit gets nothing back");
    assert!(
        refused.as_decoded_error::<Home::BondSlashed>().is_some(),
        "{refused}"
    );
    reader
        .anvil_set_balance(new_updater, U256::from(10u64).pow(U256::from(18u64)))
        .await
        .expect("funds the new key's gas");
    let innocent = signer_wallet(net, ORIGIN, &new_key);
    confirm(
        Home::new(net.home(ORIGIN), &innocent)
            .withdrawBond(bond)
            .send()
            .await
            .expect("the innocent updater withdraws"),
    )
    .await;
    assert_eq!(
        home.bonds(new_updater).call().await.expect("bond"),
        U256::ZERO
    );

    // Past the window the forged reconciles still cannot be delivered, and nothing was minted.
    for (i, &destination) in DESTINATIONS.iter().enumerate() {
        let chain = net.reader(destination);
        eventually("the forged root's window has passed", || async {
            let head = chain
                .get_block_by_number(BlockNumberOrTag::Latest)
                .await
                .expect("head")
                .expect("exists");
            head.header.timestamp > ripe_at[i]
        })
        .await;
        let attacker = net.wallet(destination, Role::Deployer);
        let proof = tree.proof(u32::try_from(i).expect("small")).expect("proof");
        let refused = Replica::new(net.replica(destination, ORIGIN), &attacker)
            .proveAndProcess(forged[i].encode(), proof.path, U256::from(i))
            .call()
            .await
            .expect_err("a halted Replica delivers nothing");
        assert!(
            refused
                .as_decoded_error::<Replica::ReplicaNotActive>()
                .is_some(),
            "{refused}"
        );
        assert_eq!(
            demo_supply(net, destination).await,
            supply_before[i],
            "no DEMO minted on {destination}"
        );
        let status = Connext::new(net.connext(destination), &chain)
            .transferStatus(forged_transfer_id(destination))
            .call()
            .await
            .expect("transferStatus");
        assert_eq!(
            status, STATUS_NONE,
            "the forged transfer was never reconciled"
        );
    }
    harness.stop().await;
}
