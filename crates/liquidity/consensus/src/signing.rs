//! Signing and verifying consensus messages with the node's Ethereum key, and signing the
//! EIP-712 `RouterSelection` of each decided auction with the same key.

use crate::context::{
    Height, NetworkId, NodeAddress, PartSignature, PrivateKey, Proposal, ProposalPart, PublicKey,
    SequencerContext as Ctx, Signature, Vote,
};
use crate::value::{Auction, Batch};
use crate::wire::{Wire, Writer};
use alloy::primitives::{keccak256, Address, Bytes, B256};
use alloy::signers::local::PrivateKeySigner;
use async_trait::async_trait;
use malachitebft_app_channel::app::types::core::SigningScheme as _;
use malachitebft_app_channel::app::types::core::{
    Round, SignedMessage, ValidatorProof, Value as _, VoteExtensionScope,
};
use malachitebft_app_channel::{Signer, Verifier};
use malachitebft_signing_ecdsa::K256;
use nxtp_primitives::{sign_digest, SignatureError};
use std::fmt;

/// Why a node key was refused.
#[derive(Debug, thiserror::Error)]
#[error("invalid node key: not a secp256k1 secret key")]
pub struct InvalidNodeKey;

/// Domain tags: a signature over one kind of message can never pass as another kind.
const VOTE_TAG: &[u8] = b"nxtp-consensus/vote/v1";
const PROPOSAL_TAG: &[u8] = b"nxtp-consensus/proposal/v1";
const EXTENSION_TAG: &[u8] = b"nxtp-consensus/vote-extension/v1";
const PROOF_TAG: &[u8] = b"nxtp-consensus/validator-proof/v1";
const PART_TAG: &[u8] = b"nxtp-consensus/proposal-part/v1";

fn tagged(tag: &[u8], body: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut out = Writer::new();
    out.fixed(tag);
    body(&mut out);
    out.into_bytes()
}

fn vote_bytes(vote: &Vote) -> Vec<u8> {
    // The extension is signed on its own (with its scope), not as part of the vote.
    let bare = Vote {
        extension: None,
        ..vote.clone()
    };
    tagged(VOTE_TAG, |out| bare.encode(out))
}

fn proposal_bytes(proposal: &Proposal) -> Vec<u8> {
    tagged(PROPOSAL_TAG, |out| proposal.encode(out))
}

fn extension_bytes(scope: &VoteExtensionScope<Ctx>, extension: &bytes::Bytes) -> Vec<u8> {
    tagged(EXTENSION_TAG, |out| {
        scope.height.encode(out);
        scope.round.encode(out);
        scope.value_id.encode(out);
        scope.validator_address.encode(out);
        out.bytes(extension);
    })
}

fn proof_bytes(public_key: &[u8], peer_id: &[u8]) -> Vec<u8> {
    tagged(PROOF_TAG, |out| {
        out.bytes(public_key);
        out.bytes(peer_id);
    })
}

/// What a proposer signs of a proposal part: the domain tag, the network, the height, the round,
/// the round of the proof of lock, the proposer and the batch's id (which commits to the whole
/// batch), so a signature answers for exactly one proposal of one network.
pub fn part_digest(
    network: NetworkId,
    height: Height,
    round: Round,
    pol_round: Round,
    proposer: NodeAddress,
    value: &Batch,
) -> B256 {
    keccak256(tagged(PART_TAG, |out| {
        network.0.encode(out);
        height.encode(out);
        round.encode(out);
        pol_round.encode(out);
        proposer.encode(out);
        value.id().0.encode(out);
    }))
}

/// Who signed `part` for `network`, if its signature recovers at all (65 bytes, low `s`, `v` 27
/// or 28: one form per signature, so a part cannot be re-signed into a second one).
pub fn part_signer(network: NetworkId, part: &ProposalPart) -> Option<NodeAddress> {
    let digest = part_digest(
        network,
        part.height,
        part.round,
        part.pol_round,
        part.proposer,
        &part.value,
    );
    nxtp_primitives::recover_digest(digest, &part.signature.0)
        .ok()
        .map(NodeAddress)
}

/// A sequencer node's key: its consensus identity and the key it signs selections with.
#[derive(Clone)]
pub struct NodeKey {
    consensus: PrivateKey,
    ethereum: PrivateKeySigner,
}

impl fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeKey")
            .field("address", &self.address())
            .finish_non_exhaustive()
    }
}

impl NodeKey {
    /// The key of the 32-byte secp256k1 secret `secret` (an Ethereum private key).
    pub fn from_secret(secret: &B256) -> Result<Self, InvalidNodeKey> {
        let consensus = PrivateKey::from_slice(secret.as_slice()).map_err(|_| InvalidNodeKey)?;
        let ethereum = PrivateKeySigner::from_bytes(secret).map_err(|_| InvalidNodeKey)?;
        Ok(Self {
            consensus,
            ethereum,
        })
    }

