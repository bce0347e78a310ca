// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestToken} from "../../core/utils/TestTokens.sol";

/// @title ITokenHooks
/// @notice ERC-777-style hooks: the sender is told before its tokens move, the recipient after they arrive.
interface ITokenHooks {
    function tokensToSend(address operator, address from, address to, uint256 amount) external;
    function tokensReceived(address operator, address from, address to, uint256 amount) external;
}

/// @title HookToken
/// @notice An ERC-20 that, like ERC-777, calls back accounts that registered hooks: `tokensToSend` on the sender
///         before a move and `tokensReceived` on the recipient after it. A registry stands in for ERC-1820.
contract HookToken is TestToken {
    mapping(address account => bool) public hooked;

    constructor() TestToken("Hooked", "HOOK", 18) {}

    /// @notice `msg.sender` asks to be called back on its sends and receipts.
    function registerHooks(bool on) external {
        hooked[msg.sender] = on;
    }

    function _move(address from, address to, uint256 amount) internal override {
        if (hooked[from]) ITokenHooks(from).tokensToSend(msg.sender, from, to, amount);
        super._move(from, to, amount);
        if (hooked[to]) ITokenHooks(to).tokensReceived(msg.sender, from, to, amount);
    }
}

/// @title HookAttacker
/// @notice A token holder whose hooks fire a list of prepared calls (once, on the first hook after `arm`) and record
///         each outcome without reverting themselves. Also a plain EOA-like actor: `run` makes any call as itself.
contract HookAttacker is ITokenHooks {
    struct Attack {
        address target;
        bytes data;
    }

    Attack[] internal _attacks;
    bool public armed;
    /// @notice Which hook fires the attacks: true for `tokensToSend`, false for `tokensReceived`.
    bool public onSend;
    bool[] public succeeded;
    bytes[] public results;

    function addAttack(address target, bytes calldata data) external {
        _attacks.push(Attack(target, data));
    }

    function arm(bool onSend_) external {
        armed = true;
        onSend = onSend_;
    }

    function attackCount() external view returns (uint256) {
        return succeeded.length;
    }

    /// @notice Makes `data` call to `target` as this contract, bubbling a revert.
    function run(address target, bytes calldata data) external returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }

    function tokensToSend(address, address, address, uint256) external {
        if (onSend) _fire();
    }

    function tokensReceived(address, address, address, uint256) external {
        if (!onSend) _fire();
    }

    function _fire() private {
        if (!armed) return;
        armed = false;
        for (uint256 i; i < _attacks.length; ++i) {
            (bool ok, bytes memory ret) = _attacks[i].target.call(_attacks[i].data);
            succeeded.push(ok);
            results.push(ret);
        }
    }
}

/// @title NoReturnToken
/// @notice USDT-style: `transfer`, `transferFrom` and `approve` return nothing and revert on failure.
contract NoReturnToken {
    uint8 public constant decimals = 6;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    error NoReturnInsufficient();

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
    }

    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed < amount) revert NoReturnInsufficient();
        allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
    }

    function _move(address from, address to, uint256 amount) private {
        if (balanceOf[from] < amount) revert NoReturnInsufficient();
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
    }
}

/// @title FalseReturnToken
/// @notice Reports failure by returning `false` instead of reverting (old ZRX/BAT style); `setFail` makes every
///         transfer fail that way.
contract FalseReturnToken {
    uint8 public constant decimals = 18;
    bool public failAll;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    function setFail(bool fail) external {
        failAll = fail;
    }

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        if (failAll || balanceOf[msg.sender] < amount) return false;
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (failAll || balanceOf[from] < amount || allowance[from][msg.sender] < amount) return false;
        allowance[from][msg.sender] -= amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        return true;
    }
}

/// @title RebasingToken
/// @notice Balances are shares times a global index the owner of the test moves (`rebase`): every holder's
///         balance changes without a transfer, as with stETH or AMPL.
contract RebasingToken {
    uint8 public constant decimals = 18;
    uint256 public constant ONE = 1e18;
    uint256 public index = ONE;
    mapping(address => uint256) public shares;
    mapping(address => mapping(address => uint256)) public allowance;

    function balanceOf(address account) public view returns (uint256) {
        return shares[account] * index / ONE;
    }

    function mint(address to, uint256 amount) external {
        shares[to] += amount * ONE / index;
    }

    /// @notice Scales every balance by `newIndex / 1e18`.
    function rebase(uint256 newIndex) external {
        index = newIndex;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        allowance[from][msg.sender] -= amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        uint256 moved = amount * ONE / index;
        shares[from] -= moved;
        shares[to] += moved;
    }
}

/// @title BlocklistToken
/// @notice USDC-style blocklist: any transfer from or to a blocked account reverts with `Blocked`.
contract BlocklistToken is TestToken {
    mapping(address account => bool) public blocked;

    error Blocked(address account);

    constructor() TestToken("Blocklist", "BLOCK", 6) {}

    function setBlocked(address account, bool value) external {
        blocked[account] = value;
    }

    function _move(address from, address to, uint256 amount) internal override {
        if (blocked[from]) revert Blocked(from);
        if (blocked[to]) revert Blocked(to);
        super._move(from, to, amount);
    }
}
