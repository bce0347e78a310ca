//! Contract bindings, generated at compile time from forge's artifacts in `contracts/out/`.
//!
//! Each module holds one contract's types (calls, events, errors) and, with the `rpc` attribute, an
//! instance type for calling and deploying it through an alloy provider. `build.rs` rebuilds the
//! artifacts first, so these never drift from the Solidity sources.

#![allow(missing_docs, clippy::too_many_arguments)]

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    Home,
    "../../../contracts/out/Home.sol/Home.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    Replica,
    "../../../contracts/out/Replica.sol/Replica.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    ConnectionManager,
    "../../../contracts/out/ConnectionManager.sol/ConnectionManager.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    RecordingRecipient,
    "../../../contracts/out/RecordingRecipient.sol/RecordingRecipient.json"
);

// `Connext` without the overloads it declares only for Connext compatibility (`build.rs` splits the
// artifact), so every call type keeps its plain name: `Connext::xcallCall` is nxtp's 8-argument `xcall`.
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    Connext,
    "../../../contracts/out/nxtp-bindings/Connext.json"
);

// The functions `Connext` overloads for Connext's published `IConnext` (the 7-argument `xcall` and
// `xcallIntoLocal`, `bumpTransfer(bytes32)`, `addRouterLiquidity(uint256,address)`): call them on the
// `Connext` address through this interface.
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    ConnextCompat,
    "../../../contracts/out/nxtp-bindings/ConnextCompat.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    BridgeToken,
    "../../../contracts/out/BridgeToken.sol/BridgeToken.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    DemoToken,
    "../../../contracts/out/DemoToken.sol/DemoToken.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    DemoReceiver,
    "../../../contracts/out/DemoReceiver.sol/DemoReceiver.json"
);

// The example xApps of `contracts/test/xapps/`, written against Connext's published `IConnext` and
// `IXReceiver` (with the one-to-one DEX SwapAndXCall swaps through), and a receiver that burns a
// chosen amount of gas: the devnet's xApp test deploys them.
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    SourceGreeter,
    "../../../contracts/out/Greeter.sol/SourceGreeter.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    DestinationGreeter,
    "../../../contracts/out/Greeter.sol/DestinationGreeter.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    SourceGreeterAuthenticated,
    "../../../contracts/out/AuthenticatedGreeter.sol/SourceGreeterAuthenticated.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    DestinationGreeterAuthenticated,
    "../../../contracts/out/AuthenticatedGreeter.sol/DestinationGreeterAuthenticated.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    PingPong,
    "../../../contracts/out/PingPong.sol/PingPong.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    SwapAndXCall,
    "../../../contracts/out/SwapAndXCall.sol/SwapAndXCall.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    DemoSwapper,
    "../../../contracts/out/DemoSwapper.sol/DemoSwapper.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    GasHungryReceiver,
    "../../../contracts/out/Receivers.sol/GasHungryReceiver.json"
);

pub mod bad_event;
pub mod execute;
pub mod xcalled;
pub use bad_event::BadEvent;
pub use execute::{
    execute_args, execute_calldata, executed_params, Fronting, QuorumError, SequencerQuorum,
    SequencerSignature,
};
pub use xcalled::{XCalled, XCalledError};

/// `Connext`'s `TransferInfo` and the protocol type are the same Solidity struct, expanded twice; these
/// conversions move a transfer between the two field by field, so adding a field breaks the build here.
mod transfer_info {
    use super::Connext;
    use nxtp_primitives::TransferInfo;

    /// One `From` per direction, each destructuring the whole struct: a field added on one side only fails here.
    macro_rules! field_by_field {
        ($from:ident => $to:ident) => {
            impl From<$from> for $to {
                fn from(info: $from) -> Self {
                    let $from {
                        originDomain,
                        destinationDomain,
                        canonicalDomain,
                        to,
                        delegate,
                        receiveLocal,
                        callData,
                        slippage,
                        originSender,
                        bridgedAmt,
                        normalizedIn,
                        nonce,
                        canonicalId,
                    } = info;
                    Self {
                        originDomain,
                        destinationDomain,
                        canonicalDomain,
                        to,
                        delegate,
                        receiveLocal,
                        callData,
                        slippage,
                        originSender,
                        bridgedAmt,
                        normalizedIn,
                        nonce,
                        canonicalId,
                    }
                }
            }
        };
    }

    use Connext::TransferInfo as BoundTransferInfo;
    field_by_field!(TransferInfo => BoundTransferInfo);
    field_by_field!(BoundTransferInfo => TransferInfo);

    #[cfg(test)]
    mod tests {
        use super::*;
        use alloy::{
            primitives::{Address, Bytes, B256, U256},
            sol_types::SolValue,
        };

        #[test]
        fn both_expansions_encode_alike_and_convert_back_unchanged() {
            let info = TransferInfo {
                originDomain: 1000,
                destinationDomain: 2000,
                canonicalDomain: 1000,
                to: Address::repeat_byte(1),
                delegate: Address::repeat_byte(2),
                receiveLocal: true,
                callData: Bytes::from_static(b"call"),
                slippage: U256::from(30),
                originSender: Address::repeat_byte(3),
                bridgedAmt: U256::from(5),
                normalizedIn: U256::from(6),
                nonce: U256::from(7),
                canonicalId: B256::repeat_byte(4),
            };
            let bound = Connext::TransferInfo::from(info.clone());
            assert_eq!(bound.abi_encode(), info.abi_encode());
            assert_eq!(TransferInfo::from(bound), info);
        }
    }
}

#[cfg(test)]
mod connext_compat {
    use super::{Connext, ConnextCompat};
    use alloy::sol_types::SolCall;

    /// The split keeps nxtp's shapes under their plain names and Connext's overloads in
    /// `ConnextCompat`, with the selectors of Connext's published `IConnext` (2.0.5).
    #[test]
    fn overloads_are_bound_apart_with_connexts_selectors() {
        assert_eq!(Connext::xcallCall::SELECTOR, [0x93, 0xf1, 0x8a, 0xc5]);
        assert_eq!(
            Connext::bumpTransferCall::SELECTOR,
            [0x59, 0xef, 0xa1, 0x62]
        );
        assert_eq!(ConnextCompat::xcallCall::SELECTOR, [0x8a, 0xac, 0x16, 0xba]);
        assert_eq!(
            ConnextCompat::xcallIntoLocalCall::SELECTOR,
            [0x91, 0xf5, 0xde, 0x79]
        );
        assert_eq!(
            ConnextCompat::bumpTransferCall::SELECTOR,
            [0x24, 0x24, 0x40, 0x1f]
        );
        assert_eq!(
            ConnextCompat::addRouterLiquidityCall::SELECTOR,
            [0x54, 0x06, 0x45, 0x94]
        );
    }
}
