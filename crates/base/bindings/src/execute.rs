//! `Connext.execute`'s arguments, built one way for both paths: the fast path names the routers
//! fronting a transfer with their bids and the sequencers' selection; the slow path names nobody.
//!
//! The selection is signed by a quorum of sequencers ([`SequencerQuorum`]): `Connext` accepts it
//! when at least its `sequencerThreshold` of distinct approved sequencers signed it. Connext's
//! `ExecuteArgs` layout is kept, so the quorum travels in its two sequencer fields: the signatures
//! back to back in `sequencerSignature`, ordered by signer address (strictly ascending), and the
//! first signer in `sequencer`. One sequencer's signature is the quorum of a threshold of 1.

use crate::Connext;
use alloy::{
    primitives::{Address, Bytes, B256},
    sol_types::SolCall,
};
use nxtp_primitives::{recover_digest, signature::SIGNATURE_BYTES, SignatureError, TransferInfo};

/// Who fronts a transfer, and the signatures that let them. The default fronts nothing: the slow
/// path, executed once the transfer is reconciled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fronting {
    /// The routers, in the order their shares are debited.
    pub routers: Vec<Address>,
    /// Each router's bid signature for `routers.len()`, in the same order.
    pub router_signatures: Vec<Bytes>,
    /// The sequencer that signed the selection first: the lowest address of the quorum.
    pub sequencer: Address,
    /// The quorum's signatures of the selection, packed (see [`SequencerQuorum::packed`]); one
    /// sequencer's signature alone when the threshold is 1.
    pub sequencer_signature: Bytes,
}

impl Fronting {
    /// `routers` with their bid signatures, selected by `quorum`.
    pub fn selected_by(
        routers: Vec<Address>,
        router_signatures: Vec<Bytes>,
        quorum: &SequencerQuorum,
    ) -> Self {
        Self {
            routers,
            router_signatures,
            sequencer: quorum.first().unwrap_or(Address::ZERO),
            sequencer_signature: quorum.packed(),
        }
    }
}

/// One sequencer's signature of a `RouterSelection`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequencerSignature {
    /// Who signed.
    pub sequencer: Address,
    /// Its 65-byte `r || s || v` signature.
    pub signature: Bytes,
}

/// The sequencers' signatures of one selection, kept as `Connext.execute` takes them: one per
/// sequencer, ordered by address. Adding a sequencer's signature twice keeps the first, so
/// signatures gathered from several nodes can be merged without counting anyone twice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SequencerQuorum {
    /// Strictly ascending by sequencer.
    signatures: Vec<SequencerSignature>,
}

/// Why packed sequencer signatures are not a quorum `Connext` could accept.
#[derive(Debug, thiserror::Error)]
pub enum QuorumError {
    /// No signatures, or a length that is not a multiple of 65 bytes.
    #[error(
        "the sequencer signatures are {0} bytes, not a non-zero multiple of {SIGNATURE_BYTES}"
    )]
    Length(usize),
    /// A signature that the contracts would refuse.
    #[error("sequencer signature {index}: {source}")]
    Signature {
        /// Its position in the packed signatures.
        index: usize,
        /// Why it is refused.
        source: SignatureError,
    },
    /// A signer not above the one before it: a duplicate, or out of order.
    #[error(
        "sequencer signature {index} is by {signer}, not above the previous signer {previous}"
    )]
    NotAscending {
        /// Its position in the packed signatures.
        index: usize,
        /// The signer before it.
        previous: Address,
        /// Its signer.
        signer: Address,
    },
    /// The first signer is not the `sequencer` the arguments name.
    #[error("the first sequencer signature is by {signer}, but the arguments name {named}")]
    FirstSigner {
        /// The `sequencer` field.
        named: Address,
        /// Who signed first.
        signer: Address,
    },
}

impl SequencerQuorum {
    /// An empty quorum.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `sequencer`'s `signature`; returns false (and keeps the one it has) if `sequencer`
    /// already signed.
    pub fn insert(&mut self, sequencer: Address, signature: Bytes) -> bool {
        match self
            .signatures
            .binary_search_by(|held| held.sequencer.cmp(&sequencer))
        {
            Ok(_) => false,
            Err(at) => {
                self.signatures.insert(
                    at,
                    SequencerSignature {
                        sequencer,
                        signature,
                    },
                );
                true
            }
        }
    }

    /// How many sequencers signed.
    pub fn len(&self) -> usize {
        self.signatures.len()
    }

    /// Whether nobody signed.
    pub fn is_empty(&self) -> bool {
        self.signatures.is_empty()
    }

    /// The lowest signer (`ExecuteArgs.sequencer`); `None` while empty.
    pub fn first(&self) -> Option<Address> {
        self.signatures.first().map(|signed| signed.sequencer)
    }

