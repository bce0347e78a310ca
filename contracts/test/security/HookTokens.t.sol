// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LocalTokenFixture} from "./utils/LocalTokenFixture.sol";
import {HookToken, HookAttacker} from "./utils/HostileTokens.sol";
import {IConnext, TransferInfo, ExecuteArgs, TransferStatus} from "../../src/interfaces/IConnext.sol";
import {IMessageRecipient} from "../../src/interfaces/IMessageGateway.sol";
import {ConnextBase} from "../../src/core/ConnextBase.sol";
import {INxtpEntryPoints} from "../core/utils/NxtpEntryPoints.sol";

/// @notice Tokens that call back the sender and the recipient on every transfer (ERC-777 style). What a hook can
///         reach from inside `xcall`, `execute` and `addRouterLiquidity`:
///         - the same entry point, or any other guarded by the same lock: refused with `Reentrancy`;
///         - an entry point under the other lock (`xcall` guards itself apart from the value-moving paths, so that an
///           `xReceive` may forward its funds): its tokens land in the middle of the outer pull, whose
///           balance-before/after check then sees more than it asked for and reverts the whole call with
///           `FeeOnTransferNotSupported`; nothing is left half-done.
contract HookTokenReentrancyTest is LocalTokenFixture {
    uint256 internal constant AMOUNT = 100e18;

    HookToken internal token;
    HookAttacker internal attacker;

    function setUp() public override {
        super.setUp();
        token = new HookToken();
        _register(address(token));
        attacker = new HookAttacker();
        attacker.run(address(token), abi.encodeCall(HookToken.registerHooks, (true)));
        attacker.run(address(token), abi.encodeCall(token.approve, (address(connext), type(uint256).max)));
        token.mint(address(attacker), 10 * AMOUNT);

        // Routers' liquidity and escrow for the destination side come from a hook-less funder.
        token.mint(FUNDER, 20 * AMOUNT);
        vm.startPrank(FUNDER);
        token.approve(address(connext), type(uint256).max);
        connext.addRouterLiquidity(routers[0], address(token), 10 * AMOUNT);
        connext.xcall(REMOTE, FUNDER, address(token), FUNDER, 5 * AMOUNT, 0, "", 0);
        vm.stopPrank();
    }

    /// @dev A transfer of `amount` of the hook token from `REMOTE` to `to` here (its home, so it is escrowed here).
    function _hookTransfer(address to, uint256 amount, uint256 nonce)
        internal
        view
        returns (TransferInfo memory params)
    {
        return _localTransfer(address(token), 18, to, amount, nonce);
    }

    function _xcallData(uint256 amount) internal view returns (bytes memory) {
        return abi.encodeCall(INxtpEntryPoints.xcall, (REMOTE, BOB, address(token), BOB, amount, 0, "", 0));
    }

    function _assertRefused(uint256 i, bytes4 selector) internal view {
        assertFalse(attacker.succeeded(i), "re-entry refused");
        assertEq(attacker.results(i), abi.encodeWithSelector(selector), "refused with the expected error");
    }

    // ------------------------------------------------------------------ xcall

    /// @notice The sender's hook inside `xcall` cannot `xcall` or `bumpTransfer` again; the outer `xcall` is whole.
    function test_xcall_senderHookReentryRefused() public {
        attacker.addAttack(address(connext), _xcallData(AMOUNT));
        attacker.addAttack(
            address(connext),
            abi.encodeCall(INxtpEntryPoints.bumpTransfer, (bytes32(uint256(1)), address(token), 1))
        );
        attacker.arm(true);
        uint256 custodied = _custodied();
        uint256 dispatched = gateway.dispatchedCount();

        attacker.run(address(connext), _xcallData(AMOUNT));

        assertEq(attacker.attackCount(), 2, "both attempted");
        _assertRefused(0, ConnextBase.Reentrancy.selector);
        _assertRefused(1, ConnextBase.Reentrancy.selector);
        assertEq(gateway.dispatchedCount(), dispatched + 1, "one message");
        assertEq(_custodied(), custodied + AMOUNT, "escrow grew by the one transfer");
        assertEq(token.balanceOf(address(attacker)), 9 * AMOUNT, "paid once");
    }

    /// @notice The sender's hook inside `xcall` may reach `addRouterLiquidity` (another lock), but the deposit lands
    ///         inside the `xcall`'s pull: the `xcall` sees more than its amount arrive and reverts as a whole.
    function test_xcall_senderHookIntoAddLiquidity_revertsWhole() public {
        vm.prank(GOV);
        connext.setupRouter(address(attacker), address(attacker), address(0));
        attacker.addAttack(
            address(connext),
            abi.encodeCall(INxtpEntryPoints.addRouterLiquidity, (address(attacker), address(token), 1))
        );
        attacker.arm(true);
        uint256 custodied = _custodied();

        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.FeeOnTransferNotSupported.selector, address(token), AMOUNT, AMOUNT + 1
            )
        );
        attacker.run(address(connext), _xcallData(AMOUNT));

        assertEq(_custodied(), custodied, "no escrow moved");
        assertEq(connext.routerBalance(address(attacker), address(token)), 0, "no liquidity credited");
    }

    /// @notice The sender's hook inside `xcall` may pull the router's own liquidity out (another lock), but the
    ///         `xcall`'s pull then sees less than its amount arrive and reverts as a whole.
    function test_xcall_senderHookRemovesLiquidity_revertsWhole() public {
        vm.prank(GOV);
        connext.setupRouter(address(attacker), address(attacker), address(0));
        attacker.run(
            address(connext),
            abi.encodeCall(INxtpEntryPoints.addRouterLiquidity, (address(attacker), address(token), AMOUNT))
        );
        attacker.addAttack(
            address(connext),
            abi.encodeCall(
                IConnext.removeRouterLiquidity,
                (address(attacker), address(token), AMOUNT / 2, address(attacker))
            )
        );
        attacker.arm(true);

        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.FeeOnTransferNotSupported.selector, address(token), AMOUNT, AMOUNT / 2
            )
        );
        attacker.run(address(connext), _xcallData(AMOUNT));
        assertEq(connext.routerBalance(address(attacker), address(token)), AMOUNT, "liquidity untouched");
    }

    // ------------------------------------------------------------------ execute

    function _armValueAttacks() internal {
        ExecuteArgs memory other = _fastArgs(_hookTransfer(address(attacker), AMOUNT, 77), 1);
        attacker.addAttack(address(connext), abi.encodeCall(IConnext.execute, (other)));
        attacker.addAttack(
            address(connext),
            abi.encodeCall(
                IMessageRecipient.handle, (REMOTE, 0, REMOTE_CONNEXT, _body(_hookTransfer(BOB, 1, 78)))
            )
        );
        attacker.addAttack(
            address(connext),
            abi.encodeCall(IConnext.removeRouterLiquidity, (routers[0], address(token), 1, address(attacker)))
        );
        attacker.addAttack(
            address(connext),
            abi.encodeCall(INxtpEntryPoints.addRouterLiquidity, (routers[0], address(token), 1))
        );
    }

    /// @notice The recipient's hook inside a fast `execute` cannot execute, reconcile or move liquidity; the
    ///         transfer is delivered once and the router debited once.
    function test_executeFast_recipientHookReentryRefused() public {
        TransferInfo memory params = _hookTransfer(address(attacker), AMOUNT, 1);
        ExecuteArgs memory args = _fastArgs(params, 1);
        _armValueAttacks();
        attacker.arm(false);
        uint256 before = token.balanceOf(address(attacker));
        uint256 liquidity = connext.routerBalance(routers[0], address(token));

        _execute(args);

        assertEq(attacker.attackCount(), 4, "all attempted");
        for (uint256 i; i < 4; ++i) {
            _assertRefused(i, ConnextBase.Reentrancy.selector);
        }
        uint256 delivered = AMOUNT * 9995 / 10_000;
        assertEq(token.balanceOf(address(attacker)) - before, delivered, "delivered once");
        assertEq(liquidity - connext.routerBalance(routers[0], address(token)), delivered, "debited once");
        assertTrue(connext.transferStatus(_id(params)) == TransferStatus.Executed, "executed");
    }

    /// @notice The same on the slow path: the reconciled funds go out once and the transfer is completed.
    function test_executeSlow_recipientHookReentryRefused() public {
        TransferInfo memory params = _hookTransfer(address(attacker), AMOUNT, 2);
        _reconcile(params);
        _armValueAttacks();
        attacker.arm(false);
        uint256 before = token.balanceOf(address(attacker));

        _execute(_slowArgs(params));

        for (uint256 i; i < 4; ++i) {
            _assertRefused(i, ConnextBase.Reentrancy.selector);
        }
        assertEq(token.balanceOf(address(attacker)) - before, AMOUNT, "delivered once");
        assertTrue(connext.transferStatus(_id(params)) == TransferStatus.Completed, "completed");
    }

    /// @notice A recipient may forward what it just received with a fresh `xcall` from its hook (the `xcall` lock is
    ///         apart from `execute`'s by design): the new transfer is escrowed exactly and the executed one is final.
    function test_executeFast_recipientHookMayForwardWithXcall() public {
        TransferInfo memory params = _hookTransfer(address(attacker), AMOUNT, 3);
        attacker.addAttack(address(connext), _xcallData(AMOUNT / 2));
        attacker.arm(false);
        uint256 custodied = _custodied();
        uint256 dispatched = gateway.dispatchedCount();

        _execute(_fastArgs(params, 1));

        assertTrue(attacker.succeeded(0), "forwarding xcall accepted");
        assertEq(gateway.dispatchedCount(), dispatched + 1, "one new message");
        assertEq(_custodied(), custodied + AMOUNT / 2, "escrowed exactly what was forwarded");
        assertTrue(connext.transferStatus(_id(params)) == TransferStatus.Executed, "executed");
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.InvalidTransferStatus.selector, _id(params), TransferStatus.Executed
            )
        );
        _execute(_fastArgs(params, 1));
    }

    // ------------------------------------------------------------------ router liquidity

    /// @notice A funder's send hook inside `addRouterLiquidity` cannot add (or remove) liquidity again.
    function test_addLiquidity_senderHookReentryRefused() public {
        attacker.addAttack(
            address(connext),
            abi.encodeCall(INxtpEntryPoints.addRouterLiquidity, (routers[1], address(token), AMOUNT))
        );
        attacker.addAttack(
            address(connext),
            abi.encodeCall(IConnext.removeRouterLiquidity, (routers[0], address(token), 1, address(attacker)))
        );
        attacker.arm(true);

        attacker.run(
            address(connext),
            abi.encodeCall(INxtpEntryPoints.addRouterLiquidity, (routers[1], address(token), AMOUNT))
        );

        _assertRefused(0, ConnextBase.Reentrancy.selector);
        _assertRefused(1, ConnextBase.Reentrancy.selector);
        assertEq(connext.routerBalance(routers[1], address(token)), AMOUNT, "credited once");
    }

    /// @notice A funder's send hook inside `addRouterLiquidity` may reach `xcall` (the other lock), but the xcalled
    ///         tokens land inside the deposit's pull, which then reverts as a whole.
    function test_addLiquidity_senderHookIntoXcall_revertsWhole() public {
        attacker.addAttack(address(connext), _xcallData(AMOUNT));
        attacker.arm(true);
        uint256 custodied = _custodied();
        uint256 dispatched = gateway.dispatchedCount();

        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.FeeOnTransferNotSupported.selector, address(token), AMOUNT, 2 * AMOUNT
            )
        );
        attacker.run(
            address(connext),
            abi.encodeCall(INxtpEntryPoints.addRouterLiquidity, (routers[1], address(token), AMOUNT))
        );

        assertEq(_custodied(), custodied, "no escrow moved");
        assertEq(gateway.dispatchedCount(), dispatched, "no message");
        assertEq(connext.routerBalance(routers[1], address(token)), 0, "nothing credited");
    }

    function _custodied() internal view returns (uint256 custodied) {
        (,,,,, custodied) = connext.assetInfo(address(token));
    }
}
