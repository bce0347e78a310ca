// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title TransferMessage
/// @notice The reconcile message one `Connext` sends another:
///         `abi.encodePacked(uint32 canonicalDomain, bytes32 canonicalId, uint256 bridgedAmt, bytes32 transferId)`.
library TransferMessage {
    /// @notice The encoded length of a message body.
    uint256 internal constant LENGTH = 100;

    /// @notice Encodes a reconcile message body.
    function encode(uint32 canonicalDomain, bytes32 canonicalId, uint256 bridgedAmt, bytes32 transferId)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(canonicalDomain, canonicalId, bridgedAmt, transferId);
    }

    /// @notice Decodes a body whose length the caller has checked to be `LENGTH`.
    function decode(bytes calldata body)
        internal
        pure
        returns (uint32 canonicalDomain, bytes32 canonicalId, uint256 bridgedAmt, bytes32 transferId)
    {
        assembly {
            canonicalDomain := shr(224, calldataload(body.offset))
            canonicalId := calldataload(add(body.offset, 4))
            bridgedAmt := calldataload(add(body.offset, 36))
            transferId := calldataload(add(body.offset, 68))
        }
    }
}
