// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMessageInbox} from "../interfaces/IMessageGateway.sol";
import {Ownable2Step} from "../governance/Ownable2Step.sol";
import {SignatureVerifier} from "../libraries/SignatureVerifier.sol";
import {MessagingHashes} from "./libraries/MessagingHashes.sol";
import {Replica} from "./Replica.sol";
import {EIP712} from "../utils/EIP712.sol";

/// @title ConnectionManager
/// @notice Which Replica speaks for which remote domain on this domain, and which watchers may halt them.
/// @dev A permitted watcher's signed notice halts a Replica at once, without waiting for governance or for
///      the optimistic window to end. Unenrolling always halts: a Replica that lost its enrollment can
///      deliver nothing more, so it cannot be used around this registry.
contract ConnectionManager is IMessageInbox, Ownable2Step, EIP712 {
    /// @notice This domain.
    uint32 public immutable localDomain;

    /// @notice The enrolled Replica for each remote domain (zero: none).
    mapping(uint32 domain => address) public domainToReplica;
    /// @notice The remote domain each enrolled Replica speaks for (zero: not enrolled).
    mapping(address replica => uint32) public replicaToDomain;
    /// @notice Whether `watcher` may halt the Replica of `domain`.
    mapping(address watcher => mapping(uint32 domain => bool)) public watcherPermission;

    /// @notice `replica` now speaks for `domain`.
    event ReplicaEnrolled(uint32 indexed domain, address indexed replica);
    /// @notice `replica` no longer speaks for `domain` and is halted; `watcher` is zero when governance did it.
    event ReplicaUnenrolled(uint32 indexed domain, address indexed replica, address indexed watcher);
    /// @notice `watcher`'s permission for `domain` changed.
    event WatcherPermissionSet(address indexed watcher, uint32 indexed domain, bool permitted);

    /// @notice The Replica is not built for this domain, not bound to this manager, or not active.
    error ReplicaNotEnrollable(address replica);
    /// @notice A Replica is already enrolled for the domain.
    error DomainAlreadyEnrolled(uint32 domain, address replica);
    /// @notice No Replica is enrolled for the domain.
    error NoReplicaForDomain(uint32 domain);
    /// @notice The notice's signer is not a permitted watcher for the domain.
    error NotPermittedWatcher(address signer, uint32 domain);
    /// @notice The notice names a key the enrolled Replica does not hold accountable: neither its updater nor a
    ///         rotated-out one whose roots may still be inside their window.
    error NotReplicaUpdater(address updater);
    /// @notice Domain zero is never valid.
    error ZeroDomain();

    /// @param domain This domain (non-zero).
    /// @param initialOwner Governance.
    constructor(uint32 domain, address initialOwner) Ownable2Step(initialOwner) {
        if (domain == 0) revert ZeroDomain();
        localDomain = domain;
    }

    /// @inheritdoc IMessageInbox
    function isInbound(address caller, uint32 origin) external view returns (bool) {
        return origin != 0 && caller != address(0) && domainToReplica[origin] == caller;
    }

    /// @notice Enrolls an active Replica bound to this manager for its remote domain.
    function enrollReplica(address replica) external onlyOwner {
        Replica candidate = Replica(replica);
        uint32 domain = candidate.remoteDomain();
        if (
            domain == 0 || candidate.localDomain() != localDomain
                || candidate.connectionManager() != address(this) || candidate.state() != Replica.State.Active
                || replicaToDomain[replica] != 0
        ) revert ReplicaNotEnrollable(replica);
        address current = domainToReplica[domain];
        if (current != address(0)) revert DomainAlreadyEnrolled(domain, current);
        domainToReplica[domain] = replica;
        replicaToDomain[replica] = domain;
        emit ReplicaEnrolled(domain, replica);
    }

    /// @notice Governance unenrolls (and halts) the Replica of `domain`.
    function unenrollReplica(uint32 domain) external onlyOwner {
        _unenroll(domain, address(0));
    }

    /// @notice Halts the Replica of `domain` on a permitted watcher's signed fraud notice.
    /// @param updater The updater key the watcher caught; the enrolled Replica must hold it accountable (its current
    ///        updater, or a rotated-out key while a root it signed may be inside its window), so a rotation does not
    ///        let the caught key's unripe roots ripen, and an old notice is useless once that key's roots are ripe.
    /// @param signature The watcher's EIP-712 signature of
    ///        `WatcherNotice(uint32 homeDomain,address updater,address replica)` with `homeDomain = domain` and
    ///        `replica` the enrolled one, under this manager's domain ("nxtp ConnectionManager", this chain, this
    ///        address), so a notice for one manager halts nothing under another.
    function unenrollReplicaByWatcher(uint32 domain, address updater, bytes calldata signature) external {
        address replica = domainToReplica[domain];
        if (replica == address(0)) revert NoReplicaForDomain(domain);
        address watcher = SignatureVerifier.recover(
            _typedDataDigest(MessagingHashes.watcherNoticeStructHash(domain, updater, replica)), signature
        );
        if (!watcherPermission[watcher][domain]) revert NotPermittedWatcher(watcher, domain);
        if (!Replica(replica).isAccountable(updater)) revert NotReplicaUpdater(updater);
        _unenroll(domain, watcher);
    }

    /// @notice Grants or revokes `watcher`'s power to halt the Replica of `domain`.
    function setWatcherPermission(address watcher, uint32 domain, bool permitted) external onlyOwner {
        if (domain == 0) revert ZeroDomain();
        watcherPermission[watcher][domain] = permitted;
        emit WatcherPermissionSet(watcher, domain, permitted);
    }

    /// @dev Watcher notices are signed under the domain "nxtp ConnectionManager".
    function _eip712Name() internal pure override returns (string memory) {
        return MessagingHashes.CONNECTION_MANAGER_NAME;
    }

    function _unenroll(uint32 domain, address watcher) private {
        address replica = domainToReplica[domain];
        if (replica == address(0)) revert NoReplicaForDomain(domain);
        delete domainToReplica[domain];
        delete replicaToDomain[replica];
        emit ReplicaUnenrolled(domain, replica, watcher);
        Replica(replica).halt();
    }
}
