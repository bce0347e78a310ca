// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {HomeFixture} from "./utils/HomeFixture.sol";
import {NaiveMerkle} from "../utils/NaiveMerkle.sol";
import {Home} from "../../src/messaging/Home.sol";
import {UpdaterSignatures} from "../../src/messaging/UpdaterSignatures.sol";
import {Pausable} from "../../src/governance/Pausable.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";

/// @notice The Home's construction and governance: required bond, pause (which stops dispatch only) and the
///         two-step ownership transfer.
contract HomeAdminTest is HomeFixture {
    function test_constructor_refusesZeroDomain() public {
        vm.expectRevert(Home.ZeroDomain.selector);
        new Home(0, updaterAddr, governance, BOND);
    }

    function test_constructor_refusesZeroUpdater() public {
        vm.expectRevert(UpdaterSignatures.ZeroUpdater.selector);
        new Home(ORIGIN, address(0), governance, BOND);
    }

    function test_constructor_refusesZeroOwner() public {
        vm.expectRevert(Ownable2Step.ZeroOwner.selector);
        new Home(ORIGIN, updaterAddr, address(0), BOND);
    }

    function test_constructor_setsConfiguration() public view {
        assertEq(uint256(home.localDomain()), ORIGIN, "localDomain");
        assertEq(uint256(home.signedDomain()), ORIGIN, "signedDomain is the local domain");
        assertEq(home.updater(), updaterAddr, "updater");
        assertEq(home.owner(), governance, "owner");
        assertEq(home.pendingOwner(), address(0), "no pending owner");
        assertEq(home.requiredBond(), BOND, "requiredBond");
        assertFalse(home.failed(), "not failed");
        assertFalse(home.paused(), "not paused");
        assertEq(home.count(), 0, "no messages");
        assertEq(home.bonds(updaterAddr), BOND, "fixture deposited the bond");
    }

    function test_constructor_checkpointsAndCommitsEmptyTreeRoot() public view {
        bytes32 emptyRoot = NaiveMerkle.root(new bytes32[](0));
        assertEq(home.root(), emptyRoot, "root is the empty tree's root");
        assertEq(home.committedRoot(), emptyRoot, "empty root committed");
        (uint32 leafCount, bool produced) = home.checkpoints(emptyRoot);
        assertTrue(produced, "empty root checkpointed");
        assertEq(uint256(leafCount), 0, "empty root holds no leaves");
        assertTrue(emptyRoot != bytes32(0), "empty root is not zero");
    }

    function test_constructor_emitsSetupEvents() public {
        bytes32 emptyRoot = NaiveMerkle.root(new bytes32[](0));
        vm.expectEmit(true, true, true, true);
        emit Ownable2Step.OwnershipTransferred(address(0), governance);
        vm.expectEmit(true, true, true, true);
        emit UpdaterSignatures.UpdaterChanged(address(0), updaterAddr);
        vm.expectEmit(true, true, true, true);
        emit Home.RequiredBondChanged(5 ether);
        vm.expectEmit(true, true, true, true);
        emit Home.Checkpointed(emptyRoot, 0);
        Home fresh = new Home(OTHER_DOMAIN, updaterAddr, governance, 5 ether);
        assertEq(fresh.requiredBond(), 5 ether, "requiredBond");
        assertEq(uint256(fresh.localDomain()), OTHER_DOMAIN, "localDomain");
        assertEq(fresh.committedRoot(), emptyRoot, "committed empty root");
    }

    function test_setRequiredBond_setsAndEmits() public {
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.RequiredBondChanged(3 ether);
        vm.prank(governance);
        home.setRequiredBond(3 ether);
        assertEq(home.requiredBond(), 3 ether, "set");
    }

    function test_setRequiredBond_onlyOwner() public {
        _expectRefused(
            strangerAddr,
            abi.encodeCall(home.setRequiredBond, (0)),
            abi.encodeWithSelector(Ownable2Step.NotOwner.selector, strangerAddr)
        );
    }

    function test_setRequiredBond_zeroLetsUnbondedUpdaterUpdate() public {
        vm.startPrank(governance);
        home.setRequiredBond(0);
        home.setUpdater(strangerAddr);
        vm.stopPrank();
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        home.update(r0, r1, signUpdate(STRANGER_KEY, ORIGIN, r0, r1));
        assertEq(home.committedRoot(), r1, "accepted with no bond required");
    }

    function test_pause_onlyOwner() public {
        _expectRefused(
            strangerAddr,
            abi.encodeCall(home.pause, ()),
            abi.encodeWithSelector(Ownable2Step.NotOwner.selector, strangerAddr)
        );
    }

    function test_unpause_onlyOwner() public {
        vm.prank(governance);
        home.pause();
        _expectRefused(
            strangerAddr,
            abi.encodeCall(home.unpause, ()),
            abi.encodeWithSelector(Ownable2Step.NotOwner.selector, strangerAddr)
        );
        assertTrue(home.paused(), "still paused");
    }

    function test_pause_emitsAndUnpauseRestoresDispatch() public {
        vm.expectEmit(true, true, true, true, address(home));
        emit Pausable.Paused(governance);
        vm.prank(governance);
        home.pause();
        assertTrue(home.paused(), "paused");

        vm.expectEmit(true, true, true, true, address(home));
        emit Pausable.Unpaused(governance);
        vm.prank(governance);
        home.unpause();
        assertFalse(home.paused(), "unpaused");
        _dispatch(DESTINATION, "after unpause");
        assertEq(home.count(), 1, "dispatch works again");
    }

    function test_pause_refusesTwice() public {
        vm.prank(governance);
        home.pause();
        _expectRefused(
            governance, abi.encodeCall(home.pause, ()), abi.encodeWithSelector(Pausable.IsPaused.selector)
        );
    }

    function test_unpause_refusesWhenNotPaused() public {
        _expectRefused(
            governance, abi.encodeCall(home.unpause, ()), abi.encodeWithSelector(Pausable.NotPaused.selector)
        );
    }

    function test_pause_updatesStillAccepted() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        vm.prank(governance);
        home.pause();
        _update(r0, r1);
        assertEq(home.committedRoot(), r1, "update accepted while paused");
    }

    function test_pause_fraudProofsStillAccepted() public {
        vm.prank(governance);
        home.pause();
        reportImproperUpdate(reporter, UPDATER_KEY, keccak256("bogus"));
        assertTrue(home.failed(), "improper update proven while paused");
        vm.prank(reporter);
        home.claimSlashReward();
        assertEq(reporter.balance, BOND / 2, "claim works while paused");
    }

    function test_pause_doubleUpdateStillAccepted() public {
        vm.prank(governance);
        home.pause();
        bytes32 r0 = home.committedRoot();
        bytes32[2] memory roots = [keccak256("a"), keccak256("b")];
        (bytes memory sig0, bytes memory sig1) = signDoubleUpdate(UPDATER_KEY, ORIGIN, r0, roots);
        vm.prank(reporter);
        home.doubleUpdate(r0, roots, sig0, sig1);
        assertTrue(home.failed(), "double update proven while paused");
    }

    function test_transferOwnership_isTwoStep() public {
        address next = address(0xAE1);
        vm.expectEmit(true, true, true, true, address(home));
        emit Ownable2Step.OwnershipTransferStarted(governance, next);
        vm.prank(governance);
        home.transferOwnership(next);
        assertEq(home.owner(), governance, "owner unchanged until accepted");
        assertEq(home.pendingOwner(), next, "pending");

        // The current owner keeps control meanwhile.
        vm.prank(governance);
        home.setRequiredBond(2 ether);

        _expectRefused(
            strangerAddr,
            abi.encodeCall(home.acceptOwnership, ()),
            abi.encodeWithSelector(Ownable2Step.NotPendingOwner.selector, strangerAddr)
        );
        _expectRefused(
            governance,
            abi.encodeCall(home.acceptOwnership, ()),
            abi.encodeWithSelector(Ownable2Step.NotPendingOwner.selector, governance)
        );

        vm.expectEmit(true, true, true, true, address(home));
        emit Ownable2Step.OwnershipTransferred(governance, next);
        vm.prank(next);
        home.acceptOwnership();
        assertEq(home.owner(), next, "new owner");
        assertEq(home.pendingOwner(), address(0), "pending cleared");

        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, governance));
        vm.prank(governance);
        home.pause();
        vm.prank(next);
        home.pause();
        assertTrue(home.paused(), "new owner governs");
    }

    function test_transferOwnership_onlyOwner() public {
        _expectRefused(
            strangerAddr,
            abi.encodeCall(home.transferOwnership, (strangerAddr)),
            abi.encodeWithSelector(Ownable2Step.NotOwner.selector, strangerAddr)
        );
    }

    function test_transferOwnership_toZeroCancels() public {
        address next = address(0xAE1);
        vm.startPrank(governance);
        home.transferOwnership(next);
        home.transferOwnership(address(0));
        vm.stopPrank();
        assertEq(home.pendingOwner(), address(0), "cancelled");
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotPendingOwner.selector, next));
        vm.prank(next);
        home.acceptOwnership();
        assertEq(home.owner(), governance, "owner unchanged");
    }

    function test_acceptOwnership_refusedWithNoPendingTransfer() public {
        _expectRefused(
            strangerAddr,
            abi.encodeCall(home.acceptOwnership, ()),
            abi.encodeWithSelector(Ownable2Step.NotPendingOwner.selector, strangerAddr)
        );
    }
}
