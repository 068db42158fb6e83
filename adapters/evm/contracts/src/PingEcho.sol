// SPDX-License-Identifier: Apache-2.0
// The smallest Causeway application: ping a PingEcho on another chain; it counts the ping and
// echoes the data back; acknowledgements of every send are recorded. Good for smoke tests.
//
// Constructor: PingEcho(address gateway)
// Wiring: the deployer calls setRemoteGateway(chainIdentityOther, pad(gatewayOther)) so echoes
// know where to go (a ping from a chain without one is counted, not echoed); both gateways must
// trust each other by Configure votes.
// Use: ping(dstChain, pad(peerPingEcho), ordered, data) → pings on the peer, then echoes here.
pragma solidity 0.8.30;

import {ICausewayGateway, ICausewayReceiver, ICausewayAckReceiver} from "./ICauseway.sol";

contract PingEcho is ICausewayReceiver, ICausewayAckReceiver {
    event PingSent(bytes32 indexed id, bytes32 indexed dstChain, bytes data);
    event PingReceived(bytes32 indexed srcChain, bytes32 indexed sender, bytes data, bytes32 echoId);
    event EchoReceived(bytes32 indexed srcChain, bytes32 indexed sender, bytes data);
    event AckReceived(bytes32 indexed id, uint8 status);

    error NotGateway(address caller);
    error NotOwner(address caller);
    error NoRemoteGateway(bytes32 chain);
    error UnknownKind(uint8 kind);

    uint8 public constant KIND_PING = 1;
    uint8 public constant KIND_ECHO = 2;
    /// The ping's receiver counts and sends the echo (a send costs ~60-90k gas).
    uint64 public constant PING_GAS = 300_000;
    /// The echo's receiver only counts; an echo is never echoed, so there is no loop.
    uint64 public constant ECHO_GAS = 100_000;

    ICausewayGateway public immutable gateway;
    address public immutable owner;
    mapping(bytes32 chain => bytes32 gateway) public remoteGateway;
    uint256 public pings;
    uint256 public echoes;
    bytes public lastData;
    mapping(bytes32 id => uint8 status) public acks;

    modifier onlyGateway() {
        if (msg.sender != address(gateway)) revert NotGateway(msg.sender);
        _;
    }

    constructor(address gateway_) {
        gateway = ICausewayGateway(gateway_);
        owner = msg.sender;
    }

    function setRemoteGateway(bytes32 chain, bytes32 remote) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        remoteGateway[chain] = remote;
    }

    function ping(bytes32 dstChain, bytes32 peer, bool ordered, bytes calldata data) external returns (bytes32 id) {
        bytes32 remote = remoteGateway[dstChain];
        if (remote == bytes32(0)) revert NoRemoteGateway(dstChain);
        id = gateway.send(dstChain, remote, peer, 0, PING_GAS, ordered, abi.encode(KIND_PING, data));
        emit PingSent(id, dstChain, data);
    }

    function onCausewayMessage(bytes32 srcChain, bytes32 sender, bytes calldata payload) external onlyGateway {
        (uint8 kind, bytes memory data) = abi.decode(payload, (uint8, bytes));
        lastData = data;
        if (kind == KIND_PING) {
            pings += 1;
            bytes32 remote = remoteGateway[srcChain];
            bytes32 echoId;
            if (remote != bytes32(0)) {
                echoId = gateway.send(srcChain, remote, sender, 0, ECHO_GAS, false, abi.encode(KIND_ECHO, data));
            }
            emit PingReceived(srcChain, sender, data, echoId);
        } else if (kind == KIND_ECHO) {
            echoes += 1;
            emit EchoReceived(srcChain, sender, data);
        } else {
            revert UnknownKind(kind);
        }
    }

    function onCausewayAck(bytes32 id, uint8 status) external onlyGateway {
        acks[id] = status;
        emit AckReceived(id, status);
    }
}
