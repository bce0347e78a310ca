//! The engine's messages as `nxtp_consensus::codec::WireCodec` decodes them: what peers gossip
//! (signed proposals and votes with their extensions, proposal parts in their stream, liveness
//! certificates, validator proofs), what they exchange for value sync (status, requests, responses
//! carrying decided batches and their certificates) and what the write-ahead log reads back.

use crate::{batch, budget};
use bytes::Bytes;
use malachitebft_app_channel::app::{
    consensus::LivenessMsg,
    streaming::{StreamContent, StreamId, StreamMessage},
    types::{
        codec::{Codec, HasEncodedLen},
        core::{
            ExtendedCommitCertificate, ExtendedCommitSignature, NilOrVal, PolkaCertificate,
            PolkaSignature, Round, RoundCertificate, RoundCertificateType, RoundSignature,
            ValidatorProof, Validity, Value, VoteExtensionScope, VoteType,
        },
        sync::{RawDecidedValue, Request, Response, Status},
        Keypair, PeerId, ProposedValue, SignedConsensusMsg,
    },
};
use malachitebft_app_channel::Signer;
use malachitebft_sync::{ValueRequest, ValueResponse};
use nxtp_consensus::{
    codec::WireCodec,
    context::{Proposal, ProposalPart, Vote},
    signing::NodeSigner,
    wire::{Wire, WireError},
    Batch, Height, NodeKey, SequencerContext as Ctx, Validator, ValidatorSet,
};
use std::future::Future;

/// Selector: a signed vote or proposal (`SignedConsensusMsg`), as gossiped and as the WAL keeps it.
pub const CONSENSUS_MESSAGE: u8 = 0;
/// Selector: a proposal part alone (`ProposalPart`).
pub const PROPOSAL_PART: u8 = 1;
/// Selector: a proposal part or the end of its stream (`StreamMessage<ProposalPart>`).
pub const STREAM_MESSAGE: u8 = 2;
/// Selector: a liveness message (a vote, a polka or a skip-round certificate).
pub const LIVENESS: u8 = 3;
/// Selector: a polka certificate alone.
pub const POLKA_CERTIFICATE: u8 = 4;
/// Selector: a validator's proof binding its consensus key to its peer id.
pub const VALIDATOR_PROOF: u8 = 5;
/// Selector: a peer's value-sync status.
pub const STATUS: u8 = 6;
/// Selector: a value-sync request.
pub const SYNC_REQUEST: u8 = 7;
/// Selector: a value-sync response: decided batches with their extended commit certificates.
pub const SYNC_RESPONSE: u8 = 8;
/// Selector: a proposed value as the WAL keeps it.
pub const PROPOSED_VALUE: u8 = 9;
const SELECTORS: u8 = 10;

/// Decodes the selected message type within the allocation budget and checks that the encoding is
/// canonical (whatever decodes re-encodes to the same bytes), that refusals describe the input,
/// that a sync response's announced length is its length, and the batches a response carries as
/// [`batch::check`] does.
pub fn check(data: &[u8]) {
    let Some((selector, payload)) = super::split(data) else {
        return;
    };
    match selector % SELECTORS {
        CONSENSUS_MESSAGE => drop(exact::<SignedConsensusMsg<Ctx>>(payload)),
        PROPOSAL_PART => drop(exact::<ProposalPart>(payload)),
        STREAM_MESSAGE => drop(exact::<StreamMessage<ProposalPart>>(payload)),
        LIVENESS => drop(exact::<LivenessMsg<Ctx>>(payload)),
        POLKA_CERTIFICATE => drop(exact::<PolkaCertificate<Ctx>>(payload)),
        VALIDATOR_PROOF => drop(exact::<ValidatorProof<Ctx>>(payload)),
        STATUS => drop(exact::<Status<Ctx>>(payload)),
        SYNC_REQUEST => drop(exact::<Request<Ctx>>(payload)),
        SYNC_RESPONSE => {
            if let Some(response) = exact::<Response<Ctx>>(payload) {
                assert_eq!(WireCodec.encoded_len(&response), Ok(payload.len()));
                let Response::ValueResponse(response) = response;
                for value in &response.values {
                    batch::check(&value.value_bytes);
                }
            }
        }
        _ => drop(exact::<ProposedValue<Ctx>>(payload)),
    }
}

/// Decodes `bytes` as the engine would, within [`budget::for_input`]; a decoded message must
/// re-encode to exactly `bytes`.
fn exact<T>(bytes: &[u8]) -> Option<T>
where
    WireCodec: Codec<T, Error = WireError>,
{
    let decoded = budget::within(budget::for_input(bytes.len()), || {
        WireCodec.decode(Bytes::copy_from_slice(bytes))
    });
    match decoded {
        Ok(message) => {
            let encoded = WireCodec
                .encode(&message)
                .expect("a decoded message encodes");
            assert_eq!(encoded.as_ref(), bytes, "decode then encode is exact");
            Some(message)
        }
        Err(err) => {
            batch::refusal_describes(&err, bytes.len());
            None
        }
    }
}

