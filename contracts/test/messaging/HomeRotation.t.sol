// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {HomeFixture} from "./utils/HomeFixture.sol";
import {Home} from "../../src/messaging/Home.sol";
import {UpdaterSignatures} from "../../src/messaging/UpdaterSignatures.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";

/// @notice Updater rotation on the Home: the new key signs, the former one stays slashable (and its bond locked)
///         for the bond lock period.
contract HomeRotationTest is HomeFixture {
    function test_withdrawBond_afterRotationMovesEther() public {
        vm.prank(governance);
        home.setUpdater(strangerAddr);
        vm.warp(block.timestamp + home.bondLockSeconds());
        uint256 balance = updaterAddr.balance;
        uint256 homeBalance = address(home).balance;

        vm.expectEmit(true, true, true, true, address(home));
        emit Home.BondWithdrawn(updaterAddr, 0.4 ether);
        vm.prank(updaterAddr);
        home.withdrawBond(0.4 ether);
        assertEq(home.bonds(updaterAddr), 0.6 ether, "rest still bonded");
        assertEq(updaterAddr.balance, balance + 0.4 ether, "ether received");
        assertEq(address(home).balance, homeBalance - 0.4 ether, "ether left the home");

        vm.prank(updaterAddr);
        home.withdrawBond(0.6 ether);
        assertEq(home.bonds(updaterAddr), 0, "all withdrawn");
        assertEq(updaterAddr.balance, balance + BOND, "whole bond back");

        vm.expectRevert(abi.encodeWithSelector(Home.InsufficientBalance.selector, 1, 0));
        vm.prank(updaterAddr);
        home.withdrawBond(1);
    }

    function test_withdrawBond_lockedForBondLockSecondsAfterRotation() public {
        uint256 rotatedAt = block.timestamp;
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.BondLockedUntil(updaterAddr, rotatedAt + 7 days);
        vm.prank(governance);
        home.setUpdater(strangerAddr);
        assertEq(home.bondLockedUntil(updaterAddr), rotatedAt + 7 days, "locked for the default period");

        vm.warp(rotatedAt + 7 days - 1);
        vm.expectRevert(Home.BondLocked.selector);
        vm.prank(updaterAddr);
        home.withdrawBond(1);
        assertEq(home.bonds(updaterAddr), BOND, "bond intact while locked");

        vm.warp(rotatedAt + 7 days);
        vm.prank(updaterAddr);
        home.withdrawBond(BOND);
        assertEq(home.bonds(updaterAddr), 0, "withdrawn once unlocked");
    }

    function test_rotatedUpdater_staysSlashableWhileLocked() public {
        vm.prank(governance);
        home.setUpdater(strangerAddr);
        bytes32 r0 = home.committedRoot();
        bytes32 bogus = keccak256("signed by the former updater");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, bogus);

        vm.expectEmit(true, true, true, true, address(home));
        emit Home.UpdaterSlashed(updaterAddr, reporter, BOND, BOND / 2);
        vm.prank(reporter);
        home.improperUpdate(r0, bogus, signature);
        assertTrue(home.failed(), "fraud by a recently rotated key fails the Home");
        assertEq(home.bonds(updaterAddr), 0, "the former updater's bond is slashed");
        assertEq(home.slashRewards(reporter), BOND / 2, "reporter rewarded");
    }

    function test_rotatedUpdater_notSlashableAfterLock() public {
        vm.prank(governance);
        home.setUpdater(strangerAddr);
        vm.warp(block.timestamp + home.bondLockSeconds());
        bytes32 r0 = home.committedRoot();
        bytes32 bogus = keccak256("signed long after rotation");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, bogus);
        vm.expectRevert(notUpdaterSignature(updaterAddr));
        home.improperUpdate(r0, bogus, signature);
        assertFalse(home.failed(), "not failed");
    }

    function test_setBondLockSeconds_ownerOnlyAndApplies() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, address(this)));
        home.setBondLockSeconds(1 days);
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.BondLockSecondsChanged(1 days);
        vm.prank(governance);
        home.setBondLockSeconds(1 days);
        vm.prank(governance);
        home.setUpdater(strangerAddr);
        assertEq(home.bondLockedUntil(updaterAddr), block.timestamp + 1 days, "new lock period used");
    }

    function test_withdrawBond_refusedWhileAccountBecameUpdaterAgain() public {
        vm.startPrank(governance);
        home.setUpdater(strangerAddr);
        home.setUpdater(updaterAddr);
        vm.stopPrank();
        vm.expectRevert(Home.BondLocked.selector);
        vm.prank(updaterAddr);
        home.withdrawBond(1);
    }

    function test_setUpdater_rotatesKeyAndEmits() public {
        vm.expectEmit(true, true, true, true, address(home));
        emit UpdaterSignatures.UpdaterChanged(updaterAddr, strangerAddr);
        vm.prank(governance);
        home.setUpdater(strangerAddr);
        assertEq(home.updater(), strangerAddr, "rotated");

        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory oldKey = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
        vm.expectRevert(notUpdaterSignature(updaterAddr));
        home.update(r0, r1, oldKey);

        vm.deal(strangerAddr, BOND);
        vm.prank(strangerAddr);
        home.depositBond{value: BOND}(strangerAddr);
        home.update(r0, r1, signUpdate(STRANGER_KEY, ORIGIN, r0, r1));
        assertEq(home.committedRoot(), r1, "new key's update accepted");
    }

    function test_setUpdater_refusesZero() public {
        _expectRefused(
            governance,
            abi.encodeCall(home.setUpdater, (address(0))),
            abi.encodeWithSelector(UpdaterSignatures.ZeroUpdater.selector)
        );
    }

    function test_setUpdater_onlyOwner() public {
        _expectRefused(
            updaterAddr,
            abi.encodeCall(home.setUpdater, (strangerAddr)),
            abi.encodeWithSelector(Ownable2Step.NotOwner.selector, updaterAddr)
        );
    }
}