    /// A fresh random key.
    pub fn random() -> Self {
        let ethereum = PrivateKeySigner::random();
        let secret = B256::from_slice(&ethereum.to_bytes()[..]);
        // A secret alloy generated is a valid secp256k1 scalar for k256 too.
        let consensus = PrivateKey::from_slice(secret.as_slice())
            .unwrap_or_else(|_| unreachable!("alloy and k256 share the curve"));
        Self {
            consensus,
            ethereum,
        }
    }

    /// The node's address (its Ethereum address).
    pub fn address(&self) -> NodeAddress {
        NodeAddress(self.ethereum.address())
    }

    /// The consensus public key.
    pub fn public_key(&self) -> PublicKey {
        self.consensus.public_key()
    }

    /// The 32-byte secret, to derive the node's network identity from.
    pub fn secret(&self) -> B256 {
        B256::from_slice(&self.ethereum.to_bytes()[..])
    }

    /// Signs the EIP-712 `RouterSelection` of `auction` for its destination `Connext`: the
    /// statement `execute` checks a threshold of sequencers signed.
    pub fn sign_selection(&self, auction: &Auction) -> Result<Bytes, SignatureError> {
        let digest = auction
            .terms
            .signing_domain()
            .router_selection_digest(auction.terms.transfer_id, &auction.routers);
        Ok(Bytes::copy_from_slice(&sign_digest(
            &self.ethereum,
            digest,
        )?))
    }

    /// The part proposing `value` at `height` and `round` (re-proposed on the polka of
    /// `pol_round`, or nil) in `network`, signed by this node as its proposer.
    pub fn sign_part(
        &self,
        network: NetworkId,
        height: Height,
        round: Round,
        pol_round: Round,
        value: Batch,
    ) -> Result<ProposalPart, SignatureError> {
        let proposer = self.address();
        let digest = part_digest(network, height, round, pol_round, proposer, &value);
        Ok(ProposalPart {
            height,
            round,
            proposer,
            pol_round,
            value,
            signature: PartSignature(sign_digest(&self.ethereum, digest)?),
        })
    }

    fn sign(&self, bytes: &[u8]) -> Signature {
        self.consensus.sign(bytes)
    }
}

/// Recovers the signer of a `RouterSelection` signature of `auction`.
pub fn selection_signer(auction: &Auction, signature: &[u8]) -> Option<Address> {
    let digest = auction
        .terms
        .signing_domain()
        .router_selection_digest(auction.terms.transfer_id, &auction.routers);
    nxtp_primitives::recover_digest(digest, signature).ok()
}

fn verdict(
    key: &PublicKey,
    bytes: &[u8],
    signature: &Signature,
) -> malachitebft_app_channel::app::types::core::Validity {
    malachitebft_app_channel::app::types::core::Validity::from_bool(
        key.verify(bytes, signature).is_ok(),
    )
}

type SigningResult<T> = Result<T, malachitebft_signing::Error>;

/// Signs and verifies consensus messages for the engine.
#[derive(Clone, Debug)]
pub struct NodeSigner {
    key: NodeKey,
}

impl NodeSigner {
    /// The signer of `key`.
    pub fn new(key: NodeKey) -> Self {
        Self { key }
    }
}

#[async_trait]
impl Signer<Ctx> for NodeSigner {
    async fn sign_vote(&self, vote: Vote) -> SigningResult<SignedMessage<Ctx, Vote>> {
        let signature = self.key.sign(&vote_bytes(&vote));
        Ok(SignedMessage::new(vote, signature))
    }

    async fn sign_proposal(
        &self,
        proposal: Proposal,
    ) -> SigningResult<SignedMessage<Ctx, Proposal>> {
        let signature = self.key.sign(&proposal_bytes(&proposal));
        Ok(SignedMessage::new(proposal, signature))
    }

