// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextFixture} from "./utils/ConnextFixture.sol";
import {IConnext, TransferInfo, TransferStatus, TokenId} from "../../src/interfaces/IConnext.sol";
import {Pausable} from "../../src/governance/Pausable.sol";
import {Vm} from "../utils/Vm.sol";
import {ConnextBase} from "../../src/core/ConnextBase.sol";
import {FeeOnTransferToken} from "./utils/TestTokens.sol";
import {HookToken, HookAttacker} from "../security/utils/HostileTokens.sol";
// Connext's published interfaces, as xApps and tooling compile them.
import {IConnext as IConnextPackage} from "@connext/interfaces/core/IConnext.sol";
import {DestinationTransferStatus} from "@connext/interfaces/libraries/LibConnextStorage.sol";
import {TokenId as PackageTokenId} from "@connext/interfaces/libraries/TokenId.sol";

/// @notice The functions `Connext` has for Connext compatibility, each called through Connext's published `IConnext`
///         (so its selector and return encoding are checked) and compared with nxtp's own view of the same state;
///         the status order, the events' signatures, and every revert path of the new entry points.
contract ConnextCompatTest is ConnextFixture {
    IConnextPackage internal pkg;

    function setUp() public override {
        super.setUp();
        pkg = IConnextPackage(address(connext));
        usdc.mint(ALICE, 1_000_000e6);
        vm.prank(ALICE);
        usdc.approve(address(connext), type(uint256).max);
        vm.deal(ALICE, 10 ether);
    }

    // ------------------------------------------------------------------ status, events

    function test_statusOrder_isConnexts() public pure {
        assertEq(uint8(TransferStatus.None), uint8(DestinationTransferStatus.None), "None");
        assertEq(uint8(TransferStatus.Reconciled), uint8(DestinationTransferStatus.Reconciled), "Reconciled");
        assertEq(uint8(TransferStatus.Executed), uint8(DestinationTransferStatus.Executed), "Executed");
        assertEq(uint8(TransferStatus.Completed), uint8(DestinationTransferStatus.Completed), "Completed");
    }

    function test_transferStatus_readsAsConnextsEnum() public {
        TransferInfo memory slow = _weth(1 ether, 0);
        _reconcile(slow);
        assertTrue(pkg.transferStatus(_id(slow)) == DestinationTransferStatus.Reconciled, "reconciled");
        _execute(_slowArgs(slow));
        assertTrue(pkg.transferStatus(_id(slow)) == DestinationTransferStatus.Completed, "completed");

        TransferInfo memory fast = _weth(1 ether, 1);
        _fund(routers[0], address(weth), 1 ether);
        _execute(_fastArgs(fast, 1));
        assertTrue(pkg.transferStatus(_id(fast)) == DestinationTransferStatus.Executed, "executed");
        assertTrue(pkg.transferStatus(keccak256("unknown")) == DestinationTransferStatus.None, "none");
    }

    function test_eventTopics_areConnextsSignatures() public pure {
        assertEq(
            IConnext.XCalled.selector,
            keccak256(
                "XCalled(bytes32,uint256,bytes32,(uint32,uint32,uint32,address,address,bool,bytes,uint256,address,"
                "uint256,uint256,uint256,bytes32),address,uint256,address,bytes)"
            ),
            "XCalled"
        );
        assertEq(
            IConnext.TransferRelayerFeesIncreased.selector,
            keccak256("TransferRelayerFeesIncreased(bytes32,uint256,address,address)"),
            "TransferRelayerFeesIncreased"
        );
    }

    // ------------------------------------------------------------------ xcall, xcallIntoLocal, bumpTransfer

    function test_xcall7_nativeFee_sameTransferAsOurs() public {
        TransferInfo memory expected = _origin(100e6, 0);
        bytes memory body = abi.encodePacked(LOCAL, expected.canonicalId, uint256(100e6), _id(expected));
        vm.expectEmit(true, true, false, true, address(connext));
        emit IConnext.XCalled(
            _id(expected), 0, bytes32(0), expected, address(usdc), 100e6, address(usdc), body
        );
        vm.expectEmit(true, false, false, true, address(connext));
        emit IConnext.TransferRelayerFeesIncreased(_id(expected), 0.1 ether, address(0), ALICE);
        vm.prank(ALICE);
        bytes32 id = pkg.xcall{value: 0.1 ether}(REMOTE, BOB, address(usdc), ALICE, 100e6, 30, "");
        assertEq(id, _id(expected), "same id as the 8-argument xcall's");
        assertEq(gateway.lastBody(), body, "same message");
        assertEq(address(connext).balance, 0.1 ether, "native fee held");
        assertEq(connext.relayerFees(address(usdc)), 0, "no fee in the asset");
    }

    function test_xcall7_withoutFee() public {
        vm.recordLogs();
        vm.prank(ALICE);
        pkg.xcall(REMOTE, BOB, address(usdc), ALICE, 1e6, 30, "");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 xcalled;
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(
                logs[i].topics[0] != IConnext.TransferRelayerFeesIncreased.selector, "no fee, no fee event"
            );
            if (logs[i].topics[0] == IConnext.XCalled.selector) ++xcalled;
        }
        assertEq(xcalled, 1, "one XCalled");
    }

    function test_xcallIntoLocal7_setsReceiveLocal() public {
        TransferInfo memory expected = _origin(5e6, 0);
        expected.receiveLocal = true;
        vm.prank(ALICE);
        bytes32 id = pkg.xcallIntoLocal{value: 1}(REMOTE, BOB, address(usdc), ALICE, 5e6, 30, "");
        assertEq(id, _id(expected), "receiveLocal hashed");
    }

    function test_bumpTransfer1_nativeOnly() public {
        bytes32 id = keccak256("a transfer");
        vm.expectEmit(true, false, false, true, address(connext));
        emit IConnext.TransferRelayerFeesIncreased(id, 1 ether, address(0), ALICE);
        vm.prank(ALICE);
        pkg.bumpTransfer{value: 1 ether}(id);
        assertEq(address(connext).balance, 1 ether, "held for the vault");
    }

    function test_revert_xcall7() public {
        vm.startPrank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IConnext.DestinationNotEnrolled.selector, uint32(9)));
        pkg.xcall(9, BOB, address(usdc), ALICE, 1e6, 30, "");
        vm.expectRevert(IConnext.ZeroRecipient.selector);
        pkg.xcall(REMOTE, address(0), address(usdc), ALICE, 1e6, 30, "");
        vm.expectRevert(abi.encodeWithSelector(IConnext.InvalidSlippage.selector, 10_001));
        pkg.xcall(REMOTE, BOB, address(usdc), ALICE, 1e6, 10_001, "");
        vm.expectRevert(abi.encodeWithSelector(IConnext.AssetNotApproved.selector, BOB));
        pkg.xcall(REMOTE, BOB, BOB, ALICE, 1e6, 30, "");
        vm.expectRevert(abi.encodeWithSelector(IConnext.AssetNotApproved.selector, address(0)));
        pkg.xcall(REMOTE, BOB, address(0), ALICE, 1, 30, "");
        vm.stopPrank();
        vm.prank(GOV);
        connext.setAssetCap(address(usdc), 1e6);
        vm.expectRevert(abi.encodeWithSelector(IConnext.CapExceeded.selector, address(usdc), 0, 2e6, 1e6));
        vm.prank(ALICE);
        pkg.xcall(REMOTE, BOB, address(usdc), ALICE, 2e6, 30, "");
        vm.prank(GOV);
        connext.pause();
        vm.expectRevert(Pausable.IsPaused.selector);
        vm.prank(ALICE);
        pkg.xcall(REMOTE, BOB, address(usdc), ALICE, 1e6, 30, "");
    }

    function test_revert_xcallIntoLocal7() public {
        vm.startPrank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IConnext.DestinationNotEnrolled.selector, uint32(9)));
        pkg.xcallIntoLocal(9, BOB, address(usdc), ALICE, 1e6, 30, "");
        vm.expectRevert(IConnext.ZeroRecipient.selector);
        pkg.xcallIntoLocal(REMOTE, address(0), address(usdc), ALICE, 1e6, 30, "");
        vm.expectRevert(abi.encodeWithSelector(IConnext.InvalidSlippage.selector, 10_001));
        pkg.xcallIntoLocal(REMOTE, BOB, address(usdc), ALICE, 1e6, 10_001, "");
        vm.expectRevert(abi.encodeWithSelector(IConnext.AssetNotApproved.selector, BOB));
        pkg.xcallIntoLocal(REMOTE, BOB, BOB, ALICE, 1e6, 30, "");
        vm.stopPrank();
        vm.prank(GOV);
        connext.pause();
        vm.expectRevert(Pausable.IsPaused.selector);
        vm.prank(ALICE);
        pkg.xcallIntoLocal(REMOTE, BOB, address(usdc), ALICE, 1e6, 30, "");
    }

    function test_revert_bumpTransfer1() public {
        vm.expectRevert(IConnext.ZeroAmount.selector);
        vm.prank(ALICE);
        pkg.bumpTransfer(keccak256("a transfer"));
        vm.prank(GOV);
        connext.pause();
        vm.expectRevert(Pausable.IsPaused.selector);
        vm.prank(ALICE);
        pkg.bumpTransfer{value: 1}(keccak256("a transfer"));
    }

    function test_revert_xcall7_feeOnTransferToken() public {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        vm.prank(GOV);
        connext.setupCanonicalAsset(address(fot), type(uint128).max);
        fot.mint(ALICE, 100 ether);
        vm.startPrank(ALICE);
        fot.approve(address(connext), 100 ether);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.FeeOnTransferNotSupported.selector, address(fot), 100 ether, 99 ether
            )
        );
        pkg.xcall(REMOTE, BOB, address(fot), ALICE, 100 ether, 30, "");
        vm.stopPrank();
    }

    /// @notice A token hook inside the 7-argument `xcall` cannot re-enter Connext's shapes (`xcall`,
    ///         `xcallIntoLocal`, `bumpTransfer(bytes32)`): the xcall lock covers them as it covers ours.
    function test_revert_newEntryPoints_reentryFromTokenHook() public {
        HookToken hooked = new HookToken();
        vm.prank(GOV);
        connext.setupCanonicalAsset(address(hooked), type(uint128).max);
        HookAttacker attacker = new HookAttacker();
        attacker.run(address(hooked), abi.encodeCall(HookToken.registerHooks, (true)));
        attacker.run(address(hooked), abi.encodeCall(hooked.approve, (address(connext), type(uint256).max)));
        hooked.mint(address(attacker), 10 ether);
        vm.deal(address(attacker), 1 ether);

        bytes memory xcall7 = abi.encodeWithSignature(
            "xcall(uint32,address,address,address,uint256,uint256,bytes)",
            REMOTE,
            BOB,
            address(hooked),
            BOB,
            1 ether,
            0,
            ""
        );
        attacker.addAttack(address(connext), xcall7);
        attacker.addAttack(
            address(connext),
            abi.encodeWithSignature(
                "xcallIntoLocal(uint32,address,address,address,uint256,uint256,bytes)",
                REMOTE,
                BOB,
                address(hooked),
                BOB,
                1 ether,
                0,
                ""
            )
        );
        attacker.addAttack(address(connext), abi.encodeWithSignature("bumpTransfer(bytes32)", bytes32(0)));
        attacker.arm(true);
        attacker.run(address(connext), xcall7);

        assertEq(attacker.attackCount(), 3, "all attempted");
        for (uint256 i; i < 3; ++i) {
            assertFalse(attacker.succeeded(i), "re-entry refused");
            assertEq(
                attacker.results(i),
                abi.encodeWithSelector(ConnextBase.Reentrancy.selector),
                "with Reentrancy"
            );
        }
        assertEq(connext.nonce(), 1, "only the outer xcall");
        assertEq(hooked.balanceOf(address(attacker)), 9 ether, "paid once");
    }

    // ------------------------------------------------------------------ domain and messaging views

    function test_views_domainAndMessaging() public {
        assertEq(pkg.domain(), connext.localDomain(), "domain");
        assertEq(pkg.remote(REMOTE), address(uint160(uint256(REMOTE_CONNEXT))), "remote");
        assertEq(pkg.remote(9), address(0), "unenrolled");
        assertEq(pkg.xAppConnectionManager(), connext.inbox(), "the inbox authenticates messages");
        assertTrue(pkg.approvedSequencers(sequencer), "sequencer");
        assertFalse(pkg.approvedSequencers(ALICE), "not a sequencer");
        assertEq(pkg.nonce(), 0, "nonce");
        vm.prank(ALICE);
        pkg.xcall(REMOTE, BOB, address(usdc), ALICE, 1e6, 30, "");
        assertEq(pkg.nonce(), connext.nonce(), "nonce follows");
        assertEq(pkg.nonce(), 1, "the next xcall's nonce");
    }

    function test_views_routedTransfers() public {
        TransferInfo memory params = _weth(3 ether, 0);
        for (uint256 i; i < 3; ++i) {
            _fund(routers[i], address(weth), 1 ether);
        }
        _execute(_fastArgs(params, 3));
        address[] memory routed = pkg.routedTransfers(_id(params));
        address[] memory ours = connext.transferRouters(_id(params));
        assertEq(routed.length, 3, "three routers");
        for (uint256 i; i < 3; ++i) {
            assertEq(routed[i], routers[i], "in path order");
            assertEq(routed[i], ours[i], "same as transferRouters");
        }
        assertEq(pkg.routedTransfers(keccak256("unknown")).length, 0, "none");
    }

    // ------------------------------------------------------------------ router views and aliases

    function test_views_liquidityFee() public {
        assertEq(pkg.LIQUIDITY_FEE_DENOMINATOR(), connext.BPS(), "denominator");
        assertEq(pkg.LIQUIDITY_FEE_NUMERATOR(), 9_995, "what the recipient keeps at 5 bps");
        vm.prank(GOV);
        connext.setLiquidityFeeBps(30);
        assertEq(pkg.LIQUIDITY_FEE_NUMERATOR(), connext.BPS() - connext.liquidityFeeBps(), "follows the fee");
    }

    function test_views_routers() public {
        address router = routers[0];
        (bool approved, address routerOwner, address recipient,, address proposedOwner, uint256 proposedAt) =
            connext.routerInfo(router);
        assertEq(pkg.getRouterApproval(router), approved, "approval");
        assertTrue(pkg.getRouterApproval(router), "approved");
        assertEq(pkg.getRouterOwner(router), routerOwner, "owner");
        assertEq(pkg.getRouterRecipient(router), recipient, "recipient");
        assertEq(pkg.getProposedRouterOwner(router), proposedOwner, "no proposal");
        assertEq(pkg.getProposedRouterOwnerTimestamp(router), proposedAt, "no proposal time");
        assertEq(pkg.maxRoutersPerTransfer(), connext.maxRoutersPerTransfer(), "max routers");

        vm.prank(routerOwners[0]);
        connext.proposeRouterOwner(router, BOB);
        assertEq(pkg.getProposedRouterOwner(router), BOB, "proposed");
        assertEq(pkg.getProposedRouterOwnerTimestamp(router), block.timestamp, "proposed now");
        vm.prank(routerOwners[0]);
        connext.proposeRouterRecipient(router, CAROL);
        vm.prank(routerOwners[0]);
        connext.acceptRouterRecipient(router);
        assertEq(pkg.getRouterRecipient(router), CAROL, "first recipient");
        vm.prank(GOV);
        connext.unapproveRouter(router);
        assertFalse(pkg.getRouterApproval(router), "unapproved");
        assertEq(pkg.getRouterOwner(ALICE), address(0), "unknown router: no owner");

        _fund(routers[1], address(usdc), 7e6);
        assertEq(
            pkg.routerBalances(routers[1], address(usdc)),
            connext.routerBalance(routers[1], address(usdc)),
            "same as routerBalance"
        );
        assertEq(pkg.routerBalances(routers[1], address(usdc)), 7e6, "balance");
    }

    function test_acceptProposedRouterOwner() public {
        address router = routers[0];
        vm.prank(routerOwners[0]);
        connext.proposeRouterOwner(router, BOB);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotProposedRouterOwner.selector, router, ALICE));
        vm.prank(ALICE);
        pkg.acceptProposedRouterOwner(router);
        uint256 acceptableAt = block.timestamp + connext.ROUTER_OWNERSHIP_DELAY();
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.RouterOwnerDelayNotElapsed.selector, router, acceptableAt)
        );
        vm.prank(BOB);
        pkg.acceptProposedRouterOwner(router);
        vm.warp(acceptableAt);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RouterOwnerAccepted(router, routerOwners[0], BOB);
        vm.prank(BOB);
        pkg.acceptProposedRouterOwner(router);
        assertEq(pkg.getRouterOwner(router), BOB, "accepted");
        assertEq(pkg.getProposedRouterOwner(router), address(0), "proposal cleared");
    }

    function test_addRouterLiquidityFor() public {
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RouterLiquidityAdded(routers[0], address(usdc), 5e6, ALICE);
        vm.prank(ALICE);
        pkg.addRouterLiquidityFor(5e6, address(usdc), routers[0]);
        assertEq(connext.routerBalance(routers[0], address(usdc)), 5e6, "credited to the router");
        assertEq(usdc.balanceOf(address(connext)), 5e6, "pulled");
    }

    function test_addRouterLiquidity2_forTheCaller() public {
        address router = routers[2];
        usdc.mint(router, 4e6);
        vm.startPrank(router);
        usdc.approve(address(connext), 4e6);
        pkg.addRouterLiquidity(4e6, address(usdc));
        vm.stopPrank();
        assertEq(connext.routerBalance(router, address(usdc)), 4e6, "the router funded itself");
    }

    function test_revert_addRouterLiquidityFor() public {
        vm.startPrank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NativeLiquidityNotSupported.selector, 1));
        pkg.addRouterLiquidityFor{value: 1}(5e6, address(usdc), routers[0]);
        vm.expectRevert(IConnext.ZeroAmount.selector);
        pkg.addRouterLiquidityFor(0, address(usdc), routers[0]);
        vm.expectRevert(abi.encodeWithSelector(IConnext.RouterNotApproved.selector, BOB));
        pkg.addRouterLiquidityFor(5e6, address(usdc), BOB);
        vm.expectRevert(abi.encodeWithSelector(IConnext.AssetNotApproved.selector, BOB));
        pkg.addRouterLiquidityFor(5e6, BOB, routers[0]);
        vm.stopPrank();
        vm.prank(GOV);
        connext.pause();
        vm.expectRevert(Pausable.IsPaused.selector);
        vm.prank(ALICE);
        pkg.addRouterLiquidityFor(5e6, address(usdc), routers[0]);
    }

    function test_revert_addRouterLiquidity2() public {
        vm.deal(routers[0], 1);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NativeLiquidityNotSupported.selector, 1));
        vm.prank(routers[0]);
        pkg.addRouterLiquidity{value: 1}(5e6, address(usdc));
        vm.expectRevert(abi.encodeWithSelector(IConnext.RouterNotApproved.selector, ALICE));
        vm.prank(ALICE);
        pkg.addRouterLiquidity(5e6, address(usdc));
        vm.expectRevert(IConnext.ZeroAmount.selector);
        vm.prank(routers[0]);
        pkg.addRouterLiquidity(0, address(usdc));
    }

    // ------------------------------------------------------------------ assets

    function test_views_adoptedToCanonical() public view {
        PackageTokenId memory canonical = pkg.adoptedToCanonical(address(usdc));
        (uint32 canonicalDomain, bytes32 canonicalId,,,,) = connext.assetInfo(address(usdc));
        assertEq(canonical.domain, canonicalDomain, "home domain");
        assertEq(canonical.id, canonicalId, "canonical id");
        assertEq(canonical.domain, LOCAL, "usdc is at home here");

        canonical = pkg.adoptedToCanonical(address(weth));
        assertEq(canonical.domain, REMOTE, "weth's home");
        assertEq(canonical.id, WETH_ID, "weth's id");

        canonical = pkg.adoptedToCanonical(BOB);
        assertEq(canonical.domain, 0, "unknown: zero");
        assertEq(canonical.id, bytes32(0), "unknown: zero");
    }

    function test_views_approvedAssets() public {
        PackageTokenId memory wethId = PackageTokenId(REMOTE, WETH_ID);
        assertTrue(pkg.approvedAssets(wethId), "registered and approved");
        assertEq(connext.localAsset(REMOTE, WETH_ID), address(weth), "same key as localAsset");
        vm.prank(GOV);
        connext.setAssetApproval(address(weth), false);
        assertFalse(pkg.approvedAssets(wethId), "delisted");
        assertFalse(pkg.approvedAssets(PackageTokenId(REMOTE, bytes32(uint256(1)))), "unknown");
        // Our TokenId has the package's layout.
        TokenId memory ours = TokenId(REMOTE, WETH_ID);
        assertEq(abi.encode(ours), abi.encode(wethId), "same ABI tuple");
    }

    // ------------------------------------------------------------------ helpers

    address internal constant CAROL = address(0xCA801);

    /// @dev What an xcall of `amount` USDC from ALICE (this domain) to BOB on REMOTE hashes.
    function _origin(uint256 amount, uint256 nonce) internal view returns (TransferInfo memory params) {
        params.originDomain = LOCAL;
        params.destinationDomain = REMOTE;
        params.canonicalDomain = LOCAL;
        params.to = BOB;
        params.delegate = ALICE;
        params.slippage = 30;
        params.originSender = ALICE;
        params.bridgedAmt = amount;
        params.normalizedIn = amount * 1e12;
        params.nonce = nonce;
        params.canonicalId = bytes32(uint256(uint160(address(usdc))));
    }
}
