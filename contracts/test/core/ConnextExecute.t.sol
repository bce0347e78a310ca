// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextFixture} from "./utils/ConnextFixture.sol";
import {RecordingReceiver, GasBurner, GasHungryReceiver, ReturnBomb} from "./utils/Receivers.sol";
import {IConnext, TransferInfo, ExecuteArgs, TransferStatus} from "../../src/interfaces/IConnext.sol";
import {SignatureVerifier} from "../../src/libraries/SignatureVerifier.sol";
import {Pausable} from "../../src/governance/Pausable.sol";

/// @notice `execute`: the fast path (routers, signatures, split, fee, slippage), the slow path, and `xReceive`.
contract ConnextExecuteTest is ConnextFixture {
    uint256 internal constant AMOUNT = 1_000e6;

    function setUp() public override {
        super.setUp();
        for (uint256 i; i < 5; ++i) {
            _fund(routers[i], address(usdc), 10_000e6);
            _fund(routers[i], address(weth), 10 ether);
        }
    }

    function _fee(uint256 amount) internal pure returns (uint256) {
        return amount * 9995 / 10_000;
    }

    // ------------------------------------------------------------------ fast path

    function test_fast_oneRouter_deliversAmountLessFee() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        ExecuteArgs memory args = _fastArgs(params, 1);
        bytes32 id = _id(params);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.Executed(id, BOB, address(usdc), args.routers, _fee(AMOUNT), RELAYER);
        bytes32 returned = _execute(args);

        assertEq(returned, id, "returned id");
        assertEq(usdc.balanceOf(BOB), _fee(AMOUNT), "recipient got amount less 5 bps");
        assertEq(connext.routerBalance(routers[0], address(usdc)), 10_000e6 - _fee(AMOUNT), "router debited");
        assertEq(uint256(connext.transferStatus(id)), uint256(TransferStatus.Executed), "status");
        address[] memory recorded = connext.transferRouters(id);
        assertEq(recorded.length, 1, "one router recorded");
        assertEq(recorded[0], routers[0], "router recorded");
    }

    function test_fast_representation() public {
        TransferInfo memory params = _weth(1 ether, 1);
        _execute(_fastArgs(params, 1));
        assertEq(weth.balanceOf(BOB), _fee(1 ether), "weth delivered");
        assertEq(connext.routerBalance(routers[0], address(weth)), 10 ether - _fee(1 ether), "router debited");
    }

    function test_fast_threeRouters_equalSplitDustToLast() public {
        uint256 amount = 1_000_000_007;
        TransferInfo memory params = _usdc(amount, 1);
        _execute(_fastArgs(params, 3));
        uint256 toFront = _fee(amount);
        uint256 share = toFront / 3;
        assertEq(connext.routerBalance(routers[0], address(usdc)), 10_000e6 - share, "router 0");
        assertEq(connext.routerBalance(routers[1], address(usdc)), 10_000e6 - share, "router 1");
        assertEq(
            connext.routerBalance(routers[2], address(usdc)),
            10_000e6 - (toFront - 2 * share),
            "last pays dust"
        );
        assertEq(usdc.balanceOf(BOB), toFront, "recipient");
        address[] memory recorded = connext.transferRouters(_id(params));
        assertEq(recorded.length, 3, "three recorded");
        for (uint256 i; i < 3; ++i) {
            assertEq(recorded[i], routers[i], "path order kept");
        }
    }

    function test_fast_fiveRouters() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        _execute(_fastArgs(params, 5));
        assertEq(usdc.balanceOf(BOB), _fee(AMOUNT), "recipient");
        assertEq(connext.transferRouters(_id(params)).length, 5, "five recorded");
    }

    function test_fast_byDelegate() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        vm.prank(ALICE);
        connext.execute(_fastArgs(params, 1));
        assertEq(usdc.balanceOf(BOB), _fee(AMOUNT), "delegate may execute");
    }

    function test_fast_feeIsConfigurable() public {
        vm.prank(GOV);
        connext.setLiquidityFeeBps(30);
        TransferInfo memory params = _usdc(AMOUNT, 1);
        _execute(_fastArgs(params, 1));
        assertEq(usdc.balanceOf(BOB), AMOUNT * 9970 / 10_000, "30 bps");
    }

    function testFuzz_fast_splitConservesAmounts(uint256 amount, uint256 count) public {
        amount = bound(amount, 0, 10_000e6);
        count = bound(count, 1, 5);
        TransferInfo memory params = _usdc(amount, 7);
        params.slippage = 10_000;
        _execute(_fastArgs(params, count));
        uint256 toFront = _fee(amount);
        uint256 debited;
        for (uint256 i; i < count; ++i) {
            uint256 debit = 10_000e6 - connext.routerBalance(routers[i], address(usdc));
            if (i < count - 1) assertEq(debit, toFront / count, "equal share");
            debited += debit;
        }
        assertEq(debited, toFront, "routers fronted exactly what was delivered");
        assertEq(usdc.balanceOf(BOB), toFront, "recipient");
    }

    // ------------------------------------------------------------------ fast path reverts

    function test_revert_wrongDestination() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        params.destinationDomain = OTHER;
        ExecuteArgs memory args = _fastArgs(params, 1);
        vm.expectRevert(abi.encodeWithSelector(IConnext.WrongDestination.selector, OTHER));
        _execute(args);
    }

    function test_revert_notRelayerNorDelegate() public {
        ExecuteArgs memory args = _fastArgs(_usdc(AMOUNT, 1), 1);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotRelayerOrDelegate.selector, BOB));
        vm.prank(BOB);
        connext.execute(args);
    }

    function test_revert_unapprovedRelayer() public {
        vm.prank(GOV);
        connext.setRelayerApproval(RELAYER, false);
        ExecuteArgs memory args = _fastArgs(_usdc(AMOUNT, 1), 1);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotRelayerOrDelegate.selector, RELAYER));
        _execute(args);
    }

    function test_revert_sequencerNotApproved() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        uint256[] memory keys = new uint256[](1);
        keys[0] = routerKeys[0];
        address[] memory path = new address[](1);
        path[0] = routers[0];
        ExecuteArgs memory args = _signedArgs(params, path, keys, 0xBAD);
        vm.expectRevert(abi.encodeWithSelector(IConnext.SequencerNotApproved.selector, vm.addr(0xBAD)));
        _execute(args);
    }

    function test_revert_sequencerUnapprovedAfterSigning() public {
        ExecuteArgs memory args = _fastArgs(_usdc(AMOUNT, 1), 1);
        vm.prank(GOV);
        connext.setSequencerApproval(sequencer, false);
        vm.expectRevert(abi.encodeWithSelector(IConnext.SequencerNotApproved.selector, sequencer));
        _execute(args);
    }

    function test_revert_sequencerWrongSigner() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        ExecuteArgs memory args = _fastArgs(params, 1);
        args.sequencerSignature = signDigest(0xBAD, _selectionDigest(_id(params), args.routers));
        vm.expectRevert(abi.encodeWithSelector(IConnext.WrongSigner.selector, sequencer, vm.addr(0xBAD)));
        _execute(args);
    }

    function test_revert_sequencerSignatureForAnotherPath() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        ExecuteArgs memory signedForOne = _fastArgs(params, 1);
        ExecuteArgs memory args = _fastArgs(params, 2);
        args.sequencerSignature = signedForOne.sequencerSignature;
        bytes32 hash = _selectionDigest(_id(params), args.routers);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.WrongSigner.selector, sequencer, _recover(hash, signedForOne.sequencerSignature)
            )
        );
        _execute(args);
    }

    function test_revert_sequencerSignatureForAnotherTransfer() public {
        ExecuteArgs memory other = _fastArgs(_usdc(AMOUNT, 2), 1);
        TransferInfo memory params = _usdc(AMOUNT, 1);
        ExecuteArgs memory args = _fastArgs(params, 1);
        args.sequencerSignature = other.sequencerSignature;
        bytes32 hash = _selectionDigest(_id(params), args.routers);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.WrongSigner.selector, sequencer, _recover(hash, other.sequencerSignature)
            )
        );
        _execute(args);
    }

    function test_revert_sequencerMalleableSignature() public {
        ExecuteArgs memory args = _fastArgs(_usdc(AMOUNT, 1), 1);
        args.sequencerSignature = malleate(args.sequencerSignature);
        vm.expectRevert(SignatureVerifier.MalleableSignature.selector);
        _execute(args);
    }

    function test_revert_routerWrongSigner() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        ExecuteArgs memory args = _fastArgs(params, 1);
        args.routerSignatures[0] = signDigest(routerKeys[1], _bidDigest(_id(params), 1));
        vm.expectRevert(abi.encodeWithSelector(IConnext.WrongSigner.selector, routers[0], routers[1]));
        _execute(args);
    }

    function test_revert_routerSignatureForAnotherTransfer() public {
        ExecuteArgs memory other = _fastArgs(_usdc(AMOUNT, 2), 1);
        TransferInfo memory params = _usdc(AMOUNT, 1);
        ExecuteArgs memory args = _fastArgs(params, 1);
        args.routerSignatures[0] = other.routerSignatures[0];
        bytes32 hash = _bidDigest(_id(params), 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.WrongSigner.selector, routers[0], _recover(hash, other.routerSignatures[0])
            )
        );
        _execute(args);
    }

    function test_revert_routerSignatureForAnotherPathLength() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        ExecuteArgs memory bidForOne = _fastArgs(params, 1);
        ExecuteArgs memory args = _fastArgs(params, 2);
        args.routerSignatures[0] = bidForOne.routerSignatures[0];
        bytes32 hash = _bidDigest(_id(params), 2);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.WrongSigner.selector, routers[0], _recover(hash, bidForOne.routerSignatures[0])
            )
        );
        _execute(args);
    }

    function test_revert_routerMalleableSignature() public {
        ExecuteArgs memory args = _fastArgs(_usdc(AMOUNT, 1), 1);
        args.routerSignatures[0] = malleate(args.routerSignatures[0]);
        vm.expectRevert(SignatureVerifier.MalleableSignature.selector);
        _execute(args);
    }

    function test_revert_routerSignatureLength() public {
        ExecuteArgs memory args = _fastArgs(_usdc(AMOUNT, 1), 1);
        args.routerSignatures[0] = hex"1234";
        vm.expectRevert(abi.encodeWithSelector(SignatureVerifier.InvalidSignatureLength.selector, 2));
        _execute(args);
    }

    function test_revert_routerNotApproved() public {
        vm.prank(GOV);
        connext.unapproveRouter(routers[1]);
        ExecuteArgs memory args = _fastArgs(_usdc(AMOUNT, 1), 2);
        vm.expectRevert(abi.encodeWithSelector(IConnext.RouterNotApproved.selector, routers[1]));
        _execute(args);
    }

    function test_revert_routerNeverSetUp() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        address[] memory path = new address[](1);
        path[0] = vm.addr(0xD00D);
        uint256[] memory keys = new uint256[](1);
        keys[0] = 0xD00D;
        ExecuteArgs memory args = _signedArgs(params, path, keys, SEQUENCER_KEY);
        vm.expectRevert(abi.encodeWithSelector(IConnext.RouterNotApproved.selector, path[0]));
        _execute(args);
    }

    function test_revert_tooManyRouters() public {
        _fund(routers[5], address(usdc), 10_000e6);
        ExecuteArgs memory args = _fastArgs(_usdc(AMOUNT, 1), 6);
        vm.expectRevert(abi.encodeWithSelector(IConnext.TooManyRouters.selector, 6, 5));
        _execute(args);
    }

    function test_revert_tooManyRouters_lowerGovernanceBound() public {
        vm.prank(GOV);
        connext.setMaxRoutersPerTransfer(2);
        ExecuteArgs memory args = _fastArgs(_usdc(AMOUNT, 1), 3);
        vm.expectRevert(abi.encodeWithSelector(IConnext.TooManyRouters.selector, 3, 2));
        _execute(args);
    }

    function test_revert_signatureCountMismatch() public {
        ExecuteArgs memory args = _fastArgs(_usdc(AMOUNT, 1), 2);
        bytes[] memory one = new bytes[](1);
        one[0] = args.routerSignatures[0];
        args.routerSignatures = one;
        vm.expectRevert(abi.encodeWithSelector(IConnext.RouterSignatureCountMismatch.selector, 2, 1));
        _execute(args);
    }

    function test_revert_duplicateRouter() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        address[] memory path = new address[](2);
        path[0] = routers[0];
        path[1] = routers[0];
        uint256[] memory keys = new uint256[](2);
        keys[0] = routerKeys[0];
        keys[1] = routerKeys[0];
        ExecuteArgs memory args = _signedArgs(params, path, keys, SEQUENCER_KEY);
        vm.expectRevert(abi.encodeWithSelector(IConnext.DuplicateRouter.selector, routers[0]));
        _execute(args);
    }

    function test_revert_insufficientLiquidity() public {
        uint256 amount = 30_000e6;
        TransferInfo memory params = _usdc(amount, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.InsufficientLiquidity.selector, routers[0], address(usdc), 10_000e6, _fee(amount)
            )
        );
        _execute(_fastArgs(params, 1));
        // Split over three routers it fits.
        _execute(_fastArgs(params, 3));
        assertEq(usdc.balanceOf(BOB), _fee(amount), "delivered across three");
    }

    function test_revert_executedTwice() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        _execute(_fastArgs(params, 1));
        ExecuteArgs memory again = _fastArgs(params, 2);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.InvalidTransferStatus.selector, _id(params), TransferStatus.Executed
            )
        );
        _execute(again);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.InvalidTransferStatus.selector, _id(params), TransferStatus.Executed
            )
        );
        _execute(_slowArgs(params));
    }

    function test_revert_fastAfterReconcile() public {
        TransferInfo memory params = _weth(1 ether, 1);
        _reconcile(params);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.InvalidTransferStatus.selector, _id(params), TransferStatus.Reconciled
            )
        );
        _execute(_fastArgs(params, 1));
    }

    function test_revert_unregisteredAsset() public {
        TransferInfo memory params = _weth(1 ether, 1);
        params.canonicalId = bytes32(uint256(0xDEAD));
        bytes32 key = keccak256(abi.encode(params.canonicalId, params.canonicalDomain));
        vm.expectRevert(abi.encodeWithSelector(IConnext.AssetNotRegistered.selector, key));
        _execute(_fastArgs(params, 1));
    }

    function test_revert_paused() public {
        vm.prank(GOV);
        connext.pause();
        ExecuteArgs memory args = _fastArgs(_usdc(AMOUNT, 1), 1);
        vm.expectRevert(Pausable.IsPaused.selector);
        _execute(args);
    }

    // ------------------------------------------------------------------ slippage

    function test_slippage_belowFeeRefusesFastPath() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        params.slippage = 4;
        ExecuteArgs memory args = _fastArgs(params, 1);
        uint256 out = _fee(AMOUNT) * 1e12;
        uint256 minOut = params.normalizedIn * (10_000 - 4) / 10_000;
        vm.expectRevert(abi.encodeWithSelector(IConnext.SlippageExceeded.selector, out, minOut));
        _execute(args);
    }

    function test_slippage_exactlyTheFeePasses() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        params.slippage = 5;
        _execute(_fastArgs(params, 1));
        assertEq(usdc.balanceOf(BOB), _fee(AMOUNT), "delivered");
    }

    function test_slippage_delegateRaisesThenFastPathWorks() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        params.slippage = 0;
        ExecuteArgs memory args = _fastArgs(params, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.SlippageExceeded.selector, _fee(AMOUNT) * 1e12, params.normalizedIn
            )
        );
        _execute(args);
        vm.prank(ALICE);
        connext.forceUpdateSlippage(params, 10);
        _execute(args);
        assertEq(usdc.balanceOf(BOB), _fee(AMOUNT), "delivered after the delegate raised slippage");
    }

    function test_slippage_slowPathDeliversInFull() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        params.slippage = 0;
        _escrowUsdc(AMOUNT);
        _reconcile(params);
        _execute(_slowArgs(params));
        assertEq(usdc.balanceOf(BOB), AMOUNT, "slow path pays bridgedAmt, at least the minimum");
    }

    // ------------------------------------------------------------------ slow path

    function test_slow_afterReconcile_representation() public {
        TransferInfo memory params = _weth(1 ether, 1);
        _reconcile(params);
        uint256 supplyBefore = weth.totalSupply();
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.Executed(_id(params), BOB, address(weth), new address[](0), 1 ether, RELAYER);
        _execute(_slowArgs(params));
        assertEq(weth.balanceOf(BOB), 1 ether, "full amount, no fee");
        assertEq(weth.totalSupply(), supplyBefore, "slow execute moves what reconcile minted");
        assertEq(uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.Completed), "completed");
    }

    function test_slow_afterReconcile_canonical() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        _escrowUsdc(AMOUNT);
        _reconcile(params);
        (,,,,, uint256 custodied) = connext.assetInfo(address(usdc));
        assertEq(custodied, 0, "escrow released on reconcile");
        _execute(_slowArgs(params));
        assertEq(usdc.balanceOf(BOB), AMOUNT, "full amount");
    }

    function test_revert_slowBeforeReconcile() public {
        TransferInfo memory params = _weth(1 ether, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.InvalidTransferStatus.selector, _id(params), TransferStatus.None)
        );
        _execute(_slowArgs(params));
    }

    function test_revert_slowTwice() public {
        TransferInfo memory params = _weth(1 ether, 1);
        _reconcile(params);
        _execute(_slowArgs(params));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.InvalidTransferStatus.selector, _id(params), TransferStatus.Completed
            )
        );
        _execute(_slowArgs(params));
    }

    // ------------------------------------------------------------------ xReceive

    function test_calldata_fast_success() public {
        RecordingReceiver receiver = new RecordingReceiver();
        TransferInfo memory params = _usdc(AMOUNT, 1);
        params.to = address(receiver);
        params.callData = hex"c0ffee";
        bytes32 id = _id(params);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.ExternalCalldataExecuted(id, true, abi.encode(abi.encode(id)));
        _execute(_fastArgs(params, 1));
        assertEq(receiver.calls(), 1, "called once");
        assertEq(receiver.lastTransferId(), id, "transfer id");
        assertEq(receiver.lastAmount(), _fee(AMOUNT), "amount");
        assertEq(receiver.lastAsset(), address(usdc), "asset");
        assertEq(receiver.lastOriginSender(), address(0), "origin sender unproven on the fast path");
        assertEq(uint256(receiver.lastOrigin()), REMOTE, "origin");
        assertEq(receiver.lastCallData(), hex"c0ffee", "calldata");
        assertEq(receiver.lastBalance(), _fee(AMOUNT), "funds arrived before the call");
    }

    function test_calldata_fast_revertRevertsExecute() public {
        RecordingReceiver receiver = new RecordingReceiver();
        receiver.setShouldRevert(true);
        TransferInfo memory params = _usdc(AMOUNT, 1);
        params.to = address(receiver);
        params.callData = hex"01";
        vm.expectRevert(abi.encodeWithSelector(RecordingReceiver.ReceiverReverted.selector, _id(params)));
        _execute(_fastArgs(params, 1));
        assertEq(uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.None), "still None");
        assertEq(connext.routerBalance(routers[0], address(usdc)), 10_000e6, "router untouched");
    }

    function test_calldata_fast_toEoaReverts() public {
        TransferInfo memory params = _usdc(AMOUNT, 1);
        params.callData = hex"01";
        vm.expectRevert(abi.encodeWithSelector(IConnext.XReceiverNotContract.selector, BOB));
        _execute(_fastArgs(params, 1));
    }

    function test_calldata_slow_success_authenticSender() public {
        RecordingReceiver receiver = new RecordingReceiver();
        TransferInfo memory params = _weth(1 ether, 1);
        params.to = address(receiver);
        params.callData = hex"abcd";
        _reconcile(params);
        _execute(_slowArgs(params));
        assertEq(receiver.lastOriginSender(), ALICE, "authentic origin sender");
        assertEq(receiver.lastAmount(), 1 ether, "full amount");
    }

    function test_calldata_slow_revertIsRecorded() public {
        RecordingReceiver receiver = new RecordingReceiver();
        receiver.setShouldRevert(true);
        TransferInfo memory params = _weth(1 ether, 1);
        params.to = address(receiver);
        params.callData = hex"abcd";
        bytes32 id = _id(params);
        _reconcile(params);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.ExternalCalldataExecuted(
            id, false, abi.encodeWithSelector(RecordingReceiver.ReceiverReverted.selector, id)
        );
        _execute(_slowArgs(params));
        assertEq(weth.balanceOf(address(receiver)), 1 ether, "funds stay with the receiver");
        assertEq(uint256(connext.transferStatus(id)), uint256(TransferStatus.Completed), "completed");
    }

    function test_calldata_slow_toEoaRecordedAsFailure() public {
        TransferInfo memory params = _weth(1 ether, 1);
        params.callData = hex"01";
        _reconcile(params);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.ExternalCalldataExecuted(_id(params), false, "");
        _execute(_slowArgs(params));
        assertEq(weth.balanceOf(BOB), 1 ether, "funds delivered");
    }

    function test_calldata_only_fastPath() public {
        RecordingReceiver receiver = new RecordingReceiver();
        TransferInfo memory params = _baseTransfer(1);
        params.to = address(receiver);
        params.callData = hex"77";
        _execute(_fastArgs(params, 1));
        assertEq(receiver.calls(), 1, "called");
        assertEq(receiver.lastAsset(), address(0), "no asset");
        assertEq(receiver.lastAmount(), 0, "no amount");
    }

    function test_calldata_slow_gasBurnerGetsFullLimitAndIsRecorded() public {
        GasBurner burner = new GasBurner();
        TransferInfo memory params = _weth(1 ether, 1);
        params.to = address(burner);
        params.callData = hex"01";
        _reconcile(params);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.ExternalCalldataExecuted(_id(params), false, "");
        vm.prank(RELAYER);
        connext.execute{gas: 1_300_000}(_slowArgs(params));
        assertEq(weth.balanceOf(address(burner)), 1 ether, "funds delivered");
    }

    /// @dev The receiver needs 600k gas (within the 1M limit): given 500k it would fail, and that failure must not be
    ///      recorded. (A receiver that succeeds with what it gets simply completes: `ConnextXReceiveGas.t.sol`.)
    function test_revert_calldata_slow_relayerCannotStarveTheCall() public {
        GasHungryReceiver receiver = new GasHungryReceiver(600_000);
        TransferInfo memory params = _weth(1 ether, 1);
        params.to = address(receiver);
        params.callData = hex"01";
        _reconcile(params);
        vm.expectPartialRevert(IConnext.InsufficientGasForXReceive.selector);
        vm.prank(RELAYER);
        connext.execute{gas: 500_000}(_slowArgs(params));
        assertEq(
            uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.Reconciled), "untouched"
        );
    }

    function test_calldata_slow_returnDataTruncated() public {
        ReturnBomb bomb = new ReturnBomb();
        TransferInfo memory params = _weth(1 ether, 1);
        params.to = address(bomb);
        params.callData = hex"01";
        _reconcile(params);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.ExternalCalldataExecuted(_id(params), false, new bytes(256));
        _execute(_slowArgs(params));
    }

    function _recover(bytes32 digest, bytes memory signature) internal pure returns (address) {
        return SignatureVerifier.recover(digest, signature);
    }

    /// @dev What a router signs for this fixture's Connext.
    function _bidDigest(bytes32 transferId, uint256 pathLength) internal view returns (bytes32) {
        return routerBidDigest(block.chainid, address(connext), transferId, pathLength);
    }

    /// @dev What the sequencer signs for this fixture's Connext.
    function _selectionDigest(bytes32 transferId, address[] memory path) internal view returns (bytes32) {
        return routerSelectionDigest(block.chainid, address(connext), transferId, path);
    }
}
