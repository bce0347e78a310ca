//! `deploy_liquidity` on real anvil chains: every `Connext` is wired, `DEMO` is registered as canonical at home
//! and as a representation elsewhere, the agents' keys are approved, and the home domain is funded, all as the
//! manifest says.

use alloy::{
    primitives::{Address, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
};
use common::{accounts, chains};
use nxtp_bindings::{BridgeToken, Connext, DemoToken};
use nxtp_devnet::{
    deploy, deploy_liquidity,
    liquidity::{DEMO_RECEIVER, DEMO_SYMBOL, ROUTERS},
    DeployConfig, LiquidityConfig, Role,
};
use nxtp_primitives::Domain;

mod common;

fn reader(rpc_url: &str) -> DynProvider {
    ProviderBuilder::new()
        .connect_http(rpc_url.parse().expect("url"))
        .erased()
}

#[tokio::test]
async fn the_liquidity_layer_is_wired_and_funded_as_the_manifest_says() {
    let (anvils, endpoints) = chains(&[1000, 2000]);
    let accounts = accounts(&anvils[0]);
    let mut manifest = deploy(&endpoints, &accounts, &DeployConfig::default())
        .await
        .expect("messaging deploys");
    let config = LiquidityConfig::default();
    deploy_liquidity(&mut manifest, &accounts, &config)
        .await
        .expect("liquidity deploys");

    let (home, remote) = (Domain(1000), Domain(2000));
    let home_asset = &manifest.liquidity(home).expect("home liquidity").assets[DEMO_SYMBOL];
    let canonical_id = home_asset.local.into_word();
    for (domain, deployment) in &manifest.domains {
        let liquidity = deployment.liquidity.as_ref().expect("liquidity section");
        let provider = reader(&deployment.rpc_url);
        let connext = Connext::new(liquidity.connext, &provider);
        let asset = &liquidity.assets[DEMO_SYMBOL];
        assert_eq!(asset.canonical_domain, home);
        assert_eq!(asset.canonical_id, canonical_id);
        assert_eq!(
            connext
                .localAsset(home.get(), canonical_id)
                .call()
                .await
                .expect("localAsset"),
            asset.local,
            "domain {domain}"
        );
        assert_eq!(
            connext.localDomain().call().await.expect("domain"),
            domain.get()
        );
        for (&other, other_deployment) in &manifest.domains {
            if other == *domain {
                continue;
            }
            let enrolled = connext
                .remoteConnext(other.get())
                .call()
                .await
                .expect("remoteConnext");
            let expected = other_deployment.liquidity.as_ref().expect("other").connext;
            assert_eq!(enrolled, expected.into_word(), "{domain} knows {other}");
        }
        for role in [Role::Sequencer] {
            assert!(connext
                .approvedSequencers(accounts.address(role))
                .call()
                .await
                .expect("read"));
        }
        assert!(connext
            .approvedRelayers(accounts.address(Role::Relayer))
            .call()
            .await
            .expect("read"));
        for role in ROUTERS {
            let info = connext
                .routerInfo(accounts.address(role))
                .call()
                .await
                .expect("routerInfo");
            assert!(info.approved, "{role} approved on {domain}");
            assert_eq!(info.routerOwner, accounts.address(role));
            let balance = connext
                .routerBalance(accounts.address(role), asset.local)
                .call()
                .await
                .expect("routerBalance");
            let expected = if *domain == home {
                config.router_liquidity
            } else {
                U256::ZERO
            };
            assert_eq!(balance, expected, "{role} on {domain}");
        }
        let receiver = deployment.contracts[DEMO_RECEIVER];
        assert!(!provider
            .get_code_at(receiver)
            .await
            .expect("code")
            .is_empty());
    }

    let home_provider = reader(&manifest.domains[&home].rpc_url);
    let token = DemoToken::new(home_asset.local, &home_provider);
    assert_eq!(
        token
            .balanceOf(accounts.address(Role::User))
            .call()
            .await
            .expect("balance"),
        config.user_funds
    );
    let home_connext = manifest.liquidity(home).expect("home").connext;
    assert_eq!(
        token.balanceOf(home_connext).call().await.expect("escrow"),
        config.router_liquidity * U256::from(ROUTERS.len()),
        "the routers' liquidity is held by Connext"
    );

    let remote_liquidity = manifest.liquidity(remote).expect("remote");
    let remote_provider = reader(&manifest.domains[&remote].rpc_url);
    let representation =
        BridgeToken::new(remote_liquidity.assets[DEMO_SYMBOL].local, &remote_provider);
    assert_eq!(
        representation.connext().call().await.expect("connext"),
        remote_liquidity.connext
    );
    assert_eq!(
        representation.totalSupply().call().await.expect("supply"),
        U256::ZERO,
        "nothing is minted before a transfer arrives"
    );
    assert_ne!(remote_liquidity.connext, Address::ZERO);
}
