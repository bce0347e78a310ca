//! The codec of everything the engine sends, logs or syncs: consensus messages, proposal
//! parts, liveness messages, validator proofs, sync requests and responses, and the
//! write-ahead log's entries, all in the canonical [`crate::wire`] encoding.

use crate::context::{
    Height, NodeAddress, PartSignature, Proposal, ProposalPart, SequencerContext as Ctx, Signature,
    Vote,
};
use crate::value::{Batch, BatchId};
use crate::wire::{Reader, Wire, WireError, Writer};
use bytes::Bytes;
use malachitebft_app_channel::app::consensus::LivenessMsg;
use malachitebft_app_channel::app::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::codec::{Codec, HasEncodedLen};
use malachitebft_app_channel::app::types::core::{
    CommitCertificate, CommitSignature, ExtendedCommitCertificate, ExtendedCommitSignature,
    NilOrVal, PolkaCertificate, PolkaSignature, Round, RoundCertificate, RoundCertificateType,
    RoundSignature, SignedMessage, ValidatorProof, Validity, VoteType,
};
use malachitebft_app_channel::app::types::sync::{RawDecidedValue, Request, Response, Status};
use malachitebft_app_channel::app::types::{PeerId, ProposedValue, SignedConsensusMsg};
use malachitebft_sync::{ValueRequest, ValueResponse};

/// The node's codec for the network, the write-ahead log and value sync.
#[derive(Clone, Copy, Debug, Default)]
pub struct WireCodec;

/// Length of an encoded consensus signature (r || s).
const SIGNATURE_BYTES: usize = 64;

impl Wire for Height {
    fn encode(&self, out: &mut Writer) {
        out.u64(self.0);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self(input.u64()?))
    }
}

impl Wire for NodeAddress {
    fn encode(&self, out: &mut Writer) {
        self.0.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self(Wire::decode(input)?))
    }
}

impl Wire for Round {
    fn encode(&self, out: &mut Writer) {
        out.i64(self.as_i64());
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        // Nil is only -1 (what `as_i64` writes): another negative would be a second encoding of
        // the same message, and the encoding is canonical.
        match input.i64()? {
            -1 => Ok(Self::Nil),
            round => u32::try_from(round)
                .map(Self::new)
                .map_err(|err| WireError::invalid("round", err)),
        }
    }
}

impl Wire for Signature {
    fn encode(&self, out: &mut Writer) {
        out.fixed(&self.to_vec());
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Self::from_slice(input.take(SIGNATURE_BYTES)?)
            .map_err(|err| WireError::invalid("signature", err))
    }
}

impl Wire for PartSignature {
    fn encode(&self, out: &mut Writer) {
        out.fixed(&self.0);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        // Fixed length: whether it is a signature at all is the receiver's check, which
        // recovers its signer.
        Ok(Self(input.array()?))
    }
}

impl Wire for VoteType {
    fn encode(&self, out: &mut Writer) {
        out.u8(match self {
            Self::Prevote => 0,
            Self::Precommit => 1,
        });
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        match input.u8()? {
            0 => Ok(Self::Prevote),
            1 => Ok(Self::Precommit),
            tag => Err(WireError::invalid("vote type", tag)),
        }
    }
}

impl Wire for NilOrVal<BatchId> {
    fn encode(&self, out: &mut Writer) {
        match self {
            Self::Nil => out.u8(0),
            Self::Val(id) => {
                out.u8(1);
                id.encode(out);
            }
        }
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        match input.u8()? {
            0 => Ok(Self::Nil),
            1 => Ok(Self::Val(BatchId::decode(input)?)),
            tag => Err(WireError::invalid("nil-or-value tag", tag)),
        }
    }
}

impl<M: Wire> Wire for SignedMessage<Ctx, M> {
    fn encode(&self, out: &mut Writer) {
        self.message.encode(out);
        self.signature.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self::new(M::decode(input)?, Signature::decode(input)?))
    }
}

impl Wire for Bytes {
    fn encode(&self, out: &mut Writer) {
        out.bytes(self);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self::copy_from_slice(input.bytes()?))
    }
}

