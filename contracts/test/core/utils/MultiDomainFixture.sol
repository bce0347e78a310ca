// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "../../utils/TestBase.sol";
import {Vm} from "../../utils/Vm.sol";
import {NaiveMerkle} from "../../utils/NaiveMerkle.sol";
import {Home} from "../../../src/messaging/Home.sol";
import {Replica} from "../../../src/messaging/Replica.sol";
import {ConnectionManager} from "../../../src/messaging/ConnectionManager.sol";
import {Connext} from "../../../src/core/Connext.sol";
import {BridgeToken} from "../../../src/core/BridgeToken.sol";
import {IConnext, TransferInfo, ExecuteArgs} from "../../../src/interfaces/IConnext.sol";
import {TestToken} from "./TestTokens.sol";

/// @title MultiDomainFixture
/// @notice Three domains (A = 1000, B = 2000, C = 3000) in one EVM, each with its own `Home`, connection manager,
///         a `Replica` of every other domain's Home, and a `Connext`, all wired by the real messaging contracts.
///         The token `TKN` is canonical on A and a representation on B and C. Messages travel for real: the
///         Home is checkpointed, the updater's signed root is copied to every Replica, the optimistic window
///         passes, and each message is proven and processed.
abstract contract MultiDomainFixture is TestBase {
    uint256 internal constant A = 0;
    uint256 internal constant B = 1;
    uint256 internal constant C = 2;
    uint256 internal constant DOMAINS = 3;
    uint32 internal constant WINDOW = 30;
    uint256 internal constant UPDATER_KEY = 0x0DA7E;
    uint256 internal constant SEQUENCER_KEY = 0x5E0;
    uint256 internal constant ROUTERS = 3;

    address internal constant GOV = address(0x60F);
    address internal constant RELAYER = address(0x4E1A);
    address internal constant VAULT = address(0xFEE5);
    address internal constant ROUTER_OWNER = address(0x0E);
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);
    address internal constant CAROL = address(0xCA801);

    uint32[DOMAINS] internal ids = [uint32(1000), 2000, 3000];
    Home[DOMAINS] internal homes;
    ConnectionManager[DOMAINS] internal managers;
    Connext[DOMAINS] internal connexts;
    /// @dev replicas[destination][origin]
    Replica[DOMAINS][DOMAINS] internal replicas;
    TestToken internal token;
    /// @dev The local asset of TKN on each domain.
    address[DOMAINS] internal locals;
    uint256[] internal routerKeys;
    address[] internal routers;

    struct Sent {
        bytes message;
        uint256 destination;
        uint256 amount;
        bool delivered;
    }

    /// @dev Per origin, every message its Home dispatched (leaf order) and its tree's leaves.
    mapping(uint256 origin => Sent[]) internal sent;
    mapping(uint256 origin => bytes32[]) internal leaves;
    /// @dev TKN burned or escrowed by an xcall whose message has not been handled yet.
    uint256 internal inFlight;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        address updater = vm.addr(UPDATER_KEY);
        for (uint256 d; d < DOMAINS; ++d) {
            homes[d] = new Home(ids[d], updater, GOV, 0);
            managers[d] = new ConnectionManager(ids[d], GOV);
            connexts[d] = new Connext(ids[d], GOV, address(homes[d]), address(managers[d]), VAULT);
        }
        for (uint256 d; d < DOMAINS; ++d) {
            for (uint256 o; o < DOMAINS; ++o) {
                if (o == d) continue;
                replicas[d][o] = new Replica(
                    ids[d],
                    ids[o],
                    block.chainid,
                    address(homes[o]),
                    updater,
                    homes[o].committedRoot(),
                    WINDOW,
                    0,
                    address(managers[d]),
                    GOV,
                    address(0)
                );
                vm.startPrank(GOV);
                managers[d].enrollReplica(address(replicas[d][o]));
                connexts[d].setRemoteConnext(ids[o], bytes32(uint256(uint160(address(connexts[o])))));
                vm.stopPrank();
            }
        }
        token = new TestToken("Token", "TKN", 18);
        bytes32 tokenId = bytes32(uint256(uint160(address(token))));
        locals[A] = address(token);
        vm.prank(GOV);
        connexts[A].setupCanonicalAsset(address(token), type(uint128).max);
        for (uint256 d = 1; d < DOMAINS; ++d) {
            locals[d] = address(new BridgeToken("Token", "TKN", 18, address(connexts[d])));
            vm.prank(GOV);
            connexts[d].setupRepresentation(tokenId, ids[A], locals[d]);
        }
        for (uint256 i; i < ROUTERS; ++i) {
            routerKeys.push(0xA000 + i);
            routers.push(vm.addr(0xA000 + i));
        }
        for (uint256 d; d < DOMAINS; ++d) {
            vm.startPrank(GOV);
            connexts[d].setSequencerApproval(vm.addr(SEQUENCER_KEY), true);
            connexts[d].setRelayerApproval(RELAYER, true);
            for (uint256 i; i < ROUTERS; ++i) {
                connexts[d].setupRouter(routers[i], ROUTER_OWNER, address(0));
            }
            vm.stopPrank();
        }
    }

    // ------------------------------------------------------------------ transfers

    /// @dev `caller` xcalls `amount` of TKN (or calldata only if `amount` is zero and `callData` is set) from
    ///      domain `from` to `recipient` on `to`; returns the transfer as `XCalled` reported it.
    function _xcall(
        uint256 from,
        uint256 to,
        address caller,
        address recipient,
        uint256 amount,
        bytes memory callData,
        uint256 slippage
    ) internal returns (TransferInfo memory params) {
        address asset = amount == 0 ? address(0) : locals[from];
        vm.startPrank(caller);
        if (from == A && amount != 0) token.approve(address(connexts[A]), amount);
        vm.recordLogs();
        bytes32 id = connexts[from].xcall(ids[to], recipient, asset, caller, amount, slippage, callData, 0);
        vm.stopPrank();
        TransferInfo[] memory xcalled = _recordXCalls();
        assertEq(xcalled.length, 1, "XCalled emitted");
        params = xcalled[0];
        assertEq(keccak256(abi.encode(params)), id, "XCalled params hash to the returned id");
    }

    /// @dev Reads the logs recorded since `vm.recordLogs()`: every `Home.Dispatch` joins its origin's messages (so
    ///      `_relay` delivers it) and every `XCalled` adds its amount to what is in flight. Works for xcalls made by
    ///      any contract, an xApp's `xReceive` included. Returns the transfers, in order.
    function _recordXCalls() internal returns (TransferInfo[] memory) {
        return _recordXCallsFrom(vm.getRecordedLogs());
    }

    /// @dev `_recordXCalls` for logs the caller has already read.
    function _recordXCallsFrom(Vm.Log[] memory logs) internal returns (TransferInfo[] memory transfers) {
        transfers = new TransferInfo[](logs.length);
        uint256 count;
        for (uint256 i; i < logs.length; ++i) {
            for (uint256 d; d < DOMAINS; ++d) {
                if (logs[i].emitter == address(homes[d]) && logs[i].topics[0] == Home.Dispatch.selector) {
                    (, bytes memory message) = abi.decode(logs[i].data, (uint32, bytes));
                    uint32 destination = uint32(uint256(logs[i].topics[3]));
                    sent[d].push(Sent(message, _indexOf(destination), 0, false));
                    leaves[d].push(keccak256(message));
                }
                if (logs[i].emitter == address(connexts[d]) && logs[i].topics[0] == IConnext.XCalled.selector)
                {
                    (TransferInfo memory params,, uint256 amount,,) =
                        abi.decode(logs[i].data, (TransferInfo, address, uint256, address, bytes));
                    // The Dispatch of a transfer's message comes just before its XCalled.
                    sent[d][sent[d].length - 1].amount = amount;
                    inFlight += amount;
                    transfers[count++] = params;
                }
            }
        }
        assembly {
            mstore(transfers, count)
        }
    }

    /// @dev The index (A, B or C) of `domain`.
    function _indexOf(uint32 domain) internal view returns (uint256) {
        for (uint256 d; d < DOMAINS; ++d) {
            if (ids[d] == domain) return d;
        }
        revert("unknown domain");
    }

    function _fastArgs(TransferInfo memory params, uint256 count)
        internal
        view
        returns (ExecuteArgs memory args)
    {
        bytes32 id = keccak256(abi.encode(params));
        address verifier = address(_connextOf(params.destinationDomain));
        args.params = params;
        args.routers = new address[](count);
        args.routerSignatures = new bytes[](count);
        for (uint256 i; i < count; ++i) {
            args.routers[i] = routers[i];
            args.routerSignatures[i] =
                signDigest(routerKeys[i], routerBidDigest(block.chainid, verifier, id, count));
        }
        args.sequencer = vm.addr(SEQUENCER_KEY);
        args.sequencerSignature =
            signDigest(SEQUENCER_KEY, routerSelectionDigest(block.chainid, verifier, id, args.routers));
    }

    /// @dev The Connext of `domain`.
    function _connextOf(uint32 domain) internal view returns (Connext) {
        for (uint256 d; d < DOMAINS; ++d) {
            if (ids[d] == domain) return connexts[d];
        }
        revert("unknown domain");
    }

    function _executeFast(uint256 on, TransferInfo memory params, uint256 count) internal {
        ExecuteArgs memory args = _fastArgs(params, count);
        vm.prank(RELAYER);
        connexts[on].execute(args);
    }

    function _executeSlow(uint256 on, TransferInfo memory params) internal {
        ExecuteArgs memory args;
        args.params = params;
        vm.prank(RELAYER);
        connexts[on].execute(args);
    }

    // ------------------------------------------------------------------ messaging

    /// @dev Checkpoints `origin`'s Home, signs its root onto the Home and every Replica of it, waits the window.
    function _commit(uint256 origin) internal {
        bytes32 oldRoot = homes[origin].committedRoot();
        bytes32 newRoot = homes[origin].checkpoint();
        if (newRoot == oldRoot) return;
        assertEq(newRoot, NaiveMerkle.root(leaves[origin]), "Home root matches the naive tree");
        bytes memory signature = signDigest(
            UPDATER_KEY, updateDigest(block.chainid, address(homes[origin]), ids[origin], oldRoot, newRoot)
        );
        homes[origin].update(oldRoot, newRoot, signature);
        for (uint256 d; d < DOMAINS; ++d) {
            if (d != origin) replicas[d][origin].update(oldRoot, newRoot, signature);
        }
        vm.warp(block.timestamp + WINDOW);
    }

    /// @dev Commits `origin` and proves and processes every pending message from it to `destination`.
    /// @return handled How many were handled successfully (the others stay retryable).
    function _relay(uint256 origin, uint256 destination) internal returns (uint256 handled) {
        _commit(origin);
        Sent[] storage list = sent[origin];
        for (uint256 i; i < list.length; ++i) {
            if (list[i].delivered || list[i].destination != destination) continue;
            bool ok = replicas[destination][origin].proveAndProcess(
                list[i].message, NaiveMerkle.proof(leaves[origin], i), i
            );
            if (ok) {
                list[i].delivered = true;
                inFlight -= list[i].amount;
                ++handled;
            }
        }
    }

    // ------------------------------------------------------------------ liquidity and accounting

    /// @dev Gives each router `perRouter` TKN of liquidity on `on`, bridged there from A the slow way.
    function _seedRouters(uint256 on, uint256 perRouter) internal {
        uint256 total = perRouter * ROUTERS;
        token.mint(ROUTER_OWNER, total);
        if (on != A) {
            TransferInfo memory params = _xcall(A, on, ROUTER_OWNER, ROUTER_OWNER, total, "", 0);
            assertEq(_relay(A, on), 1, "seed reconciled");
            _executeSlow(on, params);
        }
        vm.startPrank(ROUTER_OWNER);
        TestToken(locals[on]).approve(address(connexts[on]), total);
        for (uint256 i; i < ROUTERS; ++i) {
            connexts[on].addRouterLiquidity(routers[i], locals[on], perRouter);
        }
        vm.stopPrank();
    }

    function _custodied() internal view returns (uint256 custodied) {
        (,,,,, custodied) = connexts[A].assetInfo(address(token));
    }

    /// @dev PROTOCOL.md §6.1: A's escrow equals the representations' supply elsewhere plus what is in flight.
    function _assertConservation() internal view {
        uint256 supply = BridgeToken(locals[B]).totalSupply() + BridgeToken(locals[C]).totalSupply();
        assertEq(_custodied(), supply + inFlight, "escrow = representations + in flight");
    }

    function _fee(uint256 amount) internal pure returns (uint256) {
        return amount * 9995 / 10_000;
    }

    function _id(TransferInfo memory params) internal pure returns (bytes32) {
        return keccak256(abi.encode(params));
    }
}
