// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextBase} from "./ConnextBase.sol";
import {IConnext} from "../interfaces/IConnext.sol";

/// @title RouterAdmin
/// @notice Who the routers are: governance sets routers up and approves them; each router has an owner (the only one
///         who removes its liquidity) and an optional recipient (where removed liquidity goes), both changed behind a
///         delay. Cold paths: `Connext` runs them in `ConnextExtension` (see `ConnextDelegator`).
abstract contract RouterAdmin is ConnextBase {
    // ------------------------------------------------------------------ governance

    /// @notice Registers and approves `router`, owned by `routerOwner`; removed liquidity goes to `recipient` if set.
    function setupRouter(address router, address routerOwner, address recipient) external onlyOwner {
        if (router == address(0) || routerOwner == address(0)) revert IConnext.ZeroAddress();
        Router storage r = _routers[router];
        if (r.index != 0) revert IConnext.RouterAlreadySetup(router);
        uint32 index = ++routerCount;
        r.owner = routerOwner;
        r.index = index;
        r.approved = true;
        r.recipient = recipient;
        _routerByIndex[index] = router;
        emit IConnext.RouterSetup(router, routerOwner, recipient, index);
        emit IConnext.RouterApproved(router);
    }

    /// @notice Lets a set-up router front transfers again.
    function approveRouter(address router) external onlyOwner {
        _setRouterApproval(router, true);
        emit IConnext.RouterApproved(router);
    }

    /// @notice Stops `router` from fronting transfers; it keeps its liquidity and its credits.
    function unapproveRouter(address router) external onlyOwner {
        _setRouterApproval(router, false);
        emit IConnext.RouterUnapproved(router);
    }

    // ------------------------------------------------------------------ router owner

    /// @notice The router's owner proposes where removed liquidity goes (zero: wherever the owner says). It applies
    ///         once accepted, `ROUTER_OWNERSHIP_DELAY` after the proposal (at once when the router has no recipient
    ///         yet: a first recipient only narrows where liquidity may go). A new proposal replaces a pending one.
    /// @dev Behind the same delay as owner changes: a stolen owner key cannot re-point the recipient and drain in one
    ///      go, and the true owner has the delay to cancel or to remove the liquidity to the current recipient.
    function proposeRouterRecipient(address router, address recipient) external onlyRouterOwner(router) {
        Router storage r = _routers[router];
        uint256 acceptableAt =
            r.recipient == address(0) ? block.timestamp : block.timestamp + ROUTER_OWNERSHIP_DELAY;
        r.proposedRecipient = recipient;
        r.recipientAcceptableAt = uint64(acceptableAt);
        emit IConnext.RouterRecipientProposed(router, recipient, acceptableAt);
    }

    /// @notice The router's owner applies its pending recipient proposal once the delay has elapsed.
    function acceptRouterRecipient(address router) external onlyRouterOwner(router) {
        Router storage r = _routers[router];
        uint256 acceptableAt = r.recipientAcceptableAt;
        if (acceptableAt == 0) revert IConnext.NoRouterRecipientProposed(router);
        if (block.timestamp < acceptableAt) {
            revert IConnext.RouterRecipientDelayNotElapsed(router, acceptableAt);
        }
        address recipient = r.proposedRecipient;
        emit IConnext.RouterRecipientSet(router, r.recipient, recipient);
        r.recipient = recipient;
        r.proposedRecipient = address(0);
        r.recipientAcceptableAt = 0;
    }

    /// @notice The router's owner withdraws its pending recipient proposal.
    function cancelRouterRecipient(address router) external onlyRouterOwner(router) {
        Router storage r = _routers[router];
        if (r.recipientAcceptableAt == 0) revert IConnext.NoRouterRecipientProposed(router);
        emit IConnext.RouterRecipientProposalCancelled(router, r.proposedRecipient);
        r.proposedRecipient = address(0);
        r.recipientAcceptableAt = 0;
    }

    /// @notice The router's owner proposes a new owner, who may accept after `ROUTER_OWNERSHIP_DELAY`.
    /// @dev Proposing zero cancels a pending proposal.
    function proposeRouterOwner(address router, address proposedOwner) external onlyRouterOwner(router) {
        Router storage r = _routers[router];
        r.proposedOwner = proposedOwner;
        r.proposedAt = uint64(block.timestamp);
        emit IConnext.RouterOwnerProposed(router, proposedOwner, block.timestamp + ROUTER_OWNERSHIP_DELAY);
    }

    /// @notice The proposed owner takes ownership of `router` once the delay has elapsed.
    function acceptRouterOwner(address router) external {
        _acceptRouterOwner(router);
    }

    /// @notice Connext's name for `acceptRouterOwner` (same rule: the proposed owner, after the delay).
    function acceptProposedRouterOwner(address router) external {
        _acceptRouterOwner(router);
    }

    function _acceptRouterOwner(address router) private {
        Router storage r = _routers[router];
        if (r.proposedOwner == address(0) || msg.sender != r.proposedOwner) {
            revert IConnext.NotProposedRouterOwner(router, msg.sender);
        }
        uint256 acceptableAt = uint256(r.proposedAt) + ROUTER_OWNERSHIP_DELAY;
        if (block.timestamp < acceptableAt) revert IConnext.RouterOwnerDelayNotElapsed(router, acceptableAt);
        emit IConnext.RouterOwnerAccepted(router, r.owner, msg.sender);
        r.owner = msg.sender;
        r.proposedOwner = address(0);
        r.proposedAt = 0;
    }

    function _setRouterApproval(address router, bool approved) private {
        Router storage r = _routers[router];
        if (r.index == 0) revert IConnext.RouterNotSetup(router);
        if (r.approved == approved) revert IConnext.RouterApprovalUnchanged(router, approved);
        r.approved = approved;
    }
}
