// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Pausable} from "../governance/Pausable.sol";
import {Ownable2Step} from "../governance/Ownable2Step.sol";
import {IConnext} from "../interfaces/IConnext.sol";
import {SafeTransferLib} from "./libraries/SafeTransferLib.sol";

/// @title ConnextBase
/// @notice The storage of `Connext` in one place, its constants and its reentrancy guards.
/// @dev Layout is chosen for gas: the first variables share a slot with `Pausable.paused`, so `xcall` reads the
///      pause flag, the gateway and the nonce with one cold load, and `execute` reads the pause flag, the fee and the
///      router bound with one.
abstract contract ConnextBase is Pausable {
    /// @notice Basis-point denominator.
    uint256 public constant BPS = 10_000;
    /// @notice Upper bound of `maxRoutersPerTransfer` (what one transfer record can hold).
    uint256 public constant MAX_ROUTERS = 5;
    /// @notice Upper bound of `liquidityFeeBps` (1%).
    uint256 public constant MAX_LIQUIDITY_FEE_BPS = 100;
    /// @notice How long a proposed router owner waits before accepting.
    uint256 public constant ROUTER_OWNERSHIP_DELAY = 7 days;
    /// @notice Bounds of `xReceiveGasLimit`.
    uint256 public constant MIN_XRECEIVE_GAS = 50_000;
    uint256 public constant MAX_XRECEIVE_GAS = 10_000_000;
    /// @notice The asset id used for native-token relayer fees.
    address public constant NATIVE = address(0);

    /// @dev This domain.
    uint32 internal immutable LOCAL_DOMAIN;

    // ---- slot 2 (shared with `paused`)
    /// @notice Where outbound messages are dispatched (the messaging `Home`).
    address public gateway;
    /// @notice The nonce the next `xcall` gets.
    uint64 public nonce;
    /// @notice The fast-path liquidity fee, in basis points of `bridgedAmt`.
    uint16 public liquidityFeeBps;
    /// @notice The most routers one transfer may be split between.
    uint8 public maxRoutersPerTransfer;

    // ---- slot 3
    /// @notice Who authenticates inbound messages (the messaging connection manager).
    address public inbox;
    /// @notice The gas an `xReceive` must have been given for its failure to count: a failure with less reverts the
    ///         `execute` (retryable with more gas); with at least this much it is final (recorded on the slow path).
    ///         Receivers get all the gas the caller supplies (less a reserve), more or less than this.
    uint32 public xReceiveGasLimit;
    /// @notice How many distinct approved sequencers must sign a fast-path selection (at least 1, at most
    ///         `approvedSequencerCount` once any sequencer is approved).
    uint32 public sequencerThreshold;
    /// @notice How many sequencers are approved (the size of the set `sequencerThreshold` counts against).
    uint32 public approvedSequencerCount;

    // ---- slot 4
    /// @notice The account that withdraws relayer fees.
    address public relayerFeeVault;
    /// @notice How many routers have been set up (indices start at 1).
    uint32 public routerCount;

    /// @notice The `Connext` on each remote domain, left-padded (zero: not enrolled).
    mapping(uint32 domain => bytes32) public remoteConnext;
    /// @notice Sequencers allowed to pick routers.
    mapping(address sequencer => bool) public approvedSequencers;
    /// @notice Relayers allowed to submit `execute`.
    mapping(address relayer => bool) public approvedRelayers;
    /// @notice Relayer fees collected in each ERC-20 asset and not yet withdrawn (native fees are the balance).
    mapping(address asset => uint256) public relayerFees;

    /// @notice A registered local asset.
    /// @param canonicalDomain The asset's home domain (zero: not registered).
    /// @param decimals The asset's decimals.
    /// @param approved Whether new transfers and liquidity may use it.
    /// @param canonicalId The asset's id on its home domain.
    /// @param cap The most the home domain may escrow (canonical assets only).
    /// @param custodied What the home domain escrows for transfers in flight or delivered elsewhere.
    struct Asset {
        uint32 canonicalDomain;
        uint8 decimals;
        bool approved;
        bytes32 canonicalId;
        uint128 cap;
        uint128 custodied;
    }

    /// @dev The local asset of a canonical key, with its decimals, in one slot.
    struct LocalAsset {
        address local;
        uint8 decimals;
    }

    /// @dev A router: `owner | index | approved` in one slot, read by `execute` and liquidity paths.
    struct Router {
        address owner;
        uint32 index;
        bool approved;
        address recipient;
        address proposedOwner;
        uint64 proposedAt;
        address proposedRecipient;
        /// @dev When `proposedRecipient` may be accepted; zero: no recipient proposal is pending.
        uint64 recipientAcceptableAt;
    }

    mapping(address local => Asset) internal _assets;
    mapping(bytes32 key => LocalAsset) internal _localAssets;
    mapping(address router => Router) internal _routers;
    mapping(uint32 index => address) internal _routerByIndex;
    mapping(address router => mapping(address asset => uint256)) internal _liquidity;
    /// @dev Per transfer id, a `TransferRecord` word.
    mapping(bytes32 transferId => uint256) internal _transfers;

    bool private transient _valueGuard;
    bool private transient _xcallGuard;

    /// @notice A guarded function was re-entered.
    error Reentrancy();

    /// @dev Guards paths that move router liquidity, delivered funds or fees.
    modifier nonReentrant() {
        if (_valueGuard) revert Reentrancy();
        _valueGuard = true;
        _;
        _valueGuard = false;
    }

    /// @dev Guards `xcall` and `bumpTransfer`. Separate from `nonReentrant` so an `xReceive` may forward what it
    ///      received with a fresh `xcall` (its own funds, after `execute` has finished all its effects).
    modifier nonReentrantXCall() {
        if (_xcallGuard) revert Reentrancy();
        _xcallGuard = true;
        _;
        _xcallGuard = false;
    }

    /// @dev Only the owner of `router` (who alone moves its liquidity and its settings).
    modifier onlyRouterOwner(address router) {
        if (msg.sender != _routers[router].owner) revert IConnext.NotRouterOwner(router, msg.sender);
        _;
    }

    constructor(uint32 localDomain_, address owner_) Ownable2Step(owner_) {
        if (localDomain_ == 0) revert IConnext.ParameterOutOfRange(0, 1, type(uint32).max);
        LOCAL_DOMAIN = localDomain_;
    }

    /// @dev The registry key of the canonical asset `(canonicalDomain, canonicalId)`.
    function _assetKey(uint32 canonicalDomain, bytes32 canonicalId) internal pure returns (bytes32 key) {
        assembly {
            mstore(0x00, canonicalId)
            mstore(0x20, canonicalDomain)
            key := keccak256(0x00, 0x40)
        }
    }

    /// @dev Pulls exactly `amount` of `asset` from the caller. Representations are this contract's own tokens; any
    ///      other token is measured, and one that delivers less than sent (fee on transfer) is refused.
    function _pull(address asset, uint256 amount, bool isRepresentation) internal {
        if (isRepresentation) {
            SafeTransferLib.safeTransferFrom(asset, msg.sender, address(this), amount);
            return;
        }
        uint256 balanceBefore = SafeTransferLib.balanceOf(asset, address(this));
        SafeTransferLib.safeTransferFrom(asset, msg.sender, address(this), amount);
        uint256 balanceAfter = SafeTransferLib.balanceOf(asset, address(this));
        uint256 received = balanceAfter > balanceBefore ? balanceAfter - balanceBefore : 0;
        if (received != amount) revert IConnext.FeeOnTransferNotSupported(asset, amount, received);
    }

    // ---- setters shared by the constructor and governance (`ConnextAdmin`), each checking its bounds

    function _setGateway(address newGateway) internal {
        if (newGateway == address(0)) revert IConnext.ZeroAddress();
        emit IConnext.GatewayUpdated(gateway, newGateway);
        gateway = newGateway;
    }

    function _setInbox(address newInbox) internal {
        if (newInbox == address(0)) revert IConnext.ZeroAddress();
        emit IConnext.InboxUpdated(inbox, newInbox);
        inbox = newInbox;
    }

    function _setLiquidityFeeBps(uint256 feeBps) internal {
        if (feeBps > MAX_LIQUIDITY_FEE_BPS) {
            revert IConnext.ParameterOutOfRange(feeBps, 0, MAX_LIQUIDITY_FEE_BPS);
        }
        liquidityFeeBps = uint16(feeBps);
        emit IConnext.LiquidityFeeUpdated(feeBps);
    }

    function _setMaxRoutersPerTransfer(uint256 maxRouters) internal {
        if (maxRouters == 0 || maxRouters > MAX_ROUTERS) {
            revert IConnext.ParameterOutOfRange(maxRouters, 1, MAX_ROUTERS);
        }
        maxRoutersPerTransfer = uint8(maxRouters);
        emit IConnext.MaxRoutersPerTransferUpdated(maxRouters);
    }

    function _setXReceiveGasLimit(uint256 gasLimit) internal {
        if (gasLimit < MIN_XRECEIVE_GAS || gasLimit > MAX_XRECEIVE_GAS) {
            revert IConnext.ParameterOutOfRange(gasLimit, MIN_XRECEIVE_GAS, MAX_XRECEIVE_GAS);
        }
        xReceiveGasLimit = uint32(gasLimit);
        emit IConnext.XReceiveGasLimitUpdated(gasLimit);
    }

    /// @dev Sets the quorum: 1 up to the number of approved sequencers (1 while none is approved, as at deployment).
    function _setSequencerThreshold(uint256 threshold) internal {
        uint256 count = approvedSequencerCount;
        uint256 max = count > 1 ? count : 1;
        if (threshold == 0 || threshold > max) revert IConnext.ParameterOutOfRange(threshold, 1, max);
        emit IConnext.SequencerThresholdUpdated(sequencerThreshold, threshold);
        sequencerThreshold = uint32(threshold);
    }

    function _setRelayerFeeVault(address vault) internal {
        if (vault == address(0)) revert IConnext.ZeroAddress();
        emit IConnext.RelayerFeeVaultUpdated(relayerFeeVault, vault);
        relayerFeeVault = vault;
    }
}
