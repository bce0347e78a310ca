// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title SignatureVerifier
/// @notice Strict recovery of EIP-191 personal-sign signatures (65 bytes, r || s || v).
/// @dev Refuses high-s signatures so each message has exactly one valid signature per key, and refuses
///      anything that recovers to the zero address.
library SignatureVerifier {
    /// @dev Half the secp256k1 group order: the largest `s` a canonical signature may carry.
    uint256 private constant HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @notice The signature is not 65 bytes long.
    error InvalidSignatureLength(uint256 length);
    /// @notice The signature's `s` is in the upper half of the curve order (a malleated twin).
    error MalleableSignature();
    /// @notice The signature's `v` is neither 27 nor 28.
    error InvalidSignatureV(uint8 v);
    /// @notice The signature does not recover to any key.
    error InvalidSignature();

    /// @notice The EIP-191 digest a wallet signs for `hash` with `personal_sign`.
    function toEthSignedMessageHash(bytes32 hash) internal pure returns (bytes32 digest) {
        assembly {
            mstore(0x00, "\x19Ethereum Signed Message:\n32")
            mstore(0x1c, hash)
            digest := keccak256(0x00, 0x3c)
        }
    }

    /// @notice The signer of `hash` under EIP-191 personal-sign; reverts on any non-canonical signature.
    function recoverPersonal(bytes32 hash, bytes memory signature) internal pure returns (address signer) {
        if (signature.length != 65) revert InvalidSignatureLength(signature.length);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := mload(add(signature, 0x20))
            s := mload(add(signature, 0x40))
            v := byte(0, mload(add(signature, 0x60)))
        }
        if (uint256(s) > HALF_ORDER) revert MalleableSignature();
        if (v != 27 && v != 28) revert InvalidSignatureV(v);
        signer = ecrecover(toEthSignedMessageHash(hash), v, r, s);
        if (signer == address(0)) revert InvalidSignature();
    }
}