impl Wire for Vote {
    fn encode(&self, out: &mut Writer) {
        self.vote_type.encode(out);
        self.height.encode(out);
        self.round.encode(out);
        self.value_id.encode(out);
        self.voter.encode(out);
        self.extension.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            vote_type: Wire::decode(input)?,
            height: Wire::decode(input)?,
            round: Wire::decode(input)?,
            value_id: Wire::decode(input)?,
            voter: Wire::decode(input)?,
            extension: Wire::decode(input)?,
        })
    }
}

impl Wire for Proposal {
    fn encode(&self, out: &mut Writer) {
        self.height.encode(out);
        self.round.encode(out);
        self.value.encode(out);
        self.pol_round.encode(out);
        self.proposer.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            height: Wire::decode(input)?,
            round: Wire::decode(input)?,
            value: Wire::decode(input)?,
            pol_round: Wire::decode(input)?,
            proposer: Wire::decode(input)?,
        })
    }
}

impl Wire for ProposalPart {
    fn encode(&self, out: &mut Writer) {
        self.height.encode(out);
        self.round.encode(out);
        self.proposer.encode(out);
        self.pol_round.encode(out);
        self.value.encode(out);
        self.signature.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            height: Wire::decode(input)?,
            round: Wire::decode(input)?,
            proposer: Wire::decode(input)?,
            pol_round: Wire::decode(input)?,
            value: Batch::decode(input)?,
            signature: Wire::decode(input)?,
        })
    }
}

impl Wire for SignedConsensusMsg<Ctx> {
    fn encode(&self, out: &mut Writer) {
        match self {
            Self::Vote(vote) => {
                out.u8(0);
                vote.encode(out);
            }
            Self::Proposal(proposal) => {
                out.u8(1);
                proposal.encode(out);
            }
        }
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        match input.u8()? {
            0 => Ok(Self::Vote(Wire::decode(input)?)),
            1 => Ok(Self::Proposal(Wire::decode(input)?)),
            tag => Err(WireError::invalid("consensus message tag", tag)),
        }
    }
}

impl Wire for PolkaSignature<Ctx> {
    fn encode(&self, out: &mut Writer) {
        self.address.encode(out);
        self.signature.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self::new(Wire::decode(input)?, Wire::decode(input)?))
    }
}

impl Wire for PolkaCertificate<Ctx> {
    fn encode(&self, out: &mut Writer) {
        self.height.encode(out);
        self.round.encode(out);
        self.value_id.encode(out);
        out.seq(&self.polka_signatures);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            height: Wire::decode(input)?,
            round: Wire::decode(input)?,
            value_id: Wire::decode(input)?,
            polka_signatures: input.seq()?,
        })
    }
}

impl Wire for RoundSignature<Ctx> {
    fn encode(&self, out: &mut Writer) {
        self.vote_type.encode(out);
        self.value_id.encode(out);
        self.address.encode(out);
        self.signature.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self::new(
            Wire::decode(input)?,
            Wire::decode(input)?,
            Wire::decode(input)?,
            Wire::decode(input)?,
        ))
    }
}

impl Wire for RoundCertificate<Ctx> {
    fn encode(&self, out: &mut Writer) {
        self.height.encode(out);
        self.round.encode(out);
        out.u8(match self.cert_type {
            RoundCertificateType::Skip => 0,
            RoundCertificateType::Precommit => 1,
        });
        out.seq(&self.round_signatures);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            height: Wire::decode(input)?,
            round: Wire::decode(input)?,
            cert_type: match input.u8()? {
                0 => RoundCertificateType::Skip,
                1 => RoundCertificateType::Precommit,
                tag => return Err(WireError::invalid("round certificate type", tag)),
            },
            round_signatures: input.seq()?,
        })
    }
}

impl Wire for LivenessMsg<Ctx> {
    fn encode(&self, out: &mut Writer) {
        match self {
            Self::Vote(vote) => {
                out.u8(0);
                vote.encode(out);
            }
            Self::PolkaCertificate(certificate) => {
                out.u8(1);
                certificate.encode(out);
            }
            Self::SkipRoundCertificate(certificate) => {
                out.u8(2);
                certificate.encode(out);
            }
        }
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        match input.u8()? {
            0 => Ok(Self::Vote(Wire::decode(input)?)),
            1 => Ok(Self::PolkaCertificate(Wire::decode(input)?)),
            2 => Ok(Self::SkipRoundCertificate(Wire::decode(input)?)),
            tag => Err(WireError::invalid("liveness message tag", tag)),
        }
    }
}

