//! Proposal parts as a node receives them. Malachite does not authenticate streamed parts, so a
//! part counts only if the proposer of its height and round signed it ([`authenticate`]); and a
//! proposer that signs two different batches for one height and round is caught, and the two
//! signed parts kept as evidence ([`record_equivocation`]).

use crate::context::{NetworkId, NodeAddress, ProposalPart, SequencerContext as Ctx, ValidatorSet};
use crate::signing::part_signer;
use crate::store::{Equivocation, NodeStore, StoreError};
use malachitebft_app_channel::app::types::core::{Context as _, Value as _, Vote as _};
use malachitebft_app_channel::app::types::MisbehaviorEvidence;
use tracing::{debug, warn};

/// Why a received part was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PartRefused {
    /// Its signature does not recover to the proposer of its height and round.
    #[error("not signed by {expected}, the proposer of its height and round (signer: {signer:?})")]
    NotSignedByProposer {
        /// The proposer of the part's height and round.
        expected: NodeAddress,
        /// Who the signature recovers to, if anyone.
        signer: Option<NodeAddress>,
    },
    /// The proposer signed it, naming another node as the proposer.
    #[error("names {claimed} as its proposer, not {expected}")]
    NotTheProposer {
        /// The proposer the part names.
        claimed: NodeAddress,
        /// The proposer of the part's height and round.
        expected: NodeAddress,
    },
}

/// Accepts `part` only if the proposer of its height and round in `validators` signed it for
/// `network`, naming itself: checked before anything else, since until then the part is
/// anyone's word.
pub fn authenticate(
    network: NetworkId,
    validators: &ValidatorSet,
    part: &ProposalPart,
) -> Result<(), PartRefused> {
    let expected = Ctx
        .select_proposer(validators, part.height, part.round)
        .address;
    let signer = part_signer(network, part);
    if signer != Some(expected) {
        return Err(PartRefused::NotSignedByProposer { expected, signer });
    }
    if part.proposer != expected {
        return Err(PartRefused::NotTheProposer {
            claimed: part.proposer,
            expected,
        });
    }
    Ok(())
}

/// The equivocation an authenticated `part` proves against the signed parts `store` keeps of its
/// proposer at its height and round: the first kept whose batch differs. A part whose batch is
/// kept already (a rebroadcast, a restream) proves nothing.
pub async fn equivocation(
    store: &NodeStore,
    part: &ProposalPart,
) -> Result<Option<Equivocation>, StoreError> {
    let kept = store
        .signed_parts(part.height, part.round, part.proposer)
        .await?;
    let id = part.value.id();
    if kept.iter().any(|held| held.value.id() == id) {
        return Ok(None);
    }
    Ok(kept.into_iter().next().map(|held| Equivocation {
        height: part.height,
        round: part.round,
        proposer: part.proposer,
        held,
        conflicting: part.clone(),
    }))
}

/// Keeps the equivocation an authenticated `part` proves, if any, and reports it once per
/// conflicting batch however often the part is rebroadcast. Returns it, new or not: its
/// proposer is proven Byzantine at this height and round.
pub async fn record_equivocation(
    store: &NodeStore,
    part: &ProposalPart,
) -> Result<Option<Equivocation>, StoreError> {
    let Some(found) = equivocation(store, part).await? else {
        return Ok(None);
    };
    if !store.keep_equivocation(&found).await? {
        debug!(height = %found.height, round = %found.round, proposer = %found.proposer, "An equivocation kept already, again");
        return Ok(Some(found));
    }
    warn!(
        height = %found.height,
        round = %found.round,
        proposer = %found.proposer,
        held = %found.held.value.id(),
        conflicting = %found.conflicting.value.id(),
        "Proposal equivocation: the proposer signed two different batches for one height and round (both signed parts kept as evidence)"
    );
    Ok(Some(found))
}

