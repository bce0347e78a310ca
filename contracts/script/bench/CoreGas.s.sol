// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {GasBench} from "./GasBench.sol";
import {Home} from "../../src/messaging/Home.sol";
import {Replica} from "../../src/messaging/Replica.sol";
import {ConnectionManager} from "../../src/messaging/ConnectionManager.sol";
import {MessagingHashes} from "../../src/messaging/libraries/MessagingHashes.sol";
import {LiquidityHashes} from "../../src/core/libraries/LiquidityHashes.sol";
import {SignatureVerifier} from "../../src/libraries/SignatureVerifier.sol";
import {Connext} from "../../src/core/Connext.sol";
import {BridgeToken} from "../../src/core/BridgeToken.sol";
import {TransferInfo, ExecuteArgs} from "../../src/interfaces/IConnext.sol";
import {IXReceiver} from "../../src/interfaces/IXReceiver.sol";
import {NaiveMerkle} from "../../test/utils/NaiveMerkle.sol";
import {TestToken} from "../../test/core/utils/TestTokens.sol";

/// @notice The cheapest honest `IXReceiver`: accepts the call and returns nothing.
contract NoopReceiver is IXReceiver {
    function xReceive(bytes32, uint256, address, address, uint32, bytes calldata)
        external
        pure
        returns (bytes memory)
    {
        return "";
    }
}

