// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextBase} from "./ConnextBase.sol";
import {AssetRegistry} from "./AssetRegistry.sol";
import {RouterAdmin} from "./RouterAdmin.sol";
import {ConnextAdmin} from "./ConnextAdmin.sol";
import {TransferRecovery} from "./TransferRecovery.sol";

/// @title ConnextExtension
/// @notice The cold paths of `Connext`: governance (`ConnextAdmin`), the asset registry's writes (`AssetRegistry`),
///         router setup and ownership (`RouterAdmin`) and the delegate's recovery calls (`TransferRecovery`). They
///         live here so `Connext` itself stays well under EIP-170's size limit; `Connext` deploys one extension in its
///         constructor and runs these functions in its own context with `delegatecall` (see `ConnextDelegator`).
/// @dev Shares `Connext`'s storage layout by construction: both inherit `ConnextBase`, which declares every storage
///      variable, and no other base of either declares any. Called directly the extension only touches its own
///      (empty) storage: its owner is the `Connext` that deployed it, which never calls it except by `delegatecall`,
///      so its governance functions are unreachable and it holds no funds, routers or transfers.
contract ConnextExtension is AssetRegistry, RouterAdmin, ConnextAdmin, TransferRecovery {
    /// @param localDomain_ The domain of the `Connext` deploying it (read through its immutable under `delegatecall`).
    constructor(uint32 localDomain_) ConnextBase(localDomain_, msg.sender) {}
}