impl Wire for StreamMessage<ProposalPart> {
    fn encode(&self, out: &mut Writer) {
        out.bytes(&self.stream_id.to_bytes());
        out.u64(self.sequence);
        match &self.content {
            StreamContent::Data(part) => {
                out.u8(0);
                part.encode(out);
            }
            StreamContent::Fin => out.u8(1),
        }
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        let stream_id = StreamId::new(Bytes::copy_from_slice(input.bytes()?));
        let sequence = input.u64()?;
        let content = match input.u8()? {
            0 => StreamContent::Data(ProposalPart::decode(input)?),
            1 => StreamContent::Fin,
            tag => return Err(WireError::invalid("stream content tag", tag)),
        };
        Ok(Self::new(stream_id, sequence, content))
    }
}

impl Wire for ValidatorProof<Ctx> {
    fn encode(&self, out: &mut Writer) {
        out.bytes(&self.public_key);
        out.bytes(&self.peer_id);
        self.signature.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self::new(
            input.bytes()?.to_vec(),
            input.bytes()?.to_vec(),
            Wire::decode(input)?,
        ))
    }
}

impl Wire for PeerId {
    fn encode(&self, out: &mut Writer) {
        out.bytes(&self.to_bytes());
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Self::from_bytes(input.bytes()?).map_err(|err| WireError::invalid("peer id", err))
    }
}

impl Wire for Status<Ctx> {
    fn encode(&self, out: &mut Writer) {
        self.peer_id.encode(out);
        self.tip_height.encode(out);
        self.history_min_height.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            peer_id: Wire::decode(input)?,
            tip_height: Wire::decode(input)?,
            history_min_height: Wire::decode(input)?,
        })
    }
}

impl Wire for Request<Ctx> {
    fn encode(&self, out: &mut Writer) {
        match self {
            Self::ValueRequest(request) => {
                out.u8(0);
                request.range.start().encode(out);
                request.range.end().encode(out);
            }
        }
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        match input.u8()? {
            0 => {
                let start = Height::decode(input)?;
                let end = Height::decode(input)?;
                Ok(Self::ValueRequest(ValueRequest::new(start..=end)))
            }
            tag => Err(WireError::invalid("sync request tag", tag)),
        }
    }
}

impl Wire for ExtendedCommitSignature<Ctx> {
    fn encode(&self, out: &mut Writer) {
        self.address.encode(out);
        self.signature.encode(out);
        self.extension.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self::new(
            Wire::decode(input)?,
            Wire::decode(input)?,
            Wire::decode(input)?,
        ))
    }
}

impl Wire for ExtendedCommitCertificate<Ctx> {
    fn encode(&self, out: &mut Writer) {
        self.height.encode(out);
        self.round.encode(out);
        self.value_id.encode(out);
        out.seq(&self.commit_signatures);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            height: Wire::decode(input)?,
            round: Wire::decode(input)?,
            value_id: Wire::decode(input)?,
            commit_signatures: input.seq()?,
        })
    }
}

impl Wire for CommitSignature<Ctx> {
    fn encode(&self, out: &mut Writer) {
        self.address.encode(out);
        self.signature.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self::new(Wire::decode(input)?, Wire::decode(input)?))
    }
}

impl Wire for CommitCertificate<Ctx> {
    fn encode(&self, out: &mut Writer) {
        self.height.encode(out);
        self.round.encode(out);
        self.value_id.encode(out);
        out.seq(&self.commit_signatures);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            height: Wire::decode(input)?,
            round: Wire::decode(input)?,
            value_id: Wire::decode(input)?,
            commit_signatures: input.seq()?,
        })
    }
}

impl Wire for RawDecidedValue<Ctx> {
    fn encode(&self, out: &mut Writer) {
        out.bytes(&self.value_bytes);
        self.certificate.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            value_bytes: Bytes::copy_from_slice(input.bytes()?),
            certificate: Wire::decode(input)?,
        })
    }
}

impl Wire for Response<Ctx> {
    fn encode(&self, out: &mut Writer) {
        match self {
            Self::ValueResponse(response) => {
                out.u8(0);
                response.start_height.encode(out);
                out.seq(&response.values);
            }
        }
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        match input.u8()? {
            0 => {
                let start_height = Height::decode(input)?;
                let values = input.seq()?;
                Ok(Self::ValueResponse(ValueResponse::new(
                    start_height,
                    values,
                )))
            }
            tag => Err(WireError::invalid("sync response tag", tag)),
        }
    }
}

