// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title MessagingHashes
/// @notice What the updater and watchers sign. Every hash is signed with EIP-191 personal-sign.
/// @dev The preimages differ in length (96 bytes for an update, 76 for a watcher notice), so a signature
///      over one can never be replayed as the other.
library MessagingHashes {
    /// @notice Domain separator of a Home: binds an update signature to one origin domain.
    function homeDomainHash(uint32 domain) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(domain, "NXTP"));
    }

    /// @notice What the updater signs to move `domain`'s committed root from `oldRoot` to `newRoot`.
    function updateHash(uint32 domain, bytes32 oldRoot, bytes32 newRoot) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(homeDomainHash(domain), oldRoot, newRoot));
    }

    /// @notice What a watcher signs to halt `replica`, the Replica of `domain` whose updater is `updater`.
    /// @dev Naming the Replica means a notice halts exactly one contract: it cannot be replayed against a Replica
    ///      governance enrolls later for the same domain, even one that keeps the same updater key.
    function watcherNoticeHash(uint32 domain, address updater, address replica)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(homeDomainHash(domain), domain, updater, replica));
    }
}
