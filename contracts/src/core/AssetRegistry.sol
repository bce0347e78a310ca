// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextBase} from "./ConnextBase.sol";
import {IConnext} from "../interfaces/IConnext.sol";
import {IBridgeToken} from "../interfaces/IBridgeToken.sol";
import {SafeTransferLib} from "./libraries/SafeTransferLib.sol";

/// @title AssetRegistry
/// @notice Which assets `Connext` bridges on this domain: canonical tokens whose home is here (escrowed, with a cap)
///         and representations of tokens whose home is elsewhere (`BridgeToken`s minted and burned by `Connext`).
///         Cold paths: `Connext` runs them in `ConnextExtension` (see `ConnextDelegator`); the registry's views are
///         `Connext`'s own.
abstract contract AssetRegistry is ConnextBase {
    /// @notice Registers and approves a token whose home is this domain; transfers of it are escrowed here.
    /// @param token The token; it must report `decimals()` of at most 18 and must not take a fee on transfer.
    /// @param cap The most this domain may escrow (`type(uint128).max`: no limit).
    function setupCanonicalAsset(address token, uint256 cap) external onlyOwner {
        if (token.code.length == 0) revert IConnext.NotAContract(token);
        uint8 decimals = _decimalsOf(token);
        bytes32 canonicalId = bytes32(uint256(uint160(token)));
        _register(token, LOCAL_DOMAIN, canonicalId, decimals);
        _assets[token].cap = _toCap(cap);
        emit IConnext.AssetCapUpdated(token, cap);
    }

    /// @notice Registers the representation of a token whose home is another domain.
    /// @param canonicalId The token's id on its home domain (its address, left-padded).
    /// @param canonicalDomain The token's home domain.
    /// @param representation A `BridgeToken` deployed for this `Connext`, with the canonical token's decimals.
    function setupRepresentation(bytes32 canonicalId, uint32 canonicalDomain, address representation)
        external
        onlyOwner
    {
        if (canonicalDomain == LOCAL_DOMAIN) revert IConnext.CanonicalDomainIsLocal();
        if (canonicalDomain == 0 || canonicalId == bytes32(0)) revert IConnext.ZeroAddress();
        if (representation.code.length == 0 || IBridgeToken(representation).connext() != address(this)) {
            revert IConnext.NotRepresentation(representation);
        }
        _register(representation, canonicalDomain, canonicalId, _decimalsOf(representation));
    }

    /// @notice Allows or stops new transfers and new router liquidity in `local`; what is in flight still lands.
    function setAssetApproval(address local, bool approved) external onlyOwner {
        Asset storage asset = _assets[local];
        if (asset.canonicalDomain == 0) revert IConnext.AssetNotApproved(local);
        asset.approved = approved;
        emit IConnext.AssetApprovalUpdated(local, approved);
    }

    /// @notice Sets the escrow cap of a canonical token (`type(uint128).max`: no limit). A cap below what is already
    ///         escrowed only stops new transfers.
    function setAssetCap(address local, uint256 cap) external onlyOwner {
        Asset storage asset = _assets[local];
        if (asset.canonicalDomain != LOCAL_DOMAIN) revert IConnext.NotCanonicalAsset(local);
        asset.cap = _toCap(cap);
        emit IConnext.AssetCapUpdated(local, cap);
    }

    function _register(address local, uint32 canonicalDomain, bytes32 canonicalId, uint8 decimals) private {
        bytes32 key = _assetKey(canonicalDomain, canonicalId);
        Asset storage asset = _assets[local];
        if (_localAssets[key].local != address(0) || asset.canonicalDomain != 0) {
            revert IConnext.AssetAlreadySetup(key);
        }
        _localAssets[key] = LocalAsset({local: local, decimals: decimals});
        asset.canonicalDomain = canonicalDomain;
        asset.decimals = decimals;
        asset.approved = true;
        asset.canonicalId = canonicalId;
        emit IConnext.AssetSetup(key, canonicalId, canonicalDomain, local, decimals);
        emit IConnext.AssetApprovalUpdated(local, true);
    }

    function _decimalsOf(address token) private view returns (uint8 decimals) {
        (bool ok, bytes memory ret) = token.staticcall(abi.encodeWithSignature("decimals()"));
        if (!ok || ret.length < 32) {
            revert SafeTransferLib.TokenCallFailed(token, bytes4(keccak256("decimals()")));
        }
        uint256 value = abi.decode(ret, (uint256));
        if (value > 18) revert IConnext.UnsupportedDecimals(uint8(value > 255 ? 255 : value));
        decimals = uint8(value);
    }

    function _toCap(uint256 cap) private pure returns (uint128) {
        if (cap > type(uint128).max) revert IConnext.ParameterOutOfRange(cap, 0, type(uint128).max);
        return uint128(cap);
    }
}
