// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IXReceiver} from "../interfaces/IXReceiver.sol";

interface IERC20Transfer {
    function transfer(address to, uint256 amount) external returns (bool);
}

/// @title DemoReceiver
/// @notice An `IXReceiver` for the devnet demo: forwards what it receives to a beneficiary named in the calldata,
///         and records a note per transfer.
/// @dev `callData` is `abi.encode(address beneficiary, string note)`. A zero beneficiary reverts, which is how the
///      demo and the tests make a call fail on purpose: on the fast path the execute reverts (so the transfer takes the
///      slow path), on the slow path the funds stay with this contract.
contract DemoReceiver is IXReceiver {
    /// @notice The note of each transfer received.
    mapping(bytes32 transferId => string note) public notes;
    /// @notice How many calls succeeded.
    uint256 public calls;

    /// @notice `transferId` from `originSender` on `origin` delivered `amount` of `asset`, forwarded to `beneficiary`.
    /// @dev `originSender` is zero on the fast path, where nothing is proven yet.
    event Received(
        bytes32 indexed transferId,
        uint32 indexed origin,
        address originSender,
        address indexed beneficiary,
        address asset,
        uint256 amount,
        string note
    );

    /// @notice The calldata named no beneficiary.
    error ZeroBeneficiary(bytes32 transferId);
    /// @notice The token refused to forward the funds.
    error ForwardFailed(address asset, address beneficiary, uint256 amount);

    /// @inheritdoc IXReceiver
    function xReceive(
        bytes32 transferId,
        uint256 amount,
        address asset,
        address originSender,
        uint32 origin,
        bytes calldata callData
    ) external returns (bytes memory) {
        (address beneficiary, string memory note) = abi.decode(callData, (address, string));
        if (beneficiary == address(0)) revert ZeroBeneficiary(transferId);
        notes[transferId] = note;
        calls++;
        emit Received(transferId, origin, originSender, beneficiary, asset, amount, note);
        if (amount != 0 && !IERC20Transfer(asset).transfer(beneficiary, amount)) {
            revert ForwardFailed(asset, beneficiary, amount);
        }
        return abi.encode(beneficiary);
    }
}
