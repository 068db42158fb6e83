// SPDX-License-Identifier: Apache-2.0
// What applications see of Causeway: the message envelope (PROTOCOL.md section 2), the gateway's
// events and the two callbacks a receiving or sending application implements.
pragma solidity 0.8.30;

/// The cross-chain message. Its id is keccak256 of every field, with the payload as its hash
/// (see Gateway.messageId); the id is always recomputed, never taken on trust.
struct Message {
    uint8 version; // 1
    bytes32 srcChain; // chain identity of the source (PROTOCOL.md section 1)
    bytes32 srcGateway; // EVM: address left-padded to 32 bytes
    bytes32 dstChain;
    bytes32 dstGateway; // the destination gateway requires it to be itself
    bytes32 receiver; // EVM: address left-padded
    uint64 sequence; // per lane, starting at 1
    bytes32 sender; // EVM: the caller of send(), left-padded
    uint64 timeout; // destination block timestamp after which it must not execute; 0 = none
    uint64 gasLimit; // gas the receiver call gets
    uint8 flags; // bit 0: ordered lane
    bytes payload;
}

// Execution and acknowledgement statuses (MessageExecuted, Acknowledged, ackStatus).
uint8 constant STATUS_OK = 1;
uint8 constant STATUS_RECEIVER_FAILED = 2;
uint8 constant STATUS_TIMED_OUT = 3;
uint8 constant STATUS_SKIPPED = 4;

uint8 constant FLAG_ORDERED = 1;

/// Implemented by an application that receives messages. The gateway calls it with exactly the
/// message's gasLimit; a revert records status 2 and the source application is told by an ack.
interface ICausewayReceiver {
    /// `sender` is the source application (left-padded address on EVM). Check both `msg.sender`
    /// (must be your gateway) and (`srcChain`, `sender`) (must be your registered peer).
    function onCausewayMessage(bytes32 srcChain, bytes32 sender, bytes calldata payload) external;
}

/// Optionally implemented by an application that sends messages: the source gateway calls it
/// once per id when the attesters acknowledge the outcome on the destination. A failing hook is
/// not retried; the status stays readable through ICausewayGateway.ackStatus.
interface ICausewayAckReceiver {
    function onCausewayAck(bytes32 id, uint8 status) external;
}

/// The part of the gateway applications code against.
interface ICausewayGateway {
    event MessageSent(bytes32 indexed id, bytes32 indexed dstChain, uint64 indexed sequence, bytes message);
    event MessageExecuted(
        bytes32 indexed id, bytes32 indexed srcChain, uint64 indexed sequence, uint8 status, bytes32 claim
    );
    event Acknowledged(bytes32 indexed id, uint8 status, bytes32 claim);

    /// Sends `payload` to `receiver` behind gateway `dstGateway` on chain `dstChain`; returns the id.
    function send(
        bytes32 dstChain,
        bytes32 dstGateway,
        bytes32 receiver,
        uint64 timeout,
        uint64 gasLimit,
        bool ordered,
        bytes calldata payload
    ) external returns (bytes32 id);

    /// 0 until acknowledged, then the destination's status (1..4).
    function ackStatus(bytes32 id) external view returns (uint8);

    /// This chain's identity (PROTOCOL.md section 1).
    function chainIdentity() external view returns (bytes32);
}
