// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title SignatureVerifier
/// @notice EIP-712 typed-data digests and strict recovery of their signatures (65 bytes, r || s || v).
/// @dev Every statement the protocol's keys sign is EIP-712 typed data: `keccak256("\x19\x01" || domainSeparator ||
///      hashStruct(message))`, the domain naming the contract, its chain id and its address. Recovery refuses high-s
///      signatures, so each statement has exactly one valid signature per key, and anything that recovers to the
///      zero address.
library SignatureVerifier {
    /// @dev Half the secp256k1 group order: the largest `s` a canonical signature may carry.
    uint256 private constant HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @notice `keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")`.
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    /// @notice `keccak256("1")`: the version every nxtp signing domain carries.
    bytes32 internal constant VERSION_HASH = keccak256("1");

    /// @notice The signature is not 65 bytes long.
    error InvalidSignatureLength(uint256 length);
    /// @notice The signature's `s` is in the upper half of the curve order (a malleated twin).
    error MalleableSignature();
    /// @notice The signature's `v` is neither 27 nor 28.
    error InvalidSignatureV(uint8 v);
    /// @notice The signature does not recover to any key.
    error InvalidSignature();

    /// @notice The EIP-712 separator of the domain `(name, "1", chainId, verifyingContract)`.
    /// @param nameHash `keccak256(bytes(name))`.
    function domainSeparator(bytes32 nameHash, uint256 chainId, address verifyingContract)
        internal
        pure
        returns (bytes32 separator)
    {
        bytes32 typeHash = DOMAIN_TYPEHASH;
        bytes32 versionHash = VERSION_HASH;
        // abi.encode(DOMAIN_TYPEHASH, nameHash, VERSION_HASH, chainId, verifyingContract), hashed in scratch memory.
        assembly ("memory-safe") {
            let free := mload(0x40)
            mstore(free, typeHash)
            mstore(add(free, 0x20), nameHash)
            mstore(add(free, 0x40), versionHash)
            mstore(add(free, 0x60), chainId)
            mstore(add(free, 0x80), shr(96, shl(96, verifyingContract)))
            separator := keccak256(free, 0xa0)
        }
    }

    /// @notice The digest a key signs for the typed message `structHash` under `separator`:
    ///         `keccak256("\x19\x01" || separator || structHash)`.
    function typedDataDigest(bytes32 separator, bytes32 structHash) internal pure returns (bytes32 digest) {
        assembly ("memory-safe") {
            let free := mload(0x40)
            mstore(free, hex"1901")
            mstore(add(free, 0x02), separator)
            mstore(add(free, 0x22), structHash)
            digest := keccak256(free, 0x42)
        }
    }

    /// @notice The signer of `digest`; reverts on any non-canonical signature.
    function recover(bytes32 digest, bytes memory signature) internal pure returns (address signer) {
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
        signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) revert InvalidSignature();
    }

    /// @notice The signer of `digest` from a signature's parts (for a signature read in place from calldata); reverts
    ///         on any non-canonical signature, as `recover` does. Kept apart from `recover` so the callers of that
    ///         one compile as before.
    function recover(bytes32 digest, bytes32 r, bytes32 s, uint8 v) internal pure returns (address signer) {
        if (uint256(s) > HALF_ORDER) revert MalleableSignature();
        if (v != 27 && v != 28) revert InvalidSignatureV(v);
        signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) revert InvalidSignature();
    }
}
