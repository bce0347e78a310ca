// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title DemoToken
/// @notice A plain ERC-20 with a public faucet, the canonical token of a local devnet.
/// @dev Devnet only: anyone may mint. It has no fee on transfer and no hooks, so `Connext` accepts it.
contract DemoToken {
    /// @notice The token's name.
    string public name;
    /// @notice The token's symbol.
    string public symbol;
    /// @notice The token's decimals.
    uint8 public immutable decimals;
    /// @notice The total minted.
    uint256 public totalSupply;
    /// @notice Each account's balance.
    mapping(address => uint256) public balanceOf;
    /// @notice What each spender may still pull from each owner.
    mapping(address => mapping(address => uint256)) public allowance;

    /// @notice `amount` moved from `from` to `to` (zero `from`: minted).
    event Transfer(address indexed from, address indexed to, uint256 amount);
    /// @notice `owner` allowed `spender` to pull `amount`.
    event Approval(address indexed owner, address indexed spender, uint256 amount);

    /// @notice `owner` holds `balance`, less than `needed`.
    error InsufficientBalance(address owner, uint256 balance, uint256 needed);
    /// @notice `spender` may pull `allowed` from its owner, less than `needed`.
    error InsufficientAllowance(address spender, uint256 allowed, uint256 needed);

    /// @param name_ The token's name.
    /// @param symbol_ The token's symbol.
    /// @param decimals_ The token's decimals.
    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
    }

    /// @notice Mints `amount` to `to`; open to anyone (a devnet faucet).
    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Lets `spender` pull up to `amount` from the caller.
    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    /// @notice Moves `amount` from the caller to `to`.
    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    /// @notice Moves `amount` from `from` to `to` against the caller's allowance (unlimited if the maximum).
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount) revert InsufficientAllowance(msg.sender, allowed, amount);
            allowance[from][msg.sender] = allowed - amount;
        }
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        uint256 balance = balanceOf[from];
        if (balance < amount) revert InsufficientBalance(from, balance, amount);
        balanceOf[from] = balance - amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}
