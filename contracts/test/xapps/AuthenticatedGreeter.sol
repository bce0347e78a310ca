// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IConnext} from "@connext/interfaces/core/IConnext.sol";
import {IXReceiver} from "@connext/interfaces/core/IXReceiver.sol";

/// @title SourceGreeterAuthenticated
/// @notice Sends a greeting (calldata only, no tokens) to a `DestinationGreeterAuthenticated`, the relayer fee in
///         the native token: the shape of Connext's "authenticated" example.
contract SourceGreeterAuthenticated {
    /// @notice The Connext on this domain.
    IConnext public immutable connext;

    constructor(address connext_) {
        connext = IConnext(connext_);
    }

    /// @notice Asks `target` on `destinationDomain` to greet with `newGreeting`; `msg.value` pays the relayer.
    function xUpdateGreeting(address target, uint32 destinationDomain, string calldata newGreeting)
        external
        payable
        returns (bytes32)
    {
        return connext.xcall{value: msg.value}(
            destinationDomain, target, address(0), msg.sender, 0, 0, abi.encode(newGreeting)
        );
    }
}

/// @title DestinationGreeterAuthenticated
/// @notice Greets only when the message comes from its source greeter on its origin domain, called by Connext: the
///         `originSender` Connext passes is authentic only once the messaging layer has delivered the transfer (the
///         slow path); on the fast path it is zero, so such a call is refused.
contract DestinationGreeterAuthenticated is IXReceiver {
    /// @notice The Connext allowed to call.
    address public immutable connext;
    /// @notice The only origin domain accepted.
    uint32 public immutable originDomain;
    /// @notice The only origin sender accepted (the `SourceGreeterAuthenticated`).
    address public immutable source;
    /// @notice The current greeting.
    string public greeting;

    constructor(address connext_, uint32 originDomain_, address source_) {
        connext = connext_;
        originDomain = originDomain_;
        source = source_;
    }

    modifier onlySource(address _originSender, uint32 _origin) {
        require(
            _origin == originDomain && _originSender == source && msg.sender == connext,
            "Expected original caller to be source contract on origin domain and this to be called by Connext"
        );
        _;
    }

    /// @inheritdoc IXReceiver
    function xReceive(
        bytes32, /* _transferId */
        uint256, /* _amount */
        address, /* _asset */
        address _originSender,
        uint32 _origin,
        bytes memory _callData
    ) external onlySource(_originSender, _origin) returns (bytes memory) {
        greeting = abi.decode(_callData, (string));
        return "";
    }
}
