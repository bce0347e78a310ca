// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMessageRecipient} from "./IMessageGateway.sol";

/// @notice Everything that identifies a transfer; all fields are hashed into its id.
/// @dev `transferId = keccak256(abi.encode(TransferInfo))`. Off-chain agents recompute it byte for byte.
struct TransferInfo {
    /// The domain `xcall` ran on.
    uint32 originDomain;
    /// The domain the transfer is delivered on.
    uint32 destinationDomain;
    /// The home domain of the bridged asset (zero for a transfer without tokens).
    uint32 canonicalDomain;
    /// The recipient of the tokens and, if `callData` is non-empty, the `IXReceiver` called.
    address to;
    /// The account allowed to recover the transfer on the destination (zero: nobody).
    address delegate;
    /// Whether the recipient asked for the local asset rather than a swap into an adopted asset.
    bool receiveLocal;
    /// Calldata for `IXReceiver(to).xReceive`; empty for a plain token transfer.
    bytes callData;
    /// The largest loss, in basis points of `normalizedIn`, the recipient accepts on the fast path.
    uint256 slippage;
    /// The account that called `xcall` on the origin.
    address originSender;
    /// The amount bridged, in local units (the canonical token and its representations share decimals).
    uint256 bridgedAmt;
    /// `bridgedAmt` scaled to 18 decimals.
    uint256 normalizedIn;
    /// The origin's transfer nonce (one sequence per origin domain).
    uint256 nonce;
    /// The bridged asset's id on its home domain (its address left-padded; zero for a transfer without tokens).
    bytes32 canonicalId;
}

/// @notice What a relayer submits to `execute`.
/// @dev No routers means the slow path. On the fast path each router signs the EIP-712 message
///      `RouterBid(bytes32 transferId,uint256 pathLength)` with `pathLength = routers.length`, and the sequencers
///      `RouterSelection(bytes32 transferId,address[] routers)`, both under the destination Connext's domain
///      ("nxtp Connext", version "1", its chain id, its address; see `eip712Domain()`).
///      The selection needs the signatures of at least `sequencerThreshold` distinct approved sequencers (the
///      quorum). Connext's field layout (and so `execute`'s selector) is kept: `sequencerSignature` holds one or
///      more 65-byte signatures (`r || s || v`) back to back, ordered by their signers' addresses, strictly
///      ascending (so a signer cannot count twice), and `sequencer` names the first (lowest) signer. With a
///      threshold of 1 this is one sequencer's signature, exactly as before.
struct ExecuteArgs {
    TransferInfo params;
    address[] routers;
    bytes[] routerSignatures;
    /// The signer of the first signature in `sequencerSignature` (the lowest address of the quorum).
    address sequencer;
    /// One 65-byte signature per sequencer of the quorum, concatenated in ascending order of their signers.
    bytes sequencerSignature;
}

/// @notice The lifecycle of a transfer on its destination, in the order of Connext's `DestinationTransferStatus`
///         (the npm package connext/interfaces), so an xApp comparing `transferStatus` with Connext's enum reads
///         the same state.
/// @dev None -> Executed (fast) -> Completed (reconciled), or None -> Reconciled -> Completed (slow execute).
///      The value is stored in the low byte of each `TransferRecord`: reordering it needs a fresh deployment (or a
///      migration of every record), and the off-chain decoder (`nxtp_primitives::TransferStatus`) follows it.
enum TransferStatus {
    None,
    Reconciled,
    Executed,
    Completed
}

/// @notice A canonical asset: its home domain and its id there (Connext's `TokenId`, same fields in the same order).
/// @dev nxtp keys its registry by the same pair: `assetKey(domain, id)`.
struct TokenId {
    uint32 domain;
    bytes32 id;
}

/// @title IConnext
/// @notice The liquidity layer of nxtp: `xcall` on the origin, `execute` on the destination (fronted by routers, or
///         slow once the messaging layer reconciles), router liquidity, the asset registry and the relayer fee vault.
/// @dev Message bodies (origin `Connext` to destination `Connext`) are
///      `abi.encodePacked(uint32 canonicalDomain, bytes32 canonicalId, uint256 bridgedAmt, bytes32 transferId)`,
///      100 bytes.
interface IConnext is IMessageRecipient {
    // ---------------------------------------------------------------- events: transfers

