//! The Malachite [`Context`] of the sequencer network: heights, validators keyed by Ethereum
//! (secp256k1) keys, the proposal and vote messages, and the proposer rotation.

use crate::value::{Batch, BatchId};
use alloy::primitives::{keccak256, Address, B256};
use bytes::Bytes;
use malachitebft_app_channel::app::types::core::{
    self as core, Context, LinearTimeouts, NilOrVal, Round, SignedExtension, VoteType, VotingPower,
};
use malachitebft_signing_ecdsa::{K256Config, K256};
use std::fmt;

/// The signing scheme of consensus messages: ECDSA over secp256k1, Ethereum's curve.
pub type Scheme = K256;
/// A node's consensus public key.
pub type PublicKey = malachitebft_signing_ecdsa::PublicKey<K256Config>;
/// A node's consensus private key (the same 32 bytes as its Ethereum key).
pub type PrivateKey = malachitebft_signing_ecdsa::PrivateKey<K256Config>;
/// A consensus signature.
pub type Signature = malachitebft_signing_ecdsa::Signature<K256Config>;

/// A consensus height: one batch of auction results each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl core::Height for Height {
    const ZERO: Self = Self(0);
    const INITIAL: Self = Self(1);

    fn increment_by(&self, n: u64) -> Self {
        Self(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Self)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A sequencer node's address: the Ethereum address of its key, the one the contracts approve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeAddress(pub Address);

impl NodeAddress {
    /// The Ethereum address of `key`.
    pub fn of(key: &PublicKey) -> Self {
        let point = key.inner().to_encoded_point(false);
        // The uncompressed point is 0x04 || x || y; the address is the last 20 bytes of
        // keccak256(x || y).
        let hash = keccak256(&point.as_bytes()[1..]);
        Self(Address::from_slice(&hash[12..]))
    }
}

impl fmt::Display for NodeAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl core::Address for NodeAddress {}

/// A member of the sequencer set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
    /// Its address, derived from its key.
    pub address: NodeAddress,
    /// Its key.
    pub public_key: PublicKey,
    /// Its weight in votes (equal for every sequencer today).
    pub voting_power: VotingPower,
}

impl Validator {
    /// A validator of `public_key` with `voting_power`.
    pub fn new(public_key: PublicKey, voting_power: VotingPower) -> Self {
        Self {
            address: NodeAddress::of(&public_key),
            public_key,
            voting_power,
        }
    }
}

impl core::Validator<SequencerContext> for Validator {
    fn address(&self) -> &NodeAddress {
        &self.address
    }

    fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    fn voting_power(&self) -> VotingPower {
        self.voting_power
    }
}

/// The sequencer set, sorted by address so every node numbers it the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet {
    validators: Vec<Validator>,
}

impl ValidatorSet {
    /// The set of `validators` (sorted by address; a repeated address keeps its first entry).
    pub fn new(validators: impl IntoIterator<Item = Validator>) -> Self {
        let mut validators: Vec<Validator> = validators.into_iter().collect();
        validators.sort_by_key(|validator| validator.address);
        validators.dedup_by_key(|validator| validator.address);
        Self { validators }
    }

    /// The members, by address.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// The identity of the network this set runs: what a proposer's part signature binds, so
    /// a part signed for one sequencer network never passes in another that shares a key.
    /// The set is what every node of a network agrees on before height 1 and what no other
    /// network has in full; unlike a selection, a batch spans many destinations, so no single
    /// chain and `Connext` identifies it.
    pub fn network_id(&self) -> NetworkId {
        let mut bytes = NETWORK_TAG.to_vec();
        for validator in &self.validators {
            bytes.extend_from_slice(validator.address.0.as_slice());
        }
        NetworkId(keccak256(bytes))
    }
}

/// The domain tag of [`ValidatorSet::network_id`].
const NETWORK_TAG: &[u8] = b"nxtp-consensus/network/v1";

/// The identity of a sequencer network: the hash of its sequencer set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NetworkId(pub B256);

impl core::ValidatorSet<SequencerContext> for ValidatorSet {
    fn count(&self) -> usize {
        self.validators.len()
    }

    fn total_voting_power(&self) -> VotingPower {
        self.validators
            .iter()
            .fold(0, |sum: VotingPower, v| sum.saturating_add(v.voting_power))
    }

