//! The router's balance gauges over real anvil chains (one-second blocks, both layers deployed by
//! the devnet): read once at start, and again after a block that changed the router's liquidity,
//! not on every interval (an idle chain's blocks change nothing).

mod common;

use alloy::primitives::U256;
use common::{demo, eventually, free_addr, metric, stub::Stub, Crashable, Net, REMOTE};
use nxtp_bindings::{BridgeToken, Connext};
use nxtp_devnet::Role;
use nxtp_testnet::confirm;

/// The gauge of `domain`'s DEMO balance, in the smallest unit, if exported (`None` too while
/// the ops server is not up yet).
async fn demo_balance(ops: std::net::SocketAddr, domain: &str) -> Option<f64> {
    let url = format!("http://{ops}/metrics");
    let text = alloy::transports::http::reqwest::get(url)
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    metric(
        &text,
        "nxtp_router_balance",
        &[("asset", "demo"), ("domain", domain)],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_balance_gauge_follows_a_deposit() {
    let net = Net::start().await;
    let (_sequencer, sequencer_addr) = Stub::start(U256::from(1u64)).await;
    let config = net.router_config(sequencer_addr, free_addr(), demo(500), demo(0));
    let ops = config.telemetry.listen;
    let running = Crashable::start(config);

    eventually("the balances exported", || async {
        demo_balance(ops, "1000")
            .await
            .filter(|&balance| balance == 1e21)
    })
    .await;

    // The user adds 5 DEMO (its representation on REMOTE) for router_a there.
    net.mint_remote_demo(demo(5)).await;
    let wallet = net.wallet(REMOTE, Role::User);
    let token = net.demo_on(REMOTE);
    let connext = Connext::new(net.connext(REMOTE), &wallet);
    confirm(
        BridgeToken::new(token, &wallet)
            .approve(*connext.address(), demo(5))
            .send()
            .await
            .expect("approves"),
    )
    .await;
    let router = net.accounts.address(Role::RouterA);
    confirm(
        connext
            .addRouterLiquidity(router, token, demo(5))
            .send()
            .await
            .expect("adds liquidity"),
    )
    .await;
    eventually("the deposit in the gauge", || async {
        demo_balance(ops, "2000")
            .await
            .filter(|&balance| balance == 5e18)
    })
    .await;
    assert_eq!(demo_balance(ops, "1000").await, Some(1e21));
    running.crash();
}
