// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMessageRecipient} from "../../../src/interfaces/IMessageGateway.sol";

/// @notice A message recipient that only records what it receives (the handler used for gas figures),
///         and can be told to revert so tests can exercise retries.
contract RecordingRecipient is IMessageRecipient {
    /// @notice Messages handled so far.
    uint256 public handledCount;
    /// @notice Hash of the last message handled.
    bytes32 public lastMessageHash;
    /// @notice Times each message (by hash of its fields) was handled.
    mapping(bytes32 => uint256) public timesHandled;
    /// @notice While true, `handle` reverts.
    bool public rejecting;

    event Handled(uint32 origin, uint32 nonce, bytes32 sender, bytes body);

    error Rejected(uint32 nonce);

    function setRejecting(bool value) external {
        rejecting = value;
    }

    function handle(uint32 origin, uint32 nonce, bytes32 sender, bytes calldata body) external {
        if (rejecting) revert Rejected(nonce);
        bytes32 messageHash = keccak256(abi.encode(origin, nonce, sender, body));
        timesHandled[messageHash] += 1;
        handledCount += 1;
        lastMessageHash = messageHash;
        emit Handled(origin, nonce, sender, body);
    }
}