impl Wire for ProposedValue<Ctx> {
    fn encode(&self, out: &mut Writer) {
        self.height.encode(out);
        self.round.encode(out);
        self.valid_round.encode(out);
        self.proposer.encode(out);
        self.value.encode(out);
        out.u8(u8::from(self.validity.is_valid()));
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            height: Wire::decode(input)?,
            round: Wire::decode(input)?,
            valid_round: Wire::decode(input)?,
            proposer: Wire::decode(input)?,
            value: Wire::decode(input)?,
            validity: match input.u8()? {
                0 => Validity::Invalid,
                1 => Validity::Valid,
                tag => return Err(WireError::invalid("validity", tag)),
            },
        })
    }
}

/// Implements [`Codec`] for each message type through its [`Wire`] encoding.
macro_rules! wire_codec {
    ($($ty:ty),* $(,)?) => {$(
        impl Codec<$ty> for WireCodec {
            type Error = WireError;

            fn decode(&self, bytes: Bytes) -> Result<$ty, WireError> {
                <$ty as Wire>::from_wire(&bytes)
            }

            fn encode(&self, msg: &$ty) -> Result<Bytes, WireError> {
                Ok(Bytes::from(msg.to_wire()))
            }
        }
    )*};
}

wire_codec!(
    ProposalPart,
    SignedConsensusMsg<Ctx>,
    LivenessMsg<Ctx>,
    StreamMessage<ProposalPart>,
    ValidatorProof<Ctx>,
    Status<Ctx>,
    Request<Ctx>,
    Response<Ctx>,
    ProposedValue<Ctx>,
    PolkaCertificate<Ctx>,
);

