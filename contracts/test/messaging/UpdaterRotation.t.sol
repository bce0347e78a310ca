// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MessagingFixture} from "./utils/MessagingFixture.sol";
import {Home} from "../../src/messaging/Home.sol";
import {Replica} from "../../src/messaging/Replica.sol";
import {ConnectionManager} from "../../src/messaging/ConnectionManager.sol";
import {UpdaterSignatures} from "../../src/messaging/UpdaterSignatures.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";

/// @notice A rotated updater stays accountable on a Replica (double update, watcher notice) while any root it signed
///         may be inside its window, however the window changed; and once a Home fails, every bond but the slashed
///         one comes back.
contract UpdaterRotationTest is MessagingFixture {
    uint256 internal constant NEW_KEY = 0xC0DE;
    uint256 internal constant THIRD_KEY = 0xD00D;
    address internal newUpdater;
    address internal reporter = address(0x4E9);

    function setUp() public override {
        super.setUp();
        newUpdater = vm.addr(NEW_KEY);
    }

    // ------------------------------------------------------------ helpers

    function _rotate(address next) internal {
        vm.prank(governance);
        replica.setUpdater(next);
    }

    function _notice(address key) internal view returns (bytes memory) {
        return signNotice(WATCHER_KEY, address(manager), ORIGIN, key, address(replica));
    }

    /// @dev `key` signs a forged root (a tree whose only message the Home never dispatched) over the Replica's
    ///      committed root, and the Replica accepts it; returns when it ripens.
    function _forgedRootBy(uint256 key) internal returns (bytes32 forged, uint256 ripeAt) {
        addMessage(0, "mint to the attacker");
        forged = treeRoot();
        bytes32 oldRoot = replica.committedRoot();
        replica.update(oldRoot, forged, signUpdate(key, ORIGIN, oldRoot, forged));
        ripeAt = replica.confirmAt(forged);
    }

    function _doubleUpdateBy(uint256 key) internal {
        bytes32 oldRoot = replica.committedRoot();
        bytes32[2] memory roots = [keccak256("one"), keccak256("two")];
        (bytes memory first, bytes memory second) = signDoubleUpdate(key, ORIGIN, oldRoot, roots);
        replica.doubleUpdate(oldRoot, roots, first, second);
    }

    function _expectDoubleUpdateRefused(uint256 key) internal {
        bytes32 oldRoot = replica.committedRoot();
        bytes32[2] memory roots = [keccak256("one"), keccak256("two")];
        (bytes memory sig0, bytes memory sig1) = signDoubleUpdate(key, ORIGIN, oldRoot, roots);
        vm.expectRevert(notUpdaterSignature(vm.addr(key)));
        replica.doubleUpdate(oldRoot, roots, sig0, sig1);
        assertEq(uint256(replica.state()), uint256(Replica.State.Active), "still active");
    }

    // ------------------------------------------------------------ Replica: accountability window

    function test_setUpdater_previousKeyAccountableForTheWindow() public {
        uint256 until = block.timestamp + WINDOW;
        vm.expectEmit(true, true, true, true, address(replica));
        emit Replica.FormerUpdaterAccountable(updaterAddr, until);
        vm.expectEmit(true, true, true, true, address(replica));
        emit UpdaterSignatures.UpdaterChanged(updaterAddr, newUpdater);
        _rotate(newUpdater);
        assertEq(replica.accountableUntil(updaterAddr), until, "until the window of its last possible root");
        assertTrue(replica.isAccountable(updaterAddr), "rotated key accountable");
        assertTrue(replica.isAccountable(newUpdater), "current key accountable");
        assertFalse(replica.isAccountable(vm.addr(STRANGER_KEY)), "a stranger is not");
        vm.warp(until - 1);
        assertTrue(replica.isAccountable(updaterAddr), "until the last second of the window");
        vm.warp(until);
        assertFalse(replica.isAccountable(updaterAddr), "not once every root it signed is ripe");
    }

    function test_doubleUpdate_byRotatedKeyInsideItsWindowFailsReplica() public {
        _rotate(newUpdater);
        vm.warp(block.timestamp + WINDOW - 1);
        vm.expectEmit(true, true, true, true, address(replica));
        emit Replica.ReplicaFailed(address(this));
        _doubleUpdateBy(UPDATER_KEY);
        assertEq(uint256(replica.state()), uint256(Replica.State.Failed), "failed");
    }

    function test_doubleUpdate_byRotatedKeyRefusedOnceItsRootsAreRipe() public {
        _rotate(newUpdater);
        vm.warp(block.timestamp + WINDOW);
        _expectDoubleUpdateRefused(UPDATER_KEY);
        // The current key still answers.
        _doubleUpdateBy(NEW_KEY);
        assertEq(uint256(replica.state()), uint256(Replica.State.Failed), "failed by the current key");
    }

    function test_doubleUpdate_refusesKeyThatWasNeverUpdater() public {
        _rotate(newUpdater);
        _expectDoubleUpdateRefused(STRANGER_KEY);
    }

    function test_setUpdater_loweredWindowKeepsTheEarlierRootsCovered() public {
        // A root accepted under the long window ripens late ...
        (, uint256 ripeAt) = _forgedRootBy(UPDATER_KEY);
        assertEq(ripeAt, block.timestamp + WINDOW, "accepted under the long window");
        // ... then the window is lowered and the key rotated: the key answers until that root ripens, not merely for
        // the new, shorter window.
        vm.warp(block.timestamp + 10);
        // Bound kept for roots accepted under the long window: the latest any of them can ripen (its own ripeAt + 10).
        uint256 bound = block.timestamp + WINDOW;
        vm.prank(governance);
        replica.setOptimisticSeconds(60);
        vm.warp(block.timestamp + 10);
        vm.expectEmit(true, true, true, true, address(replica));
        emit Replica.FormerUpdaterAccountable(updaterAddr, bound);
        _rotate(newUpdater);
        assertEq(replica.accountableUntil(updaterAddr), bound, "the long window's bound, not now + 60");
        assertLe(ripeAt, bound, "covers the root accepted under the long window");
        vm.warp(ripeAt - 1);
        assertTrue(replica.isAccountable(updaterAddr), "accountable while that root is unripe");
        vm.warp(bound);
        assertFalse(replica.isAccountable(updaterAddr), "not after the bound");
    }

    function test_setUpdater_windowLoweredTwiceKeepsTheLongestCovered() public {
        uint256 start = block.timestamp;
        vm.startPrank(governance);
        replica.setOptimisticSeconds(900);
        replica.setOptimisticSeconds(60);
        vm.stopPrank();
        _rotate(newUpdater);
        assertEq(replica.accountableUntil(updaterAddr), start + WINDOW, "the longest window in effect before");
    }

    function test_setUpdater_raisedWindowCoversRootsAcceptedUnderIt() public {
        vm.prank(governance);
        replica.setOptimisticSeconds(2 * WINDOW);
        (, uint256 ripeAt) = _forgedRootBy(UPDATER_KEY);
        assertEq(ripeAt, block.timestamp + 2 * WINDOW, "accepted under the raised window");
        _rotate(newUpdater);
        assertEq(replica.accountableUntil(updaterAddr), ripeAt, "covers it");
    }

    function test_setUpdater_twoRotationsKeepBothFormerKeysAccountable() public {
        _rotate(newUpdater);
        uint256 firstUntil = replica.accountableUntil(updaterAddr);
        vm.warp(block.timestamp + 100);
        _rotate(vm.addr(THIRD_KEY));
        assertEq(replica.accountableUntil(updaterAddr), firstUntil, "the first key keeps its own deadline");
        assertEq(replica.accountableUntil(newUpdater), block.timestamp + WINDOW, "the second key answers too");
        assertTrue(replica.isAccountable(updaterAddr), "first");
        assertTrue(replica.isAccountable(newUpdater), "second");
        _doubleUpdateBy(UPDATER_KEY);
        assertEq(
            uint256(replica.state()), uint256(Replica.State.Failed), "the first key's fraud still fails it"
        );
    }

    function test_setUpdater_rotatingBackNeverShortensAKeysDeadline() public {
        _rotate(newUpdater);
        uint256 until = replica.accountableUntil(updaterAddr);
        vm.prank(governance);
        replica.setOptimisticSeconds(60);
        _rotate(updaterAddr);
        // Rotating away again under the short window: the earlier deadline stands, and no event claims otherwise.
        vm.recordLogs();
        _rotate(newUpdater);
        assertEq(replica.accountableUntil(updaterAddr), until, "deadline kept");
        assertEq(vm.getRecordedLogs().length, 1, "only UpdaterChanged: the deadline did not move");
    }

    function test_setUpdater_refusesZeroAndNonOwnerWithoutTouchingDeadlines() public {
        vm.expectRevert(UpdaterSignatures.ZeroUpdater.selector);
        vm.prank(governance);
        replica.setUpdater(address(0));
        assertEq(replica.accountableUntil(updaterAddr), 0, "no deadline recorded");
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, address(this)));
        replica.setUpdater(newUpdater);
        assertEq(replica.updater(), updaterAddr, "unchanged");
    }

    // ------------------------------------------------------------ ConnectionManager: notices about a rotated key

    function test_unenrollReplicaByWatcher_noticeNamingRotatedKeyInsideItsWindowHalts() public {
        _rotate(newUpdater);
        vm.warp(block.timestamp + WINDOW - 1);
        vm.expectEmit(true, true, true, true, address(manager));
        emit ConnectionManager.ReplicaUnenrolled(ORIGIN, address(replica), watcherAddr);
        manager.unenrollReplicaByWatcher(ORIGIN, updaterAddr, _notice(updaterAddr));
        assertEq(uint256(replica.state()), uint256(Replica.State.Halted), "halted");
    }

    function test_unenrollReplicaByWatcher_refusesRotatedKeyOnceItsRootsAreRipe() public {
        _rotate(newUpdater);
        vm.warp(block.timestamp + WINDOW);
        bytes memory notice = _notice(updaterAddr);
        vm.expectRevert(abi.encodeWithSelector(ConnectionManager.NotReplicaUpdater.selector, updaterAddr));
        manager.unenrollReplicaByWatcher(ORIGIN, updaterAddr, notice);
        assertEq(uint256(replica.state()), uint256(Replica.State.Active), "still active");
    }

    // ------------------------------------------------------------ the attack, on the contracts

    /// @dev A leaked key puts a forged root on the Replica; governance rotates (the attacker front-ran it). The honest
    ///      key cannot move the Replica past the forged root, but the rotated key is still accountable: the watcher's
    ///      notice naming it halts the Replica before the root ripens, and the forged message is never delivered.
    function test_forgedRootOfARotatedKeyNeverRipensIntoADelivery() public {
        (, uint256 ripeAt) = _forgedRootBy(UPDATER_KEY);
        _rotate(newUpdater);

        bytes32 forged = replica.committedRoot();
        bytes32 honest = keccak256("the Home's real root");
        bytes memory honestSig = signUpdate(NEW_KEY, ORIGIN, home.committedRoot(), honest);
        bytes32 homeRoot = home.committedRoot();
        vm.expectRevert(abi.encodeWithSelector(Replica.NotCommittedRoot.selector, homeRoot, forged));
        replica.update(homeRoot, honest, honestSig);

        vm.warp(ripeAt - 1);
        manager.unenrollReplicaByWatcher(ORIGIN, updaterAddr, _notice(updaterAddr));

        vm.warp(ripeAt);
        bytes memory message = messages[0];
        bytes32[32] memory proof = proofOf(0);
        vm.expectRevert(abi.encodeWithSelector(Replica.ReplicaNotActive.selector, Replica.State.Halted));
        replica.proveAndProcess(message, proof, 0);
        assertEq(recipient.handledCount(), 0, "nothing delivered");
    }

    // ------------------------------------------------------------ Home: bonds after a failure

    /// @dev Rotates the Home to the bonded `newUpdater`, then proves the former key's improper update.
    function _formerUpdaterFailsHome() internal {
        vm.prank(governance);
        home.setUpdater(newUpdater);
        vm.deal(newUpdater, BOND);
        vm.prank(newUpdater);
        home.depositBond{value: BOND}(newUpdater);
        reportImproperUpdate(reporter, UPDATER_KEY, keccak256("never produced"));
        assertTrue(home.failed(), "failed");
        assertEq(home.slashedUpdater(), updaterAddr, "the former key was slashed");
    }

    function test_withdrawBond_innocentCurrentUpdaterWithdrawsOnceAfterAFormerKeysFraud() public {
        _formerUpdaterFailsHome();
        assertEq(home.updater(), newUpdater, "still the updater: a failed Home cannot rotate");
        uint256 before = newUpdater.balance;
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.BondWithdrawn(newUpdater, BOND);
        vm.prank(newUpdater);
        home.withdrawBond(BOND);
        assertEq(newUpdater.balance, before + BOND, "the innocent updater got its bond back");
        assertEq(home.bonds(newUpdater), 0, "nothing left");
        vm.expectRevert(abi.encodeWithSelector(Home.InsufficientBalance.selector, BOND, 0));
        vm.prank(newUpdater);
        home.withdrawBond(BOND);
    }

    function test_withdrawBond_culpritCannotWithdraw() public {
        _formerUpdaterFailsHome();
        vm.warp(block.timestamp + home.bondLockSeconds());
        vm.startPrank(updaterAddr);
        vm.expectRevert(abi.encodeWithSelector(Home.BondSlashed.selector, updaterAddr));
        home.withdrawBond(1);
        vm.expectRevert(abi.encodeWithSelector(Home.BondSlashed.selector, updaterAddr));
        home.withdrawBond(0);
        vm.stopPrank();
    }

    function test_withdrawBond_culpritCurrentUpdaterCannotWithdraw() public {
        reportImproperUpdate(address(this), UPDATER_KEY, keccak256("never produced"));
        vm.expectRevert(abi.encodeWithSelector(Home.BondSlashed.selector, updaterAddr));
        vm.prank(updaterAddr);
        home.withdrawBond(0);
    }

    function test_withdrawBond_innocentFormerUpdaterNeedNotWaitForItsLockAfterFailure() public {
        // The first key is rotated out (locked for bondLockSeconds); the second key's fraud fails the Home.
        vm.prank(governance);
        home.setUpdater(newUpdater);
        reportImproperUpdate(address(this), NEW_KEY, keccak256("never produced"));
        assertEq(home.slashedUpdater(), newUpdater, "the second key was slashed");
        assertLe(
            block.timestamp + 1, home.bondLockedUntil(updaterAddr), "the first key's lock has not passed"
        );
        uint256 before = updaterAddr.balance;
        vm.prank(updaterAddr);
        home.withdrawBond(BOND);
        assertEq(
            updaterAddr.balance, before + BOND, "a failed Home slashes no one else: the lock protects nothing"
        );
    }

    function test_withdrawBond_liveHomeStillLocksTheUpdater() public {
        vm.expectRevert(Home.BondLocked.selector);
        vm.prank(updaterAddr);
        home.withdrawBond(1);
        assertEq(home.slashedUpdater(), address(0), "no one slashed on a live Home");
    }
}
