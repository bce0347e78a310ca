//! Four sequencer nodes on loopback decide auctions together: bids fed to different nodes,
//! every node decides the same batches and signs the same selections; a node killed and
//! restarted catches up from its write-ahead log, its store and its peers; a proposer that
//! breaks the rule is outvoted, and one that equivocates is caught.

use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use nxtp_consensus::loopback::{free_ports, node_config, sign_bid, SharedChain};
use nxtp_consensus::signing::{part_signer, selection_signer};
use nxtp_consensus::{
    BidPool, ExecuteEnd, Genesis, Height, Ledger, NodeConfig, NodeHandle, NodeKey, Observation,
    Pool, Rules, SignedBid, Tamper, TransferTerms,
};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How long any condition may take on a loaded machine before the test fails.
const PATIENCE: Duration = Duration::from_secs(180);

fn pool() -> Pool {
    Pool {
        destination: 2,
        canonical_domain: 1,
        canonical_id: B256::repeat_byte(0xaa),
    }
}

fn transfer(id: u8) -> TransferTerms {
    TransferTerms {
        transfer_id: B256::repeat_byte(id),
        destination_chain_id: 31337,
        destination_connext: Address::repeat_byte(0xcc),
        pool: pool(),
        to_front: U256::from(100),
        max_routers: 4,
    }
}

fn bid(router: &PrivateKeySigner, terms: &TransferTerms, path_length: u32) -> SignedBid {
    sign_bid(router, terms, path_length).expect("signs")
}

struct Network {
    keys: Vec<NodeKey>,
    addrs: Vec<SocketAddr>,
    genesis: Genesis,
    rules: Rules,
    /// The node that proposes altered batches, and how it alters them.
    byzantine: Option<(usize, Tamper)>,
    /// The node that streams a second batch beside each it proposes, and how it alters it.
    equivocating: Option<(usize, Tamper)>,
}

impl Network {
    /// Four sequencers; four routers with 250 each in the one pool, all approved.
    fn new(chain: &Arc<SharedChain>, routers: &[PrivateKeySigner]) -> Self {
        let keys: Vec<NodeKey> = (0..4).map(|_| NodeKey::random()).collect();
        Self {
            addrs: free_ports(4).expect("free ports"),
            genesis: Genesis {
                sequencers: keys.iter().map(NodeKey::public_key).collect(),
                // Each router can front one transfer of 100 alone, or a share of several.
                ledger: Ledger::new(
                    routers
                        .iter()
                        .map(|router| ((pool(), router.address()), U256::from(250))),
                ),
            },
            rules: Rules::new(
                chain.clone(),
                Arc::new(
                    routers
                        .iter()
                        .map(PrivateKeySigner::address)
                        .collect::<BTreeSet<_>>(),
                ),
            ),
            byzantine: None,
            equivocating: None,
            keys,
        }
    }
}

impl Network {
    /// The alteration of `misbehaviour` if node `index` is the one that misbehaves so.
    fn misbehaviour(&self, misbehaviour: &Option<(usize, Tamper)>, index: usize) -> Option<Tamper> {
        misbehaviour
            .as_ref()
            .filter(|(node, _)| *node == index)
            .map(|(_, tamper)| tamper.clone())
    }

    fn config(&self, index: usize, root: &Path) -> NodeConfig {
        node_config(index, &self.addrs, root)
    }

    async fn start(&self, index: usize, root: &Path) -> NodeHandle {
        nxtp_consensus::start(
            self.config(index, root),
            self.keys[index].clone(),
            self.genesis.clone(),
            Rules {
                byzantine: self.misbehaviour(&self.byzantine, index),
                byzantine_equivocation: self.misbehaviour(&self.equivocating, index),
                ..self.rules.clone()
            },
            BidPool::new(),
        )
        .await
        .expect("node starts")
    }
}

/// A network of four sequencers over one shared chain, with four approved routers and a home
/// folder for the nodes.
struct Setup {
    root: tempfile::TempDir,
    routers: Vec<PrivateKeySigner>,
    chain: Arc<SharedChain>,
    network: Network,
}

impl Setup {
    fn new() -> Self {
        let routers: Vec<PrivateKeySigner> = (0..4).map(|_| PrivateKeySigner::random()).collect();
        let chain = Arc::new(SharedChain::default());
        let network = Network::new(&chain, &routers);
        Self {
            root: tempfile::tempdir().expect("tempdir"),
            routers,
            chain,
            network,
        }
    }
}

