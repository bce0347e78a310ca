// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MessagingFixture} from "./utils/MessagingFixture.sol";
import {Home} from "../../src/messaging/Home.sol";
import {Replica} from "../../src/messaging/Replica.sol";
import {ConnectionManager} from "../../src/messaging/ConnectionManager.sol";

/// @notice Update signatures and watcher notices are EIP-712 statements bound to one deployment: an update to the
///         Home that verifies it (its chain id and address) and to every Replica naming that Home, a notice to the
///         connection manager that acts on it. These tests take a second Home of the same domain under the same
///         updater key (a redeployment, or a second deployment sharing domain ids), a second connection manager,
///         Replicas naming another Home or chain, and chain id changes (a fork), and show what each refuses and what
///         stays valid.
contract SignatureReplayTest is MessagingFixture {
    /// @dev A second Home of the same domain, under the same updater key and bond.
    Home internal homeB;

    function setUp() public override {
        super.setUp();
        homeB = new Home(ORIGIN, updaterAddr, governance, BOND);
        vm.prank(updaterAddr);
        homeB.depositBond{value: BOND}(updaterAddr);
        assertEq(homeB.committedRoot(), home.committedRoot(), "both Homes start from the empty root");
    }

    /// @dev Dispatches the same message on `target` (so two Homes given the same messages have the same roots) and
    ///      checkpoints it.
    function _dispatchAndCheckpoint(Home target, bytes memory body) internal returns (bytes32) {
        target.dispatch(DESTINATION, toBytes32(address(recipient)), body);
        return target.checkpoint();
    }

    /// @dev A Replica like the fixture's but naming the Home at `homeAddress` on chain `chainId`.
    function _replicaNaming(uint256 chainId, address homeAddress) internal returns (Replica) {
        ReplicaArgs memory args = replicaArgs();
        args.remoteChainId = chainId;
        args.remoteHome = homeAddress;
        return deployReplica(args);
    }

    // ------------------------------------------------------------ the signing domains

    function test_home_eip712DomainNamesTheHome() public view {
        assertEip712Domain(address(home), "nxtp Home");
        // The separator both the Home and its Replica verify under, computed here from the type strings.
        bytes32 expected = domainSeparator("nxtp Home", block.chainid, address(home));
        assertEq(home.updateDomainSeparator(), expected, "Home separator");
        assertEq(replica.updateDomainSeparator(), expected, "the Replica verifies under its Home's domain");
        assertEq(replica.remoteChainId(), block.chainid, "remoteChainId");
        assertEq(replica.remoteHome(), address(home), "remoteHome");
    }

    function test_connectionManager_eip712DomainNamesTheManager() public {
        assertEip712Domain(address(manager), "nxtp ConnectionManager");
        vm.chainId(block.chainid + 7);
        (,,, uint256 chainId,,,) = manager.eip712Domain();
        assertEq(chainId, block.chainid, "follows the chain id after a fork");
    }

    function test_replica_constructorRefusesUnnamedRemoteHome() public {
        ReplicaArgs memory args = replicaArgs();
        args.remoteChainId = 0;
        vm.expectRevert(abi.encodeWithSelector(Replica.InvalidRemoteHome.selector, 0, address(home)));
        deployReplica(args);
        args = replicaArgs();
        args.remoteHome = address(0);
        vm.expectRevert(abi.encodeWithSelector(Replica.InvalidRemoteHome.selector, block.chainid, address(0)));
        deployReplica(args);
    }

    // ------------------------------------------------------------ Home A's signature on Home B

    function test_update_signatureForHomeARefusedByHomeB() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint(home, "m");
        assertEq(_dispatchAndCheckpoint(homeB, "m"), r1, "same messages, same root on both Homes");
        bytes memory forA = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
        address recovered = recoverLoose(updateDigest(block.chainid, address(homeB), ORIGIN, r0, r1), forA);
        assertTrue(recovered != updaterAddr, "under Home B's domain it recovers to another key");

        vm.expectRevert(notUpdaterSignature(recovered));
        homeB.update(r0, r1, forA);
        assertEq(homeB.committedRoot(), r0, "Home B did not move");

        // The same statement signed for Home B is accepted there, and A's by A.
        homeB.update(r0, r1, signUpdateFor(UPDATER_KEY, block.chainid, address(homeB), ORIGIN, r0, r1));
        home.update(r0, r1, forA);
        assertEq(homeB.committedRoot(), r1, "Home B moved with its own signature");
        assertEq(home.committedRoot(), r1, "Home A moved with its own signature");
    }

    /// @dev The honest updater signs Home A's root, which Home B never produced: on Home B that signature is no
    ///      improper update, so nobody can slash the updater's bond there with it.
    function test_improperUpdate_onHomeBWithHomeASignatureRefused() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint(home, "only on A");
        bytes memory forA = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
        home.update(r0, r1, forA);
        (, bool producedOnB) = homeB.checkpoints(r1);
        assertFalse(producedOnB, "Home B never produced A's root");

        address recovered = recoverLoose(updateDigest(block.chainid, address(homeB), ORIGIN, r0, r1), forA);
        vm.expectRevert(notUpdaterSignature(recovered));
        homeB.improperUpdate(r0, r1, forA);
        // Submitted through update, it does not fail Home B either.
        vm.expectRevert(notUpdaterSignature(recovered));
        homeB.update(r0, r1, forA);

        assertFalse(homeB.failed(), "Home B not failed");
        assertEq(homeB.bonds(updaterAddr), BOND, "the updater's bond on Home B is whole");
        // On Home A it is an honest update.
        vm.expectRevert(abi.encodeWithSelector(Home.NotImproper.selector, r1));
        home.improperUpdate(r0, r1, forA);
    }

    /// @dev One honest update on each Home from the same old root is no double update on either.
    function test_doubleUpdate_mixingHomesSignaturesRefused() public {
        bytes32 r0 = home.committedRoot();
        bytes32 a = _dispatchAndCheckpoint(home, "a");
        bytes32 b = _dispatchAndCheckpoint(homeB, "b");
        bytes memory forA = signUpdate(UPDATER_KEY, ORIGIN, r0, a);
        bytes memory forB = signUpdateFor(UPDATER_KEY, block.chainid, address(homeB), ORIGIN, r0, b);
        bytes32[2] memory roots = [a, b];

        address onA = recoverLoose(updateDigest(block.chainid, address(home), ORIGIN, r0, b), forB);
        vm.expectRevert(notUpdaterSignature(onA));
        home.doubleUpdate(r0, roots, forA, forB);
        address onB = recoverLoose(updateDigest(block.chainid, address(homeB), ORIGIN, r0, a), forA);
        vm.expectRevert(notUpdaterSignature(onB));
        homeB.doubleUpdate(r0, roots, forA, forB);
        // The Replica names Home A: B's signature recovers there as it does on Home A.
        vm.expectRevert(notUpdaterSignature(onA));
        replica.doubleUpdate(r0, [b, a], forB, forA);
        assertFalse(home.failed() || homeB.failed(), "no Home failed");
        assertEq(uint256(replica.state()), uint256(Replica.State.Active), "the Replica is active");
    }

    // ------------------------------------------------------------ Replicas

    function test_replica_refusesSignatureForAnotherHomeOrChain() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint(home, "m");
        bytes memory forA = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);

        Replica ofB = _replicaNaming(block.chainid, address(homeB));
        address onB = recoverLoose(updateDigest(block.chainid, address(homeB), ORIGIN, r0, r1), forA);
        vm.expectRevert(notUpdaterSignature(onB));
        ofB.update(r0, r1, forA);

        Replica otherChain = _replicaNaming(block.chainid + 1, address(home));
        address onOtherChain =
            recoverLoose(updateDigest(block.chainid + 1, address(home), ORIGIN, r0, r1), forA);
        vm.expectRevert(notUpdaterSignature(onOtherChain));
        otherChain.update(r0, r1, forA);

        assertEq(ofB.committedRoot(), r0, "the Replica of Home B did not move");
        assertEq(otherChain.committedRoot(), r0, "the Replica naming another chain did not move");
        replica.update(r0, r1, forA);
        assertEq(replica.committedRoot(), r1, "the Replica naming Home A accepts it");
        // Signed for the other chain's Home at the same address, it is that Replica's.
        otherChain.update(
            r0, r1, signUpdateFor(UPDATER_KEY, block.chainid + 1, address(home), ORIGIN, r0, r1)
        );
        assertEq(otherChain.committedRoot(), r1, "accepted when signed for its chain");
    }

    /// @dev What a replacement Replica accepts of what the old one accepted: the same Home's statements, yes (they
    ///      are true of that Home whoever carries them); a redeployed Home's, no.
    function test_replacementReplica_replaysOnlyUpdatesOfTheHomeItNames() public {
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint(home, "m");
        bytes memory forA = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);
        replica.update(r0, r1, forA);

        vm.prank(governance);
        manager.unenrollReplica(ORIGIN);
        // A replacement naming the same Home: the old update is valid there too.
        Replica sameHome = _replicaNaming(block.chainid, address(home));
        vm.prank(governance);
        manager.enrollReplica(address(sameHome));
        sameHome.update(r0, r1, forA);
        assertEq(sameHome.committedRoot(), r1, "the same Home's update is replayable");

        // A replacement naming a redeployed Home of the same domain under the same key: it is not.
        vm.prank(governance);
        manager.unenrollReplica(ORIGIN);
        Replica redeployed = _replicaNaming(block.chainid, address(homeB));
        vm.prank(governance);
        manager.enrollReplica(address(redeployed));
        address recovered = recoverLoose(updateDigest(block.chainid, address(homeB), ORIGIN, r0, r1), forA);
        vm.expectRevert(notUpdaterSignature(recovered));
        redeployed.update(r0, r1, forA);
        assertEq(redeployed.committedRoot(), r0, "an old Home's update moves nothing");
        assertEq(redeployed.confirmAt(r1), 0, "and nothing ripens");
    }

    // ------------------------------------------------------------ forks

    /// @dev After a fork changes the chain id, the Home recomputes its separator: signatures made for the old chain
    ///      id are refused, those for the new one accepted. A Replica's remote domain is fixed at deployment.
    function test_home_forkRefusesSignaturesForTheOldChainId() public {
        uint256 original = block.chainid;
        bytes32 r0 = home.committedRoot();
        bytes32 r1 = _dispatchAndCheckpoint(home, "m");
        bytes memory forOriginal = signUpdate(UPDATER_KEY, ORIGIN, r0, r1);

        vm.chainId(original + 100);
        address recovered =
            recoverLoose(updateDigest(block.chainid, address(home), ORIGIN, r0, r1), forOriginal);
        vm.expectRevert(notUpdaterSignature(recovered));
        home.update(r0, r1, forOriginal);
        assertEq(
            home.updateDomainSeparator(),
            domainSeparator("nxtp Home", block.chainid, address(home)),
            "recomputed for the new chain id"
        );
        home.update(r0, r1, signUpdateFor(UPDATER_KEY, block.chainid, address(home), ORIGIN, r0, r1));
        assertEq(home.committedRoot(), r1, "accepted when signed for the new chain id");

        // The Replica names its Home's chain as deployed, whatever its own chain id.
        replica.update(r0, r1, forOriginal);
        assertEq(replica.committedRoot(), r1, "the Replica verifies under the chain id it was given");
    }

    // ------------------------------------------------------------ watcher notices

    function test_watcherNotice_forOneManagerRefusedByAnother() public {
        // A second manager on this domain with a Replica of ORIGIN enrolled and the same watcher permitted.
        ConnectionManager managerB = new ConnectionManager(DESTINATION, governance);
        ReplicaArgs memory args = replicaArgs();
        args.connectionManager = address(managerB);
        Replica replicaB = deployReplica(args);
        vm.startPrank(governance);
        managerB.enrollReplica(address(replicaB));
        managerB.setWatcherPermission(watcherAddr, ORIGIN, true);
        vm.stopPrank();

        // A notice for manager A naming replica B (the Replica enrolled at B): still made for A, refused by B.
        bytes memory forA = signNotice(WATCHER_KEY, address(manager), ORIGIN, updaterAddr, address(replicaB));
        address recovered = recoverLoose(
            watcherNoticeDigest(block.chainid, address(managerB), ORIGIN, updaterAddr, address(replicaB)),
            forA
        );
        vm.expectRevert(
            abi.encodeWithSelector(ConnectionManager.NotPermittedWatcher.selector, recovered, ORIGIN)
        );
        managerB.unenrollReplicaByWatcher(ORIGIN, updaterAddr, forA);
        assertEq(uint256(replicaB.state()), uint256(Replica.State.Active), "replica B still active");

        // Made for B, it halts B's Replica.
        bytes memory forB = signNotice(WATCHER_KEY, address(managerB), ORIGIN, updaterAddr, address(replicaB));
        managerB.unenrollReplicaByWatcher(ORIGIN, updaterAddr, forB);
        assertEq(uint256(replicaB.state()), uint256(Replica.State.Halted), "replica B halted");
        assertEq(uint256(replica.state()), uint256(Replica.State.Active), "manager A's Replica untouched");
    }

    function test_watcherNotice_forAnotherChainIdRefused() public {
        bytes memory forOtherChain = signDigest(
            WATCHER_KEY,
            watcherNoticeDigest(block.chainid + 1, address(manager), ORIGIN, updaterAddr, address(replica))
        );
        address recovered = recoverLoose(
            watcherNoticeDigest(block.chainid, address(manager), ORIGIN, updaterAddr, address(replica)),
            forOtherChain
        );
        vm.expectRevert(
            abi.encodeWithSelector(ConnectionManager.NotPermittedWatcher.selector, recovered, ORIGIN)
        );
        manager.unenrollReplicaByWatcher(ORIGIN, updaterAddr, forOtherChain);

        // After a fork to that chain id the manager recomputes its separator and the notice is good there.
        vm.chainId(block.chainid + 1);
        manager.unenrollReplicaByWatcher(ORIGIN, updaterAddr, forOtherChain);
        assertEq(uint256(replica.state()), uint256(Replica.State.Halted), "halted on the fork");
    }
}