/// @notice Gas of the liquidity layer's transactions on one anvil chain standing in for two domains (1 and 2),
///         wired by the real messaging contracts with a zero optimistic window. Transfers go from domain 1, where
///         the token is canonical (escrowed), to domain 2, where it is a representation fronted by routers.
///         Every measured transaction runs after the same kind of transaction once ran (steady state): storage
///         that any long-lived deployment has already written (nonces, balances, router slots) is warm-started.
contract CoreGas is GasBench {
    uint32 internal constant D1 = 1;
    uint32 internal constant D2 = 2;
    uint256 internal constant UPDATER_KEY = 0xA11CE;
    uint256 internal constant SEQUENCER_KEY = 0x5E0;
    uint256 internal constant AMOUNT = 100 ether;

    Home internal home1;
    Replica internal replica2;
    Connext internal c1;
    Connext internal c2;
    TestToken internal token;
    BridgeToken internal rep;
    address internal recipient;
    NoopReceiver internal receiver;
    address[] internal routers;
    uint256[] internal routerKeys;

    bytes32[] internal leaves;
    bytes[] internal messages;

    function run() external {
        _begin();
        _deploy();
        _seedRouterLiquidity(); // message 0

        // ---- origin: xcall (escrow of the canonical token), each kind after one warm-up
        TransferInfo[] memory fast = new TransferInfo[](16);
        fast[0] = _xcall(recipient, "", 0); // message 1
        measureNext("xcall_erc20", 1);
        fast[1] = _xcall(recipient, "", 0); // 2
        _xcall(address(receiver), new bytes(1024), 0); // 3: left for the slow path
        measureNext("xcall_erc20_calldata_1kb", 1);
        _xcall(address(receiver), new bytes(1024), 0); // 4: left for the slow path
        fast[2] = _xcall(recipient, "", 0.001 ether); // 5
        measureNext("xcall_native_fee", 1);
        fast[3] = _xcall(recipient, "", 0.001 ether); // 6
        TransferInfo memory withCalldata = _xcall(address(receiver), hex"01", 0); // 7
        for (uint256 i = 4; i < 16; ++i) {
            fast[i] = _xcall(recipient, "", 0); // 8 .. 19
        }
        TransferInfo memory slow = _xcall(recipient, "", 0); // 20

        // ---- destination: fast path (the recipient already holds the representation after the warm-up)
        _executeFast(fast[0], 1);
        measureNext("execute_fast_1_router", 1);
        _executeFast(fast[1], 1);
        _executeFast(fast[2], 3);
        measureNext("execute_fast_3_routers", 1);
        _executeFast(fast[3], 3);
        measureNext("execute_fast_calldata", 1);
        _executeFast(withCalldata, 1);
        for (uint256 i = 4; i < 14; ++i) {
            _executeFast(fast[i], 1);
        }
        // ---- the same with a quorum: 4 approved sequencers, 3 of whom must sign
        for (uint256 i = 1; i < 4; ++i) {
            c2.setSequencerApproval(vm.addr(SEQUENCER_KEY + i), true);
        }
        c2.setSequencerThreshold(3);
        _executeFastQuorum(fast[14], 3);
        measureNext("execute_fast_1_router_quorum", 1);
        _executeFastQuorum(fast[15], 3);

        // ---- reconcile: every message so far ripens under one root
        _commit();
        _proveAndProcess(1); // warm-up
        measureNext("reconcile_1", 1);
        _proveAndProcess(2); // a transfer one router fronted
        for (uint256 i = 3; i < 10; ++i) {
            _proveAndProcess(i);
        }
        measureNext("reconcile_batch10_per_transfer", 10);
        _proveAndProcessBatch(10, 10); // messages 10 .. 19, each fronted by one router
        _proveAndProcess(20);

        // ---- slow path: reconciled above, now executed without routers
        measureNext("execute_slow", 1);
        c2.execute(ExecuteArgs(slow, new address[](0), new bytes[](0), address(0), ""));

        // ---- router liquidity (the router already holds liquidity in this asset)
        measureNext("add_liquidity", 1);
        c2.addRouterLiquidity(routers[0], address(rep), 1 ether);
        measureNext("remove_liquidity", 1);
        c2.removeRouterLiquidity(routers[0], address(rep), 1 ether, sender);
        c1.addRouterLiquidity(routers[0], address(token), 1 ether);
        measureNext("add_liquidity_canonical", 1);
        c1.addRouterLiquidity(routers[0], address(token), 1 ether);

        // ---- origin again: Connext's 7-argument xcall (native fee as msg.value), as an xApp written for Connext
        // calls it; last, so the messages above keep their indices (these two are never reconciled).
        _xcall7(recipient, 0.001 ether);
        measureNext("xcall_7arg_native_fee", 1);
        _xcall7(recipient, 0.001 ether);
        _end();
    }

    // ------------------------------------------------------------------ deployment

    function _deploy() internal {
        address updater = vm.addr(UPDATER_KEY);
        home1 = new Home(D1, updater, sender, 0);
        Home home2 = new Home(D2, updater, sender, 0);
        ConnectionManager manager1 = new ConnectionManager(D1, sender);
        ConnectionManager manager2 = new ConnectionManager(D2, sender);
        replica2 = new Replica(
            D2,
            D1,
            block.chainid,
            address(home1),
            updater,
            home1.committedRoot(),
            0,
            0,
            address(manager2),
            sender,
            address(0)
        );
        Replica replica1 = new Replica(
            D1,
            D2,
            block.chainid,
            address(home2),
            updater,
            home2.committedRoot(),
            0,
            0,
            address(manager1),
            sender,
            address(0)
        );
        manager2.enrollReplica(address(replica2));
        manager1.enrollReplica(address(replica1));

        c1 = new Connext(D1, sender, address(home1), address(manager1), sender);
        c2 = new Connext(D2, sender, address(home2), address(manager2), sender);
        c1.setRemoteConnext(D2, _b32(address(c2)));
        c2.setRemoteConnext(D1, _b32(address(c1)));

        token = new TestToken("Token", "TKN", 18);
        c1.setupCanonicalAsset(address(token), type(uint128).max);
        rep = new BridgeToken("Token", "TKN", 18, address(c2));
        c2.setupRepresentation(_b32(address(token)), D1, address(rep));

        c2.setSequencerApproval(vm.addr(SEQUENCER_KEY), true);
        c2.setRelayerApproval(sender, true);
        for (uint256 i; i < 3; ++i) {
            uint256 key = 0xB0 + i;
            routerKeys.push(key);
            routers.push(vm.addr(key));
            c2.setupRouter(vm.addr(key), sender, address(0));
            c1.setupRouter(vm.addr(key), sender, address(0));
        }
        recipient = address(0xBEEF);
        receiver = new NoopReceiver();
        token.mint(sender, 1_000_000 ether);
        token.approve(address(c1), type(uint256).max);
        rep.approve(address(c2), type(uint256).max);
    }

    /// @dev Bridges tokens to domain 2 the slow way and adds them as the routers' liquidity.
    function _seedRouterLiquidity() internal {
        TransferInfo memory seed = _xcall(sender, "", 0, AMOUNT * 100);
        _commit();
        _proveAndProcess(0);
        c2.execute(ExecuteArgs(seed, new address[](0), new bytes[](0), address(0), ""));
        for (uint256 i; i < 3; ++i) {
            c2.addRouterLiquidity(routers[i], address(rep), AMOUNT * 30);
        }
    }

    // ------------------------------------------------------------------ transfers

    function _xcall(address to, bytes memory callData, uint256 nativeFee)
        internal
        returns (TransferInfo memory)
    {
        return _xcall(to, callData, nativeFee, AMOUNT);
    }

    function _xcall(address to, bytes memory callData, uint256 nativeFee, uint256 amount)
        internal
        returns (TransferInfo memory p)
    {
        p.originDomain = D1;
        p.destinationDomain = D2;
        p.canonicalDomain = D1;
        p.to = to;
        p.delegate = sender;
        p.callData = callData;
        p.slippage = 30;
        p.originSender = sender;
        p.bridgedAmt = amount;
        p.normalizedIn = amount;
        p.nonce = c1.nonce();
        p.canonicalId = _b32(address(token));
        bytes32 id = c1.xcall{value: nativeFee}(D2, to, address(token), sender, amount, 30, callData, 0);
        require(id == keccak256(abi.encode(p)), "bench: transfer id mismatch");
        bytes memory body = abi.encodePacked(D1, p.canonicalId, amount, id);
        bytes memory message =
            abi.encodePacked(D1, _b32(address(c1)), uint32(leaves.length), D2, _b32(address(c2)), body);
        leaves.push(keccak256(message));
        messages.push(message);
    }

    /// @dev Connext's 7-argument `xcall` of `AMOUNT` to `to`, `nativeFee` as the relayer fee; checks the id.
    function _xcall7(address to, uint256 nativeFee) internal {
        TransferInfo memory p;
        p.originDomain = D1;
        p.destinationDomain = D2;
        p.canonicalDomain = D1;
        p.to = to;
        p.delegate = sender;
        p.slippage = 30;
        p.originSender = sender;
        p.bridgedAmt = AMOUNT;
        p.normalizedIn = AMOUNT;
        p.nonce = c1.nonce();
        p.canonicalId = _b32(address(token));
        bytes32 id = c1.xcall{value: nativeFee}(D2, to, address(token), sender, AMOUNT, 30, "");
        require(id == keccak256(abi.encode(p)), "bench: transfer id mismatch");
    }

    function _executeFast(TransferInfo memory p, uint256 count) internal {
        _executeFastQuorum(p, count, 1);
    }

    /// @dev Executes `p` with `count` routers, the selection signed by the first `signers` sequencer keys.
    function _executeFastQuorum(TransferInfo memory p, uint256 signers) internal {
        _executeFastQuorum(p, 1, signers);
    }

    function _executeFastQuorum(TransferInfo memory p, uint256 count, uint256 signers) internal {
        bytes32 id = keccak256(abi.encode(p));
        address[] memory path = new address[](count);
        bytes[] memory signatures = new bytes[](count);
        for (uint256 i; i < count; ++i) {
            path[i] = routers[i];
            signatures[i] = _sign(routerKeys[i], _c2Digest(LiquidityHashes.routerBidStructHash(id, count)));
        }
        // `xReceive` gets the gas supplied (less a reserve); with calldata the bench gives it more than `xReceiveGasLimit`
        // as a relayer would for a receiver it does not know. The figures are the gas used, not this limit.
        uint256 gasLimit = p.callData.length == 0 ? 1_000_000 : 1_300_000;
        (address first, bytes memory quorum) = _quorum(
            signers,
            _c2Digest(LiquidityHashes.routerSelectionStructHash(id, LiquidityHashes.hashRouters(path)))
        );
        c2.execute{gas: gasLimit}(
            ExecuteArgs({
                params: p,
                routers: path,
                routerSignatures: signatures,
                sequencer: first,
                sequencerSignature: quorum
            })
        );
    }

    /// @dev The signatures of `digest` by the first `signers` sequencer keys, concatenated in ascending order of
    ///      their addresses, and the lowest address.
    function _quorum(uint256 signers, bytes32 digest)
        internal
        pure
        returns (address first, bytes memory quorum)
    {
        uint256[] memory keys = new uint256[](signers);
        for (uint256 i; i < signers; ++i) {
            keys[i] = SEQUENCER_KEY + i;
            for (uint256 j = i; j > 0 && vm.addr(keys[j]) < vm.addr(keys[j - 1]); --j) {
                (keys[j], keys[j - 1]) = (keys[j - 1], keys[j]);
            }
        }
        for (uint256 i; i < signers; ++i) {
            quorum = bytes.concat(quorum, _sign(keys[i], digest));
        }
        first = vm.addr(keys[0]);
    }

    // ------------------------------------------------------------------ messaging

    /// @dev Checkpoints domain 1's Home and signs its root onto the Home and domain 2's Replica.
    function _commit() internal {
        bytes32 oldRoot = home1.committedRoot();
        bytes32 newRoot = home1.checkpoint();
        bytes memory signature = _sign(
            UPDATER_KEY,
            SignatureVerifier.typedDataDigest(
                home1.updateDomainSeparator(), MessagingHashes.updateStructHash(D1, oldRoot, newRoot)
            )
        );
        home1.update(oldRoot, newRoot, signature);
        replica2.update(oldRoot, newRoot, signature);
    }

    function _proveAndProcess(uint256 index) internal {
        require(
            replica2.proveAndProcess(messages[index], NaiveMerkle.proof(leaves, index), index),
            "bench: handle"
        );
    }

    function _proveAndProcessBatch(uint256 first, uint256 count) internal {
        bytes[] memory batch = new bytes[](count);
        uint256[] memory indices = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            batch[i] = messages[first + i];
            indices[i] = first + i;
        }
        bytes32[] memory proof = NaiveMerkle.multiProof(leaves, indices);
        require(replica2.proveAndProcessBatch(batch, indices, proof) == count, "bench: batch handle");
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev The digest of a statement verified by domain 2's Connext.
    function _c2Digest(bytes32 structHash) internal view returns (bytes32) {
        return SignatureVerifier.typedDataDigest(
            SignatureVerifier.domainSeparator(
                keccak256(bytes(LiquidityHashes.CONNEXT_NAME)), block.chainid, address(c2)
            ),
            structHash
        );
    }

    function _b32(address account) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(account)));
    }
}
