// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IXReceiver
/// @notice Implemented by contracts that receive calldata (and optionally tokens) through a crosschain transfer.
/// @dev `Connext` calls only this selector, with the gas its caller supplied (less a reserve), after the tokens have
///      been sent to the receiver. On the fast path `originSender` is zero, because nothing about the origin is proven
///      yet, and a revert makes the whole execution revert. On the slow path `originSender` is authentic, and a revert
///      with at least `xReceiveGasLimit` gas only records `ExternalCalldataExecuted(transferId, false, returnData)`:
///      the tokens stay with the receiver. A revert with less gas reverts the execution on either path, so a relayer
///      cannot starve the call into a recorded failure; a receiver needing more than `xReceiveGasLimit` should let
///      out-of-gas propagate (not catch it) and ask governance to raise the limit.
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
