// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Vm} from "../utils/Vm.sol";
import {MessagingFixture} from "./utils/MessagingFixture.sol";
import {Replica} from "../../src/messaging/Replica.sol";
import {TREE_DEPTH} from "../../src/messaging/libraries/MerkleTree.sol";
import {NaiveMerkle} from "../utils/NaiveMerkle.sol";

/// @notice A Replica enrolled to replace a halted one (the recovery after fraud or a deep reorg) never delivers
///         again what its predecessor, or the predecessor's own predecessors, delivered.
contract ReplicaSuccessionTest is MessagingFixture {
    // ------------------------------------------------------------ what a successor refuses and delivers

    function test_successor_refusesMessageProcessedByPredecessor() public {
        bytes memory first = addMessage(0, "a");
        bytes memory second = addMessage(1, "b");
        commitAndRipen();
        Replica old = replica;
        assertTrue(old.proveAndProcess(first, proofOf(0), 0), "delivered by the old Replica");

        Replica successor = _succeed();
        assertTrue(successor.isProcessed(0), "the predecessor's delivery counts here");
        assertFalse(successor.isProcessed(1), "an undelivered index does not");
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        vm.expectRevert(abi.encodeWithSelector(Replica.AlreadyProcessed.selector, 0));
        successor.proveAndProcess(first, proof, 0);
        vm.expectRevert(abi.encodeWithSelector(Replica.AlreadyProcessed.selector, 0));
        successor.prove(keccak256(first), proof, 0);

        assertTrue(successor.proveAndProcess(second, proofOf(1), 1), "the next one is delivered");
        assertFalse(old.isProcessed(1), "the halted Replica never sees its successor's deliveries");
        assertEq(recipient.handledCount(), 2, "each message handled once");
    }

    function test_successor_refusesBatchWithMessageProcessedByPredecessor() public {
        bytes[] memory batch = new bytes[](3);
        for (uint256 i = 0; i < 3; ++i) {
            batch[i] = addMessage(uint32(i), abi.encodePacked("message ", i));
        }
        commitAndRipen();
        replica.proveAndProcess(batch[0], proofOf(0), 0);

        Replica successor = _succeed();
        uint256[] memory all = _indices(0, 3);
        bytes32[] memory proof = NaiveMerkle.multiProof(leaves, all);
        vm.expectRevert(abi.encodeWithSelector(Replica.AlreadyProcessed.selector, 0));
        successor.proveAndProcessBatch(batch, all, proof);
        assertFalse(successor.isProcessed(1), "the whole batch reverted");

        bytes[] memory rest = new bytes[](2);
        rest[0] = batch[1];
        rest[1] = batch[2];
        uint256[] memory restIndices = _indices(1, 2);
        assertEq(
            successor.proveAndProcessBatch(rest, restIndices, NaiveMerkle.multiProof(leaves, restIndices)),
            2,
            "the others delivered"
        );
        assertEq(recipient.handledCount(), 3, "each message handled once");
    }

    function test_successor_deliversOnceWhatPredecessorProvedButNeverDelivered() public {
        bytes memory message = addMessage(0, "a");
        commitAndRipen();
        Replica old = replica;
        recipient.setRejecting(true);
        assertFalse(old.proveAndProcess(message, proofOf(0), 0), "the handler refused it");
        (bool proven,) = old.provenIndex(keccak256(message));
        assertTrue(proven, "proven, not delivered");

        Replica successor = _succeed();
        recipient.setRejecting(false);
        vm.expectRevert(abi.encodeWithSelector(Replica.ReplicaNotActive.selector, Replica.State.Halted));
        old.process(message);
        assertFalse(successor.isProcessed(0), "not processed anywhere");
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        assertTrue(successor.proveAndProcess(message, proof, 0), "delivered by the successor");
        vm.expectRevert(abi.encodeWithSelector(Replica.AlreadyProcessed.selector, 0));
        successor.proveAndProcess(message, proof, 0);
        assertEq(recipient.handledCount(), 1, "handled exactly once");
    }

    function test_successor_chainOfThreeRefusesEveryEarlierDelivery() public {
        bytes memory first = addMessage(0, "a");
        bytes memory second = addMessage(1, "b");
        bytes memory third = addMessage(2, "c");
        commitAndRipen();
        Replica a = replica;
        a.proveAndProcess(first, proofOf(0), 0);
        Replica b = _succeed();
        b.proveAndProcess(second, proofOf(1), 1);
        Replica c = _succeed();
        assertEq(c.predecessor(), address(b), "c replaces b");
        assertEq(b.predecessor(), address(a), "b replaces a");

        assertTrue(c.isProcessed(0), "delivered two Replicas back");
        assertTrue(c.isProcessed(1), "delivered one Replica back");
        assertFalse(c.isProcessed(2), "never delivered");
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        vm.expectRevert(abi.encodeWithSelector(Replica.AlreadyProcessed.selector, 0));
        c.proveAndProcess(first, proof, 0);
        proof = proofOf(1);
        vm.expectRevert(abi.encodeWithSelector(Replica.AlreadyProcessed.selector, 1));
        c.proveAndProcess(second, proof, 1);
        assertTrue(c.proveAndProcess(third, proofOf(2), 2), "the new message is delivered");
        assertEq(recipient.handledCount(), 3, "each message handled once");
    }

    // ------------------------------------------------------------ construction

    function test_constructor_namesPredecessorAndEmits() public {
        vm.prank(governance);
        manager.unenrollReplica(ORIGIN);
        bytes32 root = home.committedRoot();
        vm.expectEmit(true, true, true, true);
        emit Replica.PredecessorSet(address(replica));
        Replica successor = _deploy(DESTINATION, ORIGIN, block.chainid, address(home), root, address(replica));
        assertEq(successor.predecessor(), address(replica), "getter");
    }

    function test_constructor_refusesPredecessorWithoutCodeOrGetters() public {
        bytes32 root = home.committedRoot();
        address account = address(0xBEEF);
        vm.expectRevert(abi.encodeWithSelector(Replica.InvalidPredecessor.selector, account));
        _deploy(DESTINATION, ORIGIN, block.chainid, address(home), root, account);
        vm.expectRevert(abi.encodeWithSelector(Replica.InvalidPredecessor.selector, address(recipient)));
        _deploy(DESTINATION, ORIGIN, block.chainid, address(home), root, address(recipient));
        // A contract answering some of the getters only: the Home has a localDomain, no remoteDomain.
        vm.expectRevert(abi.encodeWithSelector(Replica.InvalidPredecessor.selector, address(home)));
        _deploy(DESTINATION, ORIGIN, block.chainid, address(home), root, address(home));
    }

    function test_constructor_refusesPredecessorOfAnotherTree() public {
        bytes32 root = home.committedRoot();
        Replica otherLocal = _deploy(OTHER_DOMAIN, ORIGIN, block.chainid, address(home), root, address(0));
        Replica otherRemote =
            _deploy(DESTINATION, OTHER_DOMAIN, block.chainid, address(home), root, address(0));
        Replica otherChain = _deploy(DESTINATION, ORIGIN, block.chainid + 1, address(home), root, address(0));
        Replica otherHome = _deploy(DESTINATION, ORIGIN, block.chainid, address(0xB0A7), root, address(0));
        Replica[4] memory wrong = [otherLocal, otherRemote, otherChain, otherHome];
        for (uint256 i = 0; i < wrong.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(Replica.InvalidPredecessor.selector, address(wrong[i])));
            _deploy(DESTINATION, ORIGIN, block.chainid, address(home), root, address(wrong[i]));
        }
    }

    function test_zeroPredecessor_behavesAsBefore() public {
        assertEq(replica.predecessor(), address(0), "the fixture's Replica is the first");
        vm.recordLogs();
        Replica first =
            _deploy(DESTINATION, ORIGIN, block.chainid, address(home), home.committedRoot(), address(0));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = 0; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != Replica.PredecessorSet.selector, "no predecessor announced");
        }
        assertFalse(first.isProcessed(0), "nothing processed");

        bytes memory message = addMessage(0, "a");
        commitAndRipen();
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        assertTrue(replica.proveAndProcess(message, proof, 0), "delivered");
        vm.expectRevert(abi.encodeWithSelector(Replica.AlreadyProcessed.selector, 0));
        replica.proveAndProcess(message, proof, 0);
    }

    // ------------------------------------------------------------ helpers

    /// @dev The runbook's recovery: governance halts the enrolled Replica, deploys one naming it as predecessor
    ///      whose first root is the test tree's root, and enrolls it; the fixture's helpers then use the new one.
    function _succeed() internal returns (Replica successor) {
        Replica old = replica;
        vm.prank(governance);
        manager.unenrollReplica(ORIGIN);
        successor = _deploy(DESTINATION, ORIGIN, block.chainid, address(home), treeRoot(), address(old));
        vm.prank(governance);
        manager.enrollReplica(address(successor));
        replica = successor;
    }

    function _deploy(
        uint32 local,
        uint32 remote,
        uint256 chainId,
        address remoteHome,
        bytes32 root,
        address predecessor
    ) internal returns (Replica) {
        ReplicaArgs memory args = replicaArgsFrom(root);
        args.localDomain = local;
        args.remoteDomain = remote;
        args.remoteChainId = chainId;
        args.remoteHome = remoteHome;
        args.predecessor = predecessor;
        return deployReplica(args);
    }

    function _indices(uint256 from, uint256 n) internal pure returns (uint256[] memory indices) {
        indices = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            indices[i] = from + i;
        }
    }
}
