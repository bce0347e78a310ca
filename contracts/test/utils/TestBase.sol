// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Vm} from "./Vm.sol";

/// @notice EIP-5267's view of a contract's EIP-712 signing domain, as the tests read it.
interface IEIP5267 {
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        );
}

/// @title TestBase
/// @notice Minimal base for forge tests: cheatcodes, key helpers, bounded fuzz inputs and invariant targets.
abstract contract TestBase {
    /// @dev forge marks test contracts by this getter.
    bool public constant IS_TEST = true;

    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev secp256k1 group order, for building malleable signatures in tests.
    uint256 internal constant SECP256K1_N =
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetContracts;
    FuzzSelector[] private _targetSelectors;

    /// @notice Contracts forge's invariant fuzzer calls into.
    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    /// @notice Selectors forge's invariant fuzzer calls, per target.
    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetSelectors;
    }

    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    function targetSelector(address target, bytes4[] memory selectors) internal {
        _targetSelectors.push(FuzzSelector({addr: target, selectors: selectors}));
    }

    /// @dev Maps any fuzzed value into [min, max] without discarding runs.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        uint256 size = max - min;
        if (size == type(uint256).max) return x;
        return min + (x % (size + 1));
    }

    /// @dev A signature of `digest` as the contracts take it, packed as r || s || v.
    function signDigest(uint256 privateKey, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(privateKey, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev An EIP-712 domain separator computed here from the type string, independently of the contracts'
    ///      libraries: the domain `name`, version "1", `chainId` and `verifyingContract`.
    function domainSeparator(string memory name, uint256 chainId, address verifyingContract)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                keccak256(
                    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
                ),
                keccak256(bytes(name)),
                keccak256(bytes("1")),
                chainId,
                verifyingContract
            )
        );
    }

    /// @dev An EIP-712 digest computed here from the type strings, independently of the contracts' libraries:
    ///      `keccak256("\x19\x01" || domainSeparator(name, chainId, verifyingContract) || structHash)`.
    function typedDigest(string memory name, uint256 chainId, address verifyingContract, bytes32 structHash)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encodePacked("\x19\x01", domainSeparator(name, chainId, verifyingContract), structHash)
        );
    }

    /// @dev Asserts that `target` describes (EIP-5267) the signing domain `name`, version "1", of this chain and its
    ///      own address, with no salt and no extensions.
    function assertEip712Domain(address target, string memory name) internal view {
        (
            bytes1 fields,
            string memory domainName,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        ) = IEIP5267(target).eip712Domain();
        assertEq(uint256(uint8(fields)), 0x0f, "name, version, chainId, verifyingContract");
        assertEq(keccak256(bytes(domainName)), keccak256(bytes(name)), "name");
        assertEq(keccak256(bytes(version)), keccak256("1"), "version");
        assertEq(chainId, block.chainid, "chain id");
        assertEq(verifyingContract, target, "verifying contract");
        assertEq(salt, bytes32(0), "no salt");
        assertEq(extensions.length, 0, "no extensions");
    }

    /// @dev `caller` calls `target` with `callData`, which must revert with exactly `reason`. Through a low-level
    ///      call forge reports the expected revert as success and a missing or different one as failure, hence the
    ///      assertion on the returned flag.
    function expectRevertFrom(address caller, address target, bytes memory callData, bytes memory reason)
        internal
    {
        vm.prank(caller);
        vm.expectRevert(reason);
        (bool revertedAsExpected,) = target.call(callData);
        assertTrue(revertedAsExpected, "reverted with the expected reason");
    }

    /// @dev What the updater signs for the Home at `home` on chain `chainId` to move `homeDomain` from `oldRoot`
    ///      to `newRoot`.
    function updateDigest(uint256 chainId, address home, uint32 homeDomain, bytes32 oldRoot, bytes32 newRoot)
        internal
        pure
        returns (bytes32)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Update(uint32 homeDomain,bytes32 oldRoot,bytes32 newRoot)"),
                homeDomain,
                oldRoot,
                newRoot
            )
        );
        return typedDigest("nxtp Home", chainId, home, structHash);
    }

    /// @dev What a watcher signs for the connection manager at `manager` on chain `chainId` to halt `replica`.
    function watcherNoticeDigest(
        uint256 chainId,
        address manager,
        uint32 homeDomain,
        address updater,
        address replica
    ) internal pure returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("WatcherNotice(uint32 homeDomain,address updater,address replica)"),
                homeDomain,
                updater,
                replica
            )
        );
        return typedDigest("nxtp ConnectionManager", chainId, manager, structHash);
    }

    /// @dev What a router signs for the Connext at `connext` on chain `chainId` to bid on `transferId` as one of
    ///      `pathLength` routers.
    function routerBidDigest(uint256 chainId, address connext, bytes32 transferId, uint256 pathLength)
        internal
        pure
        returns (bytes32)
    {
        bytes32 structHash = keccak256(
            abi.encode(keccak256("RouterBid(bytes32 transferId,uint256 pathLength)"), transferId, pathLength)
        );
        return typedDigest("nxtp Connext", chainId, connext, structHash);
    }

    /// @dev What the sequencer signs for the Connext at `connext` on chain `chainId` to pick `routers`.
    function routerSelectionDigest(
        uint256 chainId,
        address connext,
        bytes32 transferId,
        address[] memory routers
    ) internal pure returns (bytes32) {
        bytes32[] memory words = new bytes32[](routers.length);
        for (uint256 i; i < routers.length; ++i) {
            words[i] = bytes32(uint256(uint160(routers[i])));
        }
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("RouterSelection(bytes32 transferId,address[] routers)"),
                transferId,
                keccak256(abi.encodePacked(words))
            )
        );
        return typedDigest("nxtp Connext", chainId, connext, structHash);
    }

    /// @dev The same signature in its high-s twin form, which a strict verifier must refuse.
    function malleate(bytes memory signature) internal pure returns (bytes memory) {
        (bytes32 r, bytes32 s, uint8 v) = splitSignature(signature);
        return abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
    }

    /// @dev Recovery of a signature of `digest` with plain `ecrecover` (no strictness), independent of the
    ///      contracts' verifier: tells tests which address a foreign signature recovers to.
    function recoverLoose(bytes32 digest, bytes memory signature) internal pure returns (address) {
        (bytes32 r, bytes32 s, uint8 v) = splitSignature(signature);
        return ecrecover(digest, v, r, s);
    }

    /// @dev The r, s and v of a 65-byte r || s || v signature.
    function splitSignature(bytes memory signature) internal pure returns (bytes32 r, bytes32 s, uint8 v) {
        assembly {
            r := mload(add(signature, 32))
            s := mload(add(signature, 64))
            v := byte(0, mload(add(signature, 96)))
        }
    }

    function assertTrue(bool condition, string memory message) internal pure {
        vm.assertTrue(condition, message);
    }

    function assertFalse(bool condition, string memory message) internal pure {
        vm.assertFalse(condition, message);
    }

    function assertEq(uint256 left, uint256 right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    function assertEq(address left, address right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    function assertEq(bytes32 left, bytes32 right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    function assertEq(bool left, bool right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    function assertEq(bytes memory left, bytes memory right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    function assertLe(uint256 left, uint256 right, string memory message) internal pure {
        vm.assertLe(left, right, message);
    }

    function assertGe(uint256 left, uint256 right, string memory message) internal pure {
        vm.assertGe(left, right, message);
    }
}
