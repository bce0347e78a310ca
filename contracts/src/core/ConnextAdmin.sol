// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextBase} from "./ConnextBase.sol";
import {IConnext} from "../interfaces/IConnext.sol";
import {SafeTransferLib} from "./libraries/SafeTransferLib.sol";

/// @title ConnextAdmin
/// @notice Governance of `Connext`: sequencer and relayer allowlists, remote `Connext`s, the messaging adapter,
///         fast-path parameters, and the relayer fee vault.
abstract contract ConnextAdmin is ConnextBase {
    /// @notice Approves or unapproves `sequencer`.
    /// @dev Unapproving may not leave fewer approved sequencers than `sequencerThreshold`, except the last one at a
    ///      threshold of 1 (an empty set turns the fast path off): to shrink the set, lower the threshold first.
    function setSequencerApproval(address sequencer, bool approved) external onlyOwner {
        if (sequencer == address(0)) revert IConnext.ZeroAddress();
        if (approvedSequencers[sequencer] != approved) {
            uint256 count = approvedSequencerCount;
            if (approved) {
                ++count;
            } else {
                --count;
                uint256 threshold = sequencerThreshold;
                if (count != 0 && count < threshold) {
                    revert IConnext.SequencerSetBelowThreshold(count, threshold);
                }
            }
            approvedSequencerCount = uint32(count);
            approvedSequencers[sequencer] = approved;
        }
        emit IConnext.SequencerApprovalUpdated(sequencer, approved);
    }

    /// @notice Sets how many distinct approved sequencers must sign a fast-path selection: 1 up to
    ///         `approvedSequencerCount`. With N sequencers run by different operators, a threshold above N/2 (two
    ///         thirds for Tendermint) means no minority of them can route a transfer.
    function setSequencerThreshold(uint256 threshold) external onlyOwner {
        _setSequencerThreshold(threshold);
    }

    /// @notice Approves or unapproves `relayer` for `execute`.
    function setRelayerApproval(address relayer, bool approved) external onlyOwner {
        if (relayer == address(0)) revert IConnext.ZeroAddress();
        approvedRelayers[relayer] = approved;
        emit IConnext.RelayerApprovalUpdated(relayer, approved);
    }

    /// @notice Enrolls the `Connext` of `domain` (left-padded), or unenrolls it with zero.
    /// @dev Unenrolling stops new transfers to `domain` and leaves its inbound messages retryable until re-enrolled.
    function setRemoteConnext(uint32 domain, bytes32 connext) external onlyOwner {
        if (domain == 0 || domain == LOCAL_DOMAIN) {
            revert IConnext.ParameterOutOfRange(domain, 1, type(uint32).max);
        }
        remoteConnext[domain] = connext;
        emit IConnext.RemoteConnextUpdated(domain, connext);
    }

    /// @notice Sets the messaging gateway outbound messages are dispatched through.
    function setGateway(address newGateway) external onlyOwner {
        _setGateway(newGateway);
    }

    /// @notice Sets who authenticates inbound messages.
    function setInbox(address newInbox) external onlyOwner {
        _setInbox(newInbox);
    }

    /// @notice Sets the fast-path liquidity fee (at most `MAX_LIQUIDITY_FEE_BPS`).
    function setLiquidityFeeBps(uint256 feeBps) external onlyOwner {
        _setLiquidityFeeBps(feeBps);
    }

    /// @notice Sets how many routers may split one transfer (1 to `MAX_ROUTERS`).
    function setMaxRoutersPerTransfer(uint256 maxRouters) external onlyOwner {
        _setMaxRoutersPerTransfer(maxRouters);
    }

    /// @notice Sets `xReceiveGasLimit`, the gas after which an `xReceive` failure is final (`MIN_XRECEIVE_GAS` to
    ///         `MAX_XRECEIVE_GAS`). Raise it for xApps whose receivers need more, so no relayer can starve them.
    function setXReceiveGasLimit(uint256 gasLimit) external onlyOwner {
        _setXReceiveGasLimit(gasLimit);
    }

    /// @notice Sets the account that withdraws relayer fees.
    function setRelayerFeeVault(address vault) external onlyOwner {
        _setRelayerFeeVault(vault);
    }

    /// @notice The vault withdraws `amount` of relayer fees in `asset` (`NATIVE` for the native token).
    function withdrawRelayerFees(address asset, uint256 amount) external nonReentrant {
        address vault = relayerFeeVault;
        if (msg.sender != vault) revert IConnext.NotRelayerFeeVault(msg.sender);
        if (amount == 0) revert IConnext.ZeroAmount();
        if (asset == NATIVE) {
            uint256 available = address(this).balance;
            if (available < amount) revert IConnext.InsufficientRelayerFees(asset, available, amount);
            (bool ok,) = vault.call{value: amount}("");
            if (!ok) revert IConnext.NativeTransferFailed(vault);
        } else {
            uint256 available = relayerFees[asset];
            if (available < amount) revert IConnext.InsufficientRelayerFees(asset, available, amount);
            unchecked {
                relayerFees[asset] = available - amount;
            }
            SafeTransferLib.safeTransfer(asset, vault, amount);
        }
        emit IConnext.RelayerFeesWithdrawn(vault, asset, amount);
    }
}
