// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "../utils/TestBase.sol";
import {NaiveMerkle} from "../utils/NaiveMerkle.sol";
import {MerkleTree, TREE_DEPTH} from "../../src/messaging/libraries/MerkleTree.sol";
import {MessagingHashes} from "../../src/messaging/libraries/MessagingHashes.sol";
import {SignatureVerifier} from "../../src/libraries/SignatureVerifier.sol";

/// @notice Runs the production Merkle library on storage and calldata, as the contracts do.
contract TreeHarness {
    bytes32[TREE_DEPTH] internal branch;
    uint256 public count;

    function insert(bytes32 leaf) external returns (bytes32) {
        count = MerkleTree.insert(branch, count, leaf);
        return MerkleTree.root(branch, count);
    }

    function branchRoot(bytes32 leaf, bytes32[TREE_DEPTH] calldata proof, uint256 index)
        external
        pure
        returns (bytes32)
    {
        return MerkleTree.branchRoot(leaf, proof, index);
    }

    function multiRoot(bytes32[] memory leaves, uint256[] calldata indices, bytes32[] calldata proof)
        external
        pure
        returns (bytes32)
    {
        return MerkleTree.multiRoot(leaves, indices, proof);
    }
}

/// @notice The shared test vectors (`test/vectors/messaging.json`): message encodings, leaves, roots,
///         proofs, multiproofs and EIP-712 signing digests for fixed inputs, computed by the production libraries
///         and cross-checked against the naive tree. Rust crates check the same file byte for byte.
///         `UPDATE_VECTORS=true forge test --match-contract VectorsTest` rewrites it; otherwise the file
///         must equal what the contracts compute now.
contract VectorsTest is TestBase {
    string internal constant PATH = "test/vectors/messaging.json";
    uint256 internal constant SIGNER_KEY = 0xA11CE;
    uint256 internal constant WATCHER_KEY = 0xB0B;
    address internal constant WATCHED_REPLICA = 0x3333333333333333333333333333333333333333;
    /// @dev The signing domains of the vectors: a Home on one chain, a connection manager on another.
    uint256 internal constant HOME_CHAIN_ID = 10;
    address internal constant HOME = 0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512;
    uint256 internal constant MANAGER_CHAIN_ID = 8453;
    address internal constant MANAGER = 0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9;

    TreeHarness internal harness;

    function setUp() public {
        harness = new TreeHarness();
    }

    function test_vectorsFileMatchesContracts() public {
        string memory json = _vectors();
        if (vm.envOr("UPDATE_VECTORS", false)) {
            vm.writeFile(PATH, json);
        }
        // Hashes, not the strings, so a stale file fails with a short message.
        assertEq(
            keccak256(bytes(vm.readFile(PATH))),
            keccak256(bytes(json)),
            "vectors file is stale: run `make vectors`"
        );
    }

    function _vectors() internal returns (string memory) {
        bytes[] memory messages = _messages();
        bytes32[] memory leaves = new bytes32[](messages.length + 2);
        string memory messagesJson = "[";
        for (uint256 i = 0; i < messages.length; ++i) {
            leaves[i] = keccak256(messages[i]);
            messagesJson = string.concat(messagesJson, i == 0 ? "" : ",", _messageJson(messages[i]));
        }
        // Two leaves that are not messages, so the tree has an odd right edge at several levels.
        leaves[messages.length] = keccak256("extra leaf 0");
        leaves[messages.length + 1] = keccak256("extra leaf 1");
        messagesJson = string.concat(messagesJson, "]");

        string memory treeJson = _treeJson(leaves);
        return string.concat(
            '{"messages":', messagesJson, ',"tree":', treeJson, ',"signing":', _signingJson(leaves), "}\n"
        );
    }

    function _messages() internal pure returns (bytes[] memory messages) {
        bytes32 sender = bytes32(uint256(uint160(0x1111111111111111111111111111111111111111)));
        bytes32 recipient = bytes32(uint256(uint160(0x2222222222222222222222222222222222222222)));
        bytes memory longBody = new bytes(2048);
        for (uint256 i = 0; i < longBody.length; ++i) {
            longBody[i] = bytes1(uint8(i * 7 + 3));
        }
        messages = new bytes[](5);
        messages[0] = abi.encodePacked(uint32(1000), sender, uint32(0), uint32(2000), recipient, "");
        messages[1] = abi.encodePacked(uint32(1000), sender, uint32(1), uint32(2000), recipient, hex"01");
        messages[2] =
            abi.encodePacked(uint32(1000), sender, uint32(0), uint32(3000), recipient, keccak256("body"));
        messages[3] = abi.encodePacked(
            uint32(4294967295),
            bytes32(type(uint256).max >> 96),
            uint32(4294967295),
            uint32(1),
            recipient,
            "nxtp"
        );
        messages[4] = abi.encodePacked(uint32(1000), sender, uint32(2), uint32(2000), recipient, longBody);
    }

    function _messageJson(bytes memory message) internal pure returns (string memory) {
        (
            uint32 originDomain,
            bytes32 sender,
            uint32 nonce,
            uint32 destination,
            bytes32 recipient,
            bytes memory body
        ) = _decode(message);
        return string.concat(
            string.concat(
                '{"origin":',
                vm.toString(uint256(originDomain)),
                ',"sender":"',
                vm.toString(sender),
                '","nonce":'
            ),
            string.concat(
                vm.toString(uint256(nonce)),
                ',"destination":',
                vm.toString(uint256(destination)),
                ',"recipient":"',
                vm.toString(recipient)
            ),
            string.concat(
                '","body":"',
                vm.toString(body),
                '","encoded":"',
                vm.toString(message),
                '","leaf":"',
                vm.toString(keccak256(message)),
                '"}'
            )
        );
    }

    function _decode(bytes memory message)
        internal
        pure
        returns (
            uint32 originDomain,
            bytes32 sender,
            uint32 nonce,
            uint32 destination,
            bytes32 recipient,
            bytes memory body
        )
    {
        assembly {
            originDomain := shr(224, mload(add(message, 32)))
            sender := mload(add(message, 36))
            nonce := shr(224, mload(add(message, 68)))
            destination := shr(224, mload(add(message, 72)))
            recipient := mload(add(message, 76))
        }
        body = new bytes(message.length - 76);
        for (uint256 i = 0; i < body.length; ++i) {
            body[i] = message[76 + i];
        }
    }

    function _treeJson(bytes32[] memory leaves) internal returns (string memory) {
        string memory leavesJson = "[";
        string memory rootsJson = "[";
        for (uint256 i = 0; i < leaves.length; ++i) {
            bytes32 root = harness.insert(leaves[i]);
            bytes32[] memory prefix = new bytes32[](i + 1);
            for (uint256 j = 0; j <= i; ++j) {
                prefix[j] = leaves[j];
            }
            assertEq(root, NaiveMerkle.root(prefix), "incremental root equals naive root");
            leavesJson = string.concat(leavesJson, i == 0 ? '"' : ',"', vm.toString(leaves[i]), '"');
            rootsJson = string.concat(rootsJson, i == 0 ? '"' : ',"', vm.toString(root), '"');
        }
        bytes32 finalRoot = NaiveMerkle.root(leaves);
        string memory proofsJson = "[";
        for (uint256 i = 0; i < leaves.length; ++i) {
            bytes32[TREE_DEPTH] memory path = NaiveMerkle.proof(leaves, i);
            assertEq(harness.branchRoot(leaves[i], path, i), finalRoot, "proof verifies");
            bytes32[] memory pathList = new bytes32[](TREE_DEPTH);
            for (uint256 j = 0; j < TREE_DEPTH; ++j) {
                pathList[j] = path[j];
            }
            proofsJson = string.concat(
                proofsJson,
                i == 0 ? "" : ",",
                string.concat('{"index":', vm.toString(i), ',"leaf":"', vm.toString(leaves[i])),
                string.concat('","path":', _hashList(pathList), ',"root":"', vm.toString(finalRoot), '"}')
            );
        }
        return string.concat(
            string.concat('{"emptyRoot":"', vm.toString(NaiveMerkle.root(new bytes32[](0)))),
            string.concat('","leaves":', leavesJson, '],"roots":', rootsJson, "]"),
            string.concat(
                ',"proofs":', proofsJson, '],"multiproofs":', _multiproofsJson(leaves, finalRoot), "}"
            )
        );
    }

    function _multiproofsJson(bytes32[] memory leaves, bytes32 root) internal view returns (string memory) {
        uint256[][] memory sets = new uint256[][](3);
        sets[0] = new uint256[](3);
        (sets[0][0], sets[0][1], sets[0][2]) = (1, 2, 5);
        sets[1] = new uint256[](leaves.length);
        for (uint256 i = 0; i < leaves.length; ++i) {
            sets[1][i] = i;
        }
        sets[2] = new uint256[](1);
        sets[2][0] = 6;
        string memory json = "[";
        for (uint256 s = 0; s < sets.length; ++s) {
            uint256[] memory indices = sets[s];
            bytes32[] memory proof = NaiveMerkle.multiProof(leaves, indices);
            bytes32[] memory chosen = new bytes32[](indices.length);
            string memory indicesJson = "[";
            for (uint256 i = 0; i < indices.length; ++i) {
                chosen[i] = leaves[indices[i]];
                indicesJson = string.concat(indicesJson, i == 0 ? "" : ",", vm.toString(indices[i]));
            }
            assertEq(harness.multiRoot(chosen, indices, proof), root, "multiproof verifies");
            json = string.concat(
                json,
                s == 0 ? "" : ",",
                string.concat('{"indices":', indicesJson, '],"proof":', _hashList(proof)),
                string.concat(',"root":"', vm.toString(root), '"}')
            );
        }
        return string.concat(json, "]");
    }

    function _signingJson(bytes32[] memory leaves) internal pure returns (string memory) {
        uint32 domain = 1000;
        bytes32 oldRoot = NaiveMerkle.root(new bytes32[](0));
        bytes32 newRoot = NaiveMerkle.root(leaves);
        bytes32 homeSeparator = SignatureVerifier.domainSeparator(
            keccak256(bytes(MessagingHashes.HOME_NAME)), HOME_CHAIN_ID, HOME
        );
        bytes32 updateStructHash = MessagingHashes.updateStructHash(domain, oldRoot, newRoot);
        bytes32 updateDigest_ = SignatureVerifier.typedDataDigest(homeSeparator, updateStructHash);
        assertEq(updateDigest_, updateDigest(HOME_CHAIN_ID, HOME, domain, oldRoot, newRoot), "update digest");
        address signer = vm.addr(SIGNER_KEY);
        bytes memory signature = signDigest(SIGNER_KEY, updateDigest_);
        assertEq(SignatureVerifier.recover(updateDigest_, signature), signer, "signature recovers");
        return string.concat(
            string.concat(
                '{"domain":1000,"homeChainId":',
                vm.toString(HOME_CHAIN_ID),
                ',"home":"',
                vm.toString(abi.encodePacked(HOME)),
                '","homeSeparator":"',
                vm.toString(homeSeparator),
                '","oldRoot":"',
                vm.toString(oldRoot),
                '","newRoot":"',
                vm.toString(newRoot)
            ),
            string.concat(
                '","updateStructHash":"',
                vm.toString(updateStructHash),
                '","updateDigest":"',
                vm.toString(updateDigest_),
                '","signer":"',
                vm.toString(abi.encodePacked(signer)),
                '","signature":"',
                vm.toString(signature),
                '",'
            ),
            _watcherJson(domain, signer),
            "}"
        );
    }

    /// @dev The watcher notice about `updater` halting `WATCHED_REPLICA`, for the manager `MANAGER`.
    function _watcherJson(uint32 domain, address updater) internal pure returns (string memory) {
        bytes32 separator = SignatureVerifier.domainSeparator(
            keccak256(bytes(MessagingHashes.CONNECTION_MANAGER_NAME)), MANAGER_CHAIN_ID, MANAGER
        );
        bytes32 structHash = MessagingHashes.watcherNoticeStructHash(domain, updater, WATCHED_REPLICA);
        bytes32 digest = SignatureVerifier.typedDataDigest(separator, structHash);
        assertEq(
            digest,
            watcherNoticeDigest(MANAGER_CHAIN_ID, MANAGER, domain, updater, WATCHED_REPLICA),
            "notice digest"
        );
        bytes memory signature = signDigest(WATCHER_KEY, digest);
        return string.concat(
            string.concat(
                '"watcherChainId":',
                vm.toString(MANAGER_CHAIN_ID),
                ',"watcherManager":"',
                vm.toString(abi.encodePacked(MANAGER)),
                '","managerSeparator":"',
                vm.toString(separator),
                '","watcherUpdater":"',
                vm.toString(abi.encodePacked(updater)),
                '","watcherReplica":"',
                vm.toString(abi.encodePacked(WATCHED_REPLICA))
            ),
            string.concat(
                '","watcherNoticeStructHash":"',
                vm.toString(structHash),
                '","watcherNoticeDigest":"',
                vm.toString(digest),
                '","watcher":"',
                vm.toString(abi.encodePacked(vm.addr(WATCHER_KEY))),
                '","watcherSignature":"',
                vm.toString(signature),
                '"'
            )
        );
    }

    function _hashList(bytes32[] memory hashes) internal pure returns (string memory json) {
        json = "[";
        for (uint256 i = 0; i < hashes.length; ++i) {
            json = string.concat(json, i == 0 ? '"' : ',"', vm.toString(hashes[i]), '"');
        }
        json = string.concat(json, "]");
    }
}
