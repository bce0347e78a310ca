// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextFixture} from "./utils/ConnextFixture.sol";
import {IXReceiver} from "../../src/interfaces/IXReceiver.sol";
import {IConnext, TransferInfo, ExecuteArgs, TransferStatus} from "../../src/interfaces/IConnext.sol";

/// @notice An `IXReceiver` that returns, or reverts with, `size` bytes whose first 512 are 0xAB (the rest zero): a return
///         bomb when `size` is large. It pays only for its memory.
contract SizedPayloadReceiver is IXReceiver {
    uint256 internal immutable size;
    bool internal immutable reverts;

    constructor(uint256 size_, bool reverts_) {
        size = size_;
        reverts = reverts_;
    }

    function xReceive(bytes32, uint256, address, address, uint32, bytes calldata)
        external
        view
        returns (bytes memory)
    {
        uint256 n = size;
        bool fail = reverts;
        assembly {
            for { let p := 0x80 } lt(p, 0x280) { p := add(p, 0x20) } {
                mstore(p, 0xabababababababababababababababababababababababababababababababab)
            }
            if fail { revert(0x80, n) }
            return(0x80, n)
        }
    }
}

/// @notice What `Connext` copies back from an `xReceive` is capped at 256 bytes, on the fast path (whose revert is
///         bubbled) and on the slow path (whose outcome is recorded): a receiver returning or reverting with a huge
///         payload costs the relayer no more than one returning 256 bytes.
contract ConnextXReceiveDataTest is ConnextFixture {
    uint256 internal constant AMOUNT = 1_000e6;
    uint256 internal constant CAP = 256;
    /// @dev 400 KB: about 340k gas of memory inside the receiver, within its 1M limit; copying it whole back would
    ///      cost the caller as much again.
    uint256 internal constant BOMB = 400_000;
    /// @dev Slack for what differs between two executes besides the receiver's memory (cold/warm accesses, calldata).
    uint256 internal constant SLACK = 5_000;

    function setUp() public override {
        super.setUp();
        _fund(routers[0], address(usdc), 10_000e6);
    }

    /// @dev The first `n` (at most 512) bytes the receiver sends back.
    function _filled(uint256 n) internal pure returns (bytes memory out) {
        out = new bytes(n);
        for (uint256 i; i < n; ++i) {
            out[i] = 0xab;
        }
    }

    /// @dev The receiver's memory cost for a payload of `n` bytes at 0x80.
    function _memoryCost(uint256 n) internal pure returns (uint256) {
        uint256 words = (0x80 + n + 31) / 32;
        return 3 * words + words * words / 512;
    }

    /// @dev A payload of BOMB bytes costs the relayer at most the receiver's own memory (paid out of its gas limit)
    ///      more than one of CAP bytes: nothing is copied beyond CAP.
    function _assertBounded(uint256 bomb, uint256 small, string memory what) internal pure {
        assertLe(bomb, small + _memoryCost(BOMB) - _memoryCost(CAP) + SLACK, what);
    }

    function _fastParams(address to, uint256 nonce) internal view returns (TransferInfo memory params) {
        params = _usdc(AMOUNT, nonce);
        params.to = to;
        params.callData = hex"01";
    }

    /// @dev Gas of a fast execute to a receiver reverting with `size` bytes, which must revert with the first
    ///      `min(size, CAP)` of them.
    function _fastRevertGas(uint256 size, uint256 nonce) internal returns (uint256 used) {
        SizedPayloadReceiver receiver = new SizedPayloadReceiver(size, true);
        TransferInfo memory params = _fastParams(address(receiver), nonce);
        bytes memory expected = _filled(size < CAP ? size : CAP);
        ExecuteArgs memory args = _fastArgs(params, 1);
        vm.expectRevert(expected);
        vm.prank(RELAYER);
        uint256 before = gasleft();
        connext.execute(args);
        used = before - gasleft();
        assertEq(
            uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.None), "nothing executed"
        );
    }

    function test_fast_revertDataOfAReturnBombIsTruncatedAndGasBounded() public {
        uint256 small = _fastRevertGas(CAP, 1);
        uint256 bomb = _fastRevertGas(BOMB, 2);
        _assertBounded(bomb, small, "fast revert: nothing copied beyond the cap");
    }

    function test_fast_shortRevertDataIsBubbledWhole() public {
        _fastRevertGas(4, 3);
        _fastRevertGas(CAP - 1, 4);
    }

    /// @dev Gas of a slow execute to a receiver returning (or reverting with) `size` bytes, whose recorded outcome
    ///      must hold the first `min(size, CAP)` of them.
    function _slowGas(uint256 size, bool reverts, uint256 nonce) internal returns (uint256 used) {
        SizedPayloadReceiver receiver = new SizedPayloadReceiver(size, reverts);
        TransferInfo memory params = _weth(1 ether, nonce);
        params.to = address(receiver);
        params.callData = hex"01";
        _reconcile(params);
        ExecuteArgs memory args = _slowArgs(params);
        vm.expectEmit(true, true, true, true, address(connext));
        emit IConnext.ExternalCalldataExecuted(_id(params), !reverts, _filled(size < CAP ? size : CAP));
        vm.prank(RELAYER);
        uint256 before = gasleft();
        connext.execute(args);
        used = before - gasleft();
        assertEq(uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.Completed), "completed");
        assertEq(weth.balanceOf(address(receiver)), 1 ether, "funds delivered");
    }

    function test_slow_returnedAndRevertedBombsAreTruncatedAndGasBounded() public {
        uint256 returnedSmall = _slowGas(CAP, false, 10);
        uint256 returnedBomb = _slowGas(BOMB, false, 11);
        uint256 revertedSmall = _slowGas(CAP, true, 12);
        uint256 revertedBomb = _slowGas(BOMB, true, 13);
        _assertBounded(returnedBomb, returnedSmall, "slow, returned: nothing copied beyond the cap");
        _assertBounded(revertedBomb, revertedSmall, "slow, reverted: nothing copied beyond the cap");
    }
}
