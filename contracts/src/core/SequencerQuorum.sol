// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextBase} from "./ConnextBase.sol";
import {IConnext} from "../interfaces/IConnext.sol";
import {SignatureVerifier} from "../libraries/SignatureVerifier.sol";

/// @title SequencerQuorum
/// @notice The fast path's rule on sequencers: a selection of routers counts only if at least `sequencerThreshold`
///         distinct approved sequencers signed it, so no single sequencer node can route a transfer once governance
///         sets a threshold above 1.
/// @dev The signatures arrive as `ExecuteArgs.sequencerSignature`: 65-byte signatures back to back, their signers
///      strictly ascending. The order makes a repeated signer impossible without a set in memory (each signer is
///      compared with the one before), and the first signer must be `ExecuteArgs.sequencer`, so one signature by
///      one sequencer is checked exactly as before the quorum existed.
abstract contract SequencerQuorum is ConnextBase {
    /// @dev The length of one `r || s || v` signature.
    uint256 private constant SIGNATURE_LENGTH = 65;

    /// @dev Reverts unless `signatures` are at least `sequencerThreshold` signatures of `digest`, by distinct approved
    ///      sequencers in ascending order, the first by `first`.
    function _verifySequencerQuorum(bytes32 digest, address first, bytes calldata signatures) internal view {
        if (!approvedSequencers[first]) revert IConnext.SequencerNotApproved(first);
        uint256 length = signatures.length;
        if (length == 0 || length % SIGNATURE_LENGTH != 0) {
            revert SignatureVerifier.InvalidSignatureLength(length);
        }
        uint256 count = length / SIGNATURE_LENGTH;
        uint256 threshold = sequencerThreshold;
        if (count < threshold) revert IConnext.SequencerQuorumNotReached(count, threshold);

        // The first signer was checked for approval above; each later one must follow the one before it.
        address previous = address(0);
        for (uint256 offset; offset < length; offset += SIGNATURE_LENGTH) {
            // Read in place: r, s and v of the signature at `offset`, without copying it to memory.
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                let at := add(signatures.offset, offset)
                r := calldataload(at)
                s := calldataload(add(at, 0x20))
                v := byte(0, calldataload(add(at, 0x40)))
            }
            address signer = SignatureVerifier.recover(digest, r, s, v);
            if (offset == 0) {
                if (signer != first) revert IConnext.WrongSigner(first, signer);
            } else if (signer <= previous) {
                if (signer == previous) revert IConnext.DuplicateSequencer(signer);
                revert IConnext.SequencersNotAscending(previous, signer);
            } else if (!approvedSequencers[signer]) {
                revert IConnext.SequencerNotApproved(signer);
            }
            previous = signer;
        }
    }
}
