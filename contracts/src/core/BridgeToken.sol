// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IBridgeToken} from "../interfaces/IBridgeToken.sol";

/// @title BridgeToken
/// @notice The representation ERC-20 of a canonical asset on a domain other than its home. Only its `Connext` mints
///         (on reconcile) and burns (on `xcall`). Supports EIP-2612 `permit`.
/// @dev Governance deploys it naming the `Connext`, then registers it there with `setupRepresentation`.
contract BridgeToken is IBridgeToken {
    /// @notice The token's name.
    string public name;
    /// @notice The token's symbol.
    string public symbol;
    /// @notice The token's decimals, equal to its canonical asset's.
    uint8 public immutable decimals;
    /// @inheritdoc IBridgeToken
    address public immutable connext;

    /// @notice The total amount in existence on this domain.
    uint256 public totalSupply;
    /// @notice Each account's balance.
    mapping(address account => uint256) public balanceOf;
    /// @notice What `spender` may still move from `owner`.
    mapping(address owner => mapping(address spender => uint256)) public allowance;
    /// @notice The next permit nonce of each owner.
    mapping(address owner => uint256) public nonces;

    bytes32 private constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private immutable _nameHash;
    uint256 private immutable _initialChainId;
    bytes32 private immutable _initialDomainSeparator;

    /// @notice ERC-20 transfer.
    event Transfer(address indexed from, address indexed to, uint256 amount);
    /// @notice ERC-20 approval.
    event Approval(address indexed owner, address indexed spender, uint256 amount);

    /// @notice The caller is not this token's `Connext`.
    error NotConnext(address caller);
    /// @notice `account` holds `balance`, less than `needed`.
    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    /// @notice `spender` may move `allowance`, less than `needed`.
    error InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
    /// @notice Transfers to the zero address are refused; burning is `Connext`'s.
    error TransferToZero();
    /// @notice The permit's deadline has passed.
    error PermitExpired(uint256 deadline);
    /// @notice The permit was not signed by `owner`.
    error InvalidPermit(address owner, address recovered);

    modifier onlyConnext() {
        if (msg.sender != connext) revert NotConnext(msg.sender);
        _;
    }

    /// @param name_ The token's name.
    /// @param symbol_ The token's symbol.
    /// @param decimals_ The canonical asset's decimals.
    /// @param connext_ The `Connext` that will register this token and alone mint and burn it.
    constructor(string memory name_, string memory symbol_, uint8 decimals_, address connext_) {
        if (connext_ == address(0)) revert NotConnext(address(0));
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
        connext = connext_;
        _nameHash = keccak256(bytes(name_));
        _initialChainId = block.chainid;
        _initialDomainSeparator = _domainSeparator();
    }

    /// @notice ERC-20 `transfer`.
    function transfer(address to, uint256 amount) external returns (bool) {
        _transfer(msg.sender, to, amount);
        return true;
    }

    /// @notice ERC-20 `transferFrom`; an allowance of `type(uint256).max` is never decreased.
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount) revert InsufficientAllowance(msg.sender, allowed, amount);
            unchecked {
                allowance[from][msg.sender] = allowed - amount;
            }
        }
        _transfer(from, to, amount);
        return true;
    }

    /// @notice ERC-20 `approve`.
    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    /// @notice EIP-2612: sets `spender`'s allowance over `owner`'s tokens from `owner`'s signature.
    function permit(
        address owner,
        address spender,
        uint256 value,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        if (block.timestamp > deadline) revert PermitExpired(deadline);
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                DOMAIN_SEPARATOR(),
                keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, nonces[owner]++, deadline))
            )
        );
        // Refuse the high-s twin so each permit has exactly one valid signature.
        if (uint256(s) > 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0) {
            revert InvalidPermit(owner, address(0));
        }
        address recovered = ecrecover(digest, v, r, s);
        if (recovered == address(0) || recovered != owner) revert InvalidPermit(owner, recovered);
        allowance[owner][spender] = value;
        emit Approval(owner, spender, value);
    }

    /// @notice The EIP-712 domain separator of this token on the current chain.
    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return block.chainid == _initialChainId ? _initialDomainSeparator : _domainSeparator();
    }

    /// @inheritdoc IBridgeToken
    function mint(address to, uint256 amount) external onlyConnext {
        totalSupply += amount;
        unchecked {
            balanceOf[to] += amount;
        }
        emit Transfer(address(0), to, amount);
    }

    /// @inheritdoc IBridgeToken
    function burn(address from, uint256 amount) external onlyConnext {
        uint256 balance = balanceOf[from];
        if (balance < amount) revert InsufficientBalance(from, balance, amount);
        unchecked {
            balanceOf[from] = balance - amount;
            totalSupply -= amount;
        }
        emit Transfer(from, address(0), amount);
    }

    function _transfer(address from, address to, uint256 amount) private {
        if (to == address(0)) revert TransferToZero();
        uint256 balance = balanceOf[from];
        if (balance < amount) revert InsufficientBalance(from, balance, amount);
        unchecked {
            balanceOf[from] = balance - amount;
            balanceOf[to] += amount;
        }
        emit Transfer(from, to, amount);
    }

    function _domainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, _nameHash, keccak256("1"), block.chainid, address(this)));
    }
}
