// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MessagingFixture} from "./utils/MessagingFixture.sol";
import {ConnectionManager} from "../../src/messaging/ConnectionManager.sol";
import {Replica} from "../../src/messaging/Replica.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";
import {SignatureVerifier} from "../../src/libraries/SignatureVerifier.sol";
import {TREE_DEPTH} from "../../src/messaging/libraries/MerkleTree.sol";

/// @notice Answers the enrollment questions like a Replica would, with any values, including ones a real
///         Replica's constructor refuses (remote domain zero).
contract ConnectionManagerFakeReplica {
    uint32 public remoteDomain;
    uint32 public localDomain;
    address public connectionManager;
    Replica.State public state;

    constructor(uint32 remote, uint32 local, address manager) {
        remoteDomain = remote;
        localDomain = local;
        connectionManager = manager;
        state = Replica.State.Active;
    }
}

contract ConnectionManagerTest is MessagingFixture {
    address internal strangerAddr;

    /// @dev Everything a refused call must leave untouched.
    struct ManagerState {
        address originReplica;
        address otherReplica;
        uint32 replicaDomain;
        uint256 replicaState;
        bool watcherPermitted;
        bool inbound;
        address owner;
        address pendingOwner;
    }

    function setUp() public override {
        super.setUp();
        strangerAddr = vm.addr(STRANGER_KEY);
        vm.label(address(manager), "manager");
        vm.label(address(replica), "replica");
        vm.label(watcherAddr, "watcher");
        vm.label(strangerAddr, "stranger");
    }

    // ------------------------------------------------------------ helpers

    function _snapshot() internal view returns (ManagerState memory s) {
        s.originReplica = manager.domainToReplica(ORIGIN);
        s.otherReplica = manager.domainToReplica(OTHER_DOMAIN);
        s.replicaDomain = manager.replicaToDomain(address(replica));
        s.replicaState = uint256(replica.state());
        s.watcherPermitted = manager.watcherPermission(watcherAddr, ORIGIN);
        s.inbound = manager.isInbound(address(replica), ORIGIN);
        s.owner = manager.owner();
        s.pendingOwner = manager.pendingOwner();
    }

    function _assertUnchanged(ManagerState memory before) internal view {
        ManagerState memory s = _snapshot();
        assertEq(s.originReplica, before.originReplica, "domainToReplica(ORIGIN) unchanged");
        assertEq(s.otherReplica, before.otherReplica, "domainToReplica(OTHER_DOMAIN) unchanged");
        assertEq(uint256(s.replicaDomain), uint256(before.replicaDomain), "replicaToDomain unchanged");
        assertEq(s.replicaState, before.replicaState, "replica state unchanged");
        assertEq(s.watcherPermitted, before.watcherPermitted, "watcher permission unchanged");
        assertEq(s.inbound, before.inbound, "isInbound unchanged");
        assertEq(s.owner, before.owner, "owner unchanged");
        assertEq(s.pendingOwner, before.pendingOwner, "pendingOwner unchanged");
    }

    /// @dev `caller` calls the manager with `callData`, which must revert with `reason` and leave the manager (and
    ///      the fixture's Replica) as they were.
    function _expectRefused(address caller, bytes memory callData, bytes memory reason) internal {
        ManagerState memory before = _snapshot();
        expectRevertFrom(caller, address(manager), callData, reason);
        _assertUnchanged(before);
    }

    /// @dev Governance's enrollment of `candidate` must be refused as not enrollable, changing nothing.
    function _expectNotEnrollable(address candidate) internal {
        _expectRefused(
            governance,
            abi.encodeCall(manager.enrollReplica, (candidate)),
            abi.encodeWithSelector(ConnectionManager.ReplicaNotEnrollable.selector, candidate)
        );
    }

    /// @dev A watcher notice submitted by this contract must be refused with `reason`, changing nothing.
    function _expectNoticeRefused(
        uint32 domain,
        address noticeUpdater,
        bytes memory notice,
        bytes memory reason
    ) internal {
        _expectRefused(
            address(this),
            abi.encodeCall(manager.unenrollReplicaByWatcher, (domain, noticeUpdater, notice)),
            reason
        );
    }

    /// @dev The revert of a notice that does not recover to a watcher permitted for `domain`: `signer` instead.
    function _notPermitted(address signer, uint32 domain) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ConnectionManager.NotPermittedWatcher.selector, signer, domain);
    }

    /// @dev A notice against whatever Replica is enrolled for `domain` now.
    function _notice(uint256 key, uint32 domain, address noticeUpdater) internal view returns (bytes memory) {
        return signNotice(key, address(manager), domain, noticeUpdater, manager.domainToReplica(domain));
    }

    /// @dev What a watcher signs for this fixture's manager to halt `target`.
    function _noticeDigest(uint32 domain, address noticeUpdater, address target)
        internal
        view
        returns (bytes32)
    {
        return watcherNoticeDigest(block.chainid, address(manager), domain, noticeUpdater, target);
    }

    /// @dev A Replica of `home` like the fixture's, on `local` for `remote`, bound to `boundManager`.
    function _newReplica(uint32 local, uint32 remote, address boundManager) internal returns (Replica) {
        ReplicaArgs memory args = replicaArgs();
        args.localDomain = local;
        args.remoteDomain = remote;
        args.connectionManager = boundManager;
        return deployReplica(args);
    }

    function _assertHalted(Replica target) internal view {
        assertEq(uint256(target.state()), uint256(Replica.State.Halted), "replica halted");
    }

    function _haltedError() internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Replica.ReplicaNotActive.selector, Replica.State.Halted);
    }

    // ------------------------------------------------------------ constructor

    function test_constructor_refusesZeroDomain() public {
        vm.expectRevert(ConnectionManager.ZeroDomain.selector);
        new ConnectionManager(0, governance);
    }

    function test_constructor_refusesZeroOwner() public {
        vm.expectRevert(Ownable2Step.ZeroOwner.selector);
        new ConnectionManager(DESTINATION, address(0));
    }

    function test_constructor_setsDomainAndOwner() public {
        vm.expectEmit(true, true, true, true);
        emit Ownable2Step.OwnershipTransferred(address(0), governance);
        ConnectionManager fresh = new ConnectionManager(OTHER_DOMAIN, governance);
        assertEq(uint256(fresh.localDomain()), OTHER_DOMAIN, "localDomain");
        assertEq(fresh.owner(), governance, "owner");
        assertEq(fresh.domainToReplica(ORIGIN), address(0), "nothing enrolled");
    }

    function test_fixture_replicaEnrolledAndWatcherPermitted() public view {
        assertEq(manager.domainToReplica(ORIGIN), address(replica), "domainToReplica");
        assertEq(uint256(manager.replicaToDomain(address(replica))), ORIGIN, "replicaToDomain");
        assertTrue(manager.isInbound(address(replica), ORIGIN), "inbound");
        assertTrue(manager.watcherPermission(watcherAddr, ORIGIN), "watcher permitted");
        assertFalse(manager.watcherPermission(watcherAddr, OTHER_DOMAIN), "only for ORIGIN");
    }

    // ------------------------------------------------------------ enrollReplica

    function test_enrollReplica_enrollsAndEmits() public {
        ConnectionManager fresh = new ConnectionManager(DESTINATION, governance);
        Replica candidate = _newReplica(DESTINATION, ORIGIN, address(fresh));
        assertFalse(fresh.isInbound(address(candidate), ORIGIN), "not inbound before enrollment");
        vm.expectEmit(true, true, true, true, address(fresh));
        emit ConnectionManager.ReplicaEnrolled(ORIGIN, address(candidate));
        vm.prank(governance);
        fresh.enrollReplica(address(candidate));
        assertEq(fresh.domainToReplica(ORIGIN), address(candidate), "domainToReplica");
        assertEq(uint256(fresh.replicaToDomain(address(candidate))), ORIGIN, "replicaToDomain");
        assertTrue(fresh.isInbound(address(candidate), ORIGIN), "inbound");
        assertFalse(fresh.isInbound(address(candidate), OTHER_DOMAIN), "only for its own origin");
    }

    function test_enrollReplica_secondDomainAlongsideFirst() public {
        Replica other = _newReplica(DESTINATION, OTHER_DOMAIN, address(manager));
        vm.prank(governance);
        manager.enrollReplica(address(other));
        assertTrue(manager.isInbound(address(other), OTHER_DOMAIN), "other inbound for its domain");
        assertTrue(manager.isInbound(address(replica), ORIGIN), "first still inbound");
        assertFalse(manager.isInbound(address(other), ORIGIN), "other not inbound for ORIGIN");
        assertFalse(manager.isInbound(address(replica), OTHER_DOMAIN), "first not inbound for OTHER_DOMAIN");
    }

    function test_enrollReplica_refusesReplicaForAnotherLocalDomain() public {
        Replica foreign = _newReplica(OTHER_DOMAIN, ORIGIN, address(manager));
        _expectNotEnrollable(address(foreign));
        assertEq(uint256(manager.replicaToDomain(address(foreign))), 0, "not enrolled");
    }

    function test_enrollReplica_refusesReplicaBoundToAnotherManager() public {
        ConnectionManager otherManager = new ConnectionManager(DESTINATION, governance);
        Replica foreign = _newReplica(DESTINATION, OTHER_DOMAIN, address(otherManager));
        _expectNotEnrollable(address(foreign));
        assertEq(manager.domainToReplica(OTHER_DOMAIN), address(0), "not enrolled");
    }

    function test_enrollReplica_refusesAlreadyEnrolledDomain() public {
        Replica second = _newReplica(DESTINATION, ORIGIN, address(manager));
        _expectRefused(
            governance,
            abi.encodeCall(manager.enrollReplica, (address(second))),
            abi.encodeWithSelector(ConnectionManager.DomainAlreadyEnrolled.selector, ORIGIN, address(replica))
        );
        assertEq(uint256(manager.replicaToDomain(address(second))), 0, "second not enrolled");
    }

    function test_enrollReplica_refusesSameReplicaTwice() public {
        _expectNotEnrollable(address(replica));
    }

    function test_enrollReplica_refusesHaltedReplica() public {
        vm.prank(governance);
        manager.unenrollReplica(ORIGIN);
        _assertHalted(replica);
        _expectNotEnrollable(address(replica));
        assertEq(manager.domainToReplica(ORIGIN), address(0), "halted replica stays out");
    }

    function test_enrollReplica_refusesFailedReplica() public {
        Replica other = _newReplica(DESTINATION, OTHER_DOMAIN, address(manager));
        bytes32 oldRoot = other.committedRoot();
        bytes32[2] memory roots = [keccak256("a"), keccak256("b")];
        (bytes memory first, bytes memory second) =
            signDoubleUpdate(UPDATER_KEY, OTHER_DOMAIN, oldRoot, roots);
        other.doubleUpdate(oldRoot, roots, first, second);
        assertEq(uint256(other.state()), uint256(Replica.State.Failed), "failed");
        _expectNotEnrollable(address(other));
    }

    function test_enrollReplica_refusesRemoteDomainZero() public {
        ConnectionManagerFakeReplica fake = new ConnectionManagerFakeReplica(0, DESTINATION, address(manager));
        _expectNotEnrollable(address(fake));
        assertEq(manager.domainToReplica(0), address(0), "domain zero never enrolled");
    }

    function test_enrollReplica_refusesAddressWithoutCode() public {
        ManagerState memory before = _snapshot();
        // Not a Replica at all: the call to `remoteDomain()` itself reverts (no custom error to match).
        vm.expectRevert();
        vm.prank(governance);
        manager.enrollReplica(address(0xDEAD));
        _assertUnchanged(before);
    }

    function test_enrollReplica_onlyOwner() public {
        Replica other = _newReplica(DESTINATION, OTHER_DOMAIN, address(manager));
        _expectRefused(
            strangerAddr,
            abi.encodeCall(manager.enrollReplica, (address(other))),
            abi.encodeWithSelector(Ownable2Step.NotOwner.selector, strangerAddr)
        );
        assertEq(manager.domainToReplica(OTHER_DOMAIN), address(0), "not enrolled");
    }

    // ------------------------------------------------------------ unenrollReplica

    function test_unenrollReplica_haltsAndEmits() public {
        vm.expectEmit(true, true, true, true, address(manager));
        emit ConnectionManager.ReplicaUnenrolled(ORIGIN, address(replica), address(0));
        vm.expectEmit(true, true, true, true, address(replica));
        emit Replica.ReplicaHalted();
        vm.prank(governance);
        manager.unenrollReplica(ORIGIN);

        _assertHalted(replica);
        assertEq(manager.domainToReplica(ORIGIN), address(0), "domainToReplica cleared");
        assertEq(uint256(manager.replicaToDomain(address(replica))), 0, "replicaToDomain cleared");
        assertFalse(manager.isInbound(address(replica), ORIGIN), "no longer inbound");
    }

    function test_unenrollReplica_haltedReplicaRefusesUpdateAndDelivery() public {
        addMessage(0, "before unenroll");
        bytes32 ripeRoot = commitAndRipen();
        bytes memory message = messages[0];
        bytes32[TREE_DEPTH] memory proof = proofOf(0);

        vm.prank(governance);
        manager.unenrollReplica(ORIGIN);
        assertTrue(replica.acceptableRoot(ripeRoot), "root itself is ripe");

        vm.expectRevert(_haltedError());
        replica.proveAndProcess(message, proof, 0);

        addMessage(1, "after unenroll");
        bytes32 newRoot = treeRoot();
        bytes memory signature = signUpdate(UPDATER_KEY, ORIGIN, ripeRoot, newRoot);
        vm.expectRevert(_haltedError());
        replica.update(ripeRoot, newRoot, signature);

        assertEq(recipient.handledCount(), 0, "nothing delivered");
        assertEq(replica.committedRoot(), ripeRoot, "no update accepted");
        assertFalse(replica.isProcessed(0), "not processed");
    }

    function test_unenrollReplica_domainCanBeEnrolledAgainWithNewReplica() public {
        vm.prank(governance);
        manager.unenrollReplica(ORIGIN);
        Replica successor = _newReplica(DESTINATION, ORIGIN, address(manager));
        vm.prank(governance);
        manager.enrollReplica(address(successor));
        assertTrue(manager.isInbound(address(successor), ORIGIN), "successor inbound");
        assertFalse(manager.isInbound(address(replica), ORIGIN), "old replica not inbound");
    }

    function test_unenrollReplica_haltsFailedReplica() public {
        bytes32 oldRoot = replica.committedRoot();
        bytes32[2] memory roots = [keccak256("a"), keccak256("b")];
        (bytes memory first, bytes memory second) = signDoubleUpdate(UPDATER_KEY, ORIGIN, oldRoot, roots);
        replica.doubleUpdate(oldRoot, roots, first, second);
        assertEq(uint256(replica.state()), uint256(Replica.State.Failed), "failed");
        vm.prank(governance);
        manager.unenrollReplica(ORIGIN);
        _assertHalted(replica);
        assertEq(manager.domainToReplica(ORIGIN), address(0), "unenrolled");
    }

    function test_unenrollReplica_refusesDomainWithoutReplica() public {
        _expectRefused(
            governance,
            abi.encodeCall(manager.unenrollReplica, (OTHER_DOMAIN)),
            abi.encodeWithSelector(ConnectionManager.NoReplicaForDomain.selector, OTHER_DOMAIN)
        );
        _expectRefused(
            governance,
            abi.encodeCall(manager.unenrollReplica, (0)),
            abi.encodeWithSelector(ConnectionManager.NoReplicaForDomain.selector, 0)
        );
    }

    function test_unenrollReplica_refusesTwice() public {
        vm.prank(governance);
        manager.unenrollReplica(ORIGIN);
        _expectRefused(
            governance,
            abi.encodeCall(manager.unenrollReplica, (ORIGIN)),
            abi.encodeWithSelector(ConnectionManager.NoReplicaForDomain.selector, ORIGIN)
        );
    }

    function test_unenrollReplica_onlyOwner() public {
        _expectRefused(
            watcherAddr,
            abi.encodeCall(manager.unenrollReplica, (ORIGIN)),
            abi.encodeWithSelector(Ownable2Step.NotOwner.selector, watcherAddr)
        );
        assertEq(uint256(replica.state()), uint256(Replica.State.Active), "still active");
    }

    // ------------------------------------------------------------ unenrollReplicaByWatcher

    function test_unenrollReplicaByWatcher_haltsInsideOptimisticWindow() public {
        addMessage(0, "fraudulent");
        bytes32 pendingRoot = commitToReplica();
        assertFalse(replica.acceptableRoot(pendingRoot), "still inside the window");
        bytes memory message = messages[0];
        bytes32[TREE_DEPTH] memory proof = proofOf(0);
        bytes memory notice = _notice(WATCHER_KEY, ORIGIN, updaterAddr);

        vm.expectEmit(true, true, true, true, address(manager));
        emit ConnectionManager.ReplicaUnenrolled(ORIGIN, address(replica), watcherAddr);
        vm.expectEmit(true, true, true, true, address(replica));
        emit Replica.ReplicaHalted();
        vm.prank(strangerAddr); // anyone may submit the watcher's notice
        manager.unenrollReplicaByWatcher(ORIGIN, updaterAddr, notice);

        _assertHalted(replica);
        assertEq(manager.domainToReplica(ORIGIN), address(0), "unenrolled");
        assertEq(uint256(manager.replicaToDomain(address(replica))), 0, "reverse mapping cleared");
        assertFalse(manager.isInbound(address(replica), ORIGIN), "no longer inbound");

        // Once the window would have ended, the message still cannot be delivered.
        vm.warp(block.timestamp + WINDOW);
        assertTrue(replica.acceptableRoot(pendingRoot), "root would now be ripe");
        vm.expectRevert(_haltedError());
        replica.proveAndProcess(message, proof, 0);
        vm.expectRevert(_haltedError());
        replica.prove(keccak256(message), proof, 0);
        assertEq(recipient.handledCount(), 0, "nothing delivered");
    }

    function test_unenrollReplicaByWatcher_refusesUnpermittedSigner() public {
        bytes memory notice = _notice(STRANGER_KEY, ORIGIN, updaterAddr);
        _expectNoticeRefused(ORIGIN, updaterAddr, notice, _notPermitted(strangerAddr, ORIGIN));
    }

    function test_unenrollReplicaByWatcher_refusesWatcherPermittedOnlyForAnotherDomain() public {
        vm.prank(governance);
        manager.setWatcherPermission(strangerAddr, OTHER_DOMAIN, true);
        bytes memory notice = _notice(STRANGER_KEY, ORIGIN, updaterAddr);
        _expectNoticeRefused(ORIGIN, updaterAddr, notice, _notPermitted(strangerAddr, ORIGIN));
    }

    function test_unenrollReplicaByWatcher_refusesNoticeSignedForAnotherDomain() public {
        // The watcher signed a notice about OTHER_DOMAIN; it does not recover to the watcher for ORIGIN.
        bytes memory notice = _notice(WATCHER_KEY, OTHER_DOMAIN, updaterAddr);
        address recovered = recoverLoose(_noticeDigest(ORIGIN, updaterAddr, address(replica)), notice);
        assertTrue(recovered != watcherAddr, "recovers to someone else");
        _expectNoticeRefused(ORIGIN, updaterAddr, notice, _notPermitted(recovered, ORIGIN));
    }

    function test_unenrollReplicaByWatcher_refusesUpdaterSignatureAsNotice() public {
        // An updater's update signature is over a different preimage, so it is no notice from anyone permitted.
        bytes32 oldRoot = replica.committedRoot();
        bytes memory updateSig = signUpdate(WATCHER_KEY, ORIGIN, oldRoot, keccak256("x"));
        address recovered = recoverLoose(_noticeDigest(ORIGIN, updaterAddr, address(replica)), updateSig);
        _expectNoticeRefused(ORIGIN, updaterAddr, updateSig, _notPermitted(recovered, ORIGIN));
    }

    function test_unenrollReplicaByWatcher_refusesNoticeNamingAnotherUpdater() public {
        bytes memory notice = _notice(WATCHER_KEY, ORIGIN, strangerAddr);
        _expectNoticeRefused(
            ORIGIN,
            strangerAddr,
            notice,
            abi.encodeWithSelector(ConnectionManager.NotReplicaUpdater.selector, strangerAddr)
        );
    }

    function test_unenrollReplicaByWatcher_refusesNoticeWithUpdaterSwapped() public {
        // A notice about one updater cannot be re-targeted by changing the `updater` argument.
        bytes memory notice = _notice(WATCHER_KEY, ORIGIN, strangerAddr);
        address recovered = recoverLoose(_noticeDigest(ORIGIN, updaterAddr, address(replica)), notice);
        _expectNoticeRefused(ORIGIN, updaterAddr, notice, _notPermitted(recovered, ORIGIN));
    }

    function test_unenrollReplicaByWatcher_noticeCannotHaltAReplicaEnrolledLater() public {
        bytes memory notice = _notice(WATCHER_KEY, ORIGIN, updaterAddr);
        manager.unenrollReplicaByWatcher(ORIGIN, updaterAddr, notice);
        // Governance enrolls a fresh Replica for the same origin, keeping the same updater key.
        Replica fresh = deployReplica(replicaArgs());
        vm.prank(governance);
        manager.enrollReplica(address(fresh));

        address recovered = recoverLoose(_noticeDigest(ORIGIN, updaterAddr, address(fresh)), notice);
        vm.expectRevert(_notPermitted(recovered, ORIGIN));
        manager.unenrollReplicaByWatcher(ORIGIN, updaterAddr, notice);
        assertEq(uint256(fresh.state()), uint256(Replica.State.Active), "the replayed notice halts nothing");
        assertTrue(manager.isInbound(address(fresh), ORIGIN), "still enrolled");
    }

    function test_unenrollReplicaByWatcher_oldNoticeUselessOnceTheRotatedKeysRootsAreRipe() public {
        bytes memory oldNotice = _notice(WATCHER_KEY, ORIGIN, updaterAddr);
        vm.prank(governance);
        replica.setUpdater(strangerAddr);
        // Inside the window the rotated key still answers (see UpdaterRotation.t.sol); past it, it does not.
        vm.warp(block.timestamp + WINDOW);

        _expectNoticeRefused(
            ORIGIN,
            updaterAddr,
            oldNotice,
            abi.encodeWithSelector(ConnectionManager.NotReplicaUpdater.selector, updaterAddr)
        );

        // A notice naming the current updater still works.
        manager.unenrollReplicaByWatcher(ORIGIN, strangerAddr, _notice(WATCHER_KEY, ORIGIN, strangerAddr));
        _assertHalted(replica);
    }

    function test_unenrollReplicaByWatcher_refusesMalleableSignature() public {
        bytes memory twin = malleate(_notice(WATCHER_KEY, ORIGIN, updaterAddr));
        assertEq(
            recoverLoose(_noticeDigest(ORIGIN, updaterAddr, address(replica)), twin),
            watcherAddr,
            "the twin recovers to the watcher under plain ecrecover"
        );
        _expectNoticeRefused(
            ORIGIN, updaterAddr, twin, abi.encodeWithSelector(SignatureVerifier.MalleableSignature.selector)
        );
    }

    function test_unenrollReplicaByWatcher_refusesWrongSignatureLength() public {
        bytes memory notice = abi.encodePacked(_notice(WATCHER_KEY, ORIGIN, updaterAddr), uint8(0));
        _expectNoticeRefused(
            ORIGIN,
            updaterAddr,
            notice,
            abi.encodeWithSelector(SignatureVerifier.InvalidSignatureLength.selector, 66)
        );
    }

    function test_unenrollReplicaByWatcher_refusesDomainWithoutReplica() public {
        vm.prank(governance);
        manager.setWatcherPermission(watcherAddr, OTHER_DOMAIN, true);
        bytes memory notice = _notice(WATCHER_KEY, OTHER_DOMAIN, updaterAddr);
        _expectNoticeRefused(
            OTHER_DOMAIN,
            updaterAddr,
            notice,
            abi.encodeWithSelector(ConnectionManager.NoReplicaForDomain.selector, OTHER_DOMAIN)
        );
    }

    function test_unenrollReplicaByWatcher_refusesReplayAfterUnenrollment() public {
        bytes memory notice = _notice(WATCHER_KEY, ORIGIN, updaterAddr);
        manager.unenrollReplicaByWatcher(ORIGIN, updaterAddr, notice);
        _expectNoticeRefused(
            ORIGIN,
            updaterAddr,
            notice,
            abi.encodeWithSelector(ConnectionManager.NoReplicaForDomain.selector, ORIGIN)
        );
    }

    function test_unenrollReplicaByWatcher_refusedAfterPermissionRevoked() public {
        bytes memory notice = _notice(WATCHER_KEY, ORIGIN, updaterAddr);
        vm.prank(governance);
        manager.setWatcherPermission(watcherAddr, ORIGIN, false);
        _expectNoticeRefused(ORIGIN, updaterAddr, notice, _notPermitted(watcherAddr, ORIGIN));
        assertEq(uint256(replica.state()), uint256(Replica.State.Active), "still active");
    }

    function test_unenrollReplicaByWatcher_newlyPermittedWatcherCanHalt() public {
        vm.prank(governance);
        manager.setWatcherPermission(strangerAddr, ORIGIN, true);
        manager.unenrollReplicaByWatcher(ORIGIN, updaterAddr, _notice(STRANGER_KEY, ORIGIN, updaterAddr));
        _assertHalted(replica);
    }

    // ------------------------------------------------------------ setWatcherPermission

    function test_setWatcherPermission_grantsRevokesAndEmits() public {
        vm.expectEmit(true, true, true, true, address(manager));
        emit ConnectionManager.WatcherPermissionSet(strangerAddr, OTHER_DOMAIN, true);
        vm.prank(governance);
        manager.setWatcherPermission(strangerAddr, OTHER_DOMAIN, true);
        assertTrue(manager.watcherPermission(strangerAddr, OTHER_DOMAIN), "granted");
        assertFalse(manager.watcherPermission(strangerAddr, ORIGIN), "per domain");

        vm.expectEmit(true, true, true, true, address(manager));
        emit ConnectionManager.WatcherPermissionSet(strangerAddr, OTHER_DOMAIN, false);
        vm.prank(governance);
        manager.setWatcherPermission(strangerAddr, OTHER_DOMAIN, false);
        assertFalse(manager.watcherPermission(strangerAddr, OTHER_DOMAIN), "revoked");
    }

    function test_setWatcherPermission_refusesZeroDomain() public {
        _expectRefused(
            governance,
            abi.encodeCall(manager.setWatcherPermission, (strangerAddr, 0, true)),
            abi.encodeWithSelector(ConnectionManager.ZeroDomain.selector)
        );
        assertFalse(manager.watcherPermission(strangerAddr, 0), "not granted");
    }

    function test_setWatcherPermission_onlyOwner() public {
        _expectRefused(
            watcherAddr,
            abi.encodeCall(manager.setWatcherPermission, (strangerAddr, ORIGIN, true)),
            abi.encodeWithSelector(Ownable2Step.NotOwner.selector, watcherAddr)
        );
        _expectRefused(
            watcherAddr,
            abi.encodeCall(manager.setWatcherPermission, (watcherAddr, ORIGIN, false)),
            abi.encodeWithSelector(Ownable2Step.NotOwner.selector, watcherAddr)
        );
        assertFalse(manager.watcherPermission(strangerAddr, ORIGIN), "not granted");
    }

    // ------------------------------------------------------------ isInbound

    function test_isInbound_falseForZeroOrigin() public view {
        assertFalse(manager.isInbound(address(replica), 0), "zero origin");
        assertFalse(manager.isInbound(address(0), 0), "zero origin, zero caller");
    }

    function test_isInbound_falseForZeroCaller() public {
        // For a domain with no Replica, the mapping's default (zero) equals a zero caller.
        assertFalse(manager.isInbound(address(0), OTHER_DOMAIN), "zero caller, unenrolled domain");
        assertFalse(manager.isInbound(address(0), ORIGIN), "zero caller, enrolled domain");
        vm.prank(governance);
        manager.unenrollReplica(ORIGIN);
        assertFalse(manager.isInbound(address(0), ORIGIN), "zero caller, unenrolled domain");
    }

    function test_isInbound_falseForOtherDomainOrCaller() public view {
        assertFalse(manager.isInbound(address(replica), OTHER_DOMAIN), "replica for another domain");
        assertFalse(manager.isInbound(strangerAddr, ORIGIN), "stranger");
        assertFalse(manager.isInbound(address(manager), ORIGIN), "manager itself");
        assertTrue(manager.isInbound(address(replica), ORIGIN), "the enrolled pair");
    }

    // ------------------------------------------------------------ ownership

    function test_transferOwnership_isTwoStep() public {
        address next = address(0xAE1);
        vm.prank(governance);
        manager.transferOwnership(next);
        assertEq(manager.owner(), governance, "owner unchanged until accepted");

        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotPendingOwner.selector, strangerAddr));
        vm.prank(strangerAddr);
        manager.acceptOwnership();

        vm.prank(next);
        manager.acceptOwnership();
        assertEq(manager.owner(), next, "accepted");

        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, governance));
        vm.prank(governance);
        manager.unenrollReplica(ORIGIN);
        vm.prank(next);
        manager.unenrollReplica(ORIGIN);
        _assertHalted(replica);
    }

    function test_transferOwnership_onlyOwner() public {
        _expectRefused(
            strangerAddr,
            abi.encodeCall(manager.transferOwnership, (strangerAddr)),
            abi.encodeWithSelector(Ownable2Step.NotOwner.selector, strangerAddr)
        );
    }

    // ------------------------------------------------------------ fuzz

    function testFuzz_unenrollReplicaByWatcher_unpermittedKeysNeverHalt(uint256 rawKey, address named)
        public
    {
        uint256 key = bound(rawKey, 1, SECP256K1_N - 1);
        address signer = vm.addr(key);
        vm.assume(signer != watcherAddr);
        bytes memory notice = _notice(key, ORIGIN, named);
        _expectNoticeRefused(ORIGIN, named, notice, _notPermitted(signer, ORIGIN));
    }

    function testFuzz_unenrollReplicaByWatcher_onlyTheReplicaUpdaterCanBeNamed(address named) public {
        vm.assume(named != updaterAddr);
        bytes memory notice = _notice(WATCHER_KEY, ORIGIN, named);
        _expectNoticeRefused(
            ORIGIN, named, notice, abi.encodeWithSelector(ConnectionManager.NotReplicaUpdater.selector, named)
        );
    }

    function testFuzz_isInbound_onlyTheEnrolledPair(address caller, uint32 origin) public view {
        bool expected = caller == address(replica) && origin == ORIGIN;
        assertEq(manager.isInbound(caller, origin), expected, "isInbound");
    }
}
