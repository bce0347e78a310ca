// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextBase} from "./ConnextBase.sol";
import {IConnext} from "../interfaces/IConnext.sol";
import {SafeTransferLib} from "./libraries/SafeTransferLib.sol";

/// @title RouterLiquidity
/// @notice The liquidity routers keep inside `Connext`: anyone may add liquidity for an approved router; only the
///         router's owner removes it, to the router's recipient if one is set. Setting routers up and their owners and
///         recipients is `RouterAdmin`'s (run by `ConnextExtension`).
abstract contract RouterLiquidity is ConnextBase, IConnext {
    // ------------------------------------------------------------------ liquidity

    /// @inheritdoc IConnext
    function addRouterLiquidity(address router, address asset, uint256 amount) external {
        _addRouterLiquidity(router, asset, amount);
    }

    /// @dev Every shape of adding liquidity (ours and Connext's) comes here: `amount` of `asset`, pulled from the
    ///      caller, credited to an approved `router`.
    function _addRouterLiquidity(address router, address asset, uint256 amount)
        internal
        nonReentrant
        whenNotPaused
    {
        if (amount == 0) revert ZeroAmount();
        if (!_routers[router].approved) revert RouterNotApproved(router);
        Asset storage config = _assets[asset];
        if (!config.approved) revert AssetNotApproved(asset);
        _liquidity[router][asset] += amount;
        _pull(asset, amount, config.canonicalDomain != LOCAL_DOMAIN);
        emit RouterLiquidityAdded(router, asset, amount, msg.sender);
    }

    /// @inheritdoc IConnext
    /// @dev Works for unapproved routers and delisted assets: a router's capital is never trapped.
    function removeRouterLiquidity(address router, address asset, uint256 amount, address to)
        external
        nonReentrant
        whenNotPaused
        onlyRouterOwner(router)
    {
        if (amount == 0) revert ZeroAmount();
        address recipient = _routers[router].recipient;
        if (recipient != address(0)) {
            if (to != recipient) revert RouterRecipientIsSet(router, recipient);
        } else if (to == address(0)) {
            revert ZeroAddress();
        }
        uint256 available = _liquidity[router][asset];
        if (available < amount) revert InsufficientLiquidity(router, asset, available, amount);
        unchecked {
            _liquidity[router][asset] = available - amount;
        }
        SafeTransferLib.safeTransfer(asset, to, amount);
        emit RouterLiquidityRemoved(router, to, asset, amount, msg.sender);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IConnext
    function routerBalance(address router, address asset) external view returns (uint256) {
        return _liquidity[router][asset];
    }

    /// @notice Everything registered about `router`.
    function routerInfo(address router)
        external
        view
        returns (
            bool approved,
            address routerOwner,
            address recipient,
            uint32 index,
            address proposedOwner,
            uint256 proposedAt
        )
    {
        Router storage r = _routers[router];
        return (r.approved, r.owner, r.recipient, r.index, r.proposedOwner, r.proposedAt);
    }

    /// @notice `router`'s pending recipient proposal: the proposed recipient and when it may be accepted (zero: none).
    function proposedRouterRecipient(address router)
        external
        view
        returns (address proposedRecipient, uint256 acceptableAt)
    {
        Router storage r = _routers[router];
        return (r.proposedRecipient, r.recipientAcceptableAt);
    }

    /// @notice The router registered under `index` (zero if none).
    function routerAtIndex(uint32 index) external view returns (address) {
        return _routerByIndex[index];
    }
}
