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

/// One node of a sequencer network on `net`: its key, its consensus address.
struct Node {
    key: PrivateKeySigner,
    listen: SocketAddr,
}

impl Node {
    /// Two nodes on distinct free ports (both held while picked, so the OS cannot hand one out twice).
    fn pair(a: PrivateKeySigner, b: PrivateKeySigner) -> (Self, Self) {
        let held = [(); 2].map(|()| std::net::TcpListener::bind("127.0.0.1:0").expect("binds"));
        let [a_listen, b_listen] = held.map(|listener| listener.local_addr().expect("address"));
        (
            Self {
                key: a,
                listen: a_listen,
            },
            Self {
                key: b,
                listen: b_listen,
            },
        )
    }

    /// `validators = [...]`'s entry of this node.
    fn validator(&self) -> String {
        let public_key = alloy::primitives::Bytes::copy_from_slice(
            self.key
                .credential()
                .verifying_key()
                .to_encoded_point(true)
                .as_bytes(),
        );
        format!(
            "{{ address = \"{}\", public_key = \"{public_key}\" }}",
            self.key.address()
        )
    }

    /// Its config: a network of `members` (this node among them), its store and consensus home
    /// under `home`, closing auctions `window_ms` after their first bid, its API forwarding bids
    /// to `forward_to`.
    fn config(
        &self,
        net: &Net,
        relayer_url: &str,
        home: &Path,
        members: &[&Self],
        window_ms: u64,
        forward_to: SocketAddr,
    ) -> SequencerConfig {
        std::fs::create_dir_all(home).expect("home");
        let mut config = net.sequencer_config(relayer_url, window_ms);
        config.database = home.join("sequencer.sqlite");
        let peers: Vec<String> = members
            .iter()
            .filter(|member| member.listen != self.listen)
            .map(|member| format!("\"{}\"", member.listen))
            .collect();
        let validators: Vec<String> = members.iter().map(|member| member.validator()).collect();
        let consensus = format!(
            "key = {{ hex = \"{secret}\" }}\nlisten = \"{listen}\"\npeers = [{peers}]\n\
             home = {home:?}\nthreshold = 1\nforward_bids_to = [\"http://{forward_to}\"]\n\
             validators = [{validators}]\n",
            secret = self.key.to_bytes(),
            listen = self.listen,
            peers = peers.join(", "),
            home = home.join("node").display().to_string(),
            validators = validators.join(", "),
        );
        let consensus = toml::from_str::<ConsensusConfig>(&consensus).expect("valid section");
        config.signer = consensus.key.clone();
        config.consensus = Some(consensus);
        config
    }
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

/// Starts two nodes, each given as (node, the members of its network, its auction window in ms),
/// each forwarding the bids it takes to the other's API; returns once both APIs answer.
async fn start_forwarding(
    net: &Net,
    stub: &RelayerStub,
    homes: &Path,
    nodes: [(&Node, &[&Node], u64); 2],
) -> (Running, Running) {
    let apis = [
        TcpListener::bind("127.0.0.1:0").await.expect("binds"),
        TcpListener::bind("127.0.0.1:0").await.expect("binds"),
    ];
    let addrs = [&apis[0], &apis[1]].map(|api| api.local_addr().expect("bound"));
    let [a_api, b_api] = apis;
    let start = |k: usize, api: TcpListener| {
        let (node, members, window_ms) = nodes[k];
        let home = homes.join(["a", "b"][k]);
        let config = node.config(net, &stub.url, &home, members, window_ms, addrs[1 - k]);
        Running::start_on(config, api)
    };
    let (a, b) = (start(0, a_api), start(1, b_api));
    for node in [&a, &b] {
        eventually("the API", || async {
            node.client.quote(REMOTE, HOME).await.ok()
        })
        .await;
    }
    (a, b)
}

#[tokio::test(flavor = "multi_thread")]
async fn bids_posted_to_one_node_reach_the_other_once_and_are_checked_there() {
    let net = Net::start().await;
    let stub = RelayerStub::start(&net).await;
    let homes = tempfile::tempdir().expect("tempdir");
    // Two networks of one node each (both the dev sequencer), so only the APIs talk.
    let (node_a, node_b) = Node::pair(net.signer(Role::Sequencer), net.signer(Role::Sequencer));
    let (a, b) = start_forwarding(
        &net,
        &stub,
        homes.path(),
        [
            (&node_a, &[&node_a], WINDOW_MS),
            (&node_b, &[&node_b], WINDOW_MS),
        ],
    )
    .await;

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
        post_forwarded(b.addr, &forged).await,
        ErrorCode::InvalidSignature.status()
    );
    let unapproved = bid(&to_home, &user, user.address(), transfer_id, &[1]);
    assert_eq!(
        post_forwarded(b.addr, &unapproved).await,
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

/// A network of two nodes where only B may close the auction (A's window outlasts the test): a
/// router's bid posted to A alone is decided, so B's proposal held it, forwarded. B, the proposer,
/// hands the decision over at once; A would wait `backup_handover_ms` (30 s).
#[tokio::test(flavor = "multi_thread")]
async fn a_bid_posted_to_one_node_is_decided_by_the_other_nodes_proposal() {
    let net = Net::start().await;
    let stub = RelayerStub::start(&net).await;
    let homes = tempfile::tempdir().expect("tempdir");
    let (node_a, node_b) = Node::pair(net.signer(Role::Sequencer), PrivateKeySigner::random());
    let members = [&node_a, &node_b];
    let (a, b) = start_forwarding(
        &net,
        &stub,
        homes.path(),
        [(&node_a, &members, WINDOW_MS), (&node_b, &members, 300)],
    )
    .await;

    let router = net.signer(Role::RouterA);
    let to_home = net.connext_signing(HOME);
    let transfer_id = net
        .xcall(REMOTE, HOME, Address::ZERO, U256::ZERO, U256::from(QUOTE))
        .await;
    a.client
        .post_bid(&bid(&to_home, &router, router.address(), transfer_id, &[1]))
        .await
        .expect("A takes the bid");
    let decided = b
        .wait_for(transfer_id, "B handing the decision over", |view| {
            view.relayer_job.is_some()
        })
        .await;
    assert_eq!(decided.selected, Some(vec![router.address()]));
    let at_a = a.view(transfer_id).await.expect("A's view");
    assert_eq!(
        at_a.relayer_job, None,
        "A did not propose it, so it waits before handing it over"
    );

    a.stop().await;
    b.stop().await;
}
