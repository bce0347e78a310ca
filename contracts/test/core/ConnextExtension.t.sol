// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextFixture} from "./utils/ConnextFixture.sol";
import {ConnextExtension} from "../../src/core/ConnextExtension.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";
import {IConnext, TransferInfo} from "../../src/interfaces/IConnext.sol";

/// @notice `Connext` runs its cold paths in the `ConnextExtension` it deploys: they act on `Connext`'s storage, as
///         the caller, with `Connext`'s events and the extension's errors; the extension itself is inert.
contract ConnextExtensionTest is ConnextFixture {
    ConnextExtension internal extension;

    function setUp() public override {
        super.setUp();
        // The extension is the first contract `Connext` creates (its nonce starts at 1, EIP-161).
        extension = ConnextExtension(
            address(
                uint160(uint256(keccak256(abi.encodePacked(bytes2(0xd694), address(connext), bytes1(0x01)))))
            )
        );
    }

    function test_extension_isDeployedByConnextAndOwnedByIt() public view {
        assertTrue(address(extension).code.length != 0, "deployed");
        assertEq(
            extension.owner(), address(connext), "only Connext could govern it, and never calls it directly"
        );
        assertEq(connext.owner(), GOV, "Connext keeps its own owner");
    }

    function test_forwardedCall_writesConnextStorageAndEmitsFromConnext() public {
        address newGateway = address(0x6A7E);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.GatewayUpdated(address(gateway), newGateway);
        vm.prank(GOV);
        connext.setGateway(newGateway);
        assertEq(connext.gateway(), newGateway, "Connext's storage");
        assertEq(extension.gateway(), address(0), "not the extension's");
    }

    function test_forwardedCall_keepsTheCaller() public {
        address newOwner = address(0x0111);
        vm.prank(routerOwners[0]);
        connext.proposeRouterOwner(routers[0], newOwner);
        (,,,, address proposedOwner,) = connext.routerInfo(routers[0]);
        assertEq(proposedOwner, newOwner, "the router owner was recognised as msg.sender");
    }

    function test_revert_forwardedCall_bubblesTheExtensionsError() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, ALICE));
        vm.prank(ALICE);
        connext.setGateway(ALICE);

        vm.expectRevert(abi.encodeWithSelector(IConnext.ParameterOutOfRange.selector, 101, 0, 100));
        vm.prank(GOV);
        connext.setLiquidityFeeBps(101);
    }

    function test_revert_forwardedCall_refusesValue() public {
        vm.deal(GOV, 1 ether);
        vm.prank(GOV);
        (bool ok,) = address(connext).call{value: 1}(abi.encodeCall(IConnext.approveRouter, (routers[0])));
        assertFalse(ok, "non-payable, as before the split");
    }

    function test_revert_extensionCalledDirectly_isInert() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, GOV));
        vm.prank(GOV);
        extension.setGateway(GOV);

        vm.expectRevert(abi.encodeWithSelector(IConnext.NotRouterOwner.selector, routers[0], routerOwners[0]));
        vm.prank(routerOwners[0]);
        extension.proposeRouterOwner(routers[0], ALICE);

        vm.expectRevert(abi.encodeWithSelector(IConnext.NotRelayerFeeVault.selector, address(0xBAD)));
        vm.prank(address(0xBAD));
        extension.withdrawRelayerFees(address(usdc), 1);
    }

    function test_forwardedRecovery_actsOnConnextsTransfers() public {
        TransferInfo memory params = _weth(1 ether, 1);
        params.delegate = ALICE;
        vm.prank(ALICE);
        connext.forceReceiveLocal(params);
        (bool receiveLocal,,) = connext.transferOverrides(_id(params));
        assertTrue(receiveLocal, "recorded in Connext");
    }
}