    fn get_by_address(&self, address: &NodeAddress) -> Option<&Validator> {
        self.validators.iter().find(|v| &v.address == address)
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }
}

/// A proposal: the batch the proposer offers at a height and round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// The batch.
    pub value: Batch,
    /// The round of the proof of lock, if the proposer re-proposes a locked value.
    pub pol_round: Round,
    /// The proposer.
    pub proposer: NodeAddress,
}

impl core::Proposal<SequencerContext> for Proposal {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &Batch {
        &self.value
    }

    fn take_value(self) -> Batch {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &NodeAddress {
        &self.proposer
    }
}

/// A prevote or precommit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    /// Prevote or precommit.
    pub vote_type: VoteType,
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// The batch voted for, or nil.
    pub value_id: NilOrVal<BatchId>,
    /// The voter.
    pub voter: NodeAddress,
    /// A precommit's extension (unused while extensions are disabled).
    pub extension: Option<SignedExtension<SequencerContext>>,
}

impl core::Vote<SequencerContext> for Vote {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<BatchId> {
        &self.value_id
    }

    fn take_value(self) -> NilOrVal<BatchId> {
        self.value_id
    }

    fn vote_type(&self) -> VoteType {
        self.vote_type
    }

    fn validator_address(&self) -> &NodeAddress {
        &self.voter
    }

    fn extension(&self) -> Option<&SignedExtension<SequencerContext>> {
        self.extension.as_ref()
    }

    fn take_extension(&mut self) -> Option<SignedExtension<SequencerContext>> {
        self.extension.take()
    }

    fn extend(self, extension: SignedExtension<SequencerContext>) -> Self {
        Self {
            extension: Some(extension),
            ..self
        }
    }
}

/// The part a proposer streams so the others can rebuild its proposal: the whole batch, which
/// is small (a bid is about a hundred bytes), in one part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposalPart {
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// The proposer.
    pub proposer: NodeAddress,
    /// The round whose polka the proposer re-proposes the batch on, or nil for a new batch.
    pub pol_round: Round,
    /// The batch proposed.
    pub value: Batch,
    /// The proposer's signature of all the above for its network (`signing::part_digest`):
    /// Malachite does not authenticate streamed parts, so without it any peer could stream a
    /// proposal in the proposer's name.
    pub signature: PartSignature,
}

/// A proposer's signature of a proposal part: 65 bytes, `r || s || v`, as Ethereum signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PartSignature(pub [u8; 65]);

impl core::ProposalPart<SequencerContext> for ProposalPart {
    fn is_first(&self) -> bool {
        true
    }

    fn is_last(&self) -> bool {
        true
    }
}

/// The sequencer network's Malachite context.
#[derive(Clone, Copy, Debug, Default)]
pub struct SequencerContext;

impl Context for SequencerContext {
    type Address = NodeAddress;
    type Height = Height;
    type ProposalPart = ProposalPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Timeouts = LinearTimeouts;
    type Value = Batch;
    type Vote = Vote;
    type Extension = Bytes;
    type SigningScheme = Scheme;

    /// Round robin over the set by address: height `h`, round `r` is proposed by member
    /// `(h + r) mod n`, so every node gets its turn and a silent one is skipped next round.
    fn select_proposer<'a>(
        &self,
        validator_set: &'a ValidatorSet,
        height: Height,
        round: Round,
    ) -> &'a Validator {
        let count = validator_set.validators.len().max(1) as u64;
        let round = u64::from(round.as_u32().unwrap_or(0));
        let index = height.0.wrapping_add(round) % count;
        // The engine never starts a height with an empty set; index 0 then exists.
        &validator_set.validators[usize::try_from(index).unwrap_or(0)]
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: Batch,
        pol_round: Round,
        address: NodeAddress,
    ) -> Proposal {
        Proposal {
            height,
            round,
            value,
            pol_round,
            proposer: address,
        }
    }

    fn new_prevote(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<BatchId>,
        address: NodeAddress,
    ) -> Vote {
        Vote {
            vote_type: VoteType::Prevote,
            height,
            round,
            value_id,
            voter: address,
            extension: None,
        }
    }

    fn new_precommit(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<BatchId>,
        address: NodeAddress,
    ) -> Vote {
        Vote {
            vote_type: VoteType::Precommit,
            height,
            round,
            value_id,
            voter: address,
            extension: None,
        }
    }
}
