// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextFixture} from "../../core/utils/ConnextFixture.sol";
import {TransferInfo} from "../../../src/interfaces/IConnext.sol";

/// @notice The Connext fixture with tokens of the tests' own making registered as canonical here: how to register
///         one, who funds routers with it, and the transfer of it that arrives from `REMOTE`.
abstract contract LocalTokenFixture is ConnextFixture {
    /// @dev A hook-less account that provides routers' liquidity and escrow.
    address internal constant FUNDER = address(0xF00D);

    /// @dev Registers `token` as a canonical asset of this domain, without a cap.
    function _register(address token) internal {
        vm.prank(GOV);
        connext.setupCanonicalAsset(token, type(uint128).max);
    }

    /// @dev A transfer of `amount` of `token` (home here, `decimals` decimals) from `REMOTE` to `to`.
    function _localTransfer(address token, uint8 decimals, address to, uint256 amount, uint256 nonce)
        internal
        pure
        returns (TransferInfo memory params)
    {
        params = _baseTransfer(nonce);
        params.to = to;
        params.canonicalDomain = LOCAL;
        params.canonicalId = bytes32(uint256(uint160(token)));
        params.bridgedAmt = amount;
        params.normalizedIn = amount * 10 ** (18 - decimals);
    }
}
