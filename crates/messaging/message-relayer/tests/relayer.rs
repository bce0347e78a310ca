//! The message relayer over real anvils: every Home update reaches every Replica of its origin,
//! in order, once, whatever the restarts.

mod common;

use alloy::{
    providers::{ext::AnvilApi, Provider},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use common::{telemetry_on_free_port, two_more_rounds, Net, Running};
use nxtp_bindings::Home;
use nxtp_chain::Finality;
use nxtp_devnet::Role;
use nxtp_primitives::Domain;
use nxtp_testnet::eventually;
use std::time::Duration;

#[tokio::test]
async fn updates_reach_every_replica_in_order() {
    let net = Net::start(&[1000, 2000, 3000]).await;
    for origin in net.domains() {
        net.make_update(origin).await;
    }
    let relayer = Running::start(net.relayer_config(&net.path("relayer.sqlite"), 1));
    net.wait_until_caught_up().await;
    // Updates made while it runs follow.
    for origin in net.domains() {
        net.make_update(origin).await;
        net.make_update(origin).await;
    }
    net.wait_until_caught_up().await;
    relayer.stop().await;

    net.assert_replicas_mirror_homes().await;
    for origin in net.domains() {
        assert_eq!(net.home_updates(origin).await.len(), 3);
    }
    for domain in net.domains() {
        // Two Replicas per domain, three updates each, one transaction per update.
        assert_eq!(
            net.mined_txs(domain, Role::MessageRelayer).await,
            6,
            "on {domain}"
        );
    }
}

#[tokio::test]
async fn a_replica_several_updates_behind_is_caught_up_in_order() {
    let (origin, destination) = (Domain(1000), Domain(2000));
    let net = Net::start(&[1000, 2000]).await;
    let mut made = Vec::new();
    for _ in 0..5 {
        made.push(net.make_update(origin).await);
    }
    // Someone already brought the Replica two updates forward.
    net.relay_by_hand(destination, origin, &made[0]).await;
    net.relay_by_hand(destination, origin, &made[1]).await;

    let relayer = Running::start(net.relayer_config(&net.path("relayer.sqlite"), 2));
    net.wait_until_caught_up().await;
    relayer.stop().await;

    assert_eq!(net.replica_updates(destination, origin).await, made);
    assert_eq!(
        net.mined_txs(destination, Role::MessageRelayer).await,
        3,
        "only the three missing updates were sent"
    );
}

#[tokio::test]
async fn restarts_mid_way_relay_nothing_twice_and_lose_nothing() {
    let net = Net::start(&[1000, 2000, 3000]).await;
    for _ in 0..3 {
        for origin in net.domains() {
            net.make_update(origin).await;
        }
    }
    let db = net.path("relayer.sqlite");
    // Stop it at many different points of its work, restarting on the same database, while
    // the Homes keep moving.
    for (round, run_ms) in [120u64, 900, 450, 1600, 300, 1100, 700]
        .into_iter()
        .enumerate()
    {
        let relayer = Running::start(net.relayer_config(&db, 1));
        tokio::time::sleep(Duration::from_millis(run_ms)).await;
        relayer.stop().await;
        if round % 3 == 0 {
            let origin = net.domains()[round % 3];
            net.make_update(origin).await;
        }
    }
    let relayer = Running::start(net.relayer_config(&db, 1));
    net.wait_until_caught_up().await;
    relayer.stop().await;

    net.assert_replicas_mirror_homes().await;
    for destination in net.domains() {
        let mut expected = 0;
        for origin in net.domains() {
            if origin != destination {
                expected += net.home_updates(origin).await.len() as u64;
            }
        }
        assert_eq!(
            net.mined_txs(destination, Role::MessageRelayer).await,
            expected,
            "one transaction per update relayed to {destination}, none wasted"
        );
    }
}

#[tokio::test]
async fn relays_an_update_only_once_its_root_is_final_on_the_origin() {
    const DEPTH: u64 = 4;
    let (origin, destination) = (Domain(1000), Domain(2000));
    let net = Net::start(&[1000, 2000]).await;
    // The origin mines one block per transaction and no other: the test says when blocks come.
    let reader = net.reader(origin);
    reader
        .anvil_set_interval_mining(0)
        .await
        .expect("interval mining off");
    reader
        .anvil_set_auto_mine(true)
        .await
        .expect("mines each transaction");
    let before = net.replica_root(destination, origin).await;
    let (_, new_root, _) = net.make_update(origin).await;
    let filter = Filter::new()
        .address(net.home(origin))
        .event_signature(Home::Checkpointed::SIGNATURE_HASH)
        .topic1(new_root)
        .from_block(0);
    let checkpoint_block = reader
        .get_logs(&filter)
        .await
        .expect("logs")
        .first()
        .and_then(|log| log.block_number)
        .expect("the root's checkpoint");

    let mut config =
        net.relayer_config_final(&net.path("relayer.sqlite"), 1, Finality::Depth(DEPTH));
    let (telemetry, ops) = telemetry_on_free_port();
    config.telemetry = telemetry;
    let relayer = Running::start(config);
    // The update is mined and confirmed (one block on top), but its root's checkpoint is not
    // `DEPTH` deep until the head reaches `checkpoint_block + DEPTH`: not relayed before.
    let head = reader.get_block_number().await.expect("head");
    let short = checkpoint_block + DEPTH - 1;
    assert!(
        head < short,
        "head {head}, checkpoint in {checkpoint_block}"
    );
    reader
        .anvil_mine(Some(short - head), None)
        .await
        .expect("mines");
    two_more_rounds(ops, &format!("relay {origin} -> {destination}")).await;
    assert_eq!(
        net.replica_root(destination, origin).await,
        before,
        "relayed a root not final on the origin"
    );
    assert_eq!(net.mined_txs(destination, Role::MessageRelayer).await, 0);

    // One more block: final, and relayed.
    reader.anvil_mine(Some(1), None).await.expect("mines");
    eventually("the final root on the Replica", || async {
        (net.replica_root(destination, origin).await == new_root).then_some(())
    })
    .await;
    relayer.stop().await;
}
