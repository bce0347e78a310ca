// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IXReceiver} from "../../../src/interfaces/IXReceiver.sol";

/// @title RecordingReceiver
/// @notice An `IXReceiver` that records its last call and can be told to revert.
contract RecordingReceiver is IXReceiver {
    error ReceiverReverted(bytes32 transferId);

    bool public shouldRevert;
    uint256 public calls;
    bytes32 public lastTransferId;
    uint256 public lastAmount;
    address public lastAsset;
    address public lastOriginSender;
    uint32 public lastOrigin;
    bytes public lastCallData;
    uint256 public lastBalance;

    function setShouldRevert(bool value) external {
        shouldRevert = value;
    }

    function xReceive(
        bytes32 transferId,
        uint256 amount,
        address asset,
        address originSender,
        uint32 origin,
        bytes calldata callData
    ) external returns (bytes memory) {
        if (shouldRevert) revert ReceiverReverted(transferId);
        calls++;
        lastTransferId = transferId;
        lastAmount = amount;
        lastAsset = asset;
        lastOriginSender = originSender;
        lastOrigin = origin;
        lastCallData = callData;
        if (asset != address(0)) {
            (, bytes memory ret) =
                asset.staticcall(abi.encodeWithSignature("balanceOf(address)", address(this)));
            lastBalance = abi.decode(ret, (uint256));
        }
        return abi.encode(transferId);
    }
}

/// @title GasBurner
/// @notice An `IXReceiver` that reports the gas it was given, then burns it all.
contract GasBurner is IXReceiver {
    function xReceive(bytes32, uint256, address, address, uint32, bytes calldata)
        external
        view
        returns (bytes memory)
    {
        uint256 given = gasleft();
        if (given > 0) {
            // Burn everything: an infinite loop ends in out-of-gas.
            while (true) {}
        }
        return "";
    }
}

/// @title ReturnBomb
/// @notice An `IXReceiver` that reverts with a huge payload (only 256 bytes of it may be kept).
contract ReturnBomb is IXReceiver {
    function xReceive(bytes32, uint256, address, address, uint32, bytes calldata)
        external
        pure
        returns (bytes memory)
    {
        assembly {
            revert(0x1000, 10000)
        }
    }
}

/// @title GasHungryReceiver
/// @notice An `IXReceiver` that spends `need` gas, then records the call (a first storage write, about 22k more):
///         it succeeds exactly when given enough, and otherwise runs out of gas.
contract GasHungryReceiver is IXReceiver {
    /// @notice The gas spent before recording the call.
    uint256 public immutable need;
    /// @notice How many calls ran to the end.
    uint256 public calls;

    constructor(uint256 need_) {
        need = need_;
    }

    function xReceive(bytes32, uint256, address, address, uint32, bytes calldata)
        external
        returns (bytes memory)
    {
        uint256 start = gasleft();
        while (start - gasleft() < need) {}
        calls++;
        return "";
    }
}

/// @title GreedyReceiver
/// @notice An `IXReceiver` that returns or reverts with 1,000 bytes; if `greedy`, only after spending all but a sliver
///         of its gas: the worst case for what `execute` must still pay after the call (nothing handed back, the most
///         data kept).
contract GreedyReceiver is IXReceiver {
    /// @notice Whether it reverts rather than returns.
    bool public immutable fails;
    /// @notice Whether it spends its gas first.
    bool public immutable greedy;

    constructor(bool fails_, bool greedy_) {
        fails = fails_;
        greedy = greedy_;
    }

    function xReceive(bytes32, uint256, address, address, uint32, bytes calldata)
        external
        view
        returns (bytes memory)
    {
        if (greedy) {
            while (gasleft() > 1000) {}
        }
        bool reverts = fails;
        assembly {
            if reverts { revert(0x1000, 1000) }
            return(0x1000, 1000)
        }
    }
}
