// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "../../utils/TestBase.sol";
import {ConnextHandler} from "./ConnextHandler.sol";
import {Connext} from "../../../src/core/Connext.sol";
import {BridgeToken} from "../../../src/core/BridgeToken.sol";
import {TestToken} from "../utils/TestTokens.sol";

/// @notice PROTOCOL.md §6 invariants 1-4 over random xcalls, executes, reconciles and liquidity operations on
///         three domains wired by the real messaging layer.
contract ConnextInvariantsTest is TestBase {
    ConnextHandler internal handler;

    function setUp() public {
        handler = new ConnextHandler();
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](8);
        selectors[0] = ConnextHandler.xcall.selector;
        selectors[1] = ConnextHandler.executeFast.selector;
        selectors[2] = ConnextHandler.relay.selector;
        selectors[3] = ConnextHandler.executeSlow.selector;
        selectors[4] = ConnextHandler.addLiquidity.selector;
        selectors[5] = ConnextHandler.removeLiquidity.selector;
        selectors[6] = ConnextHandler.stealLiquidity.selector;
        selectors[7] = ConnextHandler.replayMessage.selector;
        targetSelector(address(handler), selectors);
    }

    /// @notice The handler really reaches every path: a scripted walk through them, then every invariant.
    function test_handlerDrivesEveryPath() public {
        // ALICE: A -> B, slippage 30 (userSeed 0: ALICE sends to ALICE), fronted by two routers, then reconciled.
        handler.xcall(0, 0, 0, 100 ether, 30);
        handler.executeFast(0, 1);
        handler.relay(0, 0);
        // ALICE: A -> C with slippage 0: no router may front it; it goes the slow way.
        handler.xcall(0, 1, 0, 50 ether, 0);
        handler.executeFast(1, 0);
        handler.relay(0, 1);
        handler.executeSlow(1);
        // ALICE now holds TKN on B: B -> C, fronted, reconciled.
        handler.xcall(1, 0, 0, 10 ether, 60);
        handler.executeFast(2, 2);
        handler.relay(1, 0);
        // Replays and theft fail; liquidity moves.
        handler.executeFast(0, 0);
        handler.executeSlow(0);
        handler.replayMessage(0, 0);
        handler.replayMessage(0, 1);
        handler.stealLiquidity(1, 0, 0);
        handler.addLiquidity(0, 1, 5 ether);
        handler.removeLiquidity(1, 2, 7 ether);

        assertEq(handler.xcalls(), 3, "xcalls");
        assertEq(handler.fastExecutes(), 2, "fast executes");
        assertEq(handler.slowExecutes(), 1, "slow executes");
        assertEq(handler.reconciles(), 3, "reconciles");
        invariant_conservation();
        invariant_solvency();
        invariant_singleExecutionAndReconcile();
        invariant_routerLiquidityMatchesModel();
        invariant_recipientMinimum();
    }

    function _connext(uint256 d) internal view returns (Connext) {
        return Connext(payable(address(handler.connextAt(d))));
    }

    /// @notice §6.1: escrow on the home domain = representations' supply elsewhere + what is in flight.
    function invariant_conservation() public view {
        uint256 supply;
        for (uint256 d = 1; d < 3; ++d) {
            supply += BridgeToken(handler.localAt(d)).totalSupply();
        }
        assertEq(
            handler.custodied(), supply + handler.inFlightAmount(), "escrow = representations + in flight"
        );
    }

    /// @notice Each Connext holds exactly its routers' liquidity, what waits for the slow path, and (home) escrow.
    function invariant_solvency() public view {
        for (uint256 d; d < 3; ++d) {
            Connext connext = _connext(d);
            address local = handler.localAt(d);
            uint256 owed = handler.pendingSlow(d);
            for (uint256 r; r < 3; ++r) {
                owed += connext.routerBalance(handler.routerAt(r), local);
            }
            if (d == 0) owed += handler.custodied();
            assertEq(
                TestToken(local).balanceOf(address(connext)), owed, "balance = liquidity + pending + escrow"
            );
        }
    }

    /// @notice §6.2: at most one execution and one reconcile per transfer, only on its destination.
    function invariant_singleExecutionAndReconcile() public view {
        assertLe(handler.maxExecutions(), 1, "executed at most once");
        assertLe(handler.maxReconciles(), 1, "reconciled at most once");
        assertTrue(handler.checkStatusesOnlyOnDestination(), "no status off the destination");
        assertTrue(handler.checkStatuses(), "statuses follow the model");
    }

    /// @notice §6.3: each router's liquidity is exactly adds - removes - fronted + credited (credit exactly once,
    ///         never negative), and nobody but the owner removes it.
    function invariant_routerLiquidityMatchesModel() public view {
        for (uint256 d; d < 3; ++d) {
            for (uint256 r; r < 3; ++r) {
                assertEq(
                    _connext(d).routerBalance(handler.routerAt(r), handler.localAt(d)),
                    handler.expectedLiquidity(d, r),
                    "router liquidity"
                );
            }
        }
        assertEq(handler.unauthorizedSuccesses(), 0, "no unauthorized removal or replayed reconcile");
    }

    /// @notice §6.4: every delivery met the recipient's minimum.
    function invariant_recipientMinimum() public view {
        assertEq(handler.recipientMinimumViolations(), 0, "recipient minimum");
    }
}
