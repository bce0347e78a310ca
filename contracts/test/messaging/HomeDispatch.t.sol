// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {HomeFixture} from "./utils/HomeFixture.sol";
import {Vm} from "../utils/Vm.sol";
import {NaiveMerkle} from "../utils/NaiveMerkle.sol";
import {Home} from "../../src/messaging/Home.sol";
import {Pausable} from "../../src/governance/Pausable.sol";
import {MerkleTree} from "../../src/messaging/libraries/MerkleTree.sol";

/// @notice The Home as a sender: `dispatch` (message encoding, per-destination nonces, the incremental tree
///         against a naive Merkle tree, its size limits and refusals) and `checkpoint`.
contract HomeDispatchTest is HomeFixture {
    function test_dispatch_encodesMessageAndLeaf() public {
        bytes memory body = "hello, destination";
        bytes32 to = toBytes32(address(recipient));
        bytes memory expected = _expectedMessage(0, DESTINATION, to, body);
        assertEq(expected.length, 76 + body.length, "header is 76 bytes");

        vm.prank(SENDER);
        (bytes32 leaf, uint32 nonce) = home.dispatch(DESTINATION, to, body);

        assertEq(leaf, keccak256(expected), "leaf is keccak256 of the packed message");
        assertEq(uint256(nonce), 0, "first nonce is zero");
        assertEq(home.count(), 1, "one leaf");
        assertEq(uint256(home.nonces(DESTINATION)), 1, "nonce advanced");
    }

    function test_dispatch_emitsDispatchWithIndexAndMessage() public {
        bytes32 to = toBytes32(address(recipient));
        _dispatch(DESTINATION, "first");
        _dispatch(OTHER_DOMAIN, "second");
        bytes memory message = _expectedMessage(1, DESTINATION, to, "third");

        vm.expectEmit(true, true, true, true, address(home));
        emit Home.Dispatch(keccak256(message), 2, DESTINATION, 1, message);
        _dispatch(DESTINATION, "third");
    }

    function test_dispatch_senderIsCaller() public {
        address other = address(0xABCDEF);
        bytes32 to = toBytes32(address(recipient));
        vm.prank(other);
        (bytes32 leaf,) = home.dispatch(DESTINATION, to, "x");
        bytes memory message =
            abi.encodePacked(ORIGIN, toBytes32(other), uint32(0), DESTINATION, to, bytes("x"));
        assertEq(leaf, keccak256(message), "sender field is msg.sender, left-padded");
    }

    function test_dispatch_noncesArePerDestination() public {
        (, uint32 n0) = _dispatch(DESTINATION, "a");
        (, uint32 n1) = _dispatch(DESTINATION, "b");
        (, uint32 o0) = _dispatch(OTHER_DOMAIN, "c");
        (, uint32 n2) = _dispatch(DESTINATION, "d");
        (, uint32 o1) = _dispatch(OTHER_DOMAIN, "e");
        assertEq(uint256(n0), 0, "dest nonce 0");
        assertEq(uint256(n1), 1, "dest nonce 1");
        assertEq(uint256(n2), 2, "dest nonce 2");
        assertEq(uint256(o0), 0, "other nonce 0");
        assertEq(uint256(o1), 1, "other nonce 1");
        assertEq(uint256(home.nonces(DESTINATION)), 3, "next dest nonce");
        assertEq(uint256(home.nonces(OTHER_DOMAIN)), 2, "next other nonce");
        assertEq(uint256(home.nonces(4242)), 0, "untouched destination");
        assertEq(home.count(), 5, "one tree for all destinations");
    }

    function test_dispatch_rootMatchesNaiveMerkle() public {
        for (uint256 i = 0; i < 9; ++i) {
            _dispatch(i % 2 == 0 ? DESTINATION : OTHER_DOMAIN, abi.encodePacked("message ", i));
            assertEq(home.root(), NaiveMerkle.root(dispatched), "root equals naive root");
            assertEq(home.count(), i + 1, "count");
        }
    }

    function test_dispatch_doesNotCheckpoint() public {
        _dispatch(DESTINATION, "m");
        bytes32 currentRoot = home.root();
        assertFalse(_produced(currentRoot), "dispatch does not checkpoint the root");
        assertEq(home.committedRoot(), NaiveMerkle.root(new bytes32[](0)), "committed root unchanged");
    }

    function test_dispatch_acceptsBodyOfMaxSize() public {
        bytes memory body = new bytes(2048);
        body[0] = 0x01;
        body[2047] = 0xff;
        bytes memory message = _expectedMessage(0, DESTINATION, toBytes32(address(recipient)), body);
        (bytes32 leaf,) = _dispatch(DESTINATION, body);
        assertEq(leaf, keccak256(message), "leaf of the max-size message");
        assertEq(home.root(), NaiveMerkle.root(dispatched), "root");
    }

    function test_dispatch_acceptsEmptyBody() public {
        (bytes32 leaf,) = _dispatch(DESTINATION, "");
        assertEq(leaf, keccak256(_expectedMessage(0, DESTINATION, toBytes32(address(recipient)), "")), "leaf");
    }

    function test_dispatch_refusesBodyOverMaxSize() public {
        bytes memory body = new bytes(2049);
        bytes32 to = toBytes32(address(recipient));
        _expectDispatchRefused(
            address(this), DESTINATION, to, body, abi.encodeWithSelector(Home.BodyTooLarge.selector, 2049)
        );
    }

    function test_dispatch_refusesZeroDestination() public {
        bytes32 to = toBytes32(address(recipient));
        _expectDispatchRefused(address(this), 0, to, "x", abi.encodeWithSelector(Home.ZeroDomain.selector));
        assertEq(uint256(home.nonces(0)), 0, "nonce(0) unchanged");
    }

    function test_dispatch_refusesLocalDestination() public {
        bytes32 to = toBytes32(address(recipient));
        _expectDispatchRefused(
            address(this), ORIGIN, to, "x", abi.encodeWithSelector(Home.DestinationIsLocal.selector)
        );
        assertEq(uint256(home.nonces(ORIGIN)), 0, "nonce(ORIGIN) unchanged");
    }

    function test_dispatch_refusesRecipientWithUpperBytes() public {
        bytes32 to = bytes32(uint256(1) << 160) | toBytes32(address(recipient));
        _expectDispatchRefused(
            address(this), DESTINATION, to, "x", abi.encodeWithSelector(Home.RecipientNotAddress.selector, to)
        );

        bytes32 top = bytes32(uint256(0xff) << 248);
        _expectDispatchRefused(
            address(this),
            DESTINATION,
            top,
            "x",
            abi.encodeWithSelector(Home.RecipientNotAddress.selector, top)
        );
    }

    function test_dispatch_acceptsZeroAndMaxAddressRecipients() public {
        vm.prank(SENDER);
        home.dispatch(DESTINATION, bytes32(0), "x");
        vm.prank(SENDER);
        home.dispatch(DESTINATION, bytes32(uint256(type(uint160).max)), "x");
        assertEq(home.count(), 2, "both accepted");
    }

    /// @dev Storage slot 2 packs `updater` (bytes 0-19), `failed` (byte 20) and `_count` (bytes 21-24).
    function _forceCount(uint256 leafCount) internal {
        bytes32 slot = bytes32(uint256(2));
        uint256 word = uint256(vm.load(address(home), slot));
        word = (word & ~(uint256(type(uint32).max) << 168)) | (leafCount << 168);
        vm.store(address(home), slot, bytes32(word));
        assertEq(home.count(), leafCount, "storage layout: _count forced");
        assertEq(home.updater(), updaterAddr, "storage layout: updater intact");
        assertFalse(home.failed(), "storage layout: failed intact");
    }

    function test_dispatch_lastLeafAcceptedThenTreeFull() public {
        uint256 maxLeaves = MerkleTree.MAX_LEAVES;
        assertEq(maxLeaves, 2 ** 32 - 1, "capacity");
        _forceCount(maxLeaves - 1);
        bytes memory message = _expectedMessage(0, DESTINATION, toBytes32(address(recipient)), "last");
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.Dispatch(keccak256(message), maxLeaves - 1, DESTINATION, 0, message);
        _dispatch(DESTINATION, "last");
        assertEq(home.count(), maxLeaves, "tree full");

        bytes32 to = toBytes32(address(recipient));
        _expectDispatchRefused(
            SENDER,
            DESTINATION,
            to,
            "one too many",
            abi.encodeWithSelector(MerkleTree.MerkleTreeFull.selector)
        );
    }

    function test_dispatch_refusedWhilePaused() public {
        vm.prank(governance);
        home.pause();
        bytes32 to = toBytes32(address(recipient));
        _expectDispatchRefused(
            address(this), DESTINATION, to, "x", abi.encodeWithSelector(Pausable.IsPaused.selector)
        );
    }

    function test_dispatch_refusedAfterFailure() public {
        _failHome(reporter);
        bytes32 to = toBytes32(address(recipient));
        _expectDispatchRefused(
            address(this), DESTINATION, to, "x", abi.encodeWithSelector(Home.HomeIsFailed.selector)
        );
    }

    function test_checkpoint_recordsCurrentRootAndEmits() public {
        _dispatch(DESTINATION, "a");
        _dispatch(DESTINATION, "b");
        bytes32 expected = NaiveMerkle.root(dispatched);
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.Checkpointed(expected, 2);
        bytes32 returned = home.checkpoint();
        assertEq(returned, expected, "returns the current root");
        assertTrue(_produced(expected), "produced");
        assertEq(_checkpointCount(expected), 2, "count recorded");
        assertEq(home.committedRoot(), NaiveMerkle.root(new bytes32[](0)), "checkpoint does not commit");
    }

    function test_checkpoint_isIdempotentAndEmitsOnce() public {
        _dispatch(DESTINATION, "a");
        vm.recordLogs();
        bytes32 first = home.checkpoint();
        bytes32 second = home.checkpoint();
        vm.prank(strangerAddr);
        bytes32 third = home.checkpoint();
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(first, second, "same root twice");
        assertEq(first, third, "same root whoever calls");
        assertEq(_countLogs(logs, Home.Checkpointed.selector), 1, "Checkpointed emitted once");
        assertEq(logs[0].topics[1], first, "event names the root");
        assertEq(logs[0].data, abi.encode(uint256(1)), "event carries the count");
        assertEq(_checkpointCount(first), 1, "count kept");
    }

    function test_checkpoint_emptyTreeWasAlreadyProduced() public {
        vm.recordLogs();
        bytes32 currentRoot = home.checkpoint();
        assertEq(currentRoot, NaiveMerkle.root(new bytes32[](0)), "empty root");
        assertEq(vm.getRecordedLogs().length, 0, "no event: constructor already checkpointed it");
    }

    function test_checkpoint_eachNewRootKeepsItsOwnCount() public {
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes32 r2 = _dispatchAndCheckpoint("b");
        _dispatch(DESTINATION, "c");
        _dispatch(DESTINATION, "d");
        bytes32 r4 = home.checkpoint();
        assertEq(_checkpointCount(r1), 1, "r1 count");
        assertEq(_checkpointCount(r2), 2, "r2 count");
        assertEq(_checkpointCount(r4), 4, "r4 count");
        assertEq(r4, NaiveMerkle.root(dispatched), "r4 is the naive root");
    }

    function test_checkpoint_allowedWhilePaused() public {
        _dispatch(DESTINATION, "a");
        vm.prank(governance);
        home.pause();
        bytes32 currentRoot = home.checkpoint();
        assertTrue(_produced(currentRoot), "checkpoint is not a user path");
    }

    function test_checkpoint_refusedAfterFailure() public {
        _dispatch(DESTINATION, "a");
        _failHome(reporter);
        bytes32 currentRoot = home.root();
        _expectRefused(
            address(this),
            abi.encodeCall(home.checkpoint, ()),
            abi.encodeWithSelector(Home.HomeIsFailed.selector)
        );
        assertFalse(_produced(currentRoot), "root not checkpointed");
    }

    function testFuzz_dispatch_noncesAndRootMatchNaiveMerkle(uint256 seed, uint256 rawCount) public {
        uint256 n = bound(rawCount, 1, 6);
        for (uint256 i = 0; i < n; ++i) {
            uint256 entropy = uint256(keccak256(abi.encode(seed, i)));
            uint32 destination = uint32(bound(entropy, 1, type(uint32).max));
            if (destination == ORIGIN) destination = ORIGIN + 1;
            // A few destinations repeat, so per-destination nonces really advance.
            if (entropy % 3 == 0) destination = DESTINATION;
            bytes32 to = bytes32(uint256(uint160(entropy >> 8)));
            bytes memory body = _randomBody(entropy, bound(entropy >> 40, 0, 2048));

            uint32 expectedNonce = home.nonces(destination);
            bytes memory message =
                abi.encodePacked(ORIGIN, toBytes32(SENDER), expectedNonce, destination, to, body);
            vm.expectEmit(true, true, true, true, address(home));
            emit Home.Dispatch(keccak256(message), i, destination, expectedNonce, message);
            vm.prank(SENDER);
            (bytes32 leaf, uint32 nonce) = home.dispatch(destination, to, body);
            dispatched.push(leaf);

            assertEq(leaf, keccak256(message), "leaf");
            assertEq(uint256(nonce), uint256(expectedNonce), "returned nonce");
            assertEq(uint256(home.nonces(destination)), uint256(expectedNonce) + 1, "nonce incremented");
            assertEq(home.count(), i + 1, "count");
            assertEq(home.root(), NaiveMerkle.root(dispatched), "root equals naive root");
        }
        assertEq(home.checkpoint(), NaiveMerkle.root(dispatched), "checkpointed root equals naive root");
    }

    function testFuzz_dispatch_acceptsAnyBodyUpToMax(bytes calldata body, uint32 destination, address to)
        public
    {
        vm.assume(body.length <= 2048);
        if (destination == 0 || destination == ORIGIN) destination = DESTINATION;
        vm.prank(SENDER);
        (bytes32 leaf, uint32 nonce) = home.dispatch(destination, toBytes32(to), body);
        assertEq(
            leaf,
            keccak256(
                abi.encodePacked(ORIGIN, toBytes32(SENDER), uint32(0), destination, toBytes32(to), body)
            ),
            "leaf"
        );
        assertEq(uint256(nonce), 0, "first nonce");
        dispatched.push(leaf);
        assertEq(home.root(), NaiveMerkle.root(dispatched), "root");
    }

    function testFuzz_dispatch_refusesAnyBodyOverMax(uint256 rawLength) public {
        uint256 length = bound(rawLength, 2049, 4096);
        bytes memory body = new bytes(length);
        bytes32 to = toBytes32(address(recipient));
        _expectDispatchRefused(
            address(this), DESTINATION, to, body, abi.encodeWithSelector(Home.BodyTooLarge.selector, length)
        );
    }

    function testFuzz_dispatch_refusesRecipientWithUpperBits(bytes32 to) public {
        vm.assume(uint256(to) >> 160 != 0);
        _expectDispatchRefused(
            address(this), DESTINATION, to, "x", abi.encodeWithSelector(Home.RecipientNotAddress.selector, to)
        );
    }

    function _randomBody(uint256 seed, uint256 length) internal pure returns (bytes memory body) {
        body = new bytes(length);
        for (uint256 offset = 0; offset < length; offset += 32) {
            bytes32 word = keccak256(abi.encode(seed, offset));
            for (uint256 j = 0; j < 32 && offset + j < length; ++j) {
                body[offset + j] = word[j];
            }
        }
    }
}
