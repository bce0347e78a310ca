// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable2Step} from "./Ownable2Step.sol";

/// @title Pausable
/// @notice Lets the owner stop a contract's user-facing paths in an emergency.
/// @dev Fraud proofs and other safety paths must never be `whenNotPaused`.
abstract contract Pausable is Ownable2Step {
    /// @notice Whether user-facing paths are stopped.
    bool public paused;

    /// @notice The owner stopped user-facing paths.
    event Paused(address indexed by);
    /// @notice The owner resumed user-facing paths.
    event Unpaused(address indexed by);

    /// @notice The contract is paused.
    error IsPaused();
    /// @notice The contract is not paused.
    error NotPaused();

    modifier whenNotPaused() {
        if (paused) revert IsPaused();
        _;
    }

    /// @notice Stops user-facing paths.
    function pause() external onlyOwner {
        if (paused) revert IsPaused();
        paused = true;
        emit Paused(msg.sender);
    }

    /// @notice Resumes user-facing paths.
    function unpause() external onlyOwner {
        if (!paused) revert NotPaused();
        paused = false;
        emit Unpaused(msg.sender);
    }
}