    async fn sign_vote_extension(
        &self,
        scope: VoteExtensionScope<Ctx>,
        extension: bytes::Bytes,
    ) -> SigningResult<SignedMessage<Ctx, bytes::Bytes>> {
        let signature = self.key.sign(&extension_bytes(&scope, &extension));
        Ok(SignedMessage::new(extension, signature))
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> SigningResult<ValidatorProof<Ctx>> {
        let signature = self.key.sign(&proof_bytes(&public_key, &peer_id));
        Ok(ValidatorProof::new(public_key, peer_id, signature))
    }
}

/// Verifies consensus messages against the signer's public key.
#[derive(Clone, Copy, Debug, Default)]
pub struct NodeVerifier;

#[async_trait]
impl Verifier<Ctx> for NodeVerifier {
    async fn verify_signed_vote(
        &self,
        vote: &Vote,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> SigningResult<malachitebft_signing::VerificationResult> {
        Ok(result(verdict(public_key, &vote_bytes(vote), signature)))
    }

    async fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> SigningResult<malachitebft_signing::VerificationResult> {
        Ok(result(verdict(
            public_key,
            &proposal_bytes(proposal),
            signature,
        )))
    }

    async fn verify_signed_vote_extension(
        &self,
        scope: &VoteExtensionScope<Ctx>,
        extension: &bytes::Bytes,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> SigningResult<malachitebft_signing::VerificationResult> {
        Ok(result(verdict(
            public_key,
            &extension_bytes(scope, extension),
            signature,
        )))
    }

    async fn verify_validator_proof(
        &self,
        proof: &ValidatorProof<Ctx>,
    ) -> SigningResult<malachitebft_signing::VerificationResult> {
        let Ok(public_key) = K256::decode_public_key(&proof.public_key) else {
            return Ok(malachitebft_signing::VerificationResult::Invalid);
        };
        Ok(result(verdict(
            &public_key,
            &proof_bytes(&proof.public_key, &proof.peer_id),
            &proof.signature,
        )))
    }
}

fn result(
    validity: malachitebft_app_channel::app::types::core::Validity,
) -> malachitebft_signing::VerificationResult {
    malachitebft_signing::VerificationResult::from_bool(validity.is_valid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Height;
    use crate::value::{tests::terms, BatchId};
    use malachitebft_app_channel::app::types::core::{NilOrVal, Round, VoteType};

    fn vote(voter: NodeAddress) -> Vote {
        Vote {
            vote_type: VoteType::Precommit,
            height: Height(3),
            round: Round::new(1),
            value_id: NilOrVal::Val(BatchId(B256::repeat_byte(5))),
            voter,
            extension: None,
        }
    }

    #[tokio::test]
    async fn the_node_address_is_the_ethereum_address_and_votes_verify() {
        let key = NodeKey::random();
        assert_eq!(NodeAddress::of(&key.public_key()), key.address());
        let again = NodeKey::from_secret(&key.secret()).expect("valid secret");
        assert_eq!(again.address(), key.address());
        assert!(NodeKey::from_secret(&B256::ZERO).is_err());

        let signer = NodeSigner::new(key.clone());
        let signed = signer.sign_vote(vote(key.address())).await.expect("signs");
        let check = |vote: &Vote, public_key: &PublicKey| {
            let vote = vote.clone();
            let public_key = public_key.clone();
            let signature = signed.signature.clone();
            async move {
                NodeVerifier
                    .verify_signed_vote(&vote, &signature, &public_key)
                    .await
                    .expect("verifies")
                    .is_valid()
            }
        };
        assert!(check(&signed.message, &key.public_key()).await);
        let mut altered = signed.message.clone();
        altered.round = Round::new(2);
        assert!(!check(&altered, &key.public_key()).await);
        assert!(!check(&signed.message, &NodeKey::random().public_key()).await);
    }

    #[test]
    fn a_part_recovers_to_its_proposer_only_as_signed() {
        let key = NodeKey::random();
        let network = NetworkId(B256::repeat_byte(7));
        let part = key
            .sign_part(
                network,
                Height(3),
                Round::new(1),
                Round::Nil,
                Batch::default(),
            )
            .expect("signs");
        assert_eq!(part.proposer, key.address());
        assert_eq!(part_signer(network, &part), Some(key.address()));
        let elsewhere = NetworkId(B256::repeat_byte(8));
        assert_ne!(part_signer(elsewhere, &part), Some(key.address()));
        for altered in [
            ProposalPart {
                height: Height(4),
                ..part.clone()
            },
            ProposalPart {
                round: Round::new(2),
                ..part.clone()
            },
            ProposalPart {
                pol_round: Round::new(0),
                ..part.clone()
            },
        ] {
            assert_ne!(part_signer(network, &altered), Some(key.address()));
        }
        // The other recovery id (v 27 <-> 28) names another key.
        let mut flipped = part;
        flipped.signature.0[64] ^= 0b111;
        assert_ne!(part_signer(network, &flipped), Some(key.address()));
    }

    #[test]
    fn selections_are_signed_for_the_destination_connext() {
        let key = NodeKey::random();
        let auction = Auction {
            terms: terms(1, 100),
            bids: Vec::new(),
            routers: vec![Address::repeat_byte(1)],
        };
        let signature = key.sign_selection(&auction).expect("signs");
        assert_eq!(
            selection_signer(&auction, &signature),
            Some(key.address().0)
        );
        let mut elsewhere = auction;
        elsewhere.terms.destination_chain_id += 1;
        assert_ne!(
            selection_signer(&elsewhere, &signature),
            Some(key.address().0)
        );
    }
}
