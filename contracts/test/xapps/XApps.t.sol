// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MultiDomainFixture} from "../core/utils/MultiDomainFixture.sol";
import {Vm} from "../utils/Vm.sol";
import {TestToken} from "../core/utils/TestTokens.sol";
import {IConnext, TransferInfo, ExecuteArgs, TransferStatus} from "../../src/interfaces/IConnext.sol";
import {BridgeToken} from "../../src/core/BridgeToken.sol";
import {SourceGreeter, DestinationGreeter} from "./Greeter.sol";
import {SourceGreeterAuthenticated, DestinationGreeterAuthenticated} from "./AuthenticatedGreeter.sol";
import {PingPong} from "./PingPong.sol";
import {SwapAndXCall, ISwapper} from "./SwapAndXCall.sol";

/// @notice A DEX with one pool per pair, swapping 1:1 out of its reserves (enough for an xApp to swap into).
contract OneToOneSwapper is ISwapper {
    function swapExactIn(address tokenIn, address tokenOut, uint256 amountIn, uint256 minOut)
        external
        returns (uint256 amountOut)
    {
        amountOut = amountIn;
        require(amountOut >= minOut, "slippage");
        TestToken(tokenIn).transferFrom(msg.sender, address(this), amountIn);
        TestToken(tokenOut).transfer(msg.sender, amountOut);
    }
}