impl Network {
    /// Starts the four nodes and waits until each decided its first height.
    async fn start_all(&self, root: &Path) -> Vec<NodeHandle> {
        let mut nodes = Vec::new();
        for index in 0..4 {
            nodes.push(self.start(index, root).await);
        }
        for node in &nodes {
            decided(node, Height(1)).await;
        }
        nodes
    }
}

/// Waits until `node` decided at least `height`.
async fn decided(node: &NodeHandle, height: Height) {
    let mut decided = node.decided.clone();
    tokio::time::timeout(PATIENCE, decided.wait_for(|h| *h >= height))
        .await
        .unwrap_or_else(|_| panic!("{} did not reach height {height}", node.address))
        .expect("node running");
}

/// Waits until `node` signed the selection of `transfer_id`, and returns its routers.
async fn selected(node: &NodeHandle, transfer_id: B256) -> Vec<Address> {
    let mut decided = node.decided.clone();
    let wait = async {
        loop {
            if let Some(selection) = node.store.selection(transfer_id).await.expect("store") {
                return selection;
            }
            decided.changed().await.expect("node running");
        }
    };
    let selection = tokio::time::timeout(PATIENCE, wait)
        .await
        .unwrap_or_else(|_| panic!("{} did not decide {transfer_id}", node.address));
    let auction_signer = {
        let batch = node
            .store
            .decided(selection.height, selection.height)
            .await
            .expect("store")
            .pop()
            .expect("decided height kept")
            .batch;
        let auction = batch
            .auctions
            .into_iter()
            .find(|auction| auction.terms.transfer_id == transfer_id)
            .expect("auction in its batch");
        assert_eq!(auction.routers, selection.routers);
        selection_signer(&auction, &selection.signature)
    };
    assert_eq!(
        auction_signer,
        Some(node.address.0),
        "signed by the node's key"
    );
    certified_by_a_quorum(node, transfer_id, &selection.routers).await;
    selection.routers
}

/// The node holds the selection of `transfer_id` signed by more than two thirds of the four
/// sequencers (gathered in the precommits), each signature recovering to a distinct one.
async fn certified_by_a_quorum(node: &NodeHandle, transfer_id: B256, routers: &[Address]) {
    let certified = node
        .store
        .certified(transfer_id)
        .await
        .expect("store")
        .expect("certified with the decision");
    assert_eq!(certified.routers, routers);
    let domain = transfer(transfer_id[0]).signing_domain();
    let digest = domain.router_selection_digest(transfer_id, routers);
    let signers: BTreeSet<Address> = certified
        .signatures
        .iter()
        .map(|(sequencer, signature)| {
            let signer = nxtp_primitives::recover_digest(digest, signature).expect("recovers");
            assert_eq!(signer, *sequencer);
            signer
        })
        .collect();
    assert!(signers.len() >= 3, "a quorum of 3 of 4 signed: {signers:?}");
}

/// Every node holds the same batches at every height up to `to`.
async fn same_batches(nodes: &[&NodeHandle], to: Height) {
    let reference = nodes[0].store.decided(Height(1), to).await.expect("store");
    assert_eq!(reference.len() as u64, to.0, "no height missing");
    for node in &nodes[1..] {
        let batches = node.store.decided(Height(1), to).await.expect("store");
        assert_eq!(
            batches.iter().map(|d| &d.batch).collect::<Vec<_>>(),
            reference.iter().map(|d| &d.batch).collect::<Vec<_>>(),
            "{} decided other batches",
            node.address
        );
    }
}

