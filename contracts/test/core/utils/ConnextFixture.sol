// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "../../utils/TestBase.sol";
import {Connext} from "../../../src/core/Connext.sol";
import {BridgeToken} from "../../../src/core/BridgeToken.sol";
import {TransferInfo, ExecuteArgs} from "../../../src/interfaces/IConnext.sol";
import {MockGateway} from "./MockGateway.sol";
import {TestToken} from "./TestTokens.sol";

/// @title ConnextFixture
/// @notice One `Connext` on domain `LOCAL` wired to a `MockGateway` test double, with a canonical token whose home is
///         here (`usdc`), a representation of a token whose home is `REMOTE` (`weth`), five approved routers, an
///         approved sequencer and relayer. Unit tests of `Connext`'s own logic build on it.
abstract contract ConnextFixture is TestBase {
    uint32 internal constant LOCAL = 2;
    uint32 internal constant REMOTE = 1;
    uint32 internal constant OTHER = 3;
    bytes32 internal constant REMOTE_CONNEXT = bytes32(uint256(0xC0FFEE01));
    bytes32 internal constant OTHER_CONNEXT = bytes32(uint256(0xC0FFEE03));
    bytes32 internal constant WETH_ID = bytes32(uint256(0x0E7E));

    address internal constant GOV = address(0x60F);
    address internal constant VAULT = address(0xFEE5);
    address internal constant RELAYER = address(0x4E1A);
    address internal constant REPLICA = address(0x4E91);
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);

    uint256 internal constant SEQUENCER_KEY = 0x5E0;
    uint256 internal constant NUM_ROUTERS = 6;

    Connext internal connext;
    MockGateway internal gateway;
    TestToken internal usdc;
    BridgeToken internal weth;
    address internal sequencer;
    uint256[] internal routerKeys;
    address[] internal routers;
    address[] internal routerOwners;

    function setUp() public virtual {
        gateway = new MockGateway(LOCAL);
        connext = new Connext(LOCAL, GOV, address(gateway), address(gateway), VAULT);
        usdc = new TestToken("USD Coin", "USDC", 6);
        weth = new BridgeToken("Wrapped Ether", "WETH", 18, address(connext));
        sequencer = vm.addr(SEQUENCER_KEY);

        vm.startPrank(GOV);
        connext.setupCanonicalAsset(address(usdc), type(uint128).max);
        connext.setupRepresentation(WETH_ID, REMOTE, address(weth));
        connext.setRemoteConnext(REMOTE, REMOTE_CONNEXT);
        connext.setRemoteConnext(OTHER, OTHER_CONNEXT);
        connext.setSequencerApproval(sequencer, true);
        connext.setRelayerApproval(RELAYER, true);
        for (uint256 i; i < NUM_ROUTERS; ++i) {
            uint256 key = 0xA000 + i;
            address router = vm.addr(key);
            address routerOwner = address(uint160(0xB000 + i));
            routerKeys.push(key);
            routers.push(router);
            routerOwners.push(routerOwner);
            connext.setupRouter(router, routerOwner, address(0));
        }
        vm.stopPrank();
        gateway.setInbound(REPLICA, REMOTE, true);
    }

    // ------------------------------------------------------------------ transfers

    /// @dev A transfer of `amount` USDC from `REMOTE` to `LOCAL` (USDC's home is here, so it is escrowed here).
    function _usdc(uint256 amount, uint256 nonce) internal view returns (TransferInfo memory params) {
        params = _baseTransfer(nonce);
        params.canonicalDomain = LOCAL;
        params.canonicalId = bytes32(uint256(uint160(address(usdc))));
        params.bridgedAmt = amount;
        params.normalizedIn = amount * 1e12;
    }

    /// @dev A transfer of `amount` WETH (home `REMOTE`) from `REMOTE` to `LOCAL`.
    function _weth(uint256 amount, uint256 nonce) internal pure returns (TransferInfo memory params) {
        params = _baseTransfer(nonce);
        params.canonicalDomain = REMOTE;
        params.canonicalId = WETH_ID;
        params.bridgedAmt = amount;
        params.normalizedIn = amount;
    }

    function _baseTransfer(uint256 nonce) internal pure returns (TransferInfo memory params) {
        params.originDomain = REMOTE;
        params.destinationDomain = LOCAL;
        params.to = BOB;
        params.delegate = ALICE;
        params.slippage = 100;
        params.originSender = ALICE;
        params.nonce = nonce;
    }

    function _id(TransferInfo memory params) internal pure returns (bytes32) {
        return keccak256(abi.encode(params));
    }

    // ------------------------------------------------------------------ execute arguments

    /// @dev Fast-path arguments with the first `count` routers, all properly signed.
    function _fastArgs(TransferInfo memory params, uint256 count)
        internal
        view
        returns (ExecuteArgs memory args)
    {
        address[] memory path = new address[](count);
        uint256[] memory keys = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            path[i] = routers[i];
            keys[i] = routerKeys[i];
        }
        return _signedArgs(params, path, keys, SEQUENCER_KEY);
    }

    function _signedArgs(
        TransferInfo memory params,
        address[] memory path,
        uint256[] memory keys,
        uint256 seqKey
    ) internal view returns (ExecuteArgs memory args) {
        bytes32 transferId = _id(params);
        args.params = params;
        args.routers = path;
        args.routerSignatures = new bytes[](keys.length);
        for (uint256 i; i < keys.length; ++i) {
            args.routerSignatures[i] = signDigest(
                keys[i], routerBidDigest(block.chainid, address(connext), transferId, path.length)
            );
        }
        args.sequencer = vm.addr(seqKey);
        args.sequencerSignature =
            signDigest(seqKey, routerSelectionDigest(block.chainid, address(connext), transferId, path));
    }

    function _slowArgs(TransferInfo memory params) internal pure returns (ExecuteArgs memory args) {
        args.params = params;
    }

    // ------------------------------------------------------------------ liquidity and messages

    /// @dev Gives `router` `amount` of liquidity in `asset` (USDC minted; WETH minted as `Connext` would on reconcile).
    function _fund(address router, address asset, uint256 amount) internal {
        address funder = address(0xF00D);
        if (asset == address(usdc)) {
            usdc.mint(funder, amount);
        } else {
            vm.prank(address(connext));
            weth.mint(funder, amount);
        }
        vm.startPrank(funder);
        TestToken(asset).approve(address(connext), amount);
        connext.addRouterLiquidity(router, asset, amount);
        vm.stopPrank();
    }

    /// @dev The reconcile message body `REMOTE`'s `Connext` sends for `params`.
    function _body(TransferInfo memory params) internal pure returns (bytes memory) {
        return abi.encodePacked(params.canonicalDomain, params.canonicalId, params.bridgedAmt, _id(params));
    }

    /// @dev Delivers `params`'s reconcile message as the enrolled replica.
    function _reconcile(TransferInfo memory params) internal {
        vm.prank(REPLICA);
        connext.handle(REMOTE, 0, REMOTE_CONNEXT, _body(params));
    }

    /// @dev Puts `amount` of USDC in escrow, as if that much had been xcalled out of this (home) domain earlier.
    function _escrowUsdc(uint256 amount) internal {
        usdc.mint(ALICE, amount);
        vm.startPrank(ALICE);
        usdc.approve(address(connext), amount);
        connext.xcall(REMOTE, ALICE, address(usdc), ALICE, amount, 0, "", 0);
        vm.stopPrank();
    }

    function _execute(ExecuteArgs memory args) internal returns (bytes32) {
        vm.prank(RELAYER);
        return connext.execute(args);
    }
}
