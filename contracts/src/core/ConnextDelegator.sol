// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextBase} from "./ConnextBase.sol";
import {ConnextExtension} from "./ConnextExtension.sol";
import {IConnext, TransferInfo} from "../interfaces/IConnext.sol";

/// @title ConnextDelegator
/// @notice `Connext`'s cold paths, declared here with their exact signatures (so `Connext`'s ABI lists them) and run
///         in the `ConnextExtension` this contract deploys, with `delegatecall`: in `Connext`'s storage, with the
///         caller's `msg.sender`, emitting `Connext`'s events and reverting with the extension's errors unchanged.
/// @dev Each entry only names its parameters (so their ABI names stay) and forwards the whole calldata; the extension
///      decodes and checks it, including the access control. Keeping these bodies out of `Connext` leaves room under
///      EIP-170's 24,576-byte limit. The hot paths (`xcall`, `execute`, `handle`, `bumpTransfer`, router liquidity)
///      and every view stay in `Connext`: a forwarded call costs about 3,000 gas more (a cold account and the copy).
abstract contract ConnextDelegator is ConnextBase, IConnext {
    /// @dev The extension deployed with this contract; it has no state of its own that matters.
    address private immutable EXTENSION;

    constructor() {
        EXTENSION = address(new ConnextExtension(LOCAL_DOMAIN));
    }

    // ------------------------------------------------------------------ governance (`ConnextAdmin`)

    /// @notice Approves or unapproves `sequencer`.
    function setSequencerApproval(address sequencer, bool approved) external {
        (sequencer, approved);
        _runInExtension();
    }

    /// @notice Sets how many distinct approved sequencers must sign a fast-path selection (1 to
    ///         `approvedSequencerCount`).
    function setSequencerThreshold(uint256 threshold) external {
        threshold;
        _runInExtension();
    }

    /// @notice Approves or unapproves `relayer` for `execute`.
    function setRelayerApproval(address relayer, bool approved) external {
        (relayer, approved);
        _runInExtension();
    }

    /// @notice Enrolls the `Connext` of `domain` (left-padded), or unenrolls it with zero.
    function setRemoteConnext(uint32 domain, bytes32 connext) external {
        (domain, connext);
        _runInExtension();
    }

    /// @notice Sets the messaging gateway outbound messages are dispatched through.
    function setGateway(address newGateway) external {
        newGateway;
        _runInExtension();
    }

    /// @notice Sets who authenticates inbound messages.
    function setInbox(address newInbox) external {
        newInbox;
        _runInExtension();
    }

    /// @notice Sets the fast-path liquidity fee (at most `MAX_LIQUIDITY_FEE_BPS`).
    function setLiquidityFeeBps(uint256 feeBps) external {
        feeBps;
        _runInExtension();
    }

    /// @notice Sets how many routers may split one transfer (1 to `MAX_ROUTERS`).
    function setMaxRoutersPerTransfer(uint256 maxRouters) external {
        maxRouters;
        _runInExtension();
    }

    /// @notice Sets `xReceiveGasLimit`, the gas after which an `xReceive` failure is final (`MIN_XRECEIVE_GAS` to
    ///         `MAX_XRECEIVE_GAS`).
    function setXReceiveGasLimit(uint256 gasLimit) external {
        gasLimit;
        _runInExtension();
    }

    /// @notice Sets the account that withdraws relayer fees.
    function setRelayerFeeVault(address vault) external {
        vault;
        _runInExtension();
    }

    /// @notice The vault withdraws `amount` of relayer fees in `asset` (`NATIVE` for the native token).
    function withdrawRelayerFees(address asset, uint256 amount) external {
        (asset, amount);
        _runInExtension();
    }

    // ------------------------------------------------------------------ asset registry (`AssetRegistry`)

    /// @notice Registers and approves a token whose home is this domain; transfers of it are escrowed here.
    function setupCanonicalAsset(address token, uint256 cap) external {
        (token, cap);
        _runInExtension();
    }

    /// @notice Registers the representation of a token whose home is another domain.
    function setupRepresentation(bytes32 canonicalId, uint32 canonicalDomain, address representation)
        external
    {
        (canonicalId, canonicalDomain, representation);
        _runInExtension();
    }

    /// @notice Allows or stops new transfers and new router liquidity in `local`; what is in flight still lands.
    function setAssetApproval(address local, bool approved) external {
        (local, approved);
        _runInExtension();
    }

    /// @notice Sets the escrow cap of a canonical token (`type(uint128).max`: no limit).
    function setAssetCap(address local, uint256 cap) external {
        (local, cap);
        _runInExtension();
    }

    // ------------------------------------------------------------------ routers (`RouterAdmin`)

    /// @inheritdoc IConnext
    function setupRouter(address router, address routerOwner, address recipient) external {
        (router, routerOwner, recipient);
        _runInExtension();
    }

    /// @inheritdoc IConnext
    function approveRouter(address router) external {
        router;
        _runInExtension();
    }

    /// @inheritdoc IConnext
    function unapproveRouter(address router) external {
        router;
        _runInExtension();
    }

    /// @inheritdoc IConnext
    function proposeRouterRecipient(address router, address recipient) external {
        (router, recipient);
        _runInExtension();
    }

    /// @inheritdoc IConnext
    function acceptRouterRecipient(address router) external {
        router;
        _runInExtension();
    }

    /// @inheritdoc IConnext
    function cancelRouterRecipient(address router) external {
        router;
        _runInExtension();
    }

    /// @inheritdoc IConnext
    function proposeRouterOwner(address router, address proposedOwner) external {
        (router, proposedOwner);
        _runInExtension();
    }

    /// @inheritdoc IConnext
    function acceptRouterOwner(address router) external {
        router;
        _runInExtension();
    }

    /// @inheritdoc IConnext
    function acceptProposedRouterOwner(address router) external {
        router;
        _runInExtension();
    }

    // ------------------------------------------------------------------ the delegate's recovery (`TransferRecovery`)

    /// @inheritdoc IConnext
    function forceUpdateSlippage(TransferInfo calldata params, uint256 slippage) external {
        (params, slippage);
        _runInExtension();
    }

    /// @inheritdoc IConnext
    function forceReceiveLocal(TransferInfo calldata params) external {
        params;
        _runInExtension();
    }

    /// @dev Runs the current call in the extension and ends it with the extension's return or revert data.
    function _runInExtension() private {
        address extension = EXTENSION;
        assembly {
            // Never returns to Solidity: memory from zero may be overwritten.
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), extension, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}