/// @notice xApps written against Connext's published interfaces (`@connext/interfaces` 2.0.5, imported from
///         node_modules, see test/xapps/*.sol) run unchanged on nxtp, end to end over the real messaging contracts:
///         a greeter paying tokens with calldata and a native fee, an authenticated greeter that only the slow
///         path's authentic sender reaches, a ping-pong answering with a nested `xcall` from inside `xReceive`, and a
///         swap-and-xcall paying the relayer in the bridged asset.
/// @dev The xApps live in test/ rather than src/: they are fixtures, not deployable nxtp code, and keeping them out
///      of src/ keeps `forge build src` (the Rust bindings' build, Slither) free of the node_modules import.
contract XAppsTest is MultiDomainFixture {
    uint256 internal constant AMOUNT = 100 ether;
    uint256 internal constant LIQUIDITY = 1_000 ether;
    uint256 internal constant RELAYER_FEE = 0.01 ether;

    function setUp() public override {
        super.setUp();
        _seedRouters(B, LIQUIDITY);
        token.mint(ALICE, 10_000 ether);
        vm.deal(ALICE, 10 ether);
    }

    // ------------------------------------------------------------------ greeter: tokens, calldata, native fee

    function test_greeter_fastPath_tokensCalldataAndNativeFee() public {
        SourceGreeter source = new SourceGreeter(address(connexts[A]), address(token));
        DestinationGreeter target = new DestinationGreeter(locals[B], 1 ether);

        vm.startPrank(ALICE);
        token.approve(address(source), AMOUNT);
        vm.recordLogs();
        bytes32 id =
            source.xUpdateGreeting{value: RELAYER_FEE}(address(target), ids[B], "hello", AMOUNT, RELAYER_FEE);
        vm.stopPrank();
        TransferInfo memory params = _recordXCalls()[0];

        assertEq(_id(params), id, "the id the xApp got back");
        assertEq(params.originSender, address(source), "sent by the xApp");
        assertEq(params.delegate, ALICE, "the xApp's delegate");
        assertEq(params.bridgedAmt, AMOUNT, "amount");
        assertEq(address(connexts[A]).balance, RELAYER_FEE, "native fee held for the relayer vault");
        _assertConservation();

        _executeFast(B, params, 1);
        assertEq(bytes(target.greeting()), bytes("hello"), "greeted on the fast path");
        assertEq(target.paid(), _fee(AMOUNT), "paid what the routers fronted");
        assertEq(BridgeToken(locals[B]).balanceOf(address(target)), _fee(AMOUNT), "tokens first");

        assertEq(_relay(A, B), 1, "reconciled");
        assertEq(uint256(connexts[B].transferStatus(id)), uint256(TransferStatus.Completed), "completed");
        _assertConservation();
    }

    // ------------------------------------------------------------------ authenticated greeter: slow path only

    function test_authenticatedGreeter_onlyTheSlowPathsAuthenticSender() public {
        SourceGreeterAuthenticated source = new SourceGreeterAuthenticated(address(connexts[A]));
        DestinationGreeterAuthenticated target =
            new DestinationGreeterAuthenticated(address(connexts[B]), ids[A], address(source));

        vm.recordLogs();
        vm.prank(ALICE);
        source.xUpdateGreeting{value: RELAYER_FEE}(address(target), ids[B], "authentic");
        TransferInfo memory params = _recordXCalls()[0];

        // Fronted, the sender is unproven (zero): the receiver refuses and the execute reverts.
        ExecuteArgs memory fast = _fastArgs(params, 1);
        vm.expectRevert(
            bytes(
                "Expected original caller to be source contract on origin domain and this to be called by Connext"
            )
        );
        vm.prank(RELAYER);
        connexts[B].execute(fast);

        _relay(A, B);
        _executeSlow(B, params);
        assertEq(bytes(target.greeting()), bytes("authentic"), "greeted once the message proved the sender");
    }

    function test_authenticatedGreeter_refusesAnImpostor() public {
        SourceGreeterAuthenticated source = new SourceGreeterAuthenticated(address(connexts[A]));
        SourceGreeterAuthenticated impostor = new SourceGreeterAuthenticated(address(connexts[A]));
        DestinationGreeterAuthenticated target =
            new DestinationGreeterAuthenticated(address(connexts[B]), ids[A], address(source));

        vm.recordLogs();
        vm.prank(ALICE);
        impostor.xUpdateGreeting{value: RELAYER_FEE}(address(target), ids[B], "forged");
        TransferInfo memory params = _recordXCalls()[0];
        _relay(A, B);
        vm.expectEmit(true, false, false, false, address(connexts[B]));
        emit IConnext.ExternalCalldataExecuted(_id(params), false, "");
        _executeSlow(B, params);
        assertEq(bytes(target.greeting()), bytes(""), "the impostor's greeting is refused");

        // A greeter on another domain cannot pose as the source either.
        SourceGreeterAuthenticated elsewhere = new SourceGreeterAuthenticated(address(connexts[C]));
        vm.recordLogs();
        vm.prank(ALICE);
        elsewhere.xUpdateGreeting{value: RELAYER_FEE}(address(target), ids[B], "from C");
        params = _recordXCalls()[0];
        _relay(C, B);
        _executeSlow(B, params);
        assertEq(bytes(target.greeting()), bytes(""), "wrong origin domain refused");
    }

    // ------------------------------------------------------------------ ping-pong: nested xcall in xReceive

    function test_pingPong_answersWithANestedXCallFromXReceive() public {
        PingPong onA = new PingPong(address(connexts[A]), RELAYER_FEE);
        PingPong onB = new PingPong(address(connexts[B]), RELAYER_FEE);
        onA.pair(ids[B], address(onB));
        onB.pair(ids[A], address(onA));
        vm.deal(address(onA), 1 ether);
        vm.deal(address(onB), 1 ether);

        vm.recordLogs();
        onA.startPingPong(3);
        TransferInfo memory ping = _recordXCalls()[0];

        // Round 1 lands on B, whose xReceive answers with an xcall back to A.
        _relay(A, B);
        vm.recordLogs();
        _executeSlow(B, ping);
        TransferInfo[] memory answers = _recordXCalls();
        assertEq(answers.length, 1, "one nested xcall");
        assertEq(answers[0].originSender, address(onB), "sent by the receiver itself");
        assertEq(_id(answers[0]), onB.lastSent(), "the id xcall returned inside xReceive");
        assertEq(address(connexts[B]).balance, RELAYER_FEE, "the nested xcall paid its native fee");
        assertEq(onB.pings(), 1, "B pinged once");

        // Round 2 lands on A, which answers again; round 3 lands on B, which stops.
        _relay(B, A);
        vm.recordLogs();
        _executeSlow(A, answers[0]);
        answers = _recordXCalls();
        assertEq(onA.pings(), 1, "A pinged once");
        _relay(A, B);
        vm.recordLogs();
        _executeSlow(B, answers[0]);
        assertEq(_recordXCalls().length, 0, "the last round does not answer");
        assertEq(onB.pings(), 2, "B pinged twice");
        assertEq(
            uint256(connexts[B].transferStatus(_id(answers[0]))), uint256(TransferStatus.Completed), "done"
        );
    }

    // ------------------------------------------------------------------ swap and xcall: fee in the asset

    function test_swapAndXCall_paysTheRelayerInTheAsset() public {
        OneToOneSwapper swapper = new OneToOneSwapper();
        TestToken other = new TestToken("Other", "OTH", 18);
        token.mint(address(swapper), AMOUNT);
        other.mint(ALICE, AMOUNT);
        SwapAndXCall xapp = new SwapAndXCall(address(connexts[A]), address(swapper));
        uint256 fee = 1 ether;

        vm.startPrank(ALICE);
        other.approve(address(xapp), AMOUNT);
        vm.recordLogs();
        bytes32 id = xapp.swapAndXCall(address(other), address(token), AMOUNT, AMOUNT, ids[B], BOB, fee, "");
        vm.stopPrank();
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bool feeLogged;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == IConnext.TransferRelayerFeesIncreased.selector) {
                (uint256 increase, address asset, address caller) =
                    abi.decode(logs[i].data, (uint256, address, address));
                assertEq(logs[i].topics[1], id, "for the transfer");
                assertEq(increase, fee, "the fee");
                assertEq(asset, address(token), "in the asset");
                assertEq(caller, address(xapp), "paid by the xApp");
                feeLogged = true;
            }
        }
        assertTrue(feeLogged, "fee in the asset logged");
        TransferInfo memory params = _recordXCallsFrom(logs)[0];

        assertEq(params.bridgedAmt, AMOUNT - fee, "the rest is bridged");
        assertEq(params.delegate, ALICE, "the user is the delegate");
        assertEq(connexts[A].relayerFees(address(token)), fee, "fee booked for the vault");
        _executeFast(B, params, 1);
        assertEq(BridgeToken(locals[B]).balanceOf(BOB), _fee(AMOUNT - fee), "delivered");
        _relay(A, B);
        _assertConservation();

        vm.prank(VAULT);
        connexts[A].withdrawRelayerFees(address(token), fee);
        assertEq(token.balanceOf(VAULT), fee, "the vault withdraws the fee in the asset");
    }
}
