//! The indexer over real anvil chains: a fast and a slow transfer, sent through the SDK and
//! carried by every agent (messaging and liquidity, in this process), shown by the status API
//! through all their stages and messaging sub-stages; and a deep reorg that drops an xcall,
//! which the API then forgets.

#![allow(clippy::unwrap_used)]

mod pg;

use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
    signers::local::PrivateKeySigner,
};
use nxtp_deployment::{Manifest, Services};
use nxtp_devnet::{liquidity::demo_units, AgentOptions, AgentSpec, LiquidityConfig};
use nxtp_indexer::{Database, IndexerAgent, IndexerConfig};
use nxtp_sdk::{AssetRef, RelayerFee, Sdk, XcallRequest};
use nxtp_testnet::{
    eventually, reorg_dropping, telemetry, AgentsError, InProcessAgents, LiquidityNet,
    LiquidityNetOptions, Miner, Mining, Options, Running, TestNet,
};
use serde_json::Value;
use std::{net::SocketAddr, path::Path, time::Duration};

/// Runs the agent of `spec` in this process, whichever layer it belongs to.
fn launch_any(
    agents: &mut InProcessAgents,
    spec: &AgentSpec,
    dir: &Path,
) -> Result<(), AgentsError> {
    match spec.subcommand.as_str() {
        "updater" => agents.spawn::<nxtp_updater::Updater>(spec, dir),
        "message-relayer" => agents.spawn::<nxtp_message_relayer::MessageRelayer>(spec, dir),
        "processor" => agents.spawn::<nxtp_processor::Processor>(spec, dir),
        "watcher" => agents.spawn::<nxtp_watcher::Watcher>(spec, dir),
        "relayer" => agents.spawn::<nxtp_relayer::Relayer>(spec, dir),
        "sequencer" => agents.spawn::<nxtp_sequencer::Sequencer>(spec, dir),
        "router-agent" => agents.spawn::<nxtp_router::Router>(spec, dir),
        "executor" => agents.spawn::<nxtp_executor::Executor>(spec, dir),
        other => panic!("no agent runs `{other}`"),
    }
}

/// A loopback address nothing listens on (yet).
fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

fn signer(manifest: &Manifest, role: &str) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&manifest.dev_keys[role]).unwrap()
}

/// The indexer over `manifest`'s chains at one confirmation, writing to `database`.
fn start_indexer(manifest: &Manifest, database: Database) -> (Running<IndexerAgent>, SocketAddr) {
    let api = free_addr();
    let config =
        IndexerConfig::from_manifest(manifest, 1, 100, database, api, telemetry()).unwrap();
    (Running::start(config), api)
}

/// `GET path` on the API: its status and JSON body (`None` while it does not answer).
async fn get(api: SocketAddr, path: &str) -> Option<(u16, Value)> {
    let response = reqwest::get(format!("http://{api}{path}")).await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.json().await.ok()?))
}

/// Waits until transfer `id` reaches `stage` in the API, returning its view.
async fn wait_for_stage(api: SocketAddr, id: B256, stage: &str) -> Value {
    eventually(&format!("transfer {id} {stage} in the API"), || async {
        let (status, body) = get(api, &format!("/transfers/{id}")).await?;
        (status == 200 && body["stage"] == stage).then_some(body)
    })
    .await
}

