//! The deployment library on its own, as a deployment to live chains would use it: plain chains, any
//! deployer key, roles named by address, no devnet and no test contracts. Both layers end up wired as
//! the manifest says.

use alloy::{
    primitives::{Address, U256},
    providers::ProviderBuilder,
    signers::local::PrivateKeySigner,
};
use nxtp_bindings::{ConnectionManager, Connext, Home, Replica};
use nxtp_deployment::{
    deploy_liquidity, deploy_messaging, set_sequencer_quorum, AssetPlan, CanonicalToken,
    DeployConfig, Endpoint, LiquidityPlan, MessagingRoles,
};
use nxtp_primitives::Domain;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_layers_deploy_on_plain_chains_with_any_key() {
    let anvils: Vec<_> = (0..2)
        .map(|i| nxtp_toolchain::spawn_anvil(31337 + i))
        .collect();
    let endpoints: Vec<Endpoint> = [1000, 2000]
        .iter()
        .zip(&anvils)
        .map(|(&domain, anvil)| Endpoint {
            domain: Domain(domain),
            rpc_url: anvil.endpoint(),
        })
        .collect();
    let deployer: PrivateKeySigner = anvils[0].keys()[3].clone().into();
    let roles = MessagingRoles {
        updater: Address::repeat_byte(0x11),
        watcher: Address::repeat_byte(0x22),
    };
    let config = DeployConfig {
        recording_recipient: false,
        ..DeployConfig::default()
    };
    let mut manifest = deploy_messaging(&endpoints, &deployer, &roles, &config)
        .await
        .expect("the messaging layer deploys");
    assert!(manifest.dev_keys.is_empty() && manifest.services.is_none());

    let router = Address::repeat_byte(0x33);
    let plan = LiquidityPlan {
        sequencer: Address::repeat_byte(0x44),
        relayer: Address::repeat_byte(0x55),
        relayer_fee_vault: deployer.address(),
        routers: vec![router],
        assets: vec![AssetPlan {
            symbol: "TKN".to_owned(),
            name: "Token".to_owned(),
            decimals: 6,
            home: Domain(2000),
            canonical: CanonicalToken::DeployDemoToken,
            // The largest cap Connext takes.
            cap: U256::from(u128::MAX),
        }],
        demo_receiver: false,
        receipt_timeout: Duration::from_secs(60),
    };
    deploy_liquidity(&mut manifest, &deployer, &plan)
        .await
        .expect("the liquidity layer deploys");
    // A network of three sequencer nodes, two of whom must sign each selection.
    let sequencers = [
        plan.sequencer,
        Address::repeat_byte(0x45),
        Address::repeat_byte(0x46),
    ];
    set_sequencer_quorum(&manifest, &deployer, &sequencers, 2, plan.receipt_timeout)
        .await
        .expect("the sequencer quorum is set");

    let canonical = manifest.liquidity(Domain(2000)).expect("home").assets["TKN"].local;
    for (&domain, deployment) in &manifest.domains {
        assert!(deployment.contracts.is_empty(), "no test contracts");
        let provider =
            ProviderBuilder::new().connect_http(deployment.rpc_url.parse().expect("url"));
        let home = Home::new(deployment.home, &provider);
        assert_eq!(home.updater().call().await.expect("updater"), roles.updater);
        assert_eq!(
            home.owner().call().await.expect("owner"),
            deployer.address()
        );
        let manager = ConnectionManager::new(deployment.connection_manager, &provider);
        for (&remote, &replica) in &deployment.replicas {
            assert!(
                manager
                    .watcherPermission(roles.watcher, remote.get())
                    .call()
                    .await
                    .expect("watcherPermission"),
                "the watcher may halt {remote}'s Replica on {domain}"
            );
            let replica = Replica::new(replica, &provider);
            assert_eq!(
                replica.updater().call().await.expect("updater"),
                roles.updater
            );
        }
        let liquidity = deployment.liquidity.as_ref().expect("liquidity section");
        let asset = &liquidity.assets["TKN"];
        assert_eq!(asset.canonical_domain, Domain(2000));
        assert_eq!(asset.canonical_id, canonical.into_word());
        assert_eq!(asset.decimals, 6);
        let connext = Connext::new(liquidity.connext, &provider);
        assert!(
            connext
                .approvedSequencers(plan.sequencer)
                .call()
                .await
                .expect("sequencer"),
            "the sequencer is approved on {domain}"
        );
        assert_eq!(
            connext
                .sequencerThreshold()
                .call()
                .await
                .expect("threshold"),
            2,
            "two of three sequencers must sign on {domain}"
        );
        assert_eq!(
            connext
                .approvedSequencerCount()
                .call()
                .await
                .expect("count"),
            3
        );
        assert!(
            connext
                .approvedRelayers(plan.relayer)
                .call()
                .await
                .expect("relayer"),
            "the relayer is approved on {domain}"
        );
    }
}
