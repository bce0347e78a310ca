// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MessagingFixture} from "./utils/MessagingFixture.sol";
import {Vm} from "../utils/Vm.sol";
import {NaiveMerkle} from "../utils/NaiveMerkle.sol";
import {Home} from "../../src/messaging/Home.sol";
import {UpdaterSignatures} from "../../src/messaging/UpdaterSignatures.sol";
import {Pausable} from "../../src/governance/Pausable.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";
import {SignatureVerifier} from "../../src/libraries/SignatureVerifier.sol";
import {ReentrancyGuard} from "../../src/utils/ReentrancyGuard.sol";
import {MerkleTree} from "../../src/messaging/libraries/MerkleTree.sol";

/// @notice A fraud reporter (or bond holder) that cannot receive ether: it has no receive or fallback.
contract HomeEtherRejectingAccount {
    Home internal immutable home;

    constructor(Home target) {
        home = target;
    }

    function reportImproper(bytes32 oldRoot, bytes32 newRoot, bytes calldata signature) external {
        home.improperUpdate(oldRoot, newRoot, signature);
    }

    function claim() external {
        home.claimSlashReward();
    }

    function withdraw(uint256 amount) external {
        home.withdrawBond(amount);
    }
}

/// @notice Tries to re-enter the Home's ether-sending paths from its `receive`, recording what the re-entry got.
contract HomeReenteringAccount {
    Home internal immutable home;
    /// @dev 1: re-enter withdrawBond; 2: re-enter claimSlashReward.
    uint256 public mode;
    bool public reentered;
    bytes public reentryRevert;

    constructor(Home target) {
        home = target;
    }

    function setMode(uint256 newMode) external {
        mode = newMode;
    }

    function reportImproper(bytes32 oldRoot, bytes32 newRoot, bytes calldata signature) external {
        home.improperUpdate(oldRoot, newRoot, signature);
    }

    function withdraw(uint256 amount) external {
        home.withdrawBond(amount);
    }

    function claim() external {
        home.claimSlashReward();
    }

    receive() external payable {
        if (reentered) return;
        reentered = true;
        if (mode == 1) {
            try home.withdrawBond(1) {}
            catch (bytes memory reason) {
                reentryRevert = reason;
            }
        } else if (mode == 2) {
            try home.claimSlashReward() {}
            catch (bytes memory reason) {
                reentryRevert = reason;
            }
        }
    }
}