    /// @notice A transfer left this domain.
    /// @param transferId The transfer's id.
    /// @param nonce The transfer's nonce on this origin.
    /// @param messageHash The messaging layer's leaf for the reconcile message.
    /// @param params Everything hashed into `transferId`.
    /// @param asset The asset the sender supplied (zero for a transfer without tokens).
    /// @param amount The amount the sender supplied.
    /// @param local The local asset burned or escrowed (equal to `asset` until adopted assets exist).
    /// @param messageBody The body of the reconcile message dispatched (100 bytes, see the interface's notes).
    /// @dev Connext's signature, so tooling that indexes Connext's `XCalled` reads ours.
    event XCalled(
        bytes32 indexed transferId,
        uint256 indexed nonce,
        bytes32 indexed messageHash,
        TransferInfo params,
        address asset,
        uint256 amount,
        address local,
        bytes messageBody
    );

    /// @notice The relayer fee paid for `transferId` grew by `increase` of `asset` (zero: the native token).
    /// @dev Connext's signature (nothing indexed but the id): filter on `asset` after decoding.
    event TransferRelayerFeesIncreased(
        bytes32 indexed transferId, uint256 increase, address asset, address caller
    );

    /// @notice `transferId` was delivered to `to`: fronted by `routers`, or by the slow path when `routers` is empty.
    /// @param amount The amount of `local` sent to `to`.
    event Executed(
        bytes32 indexed transferId,
        address indexed to,
        address indexed local,
        address[] routers,
        uint256 amount,
        address caller
    );

    /// @notice The call to `IXReceiver(to).xReceive` of a slow-path transfer returned `success`.
    /// @param returnData The call's return or revert data, truncated to 256 bytes.
    event ExternalCalldataExecuted(bytes32 indexed transferId, bool success, bytes returnData);

    /// @notice The messaging layer delivered `transferId`'s message: `routers` (if any) were credited their shares
    ///         of `amount` of `local`, otherwise the funds now wait for the slow path.
    event Reconciled(
        bytes32 indexed transferId,
        uint32 indexed originDomain,
        address indexed local,
        address[] routers,
        uint256 amount,
        address caller
    );

    /// @notice The delegate raised `transferId`'s slippage tolerance.
    event SlippageUpdated(bytes32 indexed transferId, uint256 slippage);

    /// @notice The delegate asked for `transferId` to be delivered in the local asset.
    event ForceReceiveLocal(bytes32 indexed transferId);

    // ---------------------------------------------------------------- events: routers

    /// @notice `router` was registered with `owner` (who removes liquidity) and `recipient` (who receives it).
    event RouterSetup(address indexed router, address indexed owner, address indexed recipient, uint32 index);
    /// @notice `router` may front transfers again.
    event RouterApproved(address indexed router);
    /// @notice `router` may no longer front transfers; its liquidity stays removable.
    event RouterUnapproved(address indexed router);
    /// @notice `router`'s removed liquidity now goes to `recipient` (zero: wherever the owner says).
    event RouterRecipientSet(
        address indexed router, address indexed previousRecipient, address indexed recipient
    );
    /// @notice `router`'s owner proposed that removed liquidity go to `proposedRecipient` from `acceptableAt` on.
    event RouterRecipientProposed(
        address indexed router, address indexed proposedRecipient, uint256 acceptableAt
    );
    /// @notice `router`'s owner withdrew its pending proposal of `proposedRecipient`.
    event RouterRecipientProposalCancelled(address indexed router, address indexed proposedRecipient);
    /// @notice `router`'s owner proposed `proposedOwner`, who may accept after the delay.
    event RouterOwnerProposed(address indexed router, address indexed proposedOwner, uint256 acceptableAt);
    /// @notice `router`'s owner became `newOwner`.
    event RouterOwnerAccepted(
        address indexed router, address indexed previousOwner, address indexed newOwner
    );
    /// @notice `caller` added `amount` of `local` to `router`'s liquidity.
    event RouterLiquidityAdded(address indexed router, address indexed local, uint256 amount, address caller);
    /// @notice `router`'s owner removed `amount` of `local`, sent to `to`.
    event RouterLiquidityRemoved(
        address indexed router, address indexed to, address indexed local, uint256 amount, address caller
    );

    // ---------------------------------------------------------------- events: governance

