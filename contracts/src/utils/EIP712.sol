// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SignatureVerifier} from "../libraries/SignatureVerifier.sol";

/// @title EIP712
/// @notice The EIP-712 signing domain of the contract that verifies a signed statement: its name, version "1", the
///         chain id and its own address. A signature made for one deployment is worthless on any other chain or at
///         any other address.
/// @dev The separator is computed once at deployment and cached with the chain id it was computed for; if the chain
///      forks and `block.chainid` changes, it is recomputed for the new id, so signatures made for one side of the
///      fork do not verify on the other. Exposes EIP-5267 `eip712Domain()` so wallets and signing services can
///      show what they sign.
abstract contract EIP712 {
    /// @dev `keccak256(bytes(_eip712Name()))`.
    bytes32 private immutable _NAME_HASH;
    /// @dev The chain id `_CACHED_SEPARATOR` was computed for.
    uint256 private immutable _CACHED_CHAIN_ID;
    /// @dev The separator on the chain this contract was deployed on.
    bytes32 private immutable _CACHED_SEPARATOR;

    constructor() {
        bytes32 nameHash = keccak256(bytes(_eip712Name()));
        _NAME_HASH = nameHash;
        _CACHED_CHAIN_ID = block.chainid;
        _CACHED_SEPARATOR = SignatureVerifier.domainSeparator(nameHash, block.chainid, address(this));
    }

    /// @notice EIP-5267: the fields of this contract's EIP-712 domain.
    /// @return fields `0x0f`: name, version, chainId and verifyingContract are set; no salt.
    /// @return name The domain's name.
    /// @return version Always "1".
    /// @return chainId The current chain id.
    /// @return verifyingContract This contract.
    /// @return salt Unused (zero).
    /// @return extensions None.
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        fields = hex"0f";
        name = _eip712Name();
        version = "1";
        chainId = block.chainid;
        verifyingContract = address(this);
        // `salt` stays zero and `extensions` empty: neither is part of the domain.
    }

    /// @dev The name of this contract's signing domain, e.g. "nxtp Connext".
    function _eip712Name() internal pure virtual returns (string memory);

    /// @dev The separator for the current chain id (cached unless the chain forked since deployment).
    function _domainSeparator() internal view returns (bytes32 separator) {
        separator = _CACHED_SEPARATOR;
        if (block.chainid != _CACHED_CHAIN_ID) separator = _separatorForChain();
    }

    /// @dev The separator recomputed for `block.chainid`: only ever needed after a fork.
    function _separatorForChain() private view returns (bytes32) {
        return SignatureVerifier.domainSeparator(_NAME_HASH, block.chainid, address(this));
    }

    /// @dev The digest a key signs for the typed message `structHash` verified here.
    function _typedDataDigest(bytes32 structHash) internal view returns (bytes32) {
        return SignatureVerifier.typedDataDigest(_domainSeparator(), structHash);
    }
}
