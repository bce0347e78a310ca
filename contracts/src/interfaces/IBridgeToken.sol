// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IBridgeToken
/// @notice A representation ERC-20 of an asset whose home is another domain; only its `Connext` mints and burns.
interface IBridgeToken {
    /// @notice The `Connext` allowed to mint and burn.
    function connext() external view returns (address);

    /// @notice Mints `amount` to `to`; `Connext` only.
    function mint(address to, uint256 amount) external;

    /// @notice Burns `amount` from `from`; `Connext` only (it burns only from its caller or itself).
    function burn(address from, uint256 amount) external;
}