/// Reports the equivocations Malachite itself proved since the last decision: two signed
/// proposal messages, or two signed votes, of one sequencer for one height and round.
pub fn report_engine_evidence(evidence: &MisbehaviorEvidence<Ctx>) {
    for (proposer, pairs) in &evidence.proposals {
        for (first, second) in pairs {
            warn!(
                height = %first.message.height,
                round = %first.message.round,
                %proposer,
                first = %first.message.value.id(),
                second = %second.message.value.id(),
                "Proposal equivocation proven by the engine: the proposer signed two proposals"
            );
        }
    }
    for (voter, pairs) in &evidence.votes {
        for (first, second) in pairs {
            warn!(
                height = %first.message.height,
                round = %first.message.round,
                %voter,
                kind = ?first.message.vote_type(),
                first = ?first.message.value_id,
                second = ?second.message.value_id,
                "Vote equivocation proven by the engine: the sequencer signed two votes"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Height, Validator};
    use crate::signing::NodeKey;
    use crate::value::{tests::terms, Auction, Batch};
    use malachitebft_app_channel::app::types::core::{Round, Validity};
    use malachitebft_app_channel::app::types::ProposedValue;

    /// Four sequencers, their set, and its network id.
    struct Network {
        keys: Vec<NodeKey>,
        set: ValidatorSet,
        id: NetworkId,
    }

    fn network() -> Network {
        let keys: Vec<NodeKey> = (0..4).map(|_| NodeKey::random()).collect();
        let set = ValidatorSet::new(keys.iter().map(|key| Validator::new(key.public_key(), 1)));
        let id = set.network_id();
        Network { keys, set, id }
    }

    impl Network {
        fn proposer_key(&self, height: Height, round: Round) -> &NodeKey {
            let address = Ctx.select_proposer(&self.set, height, round).address;
            self.keys
                .iter()
                .find(|key| key.address() == address)
                .expect("a member's key")
        }

        fn part(&self, key: &NodeKey, height: Height, round: Round, value: Batch) -> ProposalPart {
            key.sign_part(self.id, height, round, Round::Nil, value)
                .expect("signs")
        }
    }

    fn batch(transfer: u8) -> Batch {
        Batch {
            auctions: vec![Auction {
                terms: terms(transfer, 100),
                bids: Vec::new(),
                routers: Vec::new(),
            }],
            ..Batch::default()
        }
    }

    fn store() -> (tempfile::TempDir, NodeStore) {
        let dir = tempfile::tempdir().expect("a folder");
        let store = NodeStore::open(&dir.path().join("consensus.sqlite")).expect("opens");
        (dir, store)
    }

    /// Keeps `part` as the node does once it checked it.
    async fn keep(store: &NodeStore, part: &ProposalPart) {
        let proposed = ProposedValue {
            height: part.height,
            round: part.round,
            valid_round: part.pol_round,
            proposer: part.proposer,
            value: part.value.clone(),
            validity: Validity::Valid,
        };
        store
            .keep_proposal(&proposed, Some(part.signature))
            .await
            .expect("keeps");
    }

    #[test]
    fn only_the_proposer_of_the_height_and_round_signing_as_itself_is_accepted() {
        let net = network();
        let (height, round) = (Height(5), Round::new(1));
        let proposer = net.proposer_key(height, round);
        let expected = proposer.address();
        let part = net.part(proposer, height, round, batch(1));
        assert_eq!(authenticate(net.id, &net.set, &part), Ok(()));

        // Signed by another member, naming itself or the proposer.
        let other = net
            .keys
            .iter()
            .find(|key| key.address() != expected)
            .expect("another member");
        let by_other = net.part(other, height, round, batch(1));
        assert_eq!(
            authenticate(net.id, &net.set, &by_other),
            Err(PartRefused::NotSignedByProposer {
                expected,
                signer: Some(other.address()),
            })
        );
        let in_its_name = ProposalPart {
            proposer: expected,
            ..by_other
        };
        assert!(matches!(
            authenticate(net.id, &net.set, &in_its_name),
            Err(PartRefused::NotSignedByProposer { signer, .. }) if signer != Some(expected)
        ));

        // Signed by the proposer, but for another height, another network, or another batch.
        let for_another_height = ProposalPart {
            height: Height(6),
            round: Round::new(0),
            ..part.clone()
        };
        // Height 6 round 0 has the same proposer as height 5 round 1: only the signature
        // tells the part was signed for height 5.
        assert_eq!(
            net.proposer_key(Height(6), Round::new(0)).address(),
            expected
        );
        assert!(matches!(
            authenticate(net.id, &net.set, &for_another_height),
            Err(PartRefused::NotSignedByProposer { .. })
        ));
        let other_network = network();
        assert!(matches!(
            authenticate(other_network.id, &net.set, &part),
            Err(PartRefused::NotSignedByProposer { .. })
        ));
        let other_batch = ProposalPart {
            value: batch(2),
            ..part
        };
        assert!(matches!(
            authenticate(net.id, &net.set, &other_batch),
            Err(PartRefused::NotSignedByProposer { .. })
        ));

        // Garbage where the signature goes.
        let garbage = ProposalPart {
            signature: crate::context::PartSignature([0xab; 65]),
            ..part
        };
        assert_eq!(
            authenticate(net.id, &net.set, &garbage),
            Err(PartRefused::NotSignedByProposer {
                expected,
                signer: None,
            })
        );
    }

    #[tokio::test]
    async fn a_second_batch_signed_for_one_height_and_round_is_kept_as_evidence() {
        let net = network();
        let (height, round) = (Height(5), Round::new(1));
        let proposer = net.proposer_key(height, round);
        let (dir, store) = store();
        let first = net.part(proposer, height, round, batch(1));
        let second = net.part(proposer, height, round, batch(2));

        assert_eq!(
            record_equivocation(&store, &first).await.expect("reads"),
            None
        );
        keep(&store, &first).await;
        let found = record_equivocation(&store, &second)
            .await
            .expect("reads")
            .expect("an equivocation");
        let expected = Equivocation {
            height,
            round,
            proposer: proposer.address(),
            held: first.clone(),
            conflicting: second.clone(),
        };
        assert_eq!(found, expected);
        keep(&store, &second).await;
        // Each signed part is the proposer's: the evidence proves itself.
        for part in [&found.held, &found.conflicting] {
            assert_eq!(authenticate(net.id, &net.set, part), Ok(()));
        }

        // Received again, either one: both batches are held, nothing new to prove.
        assert_eq!(
            record_equivocation(&store, &second).await.expect("reads"),
            None
        );
        assert_eq!(
            record_equivocation(&store, &first).await.expect("reads"),
            None
        );
        assert_eq!(
            store.equivocations().await.expect("reads"),
            std::slice::from_ref(&expected)
        );

        // A third batch is one more piece of evidence.
        let third = net.part(proposer, height, round, Batch::default());
        let found = record_equivocation(&store, &third)
            .await
            .expect("reads")
            .expect("an equivocation");
        assert_eq!(found.conflicting, third);

        // The evidence outlives the height's decision and a restart.
        store
            .commit(
                &crate::store::Decided {
                    height,
                    batch: first.value.clone(),
                    certificate:
                        malachitebft_app_channel::app::types::core::ExtendedCommitCertificate {
                            height,
                            round,
                            value_id: first.value.id(),
                            commit_signatures: Vec::new(),
                        },
                },
                &[],
                &[],
            )
            .await
            .expect("commits");
        drop(store);
        let reopened = NodeStore::open(&dir.path().join("consensus.sqlite")).expect("reopens");
        let kept = reopened.equivocations().await.expect("reads");
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0], expected);
        assert_eq!(kept[1].conflicting, third);
        assert!(reopened
            .signed_parts(height, round, proposer.address())
            .await
            .expect("reads")
            .is_empty());
    }

    #[tokio::test]
    async fn the_same_proposal_again_or_in_another_round_is_no_equivocation() {
        let net = network();
        let (height, round) = (Height(5), Round::new(1));
        let proposer = net.proposer_key(height, round);
        let (_dir, store) = store();
        let part = net.part(proposer, height, round, batch(1));
        keep(&store, &part).await;
        // An honest rebroadcast (the same signed part, as a restream sends it).
        assert_eq!(
            record_equivocation(&store, &part).await.expect("reads"),
            None
        );
        // The same proposer's proposal of the next round, with another batch: a new round.
        let next_round = Round::new(1 + 4);
        let later = net.part(proposer, height, next_round, batch(2));
        assert_eq!(
            record_equivocation(&store, &later).await.expect("reads"),
            None
        );
        // Another proposer's batch at the same height and round is not this one's to answer for.
        let other = net
            .keys
            .iter()
            .find(|key| key.address() != proposer.address())
            .expect("another member");
        let not_its = net.part(other, height, round, batch(3));
        assert_eq!(
            record_equivocation(&store, &not_its).await.expect("reads"),
            None
        );
        assert!(store.equivocations().await.expect("reads").is_empty());
    }
}
