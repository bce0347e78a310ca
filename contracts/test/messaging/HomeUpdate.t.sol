// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {HomeFixture} from "./utils/HomeFixture.sol";
import {NaiveMerkle} from "../utils/NaiveMerkle.sol";
import {Home} from "../../src/messaging/Home.sol";
import {SignatureVerifier} from "../../src/libraries/SignatureVerifier.sol";

/// @notice The Home's `update`: a signed move of the committed root to a checkpointed root, what it refuses
///         (signatures, stale or older roots, a short bond) and the unproduced root that fails the Home instead.
contract HomeUpdateTest is HomeFixture {
    function test_update_movesCommittedRootAndEmits() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.Update(ORIGIN, r0, r1, signature);
        vm.prank(strangerAddr); // anyone may relay the updater's signature
        home.update(r0, r1, signature);
        assertEq(home.committedRoot(), r1, "committed root moved");
        assertFalse(home.failed(), "not failed");
        assertEq(home.bonds(updaterAddr), BOND, "bond untouched");
    }

    function test_update_chainsAndMaySkipCheckpoints() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        _dispatchAndCheckpoint("b");
        bytes32 r3 = _dispatchAndCheckpoint("c");
        _update(r0, r1);
        assertEq(home.committedRoot(), r1, "r1 committed");
        _update(r1, r3);
        assertEq(home.committedRoot(), r3, "r3 committed, r2 skipped");
        assertEq(r3, NaiveMerkle.root(dispatched), "committed root is the naive root");
    }

    function test_update_refusesWrongKey() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = signUpdate(STRANGER_KEY, ORIGIN, r0, r1);
        _expectUpdateRefused(r0, r1, signature, notUpdaterSignature(strangerAddr));
    }

    function test_update_refusesSignatureForAnotherDomain() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = signUpdate(UPDATER_KEY, DESTINATION, r0, r1);
        address recovered =
            recoverLoose(updateDigest(block.chainid, address(home), ORIGIN, r0, r1), signature);
        assertTrue(recovered != updaterAddr, "a signature for domain 2000 does not recover to the updater");
        _expectUpdateRefused(r0, r1, signature, notUpdaterSignature(recovered));
    }

    function test_update_refusesMalleableSignature() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory twin = malleate(signUpdate(UPDATER_KEY, ORIGIN, r0, r1));
        assertEq(
            recoverLoose(updateDigest(block.chainid, address(home), ORIGIN, r0, r1), twin),
            updaterAddr,
            "the high-s twin still recovers to the updater under plain ecrecover"
        );
        _expectUpdateRefused(
            r0, r1, twin, abi.encodeWithSelector(SignatureVerifier.MalleableSignature.selector)
        );
    }

    function test_update_refusesWrongSignatureLength() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
        bytes memory short = new bytes(64);
        bytes memory long = abi.encodePacked(signature, uint8(0));
        for (uint256 i = 0; i < 64; ++i) {
            short[i] = signature[i];
        }
        _expectUpdateRefused(
            r0, r1, short, abi.encodeWithSelector(SignatureVerifier.InvalidSignatureLength.selector, 64)
        );
        _expectUpdateRefused(
            r0, r1, long, abi.encodeWithSelector(SignatureVerifier.InvalidSignatureLength.selector, 66)
        );
        _expectUpdateRefused(
            r0, r1, "", abi.encodeWithSelector(SignatureVerifier.InvalidSignatureLength.selector, 0)
        );
    }

    function test_update_refusesInvalidV() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
        signature[64] = bytes1(uint8(signature[64]) - 27); // v as 0/1 instead of 27/28
        uint8 v = uint8(signature[64]);
        _expectUpdateRefused(
            r0, r1, signature, abi.encodeWithSelector(SignatureVerifier.InvalidSignatureV.selector, v)
        );
    }

    function test_update_refusesUnrecoverableSignature() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = abi.encodePacked(bytes32(0), bytes32(uint256(1)), uint8(27));
        _expectUpdateRefused(
            r0, r1, signature, abi.encodeWithSelector(SignatureVerifier.InvalidSignature.selector)
        );
    }

    function test_update_refusesOldRootNotCommitted() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes32 r2 = _dispatchAndCheckpoint("b");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r1, r2);
        _expectUpdateRefused(
            r1, r2, signature, abi.encodeWithSelector(Home.NotCommittedRoot.selector, r1, r0)
        );
        assertFalse(home.failed(), "a proper but stale update is not fraud");
    }

    function test_update_refusesSameRootAgain() public {
        bytes32 r0 = home.committedRoot();
        bytes memory emptyToEmpty = signUpdate(UPDATER_KEY, ORIGIN, r0, r0);
        vm.expectRevert(abi.encodeWithSelector(Home.RootNotNewer.selector, r0));
        home.update(r0, r0, emptyToEmpty);

        bytes32 r1 = _dispatchAndCheckpoint("a");
        _update(r0, r1);
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r1, r1);
        _expectUpdateRefused(r1, r1, signature, abi.encodeWithSelector(Home.RootNotNewer.selector, r1));
    }

    function test_update_refusesOlderCheckpoint() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes32 r2 = _dispatchAndCheckpoint("b");
        _update(r0, r2);
        bytes memory back1 = signUpdate(UPDATER_KEY, ORIGIN, r2, r1);
        bytes memory back0 = signUpdate(UPDATER_KEY, ORIGIN, r2, r0);
        _expectUpdateRefused(r2, r1, back1, abi.encodeWithSelector(Home.RootNotNewer.selector, r1));
        _expectUpdateRefused(r2, r0, back0, abi.encodeWithSelector(Home.RootNotNewer.selector, r0));
    }

    function test_update_refusesWhenBondTooLow() public {
        vm.prank(governance);
        home.setRequiredBond(2 ether);
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
        _expectUpdateRefused(
            r0, r1, signature, abi.encodeWithSelector(Home.UpdaterBondTooLow.selector, 1 ether, 2 ether)
        );

        // Topping the bond up makes the same signature acceptable.
        vm.prank(updaterAddr);
        home.depositBond{value: 1 ether}(updaterAddr);
        home.update(r0, r1, signature);
        assertEq(home.committedRoot(), r1, "accepted once bonded");
    }

    function test_update_refusesUnbondedNewUpdater() public {
        vm.prank(governance);
        home.setUpdater(strangerAddr);
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = signUpdate(STRANGER_KEY, ORIGIN, r0, r1);
        _expectUpdateRefused(
            r0, r1, signature, abi.encodeWithSelector(Home.UpdaterBondTooLow.selector, 0, BOND)
        );
    }

    function test_update_unproducedRootFailsHomeAndSlashesCaller() public {
        bytes32 r0 = home.committedRoot();
        _dispatch(DESTINATION, "a"); // the real next root, but never checkpointed
        bytes32 unproduced = home.root();
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, unproduced);
        uint256 homeBalance = address(home).balance;

        vm.recordLogs();
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.ImproperUpdate(r0, unproduced, signature);
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.UpdaterSlashed(updaterAddr, reporter, BOND, BOND / 2);
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.HomeFailed(reporter);
        vm.prank(reporter);
        home.update(r0, unproduced, signature); // does not revert

        assertEq(_countLogs(vm.getRecordedLogs(), Home.Update.selector), 0, "no Update event");
        assertTrue(home.failed(), "home failed");
        assertEq(home.committedRoot(), r0, "committed root not moved");
        assertEq(home.bonds(updaterAddr), 0, "bond slashed");
        assertEq(home.slashRewards(reporter), BOND / 2, "bond credited to the caller");
        assertEq(address(home).balance, homeBalance, "ether stays until claimed");
    }

    function test_update_unproducedRootFailsHomeWhateverTheOldRoot() public {
        bytes32 oldRoot = keccak256("some old root");
        bytes32 newRoot = keccak256("some new root");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, oldRoot, newRoot);
        vm.prank(reporter);
        home.update(oldRoot, newRoot, signature);
        assertTrue(home.failed(), "home failed");
        assertEq(home.slashRewards(reporter), BOND / 2, "reward");
    }

    function test_update_unproducedRootFailsHomeEvenBelowRequiredBond() public {
        vm.prank(governance);
        home.setRequiredBond(5 ether);
        bytes32 r0 = home.committedRoot();
        bytes32 bogus = keccak256("bogus");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, bogus);
        vm.prank(reporter);
        home.update(r0, bogus, signature);
        assertTrue(home.failed(), "fraud is fraud whatever the bond");
        assertEq(home.slashRewards(reporter), BOND / 2, "the whole (insufficient) bond is slashed");
    }

    function test_update_unproducedRootWithBadSignatureStillReverts() public {
        bytes32 r0 = home.committedRoot();
        bytes32 bogus = keccak256("bogus");
        bytes memory signature = signUpdate(STRANGER_KEY, ORIGIN, r0, bogus);
        _expectUpdateRefused(r0, bogus, signature, notUpdaterSignature(strangerAddr));
    }

    function testFuzz_update_nonUpdaterKeysNeverUpdate(uint256 rawKey) public {
        uint256 key = bound(rawKey, 1, SECP256K1_N - 1);
        address signer = vm.addr(key);
        vm.assume(signer != updaterAddr);
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = signUpdate(key, ORIGIN, r0, r1);
        _expectUpdateRefused(r0, r1, signature, notUpdaterSignature(signer));
        bytes32 bogus = keccak256(abi.encode(rawKey));
        bytes memory improper = signUpdate(key, ORIGIN, r0, bogus);
        _expectUpdateRefused(r0, bogus, improper, notUpdaterSignature(signer));
    }

    function testFuzz_update_anySignedUnproducedRootFailsHome(bytes32 oldRoot, bytes32 newRoot) public {
        vm.assume(!_produced(newRoot));
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, oldRoot, newRoot);
        bytes32 committed = home.committedRoot();
        vm.prank(reporter);
        home.update(oldRoot, newRoot, signature);
        assertTrue(home.failed(), "failed");
        assertEq(home.committedRoot(), committed, "committed root unchanged");
        assertEq(home.slashRewards(reporter), BOND / 2, "reporter credited");
        assertEq(home.bonds(updaterAddr), 0, "bond slashed");
    }
}
