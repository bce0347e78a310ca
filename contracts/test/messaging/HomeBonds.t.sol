// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {HomeFixture} from "./utils/HomeFixture.sol";
import {HomeEtherRejectingAccount, HomeReenteringAccount} from "./utils/HomeAccounts.sol";
import {Home} from "../../src/messaging/Home.sol";
import {ReentrancyGuard} from "../../src/utils/ReentrancyGuard.sol";

/// @notice The updater bond as money: deposits, withdrawals and the slash reward, including ether-rejecting and
///         re-entering accounts.
contract HomeBondsTest is HomeFixture {
    function test_depositBond_creditsAnotherAccountAndMovesEther() public {
        vm.deal(strangerAddr, 3 ether);
        uint256 homeBalance = address(home).balance;
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.BondDeposited(reporter, strangerAddr, 2 ether);
        vm.prank(strangerAddr);
        home.depositBond{value: 2 ether}(reporter);
        assertEq(home.bonds(reporter), 2 ether, "credited to the named account");
        assertEq(home.bonds(strangerAddr), 0, "not to the payer");
        assertEq(strangerAddr.balance, 1 ether, "payer paid");
        assertEq(address(home).balance, homeBalance + 2 ether, "home holds it");
    }

    function test_depositBond_topsUpUpdaterBond() public {
        vm.deal(strangerAddr, 1 ether);
        vm.prank(strangerAddr);
        home.depositBond{value: 0.5 ether}(updaterAddr);
        assertEq(home.bonds(updaterAddr), BOND + 0.5 ether, "added to the updater's bond");
    }

    function test_withdrawBond_refusedForCurrentUpdater() public {
        uint256 balance = updaterAddr.balance;
        bytes memory locked = abi.encodeWithSelector(Home.BondLocked.selector);
        _expectRefused(updaterAddr, abi.encodeCall(home.withdrawBond, (1)), locked);
        _expectRefused(updaterAddr, abi.encodeCall(home.withdrawBond, (0)), locked);
        assertEq(updaterAddr.balance, balance, "no ether moved");
    }

    function test_depositBond_refusedAfterFailure() public {
        _failHome(reporter);
        vm.deal(address(this), 1 ether);
        vm.expectRevert(Home.HomeIsFailed.selector);
        home.depositBond{value: 1 ether}(updaterAddr);
    }

    function test_withdrawBond_refusesMoreThanHeld() public {
        vm.prank(governance);
        home.setUpdater(strangerAddr);
        vm.warp(block.timestamp + home.bondLockSeconds());
        uint256 held = home.bonds(updaterAddr);
        _expectRefused(
            updaterAddr,
            abi.encodeCall(home.withdrawBond, (BOND + 1)),
            abi.encodeWithSelector(Home.InsufficientBalance.selector, BOND + 1, BOND)
        );
        assertEq(home.bonds(updaterAddr), held, "bond unchanged");
    }

    function test_withdrawBond_byAccountThatNeverUpdated() public {
        vm.deal(strangerAddr, 1 ether);
        vm.prank(strangerAddr);
        home.depositBond{value: 1 ether}(strangerAddr);
        vm.prank(strangerAddr);
        home.withdrawBond(1 ether);
        assertEq(strangerAddr.balance, 1 ether, "got it back");
        assertEq(home.bonds(strangerAddr), 0, "no bond left");

        vm.expectRevert(abi.encodeWithSelector(Home.InsufficientBalance.selector, 1, 0));
        vm.prank(reporter);
        home.withdrawBond(1);
    }

    function test_withdrawBond_etherRejectingAccountKeepsBond() public {
        HomeEtherRejectingAccount account = new HomeEtherRejectingAccount(home);
        home.depositBond{value: 1 ether}(address(account));
        uint256 homeBalance = address(home).balance;
        vm.expectRevert(Home.EtherTransferFailed.selector);
        account.withdraw(1 ether);
        assertEq(home.bonds(address(account)), 1 ether, "bond kept");
        assertEq(address(home).balance, homeBalance, "ether kept");
    }

    function test_withdrawBond_refusesReentry() public {
        HomeReenteringAccount account = new HomeReenteringAccount(home);
        account.setMode(1);
        home.depositBond{value: 2 ether}(address(account));
        account.withdraw(1 ether);
        assertTrue(account.reentered(), "receive ran");
        assertEq(
            account.reentryRevert(),
            abi.encodeWithSelector(ReentrancyGuard.Reentrancy.selector),
            "re-entry refused by the guard"
        );
        assertEq(home.bonds(address(account)), 1 ether, "only the outer withdrawal happened");
        assertEq(address(account).balance, 1 ether, "only the outer ether moved");
    }

    function test_claimSlashReward_movesEther() public {
        _failHome(reporter);
        uint256 homeBalance = address(home).balance;
        vm.expectEmit(true, true, true, true, address(home));
        emit Home.SlashRewardClaimed(reporter, BOND / 2);
        vm.prank(reporter);
        home.claimSlashReward();
        assertEq(reporter.balance, BOND / 2, "reporter paid");
        assertEq(address(home).balance, homeBalance - BOND / 2, "home paid out");
        assertEq(home.slashRewards(reporter), 0, "reward cleared");
    }

    function test_claimSlashReward_refusesNothingToClaim() public {
        _expectRefused(
            strangerAddr,
            abi.encodeCall(home.claimSlashReward, ()),
            abi.encodeWithSelector(Home.NothingToClaim.selector)
        );
    }

    function test_claimSlashReward_cannotClaimTwice() public {
        _failHome(reporter);
        vm.prank(reporter);
        home.claimSlashReward();
        _expectRefused(
            reporter,
            abi.encodeCall(home.claimSlashReward, ()),
            abi.encodeWithSelector(Home.NothingToClaim.selector)
        );
        assertEq(reporter.balance, BOND / 2, "paid once");
    }

    function test_claimSlashReward_etherRejectingReporterKeepsReward() public {
        HomeEtherRejectingAccount account = new HomeEtherRejectingAccount(home);
        bytes32 r0 = home.committedRoot();
        bytes32 bogus = keccak256("bogus");
        account.reportImproper(r0, bogus, signUpdate(UPDATER_KEY, ORIGIN, r0, bogus));
        assertEq(home.slashRewards(address(account)), BOND / 2, "credited");
        uint256 homeBalance = address(home).balance;
        vm.expectRevert(Home.EtherTransferFailed.selector);
        account.claim();
        assertEq(home.slashRewards(address(account)), BOND / 2, "reward kept");
        assertEq(address(home).balance, homeBalance, "ether kept");
    }

    function test_claimSlashReward_refusesReentry() public {
        HomeReenteringAccount account = new HomeReenteringAccount(home);
        account.setMode(2);
        bytes32 r0 = home.committedRoot();
        bytes32 bogus = keccak256("bogus");
        account.reportImproper(r0, bogus, signUpdate(UPDATER_KEY, ORIGIN, r0, bogus));
        account.claim();
        assertEq(
            account.reentryRevert(),
            abi.encodeWithSelector(ReentrancyGuard.Reentrancy.selector),
            "re-entry refused by the guard"
        );
        assertEq(address(account).balance, BOND / 2, "paid exactly once");
        assertEq(home.slashRewards(address(account)), 0, "reward cleared");
    }
}
