//! The gas a transfer's receiver needs, estimated on a real destination: a cheap receiver (the devnet's
//! `DemoReceiver`) stays small, a receiver burning 2M gas is estimated above 2M and above the default
//! `xReceiveGasLimit`, and a reverting receiver or an account without code is refused with a typed error.

mod common;

use alloy::{
    primitives::{Address, Bytes, U256},
    sol_types::SolValue,
};
use common::{Net, HOME, REMOTE};
use nxtp_bindings::GasHungryReceiver;
use nxtp_devnet::{liquidity::DEMO_RECEIVER, Role};
use nxtp_sdk::{DeliveryPath, SdkError, XReceiveCall};

/// What `GasHungryReceiver` burns: twice `Connext`'s default `xReceiveGasLimit`.
const HUNGRY_GAS: u64 = 2_000_000;
/// `Connext`'s default `xReceiveGasLimit`.
const DEFAULT_LIMIT: u64 = 1_000_000;
/// Far more than a receiver recording a note needs.
const SMALL_RECEIVER: u64 = 200_000;

/// `DemoReceiver`'s calldata: `abi.encode(beneficiary, note)`.
fn demo_call_data(beneficiary: Address) -> Bytes {
    (beneficiary, "hello".to_owned()).abi_encode_params().into()
}

#[tokio::test]
async fn receivers_are_estimated_as_connext_calls_them() {
    let net = Net::start().await;
    let sdk = net.sdk();
    let demo_receiver = net
        .manifest
        .domain(REMOTE)
        .expect("the destination is deployed")
        .contracts[DEMO_RECEIVER];
    let beneficiary = net.accounts.address(Role::User);

    // A cheap receiver, on both paths.
    let mut call = XReceiveCall::new(demo_receiver, HOME, demo_call_data(beneficiary));
    let fast = sdk
        .estimate_xreceive_gas(REMOTE, &call)
        .await
        .expect("the demo receiver runs");
    call.path = DeliveryPath::Slow {
        origin_sender: beneficiary,
    };
    let slow = sdk
        .estimate_xreceive_gas(REMOTE, &call)
        .await
        .expect("the demo receiver runs on the slow path");
    for gas in [fast, slow] {
        assert!(
            gas.receiver_gas > 0 && gas.receiver_gas < SMALL_RECEIVER,
            "{gas:?}"
        );
        assert!(gas.execute_gas > gas.receiver_gas, "{gas:?}");
        assert_eq!(gas.x_receive_gas_limit, DEFAULT_LIMIT);
        assert!(!gas.above_limit, "{gas:?}");
    }
    println!(
        "DemoReceiver: xReceive {} gas (fast), {} (slow); execute about {}",
        fast.receiver_gas, slow.receiver_gas, fast.execute_gas
    );

    // A receiver needing twice the limit.
    let deployer = net.wallet(REMOTE, Role::Deployer);
    let hungry = GasHungryReceiver::deploy(&deployer, U256::from(HUNGRY_GAS))
        .await
        .expect("deploys");
    let gas = sdk
        .estimate_xreceive_gas(
            REMOTE,
            &XReceiveCall::new(*hungry.address(), HOME, Bytes::new()),
        )
        .await
        .expect("the hungry receiver runs given the gas");
    assert!(gas.receiver_gas > HUNGRY_GAS, "{gas:?}");
    assert!(gas.execute_gas > gas.receiver_gas, "{gas:?}");
    assert!(gas.above_limit, "{gas:?}");
    println!(
        "GasHungryReceiver(2M): xReceive {} gas; execute about {}",
        gas.receiver_gas, gas.execute_gas
    );

    // A receiver that reverts: DemoReceiver refuses a zero beneficiary, decoded by name.
    let failing = XReceiveCall::new(demo_receiver, HOME, demo_call_data(Address::ZERO));
    let err = sdk
        .estimate_xreceive_gas(REMOTE, &failing)
        .await
        .expect_err("a zero beneficiary reverts");
    assert!(
        matches!(&err, SdkError::ReceiverReverted { receiver, revert, .. }
            if *receiver == demo_receiver && revert.name == "ZeroBeneficiary"),
        "{err}"
    );

    // An account without code has no xReceive.
    let err = sdk
        .estimate_xreceive_gas(REMOTE, &XReceiveCall::new(beneficiary, HOME, Bytes::new()))
        .await
        .expect_err("not a contract");
    assert!(
        matches!(err, SdkError::ReceiverNotContract { receiver, .. } if receiver == beneficiary),
        "{err}"
    );
}
