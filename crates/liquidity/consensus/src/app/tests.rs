//! The loop as the engine drives it, over channels: what it answers a received proposal part
//! and what it keeps of it.

use super::*;
use crate::context::{PartSignature, Validator};
use crate::value::{tests::terms, Auction, ExecuteEnd, Observation, Pool, TransferTerms};
use alloy::primitives::{Address, B256, U256};
use malachitebft_app_channel::app::consensus::Role;
use malachitebft_app_channel::app::events::TxEvent;
use malachitebft_app_channel::app::streaming::{StreamId, StreamMessage};
use malachitebft_app_channel::app::types::{Keypair, PeerId};
use malachitebft_app_channel::{AppMsg, Channels};
use std::collections::BTreeSet;
use tokio::sync::{mpsc, oneshot};

/// A view of the chains that has seen nothing: an empty batch passes its check, an auction
/// does not.
struct NothingSeen;

impl TransferSource for NothingSeen {
    fn terms(&self, _transfer_id: &B256) -> Option<TransferTerms> {
        None
    }
    fn execute_ended(&self, _transfer_id: &B256) -> Option<ExecuteEnd> {
        None
    }
    fn balance_at(&self, _pool: &Pool, _router: Address, _block: u64, _hash: B256) -> Option<U256> {
        None
    }
    fn balances(&self) -> Vec<Observation> {
        Vec::new()
    }
}

/// One node of four running its loop; the others' keys sign what it receives.
struct Loop {
    keys: Vec<NodeKey>,
    set: ValidatorSet,
    store: NodeStore,
    consensus: mpsc::Sender<AppMsg<Ctx>>,
    _home: tempfile::TempDir,
}

impl Loop {
    /// Starts the loop of a node that does not propose height 1, round 0, at that height.
    async fn start() -> Self {
        let keys: Vec<NodeKey> = (0..4).map(|_| NodeKey::random()).collect();
        let set = ValidatorSet::new(keys.iter().map(|key| Validator::new(key.public_key(), 1)));
        let home = tempfile::tempdir().expect("a folder");
        let store = NodeStore::open(&home.path().join("consensus.sqlite")).expect("opens");
        let me = keys
            .iter()
            .find(|key| key.address() != proposer(&set, Height(1)))
            .expect("a voter")
            .clone();
        let state = State::new(
            me,
            set.clone(),
            LinearTimeouts::default(),
            Rules::new(Arc::new(NothingSeen), Arc::new(BTreeSet::<Address>::new())),
            store.clone(),
            BidPool::new(),
            Ledger::default(),
            Pacing {
                idle_wait: Duration::ZERO,
                auction_window: Duration::ZERO,
            },
            watch::channel(Height(0)).0,
        );
        let (consensus, receiver) = mpsc::channel(8);
        let channels = Channels {
            consensus: receiver,
            network: mpsc::channel(8).0,
            events: TxEvent::new(),
            requests: mpsc::channel(8).0,
            net_requests: mpsc::channel(8).0,
        };
        tokio::spawn(run(state, channels));
        let (reply_value, seen) = oneshot::channel();
        consensus
            .send(AppMsg::StartedRound {
                height: Height(1),
                round: Round::new(0),
                proposer: proposer(&set, Height(1)),
                role: Role::Validator,
                reply_value,
            })
            .await
            .expect("the loop runs");
        assert_eq!(seen.await.expect("replies"), []);
        Self {
            keys,
            set,
            store,
            consensus,
            _home: home,
        }
    }

    /// The key of the proposer of height 1, round 0.
    fn proposer_key(&self) -> &NodeKey {
        let address = proposer(&self.set, Height(1));
        self.keys
            .iter()
            .find(|key| key.address() == address)
            .expect("a member")
    }

    /// `key`'s part proposing `value` at height 1, round 0.
    fn part(&self, key: &NodeKey, value: Batch) -> ProposalPart {
        key.sign_part(
            self.set.network_id(),
            Height(1),
            Round::new(0),
            Round::Nil,
            value,
        )
        .expect("signs")
    }

