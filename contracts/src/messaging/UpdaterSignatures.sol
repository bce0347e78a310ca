// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SignatureVerifier} from "../libraries/SignatureVerifier.sol";
import {MessagingHashes} from "./libraries/MessagingHashes.sol";

/// @title UpdaterSignatures
/// @notice What `Home` and `Replica` share: the updater key of one origin domain and checks of its signatures.
abstract contract UpdaterSignatures {
    /// @notice The key that signs root updates for `signedDomain()`.
    address public updater;

    /// @notice The updater key changed.
    event UpdaterChanged(address indexed previousUpdater, address indexed newUpdater);
    /// @notice Two conflicting signed updates over one old root were proven.
    event DoubleUpdate(bytes32 indexed oldRoot, bytes32[2] newRoots, bytes signature0, bytes signature1);

    /// @notice The signature over an update was not made by the updater (wrong key, or made for another Home).
    error NotUpdaterSignature(address signer);
    /// @notice The two updates of a double-update proof do not conflict.
    error NotConflicting();
    /// @notice The zero address cannot be the updater.
    error ZeroUpdater();

    /// @notice The origin domain whose Home the updater signs for.
    function signedDomain() public view virtual returns (uint32);

    function _setUpdater(address newUpdater) internal {
        if (newUpdater == address(0)) revert ZeroUpdater();
        emit UpdaterChanged(updater, newUpdater);
        updater = newUpdater;
    }

    /// @dev Whether `signer` answers for signed updates here: the current updater, or (on a Home) a recently
    ///      rotated one whose bond is still locked.
    function _isAccountable(address signer) internal view virtual returns (bool) {
        return signer == updater;
    }

    /// @notice The EIP-712 separator of the Home whose updates are verified here: `("nxtp Home", "1", chain id of
    ///         that Home, its address)`.
    function updateDomainSeparator() public view virtual returns (bytes32);

    /// @dev The digest the updater signs to move `signedDomain()`'s Home from `oldRoot` to `newRoot`: EIP-712
    ///      `Update(uint32 homeDomain,bytes32 oldRoot,bytes32 newRoot)` under `updateDomainSeparator()`.
    function _updateDigest(bytes32 oldRoot, bytes32 newRoot) internal view returns (bytes32) {
        return SignatureVerifier.typedDataDigest(
            updateDomainSeparator(), MessagingHashes.updateStructHash(signedDomain(), oldRoot, newRoot)
        );
    }

    /// @dev The key that signed the move from `oldRoot` to `newRoot` on `signedDomain()`.
    function _updateSigner(bytes32 oldRoot, bytes32 newRoot, bytes calldata signature)
        internal
        view
        returns (address)
    {
        return SignatureVerifier.recover(_updateDigest(oldRoot, newRoot), signature);
    }

    /// @dev Reverts unless the current updater signed the move from `oldRoot` to `newRoot`.
    function _checkUpdaterSignature(bytes32 oldRoot, bytes32 newRoot, bytes calldata signature)
        internal
        view
    {
        address signer = _updateSigner(oldRoot, newRoot, signature);
        if (signer != updater) revert NotUpdaterSignature(signer);
    }

    /// @dev Reverts unless the two signed updates are a genuine double update by one accountable key; emits the
    ///      evidence and returns that key.
    function _checkDoubleUpdate(
        bytes32 oldRoot,
        bytes32[2] calldata newRoots,
        bytes calldata signature0,
        bytes calldata signature1
    ) internal returns (address signer) {
        if (newRoots[0] == newRoots[1]) revert NotConflicting();
        signer = _updateSigner(oldRoot, newRoots[0], signature0);
        if (!_isAccountable(signer)) revert NotUpdaterSignature(signer);
        address other = _updateSigner(oldRoot, newRoots[1], signature1);
        if (other != signer) revert NotUpdaterSignature(other);
        emit DoubleUpdate(oldRoot, newRoots, signature0, signature1);
    }
}
