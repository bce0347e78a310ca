//! The message relayer over real anvils: every Home update reaches every Replica of its origin,
//! in order, once, whatever the restarts.

mod common;

use common::{Net, Running};
use nxtp_devnet::Role;
use nxtp_primitives::Domain;
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
