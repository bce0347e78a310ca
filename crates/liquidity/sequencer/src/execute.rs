//! The execute the sequencer hands to the relayer: the chosen routers' signatures for the
//! chosen path length, and the sequencers' signatures of the selection (EIP-712
//! `RouterSelection` under the destination `Connext`'s domain).
//!
//! `Connext` accepts a selection signed by at least its `sequencerThreshold` of approved
//! sequencers. A single sequencer (threshold 1) signs and hands over its own signature alone
//! ([`execute_calldata`]); nodes that decide together each sign with [`sign_selection`] and
//! gather the signatures in a [`SequencerQuorum`] before building the execute.

use alloy::{
    primitives::{Address, Bytes, B256},
    signers::local::PrivateKeySigner,
};
use nxtp_bindings::{Fronting, SequencerQuorum, SequencerSignature};
use nxtp_primitives::{sign_digest, ConnextSigningDomain, SignatureError, TransferInfo};

/// `signer`'s signature of the selection of `routers` (in order) for `transfer_id`, for the
/// destination `Connext` whose EIP-712 domain is `destination`.
pub fn sign_selection(
    signer: &PrivateKeySigner,
    destination: &ConnextSigningDomain,
    transfer_id: B256,
    routers: &[Address],
) -> Result<SequencerSignature, SignatureError> {
    let signature = sign_digest(
        signer,
        destination.router_selection_digest(transfer_id, routers),
    )?;
    Ok(SequencerSignature {
        sequencer: signer.address(),
        signature: Bytes::copy_from_slice(&signature),
    })
}

/// `Connext.execute(args)` calldata fronting `params` by `routers`, each with its signature for
/// `routers.len()` in `router_signatures` (same order), selected by `quorum`.
pub fn quorum_execute_calldata(
    params: &TransferInfo,
    routers: &[Address],
    router_signatures: Vec<Bytes>,
    quorum: &SequencerQuorum,
) -> Bytes {
    let fronting = Fronting::selected_by(routers.to_vec(), router_signatures, quorum);
    nxtp_bindings::execute_calldata(params, fronting)
}

/// `Connext.execute(args)` calldata fronting `params` (whose id is `transfer_id`) by `routers`,
/// each with its signature for `routers.len()` in `router_signatures` (same order), selected by
/// `signer` alone (a threshold of 1), for the destination `Connext` whose EIP-712 domain is
/// `destination`.
pub fn execute_calldata(
    signer: &PrivateKeySigner,
    destination: &ConnextSigningDomain,
    transfer_id: B256,
    params: &TransferInfo,
    routers: &[Address],
    router_signatures: Vec<Bytes>,
) -> Result<Bytes, SignatureError> {
    let SequencerSignature {
        sequencer,
        signature,
    } = sign_selection(signer, destination, transfer_id, routers)?;
    let mut quorum = SequencerQuorum::new();
    quorum.insert(sequencer, signature);
    Ok(quorum_execute_calldata(
        params,
        routers,
        router_signatures,
        &quorum,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::{primitives::U256, sol_types::SolCall};
    use nxtp_bindings::{executed_params, Connext};
    use nxtp_primitives::{recover_digest, transfer_id};

    fn params() -> TransferInfo {
        TransferInfo {
            callData: Bytes::from_static(&[0xca, 0xfe]),
            slippage: U256::from(30),
            nonce: U256::from(3),
            ..crate::testing::transfer(5)
        }
    }

    #[test]
    fn calldata_decodes_to_the_signed_selection() {
        let sequencer = PrivateKeySigner::random();
        let routers = [PrivateKeySigner::random(), PrivateKeySigner::random()];
        let params = params();
        let id = transfer_id(&params);
        let connext = ConnextSigningDomain::new(31338, Address::repeat_byte(0xcc));
        let addresses: Vec<Address> = routers.iter().map(PrivateKeySigner::address).collect();
        let signatures = routers
            .iter()
            .map(|router| {
                let signature =
                    sign_digest(router, connext.router_bid_digest(id, 2)).expect("signs");
                Bytes::copy_from_slice(&signature)
            })
            .collect();
        let calldata = execute_calldata(&sequencer, &connext, id, &params, &addresses, signatures)
            .expect("builds");
        let args = Connext::executeCall::abi_decode(&calldata)
            .expect("an execute call")
            .args;
        assert_eq!(TransferInfo::from(args.params), params);
        assert_eq!(executed_params(&calldata), Some(params));
        assert_eq!(args.routers, addresses);
        assert_eq!(args.sequencer, sequencer.address());
        assert_eq!(
            recover_digest(
                connext.router_selection_digest(id, &addresses),
                &args.sequencerSignature
            )
            .expect("recovers"),
            sequencer.address()
        );
        for (router, signature) in addresses.iter().zip(&args.routerSignatures) {
            assert_eq!(
                recover_digest(connext.router_bid_digest(id, 2), signature).expect("recovers"),
                *router
            );
        }
    }

    #[test]
    fn a_quorum_of_three_signs_one_selection() {
        let params = params();
        let id = transfer_id(&params);
        let connext = ConnextSigningDomain::new(31338, Address::repeat_byte(0xcc));
        let routers = [Address::repeat_byte(0x11)];
        let mut quorum = SequencerQuorum::new();
        for _ in 0..3 {
            let node = PrivateKeySigner::random();
            let signed = sign_selection(&node, &connext, id, &routers).expect("signs");
            assert_eq!(signed.sequencer, node.address());
            quorum.insert(signed.sequencer, signed.signature);
        }
        let calldata = quorum_execute_calldata(&params, &routers, vec![Bytes::new()], &quorum);
        let args = Connext::executeCall::abi_decode(&calldata)
            .expect("an execute call")
            .args;
        let unpacked = SequencerQuorum::unpack(
            connext.router_selection_digest(id, &routers),
            args.sequencer,
            &args.sequencerSignature,
        )
        .expect("the packed quorum checks out");
        assert_eq!(unpacked, quorum);
    }
}
