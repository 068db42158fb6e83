// SPDX-License-Identifier: Apache-2.0
// Chain B of the lock-and-mint example: mints a wrapped token for locks on chain A, burns it to
// unlock on A, and caps what it mints per period so a leaked key or a bug can only cost so much
// (THREATS 23).
//
// Constructor: MintBridge(address gateway, string name, string symbol, uint256 capPerPeriod,
//                         uint64 periodSeconds)  — deploys its own wrapped TestToken: token().
// Wiring, once by the deployer: register(chainIdentityA, pad(gatewayA), pad(lockBox)); and
// gateway B must trust gateway A by Configure votes (gateway A likewise trusts gateway B).
// Use: token.approve(mintBridge, amount); mintBridge.burn(amount, pad(recipientOnA), timeout).
pragma solidity 0.8.30;

import {TokenBridge} from "./TokenBridge.sol";
import {TestToken} from "./TestToken.sol";

contract MintBridge is TokenBridge {
    error CapExceeded(uint256 mintedInPeriod, uint256 amount, uint256 cap);
    error ZeroPeriod();

    TestToken public immutable token;
    uint256 public immutable capPerPeriod;
    uint64 public immutable periodSeconds;
    uint64 public periodStart;
    uint256 public mintedInPeriod;

    constructor(address gateway_, string memory name_, string memory symbol_, uint256 capPerPeriod_, uint64 periodSeconds_)
        TokenBridge(gateway_)
    {
        if (periodSeconds_ == 0) revert ZeroPeriod();
        token = new TestToken(name_, symbol_); // this bridge is the only minter
        capPerPeriod = capPerPeriod_;
        periodSeconds = periodSeconds_;
    }

    /// Burns `amount` wrapped tokens of the caller and sends them to `recipient` on chain A.
    function burn(uint256 amount, bytes32 recipient, uint64 timeout) external returns (bytes32 id) {
        if (!token.transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
        token.burn(amount);
        id = _send(msg.sender, recipient, amount, timeout);
    }

    /// Mints for a lock on A, within the cap. Over the cap this reverts: the gateway records
    /// status 2 and LockBox refunds the lock, so value is never stuck or created.
    function _release(address to, uint256 amount) internal override {
        if (block.timestamp >= periodStart + periodSeconds) {
            periodStart = uint64(block.timestamp);
            mintedInPeriod = 0;
        }
        uint256 minted = mintedInPeriod + amount;
        if (minted > capPerPeriod) revert CapExceeded(mintedInPeriod, amount, capPerPeriod);
        mintedInPeriod = minted;
        token.mint(to, amount);
    }

    /// Re-mints a failed burn. Not capped: it restores tokens that existed a moment ago.
    function _payBack(address to, uint256 amount) internal override {
        token.mint(to, amount);
    }
}
