// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title NaiveMerkle
/// @notice An independent, deliberately simple depth-32 Merkle tree for tests: it rebuilds every level
///         from all leaves, padding each level with that level's zero hash. Slow, obvious, and sharing no
///         code with `MerkleTree`, so agreement between the two means something.
library NaiveMerkle {
    uint256 internal constant DEPTH = 32;

    function zeroHashes() internal pure returns (bytes32[DEPTH + 1] memory zeros) {
        for (uint256 i = 0; i < DEPTH; ++i) {
            zeros[i + 1] = keccak256(abi.encodePacked(zeros[i], zeros[i]));
        }
    }

    /// @notice The root of a tree whose first leaves are `leaves` and the rest empty.
    function root(bytes32[] memory leaves) internal pure returns (bytes32) {
        (bytes32 top,) = _walk(leaves, 0);
        return top;
    }

    /// @notice The sibling path (bottom-up) of leaf `index`.
    function proof(bytes32[] memory leaves, uint256 index)
        internal
        pure
        returns (bytes32[DEPTH] memory path)
    {
        (, path) = _walk(leaves, index);
    }

    /// @notice The siblings a multiproof for strictly increasing `indices` needs, in `MerkleTree.multiRoot`'s
    ///         order: level by level from the bottom, left to right, skipping siblings inside the batch.
    function multiProof(bytes32[] memory leaves, uint256[] memory indices)
        internal
        pure
        returns (bytes32[] memory)
    {
        bytes32[DEPTH + 1] memory zeros = zeroHashes();
        bytes32[] memory collected = new bytes32[](indices.length * DEPTH);
        uint256 used;
        bytes32[] memory level = leaves;
        uint256[] memory positions = indices;
        for (uint256 depth = 0; depth < DEPTH; ++depth) {
            (positions, used) = _collectSiblings(level, positions, zeros[depth], collected, used);
            level = _parents(level, zeros[depth]);
        }
        bytes32[] memory proofOut = new bytes32[](used);
        for (uint256 i = 0; i < used; ++i) {
            proofOut[i] = collected[i];
        }
        return proofOut;
    }

    /// @dev Appends the siblings one level needs to `collected`; returns the parents' positions.
    function _collectSiblings(
        bytes32[] memory level,
        uint256[] memory positions,
        bytes32 zero,
        bytes32[] memory collected,
        uint256 used
    ) private pure returns (uint256[] memory parents, uint256) {
        uint256[] memory scratch = new uint256[](positions.length);
        uint256 parentCount;
        for (uint256 i = 0; i < positions.length; ++i) {
            uint256 position = positions[i];
            bool pairedWithNext =
                position % 2 == 0 && i + 1 < positions.length && positions[i + 1] == position + 1;
            if (pairedWithNext) {
                ++i;
            } else {
                uint256 sibling = position ^ 1;
                collected[used++] = sibling < level.length ? level[sibling] : zero;
            }
            scratch[parentCount++] = position / 2;
        }
        parents = new uint256[](parentCount);
        for (uint256 i = 0; i < parentCount; ++i) {
            parents[i] = scratch[i];
        }
        return (parents, used);
    }

    function _parents(bytes32[] memory level, bytes32 zero) private pure returns (bytes32[] memory next) {
        next = new bytes32[]((level.length + 1) / 2);
        for (uint256 p = 0; p < next.length; ++p) {
            bytes32 right = 2 * p + 1 < level.length ? level[2 * p + 1] : zero;
            next[p] = keccak256(abi.encodePacked(level[2 * p], right));
        }
    }

    function _walk(bytes32[] memory leaves, uint256 index)
        private
        pure
        returns (bytes32 top, bytes32[DEPTH] memory path)
    {
        bytes32[DEPTH + 1] memory zeros = zeroHashes();
        bytes32[] memory level = leaves;
        uint256 position = index;
        for (uint256 depth = 0; depth < DEPTH; ++depth) {
            uint256 sibling = position ^ 1;
            path[depth] = sibling < level.length ? level[sibling] : zeros[depth];
            level = _parents(level, zeros[depth]);
            position >>= 1;
        }
        top = level.length == 0 ? zeros[DEPTH] : level[0];
    }
}
