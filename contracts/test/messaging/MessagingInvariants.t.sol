// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "../utils/TestBase.sol";
import {NaiveMerkle} from "../utils/NaiveMerkle.sol";
import {Home} from "../../src/messaging/Home.sol";
import {Replica} from "../../src/messaging/Replica.sol";
import {ConnectionManager} from "../../src/messaging/ConnectionManager.sol";
import {TREE_DEPTH} from "../../src/messaging/libraries/MerkleTree.sol";
import {RecordingRecipient} from "./utils/RecordingRecipient.sol";

/// @notice Drives a real Home and a real Replica of it with random sequences of dispatches, updates,
///         deliveries, retries, forgeries and fraud, and keeps ghost records to check them against.
contract MessagingHandler is TestBase {
    uint32 internal constant ORIGIN = 1000;
    uint32 internal constant DESTINATION = 2000;
    uint32 internal constant ELSEWHERE = 3000;
    uint32 internal constant WINDOW = 100;
    uint256 internal constant UPDATER_KEY = 0xA11CE;

    Home public immutable home;
    Replica public immutable replica;
    RecordingRecipient public immutable recipient;

    /// @dev Every leaf of the Home's tree, and the messages among them addressed to DESTINATION.
    bytes32[] internal treeLeaves;
    bytes[] public deliverable;
    uint256[] public deliverableIndex;
    /// @dev Roots relayed to the Replica, with their leaf count and the earliest time they may be used.
    bytes32[] internal relayedRoots;
    mapping(bytes32 => uint256) internal rootLeafCount;
    mapping(bytes32 => uint256) internal rootRipeAt;

    /// @notice Deliveries that happened while the root used was not ripe, or of messages never dispatched.
    uint256 public violations;
    uint256 public deliveries;

    /// @notice Snapshots taken when fraud failed a contract; nothing may change after.
    bool public homeFailed;
    uint256 public homeCountAtFailure;
    bytes32 public homeRootAtFailure;
    bool public replicaFailed;
    bytes32 public replicaRootAtFailure;
    uint256 public handledAtReplicaFailure;

    constructor() {
        address updater = vm.addr(UPDATER_KEY);
        home = new Home(ORIGIN, updater, address(this), 0);
        ConnectionManager manager = new ConnectionManager(DESTINATION, address(this));
        replica = new Replica(
            DESTINATION,
            ORIGIN,
            block.chainid,
            address(home),
            updater,
            home.committedRoot(),
            WINDOW,
            0,
            address(manager),
            address(this),
            address(0)
        );
        manager.enrollReplica(address(replica));
        recipient = new RecordingRecipient();
    }

    function deliverableCount() external view returns (uint256) {
        return deliverable.length;
    }

    // ------------------------------------------------------------ actions

    function dispatch(uint256 seed, bool toElsewhere) external {
        if (homeFailed) return;
        uint32 destination = toElsewhere ? ELSEWHERE : DESTINATION;
        bytes memory body = abi.encode(seed);
        uint32 nonce = home.nonces(destination);
        home.dispatch(destination, bytes32(uint256(uint160(address(recipient)))), body);
        bytes memory message = abi.encodePacked(
            ORIGIN,
            bytes32(uint256(uint160(address(this)))),
            nonce,
            destination,
            bytes32(uint256(uint160(address(recipient)))),
            body
        );
        treeLeaves.push(keccak256(message));
        if (!toElsewhere) {
            deliverable.push(message);
            deliverableIndex.push(treeLeaves.length - 1);
        }
    }

    function updateAndRelay() external {
        if (homeFailed || replicaFailed) return;
        bytes32 oldRoot = home.committedRoot();
        bytes32 newRoot = home.checkpoint();
        if (newRoot == oldRoot) return;
        bytes memory signature = _sign(oldRoot, newRoot);
        home.update(oldRoot, newRoot, signature);
        replica.update(oldRoot, newRoot, signature);
        relayedRoots.push(newRoot);
        rootLeafCount[newRoot] = treeLeaves.length;
        rootRipeAt[newRoot] = block.timestamp + WINDOW;
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 1, 2 * WINDOW));
    }

    function setRejecting(bool rejecting) external {
        recipient.setRejecting(rejecting);
    }

    /// @dev Tries to deliver one message against a random relayed root, ripe or not.
    function proveAndProcess(uint256 messageSeed, uint256 rootSeed) external {
        if (deliverable.length == 0 || relayedRoots.length == 0) return;
        bytes32 root = relayedRoots[rootSeed % relayedRoots.length];
        uint256 pick = messageSeed % deliverable.length;
        uint256 index = deliverableIndex[pick];
        if (index >= rootLeafCount[root]) return;
        bytes32[] memory prefix = _prefix(rootLeafCount[root]);
        bytes32[TREE_DEPTH] memory proof = NaiveMerkle.proof(prefix, index);
        uint256 before = recipient.handledCount();
        try replica.proveAndProcess(deliverable[pick], proof, index) {
            _noteDelivery(before, root);
        } catch {}
    }

    /// @dev Tries to deliver every not-yet-processed message under the newest relayed root in one batch.
    function batch() external {
        if (relayedRoots.length == 0) return;
        bytes32 root = relayedRoots[relayedRoots.length - 1];
        uint256 count = rootLeafCount[root];
        uint256 n;
        for (uint256 i = 0; i < deliverable.length; ++i) {
            if (deliverableIndex[i] < count && !replica.isProcessed(deliverableIndex[i])) ++n;
        }
        if (n == 0) return;
        bytes[] memory chosen = new bytes[](n);
        uint256[] memory indices = new uint256[](n);
        uint256 k;
        for (uint256 i = 0; i < deliverable.length && k < n; ++i) {
            if (deliverableIndex[i] < count && !replica.isProcessed(deliverableIndex[i])) {
                chosen[k] = deliverable[i];
                indices[k++] = deliverableIndex[i];
            }
        }
        bytes32[] memory proof = NaiveMerkle.multiProof(_prefix(count), indices);
        uint256 before = recipient.handledCount();
        try replica.proveAndProcessBatch(chosen, indices, proof) {
            _noteDelivery(before, root);
        } catch {}
    }

    /// @dev Retries a message whose delivery failed earlier.
    function retry(uint256 messageSeed) external {
        if (deliverable.length == 0) return;
        uint256 before = recipient.handledCount();
        try replica.process(deliverable[messageSeed % deliverable.length]) {
            // A retry only reaches messages proven earlier against a ripe root.
            deliveries += recipient.handledCount() - before;
        } catch {}
    }

    /// @dev A message never dispatched, with an arbitrary proof: must never be delivered.
    function forge(uint256 seed, uint256 index) external {
        bytes memory fake = abi.encodePacked(
            ORIGIN,
            bytes32(seed),
            uint32(seed),
            DESTINATION,
            bytes32(uint256(uint160(address(recipient)))),
            "forged"
        );
        bytes32[TREE_DEPTH] memory proof;
        for (uint256 i = 0; i < TREE_DEPTH; ++i) {
            proof[i] = keccak256(abi.encode(seed, i));
        }
        uint256 before = recipient.handledCount();
        try replica.proveAndProcess(fake, proof, bound(index, 0, 1000)) {
            if (recipient.handledCount() != before) ++violations;
        } catch {}
    }

    /// @dev The updater key signs a root the Home never produced; a watcher proves it.
    function improperUpdate(uint256 seed) external {
        // Rare, so most runs exercise a live system for a while before fraud freezes it.
        if (homeFailed || seed % 8 != 0) return;
        bytes32 bogus = keccak256(abi.encode("bogus", seed));
        bytes32 oldRoot = home.committedRoot();
        home.improperUpdate(oldRoot, bogus, _sign(oldRoot, bogus));
        homeFailed = true;
        homeCountAtFailure = home.count();
        homeRootAtFailure = home.committedRoot();
    }

    /// @dev The updater key signs two roots over one; the Replica is failed.
    function doubleUpdate(uint256 seed) external {
        if (replicaFailed || seed % 8 != 0) return;
        bytes32 oldRoot = replica.committedRoot();
        bytes32[2] memory roots = [keccak256(abi.encode(seed, 0)), keccak256(abi.encode(seed, 1))];
        replica.doubleUpdate(oldRoot, roots, _sign(oldRoot, roots[0]), _sign(oldRoot, roots[1]));
        replicaFailed = true;
        replicaRootAtFailure = replica.committedRoot();
        handledAtReplicaFailure = recipient.handledCount();
    }

    // ------------------------------------------------------------ helpers

    function _noteDelivery(uint256 before, bytes32 root) internal {
        uint256 delivered = recipient.handledCount() - before;
        deliveries += delivered;
        if (delivered > 0 && block.timestamp < rootRipeAt[root]) ++violations;
    }

    function _prefix(uint256 count) internal view returns (bytes32[] memory prefix) {
        prefix = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            prefix[i] = treeLeaves[i];
        }
    }

    function _sign(bytes32 oldRoot, bytes32 newRoot) internal view returns (bytes memory) {
        return signDigest(UPDATER_KEY, updateDigest(block.chainid, address(home), ORIGIN, oldRoot, newRoot));
    }
}

