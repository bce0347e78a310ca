// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LocalTokenFixture} from "./utils/LocalTokenFixture.sol";
import {FeeOnTransferToken} from "../core/utils/TestTokens.sol";
import {NoReturnToken, FalseReturnToken, RebasingToken, BlocklistToken} from "./utils/HostileTokens.sol";
import {IConnext, TransferInfo, ExecuteArgs, TransferStatus} from "../../src/interfaces/IConnext.sol";
import {SafeTransferLib} from "../../src/core/libraries/SafeTransferLib.sol";

/// @notice Tokens that bend ERC-20: no return value, `false` instead of a revert, fees on transfer, rebasing
///         balances and blocklists. Each is either handled exactly or refused; where neither is possible (rebasing,
///         blocklists) the behaviour is pinned here and written down in `docs/token-compatibility.md`.
contract NonStandardTokensTest is LocalTokenFixture {
    function _custodied(address token) internal view returns (uint256 custodied) {
        (,,,,, custodied) = connext.assetInfo(token);
    }

    // ------------------------------------------------------------------ USDT-style: no return value

    /// @notice A token whose `transfer`/`transferFrom` return nothing works end to end through SafeTransferLib:
    ///         escrow on xcall, router deposit, fast delivery, withdrawal, all to the unit.
    function test_noReturnToken_worksEndToEnd() public {
        NoReturnToken token = new NoReturnToken();
        _register(address(token));
        token.mint(ALICE, 1_000e6);
        token.mint(FUNDER, 1_000e6);

        vm.startPrank(ALICE);
        token.approve(address(connext), 400e6);
        connext.xcall(REMOTE, BOB, address(token), ALICE, 400e6, 0, "", 0);
        vm.stopPrank();
        assertEq(token.balanceOf(address(connext)), 400e6, "escrowed");
        assertEq(_custodied(address(token)), 400e6, "custodied");

        vm.startPrank(FUNDER);
        token.approve(address(connext), 1_000e6);
        connext.addRouterLiquidity(routers[0], address(token), 1_000e6);
        vm.stopPrank();

        TransferInfo memory params = _localTransfer(address(token), 6, BOB, 100e6, 1);
        _execute(_fastArgs(params, 1));
        uint256 delivered = 100e6 * 9995 / 10_000;
        assertEq(token.balanceOf(BOB), delivered, "delivered");
        assertEq(connext.routerBalance(routers[0], address(token)), 1_000e6 - delivered, "debited");

        vm.prank(routerOwners[0]);
        connext.removeRouterLiquidity(routers[0], address(token), 1_000e6 - delivered, routerOwners[0]);
        assertEq(token.balanceOf(routerOwners[0]), 1_000e6 - delivered, "withdrawn");
    }

    /// @notice A no-return token's own revert (no allowance) is passed on as it is.
    function test_noReturnToken_revertIsPassedOn() public {
        NoReturnToken token = new NoReturnToken();
        _register(address(token));
        token.mint(ALICE, 1e6);
        vm.prank(ALICE);
        vm.expectRevert(NoReturnToken.NoReturnInsufficient.selector);
        connext.xcall(REMOTE, BOB, address(token), ALICE, 1e6, 0, "", 0);
    }

    // ------------------------------------------------------------------ `false` instead of a revert

    /// @notice A `transferFrom` that returns false is a failure, not a deposit: the xcall reverts.
    function test_falseReturn_onPull_refused() public {
        FalseReturnToken token = new FalseReturnToken();
        _register(address(token));
        token.mint(ALICE, 10e18);
        // No approval: the token answers false.
        vm.prank(ALICE);
        vm.expectRevert(
            abi.encodeWithSelector(
                SafeTransferLib.TokenCallFailed.selector, address(token), bytes4(0x23b872dd)
            )
        );
        connext.xcall(REMOTE, BOB, address(token), ALICE, 1e18, 0, "", 0);
        assertEq(_custodied(address(token)), 0, "nothing escrowed");
    }

    /// @notice A delivery whose `transfer` returns false reverts the execute: the router is not debited and the
    ///         transfer stays executable.
    function test_falseReturn_onDelivery_revertsExecute() public {
        FalseReturnToken token = new FalseReturnToken();
        _register(address(token));
        token.mint(FUNDER, 10e18);
        vm.startPrank(FUNDER);
        token.approve(address(connext), 10e18);
        connext.addRouterLiquidity(routers[0], address(token), 10e18);
        vm.stopPrank();

        token.setFail(true);
        TransferInfo memory params = _localTransfer(address(token), 18, BOB, 1e18, 1);
        ExecuteArgs memory args = _fastArgs(params, 1);
        vm.prank(RELAYER);
        vm.expectRevert(
            abi.encodeWithSelector(
                SafeTransferLib.TokenCallFailed.selector, address(token), bytes4(0xa9059cbb)
            )
        );
        connext.execute(args);
        assertEq(connext.routerBalance(routers[0], address(token)), 10e18, "not debited");
        assertTrue(connext.transferStatus(_id(params)) == TransferStatus.None, "still executable");

        token.setFail(false);
        _execute(args);
        assertEq(token.balanceOf(BOB), 1e18 * 9995 / 10_000, "delivered once the token works");
    }

    /// @notice An account without code is refused as an asset (a call to it would "succeed" with no effect).
    function test_assetWithoutCode_refused() public {
        address eoa = address(0xE0A);
        vm.prank(GOV);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotAContract.selector, eoa));
        connext.setupCanonicalAsset(eoa, 1);
    }

    // ------------------------------------------------------------------ fee on transfer

    /// @notice Fee-on-transfer tokens are refused on every pull: xcall, router deposit and relayer-fee bump.
    function test_feeOnTransfer_refusedOnEveryPull() public {
        FeeOnTransferToken token = new FeeOnTransferToken();
        _register(address(token));
        token.mint(ALICE, 100e18);
        vm.startPrank(ALICE);
        token.approve(address(connext), type(uint256).max);

        bytes memory refused = abi.encodeWithSelector(
            IConnext.FeeOnTransferNotSupported.selector, address(token), 10e18, 9.9e18
        );
        vm.expectRevert(refused);
        connext.xcall(REMOTE, BOB, address(token), ALICE, 10e18, 0, "", 0);
        vm.expectRevert(refused);
        connext.addRouterLiquidity(routers[0], address(token), 10e18);
        vm.expectRevert(refused);
        connext.bumpTransfer(bytes32(uint256(1)), address(token), 10e18);
        vm.stopPrank();

        assertEq(token.balanceOf(address(connext)), 0, "nothing kept");
        assertEq(connext.relayerFees(address(token)), 0, "no fee credited");
    }

    // ------------------------------------------------------------------ rebasing

    /// @notice Rebasing tokens are not supported (docs/token-compatibility.md): `Connext` books amounts, not shares.
    ///         A positive rebase strands the surplus in the contract; a negative one leaves the books above the
    ///         balance, so the last withdrawer's `removeRouterLiquidity` fails. Neither corrupts other assets.
    function test_rebasing_booksDoNotFollowTheBalance() public {
        RebasingToken token = new RebasingToken();
        _register(address(token));
        token.mint(FUNDER, 200e18);
        vm.startPrank(FUNDER);
        token.approve(address(connext), type(uint256).max);
        connext.addRouterLiquidity(routers[0], address(token), 100e18);
        connext.addRouterLiquidity(routers[1], address(token), 100e18);
        vm.stopPrank();

        // +10%: the surplus belongs to no one in the books.
        token.rebase(1.1e18);
        assertEq(token.balanceOf(address(connext)), 220e18, "balance grew");
        assertEq(connext.routerBalance(routers[0], address(token)), 100e18, "books unchanged");

        // -20% from the start: the books promise 200, the contract holds 160.
        token.rebase(0.8e18);
        vm.prank(routerOwners[0]);
        connext.removeRouterLiquidity(routers[0], address(token), 100e18, routerOwners[0]);
        assertEq(token.balanceOf(routerOwners[0]), 100e18, "first withdrawer paid in full");
        vm.prank(routerOwners[1]);
        vm.expectRevert(); // the token's own underflow: the contract holds 60 of the 100 owed
        connext.removeRouterLiquidity(routers[1], address(token), 100e18, routerOwners[1]);
        assertEq(connext.routerBalance(routers[1], address(token)), 100e18, "claim kept, not lost");
    }

    // ------------------------------------------------------------------ blocklists

    /// @notice A blocklisted recipient makes the fast-path execute revert with the token's error: the router is not
    ///         debited and the transfer stays open. Once reconciled it waits for the slow path, which also reverts
    ///         while the recipient is blocked and delivers once it is not (funds stay in `Connext` meanwhile).
    function test_blocklistedRecipient_fastRevertsAndTransferStaysExecutable() public {
        BlocklistToken token = new BlocklistToken();
        _register(address(token));
        token.mint(FUNDER, 1_000e6);
        vm.startPrank(FUNDER);
        token.approve(address(connext), type(uint256).max);
        connext.addRouterLiquidity(routers[0], address(token), 500e6);
        connext.xcall(REMOTE, FUNDER, address(token), FUNDER, 500e6, 0, "", 0);
        vm.stopPrank();

        token.setBlocked(BOB, true);
        TransferInfo memory params = _localTransfer(address(token), 6, BOB, 100e6, 1);
        bytes32 id = _id(params);
        ExecuteArgs memory args = _fastArgs(params, 1);
        vm.prank(RELAYER);
        vm.expectRevert(abi.encodeWithSelector(BlocklistToken.Blocked.selector, BOB));
        connext.execute(args);
        assertEq(connext.routerBalance(routers[0], address(token)), 500e6, "router not debited");
        assertTrue(connext.transferStatus(id) == TransferStatus.None, "still open");

        _reconcile(params);
        assertTrue(connext.transferStatus(id) == TransferStatus.Reconciled, "waits for the slow path");
        vm.prank(RELAYER);
        vm.expectRevert(abi.encodeWithSelector(BlocklistToken.Blocked.selector, BOB));
        connext.execute(_slowArgs(params));
        assertTrue(connext.transferStatus(id) == TransferStatus.Reconciled, "still executable");

        token.setBlocked(BOB, false);
        _execute(_slowArgs(params));
        assertEq(token.balanceOf(BOB), 100e6, "delivered in full by the slow path");
        assertTrue(connext.transferStatus(id) == TransferStatus.Completed, "completed");
    }

    /// @notice A token that blocks `Connext` itself refuses new transfers at the pull; nothing is dispatched.
    function test_blocklistedConnext_xcallRevertsWhole() public {
        BlocklistToken token = new BlocklistToken();
        _register(address(token));
        token.mint(ALICE, 10e6);
        token.setBlocked(address(connext), true);
        uint256 dispatched = gateway.dispatchedCount();
        vm.startPrank(ALICE);
        token.approve(address(connext), 10e6);
        vm.expectRevert(abi.encodeWithSelector(BlocklistToken.Blocked.selector, address(connext)));
        connext.xcall(REMOTE, BOB, address(token), ALICE, 10e6, 0, "", 0);
        vm.stopPrank();
        assertEq(gateway.dispatchedCount(), dispatched, "nothing dispatched");
        assertEq(_custodied(address(token)), 0, "nothing escrowed");
    }
}
