// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MultiDomainFixture} from "./utils/MultiDomainFixture.sol";
import {RecordingReceiver} from "./utils/Receivers.sol";
import {IConnext, TransferInfo, ExecuteArgs, TransferStatus} from "../../src/interfaces/IConnext.sol";
import {BridgeToken} from "../../src/core/BridgeToken.sol";
import {Replica} from "../../src/messaging/Replica.sol";
import {NaiveMerkle} from "../utils/NaiveMerkle.sol";

/// @notice End to end over the real messaging layer: dispatch, signed update, optimistic window, prove and
///         process, reconcile; fast path, multipath, slow path, calldata on each path, and a token whose home
///         is a third domain.
contract ConnextEndToEndTest is MultiDomainFixture {
    uint256 internal constant AMOUNT = 100 ether;
    uint256 internal constant LIQUIDITY = 1_000 ether;

    function setUp() public override {
        super.setUp();
        _seedRouters(B, LIQUIDITY);
        _seedRouters(C, LIQUIDITY);
        _seedRouters(A, LIQUIDITY);
        token.mint(ALICE, 10_000 ether);
    }

    function _status(uint256 on, TransferInfo memory params) internal view returns (TransferStatus) {
        return connexts[on].transferStatus(_id(params));
    }

    function test_fastPath_AtoB() public {
        TransferInfo memory params = _xcall(A, B, ALICE, BOB, AMOUNT, "", 30);
        _assertConservation();
        _executeFast(B, params, 1);
        assertEq(BridgeToken(locals[B]).balanceOf(BOB), _fee(AMOUNT), "BOB paid within seconds");
        assertEq(uint256(_status(B, params)), uint256(TransferStatus.Executed), "executed");

        assertEq(_relay(A, B), 1, "reconciled");
        assertEq(uint256(_status(B, params)), uint256(TransferStatus.Completed), "completed");
        assertEq(
            connexts[B].routerBalance(routers[0], locals[B]),
            LIQUIDITY - _fee(AMOUNT) + AMOUNT,
            "router repaid in full: it earned the fee"
        );
        _assertConservation();
    }

    function test_multipath_AtoB() public {
        TransferInfo memory params = _xcall(A, B, ALICE, BOB, AMOUNT, "", 30);
        _executeFast(B, params, 3);
        assertEq(BridgeToken(locals[B]).balanceOf(BOB), _fee(AMOUNT), "delivered");
        _relay(A, B);
        uint256 total;
        for (uint256 i; i < ROUTERS; ++i) {
            uint256 balance = connexts[B].routerBalance(routers[i], locals[B]);
            assertGe(balance, LIQUIDITY, "no router loses");
            total += balance;
        }
        assertEq(total, ROUTERS * LIQUIDITY + AMOUNT - _fee(AMOUNT), "routers together earned the fee");
        _assertConservation();
    }

    function test_slowPath_AtoB() public {
        TransferInfo memory params = _xcall(A, B, ALICE, BOB, AMOUNT, "", 0);
        // Slippage 0 is below the fee: no router may front it; it waits for the message.
        vm.expectRevert(abi.encodeWithSelector(IConnext.SlippageExceeded.selector, _fee(AMOUNT), AMOUNT));
        _executeFast(B, params, 1);
        _relay(A, B);
        assertEq(uint256(_status(B, params)), uint256(TransferStatus.Reconciled), "reconciled");
        _executeSlow(B, params);
        assertEq(BridgeToken(locals[B]).balanceOf(BOB), AMOUNT, "full amount");
        assertEq(uint256(_status(B, params)), uint256(TransferStatus.Completed), "completed");
        _assertConservation();
    }

    function test_fastPath_BtoA_homeReleasesEscrowToRouters() public {
        TransferInfo memory toB = _xcall(A, B, ALICE, BOB, AMOUNT, "", 30);
        _relay(A, B);
        _executeSlow(B, toB);
        TransferInfo memory home = _xcall(B, A, BOB, CAROL, AMOUNT, "", 30);
        _assertConservation();
        _executeFast(A, home, 2);
        assertEq(token.balanceOf(CAROL), _fee(AMOUNT), "canonical token delivered by routers on its home");
        uint256 escrowBefore = _custodied();
        _relay(B, A);
        assertEq(_custodied(), escrowBefore - AMOUNT, "escrow released to the routers");
        _assertConservation();
    }

    function test_thirdDomainToken_BtoC() public {
        TransferInfo memory toB = _xcall(A, B, ALICE, BOB, AMOUNT, "", 30);
        _relay(A, B);
        _executeSlow(B, toB);

        // TKN's home is A; BOB sends its B representation to CAROL on C.
        TransferInfo memory params = _xcall(B, C, BOB, CAROL, AMOUNT, "", 30);
        assertEq(uint256(params.canonicalDomain), ids[A], "canonical domain is the third domain");
        assertEq(BridgeToken(locals[B]).balanceOf(BOB), 0, "burned on B");
        _assertConservation();
        _executeFast(C, params, 1);
        assertEq(BridgeToken(locals[C]).balanceOf(CAROL), _fee(AMOUNT), "C representation delivered");
        assertEq(_relay(B, C), 1, "reconciled on C");
        assertEq(
            connexts[C].routerBalance(routers[0], locals[C]), LIQUIDITY - _fee(AMOUNT) + AMOUNT, "repaid"
        );
        _assertConservation();

        // And home again, slowly: A releases escrow.
        TransferInfo memory back = _xcall(C, A, CAROL, ALICE, _fee(AMOUNT), "", 30);
        _relay(C, A);
        uint256 before = token.balanceOf(ALICE);
        _executeSlow(A, back);
        assertEq(token.balanceOf(ALICE), before + _fee(AMOUNT), "released on the home domain");
        _assertConservation();
    }

    function test_calldata_fast_success() public {
        RecordingReceiver receiver = new RecordingReceiver();
        TransferInfo memory params = _xcall(A, B, ALICE, address(receiver), AMOUNT, hex"beef", 30);
        _executeFast(B, params, 1);
        assertEq(receiver.calls(), 1, "called on the fast path");
        assertEq(receiver.lastOriginSender(), address(0), "sender unproven");
        assertEq(receiver.lastBalance(), _fee(AMOUNT), "funds first");
        _relay(A, B);
        assertEq(receiver.calls(), 1, "reconcile does not call again");
        _assertConservation();
    }

    function test_calldata_fast_revert_fallsBackToSlowPath() public {
        RecordingReceiver receiver = new RecordingReceiver();
        receiver.setShouldRevert(true);
        TransferInfo memory params = _xcall(A, B, ALICE, address(receiver), AMOUNT, hex"beef", 30);
        ExecuteArgs memory args = _fastArgs(params, 1);
        vm.expectRevert(abi.encodeWithSelector(RecordingReceiver.ReceiverReverted.selector, _id(params)));
        vm.prank(RELAYER);
        connexts[B].execute(args);
        assertEq(connexts[B].routerBalance(routers[0], locals[B]), LIQUIDITY, "router kept its funds");

        _relay(A, B);
        vm.expectEmit(true, true, true, true, address(connexts[B]));
        emit IConnext.ExternalCalldataExecuted(
            _id(params),
            false,
            abi.encodeWithSelector(RecordingReceiver.ReceiverReverted.selector, _id(params))
        );
        _executeSlow(B, params);
        assertEq(BridgeToken(locals[B]).balanceOf(address(receiver)), AMOUNT, "funds stay with the receiver");
        assertEq(uint256(_status(B, params)), uint256(TransferStatus.Completed), "completed");
        _assertConservation();
    }

    function test_calldata_slow_success() public {
        RecordingReceiver receiver = new RecordingReceiver();
        TransferInfo memory params = _xcall(A, B, ALICE, address(receiver), AMOUNT, hex"beef", 0);
        _relay(A, B);
        _executeSlow(B, params);
        assertEq(receiver.calls(), 1, "called");
        assertEq(receiver.lastOriginSender(), ALICE, "authentic sender on the slow path");
        assertEq(uint256(receiver.lastOrigin()), ids[A], "origin");
        assertEq(receiver.lastAmount(), AMOUNT, "full amount");
    }

    function test_calldata_slow_revert() public {
        RecordingReceiver receiver = new RecordingReceiver();
        receiver.setShouldRevert(true);
        TransferInfo memory params = _xcall(A, B, ALICE, address(receiver), AMOUNT, hex"beef", 0);
        _relay(A, B);
        _executeSlow(B, params);
        assertEq(receiver.calls(), 0, "reverted");
        assertEq(BridgeToken(locals[B]).balanceOf(address(receiver)), AMOUNT, "funds stay with the receiver");
        assertEq(uint256(_status(B, params)), uint256(TransferStatus.Completed), "completed anyway");
    }

    function test_calldataOnly_AtoC() public {
        RecordingReceiver receiver = new RecordingReceiver();
        TransferInfo memory params = _xcall(A, C, ALICE, address(receiver), 0, hex"0102", 0);
        _relay(A, C);
        _executeSlow(C, params);
        assertEq(receiver.lastOriginSender(), ALICE, "authentic sender");
        assertEq(receiver.lastCallData(), hex"0102", "calldata");
    }

    function test_reconcile_failedHandleStaysRetryable() public {
        TransferInfo memory params = _xcall(A, B, ALICE, BOB, AMOUNT, "", 30);
        _executeFast(B, params, 1);
        // B stops trusting A's Connext for a while: the handle reverts, the Replica keeps the message.
        vm.prank(GOV);
        connexts[B].setRemoteConnext(ids[A], bytes32(0));
        assertEq(_relay(A, B), 0, "handle failed");
        assertEq(uint256(_status(B, params)), uint256(TransferStatus.Executed), "not reconciled yet");

        vm.prank(GOV);
        connexts[B].setRemoteConnext(ids[A], bytes32(uint256(uint160(address(connexts[A])))));
        Sent storage pending = sent[A][sent[A].length - 1];
        assertTrue(replicas[B][A].process(pending.message), "retried");
        pending.delivered = true;
        inFlight -= pending.amount;
        assertEq(uint256(_status(B, params)), uint256(TransferStatus.Completed), "reconciled on retry");
        _assertConservation();
    }

    function test_reconcile_onlyOnItsDestination() public {
        TransferInfo memory params = _xcall(A, B, ALICE, BOB, AMOUNT, "", 30);
        _commit(A);
        // The message names B: C's Replica of A refuses it.
        Sent storage message = sent[A][sent[A].length - 1];
        uint256 index = sent[A].length - 1;
        bytes32[32] memory proof = NaiveMerkle.proof(leaves[A], index);
        vm.expectRevert(abi.encodeWithSelector(Replica.WrongDestination.selector, ids[B]));
        replicas[C][A].proveAndProcess(message.message, proof, index);
        assertEq(uint256(_status(C, params)), uint256(TransferStatus.None), "nothing on C");
    }
}