/// Every batch `node` decided, replayed from genesis, passes the check of an honest node: the
/// ledger the network decided with is the one the rules derive. Returns the ledger after them.
async fn every_batch_passes_the_check(network: &Network, node: &NodeHandle) -> Ledger {
    let height = *node.decided.borrow();
    let mut ledger = network.genesis.ledger.clone();
    for decided in node.store.decided(Height(1), height).await.expect("store") {
        nxtp_consensus::validity::check(
            &decided.batch,
            &ledger,
            network.rules.transfers.as_ref(),
            network.rules.approval.as_ref(),
        )
        .unwrap_or_else(|err| panic!("height {} broke the rule: {err}", decided.height));
        ledger.apply(&decided.batch);
    }
    ledger
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_nodes_decide_the_same_auctions_and_a_restarted_node_catches_up() {
    let Setup {
        root,
        routers,
        chain,
        network,
    } = Setup::new();
    let mut nodes = network.start_all(root.path()).await;

    // Four transfers, the bids of each posted to a different node only.
    for id in 1..=4u8 {
        let terms = transfer(id);
        chain.xcall(terms.clone());
        let node = &nodes[usize::from(id) % 4];
        for router in &routers {
            node.pool.add(terms.transfer_id, bid(router, &terms, 1));
        }
    }
    let mut expected = BTreeMap::new();
    for id in 1..=4u8 {
        let transfer_id = transfer(id).transfer_id;
        let routers = selected(&nodes[0], transfer_id).await;
        assert_eq!(routers.len(), 1, "one router covers 100 alone");
        for node in &nodes[1..] {
            assert_eq!(selected(node, transfer_id).await, routers);
        }
        expected.insert(transfer_id, routers);
    }
    let height = *nodes[0].decided.borrow();
    for node in &nodes {
        decided(node, height).await;
    }
    same_batches(&nodes.iter().collect::<Vec<_>>(), height).await;

    // One node of four crashes: the other three still decide.
    let crashed = nodes.pop().expect("four nodes");
    crashed.kill().await;
    for id in 5..=6u8 {
        let terms = transfer(id);
        chain.xcall(terms.clone());
        for node in &nodes {
            for router in &routers {
                node.pool.add(terms.transfer_id, bid(router, &terms, 1));
            }
        }
    }
    for id in 5..=6u8 {
        let transfer_id = transfer(id).transfer_id;
        let routers = selected(&nodes[0], transfer_id).await;
        for node in &nodes[1..] {
            assert_eq!(selected(node, transfer_id).await, routers);
        }
        expected.insert(transfer_id, routers);
    }

    // It restarts from its log and store, and catches up with the others.
    let restarted = network.start(3, root.path()).await;
    let height = *nodes[0].decided.borrow();
    decided(&restarted, height).await;
    for (transfer_id, routers) in &expected {
        assert_eq!(&selected(&restarted, *transfer_id).await, routers);
    }
    let mut all: Vec<&NodeHandle> = nodes.iter().collect();
    all.push(&restarted);
    same_batches(&all, height).await;

    // No router was given more than it holds: 250 covers two transfers of 100 at most.
    let mut load: BTreeMap<Address, usize> = BTreeMap::new();
    for routers in expected.values() {
        for router in routers {
            *load.entry(*router).or_default() += 1;
        }
    }
    assert!(load.values().all(|&count| count <= 2), "{load:?}");

    restarted.kill().await;
    for node in nodes {
        node.kill().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_proposer_breaking_the_selection_rule_is_outvoted() {
    let Setup {
        root,
        routers,
        chain,
        mut network,
    } = Setup::new();
    // Node 0 hands every auction it proposes to a router the rule did not pick.
    let tamper: Tamper = Arc::new(|batch: &mut nxtp_consensus::Batch| {
        for auction in &mut batch.auctions {
            if let Some(other) = auction
                .bids
                .iter()
                .map(|bid| bid.router)
                .find(|router| !auction.routers.contains(router))
            {
                auction.routers = vec![other];
            }
        }
    });
    network.byzantine = Some((0, tamper));
    let mut nodes = Vec::new();
    for index in 0..4 {
        nodes.push(network.start(index, root.path()).await);
    }
    for node in &nodes {
        decided(node, Height(1)).await;
    }
    let honest = &nodes[1..];
    // First only the Byzantine node holds the bids: each of its turns proposes rigged
    // selections, which the others refuse, so nothing is decided and its heights need a
    // second round.
    for id in 1..=4u8 {
        let terms = transfer(id);
        chain.xcall(terms.clone());
        for router in &routers {
            nodes[0].pool.add(terms.transfer_id, bid(router, &terms, 1));
        }
    }
    let start = *honest[0].decided.borrow();
    let until = Height(start.0 + 8);
    for node in honest {
        decided(node, until).await;
    }
    let mut refused = 0;
    for decided in honest[0]
        .store
        .decided(Height(start.0 + 1), until)
        .await
        .expect("store")
    {
        assert!(
            decided.batch.auctions.is_empty(),
            "a rigged selection was decided"
        );
        if decided.certificate.round.as_u32() != Some(0) {
            refused += 1;
        }
    }
    assert!(refused >= 1, "the Byzantine node's proposals were refused");
    // Then the honest nodes get the bids too: the transfers are decided by the rule.
    for id in 1..=4u8 {
        let terms = transfer(id);
        for node in honest {
            for router in &routers {
                node.pool.add(terms.transfer_id, bid(router, &terms, 1));
            }
        }
    }
    for id in 1..=4u8 {
        let transfer_id = transfer(id).transfer_id;
        let routers = selected(&honest[0], transfer_id).await;
        for node in &honest[1..] {
            assert_eq!(selected(node, transfer_id).await, routers);
        }
    }
    // Every decided batch follows the rule: replayed from genesis, each passes the check.
    every_batch_passes_the_check(&network, &honest[0]).await;
    for node in nodes {
        node.kill().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_of_four_away_decide_nothing_and_progress_resumes_when_they_return() {
    let Setup {
        root,
        routers,
        chain,
        network,
    } = Setup::new();
    let mut nodes = network.start_all(root.path()).await;
    let away = nodes.split_off(2);
    for node in away {
        node.kill().await;
    }
    let terms = transfer(1);
    chain.xcall(terms.clone());
    for node in &nodes {
        for router in &routers {
            node.pool.add(terms.transfer_id, bid(router, &terms, 1));
        }
    }
    // Two of four are no quorum: past the height that may have been in flight, nothing more
    // is decided however long they wait (here, several rounds' worth of timeouts).
    let stuck = Height(nodes[0].decided.borrow().0 + 2);
    let mut watch = nodes[0].decided.clone();
    let progressed = tokio::time::timeout(
        Duration::from_secs(12),
        watch.wait_for(|height| *height >= stuck),
    )
    .await;
    assert!(progressed.is_err(), "two of four decided without a quorum");
    for node in &nodes {
        assert!(node
            .store
            .selection(terms.transfer_id)
            .await
            .expect("store")
            .is_none());
    }

    // They come back: progress resumes and the transfer is decided once, everywhere.
    nodes.push(network.start(2, root.path()).await);
    nodes.push(network.start(3, root.path()).await);
    let routers_chosen = selected(&nodes[0], terms.transfer_id).await;
    for node in &nodes[1..] {
        assert_eq!(selected(node, terms.transfer_id).await, routers_chosen);
    }
    let height = *nodes[0].decided.borrow();
    for node in &nodes {
        decided(node, height).await;
    }
    same_batches(&nodes.iter().collect::<Vec<_>>(), height).await;
    let decisions = nodes[0]
        .store
        .decided(Height(1), height)
        .await
        .expect("store")
        .iter()
        .flat_map(|decided| decided.batch.auctions.iter())
        .filter(|auction| auction.terms.transfer_id == terms.transfer_id)
        .count();
    assert_eq!(decisions, 1, "decided exactly once");
    for node in nodes {
        node.kill().await;
    }
}

/// A node that joins after the others decided, and whose own view of the chains lags (it has not
/// seen any of the transfers), takes the decided heights by value sync: it holds the same batches
/// and each selection certified by the quorum that decided it, from the extended commit
/// certificates, including heights decided after it joined while it still voted nil on them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_joining_late_takes_decided_heights_by_sync_with_their_certificates() {
    let Setup {
        root,
        routers,
        chain,
        mut network,
    } = Setup::new();
    let mut nodes = Vec::new();
    for index in 0..3 {
        nodes.push(network.start(index, root.path()).await);
    }
    let decide = |ids: std::ops::RangeInclusive<u8>| {
        for id in ids {
            let terms = transfer(id);
            chain.xcall(terms.clone());
            for router in &routers {
                nodes[0].pool.add(terms.transfer_id, bid(router, &terms, 1));
            }
        }
    };
    decide(1..=2);
    let mut expected = BTreeMap::new();
    for id in 1..=2u8 {
        let transfer_id = transfer(id).transfer_id;
        expected.insert(transfer_id, selected(&nodes[0], transfer_id).await);
    }
    // A few empty heights more, so it has a backlog to sync.
    let backlog = Height(nodes[0].decided.borrow().0 + 3);
    decided(&nodes[0], backlog).await;

    // Its view never sees the transfers: it cannot vote for them, only take them by sync.
    network.rules = Rules::new(
        Arc::new(SharedChain::default()),
        network.rules.approval.clone(),
    );
    let late = network.start(3, root.path()).await;
    decide(3..=4);
    for id in 3..=4u8 {
        let transfer_id = transfer(id).transfer_id;
        expected.insert(transfer_id, selected(&nodes[0], transfer_id).await);
    }
    let height = *nodes[0].decided.borrow();
    decided(&late, height).await;
    for (transfer_id, routers) in &expected {
        // Its own signature, and the quorum's from the certificate.
        assert_eq!(&selected(&late, *transfer_id).await, routers);
    }
    let mut all: Vec<&NodeHandle> = nodes.iter().collect();
    all.push(&late);
    same_batches(&all, height).await;
    late.kill().await;
    for node in nodes {
        node.kill().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_router_out_of_liquidity_is_selected_again_once_topped_up_on_chain() {
    let Setup {
        root,
        routers,
        chain,
        network,
    } = Setup::new();
    let nodes = network.start_all(root.path()).await;
    // Only router 0 bids, on every node. Its 250 cover two transfers of 100.
    let router = &routers[0];
    let post = |id: u8| {
        let terms = transfer(id);
        chain.xcall(terms.clone());
        for node in &nodes {
            node.pool.add(terms.transfer_id, bid(router, &terms, 1));
        }
        terms.transfer_id
    };
    let (first, second) = (post(1), post(2));
    for transfer_id in [first, second] {
        assert_eq!(selected(&nodes[0], transfer_id).await, [router.address()]);
    }

    // The third waits: 50 are left, and several heights pass without deciding it.
    let third = post(3);
    let waited = Height(nodes[0].decided.borrow().0 + 4);
    for node in &nodes {
        decided(node, waited).await;
        let selection = node.store.selection(third).await.expect("store");
        assert!(selection.is_none(), "decided on liquidity the router lacks");
    }

    // On chain, the first two execute (blocks 10 and 11: 50 left), then the router adds 500
    // (block 12). Every node reads it: the network releases, observes and decides again.
    chain.execute(
        first,
        ExecuteEnd {
            block: 10,
            fast: true,
        },
    );
    chain.execute(
        second,
        ExecuteEnd {
            block: 11,
            fast: true,
        },
    );
    chain.read_balance(Observation {
        pool: pool(),
        router: router.address(),
        block: 12,
        block_hash: keccak256(12u64.to_be_bytes()),
        balance: U256::from(550),
    });
    assert_eq!(selected(&nodes[0], third).await, [router.address()]);
    for node in &nodes[1..] {
        assert_eq!(selected(node, third).await, [router.address()]);
    }
    let height = *nodes[0].decided.borrow();
    for node in &nodes {
        decided(node, height).await;
    }
    same_batches(&nodes.iter().collect::<Vec<_>>(), height).await;
    let ledger = every_batch_passes_the_check(&network, &nodes[0]).await;
    // 550 observed after both executes, less the third's 100.
    assert_eq!(ledger.balance(&pool(), router.address()), U256::from(550));
    assert_eq!(ledger.available(&pool(), router.address()), U256::from(450));
    assert_eq!(ledger.open().collect::<Vec<_>>(), [&third]);
    for node in nodes {
        node.kill().await;
    }
}

/// With an auction window, a proposer closes an auction only once the window since it first held
/// a bid on the transfer passed: a bid that came later, within the window, is decided on too,
/// rather than the first router to bid winning alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_proposer_keeps_an_auction_open_for_its_window() {
    const WINDOW: Duration = Duration::from_secs(2);
    let Setup {
        root,
        routers,
        chain,
        network,
    } = Setup::new();
    let mut nodes = Vec::new();
    for index in 0..4 {
        let mut config = network.config(index, root.path());
        config.auction_window = WINDOW;
        let node = nxtp_consensus::start(
            config,
            network.keys[index].clone(),
            network.genesis.clone(),
            network.rules.clone(),
            BidPool::new(),
        )
        .await
        .expect("node starts");
        nodes.push(node);
    }
    for node in &nodes {
        decided(node, Height(1)).await;
    }
    let terms = transfer(1);
    chain.xcall(terms.clone());
    let first_bid = std::time::Instant::now();
    for node in &nodes {
        node.pool
            .add(terms.transfer_id, bid(&routers[0], &terms, 1));
    }
    // Router 0 alone covers the amount; router 1 bids a little later, within the window.
    let mut watch = nodes[0].decided.clone();
    let early = tokio::time::timeout(Duration::from_millis(300), async {
        loop {
            let selection = nodes[0].store.selection(terms.transfer_id).await;
            if selection.expect("store").is_some() {
                return;
            }
            watch.changed().await.expect("node running");
        }
    })
    .await;
    assert!(early.is_err(), "decided within the window");
    for node in &nodes {
        node.pool
            .add(terms.transfer_id, bid(&routers[1], &terms, 1));
    }
    let chosen = selected(&nodes[0], terms.transfer_id).await;
    assert!(
        first_bid.elapsed() >= WINDOW,
        "decided {:?} after the first bid",
        first_bid.elapsed()
    );
    let height = nodes[0]
        .store
        .selection(terms.transfer_id)
        .await
        .expect("store")
        .expect("decided")
        .height;
    let auction = nodes[0]
        .store
        .decided(height, height)
        .await
        .expect("store")
        .pop()
        .expect("its height")
        .batch
        .auctions
        .into_iter()
        .find(|auction| auction.terms.transfer_id == terms.transfer_id)
        .expect("its auction");
    let bidders: BTreeSet<Address> = auction.bids.iter().map(|bid| bid.router).collect();
    assert_eq!(
        bidders,
        BTreeSet::from([routers[0].address(), routers[1].address()]),
        "both bids decided on"
    );
    assert_eq!(chosen.len(), 1);
    for node in nodes {
        node.kill().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_equivocating_proposer_is_caught_and_the_batch_its_engine_signed_is_decided() {
    let Setup {
        root,
        routers,
        chain,
        mut network,
    } = Setup::new();
    // Node 0 streams, beside each batch it proposes, the same batch without its last auction:
    // valid too, signed for the same height and round.
    let without_last: Tamper = Arc::new(|batch: &mut nxtp_consensus::Batch| {
        batch.auctions.pop();
    });
    network.equivocating = Some((0, without_last));
    let nodes = network.start_all(root.path()).await;
    let liar = nodes[0].address;
    let honest = &nodes[1..];
    // Only node 0 holds the bids, so the transfers are decided on its turn, both in the batch
    // it proposed; its second batch holds one.
    let (first, second) = (transfer(1), transfer(2));
    for terms in [&first, &second] {
        chain.xcall(terms.clone());
        for router in &routers {
            nodes[0].pool.add(terms.transfer_id, bid(router, terms, 1));
        }
    }
    let network_id = network.genesis.validator_set().network_id();
    for node in honest {
        selected(node, first.transfer_id).await;
        selected(node, second.transfer_id).await;
        let height_of = |transfer_id| async move {
            let selection = node.store.selection(transfer_id).await.expect("store");
            selection.expect("decided").height
        };
        let height = height_of(first.transfer_id).await;
        assert_eq!(
            height_of(second.transfer_id).await,
            height,
            "{}: both in the batch node 0 proposed, not its second",
            node.address
        );
        // The evidence: both signed parts of that height, the two batches.
        let found = tokio::time::timeout(PATIENCE, async {
            loop {
                let kept = node.store.equivocations().await.expect("store");
                if let Some(found) = kept.into_iter().find(|found| found.height == height) {
                    return found;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{} kept no equivocation at {height}", node.address));
        let decided = node
            .store
            .decided(height, height)
            .await
            .expect("store")
            .pop()
            .expect("the height");
        assert_eq!(found.proposer, liar);
        let mut batches = [found.held.value.clone(), found.conflicting.value.clone()];
        batches.sort_by_key(|batch| batch.auctions.len());
        let mut second_batch = decided.batch.clone();
        second_batch.auctions.pop();
        assert_eq!(batches, [second_batch, decided.batch.clone()]);
        for part in [&found.held, &found.conflicting] {
            assert_eq!(part_signer(network_id, part), Some(liar));
            assert_eq!((part.height, part.round), (found.height, found.round));
        }
    }
    let to = *honest[0].decided.borrow();
    for node in honest {
        decided(node, to).await;
    }
    same_batches(&honest.iter().collect::<Vec<_>>(), to).await;
    every_batch_passes_the_check(&network, &honest[0]).await;
    for node in nodes {
        node.kill().await;
    }
}
