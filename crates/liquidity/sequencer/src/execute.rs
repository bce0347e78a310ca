//! The execute the sequencer hands to the relayer: the chosen routers' signatures for the
//! chosen path length, and the sequencer's own signature of the selection (EIP-712
//! `RouterSelection` under the destination `Connext`'s domain).

use alloy::{
    primitives::{Address, Bytes, B256},
    signers::local::PrivateKeySigner,
};
use nxtp_bindings::Fronting;
use nxtp_primitives::{sign_digest, ConnextSigningDomain, SignatureError, TransferInfo};

/// `Connext.execute(args)` calldata fronting `params` (whose id is `transfer_id`) by `routers`,
/// each with its signature for `routers.len()` in `router_signatures` (same order), for the
/// destination `Connext` whose EIP-712 domain is `destination`.
pub fn execute_calldata(
    signer: &PrivateKeySigner,
    destination: &ConnextSigningDomain,
    transfer_id: B256,
    params: &TransferInfo,
    routers: &[Address],
    router_signatures: Vec<Bytes>,
) -> Result<Bytes, SignatureError> {
    let signature = sign_digest(
        signer,
        destination.router_selection_digest(transfer_id, routers),
    )?;
    let fronting = Fronting {
        routers: routers.to_vec(),
        router_signatures,
        sequencer: signer.address(),
        sequencer_signature: Bytes::copy_from_slice(&signature),
    };
    Ok(nxtp_bindings::execute_calldata(params, fronting))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::{primitives::U256, sol_types::SolCall};
    use nxtp_bindings::{executed_params, Connext};
    use nxtp_primitives::{recover_digest, transfer_id};

    #[test]
    fn calldata_decodes_to_the_signed_selection() {
        let sequencer = PrivateKeySigner::random();
        let routers = [PrivateKeySigner::random(), PrivateKeySigner::random()];
        let params = TransferInfo {
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
        };
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
}