impl HasEncodedLen<Response<Ctx>> for WireCodec {
    fn encoded_len(&self, msg: &Response<Ctx>) -> Result<usize, WireError> {
        Ok(msg.to_wire().len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::{NodeKey, NodeSigner};
    use crate::value::{tests::terms, Auction, Observation, Release, ReleaseCause, SignedBid};
    use alloy::primitives::{Address, B256};
    use malachitebft_app_channel::app::types::core::Value as _;
    use malachitebft_app_channel::Signer as _;

    fn round_trip<T>(value: &T)
    where
        WireCodec: Codec<T>,
        T: PartialEq + std::fmt::Debug,
    {
        let bytes = WireCodec.encode(value).expect("encodes");
        assert_eq!(&WireCodec.decode(bytes).expect("decodes"), value);
    }

    fn batch() -> Batch {
        Batch {
            auctions: vec![Auction {
                terms: terms(1, 100),
                bids: vec![SignedBid {
                    router: Address::repeat_byte(1),
                    path_length: 1,
                    signature: alloy::primitives::Bytes::from(vec![1; 65]),
                }],
                routers: vec![Address::repeat_byte(1)],
            }],
            releases: vec![Release {
                transfer_id: B256::repeat_byte(2),
                cause: ReleaseCause::Expired,
            }],
            observations: vec![Observation {
                pool: terms(1, 100).pool,
                router: Address::repeat_byte(1),
                block: 9,
                block_hash: B256::repeat_byte(9),
                balance: alloy::primitives::U256::from(7),
            }],
        }
    }

    /// Found by the `consensus` fuzz target: a round of -2 decoded as nil, which encodes as -1,
    /// so one proposed value had two encodings.
    #[test]
    fn a_round_has_one_encoding() {
        assert_eq!(Round::from_wire(&(-1i64).to_be_bytes()), Ok(Round::Nil));
        assert_eq!(Round::Nil.to_wire(), (-1i64).to_be_bytes());
        assert_eq!(Round::from_wire(&7i64.to_be_bytes()), Ok(Round::new(7)));
        for bad in [-2i64, i64::MIN, i64::from(u32::MAX) + 1] {
            assert!(
                matches!(
                    Round::from_wire(&bad.to_be_bytes()),
                    Err(WireError::Invalid { what: "round", .. })
                ),
                "{bad} refused"
            );
        }
    }

    #[tokio::test]
    async fn every_engine_message_round_trips() {
        let key = NodeKey::random();
        let signer = NodeSigner::new(key.clone());
        let me = key.address();
        let value = batch();
        let proposal = Proposal {
            height: Height(7),
            round: Round::new(2),
            value: value.clone(),
            pol_round: Round::Nil,
            proposer: me,
        };
        let signed_proposal = signer.sign_proposal(proposal).await.expect("signs");
        let vote = Vote {
            vote_type: VoteType::Prevote,
            height: Height(7),
            round: Round::new(2),
            value_id: NilOrVal::Val(value.id()),
            voter: me,
            extension: None,
        };
        let signed_vote = signer.sign_vote(vote.clone()).await.expect("signs");
        let nil_vote = signer
            .sign_vote(Vote {
                value_id: NilOrVal::Nil,
                vote_type: VoteType::Precommit,
                ..vote
            })
            .await
            .expect("signs");

        round_trip(&SignedConsensusMsg::<Ctx>::Proposal(signed_proposal));
        round_trip(&SignedConsensusMsg::<Ctx>::Vote(signed_vote.clone()));
        round_trip(&LivenessMsg::<Ctx>::Vote(nil_vote.clone()));
        let polka = PolkaCertificate {
            height: Height(7),
            round: Round::new(2),
            value_id: value.id(),
            polka_signatures: vec![PolkaSignature::new(me, signed_vote.signature.clone())],
        };
        round_trip(&LivenessMsg::<Ctx>::PolkaCertificate(polka.clone()));
        round_trip(&polka);
        round_trip(&LivenessMsg::<Ctx>::SkipRoundCertificate(
            RoundCertificate {
                height: Height(7),
                round: Round::new(2),
                cert_type: RoundCertificateType::Skip,
                round_signatures: vec![RoundSignature::new(
                    VoteType::Precommit,
                    NilOrVal::Nil,
                    me,
                    nil_vote.signature.clone(),
                )],
            },
        ));
        let part = key
            .sign_part(
                crate::context::ValidatorSet::new([]).network_id(),
                Height(7),
                Round::new(2),
                Round::new(1),
                value.clone(),
            )
            .expect("signs");
        round_trip(&part);
        // The signature is the part's last 65 bytes: one short is refused, as is one more.
        let bytes = part.to_wire();
        assert!(matches!(
            ProposalPart::from_wire(&bytes[..bytes.len() - 1]),
            Err(WireError::Truncated { .. })
        ));
        assert!(matches!(
            ProposalPart::from_wire(&[bytes.as_slice(), &[0]].concat()),
            Err(WireError::Trailing(1))
        ));
        round_trip(&StreamMessage::new(
            StreamId::new(Bytes::from_static(b"stream")),
            0,
            StreamContent::Data(part),
        ));
        round_trip(&StreamMessage::<ProposalPart>::new(
            StreamId::new(Bytes::from_static(b"stream")),
            1,
            StreamContent::Fin,
        ));
        round_trip(
            &signer
                .sign_validator_proof(vec![1, 2], vec![3])
                .await
                .expect("signs"),
        );
        round_trip(&Status::<Ctx> {
            peer_id: PeerId::from_bytes(
                &malachitebft_app_channel::app::types::Keypair::generate_ed25519()
                    .public()
                    .to_peer_id()
                    .to_bytes(),
            )
            .expect("a peer id"),
            tip_height: Height(9),
            history_min_height: Height(1),
        });
        round_trip(&Request::<Ctx>::ValueRequest(ValueRequest::new(
            Height(2)..=Height(5),
        )));
        round_trip(&Response::<Ctx>::ValueResponse(ValueResponse::new(
            Height(2),
            vec![RawDecidedValue {
                value_bytes: Bytes::from(value.to_wire()),
                certificate: ExtendedCommitCertificate {
                    height: Height(2),
                    round: Round::new(0),
                    value_id: value.id(),
                    commit_signatures: vec![ExtendedCommitSignature::new(
                        me,
                        signed_vote.signature,
                        None,
                    )],
                },
            }],
        )));
        round_trip(&ProposedValue::<Ctx> {
            height: Height(7),
            round: Round::new(2),
            valid_round: Round::Nil,
            proposer: me,
            value,
            validity: Validity::Invalid,
        });
    }
}
