// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMessageGateway} from "../interfaces/IMessageGateway.sol";
import {Pausable} from "../governance/Pausable.sol";
import {Ownable2Step} from "../governance/Ownable2Step.sol";
import {ReentrancyGuard} from "../utils/ReentrancyGuard.sol";
import {UpdaterSignatures} from "./UpdaterSignatures.sol";
import {EIP712} from "../utils/EIP712.sol";
import {MessagingHashes} from "./libraries/MessagingHashes.sol";
import {Message} from "./libraries/Message.sol";
import {MerkleTree, TREE_DEPTH} from "./libraries/MerkleTree.sol";

/// @title Home
/// @notice The outbox of one domain: every message to every other domain is appended to one Merkle tree,
///         whose roots the bonded updater signs.
/// @dev Roots are only computed when `checkpoint` is called, never per dispatch. The updater signs only
///      checkpointed roots, so a signed root that was never checkpointed is provably an improper update.
///      Any proven fraud fails the Home for good and moves the updater's bond to the reporter.
contract Home is IMessageGateway, Pausable, UpdaterSignatures, ReentrancyGuard, EIP712 {
    /// @notice A root the Home produced, and how many leaves the tree held then.
    struct Checkpoint {
        uint32 count;
        bool produced;
    }

    /// @notice Share of a slashed bond, in basis points, that rewards the reporter; the rest is burned.
    uint256 public constant REPORTER_SHARE_BPS = 5_000;
    /// @notice How long a rotated updater stays slashable unless governance changes it: far beyond any
    ///         optimistic window, so fraud it signed before rotation can still be proven.
    uint256 public constant DEFAULT_BOND_LOCK_SECONDS = 7 days;

    /// @notice This Home's domain.
    uint32 public immutable localDomain;

    /// @notice Whether fraud was proven; a failed Home dispatches and accepts nothing.
    bool public failed;
    /// @dev Leaves in the tree; packed with `updater` and `failed` so dispatch reads one slot for all three.
    uint32 private _count;
    /// @notice The latest root the updater signed and the Home accepted.
    bytes32 public committedRoot;
    /// @notice Bond (wei) the updater must hold here before its updates are accepted.
    uint256 public requiredBond;
    /// @dev The incremental tree's frontier.
    bytes32[TREE_DEPTH] private _branch;
    /// @notice Next nonce per destination domain.
    mapping(uint32 destination => uint32) public nonces;
    /// @notice Every root this Home checkpointed.
    mapping(bytes32 root => Checkpoint) public checkpoints;
    /// @notice Bond (wei) held per updater key.
    mapping(address updater => uint256) public bonds;
    /// @notice Slashed bonds (wei) waiting to be claimed by the reporters of fraud.
    mapping(address reporter => uint256) public slashRewards;
    /// @notice Until when a rotated updater's bond stays locked and its signatures slashable (unix seconds).
    mapping(address formerUpdater => uint256) public bondLockedUntil;
    /// @notice How long a rotated updater stays slashable; starts at `DEFAULT_BOND_LOCK_SECONDS`.
    uint256 public bondLockSeconds = DEFAULT_BOND_LOCK_SECONDS;
    /// @notice Slashed bond (wei) burned: locked here for good.
    uint256 public burnedBonds;
    /// @notice The key whose fraud failed this Home and whose bond was slashed (zero while the Home is live).
    address public slashedUpdater;

    /// @notice A message was appended as leaf `leafIndex`.
    event Dispatch(
        bytes32 indexed leaf,
        uint256 indexed leafIndex,
        uint32 indexed destination,
        uint32 nonce,
        bytes message
    );
    /// @notice `root` (with `count` leaves) is now a produced root the updater may sign.
    event Checkpointed(bytes32 indexed root, uint256 count);
    /// @notice The updater's signed move from `oldRoot` to `newRoot` was accepted; relayers copy it to Replicas.
    event Update(
        uint32 indexed homeDomain, bytes32 indexed oldRoot, bytes32 indexed newRoot, bytes signature
    );
    /// @notice The updater signed a root this Home never produced.
    event ImproperUpdate(bytes32 oldRoot, bytes32 newRoot, bytes signature);
    /// @notice Fraud was proven by `reporter`; the Home is failed for good.
    event HomeFailed(address indexed reporter);
    /// @notice `updater`'s whole bond (`amount`) was slashed; `reward` of it went to `reporter`, the rest burned.
    event UpdaterSlashed(address indexed updater, address indexed reporter, uint256 amount, uint256 reward);
    /// @notice A rotated updater's bond is locked, and its signatures slashable, until `lockedUntil`.
    event BondLockedUntil(address indexed formerUpdater, uint256 lockedUntil);
    /// @notice How long rotated updaters stay slashable changed.
    event BondLockSecondsChanged(uint256 bondLockSeconds);
    /// @notice `from` added `amount` to `updater`'s bond.
    event BondDeposited(address indexed updater, address indexed from, uint256 amount);
    /// @notice A former updater took back `amount` of its bond.
    event BondWithdrawn(address indexed updater, uint256 amount);
    /// @notice A reporter claimed `amount` of slashed bonds.
    event SlashRewardClaimed(address indexed reporter, uint256 amount);
    /// @notice The bond an updater must hold changed.
    event RequiredBondChanged(uint256 requiredBond);

    /// @notice The Home is failed.
    error HomeIsFailed();
    /// @notice Domain zero is never valid.
    error ZeroDomain();
    /// @notice Messages to this Home's own domain are refused.
    error DestinationIsLocal();
    /// @notice The body exceeds `Message.MAX_BODY_BYTES`.
    error BodyTooLarge(uint256 length);
    /// @notice The recipient is not a left-padded EVM address, so no domain could deliver to it.
    error RecipientNotAddress(bytes32 recipient);
    /// @notice The update does not start from the committed root.
    error NotCommittedRoot(bytes32 oldRoot, bytes32 committedRoot);
    /// @notice The update's new root holds no more messages than its old root.
    error RootNotNewer(bytes32 newRoot);
    /// @notice The updater holds less bond than required.
    error UpdaterBondTooLow(uint256 bond, uint256 required);
    /// @notice The update is not improper: the Home produced `newRoot`.
    error NotImproper(bytes32 newRoot);
    /// @notice The bond stays locked while its key is the updater and for `bondLockSeconds` after rotation.
    error BondLocked();
    /// @notice `updater` signed the fraud that failed this Home; its bond was slashed.
    error BondSlashed(address updater);
    /// @notice More was asked than is held.
    error InsufficientBalance(uint256 requested, uint256 available);
    /// @notice The caller has no slashed bond to claim.
    error NothingToClaim();
    /// @notice A transfer of ether failed.
    error EtherTransferFailed();

    modifier whenNotFailed() {
        if (failed) revert HomeIsFailed();
        _;
    }

    /// @param domain This Home's domain (non-zero).
    /// @param initialUpdater The key that signs this Home's roots.
    /// @param initialOwner Governance.
    /// @param initialRequiredBond Bond (wei) the updater must deposit before its updates are accepted.
    constructor(uint32 domain, address initialUpdater, address initialOwner, uint256 initialRequiredBond)
        Ownable2Step(initialOwner)
    {
        if (domain == 0) revert ZeroDomain();
        localDomain = domain;
        _setUpdater(initialUpdater);
        requiredBond = initialRequiredBond;
        emit RequiredBondChanged(initialRequiredBond);
        // The empty tree's root is the starting point of the first update.
        bytes32 emptyRoot = MerkleTree.root(_branch, 0);
        checkpoints[emptyRoot] = Checkpoint({count: 0, produced: true});
        committedRoot = emptyRoot;
        emit Checkpointed(emptyRoot, 0);
    }

    // ---------------------------------------------------------------- messages

    /// @inheritdoc IMessageGateway
    function dispatch(uint32 destination, bytes32 recipient, bytes calldata body)
        external
        whenNotPaused
        whenNotFailed
        returns (bytes32 leaf, uint32 nonce)
    {
        if (destination == 0) revert ZeroDomain();
        if (destination == localDomain) revert DestinationIsLocal();
        if (body.length > Message.MAX_BODY_BYTES) revert BodyTooLarge(body.length);
        if (!Message.isAddress(recipient)) revert RecipientNotAddress(recipient);

        nonce = nonces[destination];
        nonces[destination] = nonce + 1;
        bytes memory message = Message.format(
            localDomain, bytes32(uint256(uint160(msg.sender))), nonce, destination, recipient, body
        );
        leaf = keccak256(message);
        uint256 index = _count;
        _count = uint32(MerkleTree.insert(_branch, index, leaf));
        emit Dispatch(leaf, index, destination, nonce, message);
    }

    /// @notice Records the current root as produced, so the updater may sign it. Anyone may call it.
    /// @return currentRoot The root now checkpointed.
    function checkpoint() external whenNotFailed returns (bytes32 currentRoot) {
        uint32 leaves = _count;
        currentRoot = MerkleTree.root(_branch, leaves);
        if (!checkpoints[currentRoot].produced) {
            checkpoints[currentRoot] = Checkpoint({count: leaves, produced: true});
            emit Checkpointed(currentRoot, leaves);
        }
    }

    /// @notice The current root of the tree (computed, not necessarily checkpointed).
    function root() external view returns (bytes32) {
        return MerkleTree.root(_branch, _count);
    }

    /// @notice How many messages were dispatched.
    function count() external view returns (uint256) {
        return _count;
    }

    /// @inheritdoc UpdaterSignatures
    function signedDomain() public view override returns (uint32) {
        return localDomain;
    }

    /// @inheritdoc UpdaterSignatures
    /// @dev This Home's own domain, as `eip712Domain()` describes it.
    function updateDomainSeparator() public view override returns (bytes32) {
        return _domainSeparator();
    }

    /// @dev Updates are signed under the domain "nxtp Home".
    function _eip712Name() internal pure override returns (string memory) {
        return MessagingHashes.HOME_NAME;
    }

    // ---------------------------------------------------------------- updates

    /// @notice Accepts the updater's signed move of the committed root to a newer checkpointed root.
    /// @dev A valid signature over a root that was never checkpointed fails the Home instead of reverting.
    function update(bytes32 oldRoot, bytes32 newRoot, bytes calldata signature) external whenNotFailed {
        _checkUpdaterSignature(oldRoot, newRoot, signature);
        Checkpoint memory next = checkpoints[newRoot];
        if (!next.produced) {
            emit ImproperUpdate(oldRoot, newRoot, signature);
            _fail(msg.sender, updater);
            return;
        }
        bytes32 committed = committedRoot;
        if (oldRoot != committed) revert NotCommittedRoot(oldRoot, committed);
        if (next.count <= checkpoints[oldRoot].count) revert RootNotNewer(newRoot);
        address currentUpdater = updater;
        uint256 bond = bonds[currentUpdater];
        if (bond < requiredBond) revert UpdaterBondTooLow(bond, requiredBond);
        committedRoot = newRoot;
        emit Update(localDomain, oldRoot, newRoot, signature);
    }

    /// @notice Proves that the updater (or a recently rotated one) signed a root this Home never produced;
    ///         fails the Home.
    function improperUpdate(bytes32 oldRoot, bytes32 newRoot, bytes calldata signature)
        external
        whenNotFailed
    {
        address signer = _updateSigner(oldRoot, newRoot, signature);
        if (!_isAccountable(signer)) revert NotUpdaterSignature(signer);
        if (checkpoints[newRoot].produced) revert NotImproper(newRoot);
        emit ImproperUpdate(oldRoot, newRoot, signature);
        _fail(msg.sender, signer);
    }

    /// @notice Proves that the updater (or a recently rotated one) signed two different roots over one old
    ///         root; fails the Home.
    function doubleUpdate(
        bytes32 oldRoot,
        bytes32[2] calldata newRoots,
        bytes calldata signature0,
        bytes calldata signature1
    ) external whenNotFailed {
        address signer = _checkDoubleUpdate(oldRoot, newRoots, signature0, signature1);
        _fail(msg.sender, signer);
    }

    /// @dev A rotated updater stays answerable for what it signed until its bond unlocks: Replicas may not have
    ///      rotated yet and could still accept its signatures.
    function _isAccountable(address signer) internal view override returns (bool) {
        return signer == updater || block.timestamp < bondLockedUntil[signer];
    }

    /// @dev Fails the Home and slashes `culprit`: the reporter earns `REPORTER_SHARE_BPS` of the bond and the
    ///      rest is burned, so an updater that reports its own fraud still loses.
    function _fail(address reporter, address culprit) private {
        failed = true;
        slashedUpdater = culprit;
        uint256 amount = bonds[culprit];
        bonds[culprit] = 0;
        uint256 reward = amount * REPORTER_SHARE_BPS / 10_000;
        slashRewards[reporter] += reward;
        burnedBonds += amount - reward;
        emit UpdaterSlashed(culprit, reporter, amount, reward);
        emit HomeFailed(reporter);
    }

    // ---------------------------------------------------------------- bonds

    /// @notice Adds the attached ether to `account`'s updater bond.
    function depositBond(address account) external payable whenNotFailed {
        bonds[account] += msg.value;
        emit BondDeposited(account, msg.sender, msg.value);
    }

    /// @notice A key that is no longer the updater takes back `amount` of its bond once its lock has passed. Once the
    ///         Home has failed, every key but the slashed one takes its bond back at once, the current updater
    ///         included: a failed Home accepts no more fraud proofs, so the locks protect nothing any more.
    function withdrawBond(uint256 amount) external nonReentrant {
        if (failed) {
            if (msg.sender == slashedUpdater) revert BondSlashed(msg.sender);
        } else if (msg.sender == updater || block.timestamp < bondLockedUntil[msg.sender]) {
            revert BondLocked();
        }
        uint256 held = bonds[msg.sender];
        if (amount > held) revert InsufficientBalance(amount, held);
        bonds[msg.sender] = held - amount;
        emit BondWithdrawn(msg.sender, amount);
        _sendEther(msg.sender, amount);
    }

    /// @notice A reporter of fraud takes the slashed bond it earned.
    function claimSlashReward() external nonReentrant {
        uint256 amount = slashRewards[msg.sender];
        if (amount == 0) revert NothingToClaim();
        slashRewards[msg.sender] = 0;
        emit SlashRewardClaimed(msg.sender, amount);
        _sendEther(msg.sender, amount);
    }

    function _sendEther(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert EtherTransferFailed();
    }

    // ---------------------------------------------------------------- governance

    /// @notice Rotates the updater key; the previous key stays slashable, and its bond locked, for
    ///         `bondLockSeconds`.
    function setUpdater(address newUpdater) external onlyOwner whenNotFailed {
        uint256 lockedUntil = block.timestamp + bondLockSeconds;
        bondLockedUntil[updater] = lockedUntil;
        emit BondLockedUntil(updater, lockedUntil);
        _setUpdater(newUpdater);
    }

    /// @notice Sets how long a rotated updater stays slashable (and its bond locked).
    function setBondLockSeconds(uint256 newBondLockSeconds) external onlyOwner {
        bondLockSeconds = newBondLockSeconds;
        emit BondLockSecondsChanged(newBondLockSeconds);
    }

    /// @notice Sets the bond an updater must hold.
    function setRequiredBond(uint256 newRequiredBond) external onlyOwner {
        requiredBond = newRequiredBond;
        emit RequiredBondChanged(newRequiredBond);
    }
}
