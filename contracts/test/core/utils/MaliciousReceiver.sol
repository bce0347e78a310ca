// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IXReceiver} from "../../../src/interfaces/IXReceiver.sol";

/// @title MaliciousReceiver
/// @notice An `IXReceiver` that, when called, fires a list of prepared calls (re-entering `Connext`, pulling router
///         liquidity, moving `Connext`'s tokens) and records each outcome without reverting itself.
contract MaliciousReceiver is IXReceiver {
    struct Attack {
        address target;
        bytes data;
    }

    Attack[] internal _attacks;
    bool[] public succeeded;
    bytes[] public results;
    uint256 public received;

    function addAttack(address target, bytes calldata data) external {
        _attacks.push(Attack(target, data));
    }

    function attackCount() external view returns (uint256) {
        return _attacks.length;
    }

    function xReceive(bytes32, uint256 amount, address, address, uint32, bytes calldata)
        external
        returns (bytes memory)
    {
        received += amount;
        for (uint256 i; i < _attacks.length; ++i) {
            (bool ok, bytes memory ret) = _attacks[i].target.call(_attacks[i].data);
            succeeded.push(ok);
            results.push(ret);
        }
        return "";
    }
}
