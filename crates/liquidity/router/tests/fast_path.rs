//! The router, configured as the devnet configures it, with the real sequencer and relayer (each
//! in-process, over HTTP as in production): a transfer to DEMO's home is executed on chain fronted
//! by the router alone, its liquidity debited by exactly what it fronted.

mod common;

use alloy::primitives::U256;
use common::{demo, eventually, Crashable, Net, HOME, REMOTE};
use nxtp_agent::{AgentContext, CancellationToken, Health};
use nxtp_bindings::Connext;
use nxtp_devnet::Role;
use nxtp_primitives::TransferStatus;
use std::fmt::Write;

/// The sequencer's quote, in native wei.
const QUOTE: u64 = 1_000_000_000_000_000;

fn context(shutdown: &CancellationToken) -> AgentContext {
    AgentContext {
        shutdown: shutdown.clone(),
        health: Health::new(),
        metrics: nxtp_agent::prometheus::Registry::new(),
        ops_addr: "127.0.0.1:0".parse().expect("address"),
    }
}

/// The `[domains.*]` sections both services share: each domain's Connext and chain.
fn domains(net: &Net) -> String {
    let mut text = String::new();
    for (domain, deployment) in &net.manifest.domains {
        let _ = write!(
            text,
            "[domains.{domain}]\nconnext = \"{connext}\"\n\
             [domains.{domain}.chain]\nrpc_url = \"{rpc}\"\nchain_id = {chain_id}\n\
             confirmations = 1\npoll_interval_ms = 100\n",
            connext = net.connext(*domain),
            rpc = deployment.rpc_url,
            chain_id = deployment.chain_id,
        );
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bid_is_executed_on_chain_with_the_real_sequencer_and_relayer() {
    let net = Net::start().await;
    net.mint_remote_demo(demo(1_000)).await;
    let shutdown = CancellationToken::new();

    let relayer_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let relayer_addr = relayer_listener.local_addr().expect("address");
    let relayer_config: nxtp_relayer::RelayerConfig = toml::from_str(&format!(
        "database = {database:?}\nsigner = {{ hex = \"{key}\" }}\n[api]\nlisten = \"127.0.0.1:0\"\n\
         [telemetry]\nlisten = \"127.0.0.1:0\"\n{domains}",
        database = net.path("relayer.sqlite").display().to_string(),
        key = net.manifest.dev_keys[Role::Relayer.name()],
        domains = domains(&net),
    ))
    .expect("relayer config");
    let relayer = tokio::spawn(nxtp_relayer::serve(
        relayer_config,
        context(&shutdown),
        relayer_listener,
    ));

    let sequencer_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let sequencer_addr = sequencer_listener.local_addr().expect("address");
    let sequencer_config: nxtp_sequencer::SequencerConfig = toml::from_str(&format!(
        "database = {database:?}\nsigner = {{ hex = \"{key}\" }}\napi_listen = \"127.0.0.1:0\"\n\
         auction_window_ms = 0\nrelayer_url = \"http://{relayer_addr}\"\n\
         [quotes]\ndefault_relayer_fee = \"{QUOTE}\"\n[telemetry]\nlisten = \"127.0.0.1:0\"\n{domains}",
        database = net.path("sequencer.sqlite").display().to_string(),
        key = net.manifest.dev_keys[Role::Sequencer.name()],
        domains = domains(&net),
    ))
    .expect("sequencer config");
    let sequencer = tokio::spawn(nxtp_sequencer::run_with_listener(
        sequencer_config,
        context(&shutdown),
        sequencer_listener,
    ));

    // router_a as the devnet configures it: all of its 1,000 DEMO on HOME available to bid.
    let text = nxtp_devnet::router_agent::config_toml(
        &net.manifest,
        net.dir(),
        Role::RouterA.name(),
        &format!("http://{sequencer_addr}"),
        &nxtp_devnet::AgentOptions::default(),
    )
    .expect("the manifest has router_a's key and a liquidity layer");
    let config: nxtp_router::RouterConfig =
        toml::from_str(&text).expect("the generated config loads");
    assert_eq!(config.assets["demo"].reserve.0, U256::ZERO);
    let router = Crashable::start(config);
    let connext = Connext::new(net.connext(HOME), net.reader(HOME));
    let router_a = net.accounts.address(Role::RouterA);
    let local = net.demo_on(HOME);
    let before = connext
        .routerBalance(router_a, local)
        .call()
        .await
        .expect("balance");

    let xcall = net.xcall_home(demo(100), U256::from(QUOTE)).await;
    eventually("the transfer executed on HOME", || async {
        connext
            .transferStatus(xcall.id)
            .call()
            .await
            .is_ok_and(|status| status == TransferStatus::Executed as u8)
    })
    .await;
    let routers = connext
        .transferRouters(xcall.id)
        .call()
        .await
        .expect("routers");
    assert_eq!(routers, [router_a], "the fewest routers: router_a alone");
    let after = connext
        .routerBalance(router_a, local)
        .call()
        .await
        .expect("balance");
    // 5 bps stay with the router: it fronted 99.95 DEMO of the 100 bridged.
    assert_eq!(
        before - after,
        demo(100) * U256::from(9_995) / U256::from(10_000)
    );
    assert_eq!(REMOTE.get(), xcall.params.originDomain);

    router.crash();
    shutdown.cancel();
    relayer
        .await
        .expect("the relayer did not panic")
        .expect("the relayer stopped cleanly");
    sequencer
        .await
        .expect("the sequencer did not panic")
        .expect("the sequencer stopped cleanly");
}