    /// What the loop answers the engine for `part`, streamed from a random peer.
    async fn receive(&self, part: ProposalPart) -> Option<ProposedValue<Ctx>> {
        let from =
            PeerId::from_bytes(&Keypair::generate_ed25519().public().to_peer_id().to_bytes())
                .expect("a peer id");
        let (reply, answer) = oneshot::channel();
        self.consensus
            .send(AppMsg::ReceivedProposalPart {
                from,
                published_by: Some(from),
                part: StreamMessage::new(
                    StreamId::new(Bytes::from_static(b"stream")),
                    0,
                    StreamContent::Data(part),
                ),
                reply,
            })
            .await
            .expect("the loop runs");
        answer.await.expect("replies")
    }

    /// The proposals the node keeps for height 1, round 0.
    async fn kept(&self) -> Vec<ProposedValue<Ctx>> {
        self.store
            .proposals(Height(1), Round::new(0), None)
            .await
            .expect("reads")
    }
}

fn proposer(set: &ValidatorSet, height: Height) -> NodeAddress {
    use malachitebft_app_channel::app::types::core::Context as _;
    Ctx.select_proposer(set, height, Round::new(0)).address
}

fn auction_batch() -> Batch {
    Batch {
        auctions: vec![Auction {
            terms: terms(1, 100),
            bids: Vec::new(),
            routers: Vec::new(),
        }],
        ..Batch::default()
    }
}

#[tokio::test]
async fn a_part_its_proposer_did_not_sign_is_refused_and_never_kept() {
    let node = Loop::start().await;
    let proposer = node.proposer_key().address();
    let other = node
        .keys
        .iter()
        .find(|key| key.address() != proposer)
        .expect("another member")
        .clone();
    let forged = [
        // Another member's signature, in the proposer's name.
        ProposalPart {
            proposer,
            ..node.part(&other, Batch::default())
        },
        // Garbage for a signature.
        ProposalPart {
            signature: PartSignature([7; 65]),
            ..node.part(node.proposer_key(), Batch::default())
        },
        // The proposer's signature of another batch.
        ProposalPart {
            value: auction_batch(),
            ..node.part(node.proposer_key(), Batch::default())
        },
    ];
    for part in forged {
        assert_eq!(
            node.receive(part).await,
            None,
            "nothing given to the engine"
        );
    }
    assert_eq!(node.kept().await, [], "nothing kept");
    assert_eq!(node.store.equivocations().await.expect("reads"), []);

    // The proposer's own part is checked, given to the engine and kept with its signature.
    let signed = node.part(node.proposer_key(), Batch::default());
    let proposed = node
        .receive(signed.clone())
        .await
        .expect("given to the engine");
    assert_eq!(
        (proposed.proposer, &proposed.value, proposed.validity),
        (proposer, &signed.value, Validity::Valid)
    );
    assert_eq!(node.kept().await, [proposed]);
    assert_eq!(
        node.store
            .signed_parts(Height(1), Round::new(0), proposer)
            .await
            .expect("reads"),
        [signed]
    );
}

#[tokio::test]
async fn an_equivocation_is_kept_and_both_batches_go_to_the_engine() {
    let node = Loop::start().await;
    let proposer = node.proposer_key().address();
    let first = node.part(node.proposer_key(), Batch::default());
    let second = node.part(node.proposer_key(), auction_batch());
    assert!(node.receive(first.clone()).await.is_some());
    // The same part again (a rebroadcast) is no equivocation.
    assert!(node.receive(first.clone()).await.is_some());
    assert_eq!(node.store.equivocations().await.expect("reads"), []);
    // Another batch for the same height and round: evidence, and still the engine's to pair.
    let started = std::time::Instant::now();
    let proposed = node
        .receive(second.clone())
        .await
        .expect("given to the engine");
    // Checked at once: this view never saw its transfer, and an equivocator's other batch gets
    // none of the patience (half the propose timeout) a lagging view is given.
    assert_eq!(proposed.validity, Validity::Invalid);
    assert!(started.elapsed() < LinearTimeouts::default().propose / 2);
    let kept = node.store.equivocations().await.expect("reads");
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (kept[0].proposer, &kept[0].held, &kept[0].conflicting),
        (proposer, &first, &second)
    );
    assert_eq!(node.kept().await.len(), 2, "both proposals kept");
}
