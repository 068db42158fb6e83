// SPDX-License-Identifier: Apache-2.0
// Chain A of the lock-and-mint example: locks an ERC-20 and asks MintBridge on chain B to mint
// it; unlocks when MintBridge reports a burn; refunds a lock whose mint failed.
//
// Constructor: LockBox(address gateway, address token)  (token: e.g. a TestToken on chain A)
// Wiring, once by the deployer: register(chainIdentityB, pad(gatewayB), pad(mintBridge)); and
// gateway A must trust gateway B by Configure votes (gateway B likewise trusts gateway A).
// Use: token.approve(lockBox, amount); lockBox.lock(amount, pad(recipientOnB), timeout).
pragma solidity 0.8.30;

import {TokenBridge} from "./TokenBridge.sol";

interface IERC20Minimal {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

contract LockBox is TokenBridge {
    IERC20Minimal public immutable token;

    constructor(address gateway_, address token_) TokenBridge(gateway_) {
        token = IERC20Minimal(token_);
    }

    /// Locks `amount` of the caller's tokens and sends them to `recipient` on chain B.
    /// `timeout` (chain B seconds, 0 = none) bounds how long the mint may take; past it the
    /// message times out and the lock is refunded.
    function lock(uint256 amount, bytes32 recipient, uint64 timeout) external returns (bytes32 id) {
        if (!token.transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
        id = _send(msg.sender, recipient, amount, timeout);
    }

    function _release(address to, uint256 amount) internal override {
        if (!token.transfer(to, amount)) revert TransferFailed();
    }

    function _payBack(address to, uint256 amount) internal override {
        if (!token.transfer(to, amount)) revert TransferFailed();
    }
}
