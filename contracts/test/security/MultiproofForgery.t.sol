// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "../utils/TestBase.sol";
import {NaiveMerkle} from "../utils/NaiveMerkle.sol";
import {MessagingFixture} from "../messaging/utils/MessagingFixture.sol";
import {MerkleTree, TREE_DEPTH} from "../../src/messaging/libraries/MerkleTree.sol";
import {Replica} from "../../src/messaging/Replica.sol";

/// @notice `MerkleTree.multiRoot` behind an external call, so a test can tell a revert from a root.
contract MultiRootHarness {
    function multiRoot(bytes32[] memory leaves, uint256[] calldata indices, bytes32[] calldata proof)
        external
        pure
        returns (bytes32)
    {
        return MerkleTree.multiRoot(leaves, indices, proof);
    }

    function branchRoot(bytes32 leaf, bytes32[TREE_DEPTH] calldata proof, uint256 index)
        external
        pure
        returns (bytes32)
    {
        return MerkleTree.branchRoot(leaf, proof, index);
    }
}

/// @notice Randomized forgery attempts on multiproofs: the true proof of any subset of a random tree yields its root
///         (as the independent naive tree computes it); changing any leaf, proof word or index yields another root or
///         a refusal; arbitrary leaves, indices and words never yield the true root.
contract MultiproofForgeryTest is TestBase {
    uint256 internal constant MAX_TREE = 16;
    MultiRootHarness internal harness;

    function setUp() public {
        harness = new MultiRootHarness();
    }

    /// @dev A tree of `1 + size % MAX_TREE` distinct nonzero leaves derived from `seed`.
    function _tree(bytes32 seed, uint256 size) internal pure returns (bytes32[] memory all) {
        all = new bytes32[](1 + size % MAX_TREE);
        for (uint256 i; i < all.length; ++i) {
            all[i] = keccak256(abi.encode(seed, i));
        }
    }

    /// @dev The indices a 16-bit map selects among the tree's leaves (index 0 when it selects none).
    function _subset(uint256 bitmap, uint256 count)
        internal
        pure
        returns (uint256[] memory indices, uint256 n)
    {
        indices = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            if (bitmap >> i & 1 == 1) indices[n++] = i;
        }
        if (n == 0) n = 1;
        assembly {
            mstore(indices, n)
        }
    }

    function _chosen(bytes32[] memory all, uint256[] memory indices)
        internal
        pure
        returns (bytes32[] memory c)
    {
        c = new bytes32[](indices.length);
        for (uint256 i; i < indices.length; ++i) {
            c[i] = all[indices[i]];
        }
    }

    /// @dev The root `multiRoot` gives, or `(false, 0)` when it refuses.
    function _try(bytes32[] memory leaves, uint256[] memory indices, bytes32[] memory proof)
        internal
        view
        returns (bool ok, bytes32 root)
    {
        try harness.multiRoot(leaves, indices, proof) returns (bytes32 r) {
            return (true, r);
        } catch (bytes memory reason) {
            bytes4 selector = bytes4(reason);
            assertTrue(
                selector == MerkleTree.InvalidMultiproofIndices.selector
                    || selector == MerkleTree.InvalidMultiproofLength.selector,
                "refused with the library's own errors"
            );
            return (false, bytes32(0));
        }
    }

    /// @notice The true multiproof of any subset of any small tree yields the naive tree's root.
    function testFuzz_trueProof_yieldsRoot(bytes32 seed, uint256 size, uint256 bitmap) public view {
        bytes32[] memory all = _tree(seed, size);
        (uint256[] memory indices,) = _subset(bitmap, all.length);
        bytes32[] memory proof = NaiveMerkle.multiProof(all, indices);
        assertEq(harness.multiRoot(_chosen(all, indices), indices, proof), NaiveMerkle.root(all), "true root");
    }

    /// @notice Flipping any bits of any one leaf or proof word changes the root (or gets the proof refused).
    function testFuzz_tamperedWord_neverKeepsRoot(
        bytes32 seed,
        uint256 size,
        uint256 bitmap,
        uint256 which,
        bytes32 mask
    ) public view {
        if (mask == bytes32(0)) mask = bytes32(uint256(1));
        bytes32[] memory all = _tree(seed, size);
        bytes32 root = NaiveMerkle.root(all);
        (uint256[] memory indices,) = _subset(bitmap, all.length);
        bytes32[] memory leaves = _chosen(all, indices);
        bytes32[] memory proof = NaiveMerkle.multiProof(all, indices);
        which %= leaves.length + proof.length;
        if (which < leaves.length) leaves[which] ^= mask;
        else proof[which - leaves.length] ^= mask;
        (bool ok, bytes32 got) = _try(leaves, indices, proof);
        assertTrue(!ok || got != root, "a tampered word kept the root");
    }

    /// @notice Claiming a proven leaf sits at another index changes the root or is refused.
    function testFuzz_movedIndex_neverKeepsRoot(
        bytes32 seed,
        uint256 size,
        uint256 bitmap,
        uint256 k,
        uint256 to
    ) public view {
        bytes32[] memory all = _tree(seed, size);
        bytes32 root = NaiveMerkle.root(all);
        (uint256[] memory indices,) = _subset(bitmap, all.length);
        bytes32[] memory proof = NaiveMerkle.multiProof(all, indices);
        bytes32[] memory leaves = _chosen(all, indices);
        k %= indices.length;
        to = bound(to, 0, 2 ** 32);
        if (to == indices[k]) to = indices[k] + 1;
        indices[k] = to;
        (bool ok, bytes32 got) = _try(leaves, indices, proof);
        assertTrue(!ok || got != root, "a moved index kept the root");
    }

    /// @notice Adding or dropping a proof word is refused.
    function testFuzz_wrongLength_refused(bytes32 seed, uint256 size, uint256 bitmap, bytes32 extra) public {
        bytes32[] memory all = _tree(seed, size);
        (uint256[] memory indices,) = _subset(bitmap, all.length);
        bytes32[] memory proof = NaiveMerkle.multiProof(all, indices);
        bytes32[] memory longer = new bytes32[](proof.length + 1);
        for (uint256 i; i < proof.length; ++i) {
            longer[i] = proof[i];
        }
        longer[proof.length] = extra;
        vm.expectRevert(MerkleTree.InvalidMultiproofLength.selector);
        harness.multiRoot(_chosen(all, indices), indices, longer);

        bytes32[] memory shorter = new bytes32[](proof.length - 1);
        for (uint256 i; i < shorter.length; ++i) {
            shorter[i] = proof[i];
        }
        vm.expectRevert(MerkleTree.InvalidMultiproofLength.selector);
        harness.multiRoot(_chosen(all, indices), indices, shorter);
    }

    /// @notice Arbitrary leaves, indices and proof words never yield a known tree's root.
    function testFuzz_randomProof_neverTheTrueRoot(
        bytes32 seed,
        uint256 size,
        bytes32[] memory leaves,
        uint256[] memory indices,
        bytes32[] memory proof
    ) public view {
        bytes32 root = NaiveMerkle.root(_tree(seed, size));
        (bool ok, bytes32 got) = _try(leaves, indices, proof);
        assertTrue(!ok || got != root, "random words gave the true root");
    }

    /// @notice A one-leaf multiproof with the full path agrees with the single-proof `branchRoot`.
    function testFuzz_singleLeaf_matchesBranchRoot(bytes32 seed, uint256 size, uint256 index) public view {
        bytes32[] memory all = _tree(seed, size);
        index = bound(index, 0, all.length - 1);
        uint256[] memory indices = new uint256[](1);
        indices[0] = index;
        bytes32[TREE_DEPTH] memory path = NaiveMerkle.proof(all, index);
        bytes32[] memory proof = new bytes32[](TREE_DEPTH);
        for (uint256 i; i < TREE_DEPTH; ++i) {
            proof[i] = path[i];
        }
        bytes32[] memory leaf = new bytes32[](1);
        leaf[0] = all[index];
        assertEq(
            harness.multiRoot(leaf, indices, proof),
            harness.branchRoot(all[index], path, index),
            "multiproof of one leaf is the branch root"
        );
    }
}

