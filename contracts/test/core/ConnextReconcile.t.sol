// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextFixture} from "./utils/ConnextFixture.sol";
import {IConnext, TransferInfo, ExecuteArgs, TransferStatus} from "../../src/interfaces/IConnext.sol";
import {Pausable} from "../../src/governance/Pausable.sol";

/// @notice `handle` (reconcile): authentication, router credit, statuses, minting and escrow release.
contract ConnextReconcileTest is ConnextFixture {
    uint256 internal constant FUNDS = 10 ether;

    function setUp() public override {
        super.setUp();
        for (uint256 i; i < 5; ++i) {
            _fund(routers[i], address(weth), FUNDS);
            _fund(routers[i], address(usdc), 10_000e6);
        }
    }

    function test_reconcile_afterFastPath_creditsFullShareOnce() public {
        TransferInfo memory params = _weth(1 ether, 1);
        _execute(_fastArgs(params, 1));
        uint256 supplyBefore = weth.totalSupply();
        address[] memory path = new address[](1);
        path[0] = routers[0];
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.Reconciled(_id(params), REMOTE, address(weth), path, 1 ether, REPLICA);
        _reconcile(params);
        assertEq(
            connext.routerBalance(routers[0], address(weth)),
            FUNDS - 1 ether * 9995 / 10_000 + 1 ether,
            "router credited its full share: it earns the fee"
        );
        assertEq(weth.totalSupply(), supplyBefore + 1 ether, "minted into Connext");
        assertEq(uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.Completed), "completed");
    }

    function test_reconcile_threeRouters_dustToLast() public {
        uint256 amount = 1 ether + 2;
        TransferInfo memory params = _weth(amount, 1);
        _execute(_fastArgs(params, 3));
        uint256[3] memory before;
        for (uint256 i; i < 3; ++i) {
            before[i] = connext.routerBalance(routers[i], address(weth));
        }
        _reconcile(params);
        uint256 share = amount / 3;
        assertEq(connext.routerBalance(routers[0], address(weth)) - before[0], share, "router 0 share");
        assertEq(connext.routerBalance(routers[1], address(weth)) - before[1], share, "router 1 share");
        assertEq(
            connext.routerBalance(routers[2], address(weth)) - before[2],
            amount - 2 * share,
            "last gets the dust"
        );
    }

    function test_reconcile_creditsUnapprovedRouter() public {
        TransferInfo memory params = _weth(1 ether, 1);
        _execute(_fastArgs(params, 1));
        vm.prank(GOV);
        connext.unapproveRouter(routers[0]);
        _reconcile(params);
        assertEq(
            connext.routerBalance(routers[0], address(weth)),
            FUNDS + 1 ether - 1 ether * 9995 / 10_000,
            "paid"
        );
    }

    function test_reconcile_canonical_releasesEscrowToRouter() public {
        _escrowUsdc(500e6);
        TransferInfo memory params = _usdc(500e6, 1);
        _execute(_fastArgs(params, 1));
        _reconcile(params);
        (,,,,, uint256 custodied) = connext.assetInfo(address(usdc));
        assertEq(custodied, 0, "escrow released");
        assertEq(
            connext.routerBalance(routers[0], address(usdc)),
            10_000e6 + 500e6 - 500e6 * 9995 / 10_000,
            "credited"
        );
    }

    function test_reconcile_beforeExecute_marksReconciled() public {
        TransferInfo memory params = _weth(1 ether, 1);
        uint256 before = weth.balanceOf(address(connext));
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.Reconciled(_id(params), REMOTE, address(weth), new address[](0), 1 ether, REPLICA);
        _reconcile(params);
        assertEq(
            uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.Reconciled), "reconciled"
        );
        assertEq(weth.balanceOf(address(connext)), before + 1 ether, "funds wait in Connext");
        for (uint256 i; i < 5; ++i) {
            assertEq(connext.routerBalance(routers[i], address(weth)), FUNDS, "no router credited");
        }
    }

    function test_reconcile_calldataOnly() public {
        TransferInfo memory params = _baseTransfer(1);
        params.callData = hex"01";
        _reconcile(params);
        assertEq(
            uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.Reconciled), "reconciled"
        );
    }

    function test_revert_reconciledTwice_afterFast() public {
        TransferInfo memory params = _weth(1 ether, 1);
        _execute(_fastArgs(params, 1));
        _reconcile(params);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.InvalidTransferStatus.selector, _id(params), TransferStatus.Completed
            )
        );
        _reconcile(params);
    }

    function test_revert_reconciledTwice_beforeExecute() public {
        TransferInfo memory params = _weth(1 ether, 1);
        _reconcile(params);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.InvalidTransferStatus.selector, _id(params), TransferStatus.Reconciled
            )
        );
        _reconcile(params);
    }

    function test_revert_reconciledTwice_afterSlow() public {
        TransferInfo memory params = _weth(1 ether, 1);
        _reconcile(params);
        _execute(_slowArgs(params));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.InvalidTransferStatus.selector, _id(params), TransferStatus.Completed
            )
        );
        _reconcile(params);
    }

    function test_revert_notMessagingLayer() public {
        TransferInfo memory params = _weth(1 ether, 1);
        bytes memory body = _body(params);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotMessagingLayer.selector, BOB, REMOTE));
        vm.prank(BOB);
        connext.handle(REMOTE, 0, REMOTE_CONNEXT, body);
    }

    function test_revert_replicaOfAnotherOrigin() public {
        TransferInfo memory params = _weth(1 ether, 1);
        bytes memory body = _body(params);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotMessagingLayer.selector, REPLICA, OTHER));
        vm.prank(REPLICA);
        connext.handle(OTHER, 0, OTHER_CONNEXT, body);
    }

    function test_revert_unknownSender() public {
        bytes memory body = _body(_weth(1 ether, 1));
        bytes32 impostor = bytes32(uint256(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(IConnext.UnknownSender.selector, REMOTE, impostor));
        vm.prank(REPLICA);
        connext.handle(REMOTE, 0, impostor, body);
    }

    function test_revert_unenrolledRemote_thenRetryable() public {
        TransferInfo memory params = _weth(1 ether, 1);
        vm.prank(GOV);
        connext.setRemoteConnext(REMOTE, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(IConnext.UnknownSender.selector, REMOTE, REMOTE_CONNEXT));
        _reconcile(params);
        vm.prank(GOV);
        connext.setRemoteConnext(REMOTE, REMOTE_CONNEXT);
        _reconcile(params);
        assertEq(
            uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.Reconciled), "retry works"
        );
    }

    function test_revert_malformedBody() public {
        vm.expectRevert(abi.encodeWithSelector(IConnext.MalformedMessage.selector, 99));
        vm.prank(REPLICA);
        connext.handle(REMOTE, 0, REMOTE_CONNEXT, new bytes(99));
    }

    function test_revert_unregisteredAsset_thenRetryable() public {
        TransferInfo memory params = _weth(1 ether, 1);
        params.canonicalId = bytes32(uint256(0xDA1));
        bytes32 key = keccak256(abi.encode(params.canonicalId, params.canonicalDomain));
        vm.expectRevert(abi.encodeWithSelector(IConnext.AssetNotRegistered.selector, key));
        _reconcile(params);
    }

    function test_revert_moreReturnedThanEscrowed() public {
        _escrowUsdc(100e6);
        TransferInfo memory params = _usdc(200e6, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.InsufficientEscrow.selector, address(usdc), 100e6, 200e6)
        );
        _reconcile(params);
    }

    function test_revert_paused() public {
        vm.prank(GOV);
        connext.pause();
        TransferInfo memory params = _weth(1 ether, 1);
        vm.expectRevert(Pausable.IsPaused.selector);
        _reconcile(params);
    }
}
