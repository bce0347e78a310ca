// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Vm} from "../../test/utils/Vm.sol";

/// @title GasBench
/// @notice Base for gas benchmark scripts. A script broadcasts real transactions to a local anvil; before
///         each measured transaction it calls `measureNext(name, divisor)`, which records the sender's
///         nonce. `bench/gas.py` then reads each labelled transaction's receipt and reports
///         `gasUsed / divisor` under `name`: transaction gas as a user pays it, calldata and base cost included.
abstract contract GasBench {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    address internal sender;
    string private _labels = "{";
    bool private _first = true;

    function _begin() internal {
        uint256 key = vm.envUint("BENCH_PRIVATE_KEY");
        sender = vm.addr(key);
        vm.startBroadcast(key);
    }

    /// @dev The next transaction broadcast is reported as `name`, divided by `divisor` (per-item figures).
    function measureNext(string memory name, uint256 divisor) internal {
        _labels = string.concat(
            _labels,
            _first ? "" : ",",
            '"',
            name,
            '":{"nonce":',
            vm.toString(uint256(vm.getNonce(sender))),
            ',"divisor":',
            vm.toString(divisor),
            "}"
        );
        _first = false;
    }

    function _end() internal {
        vm.stopBroadcast();
        vm.writeFile(vm.envString("BENCH_LABELS_OUT"), string.concat(_labels, "}"));
    }
}