    /// @notice `local` was registered for the canonical asset `(canonicalDomain, canonicalId)`.
    event AssetSetup(
        bytes32 indexed key,
        bytes32 canonicalId,
        uint32 canonicalDomain,
        address indexed local,
        uint8 decimals
    );
    /// @notice `local` may (or may no longer) be xcalled or added as router liquidity.
    event AssetApprovalUpdated(address indexed local, bool approved);
    /// @notice The escrow cap of the canonical token `local` became `cap`.
    event AssetCapUpdated(address indexed local, uint256 cap);
    /// @notice `sequencer` was approved or unapproved.
    event SequencerApprovalUpdated(address indexed sequencer, bool approved);
    /// @notice The fast path now needs the signatures of `threshold` distinct approved sequencers (was `previous`).
    event SequencerThresholdUpdated(uint256 previous, uint256 threshold);
    /// @notice `relayer` was approved or unapproved.
    event RelayerApprovalUpdated(address indexed relayer, bool approved);
    /// @notice Transfers to and from `domain` now go through the `Connext` at `connext` (zero: unenrolled).
    event RemoteConnextUpdated(uint32 indexed domain, bytes32 connext);
    /// @notice Outbound messages now go through `gateway`.
    event GatewayUpdated(address indexed previous, address indexed gateway);
    /// @notice Inbound messages are now authenticated by `inbox`.
    event InboxUpdated(address indexed previous, address indexed inbox);
    /// @notice The fast-path liquidity fee became `feeBps`.
    event LiquidityFeeUpdated(uint256 feeBps);
    /// @notice At most `maxRouters` routers may front one transfer.
    event MaxRoutersPerTransferUpdated(uint256 maxRouters);
    /// @notice `xReceive` calls now get `gasLimit` gas.
    event XReceiveGasLimitUpdated(uint256 gasLimit);
    /// @notice Relayer fees are now withdrawn by `vault`.
    event RelayerFeeVaultUpdated(address indexed previous, address indexed vault);
    /// @notice The vault withdrew `amount` of `asset` (zero: the native token) in relayer fees.
    event RelayerFeesWithdrawn(address indexed vault, address indexed asset, uint256 amount);

    // ---------------------------------------------------------------- errors

