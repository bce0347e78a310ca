// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextFixture} from "./utils/ConnextFixture.sol";
import {TestToken, FeeOnTransferToken} from "./utils/TestTokens.sol";
import {IConnext, TransferInfo} from "../../src/interfaces/IConnext.sol";
import {BridgeToken} from "../../src/core/BridgeToken.sol";
import {Pausable} from "../../src/governance/Pausable.sol";

/// @notice `xcall`, `xcallIntoLocal`, `bumpTransfer` and the relayer fee vault, on the origin.
contract ConnextXCallTest is ConnextFixture {
    function setUp() public override {
        super.setUp();
        usdc.mint(ALICE, 1_000_000e6);
        vm.prank(ALICE);
        usdc.approve(address(connext), type(uint256).max);
        vm.prank(address(connext));
        weth.mint(ALICE, 100 ether);
        vm.deal(ALICE, 10 ether);
    }

    /// @dev What `xcall` of `amount` USDC from ALICE to BOB on REMOTE should hash.
    function _expectedUsdc(uint256 amount, uint256 nonce, bytes memory callData)
        internal
        view
        returns (TransferInfo memory params)
    {
        params.originDomain = LOCAL;
        params.destinationDomain = REMOTE;
        params.canonicalDomain = LOCAL;
        params.to = BOB;
        params.delegate = ALICE;
        params.callData = callData;
        params.slippage = 30;
        params.originSender = ALICE;
        params.bridgedAmt = amount;
        params.normalizedIn = amount * 1e12;
        params.nonce = nonce;
        params.canonicalId = bytes32(uint256(uint160(address(usdc))));
    }

    function test_xcall_canonical_escrowsAndDispatches() public {
        TransferInfo memory expected = _expectedUsdc(100e6, 0, "");
        bytes32 expectedId = _id(expected);
        bytes memory body = abi.encodePacked(LOCAL, expected.canonicalId, uint256(100e6), expectedId);
        bytes32 leaf = keccak256(
            abi.encodePacked(
                LOCAL, bytes32(uint256(uint160(address(connext)))), uint32(0), REMOTE, REMOTE_CONNEXT, body
            )
        );
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.XCalled(expectedId, 0, leaf, expected, address(usdc), 100e6, address(usdc), body);
        vm.prank(ALICE);
        bytes32 id = connext.xcall(REMOTE, BOB, address(usdc), ALICE, 100e6, 30, "", 0);

        assertEq(id, expectedId, "transferId = keccak256(abi.encode(params))");
        assertEq(usdc.balanceOf(address(connext)), 100e6, "escrowed");
        (,,,,, uint256 custodied) = connext.assetInfo(address(usdc));
        assertEq(custodied, 100e6, "custodied");
        assertEq(connext.nonce(), 1, "nonce advanced");
        assertEq(gateway.dispatchedCount(), 1, "one message");
        (address sender, uint32 destination, bytes32 recipient,,,) = gateway.dispatched(0);
        assertEq(sender, address(connext), "sent by Connext");
        assertEq(uint256(destination), REMOTE, "to REMOTE");
        assertEq(recipient, REMOTE_CONNEXT, "to the remote Connext");
        assertEq(gateway.lastBody(), body, "body: canonical, amount, transferId");
    }

    function test_xcall_representation_burnsWithoutApproval() public {
        uint256 supply = weth.totalSupply();
        vm.prank(ALICE);
        connext.xcall(REMOTE, BOB, address(weth), ALICE, 2 ether, 30, "", 0);
        assertEq(weth.totalSupply(), supply - 2 ether, "burned");
        assertEq(weth.balanceOf(ALICE), 98 ether, "from the caller");
        assertEq(weth.balanceOf(address(connext)), 0, "nothing held");
        bytes memory body = gateway.lastBody();
        (uint32 canonicalDomain, bytes32 canonicalId) = _bodyAsset(body);
        assertEq(uint256(canonicalDomain), REMOTE, "canonical domain");
        assertEq(canonicalId, WETH_ID, "canonical id");
    }

    function test_xcall_nonceIncrements() public {
        vm.startPrank(ALICE);
        bytes32 first = connext.xcall(REMOTE, BOB, address(usdc), ALICE, 1e6, 30, "", 0);
        bytes32 second = connext.xcall(REMOTE, BOB, address(usdc), ALICE, 1e6, 30, "", 0);
        vm.stopPrank();
        assertEq(first, _id(_expectedUsdc(1e6, 0, "")), "first nonce 0");
        assertEq(second, _id(_expectedUsdc(1e6, 1, "")), "second nonce 1");
    }

    function test_xcallIntoLocal_setsReceiveLocal() public {
        TransferInfo memory expected = _expectedUsdc(5e6, 0, "");
        expected.receiveLocal = true;
        vm.prank(ALICE);
        bytes32 id = connext.xcallIntoLocal(REMOTE, BOB, address(usdc), ALICE, 5e6, 30, "", 0);
        assertEq(id, _id(expected), "receiveLocal hashed");
    }

    function test_xcall_calldataOnly() public {
        vm.prank(ALICE);
        bytes32 id = connext.xcall(REMOTE, BOB, address(0), ALICE, 0, 30, hex"1234", 0);
        TransferInfo memory expected;
        expected.originDomain = LOCAL;
        expected.destinationDomain = REMOTE;
        expected.to = BOB;
        expected.delegate = ALICE;
        expected.callData = hex"1234";
        expected.slippage = 30;
        expected.originSender = ALICE;
        assertEq(id, _id(expected), "no asset fields");
        assertEq(
            gateway.lastBody(), abi.encodePacked(uint32(0), bytes32(0), uint256(0), id), "empty asset body"
        );
    }

    function test_xcall_nativeRelayerFee() public {
        TransferInfo memory expected = _expectedUsdc(1e6, 0, "");
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.TransferRelayerFeesIncreased(_id(expected), 0.1 ether, address(0), ALICE);
        vm.prank(ALICE);
        connext.xcall{value: 0.1 ether}(REMOTE, BOB, address(usdc), ALICE, 1e6, 30, "", 0);
        assertEq(address(connext).balance, 0.1 ether, "held for the vault");
    }

    function test_xcall_relayerFeeInAsset() public {
        TransferInfo memory expected = _expectedUsdc(1e6, 0, "");
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.TransferRelayerFeesIncreased(_id(expected), 2e5, address(usdc), ALICE);
        vm.prank(ALICE);
        connext.xcall(REMOTE, BOB, address(usdc), ALICE, 1e6, 30, "", 2e5);
        assertEq(usdc.balanceOf(address(connext)), 1.2e6, "amount and fee pulled");
        assertEq(connext.relayerFees(address(usdc)), 2e5, "fee booked");
        (,,,,, uint256 custodied) = connext.assetInfo(address(usdc));
        assertEq(custodied, 1e6, "fee is not escrow");
    }

    function test_xcall_representationFeeInAsset() public {
        vm.startPrank(ALICE);
        weth.approve(address(connext), 1 ether);
        connext.xcall(REMOTE, BOB, address(weth), ALICE, 2 ether, 30, "", 1 ether);
        vm.stopPrank();
        assertEq(weth.balanceOf(address(connext)), 1 ether, "fee held, amount burned");
        assertEq(connext.relayerFees(address(weth)), 1 ether, "fee booked");
    }

    function test_revert_destinationNotEnrolled() public {
        vm.expectRevert(abi.encodeWithSelector(IConnext.DestinationNotEnrolled.selector, 9));
        vm.prank(ALICE);
        connext.xcall(9, BOB, address(usdc), ALICE, 1e6, 30, "", 0);
        vm.expectRevert(abi.encodeWithSelector(IConnext.DestinationNotEnrolled.selector, LOCAL));
        vm.prank(ALICE);
        connext.xcall(LOCAL, BOB, address(usdc), ALICE, 1e6, 30, "", 0);
    }

    function test_revert_zeroRecipient() public {
        vm.expectRevert(IConnext.ZeroRecipient.selector);
        vm.prank(ALICE);
        connext.xcall(REMOTE, address(0), address(usdc), ALICE, 1e6, 30, "", 0);
    }

    function test_revert_slippageAboveOneHundredPercent() public {
        vm.expectRevert(abi.encodeWithSelector(IConnext.InvalidSlippage.selector, 10_001));
        vm.prank(ALICE);
        connext.xcall(REMOTE, BOB, address(usdc), ALICE, 1e6, 10_001, "", 0);
    }

    function test_revert_assetNotRegistered() public {
        TestToken stray = new TestToken("Stray", "STR", 18);
        vm.expectRevert(abi.encodeWithSelector(IConnext.AssetNotApproved.selector, address(stray)));
        vm.prank(ALICE);
        connext.xcall(REMOTE, BOB, address(stray), ALICE, 1, 30, "", 0);
    }

    function test_revert_assetUnapproved() public {
        vm.prank(GOV);
        connext.setAssetApproval(address(usdc), false);
        vm.expectRevert(abi.encodeWithSelector(IConnext.AssetNotApproved.selector, address(usdc)));
        vm.prank(ALICE);
        connext.xcall(REMOTE, BOB, address(usdc), ALICE, 1e6, 30, "", 0);
    }

    function test_revert_amountWithoutAsset() public {
        vm.expectRevert(abi.encodeWithSelector(IConnext.AssetNotApproved.selector, address(0)));
        vm.prank(ALICE);
        connext.xcall(REMOTE, BOB, address(0), ALICE, 1, 30, "", 0);
    }

    function test_revert_feeWithoutAsset() public {
        vm.expectRevert(IConnext.FeeWithoutAsset.selector);
        vm.prank(ALICE);
        connext.xcall(REMOTE, BOB, address(0), ALICE, 0, 30, hex"01", 1);
    }

    function test_revert_capExceeded() public {
        vm.prank(GOV);
        connext.setAssetCap(address(usdc), 150e6);
        vm.startPrank(ALICE);
        connext.xcall(REMOTE, BOB, address(usdc), ALICE, 100e6, 30, "", 0);
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.CapExceeded.selector, address(usdc), 100e6, 51e6, 150e6)
        );
        connext.xcall(REMOTE, BOB, address(usdc), ALICE, 51e6, 30, "", 0);
        connext.xcall(REMOTE, BOB, address(usdc), ALICE, 50e6, 30, "", 0);
        vm.stopPrank();
        (,,,,, uint256 custodied) = connext.assetInfo(address(usdc));
        assertEq(custodied, 150e6, "up to the cap");
    }

    function test_revert_feeOnTransferToken() public {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        vm.prank(GOV);
        connext.setupCanonicalAsset(address(fot), type(uint128).max);
        fot.mint(ALICE, 100 ether);
        vm.startPrank(ALICE);
        fot.approve(address(connext), type(uint256).max);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConnext.FeeOnTransferNotSupported.selector, address(fot), 10 ether, 9.9 ether
            )
        );
        connext.xcall(REMOTE, BOB, address(fot), ALICE, 10 ether, 30, "", 0);
        vm.stopPrank();
    }

    function test_revert_representationBalanceTooLow() public {
        vm.expectRevert(
            abi.encodeWithSelector(BridgeToken.InsufficientBalance.selector, ALICE, 100 ether, 101 ether)
        );
        vm.prank(ALICE);
        connext.xcall(REMOTE, BOB, address(weth), ALICE, 101 ether, 30, "", 0);
    }

    function test_revert_paused() public {
        vm.prank(GOV);
        connext.pause();
        vm.expectRevert(Pausable.IsPaused.selector);
        vm.prank(ALICE);
        connext.xcall(REMOTE, BOB, address(usdc), ALICE, 1e6, 30, "", 0);
        vm.expectRevert(Pausable.IsPaused.selector);
        vm.prank(ALICE);
        connext.xcallIntoLocal(REMOTE, BOB, address(usdc), ALICE, 1e6, 30, "", 0);
    }

    // ------------------------------------------------------------------ bumpTransfer

    function test_bump_nativeAndAsset() public {
        bytes32 id = keccak256("some transfer");
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.TransferRelayerFeesIncreased(id, 3e6, address(usdc), ALICE);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.TransferRelayerFeesIncreased(id, 1 ether, address(0), ALICE);
        vm.prank(ALICE);
        connext.bumpTransfer{value: 1 ether}(id, address(usdc), 3e6);
        assertEq(connext.relayerFees(address(usdc)), 3e6, "asset fee booked");
        assertEq(address(connext).balance, 1 ether, "native held");
    }

    function test_revert_bump_zero() public {
        vm.expectRevert(IConnext.ZeroAmount.selector);
        vm.prank(ALICE);
        connext.bumpTransfer(bytes32(0), address(usdc), 0);
    }

    function test_revert_bump_unapprovedAsset() public {
        vm.expectRevert(abi.encodeWithSelector(IConnext.AssetNotApproved.selector, BOB));
        vm.prank(ALICE);
        connext.bumpTransfer(bytes32(0), BOB, 1);
    }

    function test_revert_bump_paused() public {
        vm.prank(GOV);
        connext.pause();
        vm.expectRevert(Pausable.IsPaused.selector);
        vm.prank(ALICE);
        connext.bumpTransfer{value: 1}(bytes32(0), address(0), 0);
    }

    // ------------------------------------------------------------------ fee vault

    function test_withdrawRelayerFees() public {
        vm.prank(ALICE);
        connext.xcall{value: 1 ether}(REMOTE, BOB, address(usdc), ALICE, 1e6, 30, "", 5e6);
        vm.startPrank(VAULT);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.RelayerFeesWithdrawn(VAULT, address(0), 0.4 ether);
        connext.withdrawRelayerFees(address(0), 0.4 ether);
        connext.withdrawRelayerFees(address(usdc), 5e6);
        vm.stopPrank();
        assertEq(VAULT.balance, 0.4 ether, "native withdrawn");
        assertEq(usdc.balanceOf(VAULT), 5e6, "asset withdrawn");
        assertEq(connext.relayerFees(address(usdc)), 0, "booked fees cleared");
        assertEq(usdc.balanceOf(address(connext)), 1e6, "escrow untouched");
    }

    function test_revert_withdraw_notVault() public {
        vm.expectRevert(abi.encodeWithSelector(IConnext.NotRelayerFeeVault.selector, GOV));
        vm.prank(GOV);
        connext.withdrawRelayerFees(address(0), 1);
    }

    function test_revert_withdraw_moreThanCollected() public {
        vm.prank(ALICE);
        connext.xcall(REMOTE, BOB, address(usdc), ALICE, 100e6, 30, "", 1e6);
        vm.startPrank(VAULT);
        vm.expectRevert(
            abi.encodeWithSelector(IConnext.InsufficientRelayerFees.selector, address(usdc), 1e6, 1e6 + 1)
        );
        connext.withdrawRelayerFees(address(usdc), 1e6 + 1);
        vm.expectRevert(abi.encodeWithSelector(IConnext.InsufficientRelayerFees.selector, address(0), 0, 1));
        connext.withdrawRelayerFees(address(0), 1);
        vm.expectRevert(IConnext.ZeroAmount.selector);
        connext.withdrawRelayerFees(address(0), 0);
        vm.stopPrank();
    }

    function _bodyAsset(bytes memory body)
        internal
        pure
        returns (uint32 canonicalDomain, bytes32 canonicalId)
    {
        assembly {
            canonicalDomain := shr(224, mload(add(body, 32)))
            canonicalId := mload(add(body, 36))
        }
    }
}
