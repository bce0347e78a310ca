// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "../../utils/TestBase.sol";
import {NaiveMerkle} from "../../utils/NaiveMerkle.sol";
import {Home} from "../../../src/messaging/Home.sol";
import {Replica} from "../../../src/messaging/Replica.sol";
import {ConnectionManager} from "../../../src/messaging/ConnectionManager.sol";
import {UpdaterSignatures} from "../../../src/messaging/UpdaterSignatures.sol";
import {TREE_DEPTH} from "../../../src/messaging/libraries/MerkleTree.sol";
import {RecordingRecipient} from "./RecordingRecipient.sol";

/// @notice One origin Home (domain 1000) and, on destination domain 2000, a Replica of it enrolled in a
///         connection manager, with known updater and watcher keys. Messages for the Replica can come
///         from the real Home or be built directly (for messages a real Home would never produce).
abstract contract MessagingFixture is TestBase {
    uint32 internal constant ORIGIN = 1000;
    uint32 internal constant DESTINATION = 2000;
    uint32 internal constant OTHER_DOMAIN = 3000;
    uint32 internal constant WINDOW = 1800;
    uint256 internal constant BOND = 1 ether;

    uint256 internal constant UPDATER_KEY = 0xA11CE;
    uint256 internal constant WATCHER_KEY = 0xB0B;
    uint256 internal constant STRANGER_KEY = 0xBAD;

    address internal governance = address(0x60F);
    address internal updaterAddr;
    address internal watcherAddr;

    Home internal home;
    Replica internal replica;
    ConnectionManager internal manager;
    RecordingRecipient internal recipient;

    /// @dev Everything the Replica constructor takes, so that a test names only what it changes.
    struct ReplicaArgs {
        uint32 localDomain;
        uint32 remoteDomain;
        uint256 remoteChainId;
        address remoteHome;
        address updater;
        bytes32 initialRoot;
        uint32 window;
        uint32 minWindow;
        address connectionManager;
        address owner;
        address predecessor;
    }

    /// @dev Leaves the test built or dispatched for the Replica's origin tree, in order.
    bytes32[] internal leaves;
    bytes[] internal messages;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        updaterAddr = vm.addr(UPDATER_KEY);
        watcherAddr = vm.addr(WATCHER_KEY);
        home = new Home(ORIGIN, updaterAddr, governance, BOND);
        vm.deal(updaterAddr, 10 ether);
        vm.prank(updaterAddr);
        home.depositBond{value: BOND}(updaterAddr);

        manager = new ConnectionManager(DESTINATION, governance);
        replica = deployReplica(replicaArgs());
        vm.startPrank(governance);
        manager.enrollReplica(address(replica));
        manager.setWatcherPermission(watcherAddr, ORIGIN, true);
        vm.stopPrank();
        recipient = new RecordingRecipient();
    }

    /// @dev The fixture Replica's arguments: on DESTINATION, of `home` (this chain) from its committed root, under the
    ///      fixture's updater, window (no floor), manager and governance, succeeding no Replica.
    function replicaArgs() internal view returns (ReplicaArgs memory) {
        return replicaArgsFrom(home.committedRoot());
    }

    /// @dev The fixture Replica's arguments but for the initial root: no external call, so a test may build them
    ///      between `expectRevert` and the deployment.
    function replicaArgsFrom(bytes32 initialRoot) internal view returns (ReplicaArgs memory) {
        return ReplicaArgs({
            localDomain: DESTINATION,
            remoteDomain: ORIGIN,
            remoteChainId: block.chainid,
            remoteHome: address(home),
            updater: updaterAddr,
            initialRoot: initialRoot,
            window: WINDOW,
            minWindow: 0,
            connectionManager: address(manager),
            owner: governance,
            predecessor: address(0)
        });
    }

    /// @dev Deploys a Replica; its only external call is the deployment itself, so a test may `expectRevert` it.
    function deployReplica(ReplicaArgs memory args) internal returns (Replica) {
        return new Replica(
            args.localDomain,
            args.remoteDomain,
            args.remoteChainId,
            args.remoteHome,
            args.updater,
            args.initialRoot,
            args.window,
            args.minWindow,
            args.connectionManager,
            args.owner,
            args.predecessor
        );
    }

    function toBytes32(address account) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(account)));
    }

    /// @dev `key`'s signature of the update of `domain` from `oldRoot` to `newRoot` for the fixture's Home (this
    ///      chain, `home`'s address), which its Replica verifies too.
    function signUpdate(uint256 key, uint32 domain, bytes32 oldRoot, bytes32 newRoot)
        internal
        view
        returns (bytes memory)
    {
        return signUpdateFor(key, block.chainid, address(home), domain, oldRoot, newRoot);
    }

    /// @dev `key`'s signature of an update for the Home at `homeAddress` on chain `chainId`.
    function signUpdateFor(
        uint256 key,
        uint256 chainId,
        address homeAddress,
        uint32 domain,
        bytes32 oldRoot,
        bytes32 newRoot
    ) internal pure returns (bytes memory) {
        return signDigest(key, updateDigest(chainId, homeAddress, domain, oldRoot, newRoot));
    }

    /// @dev `key`'s two signatures over `oldRoot` of `domain`, one to each of `newRoots`: a double update when the
    ///      roots differ.
    function signDoubleUpdate(uint256 key, uint32 domain, bytes32 oldRoot, bytes32[2] memory newRoots)
        internal
        view
        returns (bytes memory first, bytes memory second)
    {
        first = signUpdate(key, domain, oldRoot, newRoots[0]);
        second = signUpdate(key, domain, oldRoot, newRoots[1]);
    }

    /// @dev `key`'s watcher notice, for the connection manager at `managerAddress` on this chain, to halt `target`,
    ///      the Replica of `domain` under `noticeUpdater`.
    function signNotice(
        uint256 key,
        address managerAddress,
        uint32 domain,
        address noticeUpdater,
        address target
    ) internal view returns (bytes memory) {
        return signDigest(
            key, watcherNoticeDigest(block.chainid, managerAddress, domain, noticeUpdater, target)
        );
    }

    /// @dev `by` proves to `home` that `key` signed its committed root over to `bogus`, a root it never produced.
    function reportImproperUpdate(address by, uint256 key, bytes32 bogus) internal {
        bytes32 oldRoot = home.committedRoot();
        bytes memory signature = signUpdate(key, ORIGIN, oldRoot, bogus);
        vm.prank(by);
        home.improperUpdate(oldRoot, bogus, signature);
    }

    /// @dev The revert of an update signature that does not recover to an accepted updater key: `signer` instead.
    function notUpdaterSignature(address signer) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(UpdaterSignatures.NotUpdaterSignature.selector, signer);
    }

    /// @dev Appends a message (from `sender` on ORIGIN to the recording recipient) to the test's tree.
    function addMessage(uint32 nonce, bytes memory body) internal returns (bytes memory message) {
        message = buildMessage(ORIGIN, nonce, DESTINATION, toBytes32(address(recipient)), body);
        leaves.push(keccak256(message));
        messages.push(message);
    }

    function buildMessage(uint32 origin, uint32 nonce, uint32 destination, bytes32 to, bytes memory body)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(origin, toBytes32(address(0xC0FFEE)), nonce, destination, to, body);
    }

    function treeRoot() internal view returns (bytes32) {
        return NaiveMerkle.root(leaves);
    }

    function proofOf(uint256 index) internal view returns (bytes32[TREE_DEPTH] memory) {
        return NaiveMerkle.proof(leaves, index);
    }

    /// @dev Signs the test tree's current root onto the Replica and lets the window pass.
    function commitAndRipen() internal returns (bytes32 root) {
        root = commitToReplica();
        vm.warp(block.timestamp + WINDOW);
    }

    /// @dev Signs the test tree's current root onto the Replica, without waiting for the window.
    function commitToReplica() internal returns (bytes32 root) {
        root = treeRoot();
        bytes32 oldRoot = replica.committedRoot();
        replica.update(oldRoot, root, signUpdate(UPDATER_KEY, ORIGIN, oldRoot, root));
    }
}
