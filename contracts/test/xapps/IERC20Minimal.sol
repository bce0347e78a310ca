// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The ERC-20 calls the example xApps make.
interface IERC20Minimal {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function transfer(address to, uint256 amount) external returns (bool);
    function approve(address spender, uint256 amount) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
}
