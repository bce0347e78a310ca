// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IConnext} from "@connext/interfaces/core/IConnext.sol";
import {IERC20Minimal} from "./IERC20Minimal.sol";

/// @notice The swap a `SwapAndXCall` uses (any DEX with an exact-input swap to the caller).
interface ISwapper {
    function swapExactIn(address tokenIn, address tokenOut, uint256 amountIn, uint256 minOut)
        external
        returns (uint256 amountOut);
}

/// @title SwapAndXCall
/// @notice Swaps what the caller brings into the bridged asset and xcalls it, paying the relayer in that asset
///         (Connext's 8-argument `xcall`): the shape of Connext's swap-and-xcall example, where the user holds no
///         native token for the fee.
contract SwapAndXCall {
    /// @notice The Connext on this domain.
    IConnext public immutable connext;
    /// @notice The DEX.
    ISwapper public immutable swapper;

    constructor(address connext_, address swapper_) {
        connext = IConnext(connext_);
        swapper = ISwapper(swapper_);
    }

    /// @notice Swaps `amountIn` of `fromAsset` into `toAsset`, keeps `relayerFee` of it for the relayer and bridges
    ///         the rest to `to` on `destination` with `callData`.
    function swapAndXCall(
        address fromAsset,
        address toAsset,
        uint256 amountIn,
        uint256 minOut,
        uint32 destination,
        address to,
        uint256 relayerFee,
        bytes calldata callData
    ) external returns (bytes32) {
        require(IERC20Minimal(fromAsset).transferFrom(msg.sender, address(this), amountIn), "pull failed");
        require(IERC20Minimal(fromAsset).approve(address(swapper), amountIn), "approve failed");
        uint256 amountOut = swapper.swapExactIn(fromAsset, toAsset, amountIn, minOut);
        require(amountOut > relayerFee, "swap does not cover the fee");
        require(IERC20Minimal(toAsset).approve(address(connext), amountOut), "approve failed");
        return
            connext.xcall(
                destination, to, toAsset, msg.sender, amountOut - relayerFee, 30, callData, relayerFee
            );
    }
}
