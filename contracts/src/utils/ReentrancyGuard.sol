// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ReentrancyGuard
/// @notice Refuses re-entry into guarded functions, using transient storage (EIP-1153) so the lock costs
///         no persistent write.
abstract contract ReentrancyGuard {
    bytes32 private constant LOCK_SLOT = bytes32(uint256(keccak256("nxtp.reentrancy.lock")) - 1);

    /// @notice A guarded function was entered while another was running.
    error Reentrancy();

    modifier nonReentrant() {
        bytes32 slot = LOCK_SLOT;
        bool locked;
        assembly ("memory-safe") {
            locked := tload(slot)
        }
        if (locked) revert Reentrancy();
        assembly ("memory-safe") {
            tstore(slot, 1)
        }
        _;
        assembly ("memory-safe") {
            tstore(slot, 0)
        }
    }
}
