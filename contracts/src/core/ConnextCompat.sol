// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RouterLiquidity} from "./RouterLiquidity.sol";
import {IConnext, TokenId} from "../interfaces/IConnext.sol";
import {TransferRecord} from "./libraries/TransferRecord.sol";

/// @title ConnextCompat
/// @notice The views and router-liquidity shapes of Connext's published `IConnext` (the npm package
///         connext/interfaces, 2.0.5) that map onto nxtp's state, with Connext's selectors, so tooling and xApps
///         written for Connext read nxtp unchanged. Each is a thin alias of an nxtp function or a read of the same
///         storage. The entry points that need `Connext`'s internals (the 7-argument `xcall` and `xcallIntoLocal`,
///         `bumpTransfer(bytes32)`) are in `Connext`; `acceptProposedRouterOwner` runs in the extension
///         (`ConnextDelegator`). What is left out on purpose, and why, is in docs/connext-compatibility.md.
abstract contract ConnextCompat is RouterLiquidity {
    using TransferRecord for uint256;

    // ------------------------------------------------------------------ transfers and domains

    /// @inheritdoc IConnext
    function transferRouters(bytes32 transferId) external view returns (address[] memory) {
        return _routersOf(transferId);
    }

    /// @inheritdoc IConnext
    function routedTransfers(bytes32 transferId) external view returns (address[] memory) {
        return _routersOf(transferId);
    }

    /// @inheritdoc IConnext
    function remote(uint32 remoteDomain) external view returns (address) {
        // Enrolled Connexts are EVM contracts, left-padded by `setRemoteConnext`.
        return address(uint160(uint256(remoteConnext[remoteDomain])));
    }

    /// @inheritdoc IConnext
    function domain() external view returns (uint256) {
        return LOCAL_DOMAIN;
    }

    /// @inheritdoc IConnext
    function xAppConnectionManager() external view returns (address) {
        return inbox;
    }

    // ------------------------------------------------------------------ routers

    /// @inheritdoc IConnext
    /// @dev Connext's fast path delivers `amount * LIQUIDITY_FEE_NUMERATOR / LIQUIDITY_FEE_DENOMINATOR`, ours
    ///      `bridgedAmt * (BPS - liquidityFeeBps) / BPS`: the same figure.
    // forge-lint: disable-next-line(mixed-case-function)
    function LIQUIDITY_FEE_NUMERATOR() external view returns (uint256) {
        return BPS - liquidityFeeBps;
    }

    /// @inheritdoc IConnext
    // forge-lint: disable-next-line(mixed-case-function)
    function LIQUIDITY_FEE_DENOMINATOR() external pure returns (uint256) {
        return BPS;
    }

    /// @inheritdoc IConnext
    function getRouterApproval(address router) external view returns (bool) {
        return _routers[router].approved;
    }

    /// @inheritdoc IConnext
    function getRouterRecipient(address router) external view returns (address) {
        return _routers[router].recipient;
    }

    /// @inheritdoc IConnext
    function getRouterOwner(address router) external view returns (address) {
        return _routers[router].owner;
    }

    /// @inheritdoc IConnext
    function getProposedRouterOwner(address router) external view returns (address) {
        return _routers[router].proposedOwner;
    }

    /// @inheritdoc IConnext
    function getProposedRouterOwnerTimestamp(address router) external view returns (uint256) {
        return _routers[router].proposedAt;
    }

    /// @inheritdoc IConnext
    function routerBalances(address router, address asset) external view returns (uint256) {
        return _liquidity[router][asset];
    }

    /// @inheritdoc IConnext
    function addRouterLiquidityFor(uint256 amount, address local, address router) external payable {
        _refuseNative();
        _addRouterLiquidity(router, local, amount);
    }

    /// @inheritdoc IConnext
    /// @dev For a router funding itself; in nxtp anyone may add liquidity for an approved router.
    function addRouterLiquidity(uint256 amount, address local) external payable {
        _refuseNative();
        _addRouterLiquidity(msg.sender, local, amount);
    }

    // ------------------------------------------------------------------ assets

    /// @inheritdoc IConnext
    function adoptedToCanonical(address adopted) external view returns (TokenId memory canonical) {
        Asset storage asset = _assets[adopted];
        canonical.domain = asset.canonicalDomain;
        canonical.id = asset.canonicalId;
    }

    /// @inheritdoc IConnext
    function approvedAssets(TokenId calldata canonical) external view returns (bool) {
        address local = _localAssets[_assetKey(canonical.domain, canonical.id)].local;
        return local != address(0) && _assets[local].approved;
    }

    // ------------------------------------------------------------------ internals

    /// @dev The routers that fronted `transferId`, in path order (empty if none did).
    function _routersOf(bytes32 transferId) private view returns (address[] memory routers) {
        uint256 record = _transfers[transferId];
        routers = new address[](record.routerCount());
        for (uint256 i; i < routers.length; ++i) {
            routers[i] = _routerByIndex[record.routerIndex(i)];
        }
    }

    /// @dev Connext's liquidity shapes are payable (its routers may add native liquidity); nxtp's liquidity is
    ///      ERC-20 only, so value sent along would be stranded.
    function _refuseNative() private view {
        if (msg.value != 0) revert NativeLiquidityNotSupported(msg.value);
    }
}
