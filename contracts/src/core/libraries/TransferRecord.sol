// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TransferStatus} from "../../interfaces/IConnext.sol";

/// @title TransferRecord
/// @notice Packs everything the destination keeps about a transfer into one storage word:
///         `status (8) | routerCount (8) | flags (8) | slippageOverride (16) | routerIndex[5] (5 x 32)`.
/// @dev Routers are recorded by their registry index (assigned once per router) so that five fit in the same word
///      as the status: fronting a transfer writes exactly one fresh slot.
library TransferRecord {
    /// @notice The most routers a record can hold.
    uint256 internal constant MAX_ROUTERS = 5;

    uint256 private constant COUNT_SHIFT = 8;
    uint256 private constant FLAGS_SHIFT = 16;
    uint256 private constant SLIPPAGE_SHIFT = 24;
    uint256 private constant ROUTERS_SHIFT = 40;
    uint256 private constant RECEIVE_LOCAL_FLAG = 1;
    uint256 private constant SLIPPAGE_FLAG = 2;

    /// @notice The transfer's status.
    function status(uint256 record) internal pure returns (TransferStatus) {
        return TransferStatus(uint8(record));
    }

    /// @notice `record` with its status replaced by `newStatus`.
    function withStatus(uint256 record, TransferStatus newStatus) internal pure returns (uint256) {
        return (record & ~uint256(0xff)) | uint256(newStatus);
    }

    /// @notice How many routers fronted the transfer.
    function routerCount(uint256 record) internal pure returns (uint256) {
        return uint8(record >> COUNT_SHIFT);
    }

    /// @notice `record` with its router count set; only written once, on the fast path.
    function withRouterCount(uint256 record, uint256 count) internal pure returns (uint256) {
        return record | (count << COUNT_SHIFT);
    }

    /// @notice The registry index of the `i`-th router.
    function routerIndex(uint256 record, uint256 i) internal pure returns (uint32) {
        return uint32(record >> (ROUTERS_SHIFT + 32 * i));
    }

    /// @notice `record` with the `i`-th router's index set; only written once, on the fast path.
    function withRouterIndex(uint256 record, uint256 i, uint32 index) internal pure returns (uint256) {
        return record | (uint256(index) << (ROUTERS_SHIFT + 32 * i));
    }

    /// @notice Whether the delegate asked for the local asset.
    function receiveLocalOverride(uint256 record) internal pure returns (bool) {
        return (record >> FLAGS_SHIFT) & RECEIVE_LOCAL_FLAG != 0;
    }

    /// @notice `record` with the receive-local override set.
    function withReceiveLocal(uint256 record) internal pure returns (uint256) {
        return record | (RECEIVE_LOCAL_FLAG << FLAGS_SHIFT);
    }

    /// @notice The effective slippage: the delegate's override if any, else `original`.
    function slippage(uint256 record, uint256 original) internal pure returns (uint256) {
        if ((record >> FLAGS_SHIFT) & SLIPPAGE_FLAG == 0) return original;
        return uint16(record >> SLIPPAGE_SHIFT);
    }

    /// @notice `record` with the slippage override set to `newSlippage` (at most 10_000).
    function withSlippage(uint256 record, uint256 newSlippage) internal pure returns (uint256) {
        record &= ~(uint256(0xffff) << SLIPPAGE_SHIFT);
        return record | (SLIPPAGE_FLAG << FLAGS_SHIFT) | (newSlippage << SLIPPAGE_SHIFT);
    }
}
