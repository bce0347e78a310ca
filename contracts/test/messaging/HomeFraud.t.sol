// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {HomeFixture} from "./utils/HomeFixture.sol";
import {Home} from "../../src/messaging/Home.sol";
import {UpdaterSignatures} from "../../src/messaging/UpdaterSignatures.sol";
import {SignatureVerifier} from "../../src/libraries/SignatureVerifier.sol";

/// @notice Fraud proofs on the Home: `improperUpdate` and `doubleUpdate` slash the updater and fail the Home;
///         a failed Home refuses the rest but lets bonds and rewards out.
contract HomeFraudTest is HomeFixture {
    function test_improperUpdate_failsHomeAndCreditsReporter() public {
        bytes32 r0 = home.committedRoot();
        bytes32 bogus = keccak256("bogus");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, bogus);
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.ImproperUpdate(r0, bogus, signature);
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.UpdaterSlashed(updaterAddr, reporter, BOND, BOND / 2);
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.HomeFailed(reporter);
        vm.prank(reporter);
        home.improperUpdate(r0, bogus, signature);

        assertTrue(home.failed(), "failed");
        assertEq(home.bonds(updaterAddr), 0, "bond slashed");
        assertEq(home.slashRewards(reporter), BOND / 2, "reporter credited");
        assertEq(home.committedRoot(), r0, "committed root unchanged");
        assertEq(address(home).balance, BOND, "ether still held");
    }

    function test_improperUpdate_slashesWholeBondIncludingTopUps() public {
        vm.prank(updaterAddr);
        home.depositBond{value: 2 ether}(updaterAddr);
        _failHome(reporter);
        assertEq(home.slashRewards(reporter), 1.5 ether, "half the whole bond, including top-ups");
    }

    function test_improperUpdate_refusesProducedRoot() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory toR1 = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
        bytes memory toR0 = signUpdate(UPDATER_KEY, ORIGIN, r0, r0);
        _expectImproperUpdateRefused(
            reporter, r0, r1, toR1, abi.encodeWithSelector(Home.NotImproper.selector, r1)
        );
        _expectImproperUpdateRefused(
            reporter, r0, r0, toR0, abi.encodeWithSelector(Home.NotImproper.selector, r0)
        );
    }

    function test_improperUpdate_refusesOnceRootIsCheckpointed() public {
        bytes32 r0 = home.committedRoot();
        _dispatch(DESTINATION, "a");
        bytes32 next = home.root();
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, next);
        home.checkpoint();
        _expectImproperUpdateRefused(
            address(this), r0, next, signature, abi.encodeWithSelector(Home.NotImproper.selector, next)
        );
    }

    function test_improperUpdate_refusesBadSignature() public {
        bytes32 r0 = home.committedRoot();
        bytes32 bogus = keccak256("bogus");
        bytes memory byStranger = signUpdate(STRANGER_KEY, ORIGIN, r0, bogus);
        bytes memory otherDomain = signUpdate(UPDATER_KEY, DESTINATION, r0, bogus);
        bytes memory twin = malleate(signUpdate(UPDATER_KEY, ORIGIN, r0, bogus));
        address otherDomainSigner =
            recoverLoose(updateDigest(block.chainid, address(home), ORIGIN, r0, bogus), otherDomain);
        address by = address(this);
        _expectImproperUpdateRefused(by, r0, bogus, byStranger, notUpdaterSignature(strangerAddr));
        _expectImproperUpdateRefused(by, r0, bogus, otherDomain, notUpdaterSignature(otherDomainSigner));
        _expectImproperUpdateRefused(
            by, r0, bogus, twin, abi.encodeWithSelector(SignatureVerifier.MalleableSignature.selector)
        );
        _expectImproperUpdateRefused(
            by,
            r0,
            bogus,
            hex"00",
            abi.encodeWithSelector(SignatureVerifier.InvalidSignatureLength.selector, 1)
        );
    }

    function test_doubleUpdate_failsHomeAndCreditsReporter() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes32 r2 = _dispatchAndCheckpoint("b");
        // Both roots are genuine, yet two different roots over one old root are fraud.
        bytes32[2] memory roots = [r1, r2];
        (bytes memory sig0, bytes memory sig1) = signDoubleUpdate(UPDATER_KEY, ORIGIN, r0, roots);
        vm.expectEmit(true, true, true, true, address(home));
        emit UpdaterSignatures.DoubleUpdate(r0, roots, sig0, sig1);
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.UpdaterSlashed(updaterAddr, reporter, BOND, BOND / 2);
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.HomeFailed(reporter);
        vm.prank(reporter);
        home.doubleUpdate(r0, roots, sig0, sig1);

        assertTrue(home.failed(), "failed");
        assertEq(home.bonds(updaterAddr), 0, "bond slashed");
        assertEq(home.slashRewards(reporter), BOND / 2, "reporter credited");
    }

    function test_doubleUpdate_worksFromCommittedRootAfterUpdate() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        _update(r0, r1);
        bytes32 bogus = keccak256("fork");
        bytes32[2] memory roots = [bogus, r1];
        (bytes memory sig0, bytes memory sig1) = signDoubleUpdate(UPDATER_KEY, ORIGIN, r0, roots);
        vm.prank(reporter);
        home.doubleUpdate(r0, roots, sig0, sig1);
        assertTrue(home.failed(), "failed");
        assertEq(home.slashRewards(reporter), BOND / 2, "reporter credited");
    }

    function test_doubleUpdate_refusesEqualRoots() public {
        bytes32 r0 = home.committedRoot();
        bytes32 bogus = keccak256("bogus");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, bogus);
        bytes32[2] memory roots = [bogus, bogus];
        _expectDoubleUpdateRefused(
            reporter,
            r0,
            roots,
            signature,
            signature,
            abi.encodeWithSelector(UpdaterSignatures.NotConflicting.selector)
        );
    }

    function test_doubleUpdate_refusesStrangerSignatureInEitherPosition() public {
        bytes32 r0 = home.committedRoot();
        bytes32 a = keccak256("a");
        bytes32 b = keccak256("b");
        bytes32[2] memory roots = [a, b];
        bytes memory goodA = signUpdate(UPDATER_KEY, ORIGIN, r0, a);
        bytes memory goodB = signUpdate(UPDATER_KEY, ORIGIN, r0, b);
        bytes memory badA = signUpdate(STRANGER_KEY, ORIGIN, r0, a);
        bytes memory badB = signUpdate(STRANGER_KEY, ORIGIN, r0, b);
        _expectDoubleUpdateRefused(address(this), r0, roots, goodA, badB, notUpdaterSignature(strangerAddr));
        _expectDoubleUpdateRefused(address(this), r0, roots, badA, goodB, notUpdaterSignature(strangerAddr));
    }

    function test_doubleUpdate_refusesSignaturesOverDifferentOldRoots() public {
        bytes32 r0 = home.committedRoot();
        bytes32 otherOld = keccak256("other old");
        bytes32 a = keccak256("a");
        bytes32 b = keccak256("b");
        bytes32[2] memory roots = [a, b];
        bytes memory sig0 = signUpdate(UPDATER_KEY, ORIGIN, r0, a);
        bytes memory sig1 = signUpdate(UPDATER_KEY, ORIGIN, otherOld, b);
        address recovered = recoverLoose(updateDigest(block.chainid, address(home), ORIGIN, r0, b), sig1);
        _expectDoubleUpdateRefused(address(this), r0, roots, sig0, sig1, notUpdaterSignature(recovered));
    }

    function test_doubleUpdate_refusesMalleableSignature() public {
        bytes32 r0 = home.committedRoot();
        bytes32 a = keccak256("a");
        bytes32 b = keccak256("b");
        bytes32[2] memory roots = [a, b];
        bytes memory sig0 = signUpdate(UPDATER_KEY, ORIGIN, r0, a);
        bytes memory sig1 = malleate(signUpdate(UPDATER_KEY, ORIGIN, r0, b));
        _expectDoubleUpdateRefused(
            address(this),
            r0,
            roots,
            sig0,
            sig1,
            abi.encodeWithSelector(SignatureVerifier.MalleableSignature.selector)
        );
    }

    function test_afterFailure_updateRefused() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
        _failHome(reporter);
        _expectUpdateRefused(r0, r1, signature, abi.encodeWithSelector(Home.HomeIsFailed.selector));
    }

    function test_afterFailure_improperUpdateRefused() public {
        bytes32 r0 = home.committedRoot();
        bytes32 other = keccak256("another bogus root");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, other);
        _failHome(reporter);
        _expectImproperUpdateRefused(
            strangerAddr, r0, other, signature, abi.encodeWithSelector(Home.HomeIsFailed.selector)
        );
    }

    function test_afterFailure_doubleUpdateRefused() public {
        bytes32 r0 = home.committedRoot();
        bytes32 a = keccak256("a");
        bytes32 b = keccak256("b");
        bytes32[2] memory roots = [a, b];
        (bytes memory sig0, bytes memory sig1) = signDoubleUpdate(UPDATER_KEY, ORIGIN, r0, roots);
        _failHome(reporter);
        _expectDoubleUpdateRefused(
            strangerAddr, r0, roots, sig0, sig1, abi.encodeWithSelector(Home.HomeIsFailed.selector)
        );
    }

    function test_afterFailure_setUpdaterRefused() public {
        _failHome(reporter);
        _expectRefused(
            governance,
            abi.encodeCall(home.setUpdater, (strangerAddr)),
            abi.encodeWithSelector(Home.HomeIsFailed.selector)
        );
    }

    function test_afterFailure_rewardsAndFormerBondsStillWithdrawable() public {
        // A former updater's bond and the reporter's reward are not trapped by the failure.
        vm.prank(governance);
        home.setUpdater(strangerAddr);
        vm.deal(strangerAddr, 1 ether);
        vm.prank(strangerAddr);
        home.depositBond{value: 1 ether}(strangerAddr);
        reportImproperUpdate(reporter, STRANGER_KEY, keccak256("bogus"));
        assertTrue(home.failed(), "failed");

        uint256 before = updaterAddr.balance;
        vm.warp(block.timestamp + home.bondLockSeconds());
        vm.prank(updaterAddr);
        home.withdrawBond(BOND);
        assertEq(updaterAddr.balance, before + BOND, "former updater withdrew once its lock passed");
        vm.prank(reporter);
        home.claimSlashReward();
        assertEq(reporter.balance, 0.5 ether, "reporter claimed half the slashed bond");
        assertEq(home.burnedBonds(), 0.5 ether, "the other half is burned");
        assertEq(address(home).balance, 0.5 ether, "only the burned half stays");
    }

    function test_selfReportedFraud_stillCostsHalfTheBond() public {
        uint256 before = updaterAddr.balance;
        reportImproperUpdate(updaterAddr, UPDATER_KEY, keccak256("self-reported"));
        vm.prank(updaterAddr);
        home.claimSlashReward();
        assertEq(updaterAddr.balance, before + BOND / 2, "the updater gets back only half");
        assertEq(home.burnedBonds(), BOND / 2, "half burned");
    }
}
