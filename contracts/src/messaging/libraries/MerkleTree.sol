// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev Depth of every message tree; a file-level constant so it can size external array parameters.
uint256 constant TREE_DEPTH = 32;

/// @title MerkleTree
/// @notice Depth-32 incremental Merkle tree (the eth2 deposit contract's construction).
/// @dev Inserting stores one node; the root is only computed on demand, so appending a message never
///      pays for 32 hashes and reads. Empty subtrees hash to Z[i], with Z[0] = 0 and Z[i+1] = H(Z[i], Z[i]).
library MerkleTree {
    /// @notice Number of leaves a tree can hold.
    uint256 internal constant MAX_LEAVES = 2 ** TREE_DEPTH - 1;

    /// @notice The tree already holds `MAX_LEAVES` leaves.
    error MerkleTreeFull();
    /// @notice A multiproof's indices are not strictly increasing or not below `MAX_LEAVES`.
    error InvalidMultiproofIndices();
    /// @notice A multiproof has too few or too many sibling hashes.
    error InvalidMultiproofLength();

    /// @notice Appends `leaf` as leaf number `count` (zero-based), given the count before insertion.
    /// @return newCount The leaf count after insertion.
    function insert(bytes32[TREE_DEPTH] storage branch, uint256 count, bytes32 leaf)
        internal
        returns (uint256 newCount)
    {
        if (count >= MAX_LEAVES) revert MerkleTreeFull();
        newCount = count + 1;
        uint256 size = newCount;
        bytes32 node = leaf;
        for (uint256 i = 0; i < TREE_DEPTH; ++i) {
            if (size & 1 == 1) {
                branch[i] = node;
                return newCount;
            }
            node = _hashPair(branch[i], node);
            size >>= 1;
        }
        // Unreachable: `newCount < 2^32` has a set bit below position 32.
        assert(false);
    }

    /// @notice The root of a tree holding `count` leaves.
    function root(bytes32[TREE_DEPTH] storage branch, uint256 count) internal view returns (bytes32 node) {
        bytes32 zero;
        for (uint256 i = 0; i < TREE_DEPTH; ++i) {
            if ((count >> i) & 1 == 1) {
                node = _hashPair(branch[i], node);
            } else {
                node = _hashPair(node, zero);
            }
            zero = _hashPair(zero, zero);
        }
    }

    /// @notice The root implied by `leaf` sitting at `index` with the sibling path `proof` (bottom-up).
    function branchRoot(bytes32 leaf, bytes32[TREE_DEPTH] calldata proof, uint256 index)
        internal
        pure
        returns (bytes32 node)
    {
        assembly ("memory-safe") {
            node := leaf
            for { let i := 0 } lt(i, 32) { i := add(i, 1) } {
                let sibling := calldataload(add(proof, shl(5, i)))
                switch and(shr(i, index), 1)
                case 1 {
                    mstore(0x00, sibling)
                    mstore(0x20, node)
                }
                default {
                    mstore(0x00, node)
                    mstore(0x20, sibling)
                }
                node := keccak256(0x00, 0x40)
            }
        }
    }

    /// @notice The root implied by several leaves at strictly increasing `indices`, with `proof` holding
    ///         only the siblings that cannot be computed from the leaves themselves.
    /// @dev Walks up level by level, keeping (position, hash) pairs sorted; two adjacent positions are each
    ///      other's sibling, anything else takes the next proof element. Proof order is therefore: level by
    ///      level from the bottom, left to right within a level. `leaves` is overwritten.
    ///      A batch of n leaves needs at most 32 siblings per distinct subtree instead of 32 per leaf.
    function multiRoot(bytes32[] memory leaves, uint256[] calldata indices, bytes32[] calldata proof)
        internal
        pure
        returns (bytes32)
    {
        uint256[] memory positions = _checkedPositions(indices, leaves.length);
        uint256 k = leaves.length;
        uint256 cursor;
        for (uint256 level = 0; level < TREE_DEPTH; ++level) {
            (k, cursor) = _climb(leaves, positions, k, proof, cursor);
        }
        if (cursor != proof.length) revert InvalidMultiproofLength();
        return leaves[0];
    }

    /// @dev Copies `indices` after checking they are strictly increasing, in range, and as many as the leaves.
    function _checkedPositions(uint256[] calldata indices, uint256 leafCount)
        private
        pure
        returns (uint256[] memory positions)
    {
        if (leafCount == 0 || indices.length != leafCount) revert InvalidMultiproofIndices();
        positions = new uint256[](leafCount);
        for (uint256 i = 0; i < leafCount; ++i) {
            uint256 index = indices[i];
            if (index >= MAX_LEAVES || (i > 0 && index <= positions[i - 1])) {
                revert InvalidMultiproofIndices();
            }
            positions[i] = index;
        }
    }

    /// @dev Replaces the first `k` (position, hash) pairs by their parents; returns the parent count and
    ///      the advanced proof cursor.
    function _climb(
        bytes32[] memory nodes,
        uint256[] memory positions,
        uint256 k,
        bytes32[] calldata proof,
        uint256 cursor
    ) private pure returns (uint256 written, uint256) {
        uint256 i;
        while (i < k) {
            uint256 position = positions[i];
            bytes32 parent;
            if (position & 1 == 0 && i + 1 < k && positions[i + 1] == position + 1) {
                parent = _hashPair(nodes[i], nodes[i + 1]);
                i += 2;
            } else {
                if (cursor >= proof.length) revert InvalidMultiproofLength();
                bytes32 sibling = proof[cursor++];
                parent = position & 1 == 0 ? _hashPair(nodes[i], sibling) : _hashPair(sibling, nodes[i]);
                i += 1;
            }
            positions[written] = position >> 1;
            nodes[written] = parent;
            ++written;
        }
        return (written, cursor);
    }

    function _hashPair(bytes32 left, bytes32 right) private pure returns (bytes32 hash) {
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            hash := keccak256(0x00, 0x40)
        }
    }
}
