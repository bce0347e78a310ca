// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMessageRecipient} from "../interfaces/IMessageGateway.sol";
import {Pausable} from "../governance/Pausable.sol";
import {Ownable2Step} from "../governance/Ownable2Step.sol";
import {ReentrancyGuard} from "../utils/ReentrancyGuard.sol";
import {UpdaterSignatures} from "./UpdaterSignatures.sol";
import {SignatureVerifier} from "../libraries/SignatureVerifier.sol";
import {MessagingHashes} from "./libraries/MessagingHashes.sol";
import {Message} from "./libraries/Message.sol";
import {MerkleTree, TREE_DEPTH} from "./libraries/MerkleTree.sol";

/// @title Replica
/// @notice The inbox, on this domain, of one remote origin's Home: accepts the origin updater's signed
///         roots, lets them ripen for `optimisticSeconds`, then proves and delivers messages under them.
/// @dev Processed flags are a bitmap keyed by leaf index (one Replica serves one origin tree, so the index
///      identifies the message); a batch then mostly rewrites one warm word. A delivery whose `handle`
///      reverts is not marked processed: the message is remembered as proven and may be retried.
///      A Replica enrolled to replace a halted one names it as `predecessor`: an index processed there (or
///      further back along the chain) counts as processed here, so a replacement never re-delivers a message.
contract Replica is Pausable, UpdaterSignatures, ReentrancyGuard {
    using Message for bytes;

    /// @notice Lifecycle: Active until a double update fails it or its connection manager halts it.
    enum State {
        Active,
        Failed,
        Halted
    }

    /// @dev Bytes of a failed handler's revert data kept in the event; bounds the cost of a hostile recipient.
    uint256 private constant MAX_REVERT_DATA = 256;

    /// @notice This domain.
    uint32 public immutable localDomain;
    /// @notice The origin domain whose Home this Replica mirrors.
    uint32 public immutable remoteDomain;
    /// @notice The contract allowed to halt this Replica when it is unenrolled.
    address public immutable connectionManager;
    /// @notice Lower bound on `optimisticSeconds`, fixed at deployment (production deployments use 1800).
    uint32 public immutable minOptimisticSeconds;
    /// @notice The chain id of the remote Home's chain: update signatures are bound to it.
    uint256 public immutable remoteChainId;
    /// @notice The remote Home's address on its chain: update signatures are bound to it.
    address public immutable remoteHome;
    /// @notice The Replica this one replaces for the same origin tree (zero: the first on this domain). Indices
    ///         it (or its own predecessors) processed count as processed here.
    address public immutable predecessor;
    /// @dev The remote Home's EIP-712 separator, computed once from `remoteChainId` and `remoteHome`.
    bytes32 private immutable _REMOTE_SEPARATOR;

    /// @notice Current lifecycle state; packed with `updater` and `optimisticSeconds`.
    State public state;
    /// @notice Seconds a newly signed root waits before messages may be proven against it.
    uint32 public optimisticSeconds;
    /// @notice The latest root accepted from the updater; the next update must start from it.
    bytes32 public committedRoot;
    /// @notice When each accepted root becomes acceptable (unix seconds); zero for roots never accepted.
    mapping(bytes32 root => uint256) public confirmAt;
    /// @dev Processed flags, 256 leaf indices per word.
    mapping(uint256 word => uint256) private _processedWords;
    /// @dev Leaf index + 1 of messages proven but not yet delivered (zero: not proven).
    mapping(bytes32 leaf => uint256) private _provenIndexPlusOne;
    /// @notice Until when each rotated-out updater key stays accountable here (unix seconds, exclusive): the
    ///         latest moment a root it signed can still be inside its window. Zero for keys never rotated out.
    mapping(address formerUpdater => uint256) public accountableUntil;
    /// @dev The latest moment a root accepted under an earlier window can ripen: raised when the window changes, so
    ///      lowering the window never shortens a rotated key's accountability for roots accepted before.
    uint256 private _earlierWindowsRipeBy;

    /// @notice The updater's move from `oldRoot` to `newRoot` was accepted; `newRoot` ripens at `confirmAt`.
    event Update(
        uint32 indexed homeDomain, bytes32 indexed oldRoot, bytes32 indexed newRoot, bytes signature
    );
    /// @notice `leaf` was proven at `index` against an acceptable root; it awaits `process`.
    event Proven(bytes32 indexed leaf, uint256 indexed index);
    /// @notice The message `leaf` was delivered to its recipient.
    event Processed(bytes32 indexed leaf, uint256 indexed index);
    /// @notice Delivering `leaf` reverted with `reason` (truncated); the message stays retryable.
    event ProcessFailed(bytes32 indexed leaf, uint256 indexed index, bytes reason);
    /// @notice A double update was proven; the Replica is failed for good.
    event ReplicaFailed(address indexed reporter);
    /// @notice The connection manager halted this Replica for good.
    event ReplicaHalted();
    /// @notice The optimistic window changed; it applies to updates accepted from now on.
    event OptimisticSecondsChanged(uint256 optimisticSeconds);
    /// @notice The rotated-out `formerUpdater` stays accountable (double update, watcher notice) until `until`.
    event FormerUpdaterAccountable(address indexed formerUpdater, uint256 until);
    /// @notice This Replica replaces `predecessor`: what that one processed is never delivered here again.
    event PredecessorSet(address indexed predecessor);

    /// @notice The Replica is failed or halted.
    error ReplicaNotActive(State state);
    /// @notice Domain zero, or the same domain on both ends, is never valid.
    error InvalidDomains();
    /// @notice The remote Home must be named by a non-zero chain id and a non-zero address.
    error InvalidRemoteHome(uint256 chainId, address home);
    /// @notice The zero root is never valid, whatever a mapping's default says.
    error ZeroRoot();
    /// @notice A Replica without a connection manager could never be halted by a watcher.
    error ZeroConnectionManager();
    /// @notice The update does not start from the committed root.
    error NotCommittedRoot(bytes32 oldRoot, bytes32 committedRoot);
    /// @notice The proof leads to a root that is unknown or still inside its optimistic window.
    error RootNotAcceptable(bytes32 root);
    /// @notice The message is not addressed to this domain.
    error WrongDestination(uint32 destination);
    /// @notice The message does not come from this Replica's origin.
    error WrongOrigin(uint32 origin);
    /// @notice The message at this index was already delivered.
    error AlreadyProcessed(uint256 index);
    /// @notice The message was never proven.
    error NotProven(bytes32 leaf);
    /// @notice The message is shorter than a header or longer than a header plus the largest body.
    error InvalidMessageLength(uint256 length);
    /// @notice The recipient is not a left-padded EVM address.
    error RecipientNotAddress(bytes32 recipient);
    /// @notice The leaf index is beyond the tree's capacity.
    error IndexOutOfRange(uint256 index);
    /// @notice A batch is empty or its arrays differ in length.
    error InvalidBatch();
    /// @notice The optimistic window is below this deployment's floor.
    error OptimisticWindowTooShort(uint256 requested, uint256 minimum);
    /// @notice Only the connection manager may halt this Replica.
    error NotConnectionManager(address caller);
    /// @notice The named predecessor is not a Replica of the same local domain, remote domain, remote chain id and
    ///         remote Home: its processed indices would belong to another tree.
    error InvalidPredecessor(address predecessor);

    modifier whenActive() {
        if (state != State.Active) revert ReplicaNotActive(state);
        _;
    }

    /// @param local This domain.
    /// @param remote The origin domain this Replica mirrors.
    /// @param remoteChainId_ The chain id of the origin's chain (non-zero).
    /// @param remoteHome_ The origin's Home (non-zero): the verifying contract of the update signatures.
    /// @param initialUpdater The remote Home's updater key.
    /// @param initialRoot The remote Home's committed root at deployment (non-zero); acceptable at once.
    /// @param window Seconds before a new root becomes acceptable.
    /// @param minWindow Floor on `window` for the Replica's lifetime.
    /// @param manager The connection manager that may halt this Replica.
    /// @param initialOwner Governance.
    /// @param predecessor_ The Replica this one replaces (zero for the first); it must mirror the same remote Home
    ///        for the same local domain. It should be halted before this one is enrolled: it does not see what
    ///        this one processes.
    constructor(
        uint32 local,
        uint32 remote,
        uint256 remoteChainId_,
        address remoteHome_,
        address initialUpdater,
        bytes32 initialRoot,
        uint32 window,
        uint32 minWindow,
        address manager,
        address initialOwner,
        address predecessor_
    ) Ownable2Step(initialOwner) {
        if (local == 0 || remote == 0 || local == remote) revert InvalidDomains();
        if (remoteChainId_ == 0 || remoteHome_ == address(0)) {
            revert InvalidRemoteHome(remoteChainId_, remoteHome_);
        }
        if (initialRoot == bytes32(0)) revert ZeroRoot();
        if (manager == address(0)) revert ZeroConnectionManager();
        if (window < minWindow) revert OptimisticWindowTooShort(window, minWindow);
        if (predecessor_ != address(0)) {
            Replica prior = Replica(predecessor_);
            if (
                !_answers(predecessor_, prior.localDomain.selector, local)
                    || !_answers(predecessor_, prior.remoteDomain.selector, remote)
                    || !_answers(predecessor_, prior.remoteChainId.selector, remoteChainId_)
                    || !_answers(predecessor_, prior.remoteHome.selector, uint256(uint160(remoteHome_)))
            ) revert InvalidPredecessor(predecessor_);
            emit PredecessorSet(predecessor_);
        }
        predecessor = predecessor_;
        localDomain = local;
        remoteDomain = remote;
        remoteChainId = remoteChainId_;
        remoteHome = remoteHome_;
        _REMOTE_SEPARATOR = SignatureVerifier.domainSeparator(
            keccak256(bytes(MessagingHashes.HOME_NAME)), remoteChainId_, remoteHome_
        );
        connectionManager = manager;
        minOptimisticSeconds = minWindow;
        optimisticSeconds = window;
        _setUpdater(initialUpdater);
        committedRoot = initialRoot;
        confirmAt[initialRoot] = block.timestamp;
        emit OptimisticSecondsChanged(window);
    }

    /// @inheritdoc UpdaterSignatures
    function signedDomain() public view override returns (uint32) {
        return remoteDomain;
    }

    /// @inheritdoc UpdaterSignatures
    /// @dev The remote Home's domain, fixed at deployment: a signature made for any other Home, even one of the
    ///      same domain under the same key, is refused.
    function updateDomainSeparator() public view override returns (bytes32) {
        return _REMOTE_SEPARATOR;
    }

    // ---------------------------------------------------------------- updates

    /// @notice Accepts the updater's signed move from the committed root to `newRoot`.
    function update(bytes32 oldRoot, bytes32 newRoot, bytes calldata signature) external whenActive {
        if (newRoot == bytes32(0)) revert ZeroRoot();
        bytes32 committed = committedRoot;
        if (oldRoot != committed) revert NotCommittedRoot(oldRoot, committed);
        _checkUpdaterSignature(oldRoot, newRoot, signature);
        uint256 ripeAt = block.timestamp + optimisticSeconds;
        confirmAt[newRoot] = ripeAt;
        committedRoot = newRoot;
        emit Update(remoteDomain, oldRoot, newRoot, signature);
    }

    /// @notice Proves that an accountable key (the updater, or a rotated-out one inside `accountableUntil`) signed
    ///         two different roots over one old root; fails the Replica.
    function doubleUpdate(
        bytes32 oldRoot,
        bytes32[2] calldata newRoots,
        bytes calldata signature0,
        bytes calldata signature1
    ) external whenActive {
        _checkDoubleUpdate(oldRoot, newRoots, signature0, signature1);
        state = State.Failed;
        emit ReplicaFailed(msg.sender);
    }

    /// @notice Whether messages may be proven against `root` now.
    function acceptableRoot(bytes32 root) public view returns (bool) {
        if (root == bytes32(0)) return false;
        uint256 ripeAt = confirmAt[root];
        return ripeAt != 0 && block.timestamp >= ripeAt;
    }

    // ---------------------------------------------------------------- proving and delivering

    /// @notice Proves `leaf` at `index` against an acceptable root, for a later `process`.
    function prove(bytes32 leaf, bytes32[TREE_DEPTH] calldata proof, uint256 index) external whenActive {
        _requireAcceptable(_provenRoot(leaf, proof, index));
        if (isProcessed(index)) revert AlreadyProcessed(index);
        _provenIndexPlusOne[leaf] = index + 1;
        emit Proven(leaf, index);
    }

    /// @notice Delivers a message proven earlier (also the retry path after a failed `handle`).
    /// @return delivered Whether the recipient's `handle` succeeded.
    function process(bytes calldata message)
        external
        whenActive
        whenNotPaused
        nonReentrant
        returns (bool delivered)
    {
        bytes32 leaf = keccak256(message);
        uint256 provenPlusOne = _provenIndexPlusOne[leaf];
        if (provenPlusOne == 0) revert NotProven(leaf);
        delivered = _deliver(message, leaf, provenPlusOne - 1);
        if (delivered) delete _provenIndexPlusOne[leaf];
    }

    /// @notice Proves and delivers one message in one call.
    /// @return delivered Whether the recipient's `handle` succeeded (if not, the message stays retryable).
    function proveAndProcess(bytes calldata message, bytes32[TREE_DEPTH] calldata proof, uint256 index)
        external
        whenActive
        whenNotPaused
        nonReentrant
        returns (bool delivered)
    {
        bytes32 leaf = keccak256(message);
        _requireAcceptable(_provenRoot(leaf, proof, index));
        delivered = _deliverOrRemember(message, leaf, index);
    }

    /// @notice Proves many messages with one multiproof against one root, checking its window once, and
    ///         delivers them.
    /// @param messages The messages, in strictly increasing leaf order.
    /// @param indices Their leaf indices.
    /// @param proof The siblings not computable from the batch itself (see `MerkleTree.multiRoot`).
    /// @return delivered How many recipients' `handle` succeeded; the others stay retryable.
    function proveAndProcessBatch(
        bytes[] calldata messages,
        uint256[] calldata indices,
        bytes32[] calldata proof
    ) external whenActive whenNotPaused nonReentrant returns (uint256 delivered) {
        uint256 n = messages.length;
        if (n == 0 || indices.length != n) revert InvalidBatch();
        bytes32[] memory batchLeaves = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            batchLeaves[i] = keccak256(messages[i]);
        }
        // multiRoot uses its input as scratch space, so delivery hashes each message again.
        _requireAcceptable(MerkleTree.multiRoot(batchLeaves, indices, proof));
        for (uint256 i = 0; i < n; ++i) {
            bytes calldata message = messages[i];
            if (_deliverOrRemember(message, keccak256(message), indices[i])) ++delivered;
        }
    }

    /// @notice Whether the message at leaf `index` was delivered, here or by a predecessor (recursively).
    function isProcessed(uint256 index) public view returns (bool) {
        if ((_processedWords[index >> 8] >> (index & 0xff)) & 1 == 1) return true;
        // The predecessor's `isProcessed` asks its own predecessor in turn.
        return predecessor != address(0) && Replica(predecessor).isProcessed(index);
    }

    /// @dev Whether `target` returns exactly the word `expected` from the parameterless getter `selector`; false for
    ///      an account without code or a contract without that getter.
    function _answers(address target, bytes4 selector, uint256 expected) private view returns (bool) {
        (bool ok, bytes memory data) = target.staticcall(abi.encodeWithSelector(selector));
        return ok && data.length == 32 && abi.decode(data, (uint256)) == expected;
    }

    /// @notice Whether `leaf` was proven and awaits (re)delivery, and at which index.
    function provenIndex(bytes32 leaf) external view returns (bool proven, uint256 index) {
        uint256 provenPlusOne = _provenIndexPlusOne[leaf];
        return (provenPlusOne != 0, provenPlusOne == 0 ? 0 : provenPlusOne - 1);
    }

    /// @dev The root a proof leads to. Indices past the tree's capacity are refused: the proof only reads
    ///      the low 32 bits, so accepting them would let one message claim many processed flags.
    function _provenRoot(bytes32 leaf, bytes32[TREE_DEPTH] calldata proof, uint256 index)
        private
        pure
        returns (bytes32)
    {
        if (index >= MerkleTree.MAX_LEAVES) revert IndexOutOfRange(index);
        return MerkleTree.branchRoot(leaf, proof, index);
    }

    function _requireAcceptable(bytes32 root) private view {
        if (!acceptableRoot(root)) revert RootNotAcceptable(root);
    }

    /// @dev Delivers a freshly proven message; if its handler reverts, remembers it as proven for retries.
    function _deliverOrRemember(bytes calldata message, bytes32 leaf, uint256 index)
        private
        returns (bool delivered)
    {
        delivered = _deliver(message, leaf, index);
        if (!delivered && _provenIndexPlusOne[leaf] == 0) _provenIndexPlusOne[leaf] = index + 1;
    }

    /// @dev Marks the message processed before calling out (so no re-entry can deliver it twice) and
    ///      clears the mark again if the recipient reverts.
    function _deliver(bytes calldata message, bytes32 leaf, uint256 index) private returns (bool delivered) {
        uint256 length = message.length;
        if (length < Message.HEADER_LENGTH || length > Message.HEADER_LENGTH + Message.MAX_BODY_BYTES) {
            revert InvalidMessageLength(length);
        }
        uint32 destination = message.destination();
        if (destination != localDomain) revert WrongDestination(destination);
        uint32 origin = message.origin();
        if (origin != remoteDomain) revert WrongOrigin(origin);
        bytes32 recipient = message.recipient();
        if (!Message.isAddress(recipient)) revert RecipientNotAddress(recipient);

        uint256 wordIndex = index >> 8;
        uint256 bit = 1 << (index & 0xff);
        uint256 word = _processedWords[wordIndex];
        if (word & bit != 0) revert AlreadyProcessed(index);
        // Only a Replica that replaced another pays for this call (a view one, to a Replica checked at deployment).
        if (predecessor != address(0) && Replica(predecessor).isProcessed(index)) {
            revert AlreadyProcessed(index);
        }
        _processedWords[wordIndex] = word | bit;

        bytes memory reason;
        (delivered, reason) = _callHandle(address(uint160(uint256(recipient))), message);
        if (delivered) {
            emit Processed(leaf, index);
        } else {
            _processedWords[wordIndex] &= ~bit;
            emit ProcessFailed(leaf, index, reason);
        }
    }

    /// @dev Calls `handle` with at most `MAX_REVERT_DATA` bytes of revert data copied back, so a hostile
    ///      recipient cannot make failure reporting run out of gas. A recipient without code fails, since
    ///      nothing could have handled the message.
    function _callHandle(address recipient, bytes calldata message)
        private
        returns (bool success, bytes memory reason)
    {
        if (recipient.code.length == 0) return (false, "");
        bytes memory data = abi.encodeCall(
            IMessageRecipient.handle, (message.origin(), message.nonce(), message.sender(), message.body())
        );
        uint256 maxCopy = MAX_REVERT_DATA;
        assembly ("memory-safe") {
            success := call(gas(), recipient, 0, add(data, 0x20), mload(data), 0, 0)
            if iszero(success) {
                let size := returndatasize()
                if gt(size, maxCopy) { size := maxCopy }
                reason := mload(0x40)
                mstore(reason, size)
                returndatacopy(add(reason, 0x20), 0, size)
                mstore(0x40, add(add(reason, 0x20), size))
            }
        }
    }

    // ---------------------------------------------------------------- governance

    /// @notice Halts this Replica for good; called by the connection manager when it unenrolls it.
    function halt() external {
        if (msg.sender != connectionManager) revert NotConnectionManager(msg.sender);
        if (state == State.Halted) revert ReplicaNotActive(state);
        state = State.Halted;
        emit ReplicaHalted();
    }

    /// @notice Rotates the updater key, following the remote Home. The previous key stays accountable (its double
    ///         updates fail this Replica, a watcher's notice naming it halts it) while any root it signed may still
    ///         be inside its window, so a rotation never lets an unripe root of that key ripen unchallenged.
    function setUpdater(address newUpdater) external onlyOwner whenActive {
        address previous = updater;
        // Every root accepted so far was signed by a key rotated out by now or by `previous`; those accepted under the
        // current window ripen by now + window, those accepted under earlier windows by `_earlierWindowsRipeBy`.
        uint256 until = block.timestamp + optimisticSeconds;
        uint256 earlier = _earlierWindowsRipeBy;
        if (earlier > until) until = earlier;
        if (until > accountableUntil[previous]) {
            accountableUntil[previous] = until;
            emit FormerUpdaterAccountable(previous, until);
        }
        _setUpdater(newUpdater);
    }

    /// @notice Changes the optimistic window for updates accepted from now on (never below the floor).
    function setOptimisticSeconds(uint32 window) external onlyOwner {
        if (window < minOptimisticSeconds) revert OptimisticWindowTooShort(window, minOptimisticSeconds);
        // Roots accepted under the window being replaced ripen by now + that window, whatever the new one is.
        uint256 ripeBy = block.timestamp + optimisticSeconds;
        if (ripeBy > _earlierWindowsRipeBy) _earlierWindowsRipeBy = ripeBy;
        optimisticSeconds = window;
        emit OptimisticSecondsChanged(window);
    }

    /// @notice Whether `key` answers here for what it signed: the current updater, or a rotated-out one while a root
    ///         it signed may still be inside its window (see `accountableUntil`).
    function isAccountable(address key) external view returns (bool) {
        return _isAccountable(key);
    }

    /// @dev The current updater, or a rotated-out key until `accountableUntil`.
    function _isAccountable(address signer) internal view override returns (bool) {
        return signer == updater || block.timestamp < accountableUntil[signer];
    }
}