    /// The signers, ascending.
    pub fn sequencers(&self) -> impl Iterator<Item = Address> + '_ {
        self.signatures.iter().map(|signed| signed.sequencer)
    }

    /// The signatures in ascending order of their signers.
    pub fn signatures(&self) -> &[SequencerSignature] {
        &self.signatures
    }

    /// `ExecuteArgs.sequencerSignature`: the signatures back to back, ascending by signer.
    pub fn packed(&self) -> Bytes {
        let mut packed = Vec::with_capacity(self.signatures.len() * SIGNATURE_BYTES);
        for signed in &self.signatures {
            packed.extend_from_slice(&signed.signature);
        }
        packed.into()
    }

    /// The quorum in `ExecuteArgs`' two sequencer fields, checked as `Connext` checks it (every
    /// signature canonical and over `digest`, signers strictly ascending, the first `named`) except
    /// for the threshold and the signers' approval, which only the chain knows.
    pub fn unpack(digest: B256, named: Address, packed: &[u8]) -> Result<Self, QuorumError> {
        if packed.is_empty() || !packed.len().is_multiple_of(SIGNATURE_BYTES) {
            return Err(QuorumError::Length(packed.len()));
        }
        let mut signatures: Vec<SequencerSignature> = Vec::new();
        for (index, signature) in packed.chunks_exact(SIGNATURE_BYTES).enumerate() {
            let signer = recover_digest(digest, signature)
                .map_err(|source| QuorumError::Signature { index, source })?;
            match signatures.last() {
                None if signer != named => {
                    return Err(QuorumError::FirstSigner { named, signer });
                }
                Some(previous) if signer <= previous.sequencer => {
                    return Err(QuorumError::NotAscending {
                        index,
                        previous: previous.sequencer,
                        signer,
                    });
                }
                _ => {}
            }
            signatures.push(SequencerSignature {
                sequencer: signer,
                signature: Bytes::copy_from_slice(signature),
            });
        }
        Ok(Self { signatures })
    }
}

/// `Connext.execute`'s argument for `params`, fronted by `fronting`.
pub fn execute_args(params: &TransferInfo, fronting: Fronting) -> Connext::ExecuteArgs {
    let Fronting {
        routers,
        router_signatures,
        sequencer,
        sequencer_signature,
    } = fronting;
    Connext::ExecuteArgs {
        params: params.clone().into(),
        routers,
        routerSignatures: router_signatures,
        sequencer,
        sequencerSignature: sequencer_signature,
    }
}

/// `Connext.execute(args)` calldata for `params`, fronted by `fronting`.
pub fn execute_calldata(params: &TransferInfo, fronting: Fronting) -> Bytes {
    Connext::executeCall {
        args: execute_args(params, fronting),
    }
    .abi_encode()
    .into()
}