    /// @notice `domain` has no enrolled remote `Connext`.
    error DestinationNotEnrolled(uint32 domain);
    /// @notice The recipient `to` may not be zero.
    error ZeroRecipient();
    /// @notice Slippage is in basis points and may not exceed 10_000.
    error InvalidSlippage(uint256 slippage);
    /// @notice `asset` is not registered, or not approved for new transfers and liquidity.
    error AssetNotApproved(address asset);
    /// @notice No local asset is registered for the canonical asset `key`.
    error AssetNotRegistered(bytes32 key);
    /// @notice Escrowing `amount` more would exceed the asset's cap.
    error CapExceeded(address asset, uint256 custodied, uint256 amount, uint256 cap);
    /// @notice The token delivered `received` where `expected` was sent: fee-on-transfer tokens are refused.
    error FeeOnTransferNotSupported(address asset, uint256 expected, uint256 received);
    /// @notice A fee in the asset was given for a transfer without an asset.
    error FeeWithoutAsset();
    /// @notice Nothing was paid.
    error ZeroAmount();
    /// @notice The transfer is not for this domain.
    error WrongDestination(uint32 destination);
    /// @notice Only an approved relayer or the transfer's delegate may execute it.
    error NotRelayerOrDelegate(address caller);
    /// @notice The transfer's status does not allow this operation.
    error InvalidTransferStatus(bytes32 transferId, TransferStatus status);
    /// @notice More routers than `maxRoutersPerTransfer`.
    error TooManyRouters(uint256 count, uint256 max);
    /// @notice The number of router signatures differs from the number of routers.
    error RouterSignatureCountMismatch(uint256 routers, uint256 signatures);
    /// @notice `router` appears twice in one transfer's path.
    error DuplicateRouter(address router);
    /// @notice `router` is not approved to front transfers.
    error RouterNotApproved(address router);
    /// @notice `sequencer` is not approved.
    error SequencerNotApproved(address sequencer);
    /// @notice The selection carries `signatures` sequencer signatures, fewer than the `threshold` the fast path needs.
    error SequencerQuorumNotReached(uint256 signatures, uint256 threshold);
    /// @notice `sequencer` signed the selection more than once.
    error DuplicateSequencer(address sequencer);
    /// @notice The sequencers' signatures are not in ascending order of their signers: `next` follows `previous`.
    error SequencersNotAscending(address previous, address next);
    /// @notice Unapproving would leave `remaining` approved sequencers, fewer than the `threshold` (lower it first).
    error SequencerSetBelowThreshold(uint256 remaining, uint256 threshold);
    /// @notice The signature over the bid or path was made by `recovered`, not `expected`.
    error WrongSigner(address expected, address recovered);
    /// @notice `router` has `available` of `local`, less than `needed`.
    error InsufficientLiquidity(address router, address local, uint256 available, uint256 needed);
    /// @notice Delivering `amountOut` (18 decimals) is below the recipient's minimum `minOut`.
    error SlippageExceeded(uint256 amountOut, uint256 minOut);
    /// @notice The fast path cannot call `xReceive` on `to`, which has no code.
    error XReceiverNotContract(address to);
    /// @notice Reconciling `amount` would release more of `local` than this home domain escrows.
    error InsufficientEscrow(address local, uint256 custodied, uint256 amount);
    /// @notice `xReceive` failed with less than `xReceiveGasLimit` gas: the failure may be the caller's starving it, so
    ///         nothing is recorded and the transfer stays executable. `needed` is the gas left at the call that gives
    ///         the receiver the full limit; `gasLeft` is what there was.
    error InsufficientGasForXReceive(uint256 gasLeft, uint256 needed);
    /// @notice Only the messaging layer delivering from `origin` may call `handle`.
    error NotMessagingLayer(address caller, uint32 origin);
    /// @notice The message from `origin` was not sent by the enrolled remote `Connext`.
    error UnknownSender(uint32 origin, bytes32 sender);
    /// @notice The message body is not 100 bytes.
    error MalformedMessage(uint256 length);
    /// @notice Only the transfer's delegate may recover it.
    error NotDelegate(address caller);
    /// @notice The new slippage tolerance does not raise the current one.
    error SlippageNotRaised(uint256 current, uint256 requested);
    /// @notice `router` has not been set up.
    error RouterNotSetup(address router);
    /// @notice `router` has already been set up.
    error RouterAlreadySetup(address router);
    /// @notice `router` is already approved, or already unapproved.
    error RouterApprovalUnchanged(address router, bool approved);
    /// @notice The caller is not `router`'s owner.
    error NotRouterOwner(address router, address caller);
    /// @notice The caller is not `router`'s proposed owner.
    error NotProposedRouterOwner(address router, address caller);
    /// @notice `router`'s proposed owner may accept only from `acceptableAt`.
    error RouterOwnerDelayNotElapsed(address router, uint256 acceptableAt);
    /// @notice `router` has no pending recipient proposal.
    error NoRouterRecipientProposed(address router);
    /// @notice `router`'s proposed recipient may be accepted only from `acceptableAt`.
    error RouterRecipientDelayNotElapsed(address router, uint256 acceptableAt);
    /// @notice `router` has a recipient, so its liquidity can only go to `recipient`.
    error RouterRecipientIsSet(address router, address recipient);
    /// @notice `account` has no code.
    error NotAContract(address account);
    /// @notice An address that must be set was zero.
    error ZeroAddress();
    /// @notice The asset is already registered.
    error AssetAlreadySetup(bytes32 key);
    /// @notice The asset is not the kind this operation needs (e.g. a cap on a representation).
    error NotCanonicalAsset(address local);
    /// @notice `token` is not a representation whose `connext()` is this contract.
    error NotRepresentation(address token);
    /// @notice A canonical asset must be set up with `setupCanonicalAsset`.
    error CanonicalDomainIsLocal();
    /// @notice Token decimals above 18 are not supported.
    error UnsupportedDecimals(uint8 decimals);
    /// @notice A governance parameter is out of range.
    error ParameterOutOfRange(uint256 value, uint256 min, uint256 max);
    /// @notice The caller is not the relayer fee vault.
    error NotRelayerFeeVault(address caller);
    /// @notice The fee vault holds `available` of `asset`, less than `amount`.
    error InsufficientRelayerFees(address asset, uint256 available, uint256 amount);
    /// @notice Sending native tokens to `to` failed.
    error NativeTransferFailed(address to);
    /// @notice Router liquidity is ERC-20 only: `value` of the native token was sent with it.
    error NativeLiquidityNotSupported(uint256 value);

