// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title SafeTransferLib
/// @notice ERC-20 and native transfers that work with tokens returning nothing and revert on any failure.
library SafeTransferLib {
    /// @notice The token call `selector` on `token` returned false, returned garbage, reverted without a reason, or
    ///         `token` has no code.
    error TokenCallFailed(address token, bytes4 selector);

    /// @notice Sends `amount` of `token` from this contract to `to`.
    function safeTransfer(address token, address to, uint256 amount) internal {
        _call(token, abi.encodeWithSelector(0xa9059cbb, to, amount));
    }

    /// @notice Moves `amount` of `token` from `from` to `to` under this contract's allowance.
    function safeTransferFrom(address token, address from, address to, uint256 amount) internal {
        _call(token, abi.encodeWithSelector(0x23b872dd, from, to, amount));
    }

    /// @notice `token.balanceOf(account)`; reverts if the call fails or returns garbage.
    function balanceOf(address token, address account) internal view returns (uint256 balance) {
        (bool ok, bytes memory ret) = token.staticcall(abi.encodeWithSelector(0x70a08231, account));
        if (!ok || ret.length < 32) revert TokenCallFailed(token, 0x70a08231);
        balance = abi.decode(ret, (uint256));
    }

    function _call(address token, bytes memory data) private {
        (bool ok, bytes memory ret) = token.call(data);
        // A token that reverted with a reason explains the failure best: pass its reason on.
        if (!ok && ret.length != 0) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        // Success is a call that did not revert and either returned true or returned nothing from a contract.
        bool success =
            ok && (ret.length == 0 ? token.code.length != 0 : (ret.length >= 32 && abi.decode(ret, (bool))));
        if (!success) revert TokenCallFailed(token, bytes4(data));
    }
}
