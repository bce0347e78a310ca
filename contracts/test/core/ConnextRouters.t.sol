// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextFixture} from "./utils/ConnextFixture.sol";
import {TestToken, FeeOnTransferToken} from "./utils/TestTokens.sol";
import {IConnext} from "../../src/interfaces/IConnext.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";
import {Pausable} from "../../src/governance/Pausable.sol";

/// @notice Router registry, owners, recipients and liquidity.
contract ConnextRoutersTest is ConnextFixture {
    address internal router;
    address internal routerOwner;
    address internal constant FUNDER = address(0xF00D);
    address internal constant NEW_OWNER = address(0x0E2);
    address internal constant PAYEE = address(0xFA7);

    function setUp() public override {
        super.setUp();
        router = routers[0];
        routerOwner = routerOwners[0];
        usdc.mint(FUNDER, 1_000_000e6);
        vm.prank(FUNDER);
        usdc.approve(address(connext), type(uint256).max);
    }

    // ------------------------------------------------------------------ setup and approval

    function test_setupRouter() public {
        address fresh = address(0x7777);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RouterSetup(fresh, NEW_OWNER, PAYEE, uint32(NUM_ROUTERS + 1));
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RouterApproved(fresh);
        vm.prank(GOV);
        connext.setupRouter(fresh, NEW_OWNER, PAYEE);
        (bool approved, address owner_, address recipient, uint32 index,,) = connext.routerInfo(fresh);
        assertTrue(approved, "approved");
        assertEq(owner_, NEW_OWNER, "owner");
        assertEq(recipient, PAYEE, "recipient");
        assertEq(uint256(index), NUM_ROUTERS + 1, "index");
        assertEq(connext.routerAtIndex(index), fresh, "reverse lookup");
    }

    function test_revert_setupRouter() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, BOB));
        vm.prank(BOB);
        connext.setupRouter(address(0x7777), NEW_OWNER, address(0));
        vm.startPrank(GOV);
        vm.expectRevert(IConnext.ZeroAddress.selector);
        connext.setupRouter(address(0), NEW_OWNER, address(0));
        vm.expectRevert(IConnext.ZeroAddress.selector);
        connext.setupRouter(address(0x7777), address(0), address(0));
        vm.expectRevert(abi.encodeWithSelector(IConnext.RouterAlreadySetup.selector, router));
        connext.setupRouter(router, NEW_OWNER, address(0));
        vm.stopPrank();
    }

    function test_unapproveAndApprove() public {
        vm.startPrank(GOV);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RouterUnapproved(router);
        connext.unapproveRouter(router);
        vm.expectRevert(abi.encodeWithSelector(IConnext.RouterApprovalUnchanged.selector, router, false));
        connext.unapproveRouter(router);
        connext.approveRouter(router);
        vm.expectRevert(abi.encodeWithSelector(IConnext.RouterApprovalUnchanged.selector, router, true));
        connext.approveRouter(router);
        vm.expectRevert(abi.encodeWithSelector(IConnext.RouterNotSetup.selector, BOB));
        connext.approveRouter(BOB);
        vm.stopPrank();
        (bool approved, address owner_,,,,) = connext.routerInfo(router);
        assertTrue(approved, "approved again");
        assertEq(owner_, routerOwner, "owner kept");
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, BOB));
        vm.prank(BOB);
        connext.unapproveRouter(router);
    }

    // ------------------------------------------------------------------ add

    function test_add_anyoneForApprovedRouter() public {
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RouterLiquidityAdded(router, address(usdc), 500e6, FUNDER);
        vm.prank(FUNDER);
        connext.addRouterLiquidity(router, address(usdc), 500e6);
        assertEq(connext.routerBalance(router, address(usdc)), 500e6, "credited");
        assertEq(usdc.balanceOf(address(connext)), 500e6, "held by Connext");
    }

    function test_add_representation() public {
        _fund(router, address(weth), 3 ether);
        assertEq(connext.routerBalance(router, address(weth)), 3 ether, "credited");
    }

    function test_revert_add() public {
        vm.startPrank(FUNDER);
        vm.expectRevert(IConnext.ZeroAmount.selector);
        connext.addRouterLiquidity(router, address(usdc), 0);
        vm.expectRevert(abi.encodeWithSelector(IConnext.RouterNotApproved.selector, BOB));
        connext.addRouterLiquidity(BOB, address(usdc), 1);
        vm.expectRevert(abi.encodeWithSelector(IConnext.AssetNotApproved.selector, BOB));
        connext.addRouterLiquidity(router, BOB, 1);
        vm.stopPrank();

        vm.prank(GOV);
        connext.unapproveRouter(router);
        vm.expectRevert(abi.encodeWithSelector(IConnext.RouterNotApproved.selector, router));
        vm.prank(FUNDER);
        connext.addRouterLiquidity(router, address(usdc), 1);

        vm.prank(GOV);
        connext.pause();
        vm.expectRevert(Pausable.IsPaused.selector);
        vm.prank(FUNDER);
        connext.addRouterLiquidity(routers[1], address(usdc), 1);
    }

    function test_revert_add_feeOnTransfer() public {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        vm.prank(GOV);
        connext.setupCanonicalAsset(address(fot), type(uint128).max);
        fot.mint(FUNDER, 100);
        vm.startPrank(FUNDER);
        fot.approve(address(connext), 100);
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.FeeOnTransferNotSupported.selector, address(fot), 100, 99)
        );
        connext.addRouterLiquidity(router, address(fot), 100);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ remove

    function test_remove_byOwnerToGivenAddress() public {
        vm.prank(FUNDER);
        connext.addRouterLiquidity(router, address(usdc), 500e6);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RouterLiquidityRemoved(router, PAYEE, address(usdc), 200e6, routerOwner);
        vm.prank(routerOwner);
        connext.removeRouterLiquidity(router, address(usdc), 200e6, PAYEE);
        assertEq(connext.routerBalance(router, address(usdc)), 300e6, "debited");
        assertEq(usdc.balanceOf(PAYEE), 200e6, "paid out");
    }

    function test_remove_toRecipientWhenSet() public {
        vm.prank(FUNDER);
        connext.addRouterLiquidity(router, address(usdc), 500e6);
        _setFirstRecipient(PAYEE);
        vm.startPrank(routerOwner);
        vm.expectRevert(abi.encodeWithSelector(IConnext.RouterRecipientIsSet.selector, router, PAYEE));
        connext.removeRouterLiquidity(router, address(usdc), 1, routerOwner);
        connext.removeRouterLiquidity(router, address(usdc), 100e6, PAYEE);
        vm.stopPrank();
        assertEq(usdc.balanceOf(PAYEE), 100e6, "recipient paid");
    }

    function test_remove_worksForUnapprovedRouterAndDelistedAsset() public {
        vm.prank(FUNDER);
        connext.addRouterLiquidity(router, address(usdc), 500e6);
        vm.startPrank(GOV);
        connext.unapproveRouter(router);
        connext.setAssetApproval(address(usdc), false);
        vm.stopPrank();
        vm.prank(routerOwner);
        connext.removeRouterLiquidity(router, address(usdc), 500e6, routerOwner);
        assertEq(usdc.balanceOf(routerOwner), 500e6, "capital never trapped");
    }

    function test_revert_remove() public {
        vm.prank(FUNDER);
        connext.addRouterLiquidity(router, address(usdc), 500e6);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotRouterOwner.selector, router, router));
        vm.prank(router);
        connext.removeRouterLiquidity(router, address(usdc), 1, router);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotRouterOwner.selector, router, GOV));
        vm.prank(GOV);
        connext.removeRouterLiquidity(router, address(usdc), 1, GOV);

        vm.startPrank(routerOwner);
        vm.expectRevert(IConnext.ZeroAmount.selector);
        connext.removeRouterLiquidity(router, address(usdc), 0, routerOwner);
        vm.expectRevert(IConnext.ZeroAddress.selector);
        connext.removeRouterLiquidity(router, address(usdc), 1, address(0));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.InsufficientLiquidity.selector, router, address(usdc), 500e6, 500e6 + 1
            )
        );
        connext.removeRouterLiquidity(router, address(usdc), 500e6 + 1, routerOwner);
        vm.stopPrank();

        vm.prank(GOV);
        connext.pause();
        vm.expectRevert(Pausable.IsPaused.selector);
        vm.prank(routerOwner);
        connext.removeRouterLiquidity(router, address(usdc), 1, routerOwner);
    }

    function testFuzz_addRemove_balanceNeverNegative(uint256 added, uint256 removed) public {
        added = bound(added, 1, 1_000_000e6);
        removed = bound(removed, 1, 2_000_000e6);
        vm.prank(FUNDER);
        connext.addRouterLiquidity(router, address(usdc), added);
        vm.prank(routerOwner);
        if (removed > added) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IConnext.InsufficientLiquidity.selector, router, address(usdc), added, removed
                )
            );
            connext.removeRouterLiquidity(router, address(usdc), removed, routerOwner);
            assertEq(connext.routerBalance(router, address(usdc)), added, "unchanged");
        } else {
            connext.removeRouterLiquidity(router, address(usdc), removed, routerOwner);
            assertEq(connext.routerBalance(router, address(usdc)), added - removed, "debited");
            assertEq(usdc.balanceOf(routerOwner), removed, "paid");
        }
    }

    // ------------------------------------------------------------------ owner and recipient

    address internal constant THIEF = address(0x7E1F);

    /// @dev The router has no recipient yet, so its first one applies at once.
    function _setFirstRecipient(address recipient) internal {
        vm.startPrank(routerOwner);
        connext.proposeRouterRecipient(router, recipient);
        connext.acceptRouterRecipient(router);
        vm.stopPrank();
    }

    function _recipientOf(address r) internal view returns (address recipient) {
        (,, recipient,,,) = connext.routerInfo(r);
    }

    function test_revert_recipient_notOwner() public {
        vm.startPrank(router);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotRouterOwner.selector, router, router));
        connext.proposeRouterRecipient(router, PAYEE);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotRouterOwner.selector, router, router));
        connext.acceptRouterRecipient(router);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotRouterOwner.selector, router, router));
        connext.cancelRouterRecipient(router);
        vm.stopPrank();
    }

    function test_revert_recipient_nothingProposed() public {
        vm.startPrank(routerOwner);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NoRouterRecipientProposed.selector, router));
        connext.acceptRouterRecipient(router);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NoRouterRecipientProposed.selector, router));
        connext.cancelRouterRecipient(router);
        vm.stopPrank();
    }

    function test_recipient_firstOneAppliesAtOnce() public {
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RouterRecipientProposed(router, PAYEE, block.timestamp);
        vm.prank(routerOwner);
        connext.proposeRouterRecipient(router, PAYEE);
        (address proposed, uint256 acceptableAt) = connext.proposedRouterRecipient(router);
        assertEq(proposed, PAYEE, "proposed");
        assertEq(acceptableAt, block.timestamp, "a first recipient only narrows where liquidity goes");
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RouterRecipientSet(router, address(0), PAYEE);
        vm.prank(routerOwner);
        connext.acceptRouterRecipient(router);
        assertEq(_recipientOf(router), PAYEE, "set");
        (proposed, acceptableAt) = connext.proposedRouterRecipient(router);
        assertEq(proposed, address(0), "proposal consumed");
        assertEq(acceptableAt, 0, "nothing pending");
        vm.expectRevert(abi.encodeWithSelector(IConnext.NoRouterRecipientProposed.selector, router));
        vm.prank(routerOwner);
        connext.acceptRouterRecipient(router);
    }

    function test_recipient_changeWaitsForTheOwnershipDelay() public {
        _setFirstRecipient(PAYEE);
        uint256 acceptableAt = block.timestamp + connext.ROUTER_OWNERSHIP_DELAY();
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RouterRecipientProposed(router, NEW_OWNER, acceptableAt);
        vm.prank(routerOwner);
        connext.proposeRouterRecipient(router, NEW_OWNER);

        vm.warp(acceptableAt - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.RouterRecipientDelayNotElapsed.selector, router, acceptableAt)
        );
        vm.prank(routerOwner);
        connext.acceptRouterRecipient(router);
        assertEq(_recipientOf(router), PAYEE, "unchanged during the delay");

        vm.warp(acceptableAt);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RouterRecipientSet(router, PAYEE, NEW_OWNER);
        vm.prank(routerOwner);
        connext.acceptRouterRecipient(router);
        assertEq(_recipientOf(router), NEW_OWNER, "changed after the delay");
    }

    function test_recipient_clearingWaitsForTheDelayToo() public {
        _setFirstRecipient(PAYEE);
        uint256 acceptableAt = block.timestamp + connext.ROUTER_OWNERSHIP_DELAY();
        vm.startPrank(routerOwner);
        connext.proposeRouterRecipient(router, address(0));
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.RouterRecipientDelayNotElapsed.selector, router, acceptableAt)
        );
        connext.acceptRouterRecipient(router);
        vm.warp(acceptableAt);
        connext.acceptRouterRecipient(router);
        vm.stopPrank();
        assertEq(_recipientOf(router), address(0), "cleared after the delay");
    }

    function test_recipient_newProposalRestartsTheDelay() public {
        _setFirstRecipient(PAYEE);
        uint256 delay = connext.ROUTER_OWNERSHIP_DELAY();
        vm.prank(routerOwner);
        connext.proposeRouterRecipient(router, NEW_OWNER);
        vm.warp(block.timestamp + delay - 1);
        vm.prank(routerOwner);
        connext.proposeRouterRecipient(router, BOB);
        uint256 acceptableAt = block.timestamp + delay;
        vm.warp(block.timestamp + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.RouterRecipientDelayNotElapsed.selector, router, acceptableAt)
        );
        vm.prank(routerOwner);
        connext.acceptRouterRecipient(router);
        vm.warp(acceptableAt);
        vm.prank(routerOwner);
        connext.acceptRouterRecipient(router);
        assertEq(_recipientOf(router), BOB, "the latest proposal applies");
    }

    function test_recipient_cancel() public {
        _setFirstRecipient(PAYEE);
        vm.prank(routerOwner);
        connext.proposeRouterRecipient(router, NEW_OWNER);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RouterRecipientProposalCancelled(router, NEW_OWNER);
        vm.prank(routerOwner);
        connext.cancelRouterRecipient(router);
        vm.warp(block.timestamp + connext.ROUTER_OWNERSHIP_DELAY());
        vm.expectRevert(abi.encodeWithSelector(IConnext.NoRouterRecipientProposed.selector, router));
        vm.prank(routerOwner);
        connext.acceptRouterRecipient(router);
        assertEq(_recipientOf(router), PAYEE, "unchanged");
    }

    /// @dev A thief holding the owner key cannot re-point the recipient and drain in one block; the true owner has
    ///      the delay to cancel and to move the liquidity to the recipient it set.
    function test_recipient_thiefWithTheOwnerKeyCannotRepointAndDrain() public {
        _setFirstRecipient(PAYEE);
        vm.prank(FUNDER);
        connext.addRouterLiquidity(router, address(usdc), 500e6);

        // The thief, signing as the owner, tries everything in one block.
        vm.startPrank(routerOwner);
        connext.proposeRouterRecipient(router, THIEF);
        uint256 acceptableAt = block.timestamp + connext.ROUTER_OWNERSHIP_DELAY();
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.RouterRecipientDelayNotElapsed.selector, router, acceptableAt)
        );
        connext.acceptRouterRecipient(router);
        vm.expectRevert(abi.encodeWithSelector(IConnext.RouterRecipientIsSet.selector, router, PAYEE));
        connext.removeRouterLiquidity(router, address(usdc), 500e6, THIEF);
        vm.stopPrank();
        assertEq(usdc.balanceOf(THIEF), 0, "nothing drained");

        // The owner sees RouterRecipientProposed, cancels and moves the liquidity to its recipient.
        vm.warp(block.timestamp + 1 hours);
        vm.startPrank(routerOwner);
        connext.cancelRouterRecipient(router);
        connext.removeRouterLiquidity(router, address(usdc), 500e6, PAYEE);
        vm.stopPrank();
        assertEq(usdc.balanceOf(PAYEE), 500e6, "the owner's recipient holds the liquidity");
        assertEq(connext.routerBalance(router, address(usdc)), 0, "nothing left to drain");
    }

    function test_ownerChange_twoStepWithDelay() public {
        vm.prank(FUNDER);
        connext.addRouterLiquidity(router, address(usdc), 500e6);
        uint256 acceptableAt = block.timestamp + 7 days;
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RouterOwnerProposed(router, NEW_OWNER, acceptableAt);
        vm.prank(routerOwner);
        connext.proposeRouterOwner(router, NEW_OWNER);

        vm.expectRevert(abi.encodeWithSelector(IConnext.NotProposedRouterOwner.selector, router, BOB));
        vm.prank(BOB);
        connext.acceptRouterOwner(router);
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.RouterOwnerDelayNotElapsed.selector, router, acceptableAt)
        );
        vm.prank(NEW_OWNER);
        connext.acceptRouterOwner(router);

        // The old owner stays in control during the delay.
        vm.prank(routerOwner);
        connext.removeRouterLiquidity(router, address(usdc), 1e6, routerOwner);

        vm.warp(acceptableAt);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RouterOwnerAccepted(router, routerOwner, NEW_OWNER);
        vm.prank(NEW_OWNER);
        connext.acceptRouterOwner(router);

        vm.expectRevert(abi.encodeWithSelector(IConnext.NotRouterOwner.selector, router, routerOwner));
        vm.prank(routerOwner);
        connext.removeRouterLiquidity(router, address(usdc), 1e6, routerOwner);
        vm.prank(NEW_OWNER);
        connext.removeRouterLiquidity(router, address(usdc), 1e6, NEW_OWNER);
        assertEq(usdc.balanceOf(NEW_OWNER), 1e6, "new owner removes");
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotProposedRouterOwner.selector, router, NEW_OWNER));
        vm.prank(NEW_OWNER);
        connext.acceptRouterOwner(router);
    }

    function test_ownerChange_cancel() public {
        vm.startPrank(routerOwner);
        connext.proposeRouterOwner(router, NEW_OWNER);
        connext.proposeRouterOwner(router, address(0));
        vm.stopPrank();
        vm.warp(block.timestamp + 8 days);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotProposedRouterOwner.selector, router, NEW_OWNER));
        vm.prank(NEW_OWNER);
        connext.acceptRouterOwner(router);
    }

    function test_revert_propose_notOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotRouterOwner.selector, router, GOV));
        vm.prank(GOV);
        connext.proposeRouterOwner(router, GOV);
    }
}
