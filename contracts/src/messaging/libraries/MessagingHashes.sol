// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title MessagingHashes
/// @notice The EIP-712 types the updater and watchers sign, and their struct hashes.
/// @dev An update is signed under the domain of the origin's Home ("nxtp Home", its chain id, its address), verified
///      by that Home and by every Replica of it; a watcher notice under the domain of the destination's connection
///      manager ("nxtp ConnectionManager"). The type hashes differ, so one statement can never pass for the other.
library MessagingHashes {
    /// @notice The EIP-712 domain name of a Home.
    string internal constant HOME_NAME = "nxtp Home";
    /// @notice The EIP-712 domain name of a connection manager.
    string internal constant CONNECTION_MANAGER_NAME = "nxtp ConnectionManager";

    /// @notice `keccak256("Update(uint32 homeDomain,bytes32 oldRoot,bytes32 newRoot)")`.
    bytes32 internal constant UPDATE_TYPEHASH =
        keccak256("Update(uint32 homeDomain,bytes32 oldRoot,bytes32 newRoot)");
    /// @notice `keccak256("WatcherNotice(uint32 homeDomain,address updater,address replica)")`.
    bytes32 internal constant WATCHER_NOTICE_TYPEHASH =
        keccak256("WatcherNotice(uint32 homeDomain,address updater,address replica)");

    /// @notice The struct hash of the updater's claim that `homeDomain`'s Home moved from `oldRoot` to `newRoot`.
    function updateStructHash(uint32 homeDomain, bytes32 oldRoot, bytes32 newRoot)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(UPDATE_TYPEHASH, homeDomain, oldRoot, newRoot));
    }

    /// @notice The struct hash of a watcher's notice that `updater`, signing for `homeDomain`, committed fraud,
    ///         which halts `replica`.
    /// @dev Naming the Replica means a notice halts exactly one contract: it cannot be replayed against a Replica
    ///      governance enrolls later for the same domain, even one that keeps the same updater key.
    function watcherNoticeStructHash(uint32 homeDomain, address updater, address replica)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(WATCHER_NOTICE_TYPEHASH, homeDomain, updater, replica));
    }
}
