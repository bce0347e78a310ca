//! A sequencer network on the devnet (`nxtp devnet --sequencers 4`) following a router's
//! liquidity on chain: each node's genesis ledger gives every router the devnet's 1,000 DEMO per
//! pool, so a transfer of 1,500 is shared by two routers (`transfers_devnet`'s multipath); once
//! router_a's balance on the destination's `Connext` holds more (a real `addRouterLiquidity`), the
//! network observes it and selects router_a alone.

#[allow(dead_code)]
mod transfers;

use alloy::providers::ProviderBuilder;
use nxtp_bindings::{BridgeToken, Connext};
use nxtp_consensus::{Height, NodeStore};
use nxtp_devnet::{default_agents, liquidity::demo_units, sequencer_agent};
use nxtp_testnet::confirm;
use transfers::{
    plan::{complete_all, send_all, Path, Plan},
    World,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_on_chain_lets_the_network_select_a_router_beyond_its_genesis_liquidity() {
    let world = World::start_with(default_agents, |config| {
        config.agent_options.sequencers = 4;
        // Four nodes decide later than one sequencer: a window the fast path wins on a loaded
        // machine too (as consensus_devnet's).
        config.optimistic_seconds = 12;
    })
    .await;
    let [d1, d2, _] = world.domains()[..] else {
        panic!("three domains");
    };
    let [router_a, _] = world.routers();

    // The user adds 2,000 DEMO (its representation on d2) to router_a's liquidity there: 3,000 on
    // chain, while the network's genesis says 1,000.
    let deployment = world.manifest.domain(d2).expect("d2");
    let wallet = ProviderBuilder::new()
        .wallet(world.user.clone())
        .connect_http(deployment.rpc_url.parse().expect("rpc url"));
    let token = world.local_demo(d2);
    let added = demo_units(2_000);
    confirm(
        BridgeToken::new(token, &wallet)
            .approve(world.connext(d2), added)
            .send()
            .await
            .expect("approves"),
    )
    .await;
    confirm(
        Connext::new(world.connext(d2), &wallet)
            .addRouterLiquidity(router_a, token, added)
            .send()
            .await
            .expect("adds liquidity"),
    )
    .await;

    // 1,500 DEMO: router_a alone covers it on chain (router_b only as one of two). Decided on the
    // genesis ledger, the network would pick both; observing router_a's balance, it picks it alone.
    let sent = send_all(
        &world,
        &[Plan::plain(
            "beyond router_a's genesis liquidity",
            d1,
            d2,
            1_500,
            Path::Fast(1),
        )],
    )
    .await;
    let reports = complete_all(&world, &sent).await;
    assert_eq!(reports[0].routers, [router_a], "router_a fronted it alone");

    // The network decided it on an observation of that balance, carried in a batch.
    let home = sequencer_agent::node_home(world.devnet.run_dir(), 0);
    let store = NodeStore::open(&home.join("consensus.sqlite")).expect("node 0's store");
    let last = store.max_height().await.expect("store").expect("decided");
    let observed = store
        .decided(Height(1), last)
        .await
        .expect("store")
        .into_iter()
        .flat_map(|decided| decided.batch.observations)
        .any(|seen| seen.router == router_a && seen.balance >= demo_units(3_000));
    assert!(observed, "router_a's deposit observed in a decided batch");
}
