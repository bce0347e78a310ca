// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Home} from "../../../src/messaging/Home.sol";

/// @notice A fraud reporter (or bond holder) that cannot receive ether: it has no receive or fallback.
contract HomeEtherRejectingAccount {
    Home internal immutable home;

    constructor(Home target) {
        home = target;
    }

    function reportImproper(bytes32 oldRoot, bytes32 newRoot, bytes calldata signature) external {
        home.improperUpdate(oldRoot, newRoot, signature);
    }

    function claim() external {
        home.claimSlashReward();
    }

    function withdraw(uint256 amount) external {
        home.withdrawBond(amount);
    }
}

/// @notice Tries to re-enter the Home's ether-sending paths from its `receive`, recording what the re-entry got.
contract HomeReenteringAccount {
    Home internal immutable home;
    /// @dev 1: re-enter withdrawBond; 2: re-enter claimSlashReward.
    uint256 public mode;
    bool public reentered;
    bytes public reentryRevert;

    constructor(Home target) {
        home = target;
    }

    function setMode(uint256 newMode) external {
        mode = newMode;
    }

    function reportImproper(bytes32 oldRoot, bytes32 newRoot, bytes calldata signature) external {
        home.improperUpdate(oldRoot, newRoot, signature);
    }

    function withdraw(uint256 amount) external {
        home.withdrawBond(amount);
    }

    function claim() external {
        home.claimSlashReward();
    }

    receive() external payable {
        if (reentered) return;
        reentered = true;
        if (mode == 1) {
            try home.withdrawBond(1) {}
            catch (bytes memory reason) {
                reentryRevert = reason;
            }
        } else if (mode == 2) {
            try home.claimSlashReward() {}
            catch (bytes memory reason) {
                reentryRevert = reason;
            }
        }
    }
}