    // ---------------------------------------------------------------- user paths

    /// @notice Sends `amount` of `asset` and/or `callData` to `to` on `destination`.
    /// @dev The native relayer fee is `msg.value`; `relayerFeeInAsset` more of `asset` is pulled as relayer fee.
    ///      A representation is burned from the caller (no approval needed for `amount`); a canonical token is
    ///      pulled (approval needed) and escrowed.
    /// @param destination The destination domain.
    /// @param to The recipient on `destination` (and the `IXReceiver` called if `callData` is non-empty).
    /// @param asset The local asset to bridge, or zero for calldata only (then `amount` must be zero).
    /// @param delegate The account allowed to recover the transfer on `destination` (zero: nobody).
    /// @param amount The amount of `asset` to bridge.
    /// @param slippage The largest loss the recipient accepts, in basis points.
    /// @param callData Calldata for `xReceive` on `to`, or empty.
    /// @param relayerFeeInAsset A relayer fee paid in `asset`, on top of `amount`.
    /// @return transferId The transfer's id.
    function xcall(
        uint32 destination,
        address to,
        address asset,
        address delegate,
        uint256 amount,
        uint256 slippage,
        bytes calldata callData,
        uint256 relayerFeeInAsset
    ) external payable returns (bytes32 transferId);

    /// @notice Same as `xcall`, with `receiveLocal` set: the recipient takes the local asset on the destination.
    function xcallIntoLocal(
        uint32 destination,
        address to,
        address asset,
        address delegate,
        uint256 amount,
        uint256 slippage,
        bytes calldata callData,
        uint256 relayerFeeInAsset
    ) external payable returns (bytes32 transferId);

    /// @notice Adds to the relayer fee of `transferId` (an xcall from this domain): `msg.value` in the native token
    ///         and `amountInAsset` of `asset`.
    function bumpTransfer(bytes32 transferId, address asset, uint256 amountInAsset) external payable;

    /// @notice Delivers a transfer on its destination: fronted by routers (fast path) or, once reconciled, from the
    ///         bridged funds (slow path, `args.routers` empty).
    /// @return transferId The transfer's id.
    function execute(ExecuteArgs calldata args) external returns (bytes32 transferId);

    /// @notice The delegate raises the slippage tolerance of a not-yet-delivered transfer.
    function forceUpdateSlippage(TransferInfo calldata params, uint256 slippage) external;

    /// @notice The delegate asks for a not-yet-delivered transfer to be delivered in the local asset.
    function forceReceiveLocal(TransferInfo calldata params) external;

    // ---------------------------------------------------------------- routers

    /// @notice Registers and approves `router`, owned by `routerOwner`; removed liquidity goes to `recipient` if set.
    function setupRouter(address router, address routerOwner, address recipient) external;

    /// @notice Lets a set-up router front transfers again.
    function approveRouter(address router) external;

    /// @notice Stops `router` from fronting transfers; it keeps its liquidity and its credits.
    function unapproveRouter(address router) external;

    /// @notice The router's owner proposes where removed liquidity goes (zero: wherever the owner says). It applies
    ///         once accepted, `ROUTER_OWNERSHIP_DELAY` after the proposal (at once when the router has no recipient
    ///         yet: a first recipient only narrows where liquidity may go). A new proposal replaces a pending one.
    function proposeRouterRecipient(address router, address recipient) external;

    /// @notice The router's owner applies its pending recipient proposal once the delay has elapsed.
    function acceptRouterRecipient(address router) external;

    /// @notice The router's owner withdraws its pending recipient proposal.
    function cancelRouterRecipient(address router) external;

    /// @notice The router's owner proposes a new owner, who may accept after `ROUTER_OWNERSHIP_DELAY`.
    function proposeRouterOwner(address router, address proposedOwner) external;

    /// @notice The proposed owner takes ownership of `router` once the delay has elapsed.
    function acceptRouterOwner(address router) external;

    /// @notice Adds `amount` of `asset`, pulled from the caller, to `router`'s liquidity.
    function addRouterLiquidity(address router, address asset, uint256 amount) external;

    /// @notice The router's owner removes `amount` of `asset` to its recipient, or to `to` if it has none.
    function removeRouterLiquidity(address router, address asset, uint256 amount, address to) external;

    // ---------------------------------------------------------------- views