/// The transfer an execute calldata delivers; `None` for anything but `Connext.execute`.
pub fn executed_params(calldata: &[u8]) -> Option<TransferInfo> {
    Connext::executeCall::abi_decode(calldata)
        .ok()
        .map(|call| call.args.params.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::{primitives::U256, signers::local::PrivateKeySigner};
    use nxtp_primitives::sign_digest;

    fn params() -> TransferInfo {
        TransferInfo {
            originDomain: 1000,
            destinationDomain: 2000,
            canonicalDomain: 1000,
            to: Address::repeat_byte(1),
            delegate: Address::ZERO,
            receiveLocal: false,
            callData: Bytes::from_static(&[0xca, 0xfe]),
            slippage: U256::from(30),
            originSender: Address::repeat_byte(2),
            bridgedAmt: U256::from(5),
            normalizedIn: U256::from(5),
            nonce: U256::from(3),
            canonicalId: B256::repeat_byte(3),
        }
    }

    #[test]
    fn the_slow_path_names_nobody() {
        let calldata = execute_calldata(&params(), Fronting::default());
        let args = Connext::executeCall::abi_decode(&calldata)
            .expect("an execute call")
            .args;
        assert!(args.routers.is_empty() && args.routerSignatures.is_empty());
        assert_eq!(args.sequencer, Address::ZERO);
        assert!(args.sequencerSignature.is_empty());
        assert_eq!(executed_params(&calldata), Some(params()));
    }

    #[test]
    fn the_fast_path_carries_every_signature_in_order() {
        let fronting = Fronting {
            routers: vec![Address::repeat_byte(7), Address::repeat_byte(8)],
            router_signatures: vec![Bytes::from_static(b"bid 7"), Bytes::from_static(b"bid 8")],
            sequencer: Address::repeat_byte(9),
            sequencer_signature: Bytes::from_static(b"selection"),
        };
        let calldata = execute_calldata(&params(), fronting.clone());
        let args = Connext::executeCall::abi_decode(&calldata)
            .expect("an execute call")
            .args;
        assert_eq!(TransferInfo::from(args.params), params());
        assert_eq!(args.routers, fronting.routers);
        assert_eq!(args.routerSignatures, fronting.router_signatures);
        assert_eq!(args.sequencer, fronting.sequencer);
        assert_eq!(args.sequencerSignature, fronting.sequencer_signature);
    }

    /// Three keys' signatures of one digest, with their addresses.
    fn signed_by_three(digest: B256) -> Vec<(Address, Bytes)> {
        (0..3)
            .map(|_| {
                let key = PrivateKeySigner::random();
                let signature = sign_digest(&key, digest).expect("signs");
                (key.address(), Bytes::copy_from_slice(&signature))
            })
            .collect()
    }

    #[test]
    fn a_quorum_packs_its_signatures_by_ascending_signer_and_names_the_first() {
        let digest = B256::repeat_byte(0x51);
        let signed = signed_by_three(digest);
        let mut quorum = SequencerQuorum::new();
        for (sequencer, signature) in signed.iter().rev() {
            assert!(quorum.insert(*sequencer, signature.clone()));
        }
        assert!(
            !quorum.insert(signed[0].0, Bytes::from_static(b"again")),
            "a second signature by the same sequencer is not counted"
        );
        assert_eq!(quorum.len(), 3);
        let mut ascending: Vec<Address> = signed.iter().map(|(who, _)| *who).collect();
        ascending.sort();
        assert_eq!(quorum.sequencers().collect::<Vec<_>>(), ascending);

        let fronting = Fronting::selected_by(vec![Address::repeat_byte(7)], vec![], &quorum);
        assert_eq!(fronting.sequencer, ascending[0]);
        assert_eq!(fronting.sequencer_signature.len(), 3 * SIGNATURE_BYTES);
        let unpacked =
            SequencerQuorum::unpack(digest, fronting.sequencer, &fronting.sequencer_signature)
                .expect("a well-formed quorum");
        assert_eq!(unpacked, quorum);
    }

    #[test]
    fn one_signature_is_the_quorum_of_a_threshold_of_one() {
        let digest = B256::repeat_byte(0x52);
        let (sequencer, signature) = signed_by_three(digest).remove(0);
        let mut quorum = SequencerQuorum::new();
        quorum.insert(sequencer, signature.clone());
        let fronting = Fronting::selected_by(vec![], vec![], &quorum);
        assert_eq!(
            (fronting.sequencer, fronting.sequencer_signature),
            (sequencer, signature),
            "the same fields a single sequencer always filled in"
        );
    }

    #[test]
    fn unpacking_refuses_what_connext_would_refuse() {
        let digest = B256::repeat_byte(0x53);
        let mut signed = signed_by_three(digest);
        signed.sort();
        let [a, b] = [signed[0].0, signed[1].0];
        let packed = |order: &[usize]| -> Vec<u8> {
            order.iter().flat_map(|&i| signed[i].1.to_vec()).collect()
        };
        let unpack = |named, packed: &[u8]| SequencerQuorum::unpack(digest, named, packed);
        assert!(matches!(unpack(a, &[]), Err(QuorumError::Length(0))));
        assert!(matches!(
            unpack(a, &packed(&[0, 1])[..129]),
            Err(QuorumError::Length(129))
        ));
        assert!(
            matches!(
                unpack(a, &packed(&[0, 0])),
                Err(QuorumError::NotAscending { index: 1, previous, signer })
                    if previous == a && signer == a
            ),
            "a duplicate"
        );
        assert!(
            matches!(
                unpack(b, &packed(&[1, 0])),
                Err(QuorumError::NotAscending { index: 1, previous, signer })
                    if previous == b && signer == a
            ),
            "out of order"
        );
        assert!(matches!(
            unpack(b, &packed(&[0, 1])),
            Err(QuorumError::FirstSigner { named, signer }) if named == b && signer == a
        ));
        let mut high_v = packed(&[0, 1, 2]);
        high_v[SIGNATURE_BYTES * 2 + 64] = 29;
        assert!(matches!(
            unpack(a, &high_v),
            Err(QuorumError::Signature {
                index: 2,
                source: SignatureError::InvalidV(29)
            })
        ));
        assert_eq!(
            unpack(a, &packed(&[0, 1, 2]))
                .map(|quorum| quorum.len())
                .expect("a quorum of three"),
            3
        );
    }

    #[test]
    fn only_an_execute_yields_params() {
        let mut other_call = execute_calldata(&params(), Fronting::default()).to_vec();
        other_call[0] ^= 1;
        assert_eq!(executed_params(&other_call), None, "another selector");
        assert_eq!(executed_params(&[]), None);
    }
}
