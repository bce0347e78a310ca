// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Ownable2Step
/// @notice Single-owner access control where a transfer only takes effect once the new owner accepts it,
///         so a typo in an address can never hand a contract to nobody.
abstract contract Ownable2Step {
    /// @notice The account allowed to call `onlyOwner` functions.
    address public owner;
    /// @notice The account that may accept ownership, or zero when no transfer is pending.
    address public pendingOwner;

    /// @notice A transfer of ownership to `newOwner` was proposed.
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    /// @notice Ownership moved from `previousOwner` to `newOwner`.
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// @notice The caller is not the owner.
    error NotOwner(address caller);
    /// @notice The caller is not the pending owner.
    error NotPendingOwner(address caller);
    /// @notice The zero address cannot own a contract.
    error ZeroOwner();

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    constructor(address initialOwner) {
        if (initialOwner == address(0)) revert ZeroOwner();
        owner = initialOwner;
        emit OwnershipTransferred(address(0), initialOwner);
    }

    /// @notice Proposes `newOwner`; the current owner keeps control until it accepts.
    /// @dev Passing zero cancels a pending transfer.
    function transferOwnership(address newOwner) external onlyOwner {
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(owner, newOwner);
    }

    /// @notice Completes a pending transfer; only the proposed owner may call it.
    function acceptOwnership() external {
        if (msg.sender != pendingOwner) revert NotPendingOwner(msg.sender);
        emit OwnershipTransferred(owner, msg.sender);
        owner = msg.sender;
        pendingOwner = address(0);
    }
}
