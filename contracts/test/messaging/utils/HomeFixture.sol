// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MessagingFixture} from "./MessagingFixture.sol";
import {Vm} from "../../utils/Vm.sol";
import {Home} from "../../../src/messaging/Home.sol";

/// @notice The messaging fixture seen from its Home: a sender, a reporter and a stranger, the leaves this test
///         dispatched, and a snapshot of everything a refused call must leave untouched.
abstract contract HomeFixture is MessagingFixture {
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

    function setUp() public virtual override {
        super.setUp();
        strangerAddr = vm.addr(STRANGER_KEY);
        vm.label(address(home), "home");
        vm.label(reporter, "reporter");
        vm.label(strangerAddr, "stranger");
    }

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

    /// @dev `caller` calls the Home with `callData`, which must revert with `reason` and leave the Home as it was.
    function _expectRefused(address caller, bytes memory callData, bytes memory reason) internal {
        HomeState memory before = _snapshot();
        expectRevertFrom(caller, address(home), callData, reason);
        _assertUnchanged(before);
    }

    /// @dev `dispatch(destination, to, body)` from `caller` must be refused with `reason`, leaving the Home as it was.
    function _expectDispatchRefused(
        address caller,
        uint32 destination,
        bytes32 to,
        bytes memory body,
        bytes memory reason
    ) internal {
        _expectRefused(caller, abi.encodeCall(home.dispatch, (destination, to, body)), reason);
    }

    /// @dev `update(oldRoot, newRoot, signature)`, relayed by this contract, must be refused with `reason`.
    function _expectUpdateRefused(
        bytes32 oldRoot,
        bytes32 newRoot,
        bytes memory signature,
        bytes memory reason
    ) internal {
        _expectRefused(address(this), abi.encodeCall(home.update, (oldRoot, newRoot, signature)), reason);
    }

    /// @dev `improperUpdate(oldRoot, newRoot, signature)`, reported by `by`, must be refused with `reason`.
    function _expectImproperUpdateRefused(
        address by,
        bytes32 oldRoot,
        bytes32 newRoot,
        bytes memory signature,
        bytes memory reason
    ) internal {
        _expectRefused(by, abi.encodeCall(home.improperUpdate, (oldRoot, newRoot, signature)), reason);
    }

    /// @dev `doubleUpdate(oldRoot, newRoots, first, second)`, reported by `by`, must be refused with `reason`.
    function _expectDoubleUpdateRefused(
        address by,
        bytes32 oldRoot,
        bytes32[2] memory newRoots,
        bytes memory first,
        bytes memory second,
        bytes memory reason
    ) internal {
        _expectRefused(by, abi.encodeCall(home.doubleUpdate, (oldRoot, newRoots, first, second)), reason);
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
        reportImproperUpdate(by, UPDATER_KEY, keccak256("never produced"));
        assertTrue(home.failed(), "home failed");
    }
}
