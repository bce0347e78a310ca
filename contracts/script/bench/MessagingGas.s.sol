// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {GasBench} from "./GasBench.sol";
import {Home} from "../../src/messaging/Home.sol";
import {Replica} from "../../src/messaging/Replica.sol";
import {ConnectionManager} from "../../src/messaging/ConnectionManager.sol";
import {MessagingHashes} from "../../src/messaging/libraries/MessagingHashes.sol";
import {SignatureVerifier} from "../../src/libraries/SignatureVerifier.sol";
import {NaiveMerkle} from "../../test/utils/NaiveMerkle.sol";
import {RecordingRecipient} from "../../test/messaging/utils/RecordingRecipient.sol";

/// @notice Dispatches messages in one transaction each; lets the bench fill a tree without a transaction
///         per message.
contract BulkDispatcher {
    function dispatchMany(Home home, uint32 destination, bytes32 recipient, uint256 n) external {
        for (uint256 i = 0; i < n; ++i) {
            home.dispatch(destination, recipient, abi.encode(i, bytes32(0), bytes32(0)));
        }
    }
}

/// @notice Gas of the messaging layer's user-facing transactions, in steady state (storage already warm
///         from earlier use, as in a long-running deployment): dispatch, Home and Replica updates, and
///         prove-and-process of one message and of batches of 10 and 100 under one root.
contract MessagingGas is GasBench {
    uint32 internal constant ORIGIN = 1000;
    uint32 internal constant DESTINATION = 2000;
    uint256 internal constant UPDATER_KEY = 0xA11CE;

    Home internal home;
    Replica internal replica;
    RecordingRecipient internal recipient;
    bytes32[] internal leaves;
    bytes[] internal messages;

    function run() external {
        _begin();
        address updater = vm.addr(UPDATER_KEY);
        home = new Home(ORIGIN, updater, sender, 1 ether);
        home.depositBond{value: 1 ether}(updater);
        ConnectionManager manager = new ConnectionManager(DESTINATION, sender);
        replica = new Replica(
            DESTINATION,
            ORIGIN,
            block.chainid,
            address(home),
            updater,
            home.committedRoot(),
            0,
            0,
            address(manager),
            sender,
            address(0)
        );
        manager.enrollReplica(address(replica));
        recipient = new RecordingRecipient();
        bytes32 to = bytes32(uint256(uint160(address(recipient))));

        // Warm the tree's lower levels and the nonce, then measure a dispatch that rewrites a used level.
        for (uint256 i = 0; i < 4; ++i) {
            _dispatch(to, abi.encode(i, bytes32(0), bytes32(0)));
        }
        measureNext("dispatch", 1);
        _dispatch(to, abi.encode(uint256(4), bytes32(0), bytes32(0)));

        // 2 + 10 + 100 more messages for the proving runs, from a contract to keep the setup short.
        BulkDispatcher bulk = new BulkDispatcher();
        uint256 bulkCount = 112;
        bulk.dispatchMany(home, DESTINATION, to, bulkCount);
        for (uint256 i = 0; i < bulkCount; ++i) {
            _record(
                abi.encodePacked(
                    ORIGIN,
                    bytes32(uint256(uint160(address(bulk)))),
                    uint32(5 + i),
                    DESTINATION,
                    to,
                    abi.encode(i, bytes32(0), bytes32(0))
                )
            );
        }

        // Updates of a root with messages in it.
        bytes32 oldRoot = home.committedRoot();
        measureNext("home_checkpoint", 1);
        bytes32 newRoot = home.checkpoint();
        require(newRoot == NaiveMerkle.root(leaves), "bench: tree mismatch");
        bytes memory signature = _signUpdate(oldRoot, newRoot);
        measureNext("home_update", 1);
        home.update(oldRoot, newRoot, signature);
        measureNext("replica_update", 1);
        replica.update(oldRoot, newRoot, signature);

        // One warm-up delivery, then the measured single one.
        _proveAndProcess(0);
        measureNext("prove_process_1", 1);
        _proveAndProcess(1);

        _batch(2, 10, "prove_process_batch10_per_msg");
        _batch(12, 100, "prove_process_batch100_per_msg");
        require(recipient.handledCount() == 112, "bench: not every message delivered");
        _end();
    }

    function _dispatch(bytes32 to, bytes memory body) internal {
        home.dispatch(DESTINATION, to, body);
        _record(
            abi.encodePacked(
                ORIGIN, bytes32(uint256(uint160(sender))), uint32(leaves.length), DESTINATION, to, body
            )
        );
    }

    function _record(bytes memory message) internal {
        leaves.push(keccak256(message));
        messages.push(message);
    }

    function _signUpdate(bytes32 oldRoot, bytes32 newRoot) internal view returns (bytes memory) {
        bytes32 digest = SignatureVerifier.typedDataDigest(
            home.updateDomainSeparator(), MessagingHashes.updateStructHash(ORIGIN, oldRoot, newRoot)
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(UPDATER_KEY, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev Messages dispatched by the script itself come first in the tree; the bulk ones follow.
    function _proveAndProcess(uint256 bulkOffset) internal {
        uint256 index = 5 + bulkOffset;
        replica.proveAndProcess(messages[index], NaiveMerkle.proof(leaves, index), index);
    }

    function _batch(uint256 bulkOffset, uint256 n, string memory name) internal {
        bytes[] memory batch = new bytes[](n);
        uint256[] memory indices = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 index = 5 + bulkOffset + i;
            batch[i] = messages[index];
            indices[i] = index;
        }
        bytes32[] memory proof = NaiveMerkle.multiProof(leaves, indices);
        measureNext(name, n);
        replica.proveAndProcessBatch(batch, indices, proof);
    }
}
