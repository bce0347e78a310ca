//! Two consensus sequencer nodes forwarding bids to each other (`[consensus] forward_bids_to`), on
//! real anvil chains: a bid a router posts to one node reaches the other, one hop only (a
//! forwarded bid is not forwarded back), and the receiver checks a forwarded bid as any other (a
//! forged one is refused, forwarded or not).

mod common;

use alloy::{
    primitives::{Address, U256},
    signers::local::PrivateKeySigner,
};
use common::{bid, eventually, relayer_stub::RelayerStub, Net, Running, HOME, QUOTE, REMOTE};
use nxtp_api::sequencer::{BidRequest, ErrorCode};
use nxtp_devnet::Role;
use nxtp_sequencer::{ConsensusConfig, SequencerConfig};
use std::{net::SocketAddr, path::Path};
use tokio::net::TcpListener;

/// Long enough that no auction closes during the test: a decided transfer refuses bids.
const WINDOW_MS: u64 = 600_000;

/// A node of its own one-node network (the dev sequencer key), its API forwarding bids to
/// `forward_to`.
fn node_config(
    net: &Net,
    relayer_url: &str,
    home: &Path,
    forward_to: SocketAddr,
) -> SequencerConfig {
    let mut config = net.sequencer_config(relayer_url, WINDOW_MS);
    config.database = home.join("sequencer.sqlite");
    let key = net.signer(Role::Sequencer);
    let public_key = alloy::primitives::Bytes::copy_from_slice(
        key.credential()
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes(),
    );
    let consensus = format!(
        "key = {{ hex = \"{secret}\" }}\nlisten = \"{listen}\"\nhome = {home:?}\nthreshold = 1\n\
         forward_bids_to = [\"http://{forward_to}\"]\n\
         validators = [{{ address = \"{address}\", public_key = \"{public_key}\" }}]\n",
        secret = net.manifest.dev_keys["sequencer"],
        listen = free_port(),
        home = home.join("node").display().to_string(),
        address = key.address(),
    );
    config.consensus = Some(toml::from_str::<ConsensusConfig>(&consensus).expect("valid section"));
    config
}

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}

/// Posts `bid` to the node at `api` as a peer forwarding it would.
async fn post_forwarded(api: SocketAddr, bid: &BidRequest) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(format!("http://{api}/v1/bids"))
        .header("x-nxtp-forwarded-bid", "1")
        .json(bid)
        .send()
        .await
        .expect("the node answers")
        .status()
}

#[tokio::test(flavor = "multi_thread")]
async fn bids_posted_to_one_node_reach_the_other_once_and_are_checked_there() {
    let net = Net::start().await;
    let stub = RelayerStub::start(&net).await;
    let homes = tempfile::tempdir().expect("tempdir");
    let (a_api, b_api) = (
        TcpListener::bind("127.0.0.1:0").await.expect("binds"),
        TcpListener::bind("127.0.0.1:0").await.expect("binds"),
    );
    let (a_addr, b_addr) = (
        a_api.local_addr().expect("bound"),
        b_api.local_addr().expect("bound"),
    );
    for name in ["a", "b"] {
        std::fs::create_dir_all(homes.path().join(name)).expect("home");
    }
    let a = Running::start_on(
        node_config(&net, &stub.url, &homes.path().join("a"), b_addr),
        a_api,
    );
    let b = Running::start_on(
        node_config(&net, &stub.url, &homes.path().join("b"), a_addr),
        b_api,
    );
    for node in [&a, &b] {
        eventually("the API", || async {
            node.client.quote(REMOTE, HOME).await.ok()
        })
        .await;
    }

    let router = net.signer(Role::RouterA);
    let user = net.signer(Role::User);
    let to_home = net.connext_signing(HOME);
    let transfer_id = net
        .xcall(REMOTE, HOME, Address::ZERO, U256::ZERO, U256::from(QUOTE))
        .await;

    // Posted to A only: B holds it too.
    a.client
        .post_bid(&bid(&to_home, &router, router.address(), transfer_id, &[1]))
        .await
        .expect("A takes the bid");
    b.wait_for(transfer_id, "the bid forwarded to B", |view| {
        view.bids
            .iter()
            .any(|bids| bids.router == router.address() && bids.path_lengths == [1])
    })
    .await;

    // A bid posted to B goes to A; B's one queue to A is in order, so once it is there, a
    // forward back of A's bid would have come first.
    b.client
        .post_bid(&bid(&to_home, &router, router.address(), transfer_id, &[2]))
        .await
        .expect("B takes the bid");
    a.wait_for(transfer_id, "the bid forwarded to A", |view| {
        view.bids
            .iter()
            .any(|bids| bids.router == router.address() && bids.path_lengths == [1, 2])
    })
    .await;
    let accepted = "nxtp_sequencer_bids_accepted_total";
    assert_eq!(
        a.counter(accepted),
        2.0,
        "A took the router's bid and B's forward of the other, nothing back"
    );
    assert_eq!(b.counter(accepted), 2.0);

    // A forwarder is not trusted: a bid signed by someone else for the router is refused as it
    // would be from a router, and a stranger's own bid too.
    let stranger = PrivateKeySigner::random();
    let forged = bid(&to_home, &stranger, router.address(), transfer_id, &[4]);
    assert_eq!(
        post_forwarded(b_addr, &forged).await,
        ErrorCode::InvalidSignature.status()
    );
    let unapproved = bid(&to_home, &user, user.address(), transfer_id, &[1]);
    assert_eq!(
        post_forwarded(b_addr, &unapproved).await,
        ErrorCode::RouterNotApproved.status()
    );
    let view = b.view(transfer_id).await.expect("B's view");
    assert_eq!(
        view.bids
            .iter()
            .map(|bids| (bids.router, bids.path_lengths.clone()))
            .collect::<Vec<_>>(),
        [(router.address(), vec![1, 2])],
        "only the router's own bids"
    );

    a.stop().await;
    b.stop().await;
}
