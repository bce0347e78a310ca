// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextFixture} from "../core/utils/ConnextFixture.sol";
import {IConnext, TransferInfo, TransferStatus} from "../../src/interfaces/IConnext.sol";
import {IXReceiver} from "../../src/interfaces/IXReceiver.sol";

/// @title StarvationDetector
/// @notice An `IXReceiver` that reverts when it gets less than its full gas limit (less a small entry overhead),
///         and otherwise records the call and spends its budget, as a receiver doing real work would.
contract StarvationDetector is IXReceiver {
    /// @notice The gas the receiver must find on entry.
    uint256 public immutable required;
    uint256 public calls;
    uint256 public lastEntryGas;

    error Starved(uint256 given, uint256 required);

    constructor(uint256 required_) {
        required = required_;
    }

    function xReceive(bytes32, uint256, address, address, uint32, bytes calldata)
        external
        returns (bytes memory)
    {
        uint256 given = gasleft();
        if (given < required) revert Starved(given, required);
        calls++;
        lastEntryGas = given;
        while (gasleft() > 5000) {}
        return "";
    }
}

/// @notice A relayer picks the gas of a slow-path `execute`, whose `xReceive` failure is recorded rather than
///         reverted. Swept from too little to enough, `execute` either reverts (with `InsufficientGasForXReceive`,
///         or out of gas before or after the call) leaving the transfer executable, or completes it with the
///         receiver having had its full limit: never a completed transfer whose call was starved.
contract XReceiveGasTest is ConnextFixture {
    uint256 internal constant LIMIT = 100_000;
    /// @dev What the receiver may lose to its own entry (dispatch, calldata decoding) before reading `gasleft`.
    uint256 internal constant ENTRY_OVERHEAD = 1000;

    StarvationDetector internal receiver;

    enum Outcome {
        Delivered,
        GasError,
        OutOfGas
    }

    function setUp() public override {
        super.setUp();
        vm.prank(GOV);
        connext.setXReceiveGasLimit(LIMIT);
        receiver = new StarvationDetector(LIMIT - ENTRY_OVERHEAD);
    }

    function _needed(uint256 limit) internal pure returns (uint256) {
        return limit + limit / 63 + 10_000;
    }

    /// @dev A reconciled WETH transfer to the receiver with calldata, waiting for the slow path.
    function _reconciled(uint256 nonce) internal returns (TransferInfo memory params) {
        params = _weth(1e18, nonce);
        params.to = address(receiver);
        params.callData = hex"c0ffee";
        _reconcile(params);
    }

    /// @dev Runs the slow-path execute of `params` with exactly `gas` and checks the outcome is one of the safe ones.
    function _attempt(TransferInfo memory params, uint256 gas, uint256 limit) internal returns (Outcome) {
        bytes32 id = _id(params);
        uint256 callsBefore = receiver.calls();
        vm.prank(RELAYER);
        (bool ok, bytes memory ret) =
            address(connext).call{gas: gas}(abi.encodeCall(IConnext.execute, (_slowArgs(params))));
        if (ok) {
            assertTrue(connext.transferStatus(id) == TransferStatus.Completed, "completed");
            assertEq(receiver.calls(), callsBefore + 1, "the receiver ran to the end: it was not starved");
            assertGe(receiver.lastEntryGas(), limit - ENTRY_OVERHEAD, "with its full limit");
            assertEq(weth.balanceOf(address(receiver)), 1e18 * (callsBefore + 1), "funds delivered");
            return Outcome.Delivered;
        }
        assertTrue(
            connext.transferStatus(id) == TransferStatus.Reconciled, "a failed execute leaves it executable"
        );
        assertEq(receiver.calls(), callsBefore, "no call recorded");
        if (ret.length == 0) return Outcome.OutOfGas;
        assertEq(bytes4(ret), IConnext.InsufficientGasForXReceive.selector, "the contract's gas error");
        (, uint256 needed) = abi.decode(_args(ret), (uint256, uint256));
        assertEq(needed, _needed(limit), "needs the limit, the 1/64 the call keeps back and the reserve");
        return Outcome.GasError;
    }

    /// @dev The ABI arguments of revert data (its selector cut off).
    function _args(bytes memory ret) internal pure returns (bytes memory args) {
        args = new bytes(ret.length - 4);
        for (uint256 i; i < args.length; ++i) {
            args[i] = ret[i + 4];
        }
    }

    /// @notice From well below to well above the threshold in steps of 500 gas: once the execute delivers it keeps
    ///         delivering, the contract's own gas error is met on the way, and no attempt completes a starved call.
    function test_gasSweep_neverCompletesAStarvedCall() public {
        bool sawGasError;
        uint256 firstDelivered;
        uint256 nonce;
        for (uint256 gas = 100_000; gas <= 260_000; gas += 500) {
            TransferInfo memory params = _reconciled(++nonce);
            Outcome outcome = _attempt(params, gas, LIMIT);
            if (outcome == Outcome.GasError) sawGasError = true;
            if (outcome == Outcome.Delivered && firstDelivered == 0) firstDelivered = gas;
            if (firstDelivered != 0) assertTrue(outcome == Outcome.Delivered, "more gas never fails again");
        }
        assertTrue(sawGasError, "the sweep crossed the contract's gas check");
        assertGe(firstDelivered, _needed(LIMIT), "nothing delivered with less than the check asks for");
        assertTrue(firstDelivered != 0, "the sweep reached enough gas");
    }

    /// @notice Any gas and any limit the governance may set: an execute completes only with the call fully fed.
    function testFuzz_anyGas_neverCompletesAStarvedCall(uint256 gas, uint256 limit) public {
        limit = bound(limit, connext.MIN_XRECEIVE_GAS(), 400_000);
        gas = bound(gas, 50_000, 2 * limit + 150_000);
        vm.prank(GOV);
        connext.setXReceiveGasLimit(limit);
        receiver = new StarvationDetector(limit - ENTRY_OVERHEAD);
        _attempt(_reconciled(1), gas, limit);
    }
}
