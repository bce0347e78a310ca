// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextFixture} from "./utils/ConnextFixture.sol";
import {GasHungryReceiver, GreedyReceiver} from "./utils/Receivers.sol";
import {IConnext, TransferInfo, ExecuteArgs, TransferStatus} from "../../src/interfaces/IConnext.sol";

/// @notice `execute` forwards the gas its caller supplies to `xReceive` (all but a fixed reserve and EIP-150's 1/64):
///         cheap receivers run in small transactions, hungry ones run when fed, and a failure counts only once the
///         receiver had at least `xReceiveGasLimit`, so too little gas never completes a transfer whose call would
///         have succeeded with more.
contract ConnextXReceiveGasTest is ConnextFixture {
    /// @dev Mirrors `Connext`'s private reserve (checked through `InsufficientGasForXReceive.needed`).
    uint256 internal constant RESERVE = 10_000;

    enum Outcome {
        Completed,
        Retryable
    }

    /// @dev A reconciled WETH transfer to `to` with calldata, waiting for the slow path.
    function _reconciled(address to, uint256 nonce) internal returns (TransferInfo memory params) {
        params = _weth(1 ether, nonce);
        params.to = to;
        params.callData = hex"c0ffee";
        _reconcile(params);
    }

    /// @dev Runs `execute(args)` as the relayer with exactly `gas`; a revert must leave the transfer as it was.
    function _attempt(ExecuteArgs memory args, uint256 gas) internal returns (Outcome, bytes memory ret) {
        bytes32 id = _id(args.params);
        TransferStatus before = connext.transferStatus(id);
        bool ok;
        vm.prank(RELAYER);
        (ok, ret) = address(connext).call{gas: gas}(abi.encodeCall(IConnext.execute, (args)));
        if (ok) return (Outcome.Completed, ret);
        assertEq(uint256(connext.transferStatus(id)), uint256(before), "a reverted execute changes nothing");
        return (Outcome.Retryable, ret);
    }

    /// @dev Runs `execute(args)` as the relayer with exactly `gas`, expecting it to complete.
    function _executeWith(ExecuteArgs memory args, uint256 gas) internal {
        vm.prank(RELAYER);
        connext.execute{gas: gas}(args);
    }

    /// @dev Whether `ret` is the contract's gas error (rather than, say, a token call that ran out first).
    function _isGasError(bytes memory ret) internal pure returns (bool) {
        return ret.length >= 4 && bytes4(ret) == IConnext.InsufficientGasForXReceive.selector;
    }

    function _needed(uint256 limit) internal pure returns (uint256) {
        return limit + limit / 63 + RESERVE;
    }

    function _expectGasError(bytes memory ret, uint256 limit) internal pure {
        assertEq(bytes4(ret), IConnext.InsufficientGasForXReceive.selector, "the contract's gas error");
        uint256 needed;
        assembly {
            needed := mload(add(ret, 68))
        }
        assertEq(needed, _needed(limit), "needs the limit, the 1/64 the call keeps back and the reserve");
    }

    // ------------------------------------------------------------------ cheap and hungry receivers

    /// @notice A receiver spending about 22k gas completes with a 150k-gas execute (it needed about 1.03M before).
    function test_slow_cheapReceiver_runsInASmallTransaction() public {
        GasHungryReceiver receiver = new GasHungryReceiver(0);
        TransferInfo memory params = _reconciled(address(receiver), 1);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.ExternalCalldataExecuted(_id(params), true, abi.encode(bytes("")));
        _executeWith(_slowArgs(params), 150_000);
        assertEq(receiver.calls(), 1, "the receiver ran");
        assertEq(weth.balanceOf(address(receiver)), 1 ether, "funds delivered");
    }

    /// @notice The fast path too: a cheap receiver runs in a small transaction.
    function test_fast_cheapReceiver_runsInASmallTransaction() public {
        _fund(routers[0], address(weth), 10 ether);
        GasHungryReceiver receiver = new GasHungryReceiver(0);
        TransferInfo memory params = _weth(1 ether, 1);
        params.to = address(receiver);
        params.callData = hex"c0ffee";
        (Outcome outcome,) = _attempt(_fastArgs(params, 1), 250_000);
        assertEq(uint256(outcome), uint256(Outcome.Completed), "completed");
        assertEq(receiver.calls(), 1, "the receiver ran");
    }

    /// @notice A receiver spending 2M gas, twice the default `xReceiveGasLimit`, completes when it is supplied.
    function test_slow_receiverNeeding2M_runsWhenSupplied() public {
        GasHungryReceiver receiver = new GasHungryReceiver(2_000_000);
        TransferInfo memory params = _reconciled(address(receiver), 1);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.ExternalCalldataExecuted(_id(params), true, abi.encode(bytes("")));
        _executeWith(_slowArgs(params), 2_200_000);
        assertEq(receiver.calls(), 1, "the receiver ran to the end");
    }

    /// @notice Below `xReceiveGasLimit` a starved 2M receiver only makes the execute revert; once governance raises
    ///         the limit past what the receiver needs, no gas between makes its failure final either.
    function test_slow_receiverNeeding2M_starvedStaysRetryable() public {
        GasHungryReceiver receiver = new GasHungryReceiver(2_000_000);
        TransferInfo memory params = _reconciled(address(receiver), 1);

        (Outcome outcome, bytes memory ret) = _attempt(_slowArgs(params), 900_000);
        assertEq(uint256(outcome), uint256(Outcome.Retryable), "below the limit: retryable");
        _expectGasError(ret, 1_000_000);

        vm.prank(GOV);
        connext.setXReceiveGasLimit(3_000_000);
        (outcome, ret) = _attempt(_slowArgs(params), 1_500_000);
        assertEq(uint256(outcome), uint256(Outcome.Retryable), "below the raised limit: retryable");
        _expectGasError(ret, 3_000_000);

        (outcome,) = _attempt(_slowArgs(params), 2_200_000);
        assertEq(uint256(outcome), uint256(Outcome.Completed), "then it completes");
        assertEq(receiver.calls(), 1, "with the call run to the end");
    }

    /// @notice The fast path: a starved receiver reverts the execute with the contract's gas error (not an empty
    ///         out-of-gas), and the router's liquidity is untouched.
    function test_fast_starvedReceiver_revertsWithTheGasError() public {
        _fund(routers[0], address(weth), 10 ether);
        GasHungryReceiver receiver = new GasHungryReceiver(300_000);
        TransferInfo memory params = _weth(1 ether, 1);
        params.to = address(receiver);
        params.callData = hex"c0ffee";
        (Outcome outcome, bytes memory ret) = _attempt(_fastArgs(params, 1), 250_000);
        assertEq(uint256(outcome), uint256(Outcome.Retryable), "reverted");
        _expectGasError(ret, 1_000_000);
        assertEq(connext.routerBalance(routers[0], address(weth)), 10 ether, "liquidity untouched");
        (outcome,) = _attempt(_fastArgs(params, 1), 500_000);
        assertEq(uint256(outcome), uint256(Outcome.Completed), "completes when fed");
    }

    // ------------------------------------------------------------------ no griefing

    /// @notice Swept from too little gas to plenty, a receiver needing 300k (under the limit) is either left
    ///         retryable or completed with its call run to the end: never completed with a failed call.
    function test_slow_gasSweep_tooLittleGasNeverMakesAFinalFailure() public {
        GasHungryReceiver receiver = new GasHungryReceiver(300_000);
        bool sawGasError;
        uint256 firstCompleted;
        for (uint256 gas = 60_000; gas <= 500_000; gas += 2_000) {
            TransferInfo memory params = _reconciled(address(receiver), gas);
            uint256 callsBefore = receiver.calls();
            (Outcome outcome, bytes memory ret) = _attempt(_slowArgs(params), gas);
            if (outcome == Outcome.Completed) {
                assertEq(receiver.calls(), callsBefore + 1, "completed only with the call run to the end");
                if (firstCompleted == 0) firstCompleted = gas;
            } else {
                assertEq(firstCompleted, 0, "more gas never fails again");
                if (_isGasError(ret)) {
                    _expectGasError(ret, 1_000_000);
                    sawGasError = true;
                }
            }
        }
        assertTrue(sawGasError, "the sweep met the contract's gas error");
        assertTrue(firstCompleted != 0, "the sweep reached enough gas");
        assertLe(firstCompleted, 400_000, "and that is what the receiver needs, not the limit");
    }

    /// @notice Any gas: a reconciled transfer to a receiver within the limit either stays retryable or completes with
    ///         the call run to the end.
    function testFuzz_slow_anyGas_neverAFinalFailureWithinTheLimit(uint256 gas, uint256 need) public {
        need = bound(need, 0, 900_000);
        gas = bound(gas, 30_000, 1_200_000);
        GasHungryReceiver receiver = new GasHungryReceiver(need);
        TransferInfo memory params = _reconciled(address(receiver), 1);
        (Outcome outcome, bytes memory ret) = _attempt(_slowArgs(params), gas);
        if (outcome == Outcome.Completed) {
            assertEq(receiver.calls(), 1, "completed only with the call run to the end");
        } else if (_isGasError(ret)) {
            _expectGasError(ret, 1_000_000);
        }
    }

    /// @notice A receiver that fails whatever it gets has its failure recorded once it had the limit: a transfer to a
    ///         broken xApp is not stuck.
    function test_slow_alwaysFailingReceiver_recordedWithTheLimit() public {
        GreedyReceiver receiver = new GreedyReceiver(true, true);
        TransferInfo memory params = _reconciled(address(receiver), 1);
        (Outcome outcome, bytes memory ret) = _attempt(_slowArgs(params), 500_000);
        assertEq(uint256(outcome), uint256(Outcome.Retryable), "below the limit: retryable");
        _expectGasError(ret, 1_000_000);

        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.ExternalCalldataExecuted(_id(params), false, new bytes(256));
        _executeWith(_slowArgs(params), 1_200_000);
        assertEq(uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.Completed), "recorded");
        assertEq(weth.balanceOf(address(receiver)), 1 ether, "funds stay with the receiver");
    }

    // ------------------------------------------------------------------ the reserve

    /// @notice The reserve pays for finishing `execute` in the worst case: a receiver that hands back almost no gas
    ///         and returns (or reverts with) more than `MAX_RETURN_DATA` bytes completes with as little gas as one that
    ///         returns at once. With the reserve below the finish's cost (about 5,000 gas, measured by lowering it) the
    ///         greedy receiver would need EIP-150's 1/64 to make up the difference: tens of thousands more here.
    function test_reserve_coversTheFinishAfterAGreedyReceiver() public {
        uint256 minLimit = connext.MIN_XRECEIVE_GAS();
        vm.prank(GOV);
        connext.setXReceiveGasLimit(minLimit);
        for (uint256 f; f < 2; ++f) {
            uint256 eager = _firstCompleted(new GreedyReceiver(f == 1, false));
            uint256 greedy = _firstCompleted(new GreedyReceiver(f == 1, true));
            assertTrue(eager != 0 && greedy != 0, "both complete");
            assertLe(greedy, eager + 1_000, "a greedy receiver needs no more gas than an eager one");
        }
    }

    /// @dev The least gas, in steps of 250, with which a slow-path execute to `receiver` completes; once it does it
    ///      keeps completing with more (checked up to 100,000 more).
    function _firstCompleted(GreedyReceiver receiver) internal returns (uint256 first) {
        for (uint256 gas = 40_000; gas <= 300_000; gas += 250) {
            TransferInfo memory params = _reconciled(address(receiver), gas);
            (Outcome outcome,) = _attempt(_slowArgs(params), gas);
            if (outcome == Outcome.Completed && first == 0) first = gas;
            if (first != 0) {
                assertEq(uint256(outcome), uint256(Outcome.Completed), "the finish never runs out of gas");
                if (gas >= first + 100_000) return first;
            }
        }
    }
}
