// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Compiled against Connext's published interfaces as they are (remapped to node_modules in foundry.toml).
import {IConnext} from "@connext/interfaces/core/IConnext.sol";
import {IXReceiver} from "@connext/interfaces/core/IXReceiver.sol";
import {IERC20Minimal} from "./IERC20Minimal.sol";

/// @title SourceGreeter
/// @notice The origin half of the "greeter" xApp, in the shape of Connext's published example: pays `amount` of a
///         token and sends a new greeting to a `DestinationGreeter`, with the relayer fee in the native token.
contract SourceGreeter {
    /// @notice The Connext on this domain.
    IConnext public immutable connext;
    /// @notice The token the greeting is paid in.
    IERC20Minimal public immutable token;

    constructor(address connext_, address token_) {
        connext = IConnext(connext_);
        token = IERC20Minimal(token_);
    }

    /// @notice Pays `amount` of `token` (approved to this contract) and asks `target` on `destinationDomain` to
    ///         greet with `newGreeting`; `relayerFee` (sent along) pays the relayer.
    function xUpdateGreeting(
        address target,
        uint32 destinationDomain,
        string calldata newGreeting,
        uint256 amount,
        uint256 relayerFee
    ) external payable returns (bytes32) {
        require(msg.value == relayerFee, "relayer fee must be sent");
        require(token.transferFrom(msg.sender, address(this), amount), "pull failed");
        require(token.approve(address(connext), amount), "approve failed");
        return connext.xcall{value: relayerFee}(
            destinationDomain, // _destination: the domain of the target
            target, // _to: the DestinationGreeter
            address(token), // _asset: what is bridged
            msg.sender, // _delegate: may recover the transfer on the destination
            amount, // _amount
            30, // _slippage: 0.3%
            abi.encode(newGreeting) // _callData
        );
    }
}

/// @title DestinationGreeter
/// @notice The destination half: greets with what it is sent, if it was paid at least `cost` of `token`. Anyone may
///         greet (no authentication), so it runs on the fast path too.
contract DestinationGreeter is IXReceiver {
    /// @notice The token the greeting must be paid in.
    address public immutable token;
    /// @notice The least a greeting costs.
    uint256 public immutable cost;
    /// @notice The current greeting.
    string public greeting;
    /// @notice What this contract was paid in total.
    uint256 public paid;

    constructor(address token_, uint256 cost_) {
        token = token_;
        cost = cost_;
    }

    /// @inheritdoc IXReceiver
    function xReceive(
        bytes32, /* _transferId */
        uint256 _amount,
        address _asset,
        address, /* _originSender */
        uint32, /* _origin */
        bytes memory _callData
    )
        external
        returns (bytes memory)
    {
        require(_asset == token, "wrong asset");
        require(_amount >= cost, "must pay at least the cost");
        paid += _amount;
        greeting = abi.decode(_callData, (string));
        return abi.encode(greeting);
    }
}
