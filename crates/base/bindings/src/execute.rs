//! `Connext.execute`'s arguments, built one way for both paths: the fast path names the routers
//! fronting a transfer with their bids and the sequencer's selection; the slow path names nobody.

use crate::Connext;
use alloy::{
    primitives::{Address, Bytes},
    sol_types::SolCall,
};
use nxtp_primitives::TransferInfo;

/// Who fronts a transfer, and the signatures that let them. The default fronts nothing: the slow
/// path, executed once the transfer is reconciled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fronting {
    /// The routers, in the order their shares are debited.
    pub routers: Vec<Address>,
    /// Each router's bid signature for `routers.len()`, in the same order.
    pub router_signatures: Vec<Bytes>,
    /// The sequencer that selected them.
    pub sequencer: Address,
    /// Its signature of the selection.
    pub sequencer_signature: Bytes,
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
    use alloy::primitives::{B256, U256};

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

    #[test]
    fn only_an_execute_yields_params() {
        let mut other_call = execute_calldata(&params(), Fronting::default()).to_vec();
        other_call[0] ^= 1;
        assert_eq!(executed_params(&other_call), None, "another selector");
        assert_eq!(executed_params(&[]), None);
    }
}
