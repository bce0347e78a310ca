// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IMessageGateway
/// @notice Outbound half of a messaging adapter: what the liquidity layer dispatches through.
/// @dev The optimistic messaging `Home` implements it directly, so the message's sender is the caller.
interface IMessageGateway {
    /// @notice Sends `body` to `recipient` on `destination`; the caller is the message's sender.
    /// @return leaf The message's leaf hash (`keccak256` of the encoded message).
    /// @return nonce The message's nonce among those from this domain to `destination`.
    function dispatch(uint32 destination, bytes32 recipient, bytes calldata body)
        external
        returns (bytes32 leaf, uint32 nonce);
}

/// @title IMessageInbox
/// @notice Inbound half of a messaging adapter: who may deliver messages from a given origin.
interface IMessageInbox {
    /// @notice Whether `caller` is the enrolled deliverer of messages from `origin` on this domain.
    function isInbound(address caller, uint32 origin) external view returns (bool);
}

/// @title IMessageRecipient
/// @notice Implemented by contracts that receive messages from the messaging layer.
interface IMessageRecipient {
    /// @notice Delivers one message; reverting leaves the message retryable.
    /// @param origin The domain the message was dispatched on.
    /// @param nonce The message's nonce among those from `origin` to this domain.
    /// @param sender The dispatching contract on `origin`, left-padded to 32 bytes.
    /// @param body The application payload.
    function handle(uint32 origin, uint32 nonce, bytes32 sender, bytes calldata body) external;
}