    /// @notice This domain.
    function localDomain() external view returns (uint32);

    /// @notice The status of `transferId` on this (destination) domain.
    function transferStatus(bytes32 transferId) external view returns (TransferStatus);

    /// @notice The routers that fronted `transferId`, in path order.
    function transferRouters(bytes32 transferId) external view returns (address[] memory);

    /// @notice `router`'s liquidity in `asset`.
    function routerBalance(address router, address asset) external view returns (uint256);

    /// @notice The local asset of the canonical asset `(canonicalDomain, canonicalId)`, or zero.
    function localAsset(uint32 canonicalDomain, bytes32 canonicalId) external view returns (address);

    // ---------------------------------------------------------------- Connext compatibility
    // The functions of Connext's `IConnext` (`@connext/interfaces` 2.0.5) that nxtp honours, with Connext's
    // selectors and meanings, so an xApp compiled against that package runs unchanged. Each maps onto one of the
    // functions above (docs/connext-compatibility.md lists them all, and those left out with their reasons).

    /// @notice `xcall` with the relayer fee in the native token only (`msg.value`), as Connext's 7-argument `xcall`.
    function xcall(
        uint32 destination,
        address to,
        address asset,
        address delegate,
        uint256 amount,
        uint256 slippage,
        bytes calldata callData
    ) external payable returns (bytes32 transferId);

    /// @notice `xcallIntoLocal` with the relayer fee in the native token only (`msg.value`).
    function xcallIntoLocal(
        uint32 destination,
        address to,
        address asset,
        address delegate,
        uint256 amount,
        uint256 slippage,
        bytes calldata callData
    ) external payable returns (bytes32 transferId);

    /// @notice Adds `msg.value` (non-zero) to the native relayer fee of `transferId`.
    function bumpTransfer(bytes32 transferId) external payable;

    /// @notice The routers that fronted `transferId` (`transferRouters`).
    function routedTransfers(bytes32 transferId) external view returns (address[] memory);

    /// @notice The `Connext` enrolled for `domain` (`remoteConnext`, as an address; zero: none).
    function remote(uint32 remoteDomain) external view returns (address);

    /// @notice This domain (`localDomain`).
    function domain() external view returns (uint256);

    /// @notice Who authenticates inbound messages (`inbox`, the connection manager).
    function xAppConnectionManager() external view returns (address);

    /// @notice What a fast-path recipient keeps, over `LIQUIDITY_FEE_DENOMINATOR`: `BPS - liquidityFeeBps`.
    function LIQUIDITY_FEE_NUMERATOR() external view returns (uint256);

    /// @notice The denominator of `LIQUIDITY_FEE_NUMERATOR`: `BPS`.
    function LIQUIDITY_FEE_DENOMINATOR() external view returns (uint256);

    /// @notice Whether `router` may front transfers.
    function getRouterApproval(address router) external view returns (bool);

    /// @notice Where `router`'s removed liquidity goes (zero: wherever its owner says).
    function getRouterRecipient(address router) external view returns (address);

    /// @notice `router`'s owner (zero: not set up).
    function getRouterOwner(address router) external view returns (address);

    /// @notice `router`'s proposed owner (zero: none).
    function getProposedRouterOwner(address router) external view returns (address);

    /// @notice When `router`'s pending owner proposal was made (zero: none).
    function getProposedRouterOwnerTimestamp(address router) external view returns (uint256);

    /// @notice `router`'s liquidity in `asset` (`routerBalance`).
    function routerBalances(address router, address asset) external view returns (uint256);

    /// @notice The proposed owner takes ownership of `router` (`acceptRouterOwner`).
    function acceptProposedRouterOwner(address router) external;

    /// @notice `addRouterLiquidity(router, local, amount)`; refuses native value.
    function addRouterLiquidityFor(uint256 amount, address local, address router) external payable;

    /// @notice `addRouterLiquidity(msg.sender, local, amount)`; refuses native value.
    function addRouterLiquidity(uint256 amount, address local) external payable;

    /// @notice The canonical asset of a registered local asset (zero for an unknown one). nxtp has no adopted
    ///         assets: the local asset is its own adopted asset.
    function adoptedToCanonical(address adopted) external view returns (TokenId memory);

    /// @notice Whether the local asset of `canonical` is registered and approved.
    function approvedAssets(TokenId calldata canonical) external view returns (bool);
}
