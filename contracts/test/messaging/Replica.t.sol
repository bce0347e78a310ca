// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MessagingFixture} from "./utils/MessagingFixture.sol";
import {RecordingRecipient} from "./utils/RecordingRecipient.sol";
import {Replica} from "../../src/messaging/Replica.sol";
import {UpdaterSignatures} from "../../src/messaging/UpdaterSignatures.sol";
import {Pausable} from "../../src/governance/Pausable.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";
import {SignatureVerifier} from "../../src/libraries/SignatureVerifier.sol";
import {ReentrancyGuard} from "../../src/utils/ReentrancyGuard.sol";
import {MerkleTree, TREE_DEPTH} from "../../src/messaging/libraries/MerkleTree.sol";
import {NaiveMerkle} from "../utils/NaiveMerkle.sol";
import {IMessageRecipient} from "../../src/interfaces/IMessageGateway.sol";

/// @notice Tries to process another message from inside `handle`.
contract ReenteringRecipient is IMessageRecipient {
    Replica internal immutable replica;
    bytes internal otherMessage;
    bytes32[TREE_DEPTH] internal otherProof;
    uint256 internal otherIndex;

    constructor(Replica target) {
        replica = target;
    }

    function arm(bytes memory message, bytes32[TREE_DEPTH] memory proof, uint256 index) external {
        otherMessage = message;
        otherProof = proof;
        otherIndex = index;
    }

    function handle(uint32, uint32, bytes32, bytes calldata) external {
        replica.proveAndProcess(otherMessage, otherProof, otherIndex);
    }
}

