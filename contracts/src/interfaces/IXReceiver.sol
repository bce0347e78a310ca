// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IXReceiver
/// @notice Implemented by contracts that receive calldata (and optionally tokens) through a crosschain transfer.
/// @dev `Connext` calls only this selector, with a bounded amount of gas, after the tokens have been sent to the
///      receiver. On the fast path `originSender` is zero, because nothing about the origin is proven yet, and a
///      revert makes the whole execution revert. On the slow path `originSender` is authentic, and a revert only
///      records `ExternalCalldataExecuted(transferId, false, returnData)`: the tokens stay with the receiver.
interface IXReceiver {
    /// @notice Receives a crosschain transfer's calldata.
    /// @param transferId The transfer's id (`keccak256(abi.encode(TransferInfo))`).
    /// @param amount The amount of `asset` delivered to this contract before the call.
    /// @param asset The local asset delivered, or zero for a transfer without tokens.
    /// @param originSender The transfer's sender on the origin domain; zero on the fast path.
    /// @param origin The origin domain.
    /// @param callData The transfer's calldata.
    /// @return Arbitrary data, recorded by nothing; available to callers simulating the call.
    function xReceive(
        bytes32 transferId,
        uint256 amount,
        address asset,
        address originSender,
        uint32 origin,
        bytes calldata callData
    ) external returns (bytes memory);
}
