// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextBase} from "./ConnextBase.sol";
import {IConnext} from "../interfaces/IConnext.sol";
import {SafeTransferLib} from "./libraries/SafeTransferLib.sol";

/// @title RouterLiquidity
/// @notice Routers and the liquidity they keep inside `Connext`: governance approves routers; each router has an
///         owner (the only one who removes its liquidity) and an optional recipient (where removed liquidity goes);
///         anyone may add liquidity for an approved router.
abstract contract RouterLiquidity is ConnextBase {
    modifier onlyRouterOwner(address router) {
        if (msg.sender != _routers[router].owner) revert NotRouterOwner(router, msg.sender);
        _;
    }

    // ------------------------------------------------------------------ governance

    /// @inheritdoc IConnext
    function setupRouter(address router, address routerOwner, address recipient) external onlyOwner {
        if (router == address(0) || routerOwner == address(0)) revert ZeroAddress();
        Router storage r = _routers[router];
        if (r.index != 0) revert RouterAlreadySetup(router);
        uint32 index = ++routerCount;
        r.owner = routerOwner;
        r.index = index;
        r.approved = true;
        r.recipient = recipient;
        _routerByIndex[index] = router;
        emit RouterSetup(router, routerOwner, recipient, index);
        emit RouterApproved(router);
    }

    /// @inheritdoc IConnext
    function approveRouter(address router) external onlyOwner {
        _setRouterApproval(router, true);
        emit RouterApproved(router);
    }

    /// @inheritdoc IConnext
    function unapproveRouter(address router) external onlyOwner {
        _setRouterApproval(router, false);
        emit RouterUnapproved(router);
    }

    // ------------------------------------------------------------------ router owner

    /// @inheritdoc IConnext
    /// @dev Behind the same delay as owner changes: a stolen owner key cannot re-point the recipient and drain in one
    ///      go, and the true owner has the delay to cancel or to remove the liquidity to the current recipient.
    function proposeRouterRecipient(address router, address recipient) external onlyRouterOwner(router) {
        Router storage r = _routers[router];
        uint256 acceptableAt =
            r.recipient == address(0) ? block.timestamp : block.timestamp + ROUTER_OWNERSHIP_DELAY;
        r.proposedRecipient = recipient;
        r.recipientAcceptableAt = uint64(acceptableAt);
        emit RouterRecipientProposed(router, recipient, acceptableAt);
    }

    /// @inheritdoc IConnext
    function acceptRouterRecipient(address router) external onlyRouterOwner(router) {
        Router storage r = _routers[router];
        uint256 acceptableAt = r.recipientAcceptableAt;
        if (acceptableAt == 0) revert NoRouterRecipientProposed(router);
        if (block.timestamp < acceptableAt) revert RouterRecipientDelayNotElapsed(router, acceptableAt);
        address recipient = r.proposedRecipient;
        emit RouterRecipientSet(router, r.recipient, recipient);
        r.recipient = recipient;
        r.proposedRecipient = address(0);
        r.recipientAcceptableAt = 0;
    }

    /// @inheritdoc IConnext
    function cancelRouterRecipient(address router) external onlyRouterOwner(router) {
        Router storage r = _routers[router];
        if (r.recipientAcceptableAt == 0) revert NoRouterRecipientProposed(router);
        emit RouterRecipientProposalCancelled(router, r.proposedRecipient);
        r.proposedRecipient = address(0);
        r.recipientAcceptableAt = 0;
    }

    /// @inheritdoc IConnext
    /// @dev Proposing zero cancels a pending proposal.
    function proposeRouterOwner(address router, address proposedOwner) external onlyRouterOwner(router) {
        Router storage r = _routers[router];
        r.proposedOwner = proposedOwner;
        r.proposedAt = uint64(block.timestamp);
        emit RouterOwnerProposed(router, proposedOwner, block.timestamp + ROUTER_OWNERSHIP_DELAY);
    }

    /// @inheritdoc IConnext
    function acceptRouterOwner(address router) external {
        Router storage r = _routers[router];
        if (r.proposedOwner == address(0) || msg.sender != r.proposedOwner) {
            revert NotProposedRouterOwner(router, msg.sender);
        }
        uint256 acceptableAt = uint256(r.proposedAt) + ROUTER_OWNERSHIP_DELAY;
        if (block.timestamp < acceptableAt) revert RouterOwnerDelayNotElapsed(router, acceptableAt);
        emit RouterOwnerAccepted(router, r.owner, msg.sender);
        r.owner = msg.sender;
        r.proposedOwner = address(0);
        r.proposedAt = 0;
    }

    // ------------------------------------------------------------------ liquidity

    /// @inheritdoc IConnext
    function addRouterLiquidity(address router, address asset, uint256 amount)
        external
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

    function _setRouterApproval(address router, bool approved) private {
        Router storage r = _routers[router];
        if (r.index == 0) revert RouterNotSetup(router);
        if (r.approved == approved) revert RouterApprovalUnchanged(router, approved);
        r.approved = approved;
    }
}
