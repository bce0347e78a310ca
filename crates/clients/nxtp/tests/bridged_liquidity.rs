//! The liquidity net (`nxtp_testnet::LiquidityNet`) bridges liquidity with real transfers through the messaging
//! agents: afterwards every router has liquidity and the user has funds on every domain, and the home domain
//! escrows exactly what was bridged.

use alloy::{
    primitives::U256,
    providers::{Provider, ProviderBuilder},
};
use nxtp_bindings::{BridgeToken, Connext, DemoToken};
use nxtp_devnet::{
    liquidity::{DEMO_SYMBOL, ROUTERS},
    Role,
};
use nxtp_primitives::Domain;
use nxtp_testnet::LiquidityNetOptions;

mod in_process;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridged_liquidity_arrives_on_every_domain() {
    let options = LiquidityNetOptions::default();
    let net = in_process::liquidity_net(options.clone()).await;
    let manifest = net.manifest();
    let funding = &options.liquidity;
    let home = Domain(1000);
    let remote = Domain(2000);

    let remote_rpc = &manifest.domains[&remote].rpc_url;
    let provider = ProviderBuilder::new().connect_http(remote_rpc.parse().expect("url"));
    let liquidity = manifest.liquidity(remote).expect("remote liquidity");
    let local = liquidity.assets[DEMO_SYMBOL].local;
    let connext = Connext::new(liquidity.connext, &provider);
    for role in ROUTERS {
        assert_eq!(
            connext
                .routerBalance(net.accounts().address(role), local)
                .call()
                .await
                .expect("balance"),
            funding.router_liquidity,
            "{role} on {remote}"
        );
    }
    let representation = BridgeToken::new(local, &provider);
    assert_eq!(
        representation
            .balanceOf(net.accounts().address(Role::User))
            .call()
            .await
            .expect("balance"),
        funding.user_remote_funds
    );
    let bridged = funding.router_liquidity * U256::from(ROUTERS.len()) + funding.user_remote_funds;
    assert_eq!(
        representation.totalSupply().call().await.expect("supply"),
        bridged,
        "exactly what was sent was minted"
    );

    let home_rpc = &manifest.domains[&home].rpc_url;
    let home_provider = ProviderBuilder::new().connect_http(home_rpc.parse().expect("url"));
    let home_liquidity = manifest.liquidity(home).expect("home liquidity");
    let token = DemoToken::new(home_liquidity.assets[DEMO_SYMBOL].local, &home_provider);
    let escrow = token
        .balanceOf(home_liquidity.connext)
        .call()
        .await
        .expect("escrow");
    assert_eq!(
        escrow,
        bridged + funding.router_liquidity * U256::from(ROUTERS.len()),
        "home escrows the bridged funds plus its own routers' liquidity"
    );
    assert!(home_provider.get_block_number().await.expect("block") > 0);
    net.stop().await;
}
