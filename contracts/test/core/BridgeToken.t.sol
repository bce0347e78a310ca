// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "../utils/TestBase.sol";
import {BridgeToken} from "../../src/core/BridgeToken.sol";

/// @notice The representation token: Connext-only mint and burn, ERC-20 and EIP-2612.
contract BridgeTokenTest is TestBase {
    address internal constant CONNEXT = address(0xC0);
    uint256 internal constant OWNER_KEY = 0x0A;
    address internal owner;
    address internal constant SPENDER = address(0x5E);
    BridgeToken internal token;

    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    function setUp() public {
        token = new BridgeToken("Wrapped Ether", "WETH", 18, CONNEXT);
        owner = vm.addr(OWNER_KEY);
        vm.prank(CONNEXT);
        token.mint(owner, 100 ether);
    }

    function test_metadata() public view {
        assertEq(keccak256(bytes(token.name())), keccak256("Wrapped Ether"), "name");
        assertEq(keccak256(bytes(token.symbol())), keccak256("WETH"), "symbol");
        assertEq(uint256(token.decimals()), 18, "decimals");
        assertEq(token.connext(), CONNEXT, "connext");
    }

    function test_revert_zeroConnext() public {
        vm.expectRevert(abi.encodeWithSelector(BridgeToken.NotConnext.selector, address(0)));
        new BridgeToken("A", "A", 18, address(0));
    }

    function test_mintBurn_onlyConnext() public {
        vm.expectRevert(abi.encodeWithSelector(BridgeToken.NotConnext.selector, address(this)));
        token.mint(owner, 1);
        vm.expectRevert(abi.encodeWithSelector(BridgeToken.NotConnext.selector, address(this)));
        token.burn(owner, 1);
        vm.startPrank(CONNEXT);
        token.burn(owner, 40 ether);
        vm.expectRevert(
            abi.encodeWithSelector(BridgeToken.InsufficientBalance.selector, owner, 60 ether, 61 ether)
        );
        token.burn(owner, 61 ether);
        vm.stopPrank();
        assertEq(token.totalSupply(), 60 ether, "supply");
        assertEq(token.balanceOf(owner), 60 ether, "balance");
    }

    function test_transferAndTransferFrom() public {
        vm.prank(owner);
        token.transfer(SPENDER, 1 ether);
        assertEq(token.balanceOf(SPENDER), 1 ether, "transfer");
        vm.prank(owner);
        token.approve(SPENDER, 2 ether);
        vm.startPrank(SPENDER);
        token.transferFrom(owner, SPENDER, 2 ether);
        vm.expectRevert(abi.encodeWithSelector(BridgeToken.InsufficientAllowance.selector, SPENDER, 0, 1));
        token.transferFrom(owner, SPENDER, 1);
        vm.expectRevert(BridgeToken.TransferToZero.selector);
        token.transfer(address(0), 1);
        vm.expectRevert(
            abi.encodeWithSelector(BridgeToken.InsufficientBalance.selector, SPENDER, 3 ether, 4 ether)
        );
        token.transfer(owner, 4 ether);
        vm.stopPrank();
        assertEq(token.balanceOf(SPENDER), 3 ether, "transferFrom");
    }

    function test_infiniteAllowanceNotDecreased() public {
        vm.prank(owner);
        token.approve(SPENDER, type(uint256).max);
        vm.prank(SPENDER);
        token.transferFrom(owner, SPENDER, 1 ether);
        assertEq(token.allowance(owner, SPENDER), type(uint256).max, "kept");
    }

    /// @dev A permit for `owner`'s tokens, signed with `key` (the owner's key unless a test says otherwise).
    function _permitSig(uint256 key, address spender, uint256 value, uint256 nonce, uint256 deadline)
        internal
        view
        returns (uint8 v, bytes32 r, bytes32 s)
    {
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                token.DOMAIN_SEPARATOR(),
                keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, nonce, deadline))
            )
        );
        return vm.sign(key, digest);
    }

    function test_permit() public {
        (uint8 v, bytes32 r, bytes32 s) = _permitSig(OWNER_KEY, SPENDER, 5 ether, 0, block.timestamp);
        token.permit(owner, SPENDER, 5 ether, block.timestamp, v, r, s);
        assertEq(token.allowance(owner, SPENDER), 5 ether, "allowance");
        assertEq(token.nonces(owner), 1, "nonce");
        vm.expectPartialRevert(BridgeToken.InvalidPermit.selector);
        token.permit(owner, SPENDER, 5 ether, block.timestamp, v, r, s);
    }

    function test_revert_permit() public {
        (uint8 v, bytes32 r, bytes32 s) = _permitSig(OWNER_KEY, SPENDER, 5 ether, 0, block.timestamp);
        vm.warp(block.timestamp + 1);
        vm.expectRevert(abi.encodeWithSelector(BridgeToken.PermitExpired.selector, block.timestamp - 1));
        token.permit(owner, SPENDER, 5 ether, block.timestamp - 1, v, r, s);

        (v, r, s) = _permitSig(0xBAD, SPENDER, 5 ether, 0, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(BridgeToken.InvalidPermit.selector, owner, vm.addr(0xBAD)));
        token.permit(owner, SPENDER, 5 ether, block.timestamp, v, r, s);

        (v, r, s) = _permitSig(OWNER_KEY, SPENDER, 5 ether, 0, block.timestamp);
        bytes32 highS = bytes32(SECP256K1_N - uint256(s));
        vm.expectRevert(abi.encodeWithSelector(BridgeToken.InvalidPermit.selector, owner, address(0)));
        token.permit(owner, SPENDER, 5 ether, block.timestamp, v == 27 ? 28 : 27, r, highS);
    }

    function test_domainSeparatorFollowsChainId() public {
        bytes32 before = token.DOMAIN_SEPARATOR();
        vm.chainId(999);
        assertTrue(token.DOMAIN_SEPARATOR() != before, "recomputed on a fork");
    }
}
