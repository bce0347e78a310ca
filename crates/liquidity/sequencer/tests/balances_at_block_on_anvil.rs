//! What a consensus node observes of a router's liquidity, over a real anvil chain with the
//! liquidity layer deployed: `routerBalance` read at a block by its hash (before and after a real
//! `addRouterLiquidity`), the hash of a block by its number, and a read at a hash that is no block
//! of the chain refused.

mod common;

use alloy::{primitives::B256, providers::Provider};
use common::{Net, HOME};
use nxtp_bindings::{Connext, DemoToken};
use nxtp_devnet::{liquidity::demo_units, Role};
use nxtp_sequencer::destination::Destination;
use nxtp_testnet::confirm;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_router_balance_is_read_at_the_block_a_proposal_names() {
    let net = Net::start().await;
    let reader = net.reader(HOME);
    let chain_id = reader.get_chain_id().await.expect("chain id");
    let destination = Destination::new(HOME, net.connext(HOME), chain_id, reader.clone());
    let router = net.accounts.address(Role::RouterA);
    let demo = net.demo_on(HOME);
    let genesis = demo_units(1_000);

    let before = reader.get_block_number().await.expect("the head's number");
    let before_hash = destination
        .block_hash(before)
        .await
        .expect("reads the block")
        .expect("mined");

    // The user adds 5 DEMO for router_a.
    let wallet = net.wallet(HOME, Role::User);
    let added = demo_units(5);
    confirm(
        DemoToken::new(demo, &wallet)
            .approve(net.connext(HOME), added)
            .send()
            .await
            .expect("approves"),
    )
    .await;
    let receipt = confirm(
        Connext::new(net.connext(HOME), &wallet)
            .addRouterLiquidity(router, demo, added)
            .send()
            .await
            .expect("adds liquidity"),
    )
    .await;
    let after = receipt.block_number.expect("mined");
    let after_hash = receipt.block_hash.expect("mined");
    assert!(after > before);

    assert_eq!(
        destination
            .block_hash(after)
            .await
            .expect("reads the block"),
        Some(after_hash),
        "the hash of a block by its number"
    );
    assert_eq!(
        destination
            .router_balance_at(router, demo, before_hash)
            .await
            .expect("reads at the earlier block"),
        genesis,
        "the balance at the earlier block, read after the deposit"
    );
    assert_eq!(
        destination
            .router_balance_at(router, demo, after_hash)
            .await
            .expect("reads at the deposit's block"),
        genesis + added
    );
    assert_eq!(
        destination
            .router_balance_at(net.accounts.address(Role::RouterB), demo, after_hash)
            .await
            .expect("reads the other router"),
        genesis,
        "only router_a's balance changed"
    );

    // A block not mined yet has no hash; a hash that is no block of this chain reads nothing.
    assert_eq!(
        destination
            .block_hash(after + 1_000)
            .await
            .expect("asks for the block"),
        None
    );
    let unknown = destination
        .router_balance_at(router, demo, B256::repeat_byte(0x77))
        .await
        .expect_err("no such block");
    assert_eq!(unknown.domain, HOME);
    assert_eq!(unknown.what, "routerBalance");
}