contract ReplicaTest is MessagingFixture {
    // ------------------------------------------------------------ construction

    function test_constructor_refusesZeroInitialRoot() public {
        ReplicaArgs memory args = replicaArgs();
        args.initialRoot = bytes32(0);
        vm.expectRevert(Replica.ZeroRoot.selector);
        deployReplica(args);
    }

    function test_constructor_refusesBadDomains() public {
        ReplicaArgs memory args = replicaArgs();
        args.localDomain = 0;
        vm.expectRevert(Replica.InvalidDomains.selector);
        deployReplica(args);
        args = replicaArgs();
        args.remoteDomain = 0;
        vm.expectRevert(Replica.InvalidDomains.selector);
        deployReplica(args);
        args = replicaArgs();
        args.remoteDomain = DESTINATION;
        vm.expectRevert(Replica.InvalidDomains.selector);
        deployReplica(args);
    }

    function test_constructor_refusesWindowBelowFloor() public {
        ReplicaArgs memory args = replicaArgs();
        args.window = 10;
        args.minWindow = 1800;
        vm.expectRevert(abi.encodeWithSelector(Replica.OptimisticWindowTooShort.selector, 10, 1800));
        deployReplica(args);
    }

    function test_constructor_refusesZeroUpdater() public {
        ReplicaArgs memory args = replicaArgs();
        args.updater = address(0);
        vm.expectRevert(UpdaterSignatures.ZeroUpdater.selector);
        deployReplica(args);
    }

    function test_constructor_refusesZeroConnectionManager() public {
        ReplicaArgs memory args = replicaArgs();
        args.connectionManager = address(0);
        vm.expectRevert(Replica.ZeroConnectionManager.selector);
        deployReplica(args);
    }

    function test_constructor_initialRootIsAcceptableAndEmptyTreeMatchesNaive() public view {
        assertEq(replica.committedRoot(), treeRoot(), "initial root is the empty tree's root");
        assertTrue(replica.acceptableRoot(replica.committedRoot()), "initial root acceptable");
        assertEq(uint256(replica.optimisticSeconds()), WINDOW, "window");
    }

    // ------------------------------------------------------------ updates

    function test_update_setsCommittedRootAndWindow() public {
        addMessage(0, "hello");
        bytes32 oldRoot = replica.committedRoot();
        bytes32 newRoot = treeRoot();
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, oldRoot, newRoot);
        vm.expectEmit(true, true, true, true, address(replica));
        emit Replica.Update(ORIGIN, oldRoot, newRoot, signature);
        replica.update(oldRoot, newRoot, signature);
        assertEq(replica.committedRoot(), newRoot, "committed");
        assertEq(replica.confirmAt(newRoot), block.timestamp + WINDOW, "confirmAt");
        assertFalse(replica.acceptableRoot(newRoot), "not yet acceptable");
        vm.warp(block.timestamp + WINDOW - 1);
        assertFalse(replica.acceptableRoot(newRoot), "one second early");
        vm.warp(block.timestamp + 1);
        assertTrue(replica.acceptableRoot(newRoot), "acceptable at confirmAt");
    }

    function test_update_refusesZeroNewRoot() public {
        bytes32 oldRoot = replica.committedRoot();
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, oldRoot, bytes32(0));
        vm.expectRevert(Replica.ZeroRoot.selector);
        replica.update(oldRoot, bytes32(0), signature);
    }

    function test_update_refusesOldRootNotCommitted() public {
        bytes32 stale = keccak256("stale");
        bytes32 newRoot = keccak256("new");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, stale, newRoot);
        vm.expectRevert(
            abi.encodeWithSelector(Replica.NotCommittedRoot.selector, stale, replica.committedRoot())
        );
        replica.update(stale, newRoot, signature);
    }

    function test_update_refusesWrongKey() public {
        bytes32 oldRoot = replica.committedRoot();
        bytes32 newRoot = keccak256("new");
        bytes memory signature = signUpdate(STRANGER_KEY, ORIGIN, oldRoot, newRoot);
        vm.expectRevert(notUpdaterSignature(vm.addr(STRANGER_KEY)));
        replica.update(oldRoot, newRoot, signature);
    }

    function test_update_refusesSignatureForAnotherDomain() public {
        bytes32 oldRoot = replica.committedRoot();
        bytes32 newRoot = keccak256("new");
        bytes memory signature = signUpdate(UPDATER_KEY, OTHER_DOMAIN, oldRoot, newRoot);
        // Recovery over this domain's hash yields some unrelated address, never the updater.
        vm.expectPartialRevert(UpdaterSignatures.NotUpdaterSignature.selector);
        replica.update(oldRoot, newRoot, signature);
        assertEq(replica.committedRoot(), oldRoot, "unchanged");
        assertEq(replica.confirmAt(newRoot), 0, "no confirmAt");
    }

    function test_update_refusesMalleableSignature() public {
        bytes32 oldRoot = replica.committedRoot();
        bytes32 newRoot = keccak256("new");
        bytes memory signature = malleate(signUpdate(UPDATER_KEY, ORIGIN, oldRoot, newRoot));
        vm.expectRevert(SignatureVerifier.MalleableSignature.selector);
        replica.update(oldRoot, newRoot, signature);
    }

    function test_update_refusesBadSignatureLength() public {
        bytes32 oldRoot = replica.committedRoot();
        vm.expectRevert(abi.encodeWithSelector(SignatureVerifier.InvalidSignatureLength.selector, 64));
        replica.update(oldRoot, keccak256("new"), new bytes(64));
    }

    function test_update_refusesBadV() public {
        bytes32 oldRoot = replica.committedRoot();
        bytes32 newRoot = keccak256("new");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, oldRoot, newRoot);
        signature[64] = bytes1(uint8(29));
        vm.expectRevert(abi.encodeWithSelector(SignatureVerifier.InvalidSignatureV.selector, 29));
        replica.update(oldRoot, newRoot, signature);
    }

    function test_update_worksWhilePaused() public {
        vm.prank(governance);
        replica.pause();
        addMessage(0, "x");
        commitToReplica();
        assertEq(replica.committedRoot(), treeRoot(), "updates continue while paused");
    }

    // ------------------------------------------------------------ the Nomad exploit (August 2022)

    /// @dev Nomad's Replica was initialised with committed root 0, which made `confirmAt[0]` non-zero; an
    ///      unproven message's root read as 0 from storage and was therefore "acceptable", so anyone could
    ///      process any message. Here the zero root is refused at every door, even if storage is forced.
    function test_nomadExploit_unprovenMessageAgainstZeroRootFails() public {
        // The initialisation that caused it is refused outright.
        ReplicaArgs memory args = replicaArgs();
        args.initialRoot = bytes32(0);
        vm.expectRevert(Replica.ZeroRoot.selector);
        deployReplica(args);

        // Even with confirmAt[0] forced non-zero in storage (slot of mapping `confirmAt` at key 0)...
        bytes32 confirmAtZeroSlot = keccak256(abi.encode(bytes32(0), uint256(4)));
        vm.store(address(replica), confirmAtZeroSlot, bytes32(uint256(1)));
        assertEq(replica.confirmAt(bytes32(0)), 1, "storage forced as in the exploit");
        assertFalse(replica.acceptableRoot(bytes32(0)), "zero root still not acceptable");

        // ...an attacker's message that was never dispatched cannot be processed.
        bytes memory forged = buildMessage(ORIGIN, 7, DESTINATION, toBytes32(address(recipient)), "steal");
        vm.expectRevert(abi.encodeWithSelector(Replica.NotProven.selector, keccak256(forged)));
        replica.process(forged);

        // Nor proven with an all-zero proof: it leads to some root that was never signed.
        bytes32[TREE_DEPTH] memory emptyProof;
        vm.expectPartialRevert(Replica.RootNotAcceptable.selector);
        replica.proveAndProcess(forged, emptyProof, 0);
        assertEq(recipient.handledCount(), 0, "nothing delivered");
    }

    // ------------------------------------------------------------ prove and process

    function test_proveAndProcess_deliversAfterWindow() public {
        bytes memory message = addMessage(0, "hello");
        commitToReplica();
        bytes32[TREE_DEPTH] memory proof = proofOf(0);

        vm.expectRevert(abi.encodeWithSelector(Replica.RootNotAcceptable.selector, treeRoot()));
        replica.proveAndProcess(message, proof, 0);

        vm.warp(block.timestamp + WINDOW);
        vm.expectEmit(true, true, true, true, address(recipient));
        emit RecordingRecipient.Handled(ORIGIN, 0, toBytes32(address(0xC0FFEE)), "hello");
        vm.expectEmit(true, true, true, true, address(replica));
        emit Replica.Processed(keccak256(message), 0);
        assertTrue(replica.proveAndProcess(message, proof, 0), "delivered");
        assertTrue(replica.isProcessed(0), "flag set");
        assertEq(recipient.handledCount(), 1, "handled once");
    }

    function test_proveAndProcess_refusesSecondDelivery() public {
        bytes memory message = addMessage(0, "hello");
        commitAndRipen();
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        replica.proveAndProcess(message, proof, 0);
        vm.expectRevert(abi.encodeWithSelector(Replica.AlreadyProcessed.selector, 0));
        replica.proveAndProcess(message, proof, 0);
        assertEq(recipient.handledCount(), 1, "handled once");
    }

    function test_proveAndProcess_refusesIndexBeyondTree() public {
        bytes memory message = addMessage(0, "hello");
        commitAndRipen();
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        // The same proof with bit 32 set would otherwise verify and claim a second processed flag.
        uint256 aliasIndex = uint256(1) << 32;
        vm.expectRevert(abi.encodeWithSelector(Replica.IndexOutOfRange.selector, aliasIndex));
        replica.proveAndProcess(message, proof, aliasIndex);
        uint256 lastSlot = 2 ** 32 - 1;
        vm.expectRevert(abi.encodeWithSelector(Replica.IndexOutOfRange.selector, lastSlot));
        replica.proveAndProcess(message, proof, lastSlot);
    }

    function test_proveAndProcess_refusesWrongProof() public {
        bytes memory message = addMessage(0, "hello");
        addMessage(1, "world");
        commitAndRipen();
        bytes32[TREE_DEPTH] memory proof = proofOf(1);
        vm.expectPartialRevert(Replica.RootNotAcceptable.selector);
        replica.proveAndProcess(message, proof, 0);
        assertFalse(replica.isProcessed(0), "nothing processed");
    }

    function test_proveAndProcess_refusesMessageForAnotherDestination() public {
        bytes memory message = buildMessage(ORIGIN, 0, OTHER_DOMAIN, toBytes32(address(recipient)), "x");
        leaves.push(keccak256(message));
        commitAndRipen();
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        vm.expectRevert(abi.encodeWithSelector(Replica.WrongDestination.selector, OTHER_DOMAIN));
        replica.proveAndProcess(message, proof, 0);
    }

    function test_proveAndProcess_refusesMessageFromAnotherOrigin() public {
        bytes memory message = buildMessage(OTHER_DOMAIN, 0, DESTINATION, toBytes32(address(recipient)), "x");
        leaves.push(keccak256(message));
        commitAndRipen();
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        vm.expectRevert(abi.encodeWithSelector(Replica.WrongOrigin.selector, OTHER_DOMAIN));
        replica.proveAndProcess(message, proof, 0);
    }

    function test_proveAndProcess_refusesRecipientThatIsNotAnAddress() public {
        bytes32 wide = bytes32(uint256(1) << 200);
        bytes memory message = buildMessage(ORIGIN, 0, DESTINATION, wide, "x");
        leaves.push(keccak256(message));
        commitAndRipen();
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        vm.expectRevert(abi.encodeWithSelector(Replica.RecipientNotAddress.selector, wide));
        replica.proveAndProcess(message, proof, 0);
    }

    function test_proveAndProcess_refusesOversizedAndShortMessages() public {
        bytes memory big =
            buildMessage(ORIGIN, 0, DESTINATION, toBytes32(address(recipient)), new bytes(2049));
        leaves.push(keccak256(big));
        bytes memory short = new bytes(75);
        leaves.push(keccak256(short));
        commitAndRipen();
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        vm.expectRevert(abi.encodeWithSelector(Replica.InvalidMessageLength.selector, big.length));
        replica.proveAndProcess(big, proof, 0);
        proof = proofOf(1);
        vm.expectRevert(abi.encodeWithSelector(Replica.InvalidMessageLength.selector, 75));
        replica.proveAndProcess(short, proof, 1);
    }

    function test_proveAndProcess_refusedWhenPaused() public {
        bytes memory message = addMessage(0, "hello");
        commitAndRipen();
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        vm.prank(governance);
        replica.pause();
        vm.expectRevert(Pausable.IsPaused.selector);
        replica.proveAndProcess(message, proof, 0);
        vm.prank(governance);
        replica.unpause();
        assertTrue(replica.proveAndProcess(message, proof, 0), "delivered after unpause");
    }

    function test_failedHandle_leavesMessageRetryableAndEmitsRevertData() public {
        bytes memory message = addMessage(5, "hello");
        commitAndRipen();
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        recipient.setRejecting(true);

        bytes memory reason = abi.encodeWithSelector(RecordingRecipient.Rejected.selector, uint32(5));
        vm.expectEmit(true, true, true, true, address(replica));
        emit Replica.ProcessFailed(keccak256(message), 0, reason);
        assertFalse(replica.proveAndProcess(message, proof, 0), "not delivered");
        assertFalse(replica.isProcessed(0), "not marked processed");
        (bool proven, uint256 index) = replica.provenIndex(keccak256(message));
        assertTrue(proven, "remembered as proven");
        assertEq(index, 0, "at its index");

        // A retry without the proof fails again while the recipient still rejects...
        assertFalse(replica.process(message), "still failing");
        // ...and succeeds once it accepts; then it can never be delivered again.
        recipient.setRejecting(false);
        assertTrue(replica.process(message), "delivered on retry");
        assertTrue(replica.isProcessed(0), "processed");
        (proven,) = replica.provenIndex(keccak256(message));
        assertFalse(proven, "proof record cleared");
        vm.expectRevert(abi.encodeWithSelector(Replica.NotProven.selector, keccak256(message)));
        replica.process(message);
        vm.expectRevert(abi.encodeWithSelector(Replica.AlreadyProcessed.selector, 0));
        replica.proveAndProcess(message, proof, 0);
        assertEq(recipient.handledCount(), 1, "handled exactly once");
    }

    function test_recipientWithoutCode_isAFailedDelivery() public {
        bytes memory message = buildMessage(ORIGIN, 0, DESTINATION, toBytes32(address(0xDEAD)), "x");
        leaves.push(keccak256(message));
        commitAndRipen();
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        assertFalse(replica.proveAndProcess(message, proof, 0), "nothing could handle it");
        assertFalse(replica.isProcessed(0), "retryable");
    }

    function test_reentrantProcessFromHandle_failsAndStaysRetryable() public {
        ReenteringRecipient attacker = new ReenteringRecipient(replica);
        bytes memory first = buildMessage(ORIGIN, 0, DESTINATION, toBytes32(address(attacker)), "a");
        leaves.push(keccak256(first));
        bytes memory second = addMessage(1, "b");
        commitAndRipen();
        attacker.arm(second, proofOf(1), 1);
        bytes32[TREE_DEPTH] memory proof = proofOf(0);

        vm.expectEmit(true, true, true, true, address(replica));
        emit Replica.ProcessFailed(
            keccak256(first), 0, abi.encodeWithSelector(ReentrancyGuard.Reentrancy.selector)
        );
        assertFalse(replica.proveAndProcess(first, proof, 0), "re-entry refused");
        assertFalse(replica.isProcessed(1), "inner message untouched");
    }

    // ------------------------------------------------------------ prove, then process

    function test_proveThenProcess() public {
        bytes memory message = addMessage(0, "hello");
        commitAndRipen();
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        vm.expectEmit(true, true, true, true, address(replica));
        emit Replica.Proven(keccak256(message), 0);
        replica.prove(keccak256(message), proof, 0);
        assertTrue(replica.process(message), "delivered");
        assertEq(recipient.handledCount(), 1, "handled");
    }

    function test_prove_refusesUnacceptableRootAndProcessedIndex() public {
        bytes memory message = addMessage(0, "hello");
        commitToReplica();
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        vm.expectRevert(abi.encodeWithSelector(Replica.RootNotAcceptable.selector, treeRoot()));
        replica.prove(keccak256(message), proof, 0);
        vm.warp(block.timestamp + WINDOW);
        replica.proveAndProcess(message, proof, 0);
        vm.expectRevert(abi.encodeWithSelector(Replica.AlreadyProcessed.selector, 0));
        replica.prove(keccak256(message), proof, 0);
    }

    function test_process_refusesUnprovenMessage() public {
        bytes memory message = addMessage(0, "hello");
        commitAndRipen();
        vm.expectRevert(abi.encodeWithSelector(Replica.NotProven.selector, keccak256(message)));
        replica.process(message);
    }

    // ------------------------------------------------------------ batches

    function test_batch_deliversAllUnderOneRoot() public {
        uint256 n = 10;
        bytes[] memory batch = new bytes[](n);
        for (uint256 i = 0; i < n; ++i) {
            batch[i] = addMessage(uint32(i), abi.encodePacked("message ", i));
        }
        commitAndRipen();
        uint256[] memory indices = _range(0, n);
        bytes32[] memory proof = NaiveMerkle.multiProof(leaves, indices);
        assertLe(proof.length, 32, "a contiguous aligned batch shares one path");
        assertEq(replica.proveAndProcessBatch(batch, indices, proof), n, "all delivered");
        for (uint256 i = 0; i < n; ++i) {
            assertTrue(replica.isProcessed(i), "processed");
        }
        assertEq(recipient.handledCount(), n, "handled");
    }

    function test_batch_skipsInterleavedMessagesForOtherDomains() public {
        // The origin's one tree interleaves messages to other destinations; a batch proves only its own.
        bytes[] memory batch = new bytes[](3);
        batch[0] = addMessage(0, "a");
        leaves.push(keccak256(buildMessage(ORIGIN, 0, OTHER_DOMAIN, toBytes32(address(recipient)), "x")));
        batch[1] = addMessage(1, "b");
        leaves.push(keccak256(buildMessage(ORIGIN, 1, OTHER_DOMAIN, toBytes32(address(recipient)), "y")));
        leaves.push(keccak256(buildMessage(ORIGIN, 2, OTHER_DOMAIN, toBytes32(address(recipient)), "z")));
        batch[2] = addMessage(2, "c");
        commitAndRipen();
        uint256[] memory indices = new uint256[](3);
        (indices[0], indices[1], indices[2]) = (0, 2, 5);
        bytes32[] memory proof = NaiveMerkle.multiProof(leaves, indices);
        assertEq(replica.proveAndProcessBatch(batch, indices, proof), 3, "all three delivered");
        assertFalse(replica.isProcessed(1), "other domain's leaf untouched");
    }

    function test_batch_failedHandleDoesNotStopTheOthers() public {
        RecordingRecipient rejecting = new RecordingRecipient();
        rejecting.setRejecting(true);
        bytes[] memory batch = new bytes[](3);
        batch[0] = addMessage(0, "a");
        batch[1] = buildMessage(ORIGIN, 1, DESTINATION, toBytes32(address(rejecting)), "b");
        leaves.push(keccak256(batch[1]));
        batch[2] = addMessage(2, "c");
        commitAndRipen();
        uint256[] memory indices = _range(0, 3);
        assertEq(
            replica.proveAndProcessBatch(batch, indices, NaiveMerkle.multiProof(leaves, indices)), 2, "two"
        );
        assertFalse(replica.isProcessed(1), "failed one retryable");
        rejecting.setRejecting(false);
        assertTrue(replica.process(batch[1]), "retried");
    }

    function test_batch_refusesRootInsideWindow() public {
        bytes[] memory batch = new bytes[](2);
        batch[0] = addMessage(0, "a");
        batch[1] = addMessage(1, "b");
        commitToReplica();
        uint256[] memory indices = _range(0, 2);
        bytes32[] memory proof = NaiveMerkle.multiProof(leaves, indices);
        vm.expectRevert(abi.encodeWithSelector(Replica.RootNotAcceptable.selector, treeRoot()));
        replica.proveAndProcessBatch(batch, indices, proof);
    }

    function test_batch_refusesTamperedMessageOrProof() public {
        bytes[] memory batch = new bytes[](2);
        batch[0] = addMessage(0, "a");
        batch[1] = addMessage(1, "b");
        addMessage(2, "c");
        commitAndRipen();
        uint256[] memory indices = _range(0, 2);
        bytes32[] memory proof = NaiveMerkle.multiProof(leaves, indices);

        batch[1] = buildMessage(ORIGIN, 1, DESTINATION, toBytes32(address(recipient)), "forged");
        vm.expectPartialRevert(Replica.RootNotAcceptable.selector);
        replica.proveAndProcessBatch(batch, indices, proof);

        batch[1] = messages[1];
        proof[0] = keccak256("wrong sibling");
        vm.expectPartialRevert(Replica.RootNotAcceptable.selector);
        replica.proveAndProcessBatch(batch, indices, proof);
        assertEq(recipient.handledCount(), 0, "nothing delivered");
    }

    function test_batch_refusesMalformedBatches() public {
        bytes[] memory none = new bytes[](0);
        bytes32[] memory noProof = new bytes32[](0);
        vm.expectRevert(Replica.InvalidBatch.selector);
        replica.proveAndProcessBatch(none, new uint256[](0), noProof);

        bytes[] memory two = new bytes[](2);
        two[0] = addMessage(0, "a");
        two[1] = addMessage(1, "b");
        commitAndRipen();
        vm.expectRevert(Replica.InvalidBatch.selector);
        replica.proveAndProcessBatch(two, new uint256[](1), noProof);

        uint256[] memory indices = _range(0, 2);
        bytes32[] memory proof = NaiveMerkle.multiProof(leaves, indices);
        bytes32[] memory shortProof = new bytes32[](proof.length - 1);
        for (uint256 i = 0; i < shortProof.length; ++i) {
            shortProof[i] = proof[i];
        }
        vm.expectRevert(MerkleTree.InvalidMultiproofLength.selector);
        replica.proveAndProcessBatch(two, indices, shortProof);

        bytes32[] memory longProof = new bytes32[](proof.length + 1);
        for (uint256 i = 0; i < proof.length; ++i) {
            longProof[i] = proof[i];
        }
        vm.expectRevert(MerkleTree.InvalidMultiproofLength.selector);
        replica.proveAndProcessBatch(two, indices, longProof);
    }

    function test_batch_refusesUnsortedDuplicateOrOutOfRangeIndices() public {
        bytes[] memory batch = new bytes[](2);
        batch[0] = addMessage(0, "a");
        batch[1] = batch[0];
        commitAndRipen();
        uint256[] memory duplicate = new uint256[](2);
        vm.expectRevert(MerkleTree.InvalidMultiproofIndices.selector);
        replica.proveAndProcessBatch(batch, duplicate, new bytes32[](32));

        uint256[] memory descending = new uint256[](2);
        descending[0] = 1;
        vm.expectRevert(MerkleTree.InvalidMultiproofIndices.selector);
        replica.proveAndProcessBatch(batch, descending, new bytes32[](32));

        bytes[] memory single = new bytes[](1);
        single[0] = batch[0];
        uint256[] memory beyond = new uint256[](1);
        beyond[0] = uint256(1) << 32;
        vm.expectRevert(MerkleTree.InvalidMultiproofIndices.selector);
        replica.proveAndProcessBatch(single, beyond, new bytes32[](32));
        assertFalse(replica.isProcessed(0), "nothing processed");
    }

    function test_batch_refusesAlreadyProcessedMessage() public {
        bytes[] memory batch = new bytes[](2);
        batch[0] = addMessage(0, "a");
        batch[1] = addMessage(1, "b");
        commitAndRipen();
        bytes32[TREE_DEPTH] memory single = proofOf(0);
        replica.proveAndProcess(batch[0], single, 0);
        uint256[] memory indices = _range(0, 2);
        bytes32[] memory proof = NaiveMerkle.multiProof(leaves, indices);
        vm.expectRevert(abi.encodeWithSelector(Replica.AlreadyProcessed.selector, 0));
        replica.proveAndProcessBatch(batch, indices, proof);
        assertFalse(replica.isProcessed(1), "whole batch reverted");
    }

    // ------------------------------------------------------------ double update, halt, governance

    function test_doubleUpdate_failsReplica() public {
        bytes32 oldRoot = replica.committedRoot();
        bytes32[2] memory roots = [keccak256("a"), keccak256("b")];
        (bytes memory sig0, bytes memory sig1) = signDoubleUpdate(UPDATER_KEY, ORIGIN, oldRoot, roots);
        vm.expectEmit(true, true, true, true, address(replica));
        emit Replica.ReplicaFailed(address(this));
        replica.doubleUpdate(oldRoot, roots, sig0, sig1);
        assertEq(uint256(replica.state()), uint256(Replica.State.Failed), "failed");
        _assertRefusesEverything(Replica.State.Failed);
    }

    function test_doubleUpdate_refusesNonConflictingOrForeignSignatures() public {
        bytes32 oldRoot = replica.committedRoot();
        bytes32[2] memory same = [keccak256("a"), keccak256("a")];
        bytes memory sig = signUpdate(UPDATER_KEY, ORIGIN, oldRoot, same[0]);
        vm.expectRevert(UpdaterSignatures.NotConflicting.selector);
        replica.doubleUpdate(oldRoot, same, sig, sig);

        bytes32[2] memory roots = [keccak256("a"), keccak256("b")];
        bytes memory foreign = signUpdate(STRANGER_KEY, ORIGIN, oldRoot, roots[1]);
        vm.expectRevert(notUpdaterSignature(vm.addr(STRANGER_KEY)));
        replica.doubleUpdate(oldRoot, roots, sig, foreign);
        assertEq(uint256(replica.state()), uint256(Replica.State.Active), "still active");
    }

    function test_halt_onlyByConnectionManager() public {
        vm.expectRevert(abi.encodeWithSelector(Replica.NotConnectionManager.selector, address(this)));
        replica.halt();
        vm.prank(governance);
        manager.unenrollReplica(ORIGIN);
        assertEq(uint256(replica.state()), uint256(Replica.State.Halted), "halted");
        _assertRefusesEverything(Replica.State.Halted);
        vm.prank(address(manager));
        vm.expectRevert(abi.encodeWithSelector(Replica.ReplicaNotActive.selector, Replica.State.Halted));
        replica.halt();
    }

    function test_setOptimisticSeconds_boundedByFloorAndOwnerOnly() public {
        ReplicaArgs memory args = replicaArgs();
        args.window = 1800;
        args.minWindow = 1800;
        Replica guarded = deployReplica(args);
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(Replica.OptimisticWindowTooShort.selector, 60, 1800));
        guarded.setOptimisticSeconds(60);
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, address(this)));
        guarded.setOptimisticSeconds(3600);
        vm.prank(governance);
        guarded.setOptimisticSeconds(3600);
        assertEq(uint256(guarded.optimisticSeconds()), 3600, "raised");
    }

    function test_setUpdater_ownerOnlyAndApplies() public {
        address next = vm.addr(STRANGER_KEY);
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, address(this)));
        replica.setUpdater(next);
        vm.prank(governance);
        replica.setUpdater(next);
        addMessage(0, "x");
        bytes32 oldRoot = replica.committedRoot();
        bytes32 newRoot = treeRoot();
        bytes memory oldKeySig = signUpdate(UPDATER_KEY, ORIGIN, oldRoot, newRoot);
        vm.expectRevert(notUpdaterSignature(updaterAddr));
        replica.update(oldRoot, newRoot, oldKeySig);
        replica.update(oldRoot, newRoot, signUpdate(STRANGER_KEY, ORIGIN, oldRoot, newRoot));
        assertEq(replica.committedRoot(), newRoot, "new key accepted");
    }

    // ------------------------------------------------------------ fuzz

    /// @dev Random message sets: single proofs and multiproofs from the independent naive tree verify on the
    ///      Replica, for a random subset of the messages.
    function testFuzz_randomMessagesProveAgainstNaiveTree(uint8 countSeed, bytes32 seed, uint256 subsetMask)
        public
    {
        uint256 n = bound(countSeed, 1, 40);
        for (uint256 i = 0; i < n; ++i) {
            uint256 bodyLength = uint256(keccak256(abi.encode(seed, i))) % 200;
            bytes memory body = new bytes(bodyLength);
            for (uint256 b = 0; b < bodyLength; ++b) {
                body[b] = bytes1(uint8(uint256(keccak256(abi.encode(seed, i, b)))));
            }
            addMessage(uint32(i), body);
        }
        commitAndRipen();
        uint256 chosen;
        for (uint256 i = 0; i < n; ++i) {
            if ((subsetMask >> i) & 1 == 1) ++chosen;
        }
        if (chosen == 0) {
            subsetMask = 1;
            chosen = 1;
        }
        bytes[] memory batch = new bytes[](chosen);
        uint256[] memory indices = new uint256[](chosen);
        uint256 k;
        for (uint256 i = 0; i < n; ++i) {
            if ((subsetMask >> i) & 1 == 1) {
                batch[k] = messages[i];
                indices[k++] = i;
            }
        }
        bytes32[] memory proof = NaiveMerkle.multiProof(leaves, indices);
        assertEq(
            replica.proveAndProcessBatch(batch, indices, proof), chosen, "every chosen message delivered"
        );
        // Every message left out still proves on its own against the same root.
        for (uint256 i = 0; i < n; ++i) {
            if ((subsetMask >> i) & 1 == 0) {
                bytes32[TREE_DEPTH] memory single = proofOf(i);
                assertTrue(replica.proveAndProcess(messages[i], single, i), "single proof delivered");
            }
        }
    }

    // ------------------------------------------------------------ helpers

    function _range(uint256 from, uint256 n) internal pure returns (uint256[] memory indices) {
        indices = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            indices[i] = from + i;
        }
    }

    function _assertRefusesEverything(Replica.State state) internal {
        bytes memory message = addMessage(0, "late");
        bytes32 oldRoot = replica.committedRoot();
        bytes32 newRoot = treeRoot();
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, oldRoot, newRoot);
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        bytes memory notActive = abi.encodeWithSelector(Replica.ReplicaNotActive.selector, state);

        vm.expectRevert(notActive);
        replica.update(oldRoot, newRoot, signature);
        vm.expectRevert(notActive);
        replica.proveAndProcess(message, proof, 0);
        vm.expectRevert(notActive);
        replica.prove(keccak256(message), proof, 0);
        vm.expectRevert(notActive);
        replica.process(message);
        bytes[] memory batch = new bytes[](1);
        batch[0] = message;
        vm.expectRevert(notActive);
        replica.proveAndProcessBatch(batch, new uint256[](1), new bytes32[](32));
        bytes32[2] memory roots = [keccak256("c"), keccak256("d")];
        vm.expectRevert(notActive);
        replica.doubleUpdate(oldRoot, roots, signature, signature);
        vm.prank(governance);
        vm.expectRevert(notActive);
        replica.setUpdater(address(1));
        assertEq(replica.committedRoot(), oldRoot, "root unchanged");
        assertEq(recipient.handledCount(), 0, "nothing delivered");
    }
}
