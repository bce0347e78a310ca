// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextBase} from "./ConnextBase.sol";
import {IConnext, TransferInfo, TransferStatus} from "../interfaces/IConnext.sol";
import {TransferRecord} from "./libraries/TransferRecord.sol";

/// @title TransferRecovery
/// @notice What a transfer's delegate may change on the destination before the transfer is delivered: raise its
///         slippage tolerance, or ask for the local asset. Cold paths: `Connext` runs them in `ConnextExtension` (see
///         `ConnextDelegator`).
abstract contract TransferRecovery is ConnextBase {
    using TransferRecord for uint256;

    /// @notice The delegate raises the slippage tolerance of a not-yet-delivered transfer.
    function forceUpdateSlippage(TransferInfo calldata params, uint256 slippage) external {
        (bytes32 transferId, uint256 record) = _recoverable(params);
        if (slippage > BPS) revert IConnext.InvalidSlippage(slippage);
        uint256 current = record.slippage(params.slippage);
        if (slippage <= current) revert IConnext.SlippageNotRaised(current, slippage);
        _transfers[transferId] = record.withSlippage(slippage);
        emit IConnext.SlippageUpdated(transferId, slippage);
    }

    /// @notice The delegate asks for a not-yet-delivered transfer to be delivered in the local asset.
    /// @dev Until adopted assets exist every delivery is in the local asset already; the override is recorded so
    ///      the choice survives once swaps are added.
    function forceReceiveLocal(TransferInfo calldata params) external {
        (bytes32 transferId, uint256 record) = _recoverable(params);
        _transfers[transferId] = record.withReceiveLocal();
        emit IConnext.ForceReceiveLocal(transferId);
    }

    /// @dev Checks a recovery call: this destination, the delegate, a transfer not yet delivered.
    function _recoverable(TransferInfo calldata params)
        private
        view
        returns (bytes32 transferId, uint256 record)
    {
        if (params.destinationDomain != LOCAL_DOMAIN) {
            revert IConnext.WrongDestination(params.destinationDomain);
        }
        if (msg.sender != params.delegate) revert IConnext.NotDelegate(msg.sender);
        transferId = keccak256(abi.encode(params));
        record = _transfers[transferId];
        TransferStatus status = record.status();
        if (status != TransferStatus.None && status != TransferStatus.Reconciled) {
            revert IConnext.InvalidTransferStatus(transferId, status);
        }
    }
}
