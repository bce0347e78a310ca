// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextFixture} from "./utils/ConnextFixture.sol";
import {TestToken} from "./utils/TestTokens.sol";
import {IConnext, TransferInfo, TransferStatus} from "../../src/interfaces/IConnext.sol";
import {Connext} from "../../src/core/Connext.sol";
import {ConnextAdmin} from "../../src/core/ConnextAdmin.sol";
import {BridgeToken} from "../../src/core/BridgeToken.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";

contract RejectsEther {}

/// @notice Governance: the asset registry, allowlists, parameters; and the delegate's recovery paths.
contract ConnextAdminTest is ConnextFixture {
    // ------------------------------------------------------------------ construction

    function test_constructor_defaults() public view {
        assertEq(uint256(connext.localDomain()), LOCAL, "domain");
        assertEq(connext.owner(), GOV, "owner");
        assertEq(connext.gateway(), address(gateway), "gateway");
        assertEq(connext.inbox(), address(gateway), "inbox");
        assertEq(connext.relayerFeeVault(), VAULT, "vault");
        assertEq(uint256(connext.liquidityFeeBps()), 5, "default fee 5 bps");
        assertEq(uint256(connext.maxRoutersPerTransfer()), 5, "default 5 routers");
        assertEq(uint256(connext.xReceiveGasLimit()), 1_000_000, "default xReceive gas");
        assertEq(uint256(connext.nonce()), 0, "nonce");
    }

    function test_revert_constructor() public {
        vm.expectRevert(abi.encodeWithSelector(IConnext.ParameterOutOfRange.selector, 0, 1, type(uint32).max));
        new Connext(0, GOV, address(gateway), address(gateway), VAULT);
        vm.expectRevert(Ownable2Step.ZeroOwner.selector);
        new Connext(LOCAL, address(0), address(gateway), address(gateway), VAULT);
        vm.expectRevert(IConnext.ZeroAddress.selector);
        new Connext(LOCAL, GOV, address(0), address(gateway), VAULT);
        vm.expectRevert(IConnext.ZeroAddress.selector);
        new Connext(LOCAL, GOV, address(gateway), address(0), VAULT);
        vm.expectRevert(IConnext.ZeroAddress.selector);
        new Connext(LOCAL, GOV, address(gateway), address(gateway), address(0));
    }

    // ------------------------------------------------------------------ assets

    function test_setupCanonicalAsset() public {
        TestToken dai = new TestToken("Dai", "DAI", 18);
        bytes32 id = bytes32(uint256(uint160(address(dai))));
        bytes32 key = keccak256(abi.encode(id, LOCAL));
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.AssetSetup(key, id, LOCAL, address(dai), 18);
        vm.prank(GOV);
        connext.setupCanonicalAsset(address(dai), 1000 ether);
        assertEq(connext.localAsset(LOCAL, id), address(dai), "lookup");
        assertEq(connext.assetKey(LOCAL, id), key, "key");
        (uint32 domain, bytes32 canonicalId, uint8 decimals, bool approved, uint256 cap, uint256 custodied) =
            connext.assetInfo(address(dai));
        assertEq(uint256(domain), LOCAL, "domain");
        assertEq(canonicalId, id, "id");
        assertEq(uint256(decimals), 18, "decimals");
        assertTrue(approved, "approved");
        assertEq(cap, 1000 ether, "cap");
        assertEq(custodied, 0, "custodied");
    }

    function test_revert_setupCanonicalAsset() public {
        TestToken big = new TestToken("Big", "BIG", 19);
        vm.startPrank(GOV);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotAContract.selector, BOB));
        connext.setupCanonicalAsset(BOB, 1);
        vm.expectRevert(abi.encodeWithSelector(IConnext.UnsupportedDecimals.selector, 19));
        connext.setupCanonicalAsset(address(big), 1);
        bytes32 key = keccak256(abi.encode(bytes32(uint256(uint160(address(usdc)))), LOCAL));
        vm.expectRevert(abi.encodeWithSelector(IConnext.AssetAlreadySetup.selector, key));
        connext.setupCanonicalAsset(address(usdc), 1);
        // A registered representation cannot be re-registered as a canonical token.
        bytes32 wethAsCanonical = keccak256(abi.encode(bytes32(uint256(uint160(address(weth)))), LOCAL));
        vm.expectRevert(abi.encodeWithSelector(IConnext.AssetAlreadySetup.selector, wethAsCanonical));
        connext.setupCanonicalAsset(address(weth), 1);
        TestToken dai = new TestToken("Dai", "DAI", 18);
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.ParameterOutOfRange.selector, 1 << 128, 0, type(uint128).max)
        );
        connext.setupCanonicalAsset(address(dai), 1 << 128);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, BOB));
        vm.prank(BOB);
        connext.setupCanonicalAsset(address(dai), 1);
    }

    function test_setupRepresentation() public {
        bytes32 id = bytes32(uint256(0xAB));
        BridgeToken rep = new BridgeToken("Rep", "REP", 8, address(connext));
        vm.prank(GOV);
        connext.setupRepresentation(id, OTHER, address(rep));
        assertEq(connext.localAsset(OTHER, id), address(rep), "lookup");
        (uint32 domain, bytes32 canonicalId, uint8 decimals,,,) = connext.assetInfo(address(rep));
        assertEq(uint256(domain), OTHER, "domain");
        assertEq(canonicalId, id, "id");
        assertEq(uint256(decimals), 8, "decimals");
    }

    function test_revert_setupRepresentation() public {
        BridgeToken foreign = new BridgeToken("Rep", "REP", 8, address(0x1234));
        BridgeToken rep = new BridgeToken("Rep", "REP", 8, address(connext));
        vm.startPrank(GOV);
        vm.expectRevert(IConnext.CanonicalDomainIsLocal.selector);
        connext.setupRepresentation(bytes32(uint256(1)), LOCAL, address(rep));
        vm.expectRevert(IConnext.ZeroAddress.selector);
        connext.setupRepresentation(bytes32(0), OTHER, address(rep));
        vm.expectRevert(IConnext.ZeroAddress.selector);
        connext.setupRepresentation(bytes32(uint256(1)), 0, address(rep));
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotRepresentation.selector, address(foreign)));
        connext.setupRepresentation(bytes32(uint256(1)), OTHER, address(foreign));
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotRepresentation.selector, BOB));
        connext.setupRepresentation(bytes32(uint256(1)), OTHER, BOB);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.AssetAlreadySetup.selector, keccak256(abi.encode(WETH_ID, REMOTE))
            )
        );
        connext.setupRepresentation(WETH_ID, REMOTE, address(rep));
        // One token cannot stand for two canonical assets.
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.AssetAlreadySetup.selector, keccak256(abi.encode(bytes32(uint256(9)), OTHER))
            )
        );
        connext.setupRepresentation(bytes32(uint256(9)), OTHER, address(weth));
        vm.stopPrank();
    }

    function test_setAssetApprovalAndCap() public {
        vm.startPrank(GOV);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.AssetApprovalUpdated(address(usdc), false);
        connext.setAssetApproval(address(usdc), false);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.AssetCapUpdated(address(usdc), 5);
        connext.setAssetCap(address(usdc), 5);
        vm.expectRevert(abi.encodeWithSelector(IConnext.AssetNotApproved.selector, BOB));
        connext.setAssetApproval(BOB, true);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotCanonicalAsset.selector, address(weth)));
        connext.setAssetCap(address(weth), 5);
        vm.stopPrank();
        (,,, bool approved, uint256 cap,) = connext.assetInfo(address(usdc));
        assertFalse(approved, "unapproved");
        assertEq(cap, 5, "cap");
    }

    // ------------------------------------------------------------------ allowlists and parameters

    function test_setters() public {
        vm.startPrank(GOV);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.SequencerApprovalUpdated(BOB, true);
        connext.setSequencerApproval(BOB, true);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RelayerApprovalUpdated(BOB, true);
        connext.setRelayerApproval(BOB, true);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RemoteConnextUpdated(9, bytes32(uint256(1)));
        connext.setRemoteConnext(9, bytes32(uint256(1)));
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.GatewayUpdated(address(gateway), BOB);
        connext.setGateway(BOB);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.InboxUpdated(address(gateway), BOB);
        connext.setInbox(BOB);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.LiquidityFeeUpdated(100);
        connext.setLiquidityFeeBps(100);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.MaxRoutersPerTransferUpdated(1);
        connext.setMaxRoutersPerTransfer(1);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.XReceiveGasLimitUpdated(50_000);
        connext.setXReceiveGasLimit(50_000);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RelayerFeeVaultUpdated(VAULT, BOB);
        connext.setRelayerFeeVault(BOB);
        vm.stopPrank();
        assertTrue(connext.approvedSequencers(BOB), "sequencer");
        assertTrue(connext.approvedRelayers(BOB), "relayer");
        assertEq(connext.remoteConnext(9), bytes32(uint256(1)), "remote");
        assertEq(connext.gateway(), BOB, "gateway");
        assertEq(connext.inbox(), BOB, "inbox");
        assertEq(uint256(connext.liquidityFeeBps()), 100, "fee");
        assertEq(uint256(connext.maxRoutersPerTransfer()), 1, "routers");
        assertEq(uint256(connext.xReceiveGasLimit()), 50_000, "gas");
        assertEq(connext.relayerFeeVault(), BOB, "vault");
    }

    function test_revert_setters_outOfRange() public {
        vm.startPrank(GOV);
        vm.expectRevert(IConnext.ZeroAddress.selector);
        connext.setSequencerApproval(address(0), true);
        vm.expectRevert(IConnext.ZeroAddress.selector);
        connext.setRelayerApproval(address(0), true);
        vm.expectRevert(abi.encodeWithSelector(IConnext.ParameterOutOfRange.selector, 0, 1, type(uint32).max));
        connext.setRemoteConnext(0, bytes32(uint256(1)));
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.ParameterOutOfRange.selector, LOCAL, 1, type(uint32).max)
        );
        connext.setRemoteConnext(LOCAL, bytes32(uint256(1)));
        vm.expectRevert(IConnext.ZeroAddress.selector);
        connext.setGateway(address(0));
        vm.expectRevert(IConnext.ZeroAddress.selector);
        connext.setInbox(address(0));
        vm.expectRevert(abi.encodeWithSelector(IConnext.ParameterOutOfRange.selector, 101, 0, 100));
        connext.setLiquidityFeeBps(101);
        vm.expectRevert(abi.encodeWithSelector(IConnext.ParameterOutOfRange.selector, 0, 1, 5));
        connext.setMaxRoutersPerTransfer(0);
        vm.expectRevert(abi.encodeWithSelector(IConnext.ParameterOutOfRange.selector, 6, 1, 5));
        connext.setMaxRoutersPerTransfer(6);
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.ParameterOutOfRange.selector, 49_999, 50_000, 10_000_000)
        );
        connext.setXReceiveGasLimit(49_999);
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.ParameterOutOfRange.selector, 10_000_001, 50_000, 10_000_000)
        );
        connext.setXReceiveGasLimit(10_000_001);
        vm.expectRevert(IConnext.ZeroAddress.selector);
        connext.setRelayerFeeVault(address(0));
        vm.stopPrank();
    }

    function test_revert_setters_onlyOwner() public {
        bytes[] memory calls = new bytes[](9);
        calls[0] = abi.encodeCall(ConnextAdmin.setSequencerApproval, (BOB, true));
        calls[1] = abi.encodeCall(ConnextAdmin.setRelayerApproval, (BOB, true));
        calls[2] = abi.encodeCall(ConnextAdmin.setRemoteConnext, (9, bytes32(uint256(1))));
        calls[3] = abi.encodeCall(ConnextAdmin.setGateway, (BOB));
        calls[4] = abi.encodeCall(ConnextAdmin.setInbox, (BOB));
        calls[5] = abi.encodeCall(ConnextAdmin.setLiquidityFeeBps, (1));
        calls[6] = abi.encodeCall(ConnextAdmin.setMaxRoutersPerTransfer, (1));
        calls[7] = abi.encodeCall(ConnextAdmin.setXReceiveGasLimit, (100_000));
        calls[8] = abi.encodeCall(ConnextAdmin.setRelayerFeeVault, (BOB));
        for (uint256 i; i < calls.length; ++i) {
            vm.prank(BOB);
            (bool ok, bytes memory ret) = address(connext).call(calls[i]);
            assertFalse(ok, "only the owner");
            assertEq(ret, abi.encodeWithSelector(Ownable2Step.NotOwner.selector, BOB), "NotOwner");
        }
    }

    function test_revert_withdraw_vaultRejectsEther() public {
        RejectsEther rejecter = new RejectsEther();
        vm.prank(GOV);
        connext.setRelayerFeeVault(address(rejecter));
        vm.deal(ALICE, 1 ether);
        vm.prank(ALICE);
        connext.bumpTransfer{value: 1 ether}(bytes32(0), address(0), 0);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NativeTransferFailed.selector, address(rejecter)));
        vm.prank(address(rejecter));
        connext.withdrawRelayerFees(address(0), 1 ether);
    }

    // ------------------------------------------------------------------ delegate recovery

    function test_forceUpdateSlippage() public {
        TransferInfo memory params = _weth(1 ether, 1);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.SlippageUpdated(_id(params), 500);
        vm.prank(ALICE);
        connext.forceUpdateSlippage(params, 500);
        (bool receiveLocal, bool overridden, uint256 slippage) = connext.transferOverrides(_id(params));
        assertFalse(receiveLocal, "no receive-local override");
        assertTrue(overridden, "overridden");
        assertEq(slippage, 500, "raised");
        // Raising again from the override, not from the original.
        vm.expectRevert(abi.encodeWithSelector(IConnext.SlippageNotRaised.selector, 500, 400));
        vm.prank(ALICE);
        connext.forceUpdateSlippage(params, 400);
        // Once reconciled it may still be raised (the transfer is not delivered yet).
        _reconcile(params);
        vm.prank(ALICE);
        connext.forceUpdateSlippage(params, 10_000);
        assertEq(
            uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.Reconciled), "status kept"
        );
    }

    function test_revert_forceUpdateSlippage() public {
        TransferInfo memory params = _weth(1 ether, 1);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotDelegate.selector, BOB));
        vm.prank(BOB);
        connext.forceUpdateSlippage(params, 500);
        vm.startPrank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IConnext.InvalidSlippage.selector, 10_001));
        connext.forceUpdateSlippage(params, 10_001);
        vm.expectRevert(abi.encodeWithSelector(IConnext.SlippageNotRaised.selector, 100, 100));
        connext.forceUpdateSlippage(params, 100);
        TransferInfo memory elsewhere = _weth(1 ether, 1);
        elsewhere.destinationDomain = OTHER;
        vm.expectRevert(abi.encodeWithSelector(IConnext.WrongDestination.selector, OTHER));
        connext.forceUpdateSlippage(elsewhere, 500);
        vm.stopPrank();

        _fund(routers[0], address(weth), 5 ether);
        _execute(_fastArgs(params, 1));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.InvalidTransferStatus.selector, _id(params), TransferStatus.Executed
            )
        );
        vm.prank(ALICE);
        connext.forceUpdateSlippage(params, 500);
    }

    function test_revert_noDelegateMeansNoRecovery() public {
        TransferInfo memory params = _weth(1 ether, 1);
        params.delegate = address(0);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotDelegate.selector, ALICE));
        vm.prank(ALICE);
        connext.forceReceiveLocal(params);
    }

    function test_forceReceiveLocal() public {
        TransferInfo memory params = _weth(1 ether, 1);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.ForceReceiveLocal(_id(params));
        vm.prank(ALICE);
        connext.forceReceiveLocal(params);
        (bool receiveLocal, bool overridden,) = connext.transferOverrides(_id(params));
        assertTrue(receiveLocal, "recorded");
        assertFalse(overridden, "slippage untouched");
        // The override survives execution and reconcile in the same record.
        _reconcile(params);
        _execute(_slowArgs(params));
        (receiveLocal,,) = connext.transferOverrides(_id(params));
        assertTrue(receiveLocal, "kept");
        assertEq(weth.balanceOf(BOB), 1 ether, "delivered in the local asset");
    }

    function test_revert_forceReceiveLocal() public {
        TransferInfo memory params = _weth(1 ether, 1);
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotDelegate.selector, BOB));
        vm.prank(BOB);
        connext.forceReceiveLocal(params);
        _reconcile(params);
        _execute(_slowArgs(params));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.InvalidTransferStatus.selector, _id(params), TransferStatus.Completed
            )
        );
        vm.prank(ALICE);
        connext.forceReceiveLocal(params);
    }
}
