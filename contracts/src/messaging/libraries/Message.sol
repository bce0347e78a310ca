// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Message
/// @notice Encoding of optimistic messages:
///         `origin u32 | sender bytes32 | nonce u32 | destination u32 | recipient bytes32 | body`, tightly packed.
/// @dev The leaf committed to the Merkle tree is `keccak256` of the whole encoding.
library Message {
    /// @notice Bytes before the body.
    uint256 internal constant HEADER_LENGTH = 76;
    /// @notice Largest body a message may carry; bounds the cost of proving and delivering it.
    uint256 internal constant MAX_BODY_BYTES = 2048;

    /// @notice Packs a message.
    function format(
        uint32 originDomain,
        bytes32 senderId,
        uint32 messageNonce,
        uint32 destinationDomain,
        bytes32 recipientId,
        bytes calldata payload
    ) internal pure returns (bytes memory) {
        return abi.encodePacked(originDomain, senderId, messageNonce, destinationDomain, recipientId, payload);
    }

    /// @notice The domain the message was dispatched on.
    function origin(bytes calldata message) internal pure returns (uint32) {
        return uint32(bytes4(message[0:4]));
    }

    /// @notice The dispatching contract, left-padded to 32 bytes.
    function sender(bytes calldata message) internal pure returns (bytes32) {
        return bytes32(message[4:36]);
    }

    /// @notice The message's nonce among those from its origin to its destination.
    function nonce(bytes calldata message) internal pure returns (uint32) {
        return uint32(bytes4(message[36:40]));
    }

    /// @notice The domain the message is for.
    function destination(bytes calldata message) internal pure returns (uint32) {
        return uint32(bytes4(message[40:44]));
    }

    /// @notice The receiving contract, left-padded to 32 bytes.
    function recipient(bytes calldata message) internal pure returns (bytes32) {
        return bytes32(message[44:76]);
    }

    /// @notice The application payload.
    function body(bytes calldata message) internal pure returns (bytes calldata) {
        return message[HEADER_LENGTH:];
    }

    /// @notice Whether a bytes32 is a left-padded EVM address (upper 12 bytes zero).
    function isAddress(bytes32 value) internal pure returns (bool) {
        return uint256(value) >> 160 == 0;
    }
}
