// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "../utils/TestBase.sol";
import {TransferInfo} from "../../src/interfaces/IConnext.sol";
import {TransferMessage} from "../../src/core/libraries/TransferMessage.sol";
import {SignatureVerifier} from "../../src/libraries/SignatureVerifier.sol";
import {LiquidityHashes} from "../../src/core/libraries/LiquidityHashes.sol";

/// @notice Generates `test/vectors/transfers.json` (with `UPDATE_VECTORS=true`) and otherwise checks that the
///         committed file is exactly what the contracts' encoding produces, so the Rust side can check byte-for-byte
///         agreement on `TransferInfo` encoding, `transferId`, the reconcile message body, and the EIP-712 router bid
///         and sequencer selection (struct hashes, digests under a fixed Connext domain, signatures).
/// @dev uint256 values are written as decimal strings (they do not fit a JSON number); uint32 as numbers.
contract TransferVectorsTest is TestBase {
    string internal constant PATH = "test/vectors/transfers.json";
    uint256 internal constant SEQUENCER_KEY = 0x5E0;
    /// @dev The signing domain of the vectors: a destination Connext on a fixed chain.
    uint256 internal constant CHAIN_ID = 42_161;
    address internal constant CONNEXT = 0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0;

    function _separator() internal pure returns (bytes32) {
        return
            SignatureVerifier.domainSeparator(
                keccak256(bytes(LiquidityHashes.CONNEXT_NAME)), CHAIN_ID, CONNEXT
            );
    }

    function _routerKeys() internal pure returns (uint256[3] memory) {
        return [uint256(0x1001), 0x1002, 0x1003];
    }

    function _transfers() internal pure returns (TransferInfo[] memory list) {
        list = new TransferInfo[](3);
        // A plain 18-decimal token transfer whose home is the origin.
        list[0] = TransferInfo({
            originDomain: 1000,
            destinationDomain: 2000,
            canonicalDomain: 1000,
            to: address(0xB0B),
            delegate: address(0xA11CE),
            receiveLocal: false,
            callData: "",
            slippage: 30,
            originSender: address(0xA11CE),
            bridgedAmt: 100 ether,
            normalizedIn: 100 ether,
            nonce: 0,
            canonicalId: bytes32(uint256(uint160(0x5FbDB2315678afecb367f032d93F642f64180aa3)))
        });
        // A 6-decimal token whose home is a third domain, with calldata and receiveLocal.
        list[1] = TransferInfo({
            originDomain: 2000,
            destinationDomain: 3000,
            canonicalDomain: 1000,
            to: 0x1111111111111111111111111111111111111111,
            delegate: 0x2222222222222222222222222222222222222222,
            receiveLocal: true,
            callData: hex"deadbeef00112233445566778899aabbccddeeff0011223344556677889900aabbccddeeff",
            slippage: 10_000,
            originSender: 0x3333333333333333333333333333333333333333,
            bridgedAmt: 1_234_567,
            normalizedIn: 1_234_567 * 1e12,
            nonce: 42,
            canonicalId: bytes32(uint256(uint160(0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48)))
        });
        // Calldata only: no asset, no delegate, a large nonce.
        list[2] = TransferInfo({
            originDomain: 3000,
            destinationDomain: 1000,
            canonicalDomain: 0,
            to: 0x4444444444444444444444444444444444444444,
            delegate: address(0),
            receiveLocal: false,
            callData: hex"01",
            slippage: 0,
            originSender: 0x5555555555555555555555555555555555555555,
            bridgedAmt: 0,
            normalizedIn: 0,
            nonce: type(uint64).max,
            canonicalId: bytes32(0)
        });
    }

    function test_vectors() public {
        string memory json = _render();
        if (vm.envOr("UPDATE_VECTORS", false)) {
            vm.writeFile(PATH, json);
        } else {
            vm.assertEq(vm.readFile(PATH), json, "transfers.json is stale: run `make vectors`");
        }
    }

    /// @dev The rendered file parses as JSON and is internally consistent: each id hashes its encoding, the
    ///      encoding decodes to a transfer that re-encodes identically, each digest equals the one computed here from
    ///      the type strings, and each signature recovers its signer.
    function test_vectorsAreConsistent() public pure {
        string memory json = _render();
        for (uint256 i; i < 3; ++i) {
            string memory at = string.concat(".transfers[", vm.toString(i), "]");
            bytes memory encoded = vm.parseJsonBytes(json, string.concat(at, ".encoded"));
            bytes32 id = vm.parseJsonBytes32(json, string.concat(at, ".transferId"));
            assertEq(keccak256(encoded), id, "id = keccak256(encoded)");
            TransferInfo memory decoded = abi.decode(encoded, (TransferInfo));
            assertEq(abi.encode(decoded), encoded, "canonical encoding");
            assertEq(decoded.nonce, vm.parseJsonUint(json, string.concat(at, ".params.nonce")), "nonce field");
            for (uint256 j; j < 2; ++j) {
                _checkBid(json, string.concat(at, ".routerBids[", vm.toString(j), "]"), id);
                _checkSelection(json, string.concat(at, ".sequencerSignatures[", vm.toString(j), "]"), id);
            }
        }
        _checkQuorum(json);
    }

    /// @dev Each 65-byte piece of the quorum's packed signature recovers to the next signer, strictly ascending, the
    ///      first being `sequencer`, all over the first transfer's one-router selection.
    function _checkQuorum(string memory json) internal pure {
        bytes32 id = keccak256(abi.encode(_transfers()[0]));
        address[] memory path = new address[](1);
        path[0] = vm.addr(_routerKeys()[0]);
        bytes32 digest = vm.parseJsonBytes32(json, ".sequencerQuorum.digest");
        assertEq(digest, routerSelectionDigest(CHAIN_ID, CONNEXT, id, path), "quorum digest");
        bytes memory packed = vm.parseJsonBytes(json, ".sequencerQuorum.sequencerSignature");
        address[] memory signers = vm.parseJsonAddressArray(json, ".sequencerQuorum.signers");
        assertEq(packed.length, 65 * signers.length, "one signature per signer");
        assertEq(vm.parseJsonAddress(json, ".sequencerQuorum.sequencer"), signers[0], "the first signer");
        for (uint256 i; i < signers.length; ++i) {
            bytes memory one = new bytes(65);
            for (uint256 k; k < 65; ++k) {
                one[k] = packed[65 * i + k];
            }
            assertEq(SignatureVerifier.recover(digest, one), signers[i], "quorum signer");
            if (i > 0) assertTrue(signers[i] > signers[i - 1], "ascending");
        }
    }

    function _checkBid(string memory json, string memory bid, bytes32 id) internal pure {
        bytes32 digest = vm.parseJsonBytes32(json, string.concat(bid, ".digest"));
        uint256 pathLength = vm.parseJsonUint(json, string.concat(bid, ".pathLength"));
        assertEq(digest, routerBidDigest(CHAIN_ID, CONNEXT, id, pathLength), "bid digest");
        assertEq(
            SignatureVerifier.recover(digest, vm.parseJsonBytes(json, string.concat(bid, ".signature"))),
            vm.addr(_routerKeys()[0]),
            "bid signer"
        );
    }

    function _checkSelection(string memory json, string memory seq, bytes32 id) internal pure {
        uint256 count = vm.parseJsonUint(json, string.concat(seq, ".routerCount"));
        address[] memory path = new address[](count);
        for (uint256 k; k < count; ++k) {
            path[k] = vm.addr(_routerKeys()[k]);
        }
        bytes32 digest = vm.parseJsonBytes32(json, string.concat(seq, ".digest"));
        assertEq(digest, routerSelectionDigest(CHAIN_ID, CONNEXT, id, path), "selection digest");
        assertEq(
            SignatureVerifier.recover(digest, vm.parseJsonBytes(json, string.concat(seq, ".signature"))),
            vm.addr(SEQUENCER_KEY),
            "sequencer signer"
        );
    }

    function _render() internal pure returns (string memory json) {
        uint256[3] memory keys = _routerKeys();
        json = string.concat(
            "{\n",
            '  "note": "uint256 values are decimal strings. encoded = abi.encode(TransferInfo), one dynamic tuple, so it ',
            "starts with the 0x20 offset word (alloy: SolValue::abi_encode, not abi_encode_params); transferId = ",
            "keccak256(encoded). messageBody = abi.encodePacked(uint32 canonicalDomain, bytes32 canonicalId, uint256 ",
            "bridgedAmt, bytes32 transferId). assetKey = keccak256(abi.encode(canonicalId, canonicalDomain)). Bids ",
            "sign the EIP-712 struct RouterBid(bytes32 transferId,uint256 pathLength), the sequencer ",
            "RouterSelection(bytes32 transferId,address[] routers), both under the signingDomain below (the ",
            'destination Connext); digest = keccak256(0x1901 || separator || structHash).",\n',
            '  "signingDomain": {"name": "',
            LiquidityHashes.CONNEXT_NAME,
            '", "version": "1", "chainId": ',
            vm.toString(CHAIN_ID),
            ', "verifyingContract": "',
            vm.toString(CONNEXT),
            '", "separator": "',
            vm.toString(_separator()),
            '"},\n',
            '  "routers": ["',
            vm.toString(vm.addr(keys[0])),
            '", "',
            vm.toString(vm.addr(keys[1])),
            '", "',
            vm.toString(vm.addr(keys[2])),
            '"],\n',
            '  "sequencer": "',
            vm.toString(vm.addr(SEQUENCER_KEY)),
            '",\n',
            _renderQuorum(),
            '  "transfers": [\n'
        );
        TransferInfo[] memory list = _transfers();
        for (uint256 i; i < list.length; ++i) {
            json = string.concat(json, _renderTransfer(list[i]), i + 1 < list.length ? ",\n" : "\n");
        }
        json = string.concat(json, "  ]\n}\n");
    }

    function _renderTransfer(TransferInfo memory p) internal pure returns (string memory) {
        bytes32 id = keccak256(abi.encode(p));
        return string.concat(
            "    {\n",
            '      "params": ',
            _renderParams(p),
            ",\n",
            '      "encoded": "',
            vm.toString(abi.encode(p)),
            '",\n',
            '      "transferId": "',
            vm.toString(id),
            '",\n',
            '      "messageBody": "',
            vm.toString(TransferMessage.encode(p.canonicalDomain, p.canonicalId, p.bridgedAmt, id)),
            '",\n',
            '      "assetKey": "',
            vm.toString(keccak256(abi.encode(p.canonicalId, p.canonicalDomain))),
            '",\n',
            '      "routerBids": [',
            _renderBid(id, 1),
            ", ",
            _renderBid(id, 3),
            "],\n",
            '      "sequencerSignatures": [',
            _renderSequencer(id, 1),
            ", ",
            _renderSequencer(id, 3),
            "]\n",
            "    }"
        );
    }

    function _renderParams(TransferInfo memory p) internal pure returns (string memory) {
        string memory head = string.concat(
            '{"originDomain": ',
            vm.toString(uint256(p.originDomain)),
            ', "destinationDomain": ',
            vm.toString(uint256(p.destinationDomain)),
            ', "canonicalDomain": ',
            vm.toString(uint256(p.canonicalDomain)),
            ', "to": "',
            vm.toString(p.to),
            '", "delegate": "',
            vm.toString(p.delegate),
            '", "receiveLocal": ',
            p.receiveLocal ? "true" : "false",
            ', "callData": "',
            vm.toString(p.callData),
            '"'
        );
        return string.concat(
            head,
            ', "slippage": "',
            vm.toString(p.slippage),
            '", "originSender": "',
            vm.toString(p.originSender),
            '", "bridgedAmt": "',
            vm.toString(p.bridgedAmt),
            '", "normalizedIn": "',
            vm.toString(p.normalizedIn),
            '", "nonce": "',
            vm.toString(p.nonce),
            '", "canonicalId": "',
            vm.toString(p.canonicalId),
            '"}'
        );
    }

    /// @dev Every router of the path signs the same digest; the first router's signature is recorded.
    function _renderBid(bytes32 id, uint256 pathLength) internal pure returns (string memory) {
        bytes32 structHash = LiquidityHashes.routerBidStructHash(id, pathLength);
        bytes32 digest = SignatureVerifier.typedDataDigest(_separator(), structHash);
        return string.concat(
            '{"pathLength": ',
            vm.toString(pathLength),
            ', "structHash": "',
            vm.toString(structHash),
            '", "digest": "',
            vm.toString(digest),
            '", "signer": "',
            vm.toString(vm.addr(_routerKeys()[0])),
            '", "signature": "',
            vm.toString(signDigest(_routerKeys()[0], digest)),
            '"}'
        );
    }

    /// @dev The quorum's keys (three sequencers), ascending by address.
    function _quorumKeys() internal pure returns (uint256[3] memory keys) {
        keys = [SEQUENCER_KEY, SEQUENCER_KEY + 1, SEQUENCER_KEY + 2];
        for (uint256 i = 1; i < 3; ++i) {
            for (uint256 j = i; j > 0 && vm.addr(keys[j]) < vm.addr(keys[j - 1]); --j) {
                (keys[j], keys[j - 1]) = (keys[j - 1], keys[j]);
            }
        }
    }

    /// @dev A selection of the first transfer's first router signed by three sequencers, as `execute` takes it:
    ///      `sequencer` the lowest signer, `sequencerSignature` the three signatures back to back, ascending by signer.
    function _renderQuorum() internal pure returns (string memory) {
        bytes32 id = keccak256(abi.encode(_transfers()[0]));
        address[] memory path = new address[](1);
        path[0] = vm.addr(_routerKeys()[0]);
        bytes32 digest = SignatureVerifier.typedDataDigest(
            _separator(), LiquidityHashes.routerSelectionStructHash(id, LiquidityHashes.hashRouters(path))
        );
        uint256[3] memory keys = _quorumKeys();
        return string.concat(
            '  "sequencerQuorum": {"transferIndex": 0, "routerCount": 1, "digest": "',
            vm.toString(digest),
            '", "signers": ["',
            vm.toString(vm.addr(keys[0])),
            '", "',
            vm.toString(vm.addr(keys[1])),
            '", "',
            vm.toString(vm.addr(keys[2])),
            '"], "sequencer": "',
            vm.toString(vm.addr(keys[0])),
            '", "sequencerSignature": "',
            vm.toString(
                bytes.concat(
                    signDigest(keys[0], digest), signDigest(keys[1], digest), signDigest(keys[2], digest)
                )
            ),
            '"},\n'
        );
    }

    /// @dev The sequencer's signature over the first `count` routers.
    function _renderSequencer(bytes32 id, uint256 count) internal pure returns (string memory) {
        address[] memory path = new address[](count);
        for (uint256 i; i < count; ++i) {
            path[i] = vm.addr(_routerKeys()[i]);
        }
        bytes32 structHash = LiquidityHashes.routerSelectionStructHash(id, LiquidityHashes.hashRouters(path));
        bytes32 digest = SignatureVerifier.typedDataDigest(_separator(), structHash);
        return string.concat(
            '{"routerCount": ',
            vm.toString(count),
            ', "structHash": "',
            vm.toString(structHash),
            '", "digest": "',
            vm.toString(digest),
            '", "signature": "',
            vm.toString(signDigest(SEQUENCER_KEY, digest)),
            '"}'
        );
    }
}
