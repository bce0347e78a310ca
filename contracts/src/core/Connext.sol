// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextBase} from "./ConnextBase.sol";
import {ConnextCompat} from "./ConnextCompat.sol";
import {ConnextDelegator} from "./ConnextDelegator.sol";
import {SequencerQuorum} from "./SequencerQuorum.sol";
import {IBridgeToken} from "../interfaces/IBridgeToken.sol";
import {IMessageGateway, IMessageInbox} from "../interfaces/IMessageGateway.sol";
import {IXReceiver} from "../interfaces/IXReceiver.sol";
import {IConnext, TransferInfo, ExecuteArgs, TransferStatus} from "../interfaces/IConnext.sol";
import {SignatureVerifier} from "../libraries/SignatureVerifier.sol";
import {SafeTransferLib} from "./libraries/SafeTransferLib.sol";
import {TransferMessage} from "./libraries/TransferMessage.sol";
import {TransferRecord} from "./libraries/TransferRecord.sol";
import {LiquidityHashes} from "./libraries/LiquidityHashes.sol";
import {EIP712} from "../utils/EIP712.sol";

/// @title Connext
/// @notice The liquidity layer on one domain. On the origin, `xcall` burns or escrows the asset and dispatches a
///         reconcile message. On the destination, routers front the funds (`execute` with routers), the messaging
///         layer later delivers the message (`handle`) and routers are credited; without routers the transfer waits
///         for the message and is then executed from the bridged funds (`execute` without routers).
///         Its cold paths (governance, asset registry writes, router setup, the delegate's recovery) run in the
///         `ConnextExtension` it deploys (see `ConnextDelegator`); to a caller they are functions of `Connext`.
///         xApps written against Connext's published `IConnext` (the npm package connext/interfaces, 2.0.5)
///         call it unchanged: the 7-argument `xcall` and `xcallIntoLocal`, `bumpTransfer(bytes32)` and the views
///         of `ConnextCompat` have Connext's selectors and meanings.
contract Connext is ConnextCompat, ConnextDelegator, SequencerQuorum, EIP712 {
    using TransferRecord for uint256;

    /// @notice The liquidity fee a new deployment starts with, in basis points.
    uint256 public constant DEFAULT_LIQUIDITY_FEE_BPS = 5;
    /// @notice The `xReceiveGasLimit` of a new deployment: an `xReceive` that fails with at least this much gas has
    ///         its failure recorded (slow path); with less, the `execute` reverts and stays retryable.
    uint256 public constant DEFAULT_XRECEIVE_GAS = 1_000_000;
    /// @dev Gas `execute` keeps back from `xReceive`, beyond EIP-150's 1/64: what it spends between reading `gasleft`
    ///      and the call, and after the call (copying at most `MAX_RETURN_DATA` bytes back, `ExternalCalldataExecuted`,
    ///      releasing the guard, returning). Measured at about 5,000 by lowering it until a receiver that hands back
    ///      no gas and returns 1,000 bytes needed more gas than one returning at once (`ConnextXReceiveGas.t.sol`);
    ///      kept at twice that, so a repricing of these opcodes does not starve the finish.
    uint256 private constant XRECEIVE_GAS_RESERVE = 10_000;
    /// @dev The most return data kept from an `xReceive` call.
    uint256 private constant MAX_RETURN_DATA = 256;

    /// @param localDomain_ This domain.
    /// @param owner_ Governance.
    /// @param gateway_ The messaging gateway outbound messages go through (the `Home`).
    /// @param inbox_ Who authenticates inbound messages (the connection manager).
    /// @param relayerFeeVault_ The account that withdraws relayer fees.
    constructor(
        uint32 localDomain_,
        address owner_,
        address gateway_,
        address inbox_,
        address relayerFeeVault_
    ) ConnextBase(localDomain_, owner_) {
        _setGateway(gateway_);
        _setInbox(inbox_);
        _setRelayerFeeVault(relayerFeeVault_);
        _setLiquidityFeeBps(DEFAULT_LIQUIDITY_FEE_BPS);
        _setMaxRoutersPerTransfer(MAX_ROUTERS);
        _setXReceiveGasLimit(DEFAULT_XRECEIVE_GAS);
        _setSequencerThreshold(1);
    }

    // ================================================================== origin

    /// @inheritdoc IConnext
    function xcall(
        uint32 destination,
        address to,
        address asset,
        address delegate,
        uint256 amount,
        uint256 slippage,
        bytes calldata callData,
        uint256 relayerFeeInAsset
    ) external payable returns (bytes32) {
        TransferInfo memory params = _newTransfer(destination, to, delegate, amount, slippage, callData);
        return _xcall(params, asset, relayerFeeInAsset);
    }

    /// @inheritdoc IConnext
    function xcallIntoLocal(
        uint32 destination,
        address to,
        address asset,
        address delegate,
        uint256 amount,
        uint256 slippage,
        bytes calldata callData,
        uint256 relayerFeeInAsset
    ) external payable returns (bytes32) {
        TransferInfo memory params = _newTransfer(destination, to, delegate, amount, slippage, callData);
        params.receiveLocal = true;
        return _xcall(params, asset, relayerFeeInAsset);
    }

    /// @inheritdoc IConnext
    function xcall(
        uint32 destination,
        address to,
        address asset,
        address delegate,
        uint256 amount,
        uint256 slippage,
        bytes calldata callData
    ) external payable returns (bytes32) {
        TransferInfo memory params = _newTransfer(destination, to, delegate, amount, slippage, callData);
        return _xcall(params, asset, 0);
    }

    /// @inheritdoc IConnext
    function xcallIntoLocal(
        uint32 destination,
        address to,
        address asset,
        address delegate,
        uint256 amount,
        uint256 slippage,
        bytes calldata callData
    ) external payable returns (bytes32) {
        TransferInfo memory params = _newTransfer(destination, to, delegate, amount, slippage, callData);
        params.receiveLocal = true;
        return _xcall(params, asset, 0);
    }

    /// @inheritdoc IConnext
    /// @dev The origin keeps no record of its transfers, so any id is accepted: relayers count the
    ///      `TransferRelayerFeesIncreased` events of transfers they know. `asset` is ignored when `amountInAsset` is
    ///      zero.
    function bumpTransfer(bytes32 transferId, address asset, uint256 amountInAsset)
        external
        payable
        nonReentrantXCall
        whenNotPaused
    {
        if (msg.value == 0 && amountInAsset == 0) revert ZeroAmount();
        if (amountInAsset != 0) {
            Asset storage config = _assets[asset];
            if (!config.approved) revert AssetNotApproved(asset);
            relayerFees[asset] += amountInAsset;
            _pull(asset, amountInAsset, config.canonicalDomain != LOCAL_DOMAIN);
            emit TransferRelayerFeesIncreased(transferId, amountInAsset, asset, msg.sender);
        }
        if (msg.value != 0) emit TransferRelayerFeesIncreased(transferId, msg.value, NATIVE, msg.sender);
    }

    /// @inheritdoc IConnext
    /// @dev As the three-argument form with no fee in an asset; any id is accepted (the origin keeps no record).
    function bumpTransfer(bytes32 transferId) external payable nonReentrantXCall whenNotPaused {
        if (msg.value == 0) revert ZeroAmount();
        emit TransferRelayerFeesIncreased(transferId, msg.value, NATIVE, msg.sender);
    }

    // ================================================================== destination

    /// @inheritdoc IConnext
    function execute(ExecuteArgs calldata args)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32 transferId)
    {
        TransferInfo calldata params = args.params;
        if (params.destinationDomain != LOCAL_DOMAIN) revert WrongDestination(params.destinationDomain);
        if (!approvedRelayers[msg.sender] && msg.sender != params.delegate) {
            revert NotRelayerOrDelegate(msg.sender);
        }
        transferId = keccak256(abi.encode(params));

        LocalAsset memory asset = _localAssetOf(params.canonicalDomain, params.canonicalId);
        uint256 record = _transfers[transferId];
        bool fast = args.routers.length != 0;
        uint256 amountOut;
        if (fast) {
            if (record.status() != TransferStatus.None) {
                revert InvalidTransferStatus(transferId, record.status());
            }
            (amountOut, record) = _front(args, transferId, asset.local, record);
            _checkSlippage(params, record, amountOut, asset.decimals);
            _transfers[transferId] = record;
        } else {
            if (record.status() != TransferStatus.Reconciled) {
                revert InvalidTransferStatus(transferId, record.status());
            }
            _transfers[transferId] = record.withStatus(TransferStatus.Completed);
            amountOut = params.bridgedAmt;
        }

        if (amountOut != 0) SafeTransferLib.safeTransfer(asset.local, params.to, amountOut);
        emit Executed(transferId, params.to, asset.local, args.routers, amountOut, msg.sender);
        if (params.callData.length != 0) _callXReceive(transferId, params, amountOut, asset.local, fast);
    }

    /// @notice Reconciles a transfer when the messaging layer delivers its origin's message: credits the routers that
    ///         fronted it, or marks it Reconciled for the slow path; mints the representation or releases escrow.
    /// @dev Only the enrolled messaging deliverer for `origin`, relaying a message from the enrolled
    ///      remote `Connext`. Reverting leaves the message retryable in the messaging layer.
    function handle(uint32 origin, uint32, bytes32 sender, bytes calldata body)
        external
        nonReentrant
        whenNotPaused
    {
        if (!IMessageInbox(inbox).isInbound(msg.sender, origin)) {
            revert NotMessagingLayer(msg.sender, origin);
        }
        bytes32 enrolled = remoteConnext[origin];
        if (enrolled == bytes32(0) || sender != enrolled) revert UnknownSender(origin, sender);
        if (body.length != TransferMessage.LENGTH) revert MalformedMessage(body.length);
        (uint32 canonicalDomain, bytes32 canonicalId, uint256 amount, bytes32 transferId) =
            TransferMessage.decode(body);

        address local = _localAssetOf(canonicalDomain, canonicalId).local;
        uint256 record = _transfers[transferId];
        address[] memory routers;
        if (record.status() == TransferStatus.Executed) {
            routers = _creditRouters(record, local, amount);
            _transfers[transferId] = record.withStatus(TransferStatus.Completed);
        } else if (record.status() == TransferStatus.None) {
            _transfers[transferId] = record.withStatus(TransferStatus.Reconciled);
        } else {
            revert InvalidTransferStatus(transferId, record.status());
        }

        if (amount != 0) {
            if (canonicalDomain == LOCAL_DOMAIN) {
                Asset storage config = _assets[local];
                uint256 custodied = config.custodied;
                if (custodied < amount) revert InsufficientEscrow(local, custodied, amount);
                unchecked {
                    config.custodied = uint128(custodied - amount);
                }
            } else {
                IBridgeToken(local).mint(address(this), amount);
            }
        }
        emit Reconciled(transferId, origin, local, routers, amount, msg.sender);
    }

    // ================================================================== views

    /// @inheritdoc IConnext
    function localDomain() external view returns (uint32) {
        return LOCAL_DOMAIN;
    }

    /// @inheritdoc IConnext
    function transferStatus(bytes32 transferId) external view returns (TransferStatus) {
        return _transfers[transferId].status();
    }

    /// @notice The delegate's overrides of `transferId`.
    /// @return receiveLocal Whether the delegate asked for the local asset.
    /// @return slippageOverridden Whether the delegate raised the slippage tolerance.
    /// @return slippage The raised tolerance (meaningful only if `slippageOverridden`).
    function transferOverrides(bytes32 transferId)
        external
        view
        returns (bool receiveLocal, bool slippageOverridden, uint256 slippage)
    {
        uint256 record = _transfers[transferId];
        receiveLocal = record.receiveLocalOverride();
        slippage = record.slippage(type(uint256).max);
        slippageOverridden = slippage != type(uint256).max;
        if (!slippageOverridden) slippage = 0;
    }

    /// @notice The local asset of `(canonicalDomain, canonicalId)`, or zero if none is registered.
    function localAsset(uint32 canonicalDomain, bytes32 canonicalId) external view returns (address) {
        return _localAssets[_assetKey(canonicalDomain, canonicalId)].local;
    }

    /// @notice Everything registered about `local`.
    /// @return canonicalDomain The asset's home domain (zero: not registered).
    /// @return canonicalId The asset's id on its home domain.
    /// @return decimals The asset's decimals.
    /// @return approved Whether new transfers and liquidity may use it.
    /// @return cap The escrow cap (canonical assets only).
    /// @return custodied What this domain escrows (canonical assets only).
    function assetInfo(address local)
        external
        view
        returns (
            uint32 canonicalDomain,
            bytes32 canonicalId,
            uint8 decimals,
            bool approved,
            uint256 cap,
            uint256 custodied
        )
    {
        Asset storage asset = _assets[local];
        return (
            asset.canonicalDomain,
            asset.canonicalId,
            asset.decimals,
            asset.approved,
            asset.cap,
            asset.custodied
        );
    }

    /// @notice The registry key of a canonical asset: `keccak256(abi.encode(canonicalId, canonicalDomain))`.
    function assetKey(uint32 canonicalDomain, bytes32 canonicalId) external pure returns (bytes32) {
        return _assetKey(canonicalDomain, canonicalId);
    }

    // ================================================================== internals: origin

    function _newTransfer(
        uint32 destination,
        address to,
        address delegate,
        uint256 amount,
        uint256 slippage,
        bytes calldata callData
    ) private view returns (TransferInfo memory params) {
        params.originDomain = LOCAL_DOMAIN;
        params.destinationDomain = destination;
        params.to = to;
        params.delegate = delegate;
        params.callData = callData;
        params.slippage = slippage;
        params.originSender = msg.sender;
        params.bridgedAmt = amount;
    }

    function _xcall(TransferInfo memory params, address asset, uint256 feeInAsset)
        private
        nonReentrantXCall
        whenNotPaused
        returns (bytes32 transferId)
    {
        bytes32 recipientConnext = remoteConnext[params.destinationDomain];
        if (recipientConnext == bytes32(0)) revert DestinationNotEnrolled(params.destinationDomain);
        if (params.to == address(0)) revert ZeroRecipient();
        if (params.slippage > BPS) revert InvalidSlippage(params.slippage);
        uint256 amount = params.bridgedAmt;

        // Effects: the asset's canonical identity, escrow and fee accounting, the nonce.
        bool isRepresentation;
        if (asset == address(0)) {
            if (amount != 0) revert AssetNotApproved(address(0));
            if (feeInAsset != 0) revert FeeWithoutAsset();
        } else {
            Asset storage config = _assets[asset];
            if (!config.approved) revert AssetNotApproved(asset);
            uint32 canonicalDomain = config.canonicalDomain;
            params.canonicalDomain = canonicalDomain;
            params.normalizedIn = amount * 10 ** (18 - config.decimals);
            isRepresentation = canonicalDomain != LOCAL_DOMAIN;
            if (isRepresentation) {
                params.canonicalId = config.canonicalId;
            } else {
                params.canonicalId = bytes32(uint256(uint160(asset)));
                uint256 custodied = config.custodied;
                uint256 cap = config.cap;
                if (custodied + amount > cap) revert CapExceeded(asset, custodied, amount, cap);
                config.custodied = uint128(custodied + amount);
            }
            if (feeInAsset != 0) relayerFees[asset] += feeInAsset;
        }
        uint64 transferNonce = nonce;
        nonce = transferNonce + 1;
        params.nonce = transferNonce;
        transferId = keccak256(abi.encode(params));

        // Interactions: take the asset (burn a representation, escrow a canonical token), then dispatch.
        if (isRepresentation) {
            if (amount != 0) IBridgeToken(asset).burn(msg.sender, amount);
            if (feeInAsset != 0) _pull(asset, feeInAsset, true);
        } else if (asset != address(0)) {
            _pull(asset, amount + feeInAsset, false);
        }
        bytes memory body =
            TransferMessage.encode(params.canonicalDomain, params.canonicalId, amount, transferId);
        (bytes32 leaf,) = IMessageGateway(gateway).dispatch(params.destinationDomain, recipientConnext, body);

        emit XCalled(transferId, transferNonce, leaf, params, asset, amount, asset, body);
        if (msg.value != 0) emit TransferRelayerFeesIncreased(transferId, msg.value, NATIVE, msg.sender);
        if (feeInAsset != 0) emit TransferRelayerFeesIncreased(transferId, feeInAsset, asset, msg.sender);
    }

    // ================================================================== internals: destination

    /// @dev The local asset of a canonical asset, or zero for a transfer without an asset. Reverts if the asset is not
    ///      registered here, so a reconcile stays retryable until governance registers it.
    function _localAssetOf(uint32 canonicalDomain, bytes32 canonicalId)
        private
        view
        returns (LocalAsset memory asset)
    {
        if (canonicalId == bytes32(0)) return asset;
        bytes32 key = _assetKey(canonicalDomain, canonicalId);
        asset = _localAssets[key];
        if (asset.local == address(0)) revert AssetNotRegistered(key);
    }

    /// @dev Verifies the sequencers' quorum and the routers' signatures and debits each router its share; returns
    ///      the amount to deliver and the record of the executed transfer.
    function _front(ExecuteArgs calldata args, bytes32 transferId, address local, uint256 record)
        private
        returns (uint256 toFront, uint256)
    {
        uint256 count = args.routers.length;
        if (count > maxRoutersPerTransfer) revert TooManyRouters(count, maxRoutersPerTransfer);
        if (args.routerSignatures.length != count) {
            revert RouterSignatureCountMismatch(count, args.routerSignatures.length);
        }
        bytes32 separator = _domainSeparator();
        _verifySequencerQuorum(
            SignatureVerifier.typedDataDigest(
                separator, LiquidityHashes.routerSelectionStructHash(transferId, _hashRouters(args.routers))
            ),
            args.sequencer,
            args.sequencerSignature
        );

        toFront = args.params.bridgedAmt * (BPS - liquidityFeeBps) / BPS;
        uint256 share = toFront / count;
        bytes32 bidDigest = SignatureVerifier.typedDataDigest(
            separator, LiquidityHashes.routerBidStructHash(transferId, count)
        );
        record = record.withStatus(TransferStatus.Executed).withRouterCount(count);
        for (uint256 i; i < count; ++i) {
            address router = args.routers[i];
            for (uint256 j; j < i; ++j) {
                if (args.routers[j] == router) revert DuplicateRouter(router);
            }
            Router storage config = _routers[router];
            if (!config.approved) revert RouterNotApproved(router);
            _verify(router, bidDigest, args.routerSignatures[i]);
            uint256 debit = i == count - 1 ? toFront - share * (count - 1) : share;
            if (debit != 0) {
                uint256 available = _liquidity[router][local];
                if (available < debit) revert InsufficientLiquidity(router, local, available, debit);
                unchecked {
                    _liquidity[router][local] = available - debit;
                }
            }
            record = record.withRouterIndex(i, config.index);
        }
        return (toFront, record);
    }

    /// @dev The recipient's minimum: `amountOut`, scaled to 18 decimals, must be at least `normalizedIn` less the
    ///      (possibly raised) slippage tolerance.
    function _checkSlippage(TransferInfo calldata params, uint256 record, uint256 amountOut, uint8 decimals)
        private
        pure
    {
        uint256 slippage = record.slippage(params.slippage);
        uint256 minOut = slippage >= BPS ? 0 : params.normalizedIn * (BPS - slippage) / BPS;
        uint256 out = amountOut * 10 ** (18 - decimals);
        if (out < minOut) revert SlippageExceeded(out, minOut);
    }

    /// @dev Credits each router of an executed transfer its full share of `amount` (the last gets the dust).
    function _creditRouters(uint256 record, address local, uint256 amount)
        private
        returns (address[] memory routers)
    {
        uint256 count = record.routerCount();
        routers = new address[](count);
        uint256 share = amount / count;
        for (uint256 i; i < count; ++i) {
            address router = _routerByIndex[record.routerIndex(i)];
            routers[i] = router;
            uint256 credit = i == count - 1 ? amount - share * (count - 1) : share;
            if (credit != 0) _liquidity[router][local] += credit;
        }
    }

    /// @dev Calls `IXReceiver(to).xReceive` with all the gas left but `XRECEIVE_GAS_RESERVE` and the 1/64 EIP-150
    ///      keeps back, so a receiver needing 22k gas runs in a small transaction and one needing more than
    ///      `xReceiveGasLimit` runs when the caller supplies it. The outcome:
    ///      - success: recorded (`ExternalCalldataExecuted(id, true, returnData)`), on either path;
    ///      - failure with less than `xReceiveGasLimit` given: possibly the caller's doing (a relayer picking too little
    ///        gas), so the whole `execute` reverts with `InsufficientGasForXReceive` and stays retryable with more gas;
    ///      - failure with at least `xReceiveGasLimit` given: on the fast path the execute reverts with the receiver's
    ///        revert data (`originSender` is zero there); on the slow path the failure is recorded and the funds stay
    ///        with `to`, so a receiver that always reverts or always runs out of gas cannot block its transfer.
    ///      A receiver that needs more than `xReceiveGasLimit` and could be starved between the two is protected only
    ///      up to the limit: governance raises `xReceiveGasLimit` (up to `MAX_XRECEIVE_GAS`) for such xApps. Return
    ///      and revert data are cut to `MAX_RETURN_DATA` bytes.
    function _callXReceive(
        bytes32 transferId,
        TransferInfo calldata params,
        uint256 amount,
        address local,
        bool fast
    ) private {
        address to = params.to;
        bytes memory data = abi.encodeCall(
            IXReceiver.xReceive,
            (
                transferId,
                amount,
                local,
                fast ? address(0) : params.originSender,
                params.originDomain,
                params.callData
            )
        );
        bool success;
        bytes memory returnData;
        if (to.code.length == 0) {
            if (fast) revert XReceiverNotContract(to);
        } else {
            // Read before the call, so the reserve need not cover a cold load after it.
            uint256 limit = xReceiveGasLimit;
            uint256 gasLeft = gasleft();
            // What the callee surely gets: with the reserve set aside, EIP-150 passes on at most 63/64 of the rest, and
            // asking for no more than that makes the callee get exactly `callGas`.
            uint256 callGas;
            if (gasLeft > XRECEIVE_GAS_RESERVE) {
                unchecked {
                    callGas = gasLeft - XRECEIVE_GAS_RESERVE;
                    callGas -= callGas / 64;
                }
            }
            assembly {
                success := call(callGas, to, 0, add(data, 0x20), mload(data), 0, 0)
            }
            if (!success && callGas < limit) {
                revert InsufficientGasForXReceive(gasLeft, limit + limit / 63 + XRECEIVE_GAS_RESERVE);
            }
            assembly {
                // Either way at most MAX_RETURN_DATA bytes are copied: a receiver returning or reverting with a huge
                // payload (a return bomb) cannot make the relayer pay for copying it.
                let size := returndatasize()
                if gt(size, MAX_RETURN_DATA) { size := MAX_RETURN_DATA }
                if and(iszero(success), fast) {
                    // Reverting: scratch space may be overwritten.
                    returndatacopy(0, 0, size)
                    revert(0, size)
                }
                returnData := mload(0x40)
                mstore(returnData, size)
                returndatacopy(add(returnData, 0x20), 0, size)
                mstore(0x40, add(add(returnData, 0x20), and(add(size, 31), not(31))))
            }
        }
        emit ExternalCalldataExecuted(transferId, success, returnData);
    }

    /// @dev Router bids and the sequencers' selection are signed under the domain "nxtp Connext".
    function _eip712Name() internal pure override returns (string memory) {
        return LiquidityHashes.CONNEXT_NAME;
    }

    /// @dev EIP-712's encoding of the `address[] routers` member: the hash of its 32-byte words, as they are in
    ///      calldata (a word with dirty upper bits hashes differently from what any router or sequencer signed).
    function _hashRouters(address[] calldata routers) private pure returns (bytes32 routersHash) {
        assembly ("memory-safe") {
            let free := mload(0x40)
            let size := shl(5, routers.length)
            calldatacopy(free, routers.offset, size)
            routersHash := keccak256(free, size)
        }
    }

    /// @dev Reverts unless `expected` signed `digest` (an EIP-712 digest under this Connext's domain).
    ///      The signature is read in place from calldata (as the sequencers' are in `SequencerQuorum`), not copied.
    function _verify(address expected, bytes32 digest, bytes calldata signature) private pure {
        if (signature.length != 65) revert SignatureVerifier.InvalidSignatureLength(signature.length);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := calldataload(signature.offset)
            s := calldataload(add(signature.offset, 0x20))
            v := byte(0, calldataload(add(signature.offset, 0x40)))
        }
        address recovered = SignatureVerifier.recover(digest, r, s, v);
        if (recovered != expected) revert WrongSigner(expected, recovered);
    }
}
