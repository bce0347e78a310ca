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
    function proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[DEPTH] memory path) {
        (, path) = _walk(leaves, index);
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
            uint256 parents = (level.length + 1) / 2;
            bytes32[] memory next = new bytes32[](parents);
            for (uint256 p = 0; p < parents; ++p) {
                bytes32 left = level[2 * p];
                bytes32 right = 2 * p + 1 < level.length ? level[2 * p + 1] : zeros[depth];
                next[p] = keccak256(abi.encodePacked(left, right));
            }
            level = next;
            position >>= 1;
        }
        top = level.length == 0 ? zeros[DEPTH] : level[0];
    }
}
