// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISwapper} from "./SwapAndXCall.sol";
import {IERC20Minimal} from "./IERC20Minimal.sol";

/// @title DemoSwapper
/// @notice The DEX a devnet's `SwapAndXCall` swaps through: one to one out of its own reserves of each token (fund it
///         by sending it the token it pays out).
contract DemoSwapper is ISwapper {
    /// @inheritdoc ISwapper
    function swapExactIn(address tokenIn, address tokenOut, uint256 amountIn, uint256 minOut)
        external
        returns (uint256 amountOut)
    {
        amountOut = amountIn;
        require(amountOut >= minOut, "slippage");
        require(IERC20Minimal(tokenIn).transferFrom(msg.sender, address(this), amountIn), "pull failed");
        require(IERC20Minimal(tokenOut).transfer(msg.sender, amountOut), "pay failed");
    }
}
