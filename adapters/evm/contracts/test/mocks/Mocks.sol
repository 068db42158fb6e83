// SPDX-License-Identifier: Apache-2.0
// Test doubles for the contract suite: receivers and senders that misbehave on purpose.
pragma solidity 0.8.30;

import {Message, ICausewayGateway, ICausewayReceiver, ICausewayAckReceiver} from "../../src/ICauseway.sol";
import {TestToken} from "../../src/TestToken.sol";

interface IGatewayExecute {
    function execute(Message calldata m, bytes32 claim) external;
}

/// A receiver whose behaviour the test picks: record, revert, return bomb, re-enter, need gas.
contract MockReceiver is ICausewayReceiver {
    uint8 public constant RECORD = 0;
    uint8 public constant REVERT = 1;
    uint8 public constant REVERT_BOMB = 2; // reverts with ~300 KB of return data
    uint8 public constant REENTER = 3; // calls gateway.execute from inside the call
    uint8 public constant NEED_GAS = 4; // fails unless it got at least `minGas`
    uint8 public constant RETURN_BOMB = 5; // succeeds with ~300 KB of return data

    error Refused(uint256 count);
    error Starved(uint256 gasLeft);

    event Received(bytes32 srcChain, bytes32 sender, bytes payload, uint256 gasLeft);

    address public immutable gateway;
    uint8 public mode;
    uint256 public minGas;
    uint256 public count;
    bytes32 public lastSrcChain;
    bytes32 public lastSender;
    bytes public lastPayload;

    constructor(address gateway_) {
        gateway = gateway_;
    }

    function setMode(uint8 mode_, uint256 minGas_) external {
        mode = mode_;
        minGas = minGas_;
    }

    function onCausewayMessage(bytes32 srcChain, bytes32 sender, bytes calldata payload) external {
        uint256 g = gasleft();
        uint8 m = mode;
        if (m == NEED_GAS && g < minGas) revert Starved(g);
        if (m == REVERT) revert Refused(count);
        if (m == REVERT_BOMB) {
            assembly {
                revert(0, 300000)
            }
        }
        if (m == REENTER) {
            Message memory empty;
            IGatewayExecute(gateway).execute(empty, bytes32(0)); // bubbles the gateway's revert
        }
        count += 1;
        lastSrcChain = srcChain;
        lastSender = sender;
        lastPayload = payload;
        emit Received(srcChain, sender, payload, g);
        if (m == RETURN_BOMB) {
            assembly {
                return(0, 300000)
            }
        }
    }
}

/// An application that sends through the gateway and misbehaves in its ack hook on request.
contract MockSender is ICausewayAckReceiver {
    uint8 public constant RECORD = 0;
    uint8 public constant REVERT = 1;
    uint8 public constant BURN = 2; // spins until out of gas
    uint8 public constant BOMB = 3; // reverts with ~300 KB

    error HookRefused();

    ICausewayGateway public immutable gateway;
    uint8 public mode;
    uint256 public hookCalls;
    mapping(bytes32 => uint8) public acks;

    constructor(address gateway_) {
        gateway = ICausewayGateway(gateway_);
    }

    function setMode(uint8 mode_) external {
        mode = mode_;
    }

    function sendVia(
        bytes32 dstChain,
        bytes32 dstGateway,
        bytes32 receiver,
        uint64 timeout,
        uint64 gasLimit,
        bool ordered,
        bytes calldata payload
    ) external returns (bytes32) {
        return gateway.send(dstChain, dstGateway, receiver, timeout, gasLimit, ordered, payload);
    }

    function onCausewayAck(bytes32 id, uint8 status) external {
        require(msg.sender == address(gateway), "not gateway");
        uint8 m = mode;
        if (m == REVERT) revert HookRefused();
        if (m == BURN) {
            while (true) {}
        }
        if (m == BOMB) {
            assembly {
                revert(0, 300000)
            }
        }
        hookCalls += 1;
        acks[id] = status;
    }
}

/// A token whose transfers can be made to fail, to show that a refund survives a failed hook.
contract MoodyToken is TestToken {
    error Moody();

    bool public moody;

    constructor() TestToken("Moody", "MOOD") {}

    function setMoody(bool moody_) external {
        moody = moody_;
    }

    function transfer(address to, uint256 amount) public override returns (bool) {
        if (moody) revert Moody();
        return super.transfer(to, amount);
    }
}

/// Accepts every message and does nothing: isolates the gateway's own cost in benchmarks.
contract NoopReceiver is ICausewayReceiver {
    function onCausewayMessage(bytes32, bytes32, bytes calldata) external {}
}
