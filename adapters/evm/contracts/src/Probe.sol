// SPDX-License-Identifier: Apache-2.0
// A load and smoke probe for a relay: sends many messages in one transaction and counts, on the
// receiving side, what a relay must guarantee (exactly once, ordered lanes in order) and, on the
// sending side, the acknowledgements. Used by the end-to-end tests and benchmark; operators can
// use it to check a live deployment.
//
// Constructor: Probe(address gateway)
// Wiring: none; a probe accepts messages from any source (it checks a relay, not a peer), so both
// gateways only need to trust each other by Configure votes. setFailMode(true) by the deployer
// makes it a receiver that always reverts.
// Use: sendMany(dstChain, pad(dstGateway), pad(peerProbe), ordered, count, gasLimit, payloadBytes),
// then read the counters on both probes.
pragma solidity 0.8.30;

import {ICausewayGateway, ICausewayReceiver, ICausewayAckReceiver} from "./ICauseway.sol";

contract Probe is ICausewayReceiver, ICausewayAckReceiver {
    /// Nonces firstNonce .. firstNonce + count - 1 were sent (one MessageSent each, in order).
    event Sent(uint64 firstNonce, uint32 count);

    error NotGateway(address caller);
    error NotOwner(address caller);
    error FailMode(bytes32 srcChain, bytes32 sender);

    ICausewayGateway public immutable gateway;
    address public immutable owner;

    // One storage slot: a receive reads and writes these together, which keeps its gas small.
    uint64 public received; // every successful onCausewayMessage, duplicates included
    uint64 public duplicates; // deliveries of a (srcChain, sender, nonce) already received
    uint64 public outOfOrder; // ordered-lane nonces below the last one of their (srcChain, sender)
    bool public failMode;

    // One slot for the ack side.
    uint64 public acks;
    uint64 public duplicateAcks; // acknowledgements of an id already acknowledged

    /// The nonce the next message sent gets; nonces start at 1.
    uint64 public nextNonce = 1;

    mapping(bytes32 key => uint256 deliveries) private _seen;
    mapping(bytes32 source => uint256 nonce) private _lastOrderedNonce;
    mapping(bytes32 id => uint256 count) public ackCount;
    mapping(uint8 status => uint256 count) public ackStatusCount;

    modifier onlyGateway() {
        if (msg.sender != address(gateway)) revert NotGateway(msg.sender);
        _;
    }

    constructor(address gateway_) {
        gateway = ICausewayGateway(gateway_);
        owner = msg.sender;
    }

    function setFailMode(bool on) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        failMode = on;
    }

    /// Sends `count` messages (no timeout) to `receiver` behind `dstGateway`; each payload is
    /// abi.encode(uint256 nonce, bool ordered, bytes filler) with `payloadBytes` zero filler bytes.
    function sendMany(
        bytes32 dstChain,
        bytes32 dstGateway,
        bytes32 receiver,
        bool ordered,
        uint32 count,
        uint64 gasLimit,
        uint32 payloadBytes
    ) external returns (uint64 firstNonce) {
        firstNonce = nextNonce;
        // One payload buffer whose nonce word is rewritten per send: building a fresh payload each
        // time would grow memory, and with it the gas per message, over a large batch.
        bytes memory payload = abi.encode(uint256(firstNonce), ordered, new bytes(payloadBytes));
        for (uint64 nonce = firstNonce; nonce < firstNonce + count; ++nonce) {
            assembly ("memory-safe") {
                mstore(add(payload, 0x20), nonce)
            }
            gateway.send(dstChain, dstGateway, receiver, 0, gasLimit, ordered, payload);
        }
        nextNonce = firstNonce + count;
        emit Sent(firstNonce, count);
    }

    function onCausewayMessage(bytes32 srcChain, bytes32 sender, bytes calldata payload) external onlyGateway {
        if (failMode) revert FailMode(srcChain, sender);
        // The filler is ballast for the load test: only the two head words are read.
        (uint256 nonce, bool ordered) = abi.decode(payload, (uint256, bool));
        received += 1;
        if (_seen[keccak256(abi.encode(srcChain, sender, nonce))]++ != 0) {
            // A replayed message says nothing about order, so it is only counted as a duplicate.
            duplicates += 1;
            return;
        }
        if (!ordered) return;
        // A probe's nonces grow in send order, and so do the sequences of its ordered lane, so an
        // ordered lane executed in order delivers each (srcChain, sender)'s nonces increasing.
        bytes32 source = keccak256(abi.encode(srcChain, sender));
        if (nonce < _lastOrderedNonce[source]) outOfOrder += 1;
        else _lastOrderedNonce[source] = nonce;
    }

    function onCausewayAck(bytes32 id, uint8 status) external onlyGateway {
        acks += 1;
        if (ackCount[id]++ != 0) duplicateAcks += 1;
        ackStatusCount[status] += 1;
    }

    /// How often the message (srcChain, sender, nonce) was received (more than 1: duplicates).
    function seen(bytes32 srcChain, bytes32 sender, uint256 nonce) external view returns (uint256) {
        return _seen[keccak256(abi.encode(srcChain, sender, nonce))];
    }

    /// The highest nonce received from (srcChain, sender) on an ordered lane; 0 = none yet.
    function lastNonce(bytes32 srcChain, bytes32 sender) external view returns (uint256) {
        return _lastOrderedNonce[keccak256(abi.encode(srcChain, sender))];
    }
}
