// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title LiquidityHashes
/// @notice The EIP-712 types routers and the sequencer sign for the fast path, and their struct hashes.
/// @dev Both are signed under the domain of the destination's `Connext` ("nxtp Connext", the destination's chain
///      id, that Connext's address), which verifies them in `execute`.
library LiquidityHashes {
    /// @notice The EIP-712 domain name of a Connext.
    string internal constant CONNEXT_NAME = "nxtp Connext";

    /// @notice `keccak256("RouterBid(bytes32 transferId,uint256 pathLength)")`.
    bytes32 internal constant ROUTER_BID_TYPEHASH =
        keccak256("RouterBid(bytes32 transferId,uint256 pathLength)");
    /// @notice `keccak256("RouterSelection(bytes32 transferId,address[] routers)")`.
    bytes32 internal constant ROUTER_SELECTION_TYPEHASH =
        keccak256("RouterSelection(bytes32 transferId,address[] routers)");

    /// @notice The struct hash of a router's bid to front `transferId` as one of `pathLength` routers.
    function routerBidStructHash(bytes32 transferId, uint256 pathLength) internal pure returns (bytes32) {
        return keccak256(abi.encode(ROUTER_BID_TYPEHASH, transferId, pathLength));
    }

    /// @notice The struct hash of the sequencer's choice of `routers` (in order) to front `transferId`.
    /// @param routersHash `keccak256(abi.encodePacked(routers))`: EIP-712's encoding of an `address[]`, the hash of
    ///        its elements, each one 32-byte word.
    function routerSelectionStructHash(bytes32 transferId, bytes32 routersHash)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(ROUTER_SELECTION_TYPEHASH, transferId, routersHash));
    }

    /// @notice EIP-712's encoding of an `address[]` value: the hash of its elements, each one 32-byte word.
    function hashRouters(address[] memory routers) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(routers));
    }
}
