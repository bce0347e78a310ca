// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextFixture} from "./utils/ConnextFixture.sol";
import {Connext} from "../../src/core/Connext.sol";
import {ConnextAdmin} from "../../src/core/ConnextAdmin.sol";
import {IConnext, TransferInfo, ExecuteArgs, TransferStatus} from "../../src/interfaces/IConnext.sol";
import {SignatureVerifier} from "../../src/libraries/SignatureVerifier.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";

/// @notice The sequencer quorum: governance of the set and its threshold, and `execute`'s fast path refusing any
///         selection fewer than the threshold of distinct approved sequencers signed.
contract ConnextSequencerQuorumTest is ConnextFixture {
    uint256 internal constant AMOUNT = 1_000e6;
    /// @dev Five sequencer keys: the fixture's approved `SEQUENCER_KEY` and four more, all approved in `setUp`.
    uint256 internal constant SET_SIZE = 5;

    uint256[] internal sequencerKeys;

    function setUp() public override {
        super.setUp();
        _fund(routers[0], address(usdc), 100_000e6);
        _fund(routers[1], address(usdc), 100_000e6);
        sequencerKeys.push(SEQUENCER_KEY);
        vm.startPrank(GOV);
        for (uint256 i = 1; i < SET_SIZE; ++i) {
            sequencerKeys.push(SEQUENCER_KEY + i);
            connext.setSequencerApproval(vm.addr(SEQUENCER_KEY + i), true);
        }
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ helpers

    /// @dev The keys of `sequencerKeys` picked by the low `SET_SIZE` bits of `mask`, in ascending address order.
    function _sortedKeys(uint256 mask) internal view returns (uint256[] memory keys) {
        uint256 count;
        for (uint256 i; i < SET_SIZE; ++i) {
            if (mask & (1 << i) != 0) ++count;
        }
        keys = new uint256[](count);
        uint256 n;
        for (uint256 i; i < SET_SIZE; ++i) {
            if (mask & (1 << i) == 0) continue;
            keys[n] = sequencerKeys[i];
            for (uint256 j = n; j > 0 && vm.addr(keys[j]) < vm.addr(keys[j - 1]); --j) {
                (keys[j], keys[j - 1]) = (keys[j - 1], keys[j]);
            }
            ++n;
        }
    }

    /// @dev One-router fast-path arguments for `params`, the selection signed by `keys` in the order given, on
    ///      `chainId` for the Connext at `target`.
    function _quorumArgs(TransferInfo memory params, uint256[] memory keys, uint256 chainId, address target)
        internal
        view
        returns (ExecuteArgs memory args)
    {
        args = _fastArgs(params, 1);
        bytes32 digest = routerSelectionDigest(chainId, target, _id(params), args.routers);
        bytes memory packed;
        for (uint256 i; i < keys.length; ++i) {
            packed = bytes.concat(packed, signDigest(keys[i], digest));
        }
        args.sequencer = keys.length == 0 ? address(0) : vm.addr(keys[0]);
        args.sequencerSignature = packed;
    }

    function _quorumArgs(TransferInfo memory params, uint256[] memory keys)
        internal
        view
        returns (ExecuteArgs memory)
    {
        return _quorumArgs(params, keys, block.chainid, address(connext));
    }

    function _setThreshold(uint256 threshold) internal {
        vm.prank(GOV);
        connext.setSequencerThreshold(threshold);
    }

    function _keys(uint256 a, uint256 b) internal pure returns (uint256[] memory keys) {
        keys = new uint256[](2);
        (keys[0], keys[1]) = (a, b);
    }

    // ------------------------------------------------------------------ governance

    function test_newDeployment_thresholdOneAndEmptySet() public {
        vm.expectEmit(true, true, true, true);
        emit IConnext.SequencerThresholdUpdated(0, 1);
        Connext fresh = new Connext(LOCAL, GOV, address(gateway), address(gateway), VAULT);
        assertEq(uint256(fresh.sequencerThreshold()), 1, "threshold");
        assertEq(uint256(fresh.approvedSequencerCount()), 0, "set");
        assertEq(uint256(connext.approvedSequencerCount()), SET_SIZE, "fixture's set");
    }

    function test_setThreshold_emitsAndApplies() public {
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.SequencerThresholdUpdated(1, SET_SIZE);
        _setThreshold(SET_SIZE);
        assertEq(uint256(connext.sequencerThreshold()), SET_SIZE, "threshold");
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.SequencerThresholdUpdated(SET_SIZE, 2);
        _setThreshold(2);
        assertEq(uint256(connext.sequencerThreshold()), 2, "lowered");
    }

    function test_revert_setThreshold_bounds() public {
        vm.startPrank(GOV);
        vm.expectRevert(abi.encodeWithSelector(IConnext.ParameterOutOfRange.selector, 0, 1, SET_SIZE));
        connext.setSequencerThreshold(0);
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.ParameterOutOfRange.selector, SET_SIZE + 1, 1, SET_SIZE)
        );
        connext.setSequencerThreshold(SET_SIZE + 1);
        vm.stopPrank();
        assertEq(uint256(connext.sequencerThreshold()), 1, "unchanged");
    }

    function test_revert_setThreshold_aboveOneWithEmptySet() public {
        Connext fresh = new Connext(LOCAL, GOV, address(gateway), address(gateway), VAULT);
        vm.startPrank(GOV);
        vm.expectRevert(abi.encodeWithSelector(IConnext.ParameterOutOfRange.selector, 2, 1, 1));
        fresh.setSequencerThreshold(2);
        fresh.setSequencerThreshold(1);
        vm.stopPrank();
    }

    function test_revert_setThreshold_onlyOwner() public {
        expectRevertFrom(
            BOB,
            address(connext),
            abi.encodeCall(ConnextAdmin.setSequencerThreshold, (2)),
            abi.encodeWithSelector(Ownable2Step.NotOwner.selector, BOB)
        );
    }

    function test_approval_countsEachSequencerOnce() public {
        vm.startPrank(GOV);
        connext.setSequencerApproval(vm.addr(SEQUENCER_KEY + 1), true);
        assertEq(uint256(connext.approvedSequencerCount()), SET_SIZE, "re-approving counts once");
        connext.setSequencerApproval(vm.addr(0xD00D), false);
        assertEq(
            uint256(connext.approvedSequencerCount()), SET_SIZE, "unapproving a stranger changes nothing"
        );
        connext.setSequencerApproval(vm.addr(SEQUENCER_KEY + 1), false);
        connext.setSequencerApproval(vm.addr(SEQUENCER_KEY + 1), false);
        assertEq(uint256(connext.approvedSequencerCount()), SET_SIZE - 1, "unapproving counts once");
        vm.stopPrank();
    }

    function test_revert_unapprove_belowThreshold() public {
        _setThreshold(SET_SIZE);
        vm.prank(GOV);
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.SequencerSetBelowThreshold.selector, SET_SIZE - 1, SET_SIZE)
        );
        connext.setSequencerApproval(sequencer, false);
        assertTrue(connext.approvedSequencers(sequencer), "still approved");

        // Lowering the threshold first lets the set shrink.
        _setThreshold(SET_SIZE - 1);
        vm.prank(GOV);
        connext.setSequencerApproval(sequencer, false);
        assertEq(uint256(connext.approvedSequencerCount()), SET_SIZE - 1, "shrunk");
    }

    function test_unapprove_lastSequencerAtThresholdOne_turnsFastPathOff() public {
        vm.startPrank(GOV);
        for (uint256 i; i < SET_SIZE; ++i) {
            connext.setSequencerApproval(vm.addr(sequencerKeys[i]), false);
        }
        vm.stopPrank();
        assertEq(uint256(connext.approvedSequencerCount()), 0, "empty set");
        assertEq(uint256(connext.sequencerThreshold()), 1, "threshold stays 1");
        ExecuteArgs memory args = _fastArgs(_usdc(AMOUNT, 1), 1);
        vm.expectRevert(abi.encodeWithSelector(IConnext.SequencerNotApproved.selector, sequencer));
        _execute(args);
    }

    // ------------------------------------------------------------------ execute with a quorum

    function test_quorum_threeOfFive_executes() public {
        _setThreshold(3);
        TransferInfo memory params = _usdc(AMOUNT, 1);
        ExecuteArgs memory args = _quorumArgs(params, _sortedKeys(0x0B)); // keys 0, 1, 3
        _execute(args);
        assertEq(uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.Executed), "executed");
        assertEq(usdc.balanceOf(BOB), AMOUNT * 9995 / 10_000, "delivered");
    }

    function test_quorum_moreSignaturesThanThreshold_executes() public {
        _setThreshold(2);
        TransferInfo memory params = _usdc(AMOUNT, 1);
        _execute(_quorumArgs(params, _sortedKeys(0x1F)));
        assertEq(uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.Executed), "executed");
    }

    function test_quorum_executedOnceHoweverManyQuorumsHandItOver() public {
        _setThreshold(2);
        TransferInfo memory params = _usdc(AMOUNT, 1);
        _execute(_quorumArgs(params, _sortedKeys(0x03)));
        ExecuteArgs memory again = _quorumArgs(params, _sortedKeys(0x0C));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.InvalidTransferStatus.selector, _id(params), TransferStatus.Executed
            )
        );
        _execute(again);
    }

    function test_revert_quorum_belowThreshold() public {
        _setThreshold(3);
        ExecuteArgs memory args = _quorumArgs(_usdc(AMOUNT, 1), _sortedKeys(0x05));
        vm.expectRevert(abi.encodeWithSelector(IConnext.SequencerQuorumNotReached.selector, 2, 3));
        _execute(args);
    }

    function test_revert_quorum_oneCapturedSequencerAlone() public {
        _setThreshold(2);
        // What the fast path accepted before the quorum: one approved sequencer's signature.
        ExecuteArgs memory args = _fastArgs(_usdc(AMOUNT, 1), 1);
        vm.expectRevert(abi.encodeWithSelector(IConnext.SequencerQuorumNotReached.selector, 1, 2));
        _execute(args);
    }

    function test_revert_quorum_duplicateSigner() public {
        _setThreshold(2);
        uint256[] memory keys = _keys(SEQUENCER_KEY + 2, SEQUENCER_KEY + 2);
        ExecuteArgs memory args = _quorumArgs(_usdc(AMOUNT, 1), keys);
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.DuplicateSequencer.selector, vm.addr(SEQUENCER_KEY + 2))
        );
        _execute(args);
    }

    function test_revert_quorum_unsorted() public {
        _setThreshold(2);
        uint256[] memory sorted = _sortedKeys(0x06);
        uint256[] memory keys = _keys(sorted[1], sorted[0]);
        ExecuteArgs memory args = _quorumArgs(_usdc(AMOUNT, 1), keys);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.SequencersNotAscending.selector, vm.addr(sorted[1]), vm.addr(sorted[0])
            )
        );
        _execute(args);
    }

    function test_revert_quorum_unapprovedSigner() public {
        _setThreshold(2);
        // The stranger takes its place in ascending order, so only its approval is wrong.
        uint256 stranger = 0xBAD;
        uint256[] memory keys = _keys(SEQUENCER_KEY, stranger);
        if (vm.addr(stranger) < vm.addr(SEQUENCER_KEY)) keys = _keys(stranger, SEQUENCER_KEY);
        ExecuteArgs memory args = _quorumArgs(_usdc(AMOUNT, 1), keys);
        vm.expectRevert(abi.encodeWithSelector(IConnext.SequencerNotApproved.selector, vm.addr(stranger)));
        _execute(args);
    }

    function test_revert_quorum_signerUnapprovedAfterSigning() public {
        _setThreshold(2);
        uint256[] memory keys = _sortedKeys(0x18); // keys 3 and 4
        ExecuteArgs memory args = _quorumArgs(_usdc(AMOUNT, 1), keys);
        vm.prank(GOV);
        connext.setSequencerApproval(vm.addr(keys[1]), false);
        vm.expectRevert(abi.encodeWithSelector(IConnext.SequencerNotApproved.selector, vm.addr(keys[1])));
        _execute(args);
    }

    function test_revert_quorum_firstSignerIsNotTheNamedSequencer() public {
        _setThreshold(2);
        uint256[] memory keys = _sortedKeys(0x03);
        ExecuteArgs memory args = _quorumArgs(_usdc(AMOUNT, 1), keys);
        args.sequencer = vm.addr(sequencerKeys[4]);
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.WrongSigner.selector, vm.addr(sequencerKeys[4]), vm.addr(keys[0]))
        );
        _execute(args);
    }

    function test_revert_quorum_signedForAnotherChain() public {
        _setThreshold(2);
        TransferInfo memory params = _usdc(AMOUNT, 1);
        ExecuteArgs memory args = _quorumArgs(params, _sortedKeys(0x03), block.chainid + 1, address(connext));
        bytes32 digest = routerSelectionDigest(block.chainid, address(connext), _id(params), args.routers);
        address recovered = recoverLoose(digest, _firstSignature(args.sequencerSignature));
        vm.expectRevert(abi.encodeWithSelector(IConnext.WrongSigner.selector, args.sequencer, recovered));
        _execute(args);
    }

    function test_revert_quorum_signedForAnotherConnext() public {
        _setThreshold(2);
        TransferInfo memory params = _usdc(AMOUNT, 1);
        ExecuteArgs memory args = _quorumArgs(params, _sortedKeys(0x03), block.chainid, address(0xC0FFEE));
        bytes32 digest = routerSelectionDigest(block.chainid, address(connext), _id(params), args.routers);
        address recovered = recoverLoose(digest, _firstSignature(args.sequencerSignature));
        vm.expectRevert(abi.encodeWithSelector(IConnext.WrongSigner.selector, args.sequencer, recovered));
        _execute(args);
    }

    function test_revert_quorum_laterSignatureForAnotherPath() public {
        _setThreshold(2);
        TransferInfo memory params = _usdc(AMOUNT, 1);
        uint256[] memory keys = _sortedKeys(0x03);
        ExecuteArgs memory args = _quorumArgs(params, keys);
        // The second sequencer signed a different router set: its signature recovers to some other key.
        address[] memory otherPath = new address[](1);
        otherPath[0] = routers[1];
        bytes memory forOther = signDigest(
            keys[1], routerSelectionDigest(block.chainid, address(connext), _id(params), otherPath)
        );
        args.sequencerSignature = bytes.concat(_firstSignature(args.sequencerSignature), forOther);
        address recovered = recoverLoose(
            routerSelectionDigest(block.chainid, address(connext), _id(params), args.routers), forOther
        );
        vm.expectRevert(
            recovered < args.sequencer
                ? abi.encodeWithSelector(IConnext.SequencersNotAscending.selector, args.sequencer, recovered)
                : abi.encodeWithSelector(IConnext.SequencerNotApproved.selector, recovered)
        );
        _execute(args);
        assertEq(uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.None), "not executed");
    }

    function test_revert_quorum_truncatedSignature() public {
        _setThreshold(2);
        ExecuteArgs memory args = _quorumArgs(_usdc(AMOUNT, 1), _sortedKeys(0x03));
        bytes memory cut = new bytes(129);
        for (uint256 i; i < 129; ++i) {
            cut[i] = args.sequencerSignature[i];
        }
        args.sequencerSignature = cut;
        vm.expectRevert(abi.encodeWithSelector(SignatureVerifier.InvalidSignatureLength.selector, 129));
        _execute(args);
    }

    function test_revert_quorum_emptySignature() public {
        ExecuteArgs memory args = _fastArgs(_usdc(AMOUNT, 1), 1);
        args.sequencerSignature = "";
        vm.expectRevert(abi.encodeWithSelector(SignatureVerifier.InvalidSignatureLength.selector, 0));
        _execute(args);
    }

    function test_revert_quorum_malleatedLaterSignature() public {
        _setThreshold(2);
        ExecuteArgs memory args = _quorumArgs(_usdc(AMOUNT, 1), _sortedKeys(0x03));
        bytes memory second = new bytes(65);
        for (uint256 i; i < 65; ++i) {
            second[i] = args.sequencerSignature[65 + i];
        }
        args.sequencerSignature = bytes.concat(_firstSignature(args.sequencerSignature), malleate(second));
        vm.expectRevert(SignatureVerifier.MalleableSignature.selector);
        _execute(args);
    }

    // ------------------------------------------------------------------ fuzz

    /// @dev Any subset of the five approved sequencers, in ascending order, routes a transfer exactly when it has at
    ///      least `threshold` members; a subset in any other order never does.
    function testFuzz_quorum_subsetAndThreshold(uint256 mask, uint256 threshold, bool reverse) public {
        mask = bound(mask, 1, (1 << SET_SIZE) - 1);
        threshold = bound(threshold, 1, SET_SIZE);
        _setThreshold(threshold);
        uint256[] memory keys = _sortedKeys(mask);
        if (reverse && keys.length > 1) {
            for (uint256 i; i < keys.length / 2; ++i) {
                (keys[i], keys[keys.length - 1 - i]) = (keys[keys.length - 1 - i], keys[i]);
            }
        }
        TransferInfo memory params = _usdc(AMOUNT, mask);
        ExecuteArgs memory args = _quorumArgs(params, keys);
        bool accepted = keys.length >= threshold && !(reverse && keys.length > 1);
        vm.prank(RELAYER);
        (bool ok,) = address(connext).call(abi.encodeCall(IConnext.execute, (args)));
        assertEq(ok, accepted, "accepted exactly with a sorted quorum");
        assertEq(
            uint256(connext.transferStatus(_id(params))),
            uint256(accepted ? TransferStatus.Executed : TransferStatus.None),
            "status"
        );
    }

    function _firstSignature(bytes memory packed) internal pure returns (bytes memory first) {
        first = new bytes(65);
        for (uint256 i; i < 65; ++i) {
            first[i] = packed[i];
        }
    }
}
