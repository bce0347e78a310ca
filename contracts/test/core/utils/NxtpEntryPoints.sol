// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title INxtpEntryPoints
/// @notice nxtp's own shapes of the `Connext` functions that Connext-compatibility overloads (the 7-argument `xcall`,
///         `bumpTransfer(bytes32)`, `addRouterLiquidity(uint256,address)`), for tests that encode a call with
///         `abi.encodeCall`, which needs a name with one meaning. Same selectors as `IConnext`'s.
interface INxtpEntryPoints {
    function xcall(
        uint32 destination,
        address to,
        address asset,
        address delegate,
        uint256 amount,
        uint256 slippage,
        bytes calldata callData,
        uint256 relayerFeeInAsset
    ) external payable returns (bytes32 transferId);

    function bumpTransfer(bytes32 transferId, address asset, uint256 amountInAsset) external payable;

    function addRouterLiquidity(address router, address asset, uint256 amount) external;
}