/// The seed inputs: one message of each type, signed by a real node key over the sample batches
/// of [`batch::samples`], with precommits extended by the node's real selection signatures.
pub fn seeds() -> Vec<Vec<u8>> {
    let key = NodeKey::from_secret(&alloy::primitives::B256::repeat_byte(7)).expect("a valid key");
    let signer = NodeSigner::new(key.clone());
    let me = key.address();
    let network_id = ValidatorSet::new([Validator::new(key.public_key(), 1)]).network_id();
    let mut seeds = Vec::new();
    let mut push = |selector: u8, bytes: Bytes| seeds.push(super::seed(selector, &bytes));
    for (index, value) in batch::samples().into_iter().enumerate() {
        let height = Height(index as u64 + 1);
        let round = Round::new(index as u32 % 2);
        let id = value.id();
        let proposal = Proposal {
            height,
            round,
            value: value.clone(),
            pol_round: Round::Nil,
            proposer: me,
        };
        let signed_proposal = run(signer.sign_proposal(proposal)).expect("signs");
        push(
            CONSENSUS_MESSAGE,
            encode(&SignedConsensusMsg::<Ctx>::Proposal(signed_proposal)),
        );
        let prevote = Vote {
            vote_type: VoteType::Prevote,
            height,
            round,
            value_id: NilOrVal::Val(id),
            voter: me,
            extension: None,
        };
        let signed_prevote = run(signer.sign_vote(prevote.clone())).expect("signs");
        let extension = run(signer.sign_vote_extension(
            VoteExtensionScope {
                height,
                round,
                value_id: id,
                validator_address: me,
            },
            selection_signatures(&key, &value),
        ))
        .expect("signs");
        let precommit = Vote {
            vote_type: VoteType::Precommit,
            extension: Some(extension.clone()),
            ..prevote.clone()
        };
        let signed_precommit = run(signer.sign_vote(precommit)).expect("signs");
        push(
            CONSENSUS_MESSAGE,
            encode(&SignedConsensusMsg::<Ctx>::Vote(signed_precommit.clone())),
        );
        let part = key
            .sign_part(network_id, height, round, Round::Nil, value.clone())
            .expect("signs");
        push(PROPOSAL_PART, encode(&part));
        let stream = StreamId::new(Bytes::from(height.0.to_be_bytes().to_vec()));
        push(
            STREAM_MESSAGE,
            encode(&StreamMessage::new(
                stream.clone(),
                0,
                StreamContent::Data(part),
            )),
        );
        push(
            STREAM_MESSAGE,
            encode(&StreamMessage::<ProposalPart>::new(
                stream,
                1,
                StreamContent::Fin,
            )),
        );
        let polka = PolkaCertificate {
            height,
            round,
            value_id: id,
            polka_signatures: vec![PolkaSignature::new(me, signed_prevote.signature.clone())],
        };
        push(POLKA_CERTIFICATE, encode(&polka));
        push(
            LIVENESS,
            encode(&LivenessMsg::<Ctx>::PolkaCertificate(polka)),
        );
        push(
            LIVENESS,
            encode(&LivenessMsg::<Ctx>::Vote(signed_prevote.clone())),
        );
        push(
            LIVENESS,
            encode(&LivenessMsg::<Ctx>::SkipRoundCertificate(
                RoundCertificate {
                    height,
                    round,
                    cert_type: RoundCertificateType::Skip,
                    round_signatures: vec![RoundSignature::new(
                        VoteType::Prevote,
                        NilOrVal::Val(id),
                        me,
                        signed_prevote.signature.clone(),
                    )],
                },
            )),
        );
        push(
            SYNC_RESPONSE,
            encode(&Response::<Ctx>::ValueResponse(ValueResponse::new(
                height,
                vec![RawDecidedValue {
                    value_bytes: Bytes::from(value.to_wire()),
                    certificate: ExtendedCommitCertificate {
                        height,
                        round,
                        value_id: id,
                        commit_signatures: vec![ExtendedCommitSignature::new(
                            me,
                            signed_precommit.signature.clone(),
                            Some(extension),
                        )],
                    },
                }],
            ))),
        );
        push(
            PROPOSED_VALUE,
            encode(&ProposedValue::<Ctx> {
                height,
                round,
                valid_round: Round::Nil,
                proposer: me,
                value,
                validity: Validity::Valid,
            }),
        );
    }
    let peer_id = Keypair::ed25519_from_bytes([7u8; 32])
        .expect("a valid ed25519 secret")
        .public()
        .to_peer_id();
    let proof = run(signer.sign_validator_proof(key.public_key().to_vec(), peer_id.to_bytes()))
        .expect("signs");
    push(VALIDATOR_PROOF, encode(&proof));
    push(
        STATUS,
        encode(&Status::<Ctx> {
            peer_id: PeerId::from_bytes(&peer_id.to_bytes()).expect("a peer id"),
            tip_height: Height(4),
            history_min_height: Height(1),
        }),
    );
    push(
        SYNC_REQUEST,
        encode(&Request::<Ctx>::ValueRequest(ValueRequest::new(
            Height(2)..=Height(4),
        ))),
    );
    seeds
}

/// What a node extends its precommit of `value` with: its selection signature of each auction.
fn selection_signatures(key: &NodeKey, value: &Batch) -> Bytes {
    value
        .auctions
        .iter()
        .flat_map(|auction| key.sign_selection(auction).expect("signs"))
        .collect()
}

fn encode<T>(message: &T) -> Bytes
where
    WireCodec: Codec<T, Error = WireError>,
{
    WireCodec.encode(message).expect("encodes")
}

/// Runs one of the signer's futures (it awaits nothing) to completion.
fn run<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(future)
}
