// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextFixture} from "./utils/ConnextFixture.sol";
import {MaliciousReceiver} from "./utils/MaliciousReceiver.sol";
import {IConnext, TransferInfo, ExecuteArgs, TransferStatus} from "../../src/interfaces/IConnext.sol";
import {ConnextAdmin} from "../../src/core/ConnextAdmin.sol";
import {IMessageRecipient} from "../../src/interfaces/IMessageGateway.sol";
import {ConnextBase} from "../../src/core/ConnextBase.sol";
import {SafeTransferLib} from "../../src/core/libraries/SafeTransferLib.sol";
import {INxtpEntryPoints} from "./utils/NxtpEntryPoints.sol";

/// @notice A malicious `xReceive` that re-enters `Connext` or tries to move router liquidity gets nothing.
contract ConnextReentrancyTest is ConnextFixture {
    uint256 internal constant AMOUNT = 1_000e6;
    MaliciousReceiver internal attacker;

    function setUp() public override {
        super.setUp();
        for (uint256 i; i < 3; ++i) {
            _fund(routers[i], address(usdc), 10_000e6);
        }
        _escrowUsdc(5 * AMOUNT);
        attacker = new MaliciousReceiver();
    }

    function _attackTransfer(uint256 nonce) internal view returns (TransferInfo memory params) {
        params = _usdc(AMOUNT, nonce);
        params.to = address(attacker);
        params.callData = hex"66";
    }

    /// @dev Arms the attacker with every path that could move value, including a second valid transfer.
    function _arm(ExecuteArgs memory own) internal {
        ExecuteArgs memory other = _fastArgs(_usdc(AMOUNT, 99), 1);
        attacker.addAttack(address(connext), abi.encodeCall(IConnext.execute, (own)));
        attacker.addAttack(address(connext), abi.encodeCall(IConnext.execute, (other)));
        attacker.addAttack(
            address(connext),
            abi.encodeCall(IConnext.removeRouterLiquidity, (routers[0], address(usdc), 1, address(attacker)))
        );
        attacker.addAttack(
            address(connext),
            abi.encodeCall(INxtpEntryPoints.addRouterLiquidity, (routers[0], address(usdc), 1))
        );
        attacker.addAttack(
            address(connext),
            abi.encodeCall(IMessageRecipient.handle, (REMOTE, 0, REMOTE_CONNEXT, _body(_usdc(AMOUNT, 98))))
        );
        attacker.addAttack(
            address(connext), abi.encodeCall(ConnextAdmin.withdrawRelayerFees, (address(usdc), 1))
        );
        attacker.addAttack(
            address(usdc),
            abi.encodeWithSignature(
                "transferFrom(address,address,uint256)", address(connext), address(attacker), 1
            )
        );
    }

    function _assertAllFailed(uint256 reentries) internal view {
        assertEq(attacker.attackCount(), reentries + 1, "all attempted");
        for (uint256 i; i < reentries; ++i) {
            assertFalse(attacker.succeeded(i), "re-entry refused");
            assertEq(
                attacker.results(i), abi.encodeWithSelector(ConnextBase.Reentrancy.selector), "Reentrancy"
            );
        }
        assertFalse(attacker.succeeded(reentries), "Connext holds no approvals");
    }

    function test_fastPath_reentryGetsNothing() public {
        TransferInfo memory params = _attackTransfer(1);
        ExecuteArgs memory args = _fastArgs(params, 1);
        _arm(args);
        uint256 held = usdc.balanceOf(address(connext));
        _execute(args);

        _assertAllFailed(6);
        uint256 delivered = AMOUNT * 9995 / 10_000;
        assertEq(usdc.balanceOf(address(attacker)), delivered, "exactly its transfer");
        assertEq(attacker.received(), delivered, "told the right amount");
        assertEq(usdc.balanceOf(address(connext)), held - delivered, "Connext lost only the delivery");
        assertEq(
            connext.routerBalance(routers[0], address(usdc)), 10_000e6 - delivered, "router 0 only fronted"
        );
        assertEq(connext.routerBalance(routers[1], address(usdc)), 10_000e6, "router 1 untouched");
        assertEq(uint256(connext.transferStatus(_id(_usdc(AMOUNT, 99)))), 0, "other transfer untouched");
        assertEq(uint256(connext.transferStatus(_id(_usdc(AMOUNT, 98)))), 0, "no forged reconcile");
    }

    function test_slowPath_reentryGetsNothing() public {
        TransferInfo memory params = _attackTransfer(2);
        _reconcile(params);
        ExecuteArgs memory args = _slowArgs(params);
        _arm(args);
        uint256 held = usdc.balanceOf(address(connext));
        _execute(args);

        _assertAllFailed(6);
        assertEq(usdc.balanceOf(address(attacker)), AMOUNT, "exactly its transfer");
        assertEq(usdc.balanceOf(address(connext)), held - AMOUNT, "Connext lost only the delivery");
        for (uint256 i; i < 3; ++i) {
            assertEq(connext.routerBalance(routers[i], address(usdc)), 10_000e6, "routers untouched");
        }
        assertEq(
            uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.Completed), "completed once"
        );
    }

    function test_connextHoldsNoAllowance() public {
        assertEq(usdc.allowance(address(connext), address(this)), 0, "no allowance to abuse");
        // Pulling Connext's tokens fails inside the token (the test token underflows the missing allowance).
        vm.expectRevert(abi.encodeWithSignature("Panic(uint256)", 0x11));
        this.pullFromConnext();
    }

    function pullFromConnext() external {
        SafeTransferLib.safeTransferFrom(address(usdc), address(connext), address(this), 1);
    }
}
