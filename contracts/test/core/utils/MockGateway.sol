// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMessageGateway, IMessageInbox} from "../../../src/interfaces/IMessageGateway.sol";

/// @title MockGateway
/// @notice TEST DOUBLE of the messaging layer for unit tests of `Connext`'s own logic: records what is dispatched
///         (encoding messages like the real `Home`) and answers `isInbound` from a table the test sets. The
///         multi-domain end-to-end tests use the real `Home`, `Replica` and `ConnectionManager` instead.
contract MockGateway is IMessageGateway, IMessageInbox {
    struct Dispatched {
        address sender;
        uint32 destination;
        bytes32 recipient;
        bytes body;
        bytes32 leaf;
        uint32 nonce;
    }

    uint32 public immutable localDomain;
    Dispatched[] public dispatched;
    mapping(uint32 destination => uint32) public nonces;
    mapping(address caller => mapping(uint32 origin => bool)) public inbound;

    constructor(uint32 localDomain_) {
        localDomain = localDomain_;
    }

    function dispatch(uint32 destination, bytes32 recipient, bytes calldata body)
        external
        returns (bytes32 leaf, uint32 nonce)
    {
        nonce = nonces[destination]++;
        leaf = keccak256(
            abi.encodePacked(
                localDomain, bytes32(uint256(uint160(msg.sender))), nonce, destination, recipient, body
            )
        );
        dispatched.push(Dispatched(msg.sender, destination, recipient, body, leaf, nonce));
    }

    function setInbound(address caller, uint32 origin, bool allowed) external {
        inbound[caller][origin] = allowed;
    }

    function isInbound(address caller, uint32 origin) external view returns (bool) {
        return inbound[caller][origin];
    }

    function dispatchedCount() external view returns (uint256) {
        return dispatched.length;
    }

    function lastBody() external view returns (bytes memory) {
        return dispatched[dispatched.length - 1].body;
    }
}
