// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MultiDomainFixture} from "../utils/MultiDomainFixture.sol";
import {TestToken} from "../utils/TestTokens.sol";
import {TransferInfo, ExecuteArgs, TransferStatus} from "../../../src/interfaces/IConnext.sol";

/// @title ConnextHandler
/// @notice Drives three domains wired by the real messaging layer with random xcalls, fast and slow executes,
///         relays (reconciles) and router liquidity operations, and keeps a model the invariants compare with:
///         every router's expected liquidity, every transfer's executions and reconciles, what waits for the slow
///         path, and any attack that should have failed but did not.
contract ConnextHandler is MultiDomainFixture {
    struct Transfer {
        TransferInfo params;
        uint256 origin;
        uint256 destination;
        uint256 msgIndex;
        uint256 routerCount;
        uint256 executions;
        uint256 reconciles;
        bool completed;
    }

    Transfer[] internal _transfers;
    address[3] internal users = [ALICE, BOB, CAROL];

    /// @dev Expected liquidity of router i on domain d in TKN's local asset.
    mapping(uint256 domain => mapping(uint256 router => uint256)) public expectedLiquidity;
    /// @dev Reconciled transfers' funds waiting in each domain's Connext for the slow path.
    mapping(uint256 domain => uint256) public pendingSlow;

    uint256 public maxExecutions;
    uint256 public maxReconciles;
    uint256 public recipientMinimumViolations;
    uint256 public unauthorizedSuccesses;
    uint256 public wrongDomainStatuses;
    uint256 public calls;
    /// @dev How often each path actually happened (so a run that never reached a path is visible).
    uint256 public xcalls;
    uint256 public fastExecutes;
    uint256 public slowExecutes;
    uint256 public reconciles;

    constructor() {
        setUp();
        token.mint(ALICE, 1_000_000 ether);
        for (uint256 d; d < DOMAINS; ++d) {
            _seedRouters(d, 1_000 ether);
            for (uint256 i; i < ROUTERS; ++i) {
                expectedLiquidity[d][i] = 1_000 ether;
            }
        }
        token.mint(ROUTER_OWNER, 1_000_000 ether);
    }

    // ------------------------------------------------------------------ actions

    /// @notice A user with funds on `fromSeed`'s domain sends some of them to another domain.
    function xcall(
        uint256 fromSeed,
        uint256 toSeed,
        uint256 userSeed,
        uint256 amountSeed,
        uint256 slippageSeed
    ) external {
        calls++;
        uint256 from = fromSeed % DOMAINS;
        uint256 to = (from + 1 + toSeed % (DOMAINS - 1)) % DOMAINS;
        address user = users[userSeed % users.length];
        uint256 balance = TestToken(locals[from]).balanceOf(user);
        if (balance == 0) return;
        uint256 amount = bound(amountSeed, 1, balance < 500 ether ? balance : 500 ether);
        uint256 slippage = bound(slippageSeed, 0, 60);
        address recipient = users[(userSeed / 3) % users.length];
        TransferInfo memory params = _xcall(from, to, user, recipient, amount, "", slippage);
        Transfer storage t = _transfers.push();
        t.params = params;
        t.origin = from;
        t.destination = to;
        t.msgIndex = sent[from].length - 1;
        xcalls++;
    }

    /// @notice Routers front a pending transfer (it may revert: slippage, liquidity, already delivered).
    function executeFast(uint256 transferSeed, uint256 countSeed) external {
        calls++;
        if (_transfers.length == 0) return;
        Transfer storage t = _transfers[transferSeed % _transfers.length];
        uint256 count = 1 + countSeed % ROUTERS;
        ExecuteArgs memory args = _fastArgs(t.params, count);
        address to = t.params.to;
        uint256 before = TestToken(locals[t.destination]).balanceOf(to);
        vm.prank(RELAYER);
        try connexts[t.destination].execute(args) {
            t.executions++;
            fastExecutes++;
            t.routerCount = count;
            if (t.executions > maxExecutions) maxExecutions = t.executions;
            uint256 delivered = TestToken(locals[t.destination]).balanceOf(to) - before;
            uint256 minimum = t.params.normalizedIn * (10_000 - t.params.slippage) / 10_000;
            if (delivered < minimum) recipientMinimumViolations++;
            uint256 toFront = t.params.bridgedAmt * 9995 / 10_000;
            uint256 share = toFront / count;
            for (uint256 i; i < count; ++i) {
                expectedLiquidity[t.destination][i] -= i == count - 1 ? toFront - share * (count - 1) : share;
            }
        } catch {}
    }

    /// @notice The messaging layer carries everything pending from one domain to another.
    function relay(uint256 originSeed, uint256 destinationSeed) external {
        calls++;
        uint256 origin = originSeed % DOMAINS;
        uint256 destination = (origin + 1 + destinationSeed % (DOMAINS - 1)) % DOMAINS;
        _relay(origin, destination);
        for (uint256 k; k < _transfers.length; ++k) {
            Transfer storage t = _transfers[k];
            if (t.origin != origin || t.destination != destination || t.reconciles != 0) continue;
            if (!sent[origin][t.msgIndex].delivered) continue;
            t.reconciles++;
            reconciles++;
            if (t.reconciles > maxReconciles) maxReconciles = t.reconciles;
            uint256 amount = t.params.bridgedAmt;
            if (t.executions != 0) {
                uint256 share = amount / t.routerCount;
                for (uint256 i; i < t.routerCount; ++i) {
                    expectedLiquidity[destination][i] += i == t.routerCount - 1 ? amount - share * (i) : share;
                }
                t.completed = true;
            } else {
                pendingSlow[destination] += amount;
            }
        }
    }

    /// @notice A reconciled, unexecuted transfer is delivered without routers.
    function executeSlow(uint256 transferSeed) external {
        calls++;
        if (_transfers.length == 0) return;
        Transfer storage t = _transfers[transferSeed % _transfers.length];
        ExecuteArgs memory args;
        args.params = t.params;
        vm.prank(RELAYER);
        try connexts[t.destination].execute(args) {
            t.executions++;
            if (t.executions > maxExecutions) maxExecutions = t.executions;
            pendingSlow[t.destination] -= t.params.bridgedAmt;
            slowExecutes++;
            t.completed = true;
        } catch {}
    }

    /// @notice The router owner adds liquidity it holds on a domain.
    function addLiquidity(uint256 domainSeed, uint256 routerSeed, uint256 amountSeed) external {
        calls++;
        uint256 d = domainSeed % DOMAINS;
        uint256 r = routerSeed % ROUTERS;
        uint256 held = TestToken(locals[d]).balanceOf(ROUTER_OWNER);
        if (held == 0) return;
        uint256 amount = bound(amountSeed, 1, held);
        vm.startPrank(ROUTER_OWNER);
        TestToken(locals[d]).approve(address(connexts[d]), amount);
        connexts[d].addRouterLiquidity(routers[r], locals[d], amount);
        vm.stopPrank();
        expectedLiquidity[d][r] += amount;
    }

    /// @notice The router owner removes some liquidity.
    function removeLiquidity(uint256 domainSeed, uint256 routerSeed, uint256 amountSeed) external {
        calls++;
        uint256 d = domainSeed % DOMAINS;
        uint256 r = routerSeed % ROUTERS;
        uint256 available = connexts[d].routerBalance(routers[r], locals[d]);
        if (available == 0) return;
        uint256 amount = bound(amountSeed, 1, available);
        vm.prank(ROUTER_OWNER);
        connexts[d].removeRouterLiquidity(routers[r], locals[d], amount, ROUTER_OWNER);
        expectedLiquidity[d][r] -= amount;
    }

    /// @notice Someone other than the owner (a router itself, a user, the relayer) tries to pull liquidity.
    function stealLiquidity(uint256 domainSeed, uint256 routerSeed, uint256 thiefSeed) external {
        calls++;
        uint256 d = domainSeed % DOMAINS;
        address[4] memory thieves = [routers[routerSeed % ROUTERS], ALICE, RELAYER, GOV];
        vm.prank(thieves[thiefSeed % 4]);
        try connexts[d].removeRouterLiquidity(
            routers[routerSeed % ROUTERS], locals[d], 1, thieves[thiefSeed % 4]
        ) {
            unauthorizedSuccesses++;
        } catch {}
    }

    /// @notice Replays a delivered message, delivers a message to a non-destination, or calls `handle` directly.
    function replayMessage(uint256 transferSeed, uint256 modeSeed) external {
        calls++;
        if (_transfers.length == 0) return;
        Transfer storage t = _transfers[transferSeed % _transfers.length];
        bytes memory message = sent[t.origin][t.msgIndex].message;
        uint256 mode = modeSeed % 2;
        if (mode == 0) {
            try replicas[t.destination][t.origin].process(message) returns (bool ok) {
                if (ok) unauthorizedSuccesses++;
            } catch {}
        } else {
            bytes memory body = new bytes(message.length - 76);
            for (uint256 i; i < body.length; ++i) {
                body[i] = message[76 + i];
            }
            vm.prank(ALICE);
            try connexts[t.destination].handle(
                ids[t.origin], 0, bytes32(uint256(uint160(address(connexts[t.origin])))), body
            ) {
                unauthorizedSuccesses++;
            } catch {}
        }
    }

    // ------------------------------------------------------------------ views for the invariants

    function transferCount() external view returns (uint256) {
        return _transfers.length;
    }

    /// @dev Checks that no transfer has a status on a domain other than its destination.
    function checkStatusesOnlyOnDestination() external view returns (bool) {
        for (uint256 k; k < _transfers.length; ++k) {
            bytes32 id = _id(_transfers[k].params);
            for (uint256 d; d < DOMAINS; ++d) {
                if (d == _transfers[k].destination) continue;
                if (connexts[d].transferStatus(id) != TransferStatus.None) return false;
            }
        }
        return true;
    }

    /// @dev Checks that each transfer's on-chain status matches the model.
    function checkStatuses() external view returns (bool) {
        for (uint256 k; k < _transfers.length; ++k) {
            Transfer storage t = _transfers[k];
            TransferStatus status = connexts[t.destination].transferStatus(_id(t.params));
            TransferStatus expected = t.completed
                ? TransferStatus.Completed
                : t.executions != 0
                    ? TransferStatus.Executed
                    : t.reconciles != 0 ? TransferStatus.Reconciled : TransferStatus.None;
            if (status != expected) return false;
        }
        return true;
    }

    function connextAt(uint256 d) external view returns (address) {
        return address(connexts[d]);
    }

    function localAt(uint256 d) external view returns (address) {
        return locals[d];
    }

    function routerAt(uint256 r) external view returns (address) {
        return routers[r];
    }

    function inFlightAmount() external view returns (uint256) {
        return inFlight;
    }

    function custodied() external view returns (uint256) {
        return _custodied();
    }
}