contract HomeTest is MessagingFixture {
    address internal constant SENDER = address(0xC0FFEE);
    address internal reporter = address(0x5E7012);
    address internal strangerAddr;

    /// @dev Leaves dispatched on `home` by this test, in order.
    bytes32[] internal dispatched;

    /// @dev Everything a refused call must leave untouched.
    struct HomeState {
        uint256 count;
        bytes32 root;
        bytes32 committedRoot;
        bool failed;
        bool paused;
        address updater;
        address owner;
        address pendingOwner;
        uint256 requiredBond;
        uint256 updaterBond;
        uint256 balance;
        uint32 nonceDestination;
        uint32 nonceOther;
        uint256 reporterReward;
        uint256 strangerReward;
    }

    function setUp() public override {
        super.setUp();
        strangerAddr = vm.addr(STRANGER_KEY);
        vm.label(address(home), "home");
        vm.label(reporter, "reporter");
        vm.label(strangerAddr, "stranger");
    }

    // ------------------------------------------------------------ helpers

    function _snapshot() internal view returns (HomeState memory s) {
        s.count = home.count();
        s.root = home.root();
        s.committedRoot = home.committedRoot();
        s.failed = home.failed();
        s.paused = home.paused();
        s.updater = home.updater();
        s.owner = home.owner();
        s.pendingOwner = home.pendingOwner();
        s.requiredBond = home.requiredBond();
        s.updaterBond = home.bonds(home.updater());
        s.balance = address(home).balance;
        s.nonceDestination = home.nonces(DESTINATION);
        s.nonceOther = home.nonces(OTHER_DOMAIN);
        s.reporterReward = home.slashRewards(reporter);
        s.strangerReward = home.slashRewards(strangerAddr);
    }

    function _assertUnchanged(HomeState memory before) internal view {
        HomeState memory s = _snapshot();
        assertEq(s.count, before.count, "count unchanged");
        assertEq(s.root, before.root, "root unchanged");
        assertEq(s.committedRoot, before.committedRoot, "committedRoot unchanged");
        assertEq(s.failed, before.failed, "failed unchanged");
        assertEq(s.paused, before.paused, "paused unchanged");
        assertEq(s.updater, before.updater, "updater unchanged");
        assertEq(s.owner, before.owner, "owner unchanged");
        assertEq(s.pendingOwner, before.pendingOwner, "pendingOwner unchanged");
        assertEq(s.requiredBond, before.requiredBond, "requiredBond unchanged");
        assertEq(s.updaterBond, before.updaterBond, "updater bond unchanged");
        assertEq(s.balance, before.balance, "home balance unchanged");
        assertEq(
            uint256(s.nonceDestination), uint256(before.nonceDestination), "nonce(DESTINATION) unchanged"
        );
        assertEq(uint256(s.nonceOther), uint256(before.nonceOther), "nonce(OTHER_DOMAIN) unchanged");
        assertEq(s.reporterReward, before.reporterReward, "reporter reward unchanged");
        assertEq(s.strangerReward, before.strangerReward, "stranger reward unchanged");
    }

    function _expectedMessage(uint32 nonce, uint32 destination, bytes32 to, bytes memory body)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(ORIGIN, toBytes32(SENDER), nonce, destination, to, body);
    }

    /// @dev Dispatches from SENDER and records the leaf in `dispatched`.
    function _dispatch(uint32 destination, bytes memory body) internal returns (bytes32 leaf, uint32 nonce) {
        vm.prank(SENDER);
        (leaf, nonce) = home.dispatch(destination, toBytes32(address(recipient)), body);
        dispatched.push(leaf);
    }

    /// @dev Dispatches one message and checkpoints the resulting root.
    function _dispatchAndCheckpoint(bytes memory body) internal returns (bytes32 root) {
        _dispatch(DESTINATION, body);
        root = home.checkpoint();
    }

    function _produced(bytes32 root) internal view returns (bool produced) {
        (, produced) = home.checkpoints(root);
    }

    function _checkpointCount(bytes32 root) internal view returns (uint256) {
        (uint32 leafCount,) = home.checkpoints(root);
        return leafCount;
    }

    /// @dev Signs (old -> new) with the updater key for ORIGIN and submits it to the Home.
    function _update(bytes32 oldRoot, bytes32 newRoot) internal {
        home.update(oldRoot, newRoot, signUpdate(UPDATER_KEY, ORIGIN, oldRoot, newRoot));
    }

    function _countLogs(Vm.Log[] memory logs, bytes32 topic0) internal view returns (uint256 n) {
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].emitter == address(home) && logs[i].topics.length > 0 && logs[i].topics[0] == topic0) ++n;
        }
    }

    /// @dev Fails the Home through `improperUpdate`, reported by `by`; returns the bond that was slashed.
    function _failHome(address by) internal returns (uint256 slashed) {
        slashed = home.bonds(updaterAddr);
        bytes32 oldRoot = home.committedRoot();
        bytes32 bogus = keccak256("never produced");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, oldRoot, bogus);
        vm.prank(by);
        home.improperUpdate(oldRoot, bogus, signature);
        assertTrue(home.failed(), "home failed");
    }

    // ------------------------------------------------------------ constructor

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

    // ------------------------------------------------------------ dispatch

    function test_dispatch_encodesMessageAndLeaf() public {
        bytes memory body = "hello, destination";
        bytes32 to = toBytes32(address(recipient));
        bytes memory expected = _expectedMessage(0, DESTINATION, to, body);
        assertEq(expected.length, 76 + body.length, "header is 76 bytes");

        vm.prank(SENDER);
        (bytes32 leaf, uint32 nonce) = home.dispatch(DESTINATION, to, body);

        assertEq(leaf, keccak256(expected), "leaf is keccak256 of the packed message");
        assertEq(uint256(nonce), 0, "first nonce is zero");
        assertEq(home.count(), 1, "one leaf");
        assertEq(uint256(home.nonces(DESTINATION)), 1, "nonce advanced");
    }

    function test_dispatch_emitsDispatchWithIndexAndMessage() public {
        bytes32 to = toBytes32(address(recipient));
        _dispatch(DESTINATION, "first");
        _dispatch(OTHER_DOMAIN, "second");
        bytes memory message = _expectedMessage(1, DESTINATION, to, "third");

        vm.expectEmit(true, true, true, true, address(home));
        emit Home.Dispatch(keccak256(message), 2, DESTINATION, 1, message);
        _dispatch(DESTINATION, "third");
    }

    function test_dispatch_senderIsCaller() public {
        address other = address(0xABCDEF);
        bytes32 to = toBytes32(address(recipient));
        vm.prank(other);
        (bytes32 leaf,) = home.dispatch(DESTINATION, to, "x");
        bytes memory message =
            abi.encodePacked(ORIGIN, toBytes32(other), uint32(0), DESTINATION, to, bytes("x"));
        assertEq(leaf, keccak256(message), "sender field is msg.sender, left-padded");
    }

    function test_dispatch_noncesArePerDestination() public {
        (, uint32 n0) = _dispatch(DESTINATION, "a");
        (, uint32 n1) = _dispatch(DESTINATION, "b");
        (, uint32 o0) = _dispatch(OTHER_DOMAIN, "c");
        (, uint32 n2) = _dispatch(DESTINATION, "d");
        (, uint32 o1) = _dispatch(OTHER_DOMAIN, "e");
        assertEq(uint256(n0), 0, "dest nonce 0");
        assertEq(uint256(n1), 1, "dest nonce 1");
        assertEq(uint256(n2), 2, "dest nonce 2");
        assertEq(uint256(o0), 0, "other nonce 0");
        assertEq(uint256(o1), 1, "other nonce 1");
        assertEq(uint256(home.nonces(DESTINATION)), 3, "next dest nonce");
        assertEq(uint256(home.nonces(OTHER_DOMAIN)), 2, "next other nonce");
        assertEq(uint256(home.nonces(4242)), 0, "untouched destination");
        assertEq(home.count(), 5, "one tree for all destinations");
    }

    function test_dispatch_rootMatchesNaiveMerkle() public {
        for (uint256 i = 0; i < 9; ++i) {
            _dispatch(i % 2 == 0 ? DESTINATION : OTHER_DOMAIN, abi.encodePacked("message ", i));
            assertEq(home.root(), NaiveMerkle.root(dispatched), "root equals naive root");
            assertEq(home.count(), i + 1, "count");
        }
    }

    function test_dispatch_doesNotCheckpoint() public {
        _dispatch(DESTINATION, "m");
        bytes32 currentRoot = home.root();
        assertFalse(_produced(currentRoot), "dispatch does not checkpoint the root");
        assertEq(home.committedRoot(), NaiveMerkle.root(new bytes32[](0)), "committed root unchanged");
    }

    function test_dispatch_acceptsBodyOfMaxSize() public {
        bytes memory body = new bytes(2048);
        body[0] = 0x01;
        body[2047] = 0xff;
        bytes memory message = _expectedMessage(0, DESTINATION, toBytes32(address(recipient)), body);
        (bytes32 leaf,) = _dispatch(DESTINATION, body);
        assertEq(leaf, keccak256(message), "leaf of the max-size message");
        assertEq(home.root(), NaiveMerkle.root(dispatched), "root");
    }

    function test_dispatch_acceptsEmptyBody() public {
        (bytes32 leaf,) = _dispatch(DESTINATION, "");
        assertEq(leaf, keccak256(_expectedMessage(0, DESTINATION, toBytes32(address(recipient)), "")), "leaf");
    }

    function test_dispatch_refusesBodyOverMaxSize() public {
        bytes memory body = new bytes(2049);
        HomeState memory before = _snapshot();
        bytes32 to = toBytes32(address(recipient));
        vm.expectRevert(abi.encodeWithSelector(Home.BodyTooLarge.selector, 2049));
        home.dispatch(DESTINATION, to, body);
        _assertUnchanged(before);
    }

    function test_dispatch_refusesZeroDestination() public {
        HomeState memory before = _snapshot();
        bytes32 to = toBytes32(address(recipient));
        vm.expectRevert(Home.ZeroDomain.selector);
        home.dispatch(0, to, "x");
        _assertUnchanged(before);
        assertEq(uint256(home.nonces(0)), 0, "nonce(0) unchanged");
    }

    function test_dispatch_refusesLocalDestination() public {
        HomeState memory before = _snapshot();
        bytes32 to = toBytes32(address(recipient));
        vm.expectRevert(Home.DestinationIsLocal.selector);
        home.dispatch(ORIGIN, to, "x");
        _assertUnchanged(before);
        assertEq(uint256(home.nonces(ORIGIN)), 0, "nonce(ORIGIN) unchanged");
    }

    function test_dispatch_refusesRecipientWithUpperBytes() public {
        bytes32 to = bytes32(uint256(1) << 160) | toBytes32(address(recipient));
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Home.RecipientNotAddress.selector, to));
        home.dispatch(DESTINATION, to, "x");
        _assertUnchanged(before);

        bytes32 top = bytes32(uint256(0xff) << 248);
        vm.expectRevert(abi.encodeWithSelector(Home.RecipientNotAddress.selector, top));
        home.dispatch(DESTINATION, top, "x");
        _assertUnchanged(before);
    }

    function test_dispatch_acceptsZeroAndMaxAddressRecipients() public {
        vm.prank(SENDER);
        home.dispatch(DESTINATION, bytes32(0), "x");
        vm.prank(SENDER);
        home.dispatch(DESTINATION, bytes32(uint256(type(uint160).max)), "x");
        assertEq(home.count(), 2, "both accepted");
    }

    /// @dev Storage slot 2 packs `updater` (bytes 0-19), `failed` (byte 20) and `_count` (bytes 21-24).
    function _forceCount(uint256 leafCount) internal {
        bytes32 slot = bytes32(uint256(2));
        uint256 word = uint256(vm.load(address(home), slot));
        word = (word & ~(uint256(type(uint32).max) << 168)) | (leafCount << 168);
        vm.store(address(home), slot, bytes32(word));
        assertEq(home.count(), leafCount, "storage layout: _count forced");
        assertEq(home.updater(), updaterAddr, "storage layout: updater intact");
        assertFalse(home.failed(), "storage layout: failed intact");
    }

    function test_dispatch_lastLeafAcceptedThenTreeFull() public {
        uint256 maxLeaves = MerkleTree.MAX_LEAVES;
        assertEq(maxLeaves, 2 ** 32 - 1, "capacity");
        _forceCount(maxLeaves - 1);
        bytes memory message = _expectedMessage(0, DESTINATION, toBytes32(address(recipient)), "last");
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.Dispatch(keccak256(message), maxLeaves - 1, DESTINATION, 0, message);
        _dispatch(DESTINATION, "last");
        assertEq(home.count(), maxLeaves, "tree full");

        HomeState memory before = _snapshot();
        bytes32 to = toBytes32(address(recipient));
        vm.expectRevert(MerkleTree.MerkleTreeFull.selector);
        vm.prank(SENDER);
        home.dispatch(DESTINATION, to, "one too many");
        _assertUnchanged(before);
    }

    function test_dispatch_refusedWhilePaused() public {
        vm.prank(governance);
        home.pause();
        HomeState memory before = _snapshot();
        bytes32 to = toBytes32(address(recipient));
        vm.expectRevert(Pausable.IsPaused.selector);
        home.dispatch(DESTINATION, to, "x");
        _assertUnchanged(before);
    }

    function test_dispatch_refusedAfterFailure() public {
        _failHome(reporter);
        HomeState memory before = _snapshot();
        bytes32 to = toBytes32(address(recipient));
        vm.expectRevert(Home.HomeIsFailed.selector);
        home.dispatch(DESTINATION, to, "x");
        _assertUnchanged(before);
    }

    // ------------------------------------------------------------ checkpoint

    function test_checkpoint_recordsCurrentRootAndEmits() public {
        _dispatch(DESTINATION, "a");
        _dispatch(DESTINATION, "b");
        bytes32 expected = NaiveMerkle.root(dispatched);
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.Checkpointed(expected, 2);
        bytes32 returned = home.checkpoint();
        assertEq(returned, expected, "returns the current root");
        assertTrue(_produced(expected), "produced");
        assertEq(_checkpointCount(expected), 2, "count recorded");
        assertEq(home.committedRoot(), NaiveMerkle.root(new bytes32[](0)), "checkpoint does not commit");
    }

    function test_checkpoint_isIdempotentAndEmitsOnce() public {
        _dispatch(DESTINATION, "a");
        vm.recordLogs();
        bytes32 first = home.checkpoint();
        bytes32 second = home.checkpoint();
        vm.prank(strangerAddr);
        bytes32 third = home.checkpoint();
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(first, second, "same root twice");
        assertEq(first, third, "same root whoever calls");
        assertEq(_countLogs(logs, Home.Checkpointed.selector), 1, "Checkpointed emitted once");
        assertEq(logs[0].topics[1], first, "event names the root");
        assertEq(logs[0].data, abi.encode(uint256(1)), "event carries the count");
        assertEq(_checkpointCount(first), 1, "count kept");
    }

    function test_checkpoint_emptyTreeWasAlreadyProduced() public {
        vm.recordLogs();
        bytes32 currentRoot = home.checkpoint();
        assertEq(currentRoot, NaiveMerkle.root(new bytes32[](0)), "empty root");
        assertEq(vm.getRecordedLogs().length, 0, "no event: constructor already checkpointed it");
    }

    function test_checkpoint_eachNewRootKeepsItsOwnCount() public {
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes32 r2 = _dispatchAndCheckpoint("b");
        _dispatch(DESTINATION, "c");
        _dispatch(DESTINATION, "d");
        bytes32 r4 = home.checkpoint();
        assertEq(_checkpointCount(r1), 1, "r1 count");
        assertEq(_checkpointCount(r2), 2, "r2 count");
        assertEq(_checkpointCount(r4), 4, "r4 count");
        assertEq(r4, NaiveMerkle.root(dispatched), "r4 is the naive root");
    }

    function test_checkpoint_allowedWhilePaused() public {
        _dispatch(DESTINATION, "a");
        vm.prank(governance);
        home.pause();
        bytes32 currentRoot = home.checkpoint();
        assertTrue(_produced(currentRoot), "checkpoint is not a user path");
    }

    function test_checkpoint_refusedAfterFailure() public {
        _dispatch(DESTINATION, "a");
        _failHome(reporter);
        bytes32 currentRoot = home.root();
        HomeState memory before = _snapshot();
        vm.expectRevert(Home.HomeIsFailed.selector);
        home.checkpoint();
        _assertUnchanged(before);
        assertFalse(_produced(currentRoot), "root not checkpointed");
    }

    // ------------------------------------------------------------ update

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
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(UpdaterSignatures.NotUpdaterSignature.selector, strangerAddr));
        home.update(r0, r1, signature);
        _assertUnchanged(before);
    }

    function test_update_refusesSignatureForAnotherDomain() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = signUpdate(UPDATER_KEY, DESTINATION, r0, r1);
        address recovered =
            recoverLoose(updateDigest(block.chainid, address(home), ORIGIN, r0, r1), signature);
        assertTrue(recovered != updaterAddr, "a signature for domain 2000 does not recover to the updater");
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(UpdaterSignatures.NotUpdaterSignature.selector, recovered));
        home.update(r0, r1, signature);
        _assertUnchanged(before);
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
        HomeState memory before = _snapshot();
        vm.expectRevert(SignatureVerifier.MalleableSignature.selector);
        home.update(r0, r1, twin);
        _assertUnchanged(before);
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
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(SignatureVerifier.InvalidSignatureLength.selector, 64));
        home.update(r0, r1, short);
        vm.expectRevert(abi.encodeWithSelector(SignatureVerifier.InvalidSignatureLength.selector, 66));
        home.update(r0, r1, long);
        vm.expectRevert(abi.encodeWithSelector(SignatureVerifier.InvalidSignatureLength.selector, 0));
        home.update(r0, r1, "");
        _assertUnchanged(before);
    }

    function test_update_refusesInvalidV() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
        signature[64] = bytes1(uint8(signature[64]) - 27); // v as 0/1 instead of 27/28
        uint8 v = uint8(signature[64]);
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(SignatureVerifier.InvalidSignatureV.selector, v));
        home.update(r0, r1, signature);
        _assertUnchanged(before);
    }

    function test_update_refusesUnrecoverableSignature() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = abi.encodePacked(bytes32(0), bytes32(uint256(1)), uint8(27));
        HomeState memory before = _snapshot();
        vm.expectRevert(SignatureVerifier.InvalidSignature.selector);
        home.update(r0, r1, signature);
        _assertUnchanged(before);
    }

    function test_update_refusesOldRootNotCommitted() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes32 r2 = _dispatchAndCheckpoint("b");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r1, r2);
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Home.NotCommittedRoot.selector, r1, r0));
        home.update(r1, r2, signature);
        _assertUnchanged(before);
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
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Home.RootNotNewer.selector, r1));
        home.update(r1, r1, signature);
        _assertUnchanged(before);
    }

    function test_update_refusesOlderCheckpoint() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes32 r2 = _dispatchAndCheckpoint("b");
        _update(r0, r2);
        bytes memory back1 = signUpdate(UPDATER_KEY, ORIGIN, r2, r1);
        bytes memory back0 = signUpdate(UPDATER_KEY, ORIGIN, r2, r0);
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Home.RootNotNewer.selector, r1));
        home.update(r2, r1, back1);
        vm.expectRevert(abi.encodeWithSelector(Home.RootNotNewer.selector, r0));
        home.update(r2, r0, back0);
        _assertUnchanged(before);
    }

    function test_update_refusesWhenBondTooLow() public {
        vm.prank(governance);
        home.setRequiredBond(2 ether);
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Home.UpdaterBondTooLow.selector, 1 ether, 2 ether));
        home.update(r0, r1, signature);
        _assertUnchanged(before);

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
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Home.UpdaterBondTooLow.selector, 0, BOND));
        home.update(r0, r1, signature);
        _assertUnchanged(before);
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
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(UpdaterSignatures.NotUpdaterSignature.selector, strangerAddr));
        home.update(r0, bogus, signature);
        _assertUnchanged(before);
    }

    // ------------------------------------------------------------ improperUpdate

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
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Home.NotImproper.selector, r1));
        vm.prank(reporter);
        home.improperUpdate(r0, r1, toR1);
        vm.expectRevert(abi.encodeWithSelector(Home.NotImproper.selector, r0));
        vm.prank(reporter);
        home.improperUpdate(r0, r0, toR0);
        _assertUnchanged(before);
    }

    function test_improperUpdate_refusesOnceRootIsCheckpointed() public {
        bytes32 r0 = home.committedRoot();
        _dispatch(DESTINATION, "a");
        bytes32 next = home.root();
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, next);
        home.checkpoint();
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Home.NotImproper.selector, next));
        home.improperUpdate(r0, next, signature);
        _assertUnchanged(before);
    }

    function test_improperUpdate_refusesBadSignature() public {
        bytes32 r0 = home.committedRoot();
        bytes32 bogus = keccak256("bogus");
        bytes memory byStranger = signUpdate(STRANGER_KEY, ORIGIN, r0, bogus);
        bytes memory otherDomain = signUpdate(UPDATER_KEY, DESTINATION, r0, bogus);
        bytes memory twin = malleate(signUpdate(UPDATER_KEY, ORIGIN, r0, bogus));
        address otherDomainSigner =
            recoverLoose(updateDigest(block.chainid, address(home), ORIGIN, r0, bogus), otherDomain);
        HomeState memory before = _snapshot();

        vm.expectRevert(abi.encodeWithSelector(UpdaterSignatures.NotUpdaterSignature.selector, strangerAddr));
        home.improperUpdate(r0, bogus, byStranger);
        vm.expectRevert(
            abi.encodeWithSelector(UpdaterSignatures.NotUpdaterSignature.selector, otherDomainSigner)
        );
        home.improperUpdate(r0, bogus, otherDomain);
        vm.expectRevert(SignatureVerifier.MalleableSignature.selector);
        home.improperUpdate(r0, bogus, twin);
        vm.expectRevert(abi.encodeWithSelector(SignatureVerifier.InvalidSignatureLength.selector, 1));
        home.improperUpdate(r0, bogus, hex"00");
        _assertUnchanged(before);
    }

    // ------------------------------------------------------------ doubleUpdate

    function test_doubleUpdate_failsHomeAndCreditsReporter() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes32 r2 = _dispatchAndCheckpoint("b");
        // Both roots are genuine, yet two different roots over one old root are fraud.
        bytes32[2] memory roots = [r1, r2];
        bytes memory sig0 = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
        bytes memory sig1 = signUpdate(UPDATER_KEY, ORIGIN, r0, r2);
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
        bytes memory sig0 = signUpdate(UPDATER_KEY, ORIGIN, r0, bogus);
        bytes memory sig1 = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
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
        HomeState memory before = _snapshot();
        vm.expectRevert(UpdaterSignatures.NotConflicting.selector);
        vm.prank(reporter);
        home.doubleUpdate(r0, roots, signature, signature);
        _assertUnchanged(before);
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
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(UpdaterSignatures.NotUpdaterSignature.selector, strangerAddr));
        home.doubleUpdate(r0, roots, goodA, badB);
        vm.expectRevert(abi.encodeWithSelector(UpdaterSignatures.NotUpdaterSignature.selector, strangerAddr));
        home.doubleUpdate(r0, roots, badA, goodB);
        _assertUnchanged(before);
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
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(UpdaterSignatures.NotUpdaterSignature.selector, recovered));
        home.doubleUpdate(r0, roots, sig0, sig1);
        _assertUnchanged(before);
    }

    function test_doubleUpdate_refusesMalleableSignature() public {
        bytes32 r0 = home.committedRoot();
        bytes32 a = keccak256("a");
        bytes32 b = keccak256("b");
        bytes32[2] memory roots = [a, b];
        bytes memory sig0 = signUpdate(UPDATER_KEY, ORIGIN, r0, a);
        bytes memory sig1 = malleate(signUpdate(UPDATER_KEY, ORIGIN, r0, b));
        HomeState memory before = _snapshot();
        vm.expectRevert(SignatureVerifier.MalleableSignature.selector);
        home.doubleUpdate(r0, roots, sig0, sig1);
        _assertUnchanged(before);
    }

    // ------------------------------------------------------------ after failure

    function test_afterFailure_updateRefused() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
        _failHome(reporter);
        HomeState memory before = _snapshot();
        vm.expectRevert(Home.HomeIsFailed.selector);
        home.update(r0, r1, signature);
        _assertUnchanged(before);
    }

    function test_afterFailure_improperUpdateRefused() public {
        bytes32 r0 = home.committedRoot();
        bytes32 other = keccak256("another bogus root");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, other);
        _failHome(reporter);
        HomeState memory before = _snapshot();
        vm.expectRevert(Home.HomeIsFailed.selector);
        vm.prank(strangerAddr);
        home.improperUpdate(r0, other, signature);
        _assertUnchanged(before);
    }

    function test_afterFailure_doubleUpdateRefused() public {
        bytes32 r0 = home.committedRoot();
        bytes32 a = keccak256("a");
        bytes32 b = keccak256("b");
        bytes32[2] memory roots = [a, b];
        bytes memory sig0 = signUpdate(UPDATER_KEY, ORIGIN, r0, a);
        bytes memory sig1 = signUpdate(UPDATER_KEY, ORIGIN, r0, b);
        _failHome(reporter);
        HomeState memory before = _snapshot();
        vm.expectRevert(Home.HomeIsFailed.selector);
        vm.prank(strangerAddr);
        home.doubleUpdate(r0, roots, sig0, sig1);
        _assertUnchanged(before);
    }

    function test_afterFailure_setUpdaterRefused() public {
        _failHome(reporter);
        HomeState memory before = _snapshot();
        vm.expectRevert(Home.HomeIsFailed.selector);
        vm.prank(governance);
        home.setUpdater(strangerAddr);
        _assertUnchanged(before);
    }

    function test_afterFailure_rewardsAndFormerBondsStillWithdrawable() public {
        // A former updater's bond and the reporter's reward are not trapped by the failure.
        vm.prank(governance);
        home.setUpdater(strangerAddr);
        vm.deal(strangerAddr, 1 ether);
        vm.prank(strangerAddr);
        home.depositBond{value: 1 ether}(strangerAddr);
        bytes32 r0 = home.committedRoot();
        bytes32 bogus = keccak256("bogus");
        bytes memory signature = signUpdate(STRANGER_KEY, ORIGIN, r0, bogus);
        vm.prank(reporter);
        home.improperUpdate(r0, bogus, signature);
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

    // ------------------------------------------------------------ bonds

    function test_depositBond_creditsAnotherAccountAndMovesEther() public {
        vm.deal(strangerAddr, 3 ether);
        uint256 homeBalance = address(home).balance;
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.BondDeposited(reporter, strangerAddr, 2 ether);
        vm.prank(strangerAddr);
        home.depositBond{value: 2 ether}(reporter);
        assertEq(home.bonds(reporter), 2 ether, "credited to the named account");
        assertEq(home.bonds(strangerAddr), 0, "not to the payer");
        assertEq(strangerAddr.balance, 1 ether, "payer paid");
        assertEq(address(home).balance, homeBalance + 2 ether, "home holds it");
    }

    function test_depositBond_topsUpUpdaterBond() public {
        vm.deal(strangerAddr, 1 ether);
        vm.prank(strangerAddr);
        home.depositBond{value: 0.5 ether}(updaterAddr);
        assertEq(home.bonds(updaterAddr), BOND + 0.5 ether, "added to the updater's bond");
    }

    function test_withdrawBond_refusedForCurrentUpdater() public {
        HomeState memory before = _snapshot();
        uint256 balance = updaterAddr.balance;
        vm.expectRevert(Home.BondLocked.selector);
        vm.prank(updaterAddr);
        home.withdrawBond(1);
        vm.expectRevert(Home.BondLocked.selector);
        vm.prank(updaterAddr);
        home.withdrawBond(0);
        _assertUnchanged(before);
        assertEq(updaterAddr.balance, balance, "no ether moved");
    }

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
        vm.expectRevert(abi.encodeWithSelector(UpdaterSignatures.NotUpdaterSignature.selector, updaterAddr));
        home.improperUpdate(r0, bogus, signature);
        assertFalse(home.failed(), "not failed");
    }

    function test_selfReportedFraud_stillCostsHalfTheBond() public {
        bytes32 r0 = home.committedRoot();
        bytes32 bogus = keccak256("self-reported");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, bogus);
        uint256 before = updaterAddr.balance;
        vm.prank(updaterAddr);
        home.improperUpdate(r0, bogus, signature);
        vm.prank(updaterAddr);
        home.claimSlashReward();
        assertEq(updaterAddr.balance, before + BOND / 2, "the updater gets back only half");
        assertEq(home.burnedBonds(), BOND / 2, "half burned");
    }

    function test_depositBond_refusedAfterFailure() public {
        _failHome(reporter);
        vm.deal(address(this), 1 ether);
        vm.expectRevert(Home.HomeIsFailed.selector);
        home.depositBond{value: 1 ether}(updaterAddr);
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

    function test_withdrawBond_refusesMoreThanHeld() public {
        vm.prank(governance);
        home.setUpdater(strangerAddr);
        vm.warp(block.timestamp + home.bondLockSeconds());
        HomeState memory before = _snapshot();
        uint256 held = home.bonds(updaterAddr);
        vm.expectRevert(abi.encodeWithSelector(Home.InsufficientBalance.selector, BOND + 1, BOND));
        vm.prank(updaterAddr);
        home.withdrawBond(BOND + 1);
        _assertUnchanged(before);
        assertEq(home.bonds(updaterAddr), held, "bond unchanged");
    }

    function test_withdrawBond_byAccountThatNeverUpdated() public {
        vm.deal(strangerAddr, 1 ether);
        vm.prank(strangerAddr);
        home.depositBond{value: 1 ether}(strangerAddr);
        vm.prank(strangerAddr);
        home.withdrawBond(1 ether);
        assertEq(strangerAddr.balance, 1 ether, "got it back");
        assertEq(home.bonds(strangerAddr), 0, "no bond left");

        vm.expectRevert(abi.encodeWithSelector(Home.InsufficientBalance.selector, 1, 0));
        vm.prank(reporter);
        home.withdrawBond(1);
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

    function test_withdrawBond_etherRejectingAccountKeepsBond() public {
        HomeEtherRejectingAccount account = new HomeEtherRejectingAccount(home);
        home.depositBond{value: 1 ether}(address(account));
        uint256 homeBalance = address(home).balance;
        vm.expectRevert(Home.EtherTransferFailed.selector);
        account.withdraw(1 ether);
        assertEq(home.bonds(address(account)), 1 ether, "bond kept");
        assertEq(address(home).balance, homeBalance, "ether kept");
    }

    function test_withdrawBond_refusesReentry() public {
        HomeReenteringAccount account = new HomeReenteringAccount(home);
        account.setMode(1);
        home.depositBond{value: 2 ether}(address(account));
        account.withdraw(1 ether);
        assertTrue(account.reentered(), "receive ran");
        assertEq(
            account.reentryRevert(),
            abi.encodeWithSelector(ReentrancyGuard.Reentrancy.selector),
            "re-entry refused by the guard"
        );
        assertEq(home.bonds(address(account)), 1 ether, "only the outer withdrawal happened");
        assertEq(address(account).balance, 1 ether, "only the outer ether moved");
    }

    // ------------------------------------------------------------ claimSlashReward

    function test_claimSlashReward_movesEther() public {
        _failHome(reporter);
        uint256 homeBalance = address(home).balance;
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.SlashRewardClaimed(reporter, BOND / 2);
        vm.prank(reporter);
        home.claimSlashReward();
        assertEq(reporter.balance, BOND / 2, "reporter paid");
        assertEq(address(home).balance, homeBalance - BOND / 2, "home paid out");
        assertEq(home.slashRewards(reporter), 0, "reward cleared");
    }

    function test_claimSlashReward_refusesNothingToClaim() public {
        HomeState memory before = _snapshot();
        vm.expectRevert(Home.NothingToClaim.selector);
        vm.prank(strangerAddr);
        home.claimSlashReward();
        _assertUnchanged(before);
    }

    function test_claimSlashReward_cannotClaimTwice() public {
        _failHome(reporter);
        vm.prank(reporter);
        home.claimSlashReward();
        HomeState memory before = _snapshot();
        vm.expectRevert(Home.NothingToClaim.selector);
        vm.prank(reporter);
        home.claimSlashReward();
        _assertUnchanged(before);
        assertEq(reporter.balance, BOND / 2, "paid once");
    }

    function test_claimSlashReward_etherRejectingReporterKeepsReward() public {
        HomeEtherRejectingAccount account = new HomeEtherRejectingAccount(home);
        bytes32 r0 = home.committedRoot();
        bytes32 bogus = keccak256("bogus");
        account.reportImproper(r0, bogus, signUpdate(UPDATER_KEY, ORIGIN, r0, bogus));
        assertEq(home.slashRewards(address(account)), BOND / 2, "credited");
        uint256 homeBalance = address(home).balance;
        vm.expectRevert(Home.EtherTransferFailed.selector);
        account.claim();
        assertEq(home.slashRewards(address(account)), BOND / 2, "reward kept");
        assertEq(address(home).balance, homeBalance, "ether kept");
    }

    function test_claimSlashReward_refusesReentry() public {
        HomeReenteringAccount account = new HomeReenteringAccount(home);
        account.setMode(2);
        bytes32 r0 = home.committedRoot();
        bytes32 bogus = keccak256("bogus");
        account.reportImproper(r0, bogus, signUpdate(UPDATER_KEY, ORIGIN, r0, bogus));
        account.claim();
        assertEq(
            account.reentryRevert(),
            abi.encodeWithSelector(ReentrancyGuard.Reentrancy.selector),
            "re-entry refused by the guard"
        );
        assertEq(address(account).balance, BOND / 2, "paid exactly once");
        assertEq(home.slashRewards(address(account)), 0, "reward cleared");
    }

    // ------------------------------------------------------------ governance

    function test_setUpdater_rotatesKeyAndEmits() public {
        vm.expectEmit(true, true, true, true, address(home));
        emit UpdaterSignatures.UpdaterChanged(updaterAddr, strangerAddr);
        vm.prank(governance);
        home.setUpdater(strangerAddr);
        assertEq(home.updater(), strangerAddr, "rotated");

        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory oldKey = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
        vm.expectRevert(abi.encodeWithSelector(UpdaterSignatures.NotUpdaterSignature.selector, updaterAddr));
        home.update(r0, r1, oldKey);

        vm.deal(strangerAddr, BOND);
        vm.prank(strangerAddr);
        home.depositBond{value: BOND}(strangerAddr);
        home.update(r0, r1, signUpdate(STRANGER_KEY, ORIGIN, r0, r1));
        assertEq(home.committedRoot(), r1, "new key's update accepted");
    }

    function test_setUpdater_refusesZero() public {
        HomeState memory before = _snapshot();
        vm.expectRevert(UpdaterSignatures.ZeroUpdater.selector);
        vm.prank(governance);
        home.setUpdater(address(0));
        _assertUnchanged(before);
    }

    function test_setUpdater_onlyOwner() public {
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, updaterAddr));
        vm.prank(updaterAddr);
        home.setUpdater(strangerAddr);
        _assertUnchanged(before);
    }

    function test_setRequiredBond_setsAndEmits() public {
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.RequiredBondChanged(3 ether);
        vm.prank(governance);
        home.setRequiredBond(3 ether);
        assertEq(home.requiredBond(), 3 ether, "set");
    }

    function test_setRequiredBond_onlyOwner() public {
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, strangerAddr));
        vm.prank(strangerAddr);
        home.setRequiredBond(0);
        _assertUnchanged(before);
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
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, strangerAddr));
        vm.prank(strangerAddr);
        home.pause();
        _assertUnchanged(before);
    }

    function test_unpause_onlyOwner() public {
        vm.prank(governance);
        home.pause();
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, strangerAddr));
        vm.prank(strangerAddr);
        home.unpause();
        _assertUnchanged(before);
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
        HomeState memory before = _snapshot();
        vm.expectRevert(Pausable.IsPaused.selector);
        vm.prank(governance);
        home.pause();
        _assertUnchanged(before);
    }

    function test_unpause_refusesWhenNotPaused() public {
        HomeState memory before = _snapshot();
        vm.expectRevert(Pausable.NotPaused.selector);
        vm.prank(governance);
        home.unpause();
        _assertUnchanged(before);
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
        bytes32 r0 = home.committedRoot();
        bytes32 bogus = keccak256("bogus");
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, r0, bogus);
        vm.prank(reporter);
        home.improperUpdate(r0, bogus, signature);
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
        bytes memory sig0 = signUpdate(UPDATER_KEY, ORIGIN, r0, roots[0]);
        bytes memory sig1 = signUpdate(UPDATER_KEY, ORIGIN, r0, roots[1]);
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

        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotPendingOwner.selector, strangerAddr));
        vm.prank(strangerAddr);
        home.acceptOwnership();
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotPendingOwner.selector, governance));
        vm.prank(governance);
        home.acceptOwnership();
        _assertUnchanged(before);

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
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, strangerAddr));
        vm.prank(strangerAddr);
        home.transferOwnership(strangerAddr);
        _assertUnchanged(before);
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
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotPendingOwner.selector, strangerAddr));
        vm.prank(strangerAddr);
        home.acceptOwnership();
        _assertUnchanged(before);
    }

    // ------------------------------------------------------------ fuzz

    function testFuzz_dispatch_noncesAndRootMatchNaiveMerkle(uint256 seed, uint256 rawCount) public {
        uint256 n = bound(rawCount, 1, 6);
        for (uint256 i = 0; i < n; ++i) {
            uint256 entropy = uint256(keccak256(abi.encode(seed, i)));
            uint32 destination = uint32(bound(entropy, 1, type(uint32).max));
            if (destination == ORIGIN) destination = ORIGIN + 1;
            // A few destinations repeat, so per-destination nonces really advance.
            if (entropy % 3 == 0) destination = DESTINATION;
            bytes32 to = bytes32(uint256(uint160(entropy >> 8)));
            bytes memory body = _randomBody(entropy, bound(entropy >> 40, 0, 2048));

            uint32 expectedNonce = home.nonces(destination);
            bytes memory message =
                abi.encodePacked(ORIGIN, toBytes32(SENDER), expectedNonce, destination, to, body);
            vm.expectEmit(true, true, true, true, address(home));
            emit Home.Dispatch(keccak256(message), i, destination, expectedNonce, message);
            vm.prank(SENDER);
            (bytes32 leaf, uint32 nonce) = home.dispatch(destination, to, body);
            dispatched.push(leaf);

            assertEq(leaf, keccak256(message), "leaf");
            assertEq(uint256(nonce), uint256(expectedNonce), "returned nonce");
            assertEq(uint256(home.nonces(destination)), uint256(expectedNonce) + 1, "nonce incremented");
            assertEq(home.count(), i + 1, "count");
            assertEq(home.root(), NaiveMerkle.root(dispatched), "root equals naive root");
        }
        assertEq(home.checkpoint(), NaiveMerkle.root(dispatched), "checkpointed root equals naive root");
    }

    function testFuzz_dispatch_acceptsAnyBodyUpToMax(bytes calldata body, uint32 destination, address to)
        public
    {
        vm.assume(body.length <= 2048);
        if (destination == 0 || destination == ORIGIN) destination = DESTINATION;
        vm.prank(SENDER);
        (bytes32 leaf, uint32 nonce) = home.dispatch(destination, toBytes32(to), body);
        assertEq(
            leaf,
            keccak256(
                abi.encodePacked(ORIGIN, toBytes32(SENDER), uint32(0), destination, toBytes32(to), body)
            ),
            "leaf"
        );
        assertEq(uint256(nonce), 0, "first nonce");
        dispatched.push(leaf);
        assertEq(home.root(), NaiveMerkle.root(dispatched), "root");
    }

    function testFuzz_dispatch_refusesAnyBodyOverMax(uint256 rawLength) public {
        uint256 length = bound(rawLength, 2049, 4096);
        bytes memory body = new bytes(length);
        bytes32 to = toBytes32(address(recipient));
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Home.BodyTooLarge.selector, length));
        home.dispatch(DESTINATION, to, body);
        _assertUnchanged(before);
    }

    function testFuzz_dispatch_refusesRecipientWithUpperBits(bytes32 to) public {
        vm.assume(uint256(to) >> 160 != 0);
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(Home.RecipientNotAddress.selector, to));
        home.dispatch(DESTINATION, to, "x");
        _assertUnchanged(before);
    }

    function testFuzz_update_nonUpdaterKeysNeverUpdate(uint256 rawKey) public {
        uint256 key = bound(rawKey, 1, SECP256K1_N - 1);
        address signer = vm.addr(key);
        vm.assume(signer != updaterAddr);
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint("a");
        bytes memory signature = signUpdate(key, ORIGIN, r0, r1);
        HomeState memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(UpdaterSignatures.NotUpdaterSignature.selector, signer));
        home.update(r0, r1, signature);
        bytes32 bogus = keccak256(abi.encode(rawKey));
        bytes memory improper = signUpdate(key, ORIGIN, r0, bogus);
        vm.expectRevert(abi.encodeWithSelector(UpdaterSignatures.NotUpdaterSignature.selector, signer));
        home.update(r0, bogus, improper);
        _assertUnchanged(before);
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

    function _randomBody(uint256 seed, uint256 length) internal pure returns (bytes memory body) {
        body = new bytes(length);
        for (uint256 offset = 0; offset < length; offset += 32) {
            bytes32 word = keccak256(abi.encode(seed, offset));
            for (uint256 j = 0; j < 32 && offset + j < length; ++j) {
                body[offset + j] = word[j];
            }
        }
    }
}
