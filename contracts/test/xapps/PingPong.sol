// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IConnext} from "@connext/interfaces/core/IConnext.sol";
import {IXReceiver} from "@connext/interfaces/core/IXReceiver.sol";

/// @title PingPong
/// @notice One contract per domain, paired with its twin on another: `startPingPong` sends a ping; each `xReceive`
///         of an authentic ping from the twin answers with a nested `xcall` back from inside `xReceive`, paying the
///         relayer from its own native balance, until `rounds` exchanges are done.
contract PingPong is IXReceiver {
    /// @notice The Connext on this domain.
    IConnext public immutable connext;
    /// @notice The native relayer fee each answer pays.
    uint256 public immutable relayerFee;
    /// @notice The twin's domain and address.
    uint32 public twinDomain;
    address public twin;
    /// @notice Pings received so far.
    uint256 public pings;
    /// @notice The transfer id of the last answer sent.
    bytes32 public lastSent;

    constructor(address connext_, uint256 relayerFee_) {
        connext = IConnext(connext_);
        relayerFee = relayerFee_;
    }

    /// @notice Accepts native tokens to pay relayer fees from.
    receive() external payable {}

    /// @notice Pairs this contract with its twin.
    function pair(uint32 twinDomain_, address twin_) external {
        require(twin == address(0), "already paired");
        twinDomain = twinDomain_;
        twin = twin_;
    }

    /// @notice Sends the first ping; it will bounce `rounds` times in all.
    function startPingPong(uint256 rounds) external payable returns (bytes32) {
        return _send(rounds);
    }

    /// @inheritdoc IXReceiver
    function xReceive(
        bytes32, /* _transferId */
        uint256, /* _amount */
        address, /* _asset */
        address _originSender,
        uint32 _origin,
        bytes memory _callData
    ) external returns (bytes memory) {
        require(msg.sender == address(connext), "only Connext");
        require(_origin == twinDomain && _originSender == twin, "only the twin, authenticated");
        ++pings;
        uint256 remaining = abi.decode(_callData, (uint256));
        if (remaining > 1) _send(remaining - 1);
        return "";
    }

    function _send(uint256 rounds) private returns (bytes32 transferId) {
        transferId = connext.xcall{value: relayerFee}(
            twinDomain, twin, address(0), address(this), 0, 0, abi.encode(rounds)
        );
        lastSent = transferId;
    }
}