/// @notice The same forgeries against a live `Replica`: a batch with any word of its multiproof tampered is refused
///         with `RootNotAcceptable` and delivers nothing; the untampered batch delivers.
contract ReplicaMultiproofForgeryTest is MessagingFixture {
    function setUp() public override {
        super.setUp();
        for (uint32 i; i < 7; ++i) {
            addMessage(i, abi.encode("batch", i));
        }
        commitAndRipen();
    }

    function testFuzz_tamperedBatch_refused(uint256 bitmap, uint256 which, bytes32 mask) public {
        if (mask == bytes32(0)) mask = bytes32(uint256(1));
        uint256[] memory indices = new uint256[](7);
        uint256 n;
        for (uint256 i; i < 7; ++i) {
            if (bitmap >> i & 1 == 1) indices[n++] = i;
        }
        if (n == 0) n = 1;
        assembly {
            mstore(indices, n)
        }
        bytes[] memory batch = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            batch[i] = messages[indices[i]];
        }
        bytes32[] memory proof = NaiveMerkle.multiProof(leaves, indices);
        bytes32[] memory forged = new bytes32[](proof.length);
        for (uint256 i; i < proof.length; ++i) {
            forged[i] = proof[i];
        }
        forged[which % forged.length] ^= mask;

        vm.expectPartialRevert(Replica.RootNotAcceptable.selector);
        replica.proveAndProcessBatch(batch, indices, forged);
        for (uint256 i; i < n; ++i) {
            assertFalse(replica.isProcessed(indices[i]), "nothing delivered");
        }

        assertEq(replica.proveAndProcessBatch(batch, indices, proof), n, "the true batch delivers");
    }
}