contract MessagingInvariantsTest is TestBase {
    MessagingHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        handler = new MessagingHandler();
        targetContract(address(handler));
        bytes4[] memory actions = new bytes4[](11);
        actions[0] = MessagingHandler.dispatch.selector;
        actions[1] = MessagingHandler.dispatch.selector;
        actions[2] = MessagingHandler.updateAndRelay.selector;
        actions[3] = MessagingHandler.warp.selector;
        actions[4] = MessagingHandler.setRejecting.selector;
        actions[5] = MessagingHandler.proveAndProcess.selector;
        actions[6] = MessagingHandler.batch.selector;
        actions[7] = MessagingHandler.retry.selector;
        actions[8] = MessagingHandler.forge.selector;
        actions[9] = MessagingHandler.improperUpdate.selector;
        actions[10] = MessagingHandler.doubleUpdate.selector;
        targetSelector(address(handler), actions);
    }

    /// @notice The handler really delivers messages, so the invariants below are not vacuous.
    function test_handlerDeliversAndRetries() public {
        handler.dispatch(1, false);
        handler.dispatch(2, true);
        handler.dispatch(3, false);
        handler.updateAndRelay();
        handler.proveAndProcess(0, 0);
        assertEq(handler.deliveries(), 0, "root not ripe yet");
        handler.warp(100);
        handler.setRejecting(true);
        handler.proveAndProcess(0, 0);
        assertEq(handler.deliveries(), 0, "recipient rejected");
        handler.setRejecting(false);
        handler.retry(0);
        handler.batch();
        assertEq(handler.deliveries(), 2, "retry and batch delivered both");
        assertEq(handler.violations(), 0, "no violation");
        invariant_noMessageDeliveredTwice();
    }

    /// @notice No message is ever delivered twice, and only dispatched messages are delivered.
    function invariant_noMessageDeliveredTwice() public view {
        RecordingRecipient recipient = handler.recipient();
        uint256 n = handler.deliverableCount();
        uint256 handledTotal;
        for (uint256 i = 0; i < n; ++i) {
            bytes memory message = handler.deliverable(i);
            uint32 nonce;
            bytes32 sender;
            assembly {
                sender := mload(add(message, 36))
                nonce := shr(224, mload(add(message, 68)))
            }
            bytes memory body = new bytes(32);
            for (uint256 b = 0; b < 32; ++b) {
                body[b] = message[76 + b];
            }
            uint256 times = recipient.timesHandled(keccak256(abi.encode(uint32(1000), nonce, sender, body)));
            assertLe(times, 1, "a message was delivered more than once");
            handledTotal += times;
            assertEq(
                times == 1,
                handler.replica().isProcessed(handler.deliverableIndex(i)),
                "flag matches delivery"
            );
        }
        assertEq(recipient.handledCount(), handledTotal, "only dispatched messages were delivered");
    }

    /// @notice Every delivery used a root whose optimistic window had passed; forgeries never land.
    function invariant_deliveriesOnlyUnderRipeRoots() public view {
        assertEq(handler.violations(), 0, "delivery under an unripe root or of a forged message");
        assertEq(handler.deliveries(), handler.recipient().handledCount(), "every delivery accounted");
    }

    /// @notice A failed Home or Replica changes nothing afterwards.
    function invariant_failedContractsAreFrozen() public view {
        if (handler.homeFailed()) {
            Home home = handler.home();
            assertTrue(home.failed(), "home stays failed");
            assertEq(home.count(), handler.homeCountAtFailure(), "no dispatch after failure");
            assertEq(home.committedRoot(), handler.homeRootAtFailure(), "no update after failure");
        }
        if (handler.replicaFailed()) {
            Replica replica = handler.replica();
            assertEq(uint256(replica.state()), uint256(Replica.State.Failed), "replica stays failed");
            assertEq(replica.committedRoot(), handler.replicaRootAtFailure(), "no update after failure");
            assertEq(
                handler.recipient().handledCount(),
                handler.handledAtReplicaFailure(),
                "no delivery after failure"
            );
        }
    }
}
