// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConnextFixture} from "./utils/ConnextFixture.sol";
import {Connext} from "../../src/core/Connext.sol";
import {IConnext, TransferInfo, ExecuteArgs, TransferStatus} from "../../src/interfaces/IConnext.sol";

/// @notice Router bids and the sequencer's selection are EIP-712 statements bound to the destination Connext (its
///         chain id and address). A public fast-path `execute` signed for one Connext is refused by another Connext
///         on the same chain sharing domain ids, routers and sequencer, and by the same Connext address on another
///         chain id (a fork, or a deployment at the same address elsewhere).
contract ConnextSignatureReplayTest is ConnextFixture {
    uint256 internal constant AMOUNT = 1_000e6;

    /// @dev Connext B: the same domain, assets, routers, sequencer and relayer as the fixture's Connext A.
    Connext internal connextB;

    function setUp() public override {
        super.setUp();
        connextB = new Connext(LOCAL, GOV, address(gateway), address(gateway), VAULT);
        vm.startPrank(GOV);
        connextB.setupCanonicalAsset(address(usdc), type(uint128).max);
        connextB.setSequencerApproval(sequencer, true);
        connextB.setRelayerApproval(RELAYER, true);
        for (uint256 i; i < NUM_ROUTERS; ++i) {
            connextB.setupRouter(routers[i], routerOwners[i], address(0));
        }
        vm.stopPrank();
        _fund(routers[0], address(usdc), AMOUNT);
        address funder = address(0xF00D);
        usdc.mint(funder, AMOUNT);
        vm.startPrank(funder);
        usdc.approve(address(connextB), AMOUNT);
        connextB.addRouterLiquidity(routers[0], address(usdc), AMOUNT);
        vm.stopPrank();
    }

    /// @dev Fast-path arguments with router 0 alone, its bid signed for (`bidChain`, `bidConnext`) and the
    ///      selection for (`selectionChain`, `selectionConnext`).
    function _argsSignedFor(
        TransferInfo memory params,
        uint256 bidChain,
        address bidConnext,
        uint256 selectionChain,
        address selectionConnext
    ) internal view returns (ExecuteArgs memory args) {
        bytes32 id = _id(params);
        args.params = params;
        args.routers = new address[](1);
        args.routers[0] = routers[0];
        args.routerSignatures = new bytes[](1);
        args.routerSignatures[0] = signDigest(routerKeys[0], routerBidDigest(bidChain, bidConnext, id, 1));
        args.sequencer = sequencer;
        args.sequencerSignature = signDigest(
            SEQUENCER_KEY, routerSelectionDigest(selectionChain, selectionConnext, id, args.routers)
        );
    }

    function _executeOn(Connext target, ExecuteArgs memory args) internal returns (bytes32) {
        vm.prank(RELAYER);
        return target.execute(args);
    }

    // ------------------------------------------------------------ the signing domain

    function test_eip712DomainNamesTheConnext() public {
        (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        ) = connext.eip712Domain();
        assertEq(uint256(uint8(fields)), 0x0f, "name, version, chainId, verifyingContract");
        assertEq(keccak256(bytes(name)), keccak256("nxtp Connext"), "name");
        assertEq(keccak256(bytes(version)), keccak256("1"), "version");
        assertEq(chainId, block.chainid, "chain id");
        assertEq(verifyingContract, address(connext), "verifying contract");
        assertEq(salt, bytes32(0), "no salt");
        assertEq(extensions.length, 0, "no extensions");
        vm.chainId(block.chainid + 1);
        (,,, chainId,,,) = connext.eip712Domain();
        assertEq(chainId, block.chainid, "follows the chain id after a fork");
    }

    // ------------------------------------------------------------ Connext A's signatures on Connext B

    function test_routerBidForConnextARefusedByConnextB() public {
        TransferInfo memory params = _usdc(AMOUNT / 2, 1);
        ExecuteArgs memory args =
            _argsSignedFor(params, block.chainid, address(connext), block.chainid, address(connextB));
        address recovered = recoverLoose(
            routerBidDigest(block.chainid, address(connextB), _id(params), 1), args.routerSignatures[0]
        );
        vm.expectRevert(abi.encodeWithSelector(IConnext.WrongSigner.selector, routers[0], recovered));
        _executeOn(connextB, args);
        assertEq(
            uint256(connextB.transferStatus(_id(params))), uint256(TransferStatus.None), "not executed on B"
        );
    }

    function test_sequencerSignatureForConnextARefusedByConnextB() public {
        TransferInfo memory params = _usdc(AMOUNT / 2, 1);
        ExecuteArgs memory args =
            _argsSignedFor(params, block.chainid, address(connextB), block.chainid, address(connext));
        address recovered = recoverLoose(
            routerSelectionDigest(block.chainid, address(connextB), _id(params), args.routers),
            args.sequencerSignature
        );
        vm.expectRevert(abi.encodeWithSelector(IConnext.WrongSigner.selector, sequencer, recovered));
        _executeOn(connextB, args);
        assertEq(
            uint256(connextB.transferStatus(_id(params))), uint256(TransferStatus.None), "not executed on B"
        );
    }

    /// @dev The whole execute signed for A: executes on A, and replayed on B (same domain, routers, sequencer and
    ///      transfer id) it is refused.
    function test_executeForConnextANotReplayableOnConnextB() public {
        TransferInfo memory params = _usdc(AMOUNT / 2, 1);
        ExecuteArgs memory args =
            _argsSignedFor(params, block.chainid, address(connext), block.chainid, address(connext));
        _executeOn(connext, args);
        assertEq(
            uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.Executed), "executed on A"
        );

        address recovered = recoverLoose(
            routerSelectionDigest(block.chainid, address(connextB), _id(params), args.routers),
            args.sequencerSignature
        );
        vm.expectRevert(abi.encodeWithSelector(IConnext.WrongSigner.selector, sequencer, recovered));
        _executeOn(connextB, args);
        assertEq(
            connextB.routerBalance(routers[0], address(usdc)), AMOUNT, "router 0's liquidity on B untouched"
        );

        // Signed for B, the same transfer executes on B.
        _executeOn(
            connextB,
            _argsSignedFor(params, block.chainid, address(connextB), block.chainid, address(connextB))
        );
        assertEq(
            uint256(connextB.transferStatus(_id(params))), uint256(TransferStatus.Executed), "executed on B"
        );
    }

    // ------------------------------------------------------------ the same address on another chain

    function test_signaturesForAnotherChainRefusedAtTheSameAddress() public {
        TransferInfo memory params = _usdc(AMOUNT / 2, 1);
        uint256 otherChain = block.chainid + 1;

        ExecuteArgs memory bidElsewhere =
            _argsSignedFor(params, otherChain, address(connext), block.chainid, address(connext));
        address recovered = recoverLoose(
            routerBidDigest(block.chainid, address(connext), _id(params), 1), bidElsewhere.routerSignatures[0]
        );
        vm.expectRevert(abi.encodeWithSelector(IConnext.WrongSigner.selector, routers[0], recovered));
        _executeOn(connext, bidElsewhere);

        ExecuteArgs memory selectionElsewhere =
            _argsSignedFor(params, block.chainid, address(connext), otherChain, address(connext));
        recovered = recoverLoose(
            routerSelectionDigest(block.chainid, address(connext), _id(params), selectionElsewhere.routers),
            selectionElsewhere.sequencerSignature
        );
        vm.expectRevert(abi.encodeWithSelector(IConnext.WrongSigner.selector, sequencer, recovered));
        _executeOn(connext, selectionElsewhere);
        assertEq(uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.None), "not executed");
    }

    /// @dev After a fork changes the chain id, the Connext recomputes its separator: an execute signed before the
    ///      fork is refused on the forked chain, one signed for the new chain id is accepted.
    function test_forkRefusesSignaturesForTheOldChainId() public {
        TransferInfo memory params = _usdc(AMOUNT / 2, 1);
        uint256 original = block.chainid;
        ExecuteArgs memory beforeFork =
            _argsSignedFor(params, original, address(connext), original, address(connext));

        vm.chainId(original + 5);
        address recovered = recoverLoose(
            routerSelectionDigest(block.chainid, address(connext), _id(params), beforeFork.routers),
            beforeFork.sequencerSignature
        );
        vm.expectRevert(abi.encodeWithSelector(IConnext.WrongSigner.selector, sequencer, recovered));
        _executeOn(connext, beforeFork);

        _executeOn(
            connext, _argsSignedFor(params, block.chainid, address(connext), block.chainid, address(connext))
        );
        assertEq(uint256(connext.transferStatus(_id(params))), uint256(TransferStatus.Executed), "executed");
    }
}