fn assert_step(view: &Value, key: &str, domain: u32) {
    let step = &view[key];
    assert_eq!(step["domain"], domain, "{key}: {view:#}");
    assert!(
        step["tx_hash"].as_str().is_some_and(|h| h.len() == 66),
        "{key}: {view:#}"
    );
    assert!(
        step["block"].as_u64().is_some_and(|b| b > 0),
        "{key}: {view:#}"
    );
    assert!(
        step["timestamp"].as_u64().is_some_and(|t| t > 0),
        "{key}: {view:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fast_and_a_slow_transfer_through_every_stage() {
    let net = LiquidityNet::start(
        LiquidityNetOptions {
            optimistic_seconds: 4,
            ..LiquidityNetOptions::default()
        },
        launch_any,
    )
    .await
    .expect("the net starts");
    let [origin, destination] = net.net().domains()[..] else {
        panic!("two domains");
    };

    // The liquidity agents, as the devnet configures them, on free ports.
    let mut manifest = net.manifest().clone();
    let (sequencer_api, relayer_api) = (free_addr(), free_addr());
    manifest.services = Some(Services {
        sequencer_url: format!("http://{sequencer_api}"),
        relayer_url: format!("http://{relayer_api}"),
        indexer_url: None,
    });
    let options = AgentOptions {
        auction_window: Duration::from_millis(300),
        confirmations: 1,
        ..AgentOptions::default()
    };
    let dir = net.dir().join("liquidity");
    std::fs::create_dir_all(&dir).unwrap();
    let specs = nxtp_devnet::liquidity_agents(&manifest, &dir, &options);
    assert!(!specs.is_empty(), "the liquidity agents");
    let liquidity = InProcessAgents::start(&specs, &dir, launch_any)
        .await
        .expect("the liquidity agents start");
    let (indexer, api) = start_indexer(
        &manifest,
        Database::Sqlite(net.dir().join("indexer.sqlite")),
    );

    let sdk = Sdk::from_manifest(
        &manifest,
        Some(
            manifest
                .services
                .as_ref()
                .unwrap()
                .sequencer_url
                .parse()
                .unwrap(),
        ),
    )
    .expect("an SDK over the manifest");
    let user = signer(&manifest, "user");
    let demo: AssetRef = "DEMO".parse().unwrap();
    let to = PrivateKeySigner::random().address();
    let send = |amount: U256| {
        let mut request = XcallRequest::new(origin, destination, demo.clone(), amount, to);
        request.auto_approve = true;
        request.relayer_fee = RelayerFee::Wei(U256::from(10u64.pow(15)));
        request
    };
    // Within one router's liquidity: fronted. Beyond both routers' together: only the slow path.
    let fast = sdk
        .xcall(&user, &send(demo_units(10)))
        .await
        .expect("fast xcall");
    let slow = sdk
        .xcall(&user, &send(demo_units(5_000)))
        .await
        .expect("slow xcall");

    let fast_view = wait_for_stage(api, fast.transfer_id, "CompletedFast").await;
    assert_eq!(fast_view["path"], "fast");
    for (key, domain) in [
        ("xcalled", origin),
        ("executed", destination),
        ("reconciled", destination),
    ] {
        assert_step(&fast_view, key, domain.get());
    }
    assert_eq!(fast_view["xcalled"]["tx_hash"], fast.origin_tx.to_string());
    let routers = fast_view["routers"].as_array().unwrap();
    assert!(!routers.is_empty(), "{fast_view:#}");
    let router = routers[0]["router"].as_str().unwrap().to_owned();
    assert_eq!(fast_view["bridged_amount"], demo_units(10).to_string());
    assert!(fast_view["liquidity_fee"].is_string(), "{fast_view:#}");
    assert_eq!(fast_view["relayer_fees"][0]["amount"], "1000000000000000");
    assert_eq!(fast_view["waiting"], Value::Null);
    // The routers' reimbursement went through the messaging layer too.
    assert_eq!(
        fast_view["messaging"]["processed"]["domain"],
        destination.get()
    );

    let slow_view = wait_for_stage(api, slow.transfer_id, "CompletedSlow").await;
    assert_eq!(slow_view["path"], "slow");
    assert!(slow_view["routers"].as_array().unwrap().is_empty());
    let m = &slow_view["messaging"];
    assert_eq!(
        m["message_hash"].as_str().map(str::len),
        Some(66),
        "{slow_view:#}"
    );
    assert!(m["leaf_index"].is_u64(), "{slow_view:#}");
    for (key, domain) in [
        ("dispatched", origin),
        ("checkpointed", origin),
        ("signed", origin),
        ("root_relayed", destination),
        ("processed", destination),
    ] {
        assert_step(m, key, domain.get());
    }
    assert_eq!(m["dispatched"]["tx_hash"], slow.origin_tx.to_string());
    assert_eq!(m["checkpointed"]["root"], m["root_relayed"]["root"]);
    let relayed_at = m["root_relayed"]["timestamp"].as_u64().unwrap();
    let acceptable_at = m["acceptable_at"].as_u64().unwrap();
    assert_eq!(
        acceptable_at,
        relayed_at + 4,
        "the 4-second window: {slow_view:#}"
    );
    assert!(m["processed"]["timestamp"].as_u64().unwrap() >= acceptable_at);
    assert!(slow_view["executed"]["block"].as_u64() >= slow_view["reconciled"]["block"].as_u64());

    // Found by its origin transaction, and listed by the router that fronted the fast one.
    let (status, by_tx) = get(api, &format!("/transfers/{}", slow.origin_tx))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(by_tx["transfer_id"], slow.transfer_id.to_string());
    let (status, listed) = get(api, &format!("/transfers?router={router}"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{listed}");
    let listed: Vec<&str> = listed["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["transfer_id"].as_str())
        .collect();
    assert!(
        listed.contains(&fast.transfer_id.to_string().as_str()),
        "{listed:?}"
    );
    assert!(
        !listed.contains(&slow.transfer_id.to_string().as_str()),
        "{listed:?}"
    );
    let (status, health) = get(api, "/health").await.unwrap();
    assert_eq!(
        (status, &health["status"]),
        (200, &Value::from("healthy")),
        "{health}"
    );

    // A relayer fee below the sequencer's quote: the API says so with the bump that fixes it
    // (read from the sequencer), and once bumped by that amount the routers front it.
    let mut cheap = send(demo_units(10));
    cheap.relayer_fee = RelayerFee::Wei(U256::from(1));
    let cheap = sdk.xcall(&user, &cheap).await.expect("cheap xcall");
    let low_fee = eventually("the fee below the quote in the API", || async {
        let (status, body) = get(api, &format!("/transfers/{}", cheap.transfer_id)).await?;
        (status == 200 && body["waiting"]["reason"] == "RelayerFeeBelowQuote").then_some(body)
    })
    .await;
    let action = &low_fee["waiting"]["action"];
    let missing: U256 = action["amount"].as_str().unwrap().parse().unwrap();
    assert_eq!(missing, U256::from(10u64.pow(15) - 1), "{low_fee:#}");
    assert_eq!(
        action["cli"],
        format!("nxtp bump {} --amount {missing}wei", cheap.transfer_id)
    );
    sdk.bump(&user, cheap.transfer_id, missing)
        .await
        .expect("bumped");
    let bumped = wait_for_stage(api, cheap.transfer_id, "CompletedFast").await;
    assert_eq!(bumped["waiting"], Value::Null);

    // A call whose xReceive reverts (the demo receiver refuses a zero beneficiary): delivered,
    // and the API says the call failed, why (decoded), and where the funds are.
    let receiver = manifest.domains[&destination].contracts[nxtp_deployment::DEMO_RECEIVER];
    let mut calling = send(demo_units(3));
    calling.to = receiver;
    calling.call_data = alloy::sol_types::SolValue::abi_encode_params(&(
        Address::ZERO,
        "never delivered".to_owned(),
    ))
    .into();
    let calling = sdk.xcall(&user, &calling).await.expect("calling xcall");
    let failed = eventually("the failed call in the API", || async {
        let (status, body) = get(api, &format!("/transfers/{}", calling.transfer_id)).await?;
        (status == 200 && body["calldata"]["success"] == false).then_some(body)
    })
    .await;
    assert_eq!(
        failed["waiting"]["reason"], "CalldataReverted",
        "{failed:#}"
    );
    let revert = failed["calldata"]["revert"].as_str().unwrap();
    assert!(revert.contains("ZeroBeneficiary"), "{failed:#}");
    let funds = failed["calldata"]["funds"].as_str().unwrap();
    assert!(
        funds.contains(&receiver.to_string().to_lowercase()) && funds.contains("stay there"),
        "{failed:#}"
    );

    // The routers' liquidity and volume, and the figures.
    let (status, routers) = get(api, "/routers").await.unwrap();
    assert_eq!(status, 200, "{routers}");
    let fronting = routers["routers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["router"] == router.as_str())
        .expect("the router that fronted");
    assert_eq!(fronting["bidding"], "live", "{routers:#}");
    assert!(fronting["liquidity"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["domain"] == destination.get() && l["fronted"] != "0"));
    let (status, stats) = get(api, "/stats").await.unwrap();
    assert_eq!(status, 200, "{stats}");
    // Ours and the liquidity bridged when the net started.
    assert!(stats["transfers"].as_u64().unwrap() >= 3, "{stats:#}");
    assert!(
        stats["recent"]["xcall_to_executed"]["median_seconds"].is_u64(),
        "{stats:#}"
    );

    indexer.stop().await;
    liquidity.stop().await;
    net.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_reorg_that_drops_an_xcall_is_forgotten_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_deep_reorg_that_drops_an_xcall_is_forgotten(Database::Sqlite(
        dir.path().join("indexer.sqlite"),
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_reorg_that_drops_an_xcall_is_forgotten_postgres() {
    let server = tokio::task::spawn_blocking(pg::TestPostgres::start)
        .await
        .unwrap();
    let database = Database::Postgres {
        url: server.url.clone(),
        state: server.state_path(),
    };
    a_deep_reorg_that_drops_an_xcall_is_forgotten(database).await;
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .unwrap();
}

/// Two xcalls indexed, a reorg deeper than the confirmations drops the second: the API forgets it
/// and keeps the first, also after the indexer restarts on its database.
async fn a_deep_reorg_that_drops_an_xcall_is_forgotten(database: Database) {
    let net = TestNet::start(
        Options::new(&[1000, 2000])
            .mining(Mining::Auto)
            .liquidity(LiquidityConfig::default()),
    )
    .await
    .expect("the net starts");
    let origin = net.domains()[0];
    let reader = net.reader(origin);
    let (indexer, api) = start_indexer(&net.manifest, database.clone());
    let sdk = Sdk::from_manifest(&net.manifest, None).expect("an SDK over the manifest");
    let user = signer(&net.manifest, "user");
    let send = |amount: u64| {
        let mut request = XcallRequest::new(
            origin,
            net.domains()[1],
            "DEMO".parse().unwrap(),
            demo_units(amount),
            Address::repeat_byte(0x42),
        );
        request.auto_approve = true;
        request.relayer_fee = RelayerFee::Wei(U256::from(1_000));
        request
    };
    let kept = sdk.xcall(&user, &send(1)).await.expect("first xcall");
    let miner = Miner::start(reader.clone(), Duration::from_millis(200)).await;
    let dropped = sdk.xcall(&user, &send(2)).await.expect("second xcall");
    for id in [kept.transfer_id, dropped.transfer_id] {
        wait_for_stage(api, id, "XCalled").await;
    }

    // Replace every block from the second xcall's on (deeper than the one confirmation),
    // dropping that xcall.
    {
        let _held = miner.hold().await;
        let head = reader.get_block_number().await.unwrap();
        assert!(head > dropped.origin_block, "the xcall is confirmed");
        let gone = reorg_dropping(&reader, dropped.origin_block, head, |tx| {
            tx.hash == dropped.origin_tx
        })
        .await;
        assert_eq!(gone.len(), 1, "the xcall dropped");
    }
    eventually("the dropped xcall forgotten by the API", || async {
        let (status, body) = get(api, &format!("/transfers/{}", dropped.transfer_id)).await?;
        (status == 404 && body["error"] == "not_found").then_some(())
    })
    .await;
    let (status, _) = get(api, &format!("/transfers/{}", dropped.origin_tx))
        .await
        .unwrap();
    assert_eq!(status, 404);
    let (status, view) = get(api, &format!("/transfers/{}", kept.transfer_id))
        .await
        .unwrap();
    assert_eq!(
        (status, &view["stage"]),
        (200, &Value::from("XCalled")),
        "{view}"
    );
    let (_, listed) = get(api, "/transfers").await.unwrap();
    assert_eq!(
        listed["transfers"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );

    drop(miner);
    indexer.stop().await;
}
